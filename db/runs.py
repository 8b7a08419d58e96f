"""Run bookkeeping (table ``runs``) and the lock that keeps passes from overlapping.

A scheduled pass (``policywatch run`` from cron, or a crawl job of
``policywatch schedule run``) holds an exclusive ``flock`` on ``<db>.run.lock``
for its whole duration. ``flock`` is released by the kernel when the process
dies, so a crashed pass never leaves a stale lock behind (unlike a pid file or
a ``running`` row).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import Any, Iterator

from sqlite_utils import Database

from policywatch.errors import RunInProgress

__all__ = [
    "RunInProgress", "run_lock", "start_run", "close_abandoned_runs", "finish_run", "get_run", "material_changes_since",
]


def lock_path_for(db_path: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(db_path)}.run.lock")


@contextlib.contextmanager
def run_lock(db_path: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the pass lock (non-blocking): raise RunInProgress if it is taken."""
    path = lock_path_for(db_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise RunInProgress(path, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def start_run(db: Database, kind: str, *, started_at: str) -> int:
    cursor = db.execute(
        "INSERT INTO runs (kind, started_at, status) VALUES (?, ?, 'running')", [kind, started_at]
    )
    assert cursor.lastrowid is not None  # an INSERT always sets it
    return cursor.lastrowid


def close_abandoned_runs(db: Database, *, finished_at: str) -> int:
    """Mark ``running`` rows of passes that died (killed, power loss) as ``abandoned``.

    Call it only while holding the run lock: then no other pass is running, so
    every ``running`` row belongs to a pass that can no longer finish it.
    """
    cursor = db.execute(
        "UPDATE runs SET status = 'abandoned', finished_at = ? WHERE status = 'running'", [finished_at]
    )
    return cursor.rowcount


def finish_run(db: Database, run_id: int, *, status: str, finished_at: str, summary: dict[str, Any]) -> None:
    db.execute(
        "UPDATE runs SET status = ?, finished_at = ?, summary = ? WHERE id = ?",
        [status, finished_at, json.dumps(summary, sort_keys=True, default=str), run_id],
    )


def get_run(db: Database, run_id: int) -> dict[str, Any] | None:
    cursor = db.execute("SELECT * FROM runs WHERE id = ?", [run_id])
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    return dict(zip(names, row)) if row else None


def material_changes_since(db: Database, since: str) -> int:
    """Material changes recorded at or after ``since`` (what one pass found)."""
    row = db.execute(
        "SELECT count(*) FROM changes WHERE material = 1 AND superseded = 0 AND created_at >= ?", [since]
    ).fetchone()
    return int(row[0])
