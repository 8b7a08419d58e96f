"""Commands that read recorded history: changes, diff (and report)."""
from __future__ import annotations

import json
from datetime import date

import click

from policywatch.cli.root import cli, open_db
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


@cli.command()
@click.option("--policy", "policy_ref", help="Only this policy (name or id).")
@click.option("--material", is_flag=True, help="Only material changes.")
@click.option("--since", help="Only changes whose new version was captured on or after this date (YYYY[-MM[-DD]]).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def changes(ctx: click.Context, policy_ref: str | None, material: bool, since: str | None, fmt: str) -> None:
    """List recorded changes, oldest first (ordered by the new version's capture time).

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
    for r in rows:
        flag = "MATERIAL" if r["material"] else ("cosmetic" if r["cosmetic_only"] else "changed")
        cats = ", ".join(r["categories"]) or "-"
        click.echo(
            f"{r['to_time']}  {r['policy']:<16} v{r['from_version']}->v{r['to_version']}  {flag:<8} "
            f"{r['severity']:<6} [{cats}]  {r['summary']}"
        )


@cli.command()
@click.argument("policy_ref", metavar="POLICY")
@click.option("--from", "from_version", type=int, help="Older version id (see `changes`).")
@click.option("--to", "to_version", type=int, help="Newer version id (default: the latest change).")
@click.option("--format", "fmt", type=click.Choice(["text", "html"]), default="text", show_default=True)
@click.pass_context
def diff(ctx: click.Context, policy_ref: str, from_version: int | None, to_version: int | None, fmt: str) -> None:
    """Show a recorded change of POLICY with word-level redlines.

    Without --from/--to, shows the latest change. With --to only, the change
    that produced that version; with both, any two versions of the policy.

    \b
    Examples:
      policywatch diff zoom
      policywatch diff zoom --to 12 --format html > change.html
    """
    from policywatch.tracker.history import show_diff

    db = open_db(ctx, readonly=True)
    click.echo(show_diff(db, policy_ref, from_version, to_version, fmt))


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
