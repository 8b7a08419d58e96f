"""When the sink cannot write (disk full), the crawl stops with one log line that names the
capture but never prints its body (it used to dump the whole page bytes into the log)."""
from __future__ import annotations

import sqlite3
import subprocess

import pytest

from policywatch.crawler.runner import ROOT, child_env, crawl_command
from tests.crawler.conftest import add_policy, fast_env

MARKER = "BODY-MARKER-7f3a9c"


class FullDisk:
    def put(self, capture):
        raise sqlite3.OperationalError("database or disk is full")


def broken_sink(db, config_path):
    """POLICYWATCH_SINK factory for the crawl child."""
    return FullDisk()


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.timeout(120)
def test_sink_unusable_log_line_has_no_body_bytes(site, db_path):
    site.site.policy("/privacy", paragraphs=[f"We collect your email address. {MARKER} " * 20])
    add_policy(db_path, site.url + "/privacy", "example")
    env = child_env(fast_env(POLICYWATCH_SINK=f"{__name__}.broken_sink", POLICYWATCH_LOG_LEVEL="INFO"))
    done = subprocess.run(crawl_command(db_path, live=True), cwd=str(ROOT), env=env, capture_output=True,
                          text=True, timeout=90)
    assert "sink unusable" in done.stderr, done.stderr[-2000:]
    assert MARKER not in done.stderr
    assert "body=" not in done.stderr
