"""Unattended passes under faults: a crawl that never ends, a parent killed with -9.

- ``run --timeout`` is enforced while the crawl runs (it used to start counting
  only when the child closed its output);
- the crawl child dies with its parent, so no crawl keeps running beside the
  next pass once the run lock is released;
- a killed pass does not leave its ``runs`` row at ``running`` forever.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policywatch.crawler.runner import run_command
from policywatch.db import runs as runs_db
from policywatch.db.connection import open_database
from policywatch.schedules.steps import StepContext, run_pass

ROOT = Path(__file__).resolve().parents[2]


def chatty_child(seconds: int) -> list[str]:
    """A child that keeps printing progress lines for ``seconds`` (a crawl that never ends)."""
    code = (
        "import json, time\n"
        f"for i in range({seconds * 10}):\n"
        "    print(json.dumps({'event': 'capture', 'n': i}), flush=True)\n"
        "    time.sleep(0.1)\n"
    )
    return [sys.executable, "-c", code]


@pytest.mark.timeout(40)
def test_timeout_is_enforced_while_the_child_is_still_printing():
    seen: list[dict] = []
    with pytest.raises(subprocess.TimeoutExpired):  # the old code read on for the child's 60 s
        run_command(chatty_child(60), progress=seen.append, timeout=3)


@pytest.mark.timeout(40)
def test_run_pass_records_the_timeout_and_goes_on(db_path):
    open_database(db_path, create=True).close()

    def crawl(*args, timeout=None, **kwargs):
        return run_command(chatty_child(60), timeout=timeout)

    result = run_pass(StepContext(db_path=str(db_path), crawl=crawl), timeout=1.5)
    assert result.crawl_error and "timeout" in result.crawl_error
    db = open_database(db_path)
    assert runs_db.get_run(db, result.run_id)["status"] == "crawl_failed"


def silent_server() -> socket.socket:
    """Accepts connections and never answers: a crawl of it hangs until its download timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    return server


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.timeout(120)
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the crawl child through /proc (Linux)")
def test_killed_pass_takes_its_crawl_child_along_and_is_marked_abandoned(tmp_path):
    db_path = tmp_path / "policywatch.db"
    server = silent_server()
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "POLICYWATCH_ALLOW_PRIVATE": "1",
        "POLICYWATCH_DOWNLOAD_TIMEOUT": "300", "POLICYWATCH_RETRY_TIMES": "0", "POLICYWATCH_AUTOTHROTTLE": "0",
    }
    env.pop("POLICYWATCH_CONFIG", None)
    cli = [sys.executable, "-m", "policywatch", "--db", str(db_path)]
    try:
        subprocess.run([*cli, "init"], env=env, check=True, capture_output=True, timeout=60)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/privacy"
        subprocess.run([*cli, "add", url, "--name", "hanging"], env=env, check=True, capture_output=True, timeout=60)
        parent = subprocess.Popen([*cli, "run"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        server.settimeout(60)
        connection, _ = server.accept()  # the crawl child is now fetching (and will hang)
        [child] = children_of(parent.pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        for _ in range(100):  # bounded: 10 s
            if not alive(child):
                break
            time.sleep(0.1)
        still_running = alive(child)
        if still_running:
            os.kill(child, signal.SIGKILL)
        connection.close()
        assert not still_running, "the crawl child outlived its killed parent"
        conn = sqlite3.connect(db_path)
        assert conn.execute("SELECT status FROM runs").fetchall() == [("running",)]
        conn.close()
        # the next pass (bounded by --timeout while its own crawl hangs) cleans up the row
        done = subprocess.run([*cli, "run", "--timeout", "2"], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=90)
        assert done.returncode == 0, done.stderr
        assert "timeout" in done.stdout
        conn = sqlite3.connect(db_path)
        rows = conn.execute("SELECT id, status, summary FROM runs ORDER BY id").fetchall()
        assert [r[1] for r in rows] == ["abandoned", "crawl_failed"]
        assert "timeout" in json.loads(rows[1][2])["crawl_error"]
    finally:
        server.close()
