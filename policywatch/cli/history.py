"""Commands that read recorded history: changes, diff (and report)."""
from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from datetime import date
from typing import TYPE_CHECKING

import click

from policywatch.cli.root import cli, open_db

if TYPE_CHECKING:
    from rich.text import Text
from policywatch.errors import UsageError


def _since(value: str | None) -> str | None:
    """Accept YYYY, YYYY-MM, YYYY-MM-DD or YYYYMMDD; return an ISO prefix for comparisons."""
    if not value:
        return None
    digits = value.replace("-", "")
    try:
        if len(digits) == 4:
            return f"{int(digits):04d}"
        if len(digits) == 6:
            return date(int(digits[:4]), int(digits[4:6]), 1).isoformat()[:7]
        if len(digits) == 8:
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:])).isoformat()
    except ValueError:
        pass
    raise UsageError(f"--since {value!r}: use a date like 2024-05-01, 20240501, 2024-05 or 2024.")


def _colour_wanted(no_color: bool) -> bool:
    """Colour only on a terminal, and never with --no-color or NO_COLOR set (https://no-color.org)."""
    return sys.stdout.isatty() and not no_color and not os.environ.get("NO_COLOR")


def emit(renderable: object, *, no_color: bool = False, pager: bool = True) -> None:
    """Print rich text: styled on a terminal (through a pager when taller than it), plain otherwise."""
    from rich.console import Console
    from rich.text import Text

    if not _colour_wanted(no_color):
        plain = renderable.plain if isinstance(renderable, Text) else str(renderable)
        click.echo(plain, nl=not plain.endswith("\n"))
        return
    size = shutil.get_terminal_size((100, 40))
    console = Console(force_terminal=True, width=size.columns, highlight=False, soft_wrap=False)
    with console.capture() as captured:
        console.print(renderable, end="")
    styled = captured.get()
    if pager and styled.count("\n") >= size.lines - 1:
        click.echo_via_pager(styled, color=True)
    else:
        click.echo(styled, color=True, nl=not styled.endswith("\n"))


def _version_label(number: int | None, version_id: int) -> str:
    return f"v{number}" if number is not None else f"id:{version_id}"


def change_lines(rows: list[dict], width: int) -> "Text":
    """One heading line per change, its summary wrapped and indented below (no 600-character lines)."""
    from rich.text import Text

    out = Text()
    for r in rows:
        flag = "MATERIAL" if r["material"] else ("cosmetic" if r["cosmetic_only"] else "changed")
        span = f"{_version_label(r['from_number'], r['from_version'])} -> {_version_label(r['to_number'], r['to_version'])}"
        out.append(f"{r['to_time'][:16].replace('T', ' ')}  ", style="dim")
        out.append(f"{r['policy']}  {span}  ", style="bold")
        out.append(flag, style="bold red" if r["material"] else "")
        out.append(f"  severity {r['severity']}\n")
        categories = "[" + ", ".join(r["categories"]) + "] " if r["categories"] else ""
        for line in textwrap.wrap(categories + (r["summary"] or ""), width=max(width - 4, 40)):
            out.append(f"    {line}\n")
    return out


@cli.command()
@click.option("--policy", "policy_ref", help="Only this policy (name or id).")
@click.option("--material", is_flag=True, help="Only material changes.")
@click.option("--since", help="Only changes whose new version was captured on or after this date (YYYY[-MM[-DD]]).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-color", is_flag=True, help="No colour even on a terminal (NO_COLOR=1 does the same).")
@click.pass_context
def changes(ctx: click.Context, policy_ref: str | None, material: bool, since: str | None, fmt: str,
            no_color: bool) -> None:
    """List recorded changes, oldest first (ordered by the new version's capture time).

    Versions are numbered per policy, v1 (oldest) to vN; `diff --from/--to` take these numbers.

    \b
    Examples:
      policywatch changes --material --since 2025-01-01
      policywatch changes --policy zoom --format json
    """
    from policywatch.db.changes import list_changes
    from policywatch.db.policies import get_policy

    db = open_db(ctx, readonly=True)
    policy_id = get_policy(db, policy_ref)["id"] if policy_ref else None
    rows = list_changes(db, policy_id=policy_id, material=material, since=_since(since))
    if fmt == "json":
        click.echo(json.dumps({"changes": rows}, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No changes recorded" + (" matching these filters." if (policy_ref or material or since) else "."))
        return
    emit(change_lines(rows, shutil.get_terminal_size((100, 40)).columns), no_color=no_color)


@cli.command()
@click.argument("policy_ref", metavar="POLICY")
@click.option("--from", "from_ref", help="Older version: its number (3 or v3, see `changes`) or id:N for a database id.")
@click.option("--to", "to_ref", help="Newer version, as --from (default: the latest change).")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "json"]), default="text", show_default=True)
@click.option("--material-only", is_flag=True, help="Show only the material clause changes.")
@click.option("--no-color", is_flag=True, help="No colour even on a terminal (NO_COLOR=1 does the same).")
@click.option("--no-pager", is_flag=True, help="Never page long output on a terminal.")
@click.pass_context
def diff(ctx: click.Context, policy_ref: str, from_ref: str | None, to_ref: str | None, fmt: str,
         material_only: bool, no_color: bool, no_pager: bool) -> None:
    """Show a recorded change of POLICY with word-level redlines.

    Without --from/--to, shows the latest change. With --to only, the change
    that produced that version; with both, any two versions of the policy
    (older first). Versions are numbered v1..vN per policy, as `changes` shows.

    \b
    Examples:
      policywatch diff zoom
      policywatch diff zoom --from 3 --to 5 --material-only
      policywatch diff zoom --to 5 --format html > change.html
    """
    from policywatch.tracker.history import resolve_diff, view_html, view_json, view_text

    view = resolve_diff(open_db(ctx, readonly=True), policy_ref, from_ref, to_ref)
    if fmt == "html":
        click.echo(view_html(view), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(view_json(view, material_only=material_only), indent=2, ensure_ascii=False))
    else:
        emit(view_text(view, material_only=material_only), no_color=no_color, pager=not no_pager)


@cli.command()
@click.option(
    "--out", "out_dir", default="report", show_default=True, type=click.Path(file_okay=False),
    help="Folder to write the report into (created if missing; its pages are regenerated).",
)
@click.pass_context
def report(ctx: click.Context, out_dir: str) -> None:
    """Write a static HTML report: an index of policies, a timeline per policy, a redline per change.

    The pages work offline and without JavaScript; open the printed index.html
    in a browser.

    \b
    Examples:
      policywatch report
      policywatch report --out /var/www/policies
    """
    from policywatch.tracker.report import write_report

    db = open_db(ctx, readonly=True)
    try:
        index = write_report(db, out_dir)
    except OSError as exc:
        raise UsageError(f"Cannot write the report into {out_dir!r}: {exc.strerror or exc}.") from None
    click.echo(str(index.resolve()))
