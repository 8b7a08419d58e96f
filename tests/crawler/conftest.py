"""Fixtures for crawler tests: loopback fakes, a fresh database, fast crawl settings."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policywatch.testing.live_site import FakeSiteServer
from policywatch.testing.wayback import FakeWaybackServer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def wayback() -> Iterator[FakeWaybackServer]:
    server = FakeWaybackServer().start()
    yield server
    server.stop()


@pytest.fixture
def site() -> Iterator[FakeSiteServer]:
    server = FakeSiteServer().start()
    yield server
    server.stop()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    from policywatch.db.connection import open_database

    path = tmp_path / "pw.db"
    open_database(path, create=True).conn.close()
    return str(path)


def fast_env(wayback_url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment for a quick, deterministic test crawl against the fakes."""
    env = dict(os.environ)
    env.update({
        "POLICYWATCH_ALLOW_PRIVATE": "1",
        "POLICYWATCH_AUTOTHROTTLE": "0",
        "POLICYWATCH_DOWNLOAD_DELAY": "0",
        "POLICYWATCH_CDX_PER_MINUTE": "6000",
        "POLICYWATCH_CAPTURES_PER_SECOND": "200",
        "POLICYWATCH_RETRY_BACKOFF_BASE": "0.05",
        "POLICYWATCH_RETRY_BACKOFF_MAX": "2",
        "POLICYWATCH_ARCHIVE_429_PAUSE": "1",
        "POLICYWATCH_DOWNLOAD_TIMEOUT": "10",
        "POLICYWATCH_LOG_LEVEL": "WARNING",
    })
    env.pop("POLICYWATCH_CONFIG", None)
    if wayback_url:
        env["POLICYWATCH_WAYBACK_URL"] = wayback_url
    env.update(extra)
    return env


def add_policy(db_path: str, url: str, name: str) -> int:
    from policywatch.db.connection import open_database
    from policywatch.db.policies import add_policy as add

    db = open_database(db_path)
    try:
        return int(add(db, url, name=name)["id"])
    finally:
        db.conn.close()


def query(db_path: str, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    from policywatch.db.connection import open_database

    db = open_database(db_path)
    try:
        return list(db.query(sql, params or []))
    finally:
        db.conn.close()
