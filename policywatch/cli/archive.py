"""Archival interchange: `policywatch export --warc` and the WARC side of `policywatch import`."""
from __future__ import annotations

import os
import sys

import click

from policywatch.cli.root import cli, open_db


@cli.command()
@click.option("--warc", "out", required=True, type=click.Path(dir_okay=False), help="WARC file to write (gzipped per record).")
@click.option("--policy", "policy_ref", help="Only this policy (name or id).")
@click.option("--since", help="Only captures taken on or after this date (YYYY[-MM[-DD]]).")
@click.pass_context
def export(ctx: click.Context, out: str, policy_ref: str | None, since: str | None) -> None:
    """Write every stored raw capture to a WARC file (ISO 28500).

    Each capture becomes a `response` record with the HTTP status line and
    headers recorded at capture time and the capture time as WARC-Date; a body
    stored before becomes a `revisit`. Archive captures keep their Wayback time
    and original URL, and name their replay in WARC-Source-URI.

    \b
    Example:
      policywatch export --warc policies.warc.gz --policy example --since 2024
    """
    from policywatch.cli.history import _since
    from policywatch.tracker.warc_io import export_warc

    db = open_db(ctx, readonly=True)
    base = os.environ.get("POLICYWATCH_WAYBACK_URL") or "https://web.archive.org"
    count = export_warc(db, out, policy_ref=policy_ref, since=_since(since), archive_base=base)
    click.echo(f"Wrote {count} captures to {out}.")


def import_warc_file(ctx: click.Context, warc: str, name: str, *, url: str | None, url_filter: str | None) -> None:
    """`policywatch import --warc`: summary on stdout, each bad record on stderr, exit 2 if any."""
    from rich.progress import Progress

    from policywatch.cli.store import load_channels
    from policywatch.tracker.warc_io import import_warc

    db = open_db(ctx, create=True)
    channels = load_channels(ctx)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(f"Importing {name}", total=None)
        summary = import_warc(
            db, warc, name, url=url, url_filter=url_filter, channels=channels,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    rejected = ", ".join(f"{n} {k}" for k, n in sorted(summary.rejected.items())) or "none"
    click.echo(
        f"Imported {summary.files} WARC records into {name} ({summary.skipped} of other URLs skipped): "
        f"{summary.new_versions} new versions, {summary.duplicates} already stored, rejected: {rejected}; "
        f"{summary.changes} changes, {summary.alerts} alerts queued."
    )
    for line in summary.notices + summary.problems:
        click.echo(f"{'Error' if line in summary.problems else 'Note'}: {line}", err=True)
    if summary.problems:
        sys.exit(2)
