"""Command: ``schedule run``, the long-running scheduler (APScheduler) as an alternative to cron.

The jobs file is ``--jobs PATH``; ``--config PATH`` on ``schedule run`` is its
deprecated old spelling (docs/DESIGN.md's CLI contract lists it), kept working
with a one-line warning. The global ``policywatch --config`` is always the
policywatch.toml with the alert channels, never the jobs file.
"""
from __future__ import annotations

import click

from policywatch.cli.root import cli, configure_logging, open_db

DEPRECATED_CONFIG = "warning: `schedule run --config` is deprecated (it names the jobs file): use `--jobs`."


@cli.group()
def schedule() -> None:
    """The long-running scheduler (APScheduler) as an alternative to cron."""


@schedule.command("run")
@click.option(
    "--jobs", "jobs_path", default=None, type=click.Path(dir_okay=False),
    help="Jobs file (default: the packaged schedules/jobs.toml).",
)
@click.option(
    "--config", "deprecated_jobs_path", default=None, type=click.Path(dir_okay=False), hidden=True,
    help="Deprecated spelling of --jobs.",
)
@click.option("--dry-run", is_flag=True, help="Print each job's next fire times and exit.")
@click.pass_context
def schedule_run(ctx: click.Context, jobs_path: str | None, deprecated_jobs_path: str | None, dry_run: bool) -> None:
    """Run the jobs of schedules/jobs.toml until SIGTERM or Ctrl-C.

    Crawls run in a child process and share `policywatch run`'s lock; jobs
    default to coalesce, one instance at a time and a 1 h misfire grace.
    The alert channels come from the global --config (policywatch.toml).
    """
    from policywatch.errors import UsageError
    from policywatch.schedules.jobs import build_trigger, load_jobs, next_fire_times
    from policywatch.schedules.runner import GracefulStop, run_scheduler
    from policywatch.schedules.steps import StepContext
    from policywatch.tracker.alerts.clock import utcnow
    from policywatch.tracker.config import load_config

    if deprecated_jobs_path is not None:
        if jobs_path is not None:
            raise UsageError("Give the jobs file once: --jobs (the deprecated --config is the same option).")
        click.echo(DEPRECATED_CONFIG, err=True)
        jobs_path = deprecated_jobs_path
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
    configure_logging()
    click.echo(f"policywatch scheduler: {len(spec.jobs)} job(s) from {spec.path}; stop with SIGTERM or Ctrl-C", err=True)
    run_scheduler(spec, StepContext(db_path=ctx.obj["db_path"], config_path=ctx.obj["config_path"]), stop=stop)
