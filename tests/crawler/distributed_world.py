"""Shared by the distributed-mode tests: Redis, three fake sites, a fake Wayback, and
helpers that start workers and the writer as real processes and compare databases."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from policywatch.testing.live_site import FakeSiteServer, policy_html
from policywatch.testing.redis_server import RedisServer, redis_binary
from policywatch.testing.wayback import FakeWaybackServer, markdown_page

from tests.crawler.conftest import REPO, add_policy, fast_env

HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
PER_HOST = 4
PER_HOST_LIMIT = 2  # CONCURRENT_REQUESTS_PER_DOMAIN (POLICYWATCH_CONCURRENT_PER_HOST)

needs_redis = pytest.mark.skipif(redis_binary() is None,
                                 reason="redis-server is not installed (apt-get install -y redis-server)")


@dataclass
class World:
    sites: list[FakeSiteServer]
    wayback: FakeWaybackServer
    urls: list[tuple[str, str]]  # (name, url), in the order policies are added

    def add_policies(self, db_path: str) -> list[int]:
        return [add_policy(db_path, url, name) for name, url in self.urls]

    def env(self, **extra: str) -> dict[str, str]:
        return fast_env(self.wayback.url, POLICYWATCH_HEARTBEAT_TTL="3", POLICYWATCH_CDX_CHAINS="3", **extra)


@contextmanager
def world(latency: float = 0.02) -> Iterator[World]:
    """Three sites with four policies each (one gone: 404), each with an archived history A, B, A."""
    sites = [FakeSiteServer(host=host).start() for host in HOSTS]
    wayback = FakeWaybackServer().start()
    urls = []
    try:
        for h, server in enumerate(sites):
            server.site.latency = latency
            for i in range(PER_HOST):
                path = f"/privacy-{i}"
                url = server.url + path
                name = f"s{h}p{i}"
                urls.append((name, url))
                if i != PER_HOST - 1:
                    server.site.policy(path, title=f"Privacy {name}",
                                       paragraphs=[f"Policy {name}: we keep your data for {i + 2} years."])
                old = markdown_page(f"# Privacy {name}\n\nWe collect your email for {name}. "
                                    "We never sell personal data to third parties. " * 8)
                new = markdown_page(f"# Privacy {name}\n\nWe collect your email and location for {name}. "
                                    "We sell personal data to advertising partners. " * 8)
                wayback.archive.add(url, f"20200{h + 1}0{i + 1}000000", old)
                wayback.archive.add(url, f"20210{h + 1}0{i + 1}000000", new)
                wayback.archive.add(url, f"20220{h + 1}0{i + 1}000000", old)
        yield World(sites, wayback, urls)
    finally:
        for server in sites:
            server.stop()
        wayback.stop()


@contextmanager
def redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


def policywatch(db_path: str, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """A ``policywatch`` command as a real process (output captured for assertion messages)."""
    return subprocess.Popen([sys.executable, "-m", "policywatch", "--db", db_path, *args], cwd=str(REPO), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run(db_path: str, *args: str, env: dict[str, str], timeout: float = 60) -> str:
    proc = policywatch(db_path, *args, env=env)
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out
    return out


def worker_args(redis_url: str, role: str, idle: float = 3.0) -> list[str]:
    """``role``: ``archive`` or ``K/N`` (a live shard)."""
    extra = ["--archive"] if role == "archive" else ["--shard", role]
    return ["worker", "--redis", redis_url, *extra, "--exit-when-idle", str(idle), "--name", f"w-{role}"]


def writer_args(redis_url: str, idle: float = 4.0) -> list[str]:
    return ["writer", "--redis", redis_url, "--exit-when-idle", str(idle), "--lock-ttl", "3"]


def finish(procs: list[subprocess.Popen[str]], timeout: float = 120) -> list[str]:
    """Wait for every process; each must exit 0. Returns their outputs."""
    outputs = []
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            raise AssertionError(f"{proc.args} did not finish:\n{out[-3000:]}")
        assert proc.returncode == 0, f"{proc.args} exit {proc.returncode}:\n{out[-3000:]}"
        outputs.append(out)
    return outputs


# --- comparing two databases row for row -------------------------------------------------

# Columns holding the id of another table's row: compared through that row's natural key.
REFERENCES = {
    "version_id": "versions", "first_capture_id": "captures", "flip_of": "versions",
    "from_version_id": "versions", "to_version_id": "versions", "change_id": "changes",
    "clause_id": "clause_texts", "old_clause_id": "clause_texts", "new_clause_id": "clause_texts",
    "heading_id": "headings",
}
# Natural keys of tables whose integer ids depend on the order rows arrived in.
NATURAL = {
    "clause_texts": ["digest"], "headings": ["path"],
    "captures": ["policy_id", "source", "url", "capture_time", "outcome", "wayback_digest", "blob_sha256"],
    "versions": ["policy_id", "capture_time", "text_sha256"],
    "changes": ["policy_id", "from_version_id", "to_version_id", "superseded"],
}
# Stamps of the run itself (when it ran, not what it found), and the capture key (it hashes
# a live capture's fetch time): they differ between any two runs.
RUN_COLUMNS = {"created_at", "fetched_at", "seeded_at", "sent_at", "next_attempt_at", "moved_at", "capture_key",
               "applied_at"}
VERSION_REF = re.compile(r"\bversion (\d+)\b")  # a change summary names a version by its row id
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def canonical_rows(db_path: str, run_start: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table as a sorted list of rows, independent of row ids and of when the run happened.

    A live fetch time (any stamp after ``run_start``) becomes ``<run>``; a seeded
    flag is kept as NULL / not NULL.
    """
    import sqlite3

    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    keys: dict[str, dict[Any, Any]] = {}

    def norm(column: str, value: Any) -> Any:
        if column == "http_headers" and value:  # the Date a server answered with is when the run fetched
            return json.dumps([[k, "<run>" if k.lower() == "date" else v] for k, v in json.loads(value)])
        if isinstance(value, str) and STAMP.match(value) and value >= run_start:
            return "<run>"
        if column in REFERENCES and value is not None:
            return keys.get(REFERENCES[column], {}).get(value, ("unresolved", value))
        if isinstance(value, str) and "version" in value and "versions" in keys:
            return VERSION_REF.sub(lambda m: f"version {keys['versions'].get(int(m.group(1)), m.group(1))}", value)
        return value

    for table in ("clause_texts", "headings", "captures", "versions", "changes", "captures", "versions"):
        keys[table] = {row["id"]: tuple(norm(c, row[c]) for c in NATURAL[table])
                       for row in conn.execute(f"SELECT * FROM {table}")}
    # A change superseded by a later re-link records the ORDER history arrived in (a live check
    # ingested before the backfill of older captures), not the history; live and archive
    # ingest interleave by arrival in one process too, so only current changes are compared.
    superseded = {r[0] for r in conn.execute("SELECT id FROM changes WHERE superseded = 1")}
    dump = {}
    for table in tables:
        if "_fts" in table:  # full-text index internals: derived from clause_texts, compared above
            continue
        rows = []
        for row in conn.execute(f"SELECT * FROM {table}"):
            if (table == "changes" and row["id"] in superseded) or (
                    table in ("clause_changes", "alerts") and row["change_id"] in superseded):
                continue
            cols = [c for c in row.keys() if not (c == "id" and table != "policies") and c not in RUN_COLUMNS]
            if table == "blobs":  # how a body is encoded (a delta against whichever body came first) is
                cols = ["sha256", "size"]  # storage detail: compare what it decodes to instead
            values = tuple((c, norm(c, row[c])) for c in cols)
            if table == "blobs":
                values += (("decodes_to_its_sha256", decoded_sha(db_path, row["sha256"]) == row["sha256"]),)
            if table == "policies":
                values += (("seeded", row["seeded_at"] is not None),)
            rows.append(values)
        dump[table] = sorted(rows, key=repr)
    conn.close()
    return dump


def decoded_sha(db_path: str, sha: str) -> str:
    import hashlib

    from policywatch.db.blobs import get_blob
    from policywatch.db.connection import open_database

    db = open_database(db_path)
    try:
        return hashlib.sha256(get_blob(db, sha)).hexdigest()
    finally:
        db.conn.close()


def diff_tables(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> list[str]:
    problems = []
    for table in sorted(set(a) | set(b)):
        ra, rb = a.get(table, []), b.get(table, [])
        if ra != rb:
            only_a = [r for r in ra if r not in rb][:3]
            only_b = [r for r in rb if r not in ra][:3]
            problems.append(f"{table}: {len(ra)} vs {len(rb)} rows; only single: {only_a}; "
                            f"only distributed: {only_b}"[:3000])
    return problems
