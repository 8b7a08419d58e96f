"""Command: ``run``, one scheduled pass for cron (crawl, ingest, health check, alerts).

It builds its crawl request with ``crawler.request.build_crawl_request`` (the
same function ``crawl`` and the scheduler use) and calls ``schedules.steps.run_pass``.
Exits with ``EXIT_RUN_IN_PROGRESS`` (75, EX_TEMPFAIL from sysexits.h) when another
pass holds the database's run lock, so cron wrappers can tell "skipped, try
later" from success (0), ``--fail-on-material`` (1) and bad usage (2).
"""
from __future__ import annotations

import sys

import click

from policywatch.cli.root import cli, configure_logging, open_db

EXIT_RUN_IN_PROGRESS = 75


@cli.command("run")
@click.option("--live/--no-live", default=True, show_default=True, help="Check the live pages.")
@click.option("--archive/--no-archive", default=False, show_default=True, help="Backfill from the Wayback Machine.")
@click.option("--since", help="Archive captures from this date: YYYY, YYYYMM or YYYYMMDD.")
@click.option("--until", help="Archive captures up to this date: YYYY, YYYYMM or YYYYMMDD.")
@click.option("--policy", "policies", multiple=True, help="Only this policy (name or id); repeatable.")
@click.option("--group", default=None, help="Only the policies of this policy group.")
@click.option("--timeout", type=click.FloatRange(min=1), default=None, help="Kill the crawl after this many seconds.")
@click.option("--fail-on-material", is_flag=True, help="Exit 1 if the pass recorded a material change.")
@click.pass_context
def run_command(
    ctx: click.Context, live: bool, archive: bool, since: str | None, until: str | None,
    policies: tuple[str, ...], group: str | None, timeout: float | None, fail_on_material: bool,
) -> None:
    """One scheduled pass for cron: crawl, ingest, health check, deliver alerts.

    Refuses to overlap a running pass on the same database: exits 75 (EX_TEMPFAIL)
    at once, doing nothing. Each pass is recorded in the `runs` table.
    """
    from policywatch.db.runs import RunInProgress
    from policywatch.errors import UsageError
    from policywatch.schedules.steps import StepContext, crawl_request, run_pass

    if not (live or archive):
        raise UsageError("Nothing to crawl: give --live and/or --archive.")
    configure_logging()
    open_db(ctx).close()  # a missing database is exit 2 before any lock is taken
    step_ctx = StepContext(db_path=ctx.obj["db_path"], config_path=ctx.obj["config_path"])
    # Unknown policy, bad stamp or bad config: exit 2 now, before the lock.
    request = crawl_request(step_ctx, live=live, archive=archive, since=since, until=until,
                            policies=policies or None, group=group, timeout=timeout)
    try:
        result = run_pass(step_ctx, request)
    except RunInProgress as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_RUN_IN_PROGRESS)
    for error in result.delivery.errors:
        click.echo(f"warning: {error}", err=True)
    click.echo(result.line())
    if fail_on_material and result.material_changes:
        sys.exit(1)
