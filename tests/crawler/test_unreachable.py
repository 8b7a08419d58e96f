"""A crawl that reaches nothing says so in one line and exits 69; nothing tracked says so."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading

import pytest

from tests.crawler.conftest import add_policy, fast_env

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]
URL = "https://policies.example/privacy"


def cli(args: list[str], env: dict[str, str], *, wrap: list[str] | None = None) -> subprocess.CompletedProcess:
    cmd = (wrap or []) + [sys.executable, "-m", "policywatch", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=100)


class SilentServer:
    """Accepts connections on loopback and never answers a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_a_server_that_never_answers_is_reported_in_one_line_with_exit_69(db_path) -> None:
    add_policy(db_path, URL, "example")
    server = SilentServer()
    try:
        env = fast_env(server.url, POLICYWATCH_UNREACHABLE_AFTER="3", POLICYWATCH_DOWNLOAD_TIMEOUT="60")
        done = cli(["--db", db_path, "crawl", "--archive"], env)
    finally:
        server.close()
    assert done.returncode == 69, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Could not reach anything: nothing reachable"), lines
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("unshare") is None, reason="unshare not installed")
def test_no_network_at_all_exits_69(db_path) -> None:
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace here (needs root or user namespaces)")
    add_policy(db_path, URL, "example")
    env = fast_env("https://web.archive.org", POLICYWATCH_UNREACHABLE_AFTER="30", POLICYWATCH_RETRY_TIMES="1")
    done = cli(["--db", db_path, "crawl", "--archive"], env, wrap=["unshare", "-n", "--"])
    assert done.returncode == 69, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Could not reach anything")
    assert "Traceback" not in done.stdout + done.stderr


def test_crawl_with_nothing_tracked_says_so(db_path) -> None:
    done = cli(["--db", db_path, "crawl"], fast_env("http://127.0.0.1:9"))
    assert done.returncode == 0
    assert "Nothing is tracked" in done.stdout
