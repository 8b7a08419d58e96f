"""Commands: ``alerts send``, ``alerts list``, ``run`` and ``schedule run``.

They parse arguments and call the library (``tracker.alerts``, ``schedules``).
``run`` exits with ``EXIT_RUN_IN_PROGRESS`` (75, EX_TEMPFAIL from sysexits.h)
when another pass holds the database's run lock, so cron wrappers can tell
"skipped, try later" from success (0), ``--fail-on-material`` (1) and bad
usage (2).
"""
from __future__ import annotations

import json
import sys

import click

from policywatch.cli.root import cli, open_db

EXIT_RUN_IN_PROGRESS = 75


@cli.group()
def alerts() -> None:
    """The alert outbox: deliver due alerts, show what is queued or sent."""


@alerts.command("send")
@click.option("--digest", is_flag=True, help='Send daily digests (channels with digest = "daily") instead.')
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Send at most this many alerts.")
@click.pass_context
def alerts_send(ctx: click.Context, digest: bool, limit: int | None) -> None:
    """Deliver due alerts (after a health check); prints "sent N, failed M, pending K".

    Failed deliveries are retried by later runs with exponential backoff; each
    attempt is recorded (see `policywatch alerts list`).
    """
    from policywatch.tracker.alerts.delivery import send_pending
    from policywatch.tracker.alerts.digest import send_digests
    from policywatch.tracker.alerts.health import check_health
    from policywatch.tracker.config import load_config

    config = load_config(ctx.obj["config_path"])
    db = open_db(ctx)
    if digest:
        summary = send_digests(db, config)
    else:
        check_health(db, config)
        summary = send_pending(db, config, limit=limit)
    for error in summary.errors:
        click.echo(f"warning: {error}", err=True)
    if summary.skipped:
        click.echo(
            f"warning: {summary.skipped} due alert(s) belong to channels not in the current config; kept pending",
            err=True,
        )
    click.echo(summary.line())


@alerts.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "failed"]), default=None)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=None)
@click.pass_context
def alerts_list(ctx: click.Context, status: str | None, fmt: str, limit: int | None) -> None:
    """Show the outbox: one line per (change, channel) alert with its delivery state."""
    from policywatch.db.alerts import list_alerts

    rows = list_alerts(open_db(ctx), status=status, limit=limit)
    if fmt == "json":
        click.echo(json.dumps({"alerts": rows}, indent=2))
        return
    if not rows:
        click.echo("No alerts." if status is None else f"No {status} alerts.")
        return
    for row in rows:
        if row["status"] == "sent":
            when = f"sent {row['sent_at']}"
        elif row["status"] == "pending":
            when = f"next try {row['next_attempt_at']}"
        elif row["status"] == "sending":
            when = f"claimed until {row['next_attempt_at']}"
        else:
            when = "gave up"
        what = f"change {row['change_id']} ({row['severity']})" if row["change_id"] else row["kind"]
        line = (
            f"{row['id'][:12]}  {row['status']:<8} {row['policy']:<20} {what:<24} "
            f"{row['channel']}  attempts {row['attempts']}  {when}"
        )
        if row["last_error"] and row["status"] != "sent":
            line += f"  last error: {row['last_error']}"
        click.echo(line)


@cli.command("run")
@click.option("--live/--no-live", default=True, show_default=True, help="Check the live pages.")
@click.option("--archive/--no-archive", default=False, show_default=True, help="Backfill from the Wayback Machine.")
@click.option("--policy", "policies", multiple=True, help="Only this policy (name or id); repeatable.")
@click.option("--group", default=None, help="Only the policies of this policy group.")
@click.option("--timeout", type=click.FloatRange(min=1), default=None, help="Kill the crawl after this many seconds.")
@click.option("--fail-on-material", is_flag=True, help="Exit 1 if the pass recorded a material change.")
@click.pass_context
def run_command(
    ctx: click.Context, live: bool, archive: bool, policies: tuple[str, ...], group: str | None,
    timeout: float | None, fail_on_material: bool,
) -> None:
    """One scheduled pass for cron: crawl, ingest, health check, deliver alerts.

    Refuses to overlap a running pass on the same database: exits 75 (EX_TEMPFAIL)
    at once, doing nothing. Each pass is recorded in the `runs` table.
    """
    from policywatch.db.runs import RunInProgress
    from policywatch.errors import UsageError
    from policywatch.schedules.steps import StepContext, policy_ids, run_pass

    if not (live or archive):
        raise UsageError("Nothing to crawl: give --live and/or --archive.")
    _configure_logging()
    open_db(ctx).close()  # a missing database is exit 2 before any lock is taken
    policy_ids(ctx.obj["db_path"], policies=policies, group=None)  # unknown policy: exit 2 now
    step_ctx = StepContext(db_path=ctx.obj["db_path"], config_path=ctx.obj["config_path"])
    try:
        result = run_pass(
            step_ctx, live=live, archive=archive, policies=list(policies) or None, group=group, timeout=timeout
        )
    except RunInProgress as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_RUN_IN_PROGRESS)
    for error in result.delivery.errors:
        click.echo(f"warning: {error}", err=True)
    click.echo(result.line())
    if fail_on_material and result.material_changes:
        sys.exit(1)


@cli.group()
def schedule() -> None:
    """The long-running scheduler (APScheduler) as an alternative to cron."""


@schedule.command("run")
@click.option(
    "--config", "jobs_path", default=None, type=click.Path(dir_okay=False),
    help="Jobs file (default: the packaged schedules/jobs.toml).",
)
@click.option("--dry-run", is_flag=True, help="Print each job's next fire times and exit.")
@click.pass_context
def schedule_run(ctx: click.Context, jobs_path: str | None, dry_run: bool) -> None:
    """Run the jobs of schedules/jobs.toml until SIGTERM or Ctrl-C.

    Crawls run in a child process and share `policywatch run`'s lock; jobs
    default to coalesce, one instance at a time and a 1 h misfire grace.
    """
    from policywatch.schedules.jobs import build_trigger, load_jobs, next_fire_times
    from policywatch.schedules.runner import GracefulStop, run_scheduler
    from policywatch.schedules.steps import StepContext
    from policywatch.tracker.alerts.clock import utcnow
    from policywatch.tracker.config import load_config

    spec = load_jobs(jobs_path)
    load_config(ctx.obj["config_path"])  # fail now on a bad alerts config, not at the first job
    if dry_run:
        now = utcnow().astimezone(spec.timezone)
        for job in spec.jobs:
            times = next_fire_times(build_trigger(job, spec.timezone), now, 3)
            click.echo(f"{job.id} ({job.task}): " + ", ".join(t.isoformat() for t in times))
        return
    stop = GracefulStop().install()  # first: a SIGTERM from here on stops the scheduler cleanly
    open_db(ctx).close()
    _configure_logging()
    click.echo(f"policywatch scheduler: {len(spec.jobs)} job(s) from {spec.path}; stop with SIGTERM or Ctrl-C", err=True)
    run_scheduler(spec, StepContext(db_path=ctx.obj["db_path"], config_path=ctx.obj["config_path"]), stop=stop)


def _configure_logging() -> None:
    import logging

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
