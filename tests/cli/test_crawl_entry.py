"""One crawl entry point: `crawl`, `run` and the scheduler build the same request.

The real CLI (click's runner), the real scheduler job functions and the real
``build_crawl_request`` run; only the subprocess launcher
(``crawler.runner.run_command``) is replaced by a recorder of the child's command
line, which is what a request becomes.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from policywatch.crawler import request as request_module
from policywatch.crawler import runner as runner_module
from policywatch.crawler.runner import CrawlSummary
from policywatch.schedules.jobs import parse_jobs
from policywatch.schedules.runner import TASK_FUNCTIONS
from policywatch.schedules.steps import StepContext

ALERTS_TOML = '[delivery]\nmax_attempts = 3\n'
JOBS_TOML = '[[jobs]]\nid = "weekly"\ntask = "crawl"\ncron = "0 3 * * 0"\n'


@pytest.fixture
def launches(monkeypatch):
    """Child command lines (and timeouts) instead of running Scrapy."""
    seen: list[tuple[list[str], float | None]] = []

    def record(cmd, *, progress=None, env=None, timeout=None):
        seen.append((list(cmd), timeout))
        return CrawlSummary(outcomes={"ok": 1})

    monkeypatch.setattr(runner_module, "run_command", record)
    return seen


@pytest.fixture
def stamps(monkeypatch):
    """Every check_stamp call, the real check still made."""
    calls: list[tuple[str | None, str]] = []
    real = request_module.check_stamp

    def spy(value, option):
        calls.append((value, option))
        return real(value, option)

    monkeypatch.setattr(request_module, "check_stamp", spy)
    monkeypatch.setattr(runner_module, "check_stamp", spy)
    return calls


@pytest.fixture
def tracked(invoke, db_path: Path) -> Path:
    """Three policies (b and c in group "g") and a ./policywatch.toml found from the cwd."""
    assert invoke("init").exit_code == 0
    for name, group in (("a", None), ("b", "g"), ("c", "g")):
        args = ["add", f"https://example.org/{name}", "--name", name] + (["--group", group] if group else [])
        assert invoke(*args).exit_code == 0
    (db_path.parent / "policywatch.toml").write_text(ALERTS_TOML)
    return db_path


def scheduler_job(db_path: Path, task: str, **fields) -> None:
    job = {"id": "j", "task": task, "interval": "1h", **fields}
    spec = parse_jobs({"jobs": [job]})
    TASK_FUNCTIONS[task](StepContext(db_path=str(db_path)), spec.jobs[0])


def test_crawl_run_and_scheduler_build_the_same_request(invoke, tracked, launches, stamps):
    common = ["--live", "--archive", "--since", "2020-01", "--until", "2021", "--policy", "a", "--policy", "3"]
    ran = invoke("crawl", *common)
    assert ran.exit_code == 0, ran.output
    assert stamps == [("2020-01", "--since"), ("2021", "--until")]  # once per stamp, not twice
    stamps.clear()
    ran = invoke("run", *common)
    assert ran.exit_code == 0, ran.output
    assert stamps == [("2020-01", "--since"), ("2021", "--until")]
    for task in ("crawl", "run"):
        stamps.clear()
        scheduler_job(tracked, task, live=True, archive=True, since="2020-01", until=2021, policies=["a", "3"])
        assert stamps == [("2020-01", "--since"), ("2021", "--until")], task

    assert len(launches) == 4
    first, timeout = launches[0]
    assert all(launch == (first, timeout) for launch in launches), launches
    assert timeout is None
    assert first[first.index("--since") + 1] == "202001" and first[first.index("--until") + 1] == "2021"
    assert first[first.index("--policies") + 1] == "1,3"
    assert first[first.index("--config") + 1] == str((tracked.parent / "policywatch.toml").resolve())
    assert first[first.index("--db") + 1] == str(tracked.resolve())


def test_a_group_resolves_to_the_same_ids_in_run_and_the_scheduler(invoke, tracked, launches):
    assert invoke("run", "--group", "g", "--timeout", "30").exit_code == 0
    scheduler_job(tracked, "crawl", group="g", timeout=30)
    assert len(launches) == 2 and launches[0] == launches[1]
    cmd, timeout = launches[0]
    assert cmd[cmd.index("--policies") + 1] == "2,3" and timeout == 30


def test_an_empty_group_crawls_nothing(invoke, tracked, launches):
    ran = invoke("run", "--group", "nobody")
    assert ran.exit_code == 0 and "crawl: skipped" in ran.output
    assert launches == []


@pytest.mark.parametrize("command", ["crawl", "run"])
@pytest.mark.parametrize("args, message", [
    (["--since", "2020-13"], "--since must be a date"),
    (["--until", "20x"], "--until must be a date"),
    (["--policy", "nope"], "Unknown policy 'nope'"),
])
def test_bad_input_is_one_line_and_exit_2_before_any_crawl(invoke, tracked, launches, command, args, message):
    ran = invoke(command, *args)
    assert ran.exit_code == 2 and message in ran.output
    assert len(ran.output.strip().splitlines()) == 1 and "Traceback" not in ran.output
    assert launches == []


def test_bad_shard_is_exit_2(invoke, tracked, launches):
    ran = invoke("crawl", "--shard", "4/4")
    assert ran.exit_code == 2 and "--shard must be K/N" in ran.output and launches == []


def test_schedule_run_jobs_option_loads_the_jobs_file(invoke, tracked, tmp_path):
    jobs = tmp_path / "my-jobs.toml"
    jobs.write_text(JOBS_TOML)
    ran = invoke("schedule", "run", "--jobs", str(jobs), "--dry-run")
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.startswith("weekly (crawl): ") and ran.stderr == ""


def test_schedule_run_config_is_a_deprecated_alias_of_jobs(invoke, tracked, tmp_path):
    jobs = tmp_path / "my-jobs.toml"
    jobs.write_text(JOBS_TOML)
    ran = invoke("schedule", "run", "--config", str(jobs), "--dry-run")
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.startswith("weekly (crawl): ")
    assert ran.stderr.count("\n") == 1 and "deprecated" in ran.stderr and "--jobs" in ran.stderr
    both = invoke("schedule", "run", "--config", str(jobs), "--jobs", str(jobs), "--dry-run")
    assert both.exit_code == 2 and "once" in both.output


def test_the_global_config_is_not_the_jobs_file(invoke, tracked, tmp_path):
    jobs = tmp_path / "my-jobs.toml"
    jobs.write_text(JOBS_TOML)
    alerts = tmp_path / "alerts.toml"
    alerts.write_text(ALERTS_TOML)
    # global --config (policywatch.toml) and the jobs file side by side, in either spelling
    for option in ("--jobs", "--config"):
        ran = invoke("--config", str(alerts), "schedule", "run", option, str(jobs), "--dry-run")
        assert ran.exit_code == 0, ran.output
        assert ran.stdout.startswith("weekly (crawl): ")
    # the global --config is read as a policywatch.toml, never as jobs: a jobs file there is refused
    wrong = invoke("--config", str(jobs), "schedule", "run", "--jobs", str(jobs), "--dry-run")
    assert wrong.exit_code == 2 and str(jobs) in wrong.output
    # and a policywatch.toml given as the jobs file is refused as a jobs file
    swapped = invoke("--config", str(alerts), "schedule", "run", "--jobs", str(alerts), "--dry-run")
    assert swapped.exit_code == 2 and str(alerts) in swapped.output
