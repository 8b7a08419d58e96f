"""``policywatch schedule run``: a long-running APScheduler 3 process.

Jobs come from ``schedules/jobs.toml`` (see :mod:`schedules.jobs`). Each task
maps to one step of :mod:`schedules.steps` through an explicit dict. Crawl
jobs take the same run lock as ``policywatch run`` (skipping, not queueing,
when a pass is already running) and run Scrapy in a child process.

SIGTERM and SIGINT stop the scheduler gracefully: no new job starts, running
jobs are allowed to finish, then the process exits 0. The handlers go in first
(``GracefulStop.install``, before anything is printed or started); a signal that
arrives at any moment after that is kept in a pipe until the main thread reads
it. The handler itself takes no lock: a signal lands on the main thread wherever
it is, possibly inside a lock that ``scheduler.shutdown()`` or logging needs.
"""
from __future__ import annotations

import logging
import os
import signal
from typing import Any, Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from policywatch.db import runs as runs_db
from policywatch.schedules.jobs import JobSpec, ScheduleSpec, build_trigger
from policywatch.schedules.steps import StepContext, crawl_step, deliver_step, digest_step, health_step, run_pass

log = logging.getLogger(__name__)


def run_crawl_job(ctx: StepContext, job: JobSpec) -> Any:
    """A crawl job: skipped (logged) if another pass holds the lock."""
    try:
        with runs_db.run_lock(ctx.db_path):
            return crawl_step(
                ctx, live=job.live, archive=job.archive, since=job.since, until=job.until,
                policies=job.policies, group=job.group, timeout=job.timeout,
            )
    except runs_db.RunInProgress as exc:
        log.warning("job %s skipped: %s", job.id, exc)
        return None


def run_pass_job(ctx: StepContext, job: JobSpec) -> Any:
    try:
        result = run_pass(
            ctx, live=job.live, archive=job.archive, since=job.since, until=job.until, policies=job.policies,
            group=job.group, timeout=job.timeout,
        )
    except runs_db.RunInProgress as exc:
        log.warning("job %s skipped: %s", job.id, exc)
        return None
    log.info("%s", result.line())
    return result


def run_deliver_job(ctx: StepContext, job: JobSpec) -> Any:
    summary = deliver_step(ctx)
    log.info("job %s: alerts %s", job.id, summary.line())
    return summary


def run_health_job(ctx: StepContext, job: JobSpec) -> Any:
    return health_step(ctx)


def run_digest_job(ctx: StepContext, job: JobSpec) -> Any:
    summary = digest_step(ctx)
    log.info("job %s: digests %s", job.id, summary.line())
    return summary


TASK_FUNCTIONS: dict[str, Callable[[StepContext, JobSpec], Any]] = {
    "crawl": run_crawl_job,
    "run": run_pass_job,
    "deliver": run_deliver_job,
    "health": run_health_job,
    "digest": run_digest_job,
}


def add_jobs(scheduler: BaseScheduler, spec: ScheduleSpec, ctx: StepContext) -> None:
    """Register every job of ``spec`` (ids kept, so logs name them as the file does)."""
    for job in spec.jobs:
        options: dict[str, Any] = {}
        if job.misfire_grace_time is not None:
            options["misfire_grace_time"] = job.misfire_grace_time
        if job.coalesce is not None:
            options["coalesce"] = job.coalesce
        scheduler.add_job(
            TASK_FUNCTIONS[job.task],
            trigger=build_trigger(job, spec.timezone, source=spec.path),
            args=(ctx, job),
            id=job.id,
            name=job.description or f"{job.task}:{job.id}",
            replace_existing=True,
            **options,
        )


def build_scheduler(
    spec: ScheduleSpec, ctx: StepContext, *, scheduler_class: type[BaseScheduler] = BlockingScheduler,
    **scheduler_options: Any,
) -> BaseScheduler:
    """A scheduler with explicit job defaults and the jobs of ``spec`` added."""
    scheduler = scheduler_class(timezone=spec.timezone, job_defaults=spec.job_defaults(), **scheduler_options)
    add_jobs(scheduler, spec, ctx)
    return scheduler


class GracefulStop:
    """SIGTERM/SIGINT from ``install()`` on: recorded, never lost, acted on by ``wait()``'s caller."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)

    def install(self) -> "GracefulStop":
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        return self

    def _on_signal(self, signum: int, _frame: Any) -> None:
        # Lock-free work only (no logging, no scheduler call): see the module docstring.
        self.signum = signum
        try:
            os.write(self._write, b"!")
        except BlockingIOError:  # the pipe is full of earlier signals: one is enough
            pass

    def wait(self) -> int:
        """Block until a signal has arrived (return at once if one already did)."""
        while self.signum is None or not os.read(self._read, 1):
            pass
        return self.signum

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)


def run_scheduler(
    spec: ScheduleSpec, ctx: StepContext, *, on_start: Callable[[BaseScheduler], None] | None = None,
    stop: GracefulStop | None = None,
) -> None:
    """Run ``spec`` until SIGTERM/SIGINT (handlers installed here unless ``stop`` is given)."""
    stop = stop or GracefulStop().install()
    scheduler = build_scheduler(spec, ctx, scheduler_class=BackgroundScheduler)
    for job in spec.jobs:
        log.info("job %s (%s): %s", job.id, job.task, job.cron or f"every {job.interval}")
    if on_start:
        on_start(scheduler)
    if stop.signum is None:
        scheduler.start()  # jobs run on the scheduler's threads; this thread waits for a signal
    signum = stop.wait()
    log.info("received %s: shutting down after running jobs finish", signal.Signals(signum).name)
    if scheduler.running:
        scheduler.shutdown(wait=True)
    stop.close()
    log.info("scheduler stopped")
