"""Soak: 200 alerts, 3 concurrent senders, a receiver that fails, hangs and vanishes at random.

Every alert must end delivered (``sent``), and a receiver must see an alert
twice only where a reply was lost in flight (it accepted the POST, but the
answer never reached the sender: a hang past the sender's timeout, or a
connection dropped after reading). That is the outbox's guarantee:
at-least-once, with duplicates only after a lost reply (or a crash), each
carrying the same idempotency key. The counts are printed (run with -s).
"""
from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from policywatch.db import alerts as alerts_db
from policywatch.db.connection import open_database
from policywatch.tracker.alerts.delivery import send_pending
from policywatch.tracker.alerts.outbox import TRACKING_BROKEN, new_alert_id
from policywatch.tracker.config import parse_config

from .conftest import add_policy

ALERTS = 200
SENDERS = 3
TIMEOUT = 0.5  # the channel's timeout; a hang lasts longer, a late answer comes well within it


class ChaosReceiver:
    """Answers 200 (late), or 500, or hangs past the sender's timeout, or vanishes (before or after reading)."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.accepted: Counter[str] = Counter()  # deliveries the receiver processed, per idempotency key
        self.lost_replies: Counter[str] = Counter()  # of those, answers that never reached the sender
        self.behaviours: Counter[str] = Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                with receiver.lock:
                    roll = receiver.random.random()
                behaviour = ("vanish" if roll < 0.07 else "fail" if roll < 0.22 else "hang" if roll < 0.32
                             else "drop_after_read" if roll < 0.37 else "ok")
                with receiver.lock:
                    receiver.behaviours[behaviour] += 1
                if behaviour == "vanish":  # gone before reading anything: nothing processed
                    self.close_connection = True
                    self.connection.close()
                    return
                started = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = self.headers["Idempotency-Key"]
                assert json.loads(body)["alert_id"] == key
                if behaviour == "fail":
                    self.reply(500)
                    return
                with receiver.lock:
                    receiver.accepted[key] += 1
                    if behaviour in ("hang", "drop_after_read"):
                        receiver.lost_replies[key] += 1
                if behaviour == "drop_after_read":
                    self.close_connection = True
                    self.connection.close()
                    return
                if behaviour == "hang":
                    time.sleep(TIMEOUT * 3)  # the sender has given up on this answer
                else:
                    with receiver.lock:
                        late = receiver.random.uniform(0, TIMEOUT * 0.4)
                    time.sleep(late)  # answers late, but within the sender's timeout
                    if time.monotonic() - started > TIMEOUT * 0.8:
                        with receiver.lock:  # a starved machine made it too late: it may be lost too
                            receiver.lost_replies[key] += 1
                self.reply(200)

            def reply(self, status: int) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.timeout(300)
def test_soak_every_alert_delivered_duplicates_only_after_lost_replies(tmp_path, capsys):
    receiver = ChaosReceiver(seed=17)
    try:
        config = parse_config({
            "alerts": [{"kind": "webhook", "url": receiver.url, "name": "chaos", "timeout": TIMEOUT,
                        "allow_private": True}],
            "delivery": {"max_attempts": 1000, "backoff_base": 1, "backoff_max": 2, "claim_timeout": 3},
        })
        path = tmp_path / "soak.db"
        db = open_database(path, create=True)
        policy = add_policy(db)
        with db.atomic():
            for _ in range(ALERTS):
                alerts_db.insert_alert(db, alert_id=new_alert_id(), kind=TRACKING_BROKEN, change_id=None,
                                       policy_id=policy["id"], channel="chaos", created_at="2024-01-01T00:00:00Z",
                                       detail=json.dumps({"cause": "http_error", "consecutive_failures": 3}))
        ids = {row["id"] for row in alerts_db.list_alerts(db)}
        stop = threading.Event()
        passes = Counter()

        def sender(number: int) -> None:
            time.sleep(1.5 * number)  # staggered like cron jobs: later passes meet earlier ones mid-way
            own = open_database(path)
            try:
                while not stop.is_set():
                    send_pending(own, config)
                    passes[number] += 1
                    counts = alerts_db.count_by_status(own)
                    if counts["pending"] == 0 and counts["sending"] == 0:
                        return
                    time.sleep(0.2)
            finally:
                own.close()

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(SENDERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
        stop.set()
        assert not any(t.is_alive() for t in threads)

        statuses = Counter(row["status"] for row in alerts_db.list_alerts(db))
        assert statuses == {"sent": ALERTS}, statuses
        assert set(receiver.accepted) == ids  # every alert reached the receiver
        duplicates = {k: n - 1 for k, n in receiver.accepted.items() if n > 1}
        for key, extra in duplicates.items():
            assert extra <= receiver.lost_replies[key], (key, extra, receiver.lost_replies[key])
        assert all(receiver.accepted[k] == 1 for k in ids if receiver.lost_replies[k] == 0)
        attempts = db.execute("SELECT count(*) FROM alert_attempts").fetchone()[0]
        with capsys.disabled():
            print(
                f"\nsoak: {ALERTS} alerts, {SENDERS} senders, {sum(passes.values())} passes, {attempts} attempts; "
                f"receiver behaviours {dict(receiver.behaviours)}; lost replies {sum(receiver.lost_replies.values())}; "
                f"duplicates {sum(duplicates.values())} on {len(duplicates)} alerts (all after a lost reply)"
            )
    finally:
        receiver.close()
