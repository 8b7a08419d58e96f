"""Distributed mode's parts against a real Redis: shared archive budgets, sharding, the CLI's errors."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from policywatch.cli import cli
from policywatch.crawler import cluster
from policywatch.crawler.budget import ARCHIVE_CDX
from policywatch.crawler.egress import RedisLimiter
from policywatch.testing.redis_server import RedisServer

from tests.crawler.conftest import add_policy
from tests.crawler.distributed_world import needs_redis, redis

pytestmark = [needs_redis]


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with redis() as r:
        yield r


@pytest.fixture
def client(server: RedisServer) -> Iterator[object]:
    c = cluster.connect(server.url)
    c.flushall()
    yield c


def test_workers_on_one_address_share_the_archive_budget_and_its_breaker(client: object) -> None:
    rates = {ARCHIVE_CDX: 1.0}  # one request a second
    a, b = RedisLimiter(client, rates, "10.0.0.1"), RedisLimiter(client, rates, "10.0.0.1")
    other = RedisLimiter(client, rates, "10.0.0.2")
    assert a.reserve(ARCHIVE_CDX) == pytest.approx(0.0, abs=0.05)
    assert 0.5 < b.reserve(ARCHIVE_CDX) <= 1.0  # the second worker waits its turn (about 1 s)
    assert other.reserve(ARCHIVE_CDX) == pytest.approx(0.0, abs=0.05)  # another address: its own budget
    a.trip(ARCHIVE_CDX, 30)  # a 429 seen by one worker pauses every worker on that address
    assert b.pause_remaining("archive:capture") == pytest.approx(30, abs=1)
    assert other.pause_remaining("archive:capture") == 0.0
    assert a.reserve("example.org") == 0.0  # sites stay local: one worker owns a site


def test_a_site_always_maps_to_one_shard() -> None:
    urls = ["https://www.example.co.uk/privacy", "https://shop.example.co.uk/legal/privacy", "http://example.co.uk/p"]
    assert {cluster.registrable_domain(u) for u in urls} == {"example.co.uk"}
    assert len({cluster.shard_of(u, 7) for u in urls}) == 1
    assert cluster.registrable_domain("http://127.0.0.2:8080/p") == "127.0.0.2"


def test_cli_errors_are_one_line_and_exit_2(tmp_path: Path, server: RedisServer) -> None:
    db = str(tmp_path / "pw.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db, "init"]).exit_code == 0
    add_policy(db, "https://example.org/privacy", "ex")
    bad = runner.invoke(cli, ["--db", db, "enqueue", "--redis", "redis://127.0.0.1:1/0"])
    assert bad.exit_code == 2 and "Cannot reach Redis" in bad.output and "Traceback" not in bad.output
    bad = runner.invoke(cli, ["worker", "--redis", server.url, "--shard", "3/2"])
    assert bad.exit_code == 2 and "--shard must be K/N" in bad.output
    ok = runner.invoke(cli, ["--db", db, "enqueue", "--redis", server.url, "--live", "--shards", "3"])
    assert ok.exit_code == 0 and "queued 1 live checks over 3 shards and 0 archive" in ok.output
    wrong = runner.invoke(cli, ["worker", "--redis", server.url, "--shard", "0/2"])
    assert wrong.exit_code == 2 and "queued for 3 shards" in wrong.output
    status = runner.invoke(cli, ["workers", "status", "--redis", server.url, "--format", "json"])
    assert json.loads(status.output)["jobs"] == 1
    assert sum(json.loads(status.output)["queues"].values()) == 1
