"""`alerts send`, `alerts list`, `run` and `schedule run` through the CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policywatch.db import runs as runs_db
from policywatch.db.connection import open_database
from policywatch.cli.run import EXIT_RUN_IN_PROGRESS
from tests.alerts.conftest import add_change, add_policy, receiver  # noqa: F401  (fixture)
from policywatch.tracker.alerts.outbox import enqueue_change_alerts
from policywatch.tracker.config import parse_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(db_path):
    database = open_database(db_path, create=True)
    yield database
    database.close()


def write_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "policywatch.toml"
    path.write_text(f'[[alerts]]\nkind = "webhook"\nurl = "{url}"\nname = "hook"\nallow_private = true\n')
    return path


def queue(db, url: str) -> str:
    config = parse_config({"alerts": [{"kind": "webhook", "url": url, "name": "hook"}]})
    policy = add_policy(db)
    [alert_id] = enqueue_change_alerts(
        db, change_id=add_change(db, policy), policy=policy, severity="high", channels=config.channels
    )
    return alert_id


@pytest.mark.parametrize("command", [["alerts"], ["alerts", "send"], ["alerts", "list"], ["run"], ["schedule", "run"]])
def test_commands_have_help(invoke, command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert len(result.output.split("\n\n")[1].strip()) > 10  # a real description


def test_alerts_send_and_list(invoke, db, tmp_path, receiver):
    alert_id = queue(db, receiver.url)
    write_config(tmp_path, receiver.url)  # ./policywatch.toml (invoke runs in tmp_path)
    listed = json.loads(invoke("alerts", "list", "--format", "json").output)
    assert [(a["id"], a["status"], a["policy"]) for a in listed["alerts"]] == [(alert_id, "pending", "acme")]
    result = invoke("alerts", "send")
    assert result.exit_code == 0 and result.output.strip().endswith("sent 1, failed 0, pending 0")
    assert receiver.delivered_ids() == [alert_id]
    text = invoke("alerts", "list", "--status", "sent").output
    assert alert_id[:12] in text and "sent" in text and "hook" in text
    assert invoke("alerts", "list", "--status", "pending").output.strip() == "No pending alerts."
    assert invoke("alerts", "send").output.strip().endswith("sent 0, failed 0, pending 0")


def test_alerts_send_reports_failures(invoke, db, tmp_path, receiver):
    queue(db, receiver.url)
    write_config(tmp_path, receiver.url)
    receiver.statuses[:] = [500]
    result = invoke("alerts", "send")
    assert result.exit_code == 75  # a delivery failed: cron sees it (it used to exit 0)
    assert "sent 0, failed 1, pending 1" in result.output and "HTTP 500" in result.output
    listed = invoke("alerts", "list").output
    assert "pending" in listed and "last error" in listed


def test_bad_config_is_exit_2(invoke, db, tmp_path):
    (tmp_path / "bad.toml").write_text('[[alerts]]\nkind = "pager"\n')
    result = invoke("--config", str(tmp_path / "bad.toml"), "alerts", "send")
    assert result.exit_code == 2 and "unknown kind 'pager'" in result.output


def test_run_records_a_pass(invoke, db, db_path, monkeypatch, tmp_path, receiver):
    calls = []

    def fake_crawl(path, **kwargs):
        calls.append(kwargs)
        return None

    monkeypatch.setattr("policywatch.schedules.steps.default_crawl", fake_crawl)
    queue(db, receiver.url)
    write_config(tmp_path, receiver.url)
    result = invoke("run")
    assert result.exit_code == 0, result.output
    assert calls and calls[0]["live"] is True and calls[0]["archive"] is False
    assert calls[0]["config_path"] == str((tmp_path / "policywatch.toml").resolve())
    assert "alerts sent 1, failed 0, pending 0" in result.output
    run = runs_db.get_run(db, 1)
    assert run["kind"] == "run" and run["status"] == "ok" and run["finished_at"]
    assert json.loads(run["summary"])["alerts"]["sent"] == 1


def test_run_crawl_failure_still_delivers(invoke, db, monkeypatch, tmp_path, receiver):
    def broken_crawl(path, **kwargs):
        raise RuntimeError("scrapy exploded")

    monkeypatch.setattr("policywatch.schedules.steps.default_crawl", broken_crawl)
    queue(db, receiver.url)
    write_config(tmp_path, receiver.url)
    result = invoke("run", "--archive", "--no-live")
    assert "crawl failed: RuntimeError: scrapy exploded" in result.output
    assert "alerts sent 1" in result.output
    assert runs_db.get_run(db, 1)["status"] == "crawl_failed"


def test_run_refuses_to_overlap(invoke, db, db_path, monkeypatch):
    monkeypatch.setattr("policywatch.schedules.steps.default_crawl", lambda *a, **k: pytest.fail("must not crawl"))
    with runs_db.run_lock(db_path):
        result = invoke("run")
    assert result.exit_code == EXIT_RUN_IN_PROGRESS
    assert "Another policywatch pass is running" in result.output
    assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def test_run_refuses_to_overlap_across_processes(db, db_path, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("POLICYWATCH_CONFIG", None)
    with runs_db.run_lock(db_path):
        proc = subprocess.run(
            [sys.executable, "-m", "policywatch", "--db", str(db_path), "run"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )
    assert proc.returncode == 75, proc.stderr
    assert f"pid {os.getpid()}" in proc.stderr


def test_run_unknown_policy_is_exit_2(invoke, db):
    result = invoke("run", "--policy", "nope")
    assert result.exit_code == 2


def test_run_needs_something_to_crawl(invoke, db):
    result = invoke("run", "--no-live")
    assert result.exit_code == 2 and "--live" in result.output


def test_schedule_dry_run_lists_next_fire_times(invoke, db, tmp_path):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[jobs]]\nid = "weekly"\ntask = "crawl"\ncron = "0 3 * * 0"\n')
    result = invoke("schedule", "run", "--jobs", str(jobs), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("weekly (crawl): ")
    import datetime as dt

    first = dt.datetime.fromisoformat(result.output.split(": ")[1].split(", ")[0])
    assert first.strftime("%A %H:%M") == "Sunday 03:00"


def test_schedule_bad_jobs_file_is_exit_2(invoke, db, tmp_path):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[jobs]]\nid = "x"\ntask = "crawl"\ncron = "0 3 * * 9"\n')
    result = invoke("schedule", "run", "--config", str(jobs))
    assert result.exit_code == 2 and "day-of-week" in result.output


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.timeout(120)
def test_full_pass_with_a_real_crawl(invoke, db, tmp_path, monkeypatch, receiver):
    """`policywatch run` end to end: Scrapy child crawls a loopback site, the ingest
    queues the alert, the same pass delivers it (signed) to a loopback receiver."""
    from tests.conftest import next_second
    from tests.crawler.conftest import fast_env
    from policywatch.testing.live_site import FakeSiteServer
    from policywatch.tracker.alerts.webhook import verify_signature

    for key, value in fast_env().items():
        if key.startswith("POLICYWATCH_"):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("RUN_HOOK_SECRET", "run-secret")
    (tmp_path / "policywatch.toml").write_text(
        f'[[alerts]]\nkind = "webhook"\nurl = "{receiver.url}"\nsecret_env = "RUN_HOOK_SECRET"\n'
        'allow_private = true  # the receiver is on loopback\n'
    )
    paragraphs = [
        "We collect your name, email address and device identifiers when you use the service.",
        "We share personal information with payment processors only to process your payments.",
        "You may request access, correction or deletion of your data at any time.",
    ]
    with FakeSiteServer() as site:
        site.site.policy("/privacy", paragraphs=paragraphs, words=200)
        assert invoke("add", site.url + "/privacy", "--name", "acme").exit_code == 0
        first = invoke("run")
        assert first.exit_code == 0, first.output
        assert "material changes 0" in first.output and "alerts sent 0" in first.output
        changed = list(paragraphs)
        changed[1] += " We may sell your personal information to data brokers."
        site.site.policy("/privacy", paragraphs=changed, words=200)
        next_second()  # two captures in one second are ordered by text hash, not by run
        second = invoke("run", "--fail-on-material")
        assert second.exit_code == 1, second.output
        assert "material changes 1" in second.output and "alerts sent 1, failed 0, pending 0" in second.output
        third = invoke("run")
        assert third.exit_code == 0 and "alerts sent 0" in third.output
    [request] = receiver.requests
    assert verify_signature(request["body"], "run-secret", request["headers"]["X-Policywatch-Signature"])
    assert json.loads(request["body"])["change"]["policy"] == "acme"
    assert [r["status"] for r in runs_db_rows(db)] == ["ok", "ok", "ok"]


def runs_db_rows(db) -> list[dict]:
    return [dict(r) for r in db.query("SELECT * FROM runs ORDER BY id")]
