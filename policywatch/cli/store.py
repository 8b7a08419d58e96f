"""Commands that manage the store: init, add, list, import, reprocess."""
from __future__ import annotations

import json
import os
import sys

import click

from policywatch.cli.root import cli, open_db


def load_channels(ctx: click.Context) -> list:
    """Alert channels from the config file (none when no config exists)."""
    from policywatch.tracker.config import load_config

    return list(load_config(ctx.obj.get("config_path")).channels)


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the database, or migrate an existing one (idempotent, no data loss).

    \b
    Example:
      policywatch --db policies.db init
    """
    from policywatch.db.schema import migrations

    db = open_db(ctx, migrate=True)
    applied = [m.name for m in migrations.applied(db)]
    click.echo(f"Database {ctx.obj['db_path']} ready ({len(applied)} migrations applied).")


@cli.command()
@click.argument("url")
@click.option("--name", help="Short unique name (default: derived from the host).")
@click.option("--type", "doc_type", default="privacy_policy", show_default=True, help="Document type.")
@click.option("--group", help="Group name, for alert filters and scheduled jobs.")
@click.option("--select", "select_css", help="CSS selector of the policy text, when automatic extraction is wrong.")
@click.option("--remove", "remove_css", help="CSS selector of elements to drop before extraction.")
@click.pass_context
def add(ctx: click.Context, url: str, name: str | None, doc_type: str, group: str | None,
        select_css: str | None, remove_css: str | None) -> None:
    """Track the policy at URL.

    \b
    Example:
      policywatch add https://example.org/privacy --name example
    """
    from policywatch.db.policies import add_policy, list_policies
    from policywatch.errors import UsageError
    from policywatch.tracker.addresses import ALLOW_PRIVATE_SETTING, env_flag, new_url_refusal, same_address

    reason = new_url_refusal(url, allow_private=env_flag(os.environ.get(ALLOW_PRIVATE_SETTING, "0")))
    if reason:
        raise UsageError(f"Cannot track {url}: {reason}" if not reason.startswith(url) else reason)
    db = open_db(ctx, create=True)
    already = [p for p in list_policies(db) if same_address(p["url"], url)]
    policy = add_policy(db, url, name=name, type=doc_type, group=group, select_css=select_css, remove_css=remove_css)
    for other in already:
        if other["id"] != policy["id"]:
            click.echo(f"Warning: {url} is already tracked as {other['name']} (id {other['id']}); "
                       f"now it is tracked twice, also as {policy['name']}.", err=True)
    click.echo(f"Tracking {policy['name']} (id {policy['id']}): {policy['url']}")


def _never_checked(url: str) -> str:
    """An imported folder is not a page to check; a web address simply was not checked yet."""
    return "imported (no live page)" if url.startswith("file:") else "not yet"


@cli.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def list_cmd(ctx: click.Context, fmt: str) -> None:
    """Tracked policies with version counts and their last check."""
    from policywatch.db.policies import list_policies

    rows = list_policies(open_db(ctx, readonly=True))
    if fmt == "json":
        click.echo(json.dumps({"policies": rows}, indent=2))
        return
    if not rows:
        click.echo("No policy is tracked yet: `policywatch add URL --name NAME` or `policywatch import DIR --name NAME`.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "name", "versions", "material", "latest version", "last check", "status", "url")
    for r in rows:
        status = r["tracking_status"] if not r["last_outcome"] else f"{r['tracking_status']} ({r['last_outcome']})"
        table.add_row(str(r["id"]), r["name"], str(r["versions"]), str(r["material_changes"]),
                      r["latest_version_time"] or "-", r["last_checked_at"] or _never_checked(r["url"]), status,
                      r["url"])
    Console().print(table)


def _outcomes(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))


def import_message(name: str, summary) -> str:
    """Counts that add up: every file is new, a known text, already stored or rejected (with why)."""
    rejected = sum(summary.rejected.values())
    earlier = sum(summary.rejected_before.values())
    stored = f"{summary.duplicates} already stored"
    if earlier:
        stored += f" ({earlier} of them rejected by an earlier import: {_outcomes(summary.rejected_before)})"
    return (
        f"Imported {summary.files} files into {name}: {summary.new_versions} new versions, "
        f"{summary.same_text} with the text of a version already known, {stored}, "
        f"{rejected} rejected{' (' + _outcomes(summary.rejected) + ')' if rejected else ''}; "
        f"{summary.changes} changes, {summary.alerts} alerts queued."
    )


@cli.command("import")
@click.argument("directory", type=click.Path(file_okay=False), required=False)
@click.option("--name", required=True, help="Policy name (created if new).")
@click.option("--url", help="The policy's web address, when the policy is new (default: the folder).")
@click.option("--warc", "warc", type=click.Path(dir_okay=False), help="Import this WARC file instead of a folder.")
@click.option("--url-filter", help="With --warc: a regular expression selecting the records' URLs (default: the policy's URL).")
@click.pass_context
def import_cmd(ctx: click.Context, directory: str | None, name: str, url: str | None, warc: str | None,
               url_filter: str | None) -> None:
    """Ingest a folder of dated files (or a WARC file) as versions of one policy.

    Files are named by their UTC capture time, YYYY-MM-DDTHH-MM-SSZ.md (or .txt,
    .html, .pdf); ':' is accepted in place of '-' in the time. Every file is checked
    before anything is written; importing the same folder twice adds nothing.
    The first import of a policy records its history without raising alerts.

    With --warc, the response (and revisit) records of the policy's URL go through
    the same ingest as a crawl (source `warc`). A corrupt or truncated record is
    reported on stderr, the good records are kept, and the exit code is 2.

    \b
    Examples:
      policywatch import ../shared/corpus/zoom --name zoom
      policywatch import --warc crawl.warc.gz --name example --url https://example.org/privacy
    """
    if (directory is None) == (warc is None):
        raise click.UsageError("Give either a DIRECTORY or --warc FILE.")
    if warc is not None:
        from policywatch.cli.archive import import_warc_file

        import_warc_file(ctx, warc, name, url=url, url_filter=url_filter)
        return
    if url_filter:
        raise click.UsageError("--url-filter only applies to --warc.")
    assert directory is not None  # one of the two, checked above
    from rich.progress import Progress

    from policywatch.tracker.folder_import import import_directory

    from pathlib import Path

    from policywatch.errors import UsageError

    if not Path(directory).exists():
        raise UsageError(f"{directory} does not exist; give the folder of dated version files to import.")
    db = open_db(ctx, create=True)
    channels = load_channels(ctx)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(f"Importing {name}", total=None)
        summary = import_directory(
            db, directory, name, url=url, channels=channels,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    click.echo(import_message(name, summary))


@cli.command()
@click.option("--policy", "policy_ref", help="Only this policy (name or id).")
@click.pass_context
def reprocess(ctx: click.Context, policy_ref: str | None) -> None:
    """Re-extract every stored raw capture with the current extractor.

    Versions that differ only because extraction changed are recorded as
    technical upgrades and never alert.
    """
    from policywatch.tracker.reprocess import reprocess as run_reprocess

    db = open_db(ctx)
    for line in run_reprocess(db, policy_ref):
        click.echo(line)
