"""The steps of a scheduled pass: crawl, health check, alert delivery, digest.

Both ``policywatch run`` (one pass, for cron) and the jobs of ``policywatch
schedule run`` call these. Each step opens its own database connection and is
idempotent, so a pass killed anywhere is simply repeated by the next one
(docs/DESIGN.md: "crawl -> ingest -> alert, each step resumable and idempotent").

Crawls are described by one ``crawler.request.CrawlRequest`` (built by
``build_crawl_request``, as ``policywatch crawl`` builds its own) and run by
``crawler.runner.run_request``, which runs Scrapy in a child process (Scrapy's
reactor cannot be restarted in-process). The crawl function, the alert senders
and the clock are injectable for tests.
"""
from __future__ import annotations

import dataclasses
import logging
import subprocess
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from policywatch.crawler.request import CrawlRequest, build_crawl_request
from policywatch.db import runs as runs_db
from policywatch.db.connection import open_database
from policywatch.tracker.alerts.clock import resolve, stamp
from policywatch.tracker.alerts.delivery import DeliverySummary, send_pending
from policywatch.tracker.alerts.digest import send_digests
from policywatch.tracker.alerts.health import check_health
from policywatch.tracker.alerts.sender import Sender
from policywatch.tracker.config import Config, load_config

log = logging.getLogger(__name__)
CrawlFunction = Callable[..., Any]


def default_crawl(db_path: str, **fields: Any) -> Any:
    """``crawler.runner.run_request`` on the request whose fields these are (nothing re-validated)."""
    from policywatch.crawler.request import CrawlRequest
    from policywatch.crawler.runner import run_request

    fields["policies"] = tuple(fields.get("policies") or ()) or None
    return run_request(CrawlRequest(db_path=db_path, **fields))


@dataclass
class StepContext:
    """Where and how the steps run; every external effect is a field (a seam)."""

    db_path: str
    config_path: str | None = None
    crawl: CrawlFunction | None = None  # called as crawl(db_path, **request.crawl_kwargs()); None: default_crawl
    senders: Mapping[str, Sender] | None = None
    clock: Callable[[], datetime] | None = None

    def now(self) -> datetime:
        return resolve(self.clock() if self.clock else None)

    def config(self) -> Config:
        """Re-read on every step, so a long-running scheduler picks up edits."""
        return load_config(self.config_path)


@dataclass
class PassResult:
    """What one ``policywatch run`` pass did, for its summary line and ``runs`` row."""

    run_id: int | None = None
    crawl: Any = None
    crawl_error: str | None = None
    material_changes: int = 0
    health_alerts: int = 0
    delivery: DeliverySummary = field(default_factory=DeliverySummary)

    @property
    def ok(self) -> bool:
        return self.crawl_error is None

    def line(self) -> str:
        crawl = "crawl failed: " + self.crawl_error if self.crawl_error else f"crawl: {describe(self.crawl)}"
        return (
            f"run {self.run_id}: {crawl}; material changes {self.material_changes}; "
            f"health alerts {self.health_alerts}; alerts {self.delivery.line()}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "crawl": summary_json(self.crawl),
            "crawl_error": self.crawl_error,
            "material_changes": self.material_changes,
            "health_alerts": self.health_alerts,
            "alerts": {"sent": self.delivery.sent, "failed": self.delivery.failed, "held": self.delivery.held,
                       "pending": self.delivery.pending},
        }


def describe(summary: Any) -> str:
    """A short text for a CrawlSummary whose exact shape belongs to the crawler."""
    if summary is None:
        return "skipped"
    for name in ("line", "summary_line"):
        method = getattr(summary, name, None)
        if callable(method):
            return str(method())
    data = summary_json(summary)
    if isinstance(data, dict):
        return ", ".join(f"{k} {v}" for k, v in data.items() if isinstance(v, (int, float, str)) and v != "")
    return str(summary)


def summary_json(summary: Any) -> Any:
    if dataclasses.is_dataclass(summary) and not isinstance(summary, type):
        return dataclasses.asdict(summary)
    if isinstance(summary, Mapping):
        return dict(summary)
    return None if summary is None else str(summary)


def crawl_request(
    ctx: StepContext,
    *,
    live: bool = True,
    archive: bool = False,
    since: str | None = None,
    until: str | None = None,
    policies: Sequence[str | int] | None = None,
    group: str | None = None,
    timeout: float | None = None,
) -> CrawlRequest:
    """The request for this context's database and config (``build_crawl_request``: names,
    group, stamps and config resolved and checked in that one place)."""
    return build_crawl_request(
        ctx.db_path, live=live, archive=archive, since=since, until=until, policies=policies, group=group,
        config_path=ctx.config_path, timeout=timeout,
    )


def crawl_step(ctx: StepContext, request: CrawlRequest | None = None, **inputs: Any) -> Any:
    """Crawl (in a child process) a request, or the one ``crawl_request(ctx, **inputs)`` builds.

    A group that selects no policy is not a crawl of everything: it is skipped (None).
    """
    if request is None:
        request = crawl_request(ctx, **inputs)
    if request.selects_nothing:
        log.info("no policies selected: nothing to crawl")
        return None
    crawl = ctx.crawl or default_crawl
    return crawl(request.db_path, **request.crawl_kwargs())


def health_step(ctx: StepContext) -> list[str]:
    db = open_database(ctx.db_path)
    try:
        return check_health(db, ctx.config(), now=ctx.now())
    finally:
        db.close()


def deliver_step(ctx: StepContext) -> DeliverySummary:
    """Health check first (it may queue alerts), then send what is due."""
    db = open_database(ctx.db_path)
    try:
        config = ctx.config()
        check_health(db, config, now=ctx.now())
        return send_pending(db, config, now=ctx.now(), senders=ctx.senders)
    finally:
        db.close()


def digest_step(ctx: StepContext) -> DeliverySummary:
    db = open_database(ctx.db_path)
    try:
        return send_digests(db, ctx.config(), now=ctx.now(), senders=ctx.senders)
    finally:
        db.close()


def run_pass(ctx: StepContext, request: CrawlRequest | None = None, **inputs: Any) -> PassResult:
    """One full pass under the run lock: crawl, health check, delivery; recorded in ``runs``.

    ``request`` was built (and checked) by the caller, as ``policywatch run`` does;
    without it ``crawl_request(ctx, **inputs)`` builds it inside the pass, so a bad
    policy name in a scheduled job is a recorded crawl failure.

    Raises ``db.runs.RunInProgress`` without doing anything if a pass is running.
    A failed crawl does not stop alert delivery (alerts already queued still go out).
    """
    config = ctx.config()  # a broken config fails before any work
    with runs_db.run_lock(ctx.db_path):
        db = open_database(ctx.db_path)
        try:
            started = stamp(ctx.now())
            abandoned = runs_db.close_abandoned_runs(db, finished_at=started)  # passes killed earlier
            if abandoned:
                log.warning("%d earlier pass(es) never finished (killed?): marked abandoned", abandoned)
            run_id = runs_db.start_run(db, "run", started_at=started)
            result = PassResult(run_id=run_id)
            try:
                result.crawl = crawl_step(ctx, request, **inputs)
            except subprocess.TimeoutExpired as exc:
                result.crawl_error = f"crawl killed after the {exc.timeout:g} s timeout (re-run to resume)"
                log.error("%s", result.crawl_error)
            except Exception as exc:  # recorded, reported, and the pass goes on to alerts
                result.crawl_error = f"{type(exc).__name__}: {exc}"
                log.error("crawl failed:\n%s", traceback.format_exc())
            except BaseException:  # Ctrl-C / SIGTERM: the crawl child is killed; say so in `runs`
                runs_db.finish_run(db, run_id, status="interrupted", finished_at=stamp(ctx.now()),
                                   summary=result.to_json())
                raise
            else:
                code = getattr(result.crawl, "returncode", 0)
                if code:  # 69: nothing was reachable, said in one line by the crawl itself
                    result.crawl_error = (getattr(result.crawl, "unreachable", None)
                                          or f"crawler exited with status {code}")
            result.material_changes = runs_db.material_changes_since(db, started)
            result.health_alerts = len(check_health(db, config, now=ctx.now()))
            result.delivery = send_pending(db, config, now=ctx.now(), senders=ctx.senders)
            runs_db.finish_run(
                db, run_id, status="ok" if result.ok else "crawl_failed",
                finished_at=stamp(ctx.now()), summary=result.to_json(),
            )
            return result
        finally:
            db.close()
