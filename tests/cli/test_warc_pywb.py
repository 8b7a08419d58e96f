"""An exported WARC replays in pywb (the reference open-source Wayback), revisits included.

pywb pulls in gevent and pins its own dependencies, so it is not a policywatch test
dependency: the test uses pywb from this interpreter if it has it, else the Python named
by POLICYWATCH_PYWB_PYTHON (e.g. a venv made with `python -m venv v && v/bin/pip install
pywb`), and skips otherwise.
"""
from __future__ import annotations

import importlib.util
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from policywatch.testing.live_site import policy_html
from policywatch.tracker.ingest import Ingestor
from policywatch.tracker.model import Capture
from policywatch.tracker.warc_io import export_warc

pytestmark = [pytest.mark.network, pytest.mark.slow, pytest.mark.timeout(180)]
URL = "https://policies.example/privacy"
SERVE = """
from gevent.monkey import patch_all; patch_all()
import os, sys
os.chdir(sys.argv[1])
from gevent.pywsgi import WSGIServer
from pywb.apps.frontendapp import FrontEndApp
server = WSGIServer(("127.0.0.1", 0), FrontEndApp(), log=None)
server.start()
print("PORT", server.server_port, flush=True)
server.serve_forever()
"""


def pywb_python() -> str:
    configured = os.environ.get("POLICYWATCH_PYWB_PYTHON")
    if configured and Path(configured).exists():
        return configured
    if importlib.util.find_spec("pywb") is not None:
        return sys.executable
    pytest.skip("pywb is not installed here; set POLICYWATCH_PYWB_PYTHON to a Python that has it (pip install pywb)")


def wait_for_port(proc: subprocess.Popen, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("PORT "):
                return int(line.split()[1])
    raise AssertionError(f"pywb did not start: {proc.stderr.read() if proc.poll() is not None else 'timeout'}")


def test_export_replays_in_pywb(fresh_db, tmp_path) -> None:
    python = pywb_python()
    bodies = {"20240101120000": policy_html("Privacy", ["We never sell your data to anyone at all."]),
              "20240201120000": policy_html("Privacy", ["We sell your data to brokers and advertisers."]),
              "20240301120000": policy_html("Privacy", ["We never sell your data to anyone at all."])}
    with Ingestor(fresh_db) as ingestor:
        for stamp, body in bodies.items():
            when = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T12:00:00Z"
            ingestor.put(Capture(policy=_policy(fresh_db), source="live", url=URL, capture_time=when,
                                 body=body.encode(), http_status=200, content_type="text/html; charset=utf-8",
                                 http_status_line="HTTP/1.1 200 OK",
                                 http_headers=[("Content-Type", "text/html; charset=utf-8"), ("Server", "test")]))
    warc = tmp_path / "export.warc.gz"
    assert export_warc(fresh_db, warc) == 3
    root = tmp_path / "pywb"
    root.mkdir()
    for args in (["init", "pw"], ["add", "pw", str(warc)]):
        subprocess.run([python, "-c", "from pywb.manager.manager import main; main()", *args], cwd=root,
                       check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen([python, "-c", SERVE, str(root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        port = wait_for_port(proc)
        for stamp, body in bodies.items():  # the third is a revisit record: pywb resolves it by digest
            with urlopen(f"http://127.0.0.1:{port}/pw/{stamp}id_/{URL}", timeout=30) as response:
                assert response.status == 200
                assert response.read() == body.encode()
                assert response.headers["Memento-Datetime"].endswith("12:00:00 GMT")
                assert response.headers["X-Archive-Orig-Server"] == "test"  # the recorded headers
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _policy(db) -> int:
    from policywatch.db.policies import add_policy, find_policy

    found = find_policy(db, "example")
    return int((found or add_policy(db, URL, name="example"))["id"])
