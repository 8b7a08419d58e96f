"""Every job kind of `schedule run` really runs its step (issue 19: only crawl dispatch was tested).

The scheduler is driven by the controlled clock of test_runner; the database, the config
file, the outbox and the health checks are real; the senders record what they are given.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from policywatch.db import alerts as alerts_db
from policywatch.db.connection import open_database
from policywatch.schedules.jobs import parse_jobs
from policywatch.schedules.steps import StepContext
from policywatch.tracker.alerts.outbox import enqueue_change_alerts
from policywatch.tracker.alerts.sender import SendResult
from policywatch.tracker.config import load_config
from policywatch.tracker.ingest import Ingestor
from policywatch.tracker.model import Capture
from tests.alerts.conftest import NOW, add_change, add_policy

from .test_runner import clock, db_path, start  # noqa: F401  (fixtures)


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []

    def send(self, channel, content):
        self.sent.append((channel.key, content))
        return SendResult(True, response_status=200)


@pytest.fixture
def config_path(tmp_path):
    path = tmp_path / "policywatch.toml"
    path.write_text(
        '[[alerts]]\nkind = "webhook"\nname = "now"\nurl = "http://127.0.0.1:1/now"\n\n'
        '[[alerts]]\nkind = "webhook"\nname = "daily"\nurl = "http://127.0.0.1:1/daily"\ndigest = "daily"\n\n'
        "[health]\nfailures_before_alert = 2\n"
    )
    return str(path)


def queue_change(db_path: str, config_path: str) -> list[str]:
    db = open_database(db_path)
    policy = add_policy(db)
    ids = enqueue_change_alerts(db, change_id=add_change(db, policy), policy=policy, severity="high",
                                channels=load_config(config_path).channels, now=NOW)
    db.close()
    return ids


def tick_job(clock, db_path, config_path, job: dict, **ctx):  # noqa: F811
    events: list = []
    recorder = Recorder()
    context = StepContext(db_path=db_path, config_path=config_path, senders={"webhook": recorder}, **ctx)
    scheduler = start(parse_jobs({"jobs": [{"id": job["task"], "interval": "5m", **job}]}), context, events)
    clock.advance(minutes=5)
    scheduler.tick()
    scheduler.shutdown()
    assert [e[1] for e in events] == [job["task"]]
    return recorder


def statuses(db_path: str) -> dict[str, str]:
    db = open_database(db_path)
    try:
        return {a["channel"]: a["status"] for a in alerts_db.list_alerts(db)}
    finally:
        db.close()


def test_deliver_job_sends_due_alerts_but_leaves_digest_alerts(clock, db_path, config_path):  # noqa: F811
    queue_change(db_path, config_path)
    recorder = tick_job(clock, db_path, config_path, {"task": "deliver"})
    assert [key for key, _ in recorder.sent] == ["now"]
    assert statuses(db_path) == {"now": "sent", "daily": "pending"}


def test_digest_job_sends_one_digest(clock, db_path, config_path):  # noqa: F811
    queue_change(db_path, config_path)
    recorder = tick_job(clock, db_path, config_path, {"task": "digest"})
    assert len(recorder.sent) == 1
    [(_, content)] = recorder.sent
    assert json.loads(json.dumps(content.payload))["digest"] is True
    assert statuses(db_path) == {"now": "pending", "daily": "sent"}


def test_health_job_raises_tracking_broken(clock, db_path, config_path):  # noqa: F811
    db = open_database(db_path)
    policy = add_policy(db)
    ingestor = Ingestor(db)
    for day in (1, 2):
        ingestor.put(Capture(policy["name"], "live", policy["url"], f"2024-02-0{day}T00:00:00Z", None, 503,
                             outcome="http_error", detail="HTTP 503"))
    db.close()
    tick_job(clock, db_path, config_path, {"task": "health"})
    db = open_database(db_path)
    assert sorted(a["kind"] for a in alerts_db.list_alerts(db)) == ["tracking_broken", "tracking_broken"]
    db.close()


def test_run_job_crawls_records_the_pass_and_delivers(clock, db_path, config_path):  # noqa: F811
    queue_change(db_path, config_path)
    crawls: list[dict] = []

    def crawl(path, **kwargs):
        crawls.append(kwargs)
        return {"captures": 0}

    recorder = tick_job(clock, db_path, config_path, {"task": "run", "timeout": 120}, crawl=crawl)
    assert len(crawls) == 1 and crawls[0]["live"] is True and crawls[0]["timeout"] == 120
    assert [key for key, _ in recorder.sent] == ["now"]
    db = open_database(db_path)
    [run] = [dict(r) for r in db.query("SELECT kind, status, finished_at FROM runs")]
    db.close()
    assert run["kind"] == "run" and run["status"] == "ok" and run["finished_at"]
