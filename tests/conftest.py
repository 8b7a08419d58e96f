"""Fixtures shared by the whole suite: databases, the CLI runner, the shared corpus."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("POLICYWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
DEMO_DATA = ROOT / "policywatch" / "demo_data"


@pytest.fixture
def corpus() -> Path:
    """The shared real-policy corpus; tests using it skip on a machine without ../shared."""
    if not (CORPUS / "manifest.json").exists():
        pytest.skip(f"shared corpus not found at {CORPUS} (set POLICYWATCH_CORPUS or check out ../shared)")
    return CORPUS


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "policywatch.db"


@pytest.fixture
def fresh_db(db_path: Path):
    from policywatch.db.connection import open_database

    db = open_database(db_path, create=True)
    yield db
    db.close()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner, db_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run the CLI against this test's database: ``invoke("list")``."""
    from policywatch.cli import cli

    monkeypatch.delenv("POLICYWATCH_CONFIG", raising=False)
    monkeypatch.chdir(db_path.parent)

    def run(*args: str, input: str | None = None):
        return runner.invoke(cli, ["--db", str(db_path), *args], input=input, catch_exceptions=False)

    return run


def next_second() -> None:
    """Captures are stored to the second: wait for the next one so two fetches get two times.

    0.1 s past the turn: wget stamps its records with time(2), a coarse clock that can still
    show the old second for a moment after time.time() turned (two crawls, one WARC-Date).
    """
    start = int(time.time())
    while time.time() < start + 1.1:
        time.sleep(0.02)
