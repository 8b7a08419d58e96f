"""crawler.runner.run_command: the child's summary, its exit status, timeout and kill paths.

The child is a real process (a few lines of Python standing in for the Scrapy child);
it records its pid and whether it exited by itself, so the test can tell a kill from an exit.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policywatch.crawler.runner import run_command

pytestmark = pytest.mark.timeout(120)


def child(tmp_path: Path, *, events: list[dict], then: str = "", code: int = 0) -> list[str]:
    """A child that writes its pid, prints ``events`` as JSON lines, runs ``then``, exits ``code``."""
    script = (
        "import json, os, sys, time\n"
        f"open({str(tmp_path / 'pid')!r}, 'w').write(str(os.getpid()))\n"
        f"for e in {events!r}:\n    print(json.dumps(e), flush=True)\n"
        f"{then}\n"
        f"open({str(tmp_path / 'exited')!r}, 'w').write('clean')\n"
        f"sys.exit({code})\n"
    )
    return [sys.executable, "-c", script]


def gone(tmp_path: Path) -> bool:
    """The child process no longer exists (it was reaped)."""
    try:
        os.kill(int((tmp_path / "pid").read_text()), 0)
    except ProcessLookupError:
        return True
    return False


SUMMARY = {"event": "summary", "outcomes": {"ok": 2}, "new_versions": 1, "changes": 1, "unknown_key": 5}


def test_summary_and_progress_events_are_read(tmp_path):
    seen = []
    summary = run_command(child(tmp_path, events=[{"event": "capture", "n": 1}, SUMMARY]), progress=seen.append)
    assert seen == [{"event": "capture", "n": 1}]
    assert summary.outcomes == {"ok": 2} and summary.new_versions == 1 and summary.returncode == 0
    assert summary.line().startswith("2 captures (ok 2); 1 new versions")


def test_exit_status_is_kept(tmp_path):
    summary = run_command(child(tmp_path, events=[SUMMARY], code=3))
    assert summary.returncode == 3 and summary.captures == 2


def test_timeout_kills_a_child_that_hangs_with_its_output_open(tmp_path):
    with pytest.raises(subprocess.TimeoutExpired):
        run_command(child(tmp_path, events=[{"event": "capture"}], then="time.sleep(600)"), timeout=1)
    assert gone(tmp_path) and not (tmp_path / "exited").exists()


def test_an_error_in_the_parent_kills_the_child(tmp_path):
    def broken(event):
        raise ValueError("progress display failed")

    with pytest.raises(ValueError):
        run_command(child(tmp_path, events=[{"event": "capture"}], then="time.sleep(600)"), progress=broken)
    assert gone(tmp_path) and not (tmp_path / "exited").exists()


def test_ctrl_c_lets_the_child_finish_cleanly(tmp_path):
    """The child got the same SIGINT from the terminal: it is waited for, not killed."""
    def interrupted(event):
        raise KeyboardInterrupt

    script = child(tmp_path, events=[{"event": "capture"}], then="sys.stdout.close(); time.sleep(0.5)")
    with pytest.raises(KeyboardInterrupt):
        run_command(script, progress=interrupted)
    assert gone(tmp_path) and (tmp_path / "exited").read_text() == "clean"


def test_unparsable_lines_are_ignored(tmp_path):
    script = child(tmp_path, events=[], then="print('Scrapy says hello'); print('{not json'); "
                                                f"print({json.dumps(json.dumps(SUMMARY))})")
    assert run_command(script).outcomes == {"ok": 2}
