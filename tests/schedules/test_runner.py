"""The APScheduler runner, driven by a controlled clock (no sleeping):
cron jobs fire on time, misfire grace is respected, missed slots coalesce,
tasks dispatch to the steps, crawl jobs respect the run lock, SIGTERM stops."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler

import apscheduler.executors.base as executors_base
import apscheduler.triggers.interval as interval_trigger
import apscheduler.schedulers.base as schedulers_base
from policywatch.db import runs as runs_db
from policywatch.db.connection import open_database
from policywatch.schedules.jobs import parse_jobs
from policywatch.schedules.runner import build_scheduler
from policywatch.schedules.steps import StepContext

UTC = dt.timezone.utc
SATURDAY_NIGHT = dt.datetime(2024, 5, 4, 23, 0, tzinfo=UTC)  # 2024-05-05 is a Sunday


class Clock:
    """The controlled clock, installed where APScheduler 3 reads the time."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    state = Clock(SATURDAY_NIGHT)

    class FrozenDatetime(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return state.now.astimezone(tz) if tz else state.now.replace(tzinfo=None)

    monkeypatch.setattr(schedulers_base, "datetime", FrozenDatetime)
    monkeypatch.setattr(executors_base, "datetime", FrozenDatetime)
    monkeypatch.setattr(interval_trigger, "datetime", FrozenDatetime)  # interval start = now + interval
    return state


class ManualScheduler(BaseScheduler):
    """A scheduler that only processes jobs when the test says so."""

    def shutdown(self, wait=True):
        super().shutdown(wait)

    def wakeup(self):
        pass

    def tick(self):
        return self._process_jobs()


@pytest.fixture
def db_path(tmp_path) -> str:
    path = tmp_path / "sched.db"
    open_database(path, create=True).close()
    return str(path)


def start(spec, ctx, events):
    scheduler = build_scheduler(spec, ctx, scheduler_class=ManualScheduler, executors={"default": DebugExecutor()})
    scheduler.add_listener(lambda e: events.append((e.code, e.job_id, e.scheduled_run_time)), EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    scheduler.start()
    return scheduler


def crawl_recorder(calls):
    def crawl(db_path, **kwargs):
        calls.append(kwargs)
        return {"captures": 1}

    return crawl


def test_cron_job_fires_sunday_at_three(clock, db_path):
    calls, events = [], []
    spec = parse_jobs({"jobs": [{"id": "backfill", "task": "crawl", "archive": True, "live": False, "cron": "0 3 * * 0"}]})
    scheduler = start(spec, StepContext(db_path=db_path, crawl=crawl_recorder(calls)), events)
    assert scheduler.get_job("backfill").next_run_time == dt.datetime(2024, 5, 5, 3, 0, tzinfo=UTC)
    clock.advance(hours=3, minutes=59)  # Sunday 02:59
    scheduler.tick()
    assert calls == []
    clock.advance(minutes=1)  # Sunday 03:00
    scheduler.tick()
    assert len(calls) == 1 and calls[0]["archive"] is True and calls[0]["live"] is False
    assert events == [(EVENT_JOB_EXECUTED, "backfill", dt.datetime(2024, 5, 5, 3, 0, tzinfo=UTC))]
    assert scheduler.get_job("backfill").next_run_time == dt.datetime(2024, 5, 12, 3, 0, tzinfo=UTC)
    scheduler.shutdown()


def test_late_job_runs_within_misfire_grace(clock, db_path):
    """The explicit default grace (3600 s): a job 30 minutes late still runs."""
    calls, events = [], []
    spec = parse_jobs({"jobs": [{"id": "live", "task": "crawl", "cron": "0 0 * * *"}]})
    scheduler = start(spec, StepContext(db_path=db_path, crawl=crawl_recorder(calls)), events)
    clock.advance(hours=1, minutes=30)  # due at 00:00, processed at 00:30 (suspend, busy host)
    scheduler.tick()
    assert len(calls) == 1 and events[0][0] == EVENT_JOB_EXECUTED
    scheduler.shutdown()


def test_too_late_job_is_missed_not_run(clock, db_path):
    calls, events = [], []
    spec = parse_jobs({"scheduler": {"misfire_grace_time": 60},
                       "jobs": [{"id": "live", "task": "crawl", "cron": "0 0 * * *"}]})
    scheduler = start(spec, StepContext(db_path=db_path, crawl=crawl_recorder(calls)), events)
    clock.advance(hours=1, minutes=30)
    scheduler.tick()
    assert calls == [] and events[0][:2] == (EVENT_JOB_MISSED, "live")
    scheduler.shutdown()


def test_missed_slots_coalesce_into_one_run(clock, db_path):
    calls, events = [], []
    spec = parse_jobs({"jobs": [{"id": "often", "task": "crawl", "interval": "10m"}]})
    scheduler = start(spec, StepContext(db_path=db_path, crawl=crawl_recorder(calls)), events)
    clock.advance(minutes=45)  # four slots passed while the process was stopped
    scheduler.tick()
    assert len(calls) == 1
    scheduler.shutdown()


def test_crawl_job_skips_while_a_pass_holds_the_lock(clock, db_path):
    calls, events = [], []
    spec = parse_jobs({"jobs": [{"id": "live", "task": "crawl", "interval": "5m"}]})
    scheduler = start(spec, StepContext(db_path=db_path, crawl=crawl_recorder(calls)), events)
    with runs_db.run_lock(db_path):
        clock.advance(minutes=5)
        scheduler.tick()
    assert calls == []
    clock.advance(minutes=5)
    scheduler.tick()
    assert len(calls) == 1
    scheduler.shutdown()


def test_group_job_crawls_only_that_group(clock, db_path):
    db = open_database(db_path)
    for name, group in (("a", "social"), ("b", "news"), ("c", "social")):
        db.execute("INSERT INTO policies (name, url, policy_group, created_at) VALUES (?, ?, ?, 'x')",
                   [name, f"https://{name}.test/p", group])
    calls, events = [], []
    spec = parse_jobs({"jobs": [{"id": "social", "task": "crawl", "group": "social", "interval": "5m"}]})
    scheduler = start(spec, StepContext(db_path=db_path, crawl=crawl_recorder(calls)), events)
    clock.advance(minutes=5)
    scheduler.tick()
    assert calls[0]["policies"] == [1, 3]  # ids of a and c
    scheduler.shutdown()


@pytest.mark.timeout(30)
def test_sigterm_stops_the_scheduler_gracefully(tmp_path, db_path):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[jobs]]\nid = "deliver"\ntask = "deliver"\ninterval = "1h"\n')
    env = {**os.environ, "POLICYWATCH_DB": db_path, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    env.pop("POLICYWATCH_CONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "policywatch", "schedule", "run", "--jobs", str(jobs)],
        env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = process.stderr.readline()  # printed after the handlers are installed
        assert "1 job(s)" in line
        process.send_signal(signal.SIGTERM)  # at once: whether start() runs yet or not, it stops
        assert process.wait(timeout=15) == 0
        rest = process.stderr.read()
        assert "SIGTERM" in rest and "scheduler stopped" in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=15)
        process.stderr.close()


def test_job_timeout_reaches_the_crawl(clock, db_path):
    calls, events = [], []
    spec = parse_jobs({"jobs": [{"id": "live", "task": "crawl", "interval": "5m", "timeout": 600}]})
    scheduler = start(spec, StepContext(db_path=db_path, crawl=crawl_recorder(calls)), events)
    clock.advance(minutes=5)
    scheduler.tick()
    assert calls[0]["timeout"] == 600
    scheduler.shutdown()


# --- SIGTERM at every moment after the handlers are installed (in-process, no sleeping) ----


@pytest.fixture
def restore_signals():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def deliver_spec():
    return parse_jobs({"jobs": [{"id": "deliver", "task": "deliver", "interval": "1h"}]})


def sigterm(*_args) -> None:
    os.kill(os.getpid(), signal.SIGTERM)


@pytest.mark.timeout(30)
def test_sigterm_before_the_scheduler_exists_is_not_lost(db_path, restore_signals):
    from policywatch.schedules.runner import GracefulStop, run_scheduler

    stop = GracefulStop().install()
    sigterm()  # e.g. while the CLI opens the database or prints its banner
    seen = []
    run_scheduler(deliver_spec(), StepContext(db_path=db_path), stop=stop, on_start=seen.append)
    assert stop.signum == signal.SIGTERM and not seen[0].running


@pytest.mark.timeout(30)
def test_sigterm_between_setup_and_start_stops_it(db_path, restore_signals):
    """The former race: handlers installed, scheduler.start() not called yet."""
    from policywatch.schedules.runner import run_scheduler

    seen = []
    run_scheduler(deliver_spec(), StepContext(db_path=db_path), on_start=lambda s: (seen.append(s), sigterm()))
    assert not seen[0].running


@pytest.mark.timeout(30)
def test_sigterm_while_the_scheduler_starts_stops_it(db_path, restore_signals):
    from apscheduler.events import EVENT_SCHEDULER_START

    from policywatch.schedules.runner import run_scheduler

    seen = []
    run_scheduler(deliver_spec(), StepContext(db_path=db_path),
                  on_start=lambda s: (seen.append(s), s.add_listener(sigterm, EVENT_SCHEDULER_START)))
    assert not seen[0].running


@pytest.mark.timeout(30)
def test_sigterm_while_jobs_run_stops_it_and_the_job_finishes(db_path, restore_signals):
    from policywatch.schedules.runner import run_scheduler

    finished = []

    def job():
        sigterm()
        finished.append(True)

    seen = []
    run_scheduler(deliver_spec(), StepContext(db_path=db_path), on_start=lambda s: (seen.append(s), s.add_job(job)))
    assert finished == [True] and not seen[0].running  # the running job finished before the exit
