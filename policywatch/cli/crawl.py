"""Commands: ``crawl`` (live pages and the Wayback Machine) and ``discover``.

``crawl`` builds its request with ``crawler.request.build_crawl_request`` (as
``run`` and the scheduler do) and hands it to ``crawler.runner``, which runs
Scrapy in a subprocess; a summary line is printed at the end, with a rich progress display
when stdout is a terminal.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import click

from policywatch.cli.root import cli, open_db


def _progress_display() -> tuple[Any, Callable[[dict[str, Any]], None] | None]:
    """A rich status line (policies, CDX pages, captures, errors, budget waits), only on a terminal."""
    if not sys.stdout.isatty():
        return None, None
    from rich.console import Console

    console = Console()
    status = console.status("crawling...")
    counts = {"listings": 0, "done": 0, "pages": 0, "captures": 0, "stored": 0, "new": 0, "errors": 0}
    state: dict[str, Any] = {"wait": ""}
    failures = {"network_error", "http_error", "archive_error", "digest_mismatch", "blocked_by_archive", "too_large"}

    def update(event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "plan":
            counts["listings"] += int(event.get("listings", 0))
        elif kind == "cdx":
            counts["pages"] += 1
        elif kind == "policy_done":
            counts["done"] += 1
        elif kind == "wait":
            state["wait"] = f", waiting {event.get('seconds', 0):.0f}s for the {event.get('key')} budget"
        elif kind == "unreachable":
            console.print(event.get("detail", "nothing reachable"))
        elif kind == "capture":
            counts["captures"] += 1
            counts["stored"] += int(not event.get("duplicate"))
            counts["new"] += int(bool(event.get("new_version")))
            counts["errors"] += int(event.get("outcome") in failures)
            state["wait"] = ""
        listings = f"{counts['done']}/{counts['listings']} archive URLs, " if counts["listings"] else ""
        status.update(
            f"crawling... {listings}{counts['pages']} CDX pages, {counts['captures']} captures "
            f"({counts['stored']} stored, {counts['new']} new versions, {counts['errors']} errors){state['wait']}"
        )

    return status, update


@cli.command()
@click.option("--live", is_flag=True, help="Fetch the current page of each policy.")
@click.option("--archive", is_flag=True, help="Backfill from the Wayback Machine (env POLICYWATCH_WAYBACK_URL).")
@click.option("--since", help="Archive captures from this date: YYYY, YYYYMM or YYYYMMDD.")
@click.option("--until", help="Archive captures up to this date: YYYY, YYYYMM or YYYYMMDD.")
@click.option("--policy", "policies", multiple=True, help="Policy name or id (repeatable); default: all.")
@click.option("--save", is_flag=True, help="Ask Save Page Now to archive live pages whose text changed.")
@click.option("--shard", default="0/1", show_default=True, metavar="K/N",
              help="Only policies with id % N == K (split a crawl over machines).")
@click.pass_context
def crawl(ctx: click.Context, live: bool, archive: bool, since: str | None, until: str | None,
          policies: tuple[str, ...], save: bool, shard: str) -> None:
    """Run the spiders and ingest what they fetch (neither --live nor --archive means both).

    Exit status 1 when the crawl process ended abnormally (killed, sink unusable):
    everything stored is kept, and re-running resumes. Exit status 69 when requests
    were sent and none was answered (no network, DNS, a server that never answers).

    \b
    Examples:
      policywatch crawl                      # live check + archive backfill of every policy
      policywatch crawl --archive --since 2020 --policy example
    """
    from policywatch.crawler.request import build_crawl_request
    from policywatch.crawler.runner import run_request

    request = build_crawl_request(ctx.obj["db_path"], live=live, archive=archive, since=since, until=until,
                                  policies=policies, config_path=ctx.obj["config_path"], save=save, shard=shard)
    if request.policies is None:
        from policywatch.db.crawl_state import policies_for_crawl

        db = open_db(ctx)  # exit 2 on a missing database
        if not policies_for_crawl(db, shard=request.shard, shards=request.shards):
            click.echo("Nothing is tracked: add a policy first (policywatch add URL, or policywatch discover SITE).")
            return
    status, progress = _progress_display()
    if status is not None:
        status.start()
    try:
        summary = run_request(request, progress=progress)
    finally:
        if status is not None:
            status.stop()
    click.echo(summary.line())
    if summary.unreachable or summary.returncode == 69:
        click.echo(f"Could not reach anything: {summary.unreachable or 'no request was answered'}", err=True)
        sys.exit(69)
    if summary.returncode != 0:
        click.echo(f"Crawl ended abnormally (exit {summary.returncode}); re-run to resume.", err=True)
        sys.exit(1)


@cli.command()
@click.argument("url")
@click.option("--at", help="Use the home page as archived at this date (YYYYMMDD).")
@click.option("--name", help="Name of the new policy (default: from the host).")
@click.pass_context
def discover(ctx: click.Context, url: str, at: str | None, name: str | None) -> None:
    """Find the privacy policy linked from a site's home page and track it."""
    from policywatch.crawler.runner import check_stamp, run_discover

    check_stamp(at, "--at")
    open_db(ctx)
    summary = run_discover(ctx.obj["db_path"], url, at=at, name=name)
    if not summary.discovered:
        from policywatch.errors import InputError

        where = url + (f" as archived at {at}" if at else "")
        raise InputError(f"No privacy policy was added from {where}: no working policy link found, "
                         "or the name is taken (see the messages above).")
    click.echo(summary.line())
