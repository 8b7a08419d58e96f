"""Run a crawl in a subprocess and read its summary (what ``policywatch crawl`` calls).

Never in-process: Scrapy's Twisted reactor cannot be restarted, and a
scheduler that runs crawls repeatedly must survive a crawl that dies. The child
is ``python -m crawler.run`` with the repo root on PYTHONPATH, so it works from
any working directory.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policywatch.crawler.cdx import valid_stamp
from policywatch.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
Progress = Callable[[dict[str, Any]], None]


@dataclass
class CrawlSummary:
    """What a crawl did: captures by outcome, versions, changes, alerts (+ exit status)."""

    outcomes: dict[str, int] = field(default_factory=dict)
    new_versions: int = 0
    changes: int = 0
    alerts: int = 0
    moves: int = 0
    discovered: int = 0
    pauses: int = 0
    duplicates: int = 0
    cdx_failures: int = 0
    returncode: int = 0
    finish_reasons: list[str] = field(default_factory=list)

    @property
    def captures(self) -> int:
        return sum(self.outcomes.values())

    def line(self) -> str:
        """One line for people: ``12 captures (ok 10, not_modified 2); 3 new versions, ...``."""
        by_outcome = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items(), key=lambda kv: -kv[1]))
        text = f"{self.captures} captures" + (f" ({by_outcome})" if by_outcome else "")
        text += f"; {self.new_versions} new versions, {self.changes} changes, {self.alerts} alerts"
        if self.duplicates:
            text += f", {self.duplicates} already stored"
        if self.moves:
            text += f", {self.moves} moved"
        if self.discovered:
            text += f", {self.discovered} discovered"
        if self.cdx_failures:
            text += f", {self.cdx_failures} archive queries failed (re-run to resume)"
        if self.pauses:
            text += f", {self.pauses} rate-limit pauses"
        return text


def check_stamp(value: str | None, option: str) -> str | None:
    """Validate ``--since``/``--until`` (YYYY, YYYYMM, YYYYMMDD...); UsageError otherwise."""
    if value is None:
        return None
    value = value.replace("-", "")
    if not valid_stamp(value):
        raise UsageError(f"{option} must be a date as YYYY, YYYYMM or YYYYMMDD (got {value!r}).")
    return value


def crawl_command(db_path: str, *, live: bool = False, archive: bool = False, since: str | None = None,
                  until: str | None = None, policies: Sequence[int] = (), config_path: str | None = None,
                  save: bool = False, discover: str | None = None, at: str | None = None,
                  name: str | None = None, shard: int = 0, shards: int = 1,
                  settings: dict[str, str] | None = None) -> list[str]:
    """The child command line (a list, never a shell string)."""
    cmd = [sys.executable, "-m", "policywatch.crawler.run", "--db", str(Path(db_path).resolve()), "--progress"]
    if discover:
        cmd += ["--discover", discover] + (["--at", at] if at else []) + (["--name", name] if name else [])
    else:
        cmd += (["--live"] if live else []) + (["--archive"] if archive else [])
        cmd += (["--since", since] if since else []) + (["--until", until] if until else [])
        if policies:
            cmd += ["--policies", ",".join(str(p) for p in policies)]
        cmd += ["--shard", str(shard), "--shards", str(shards)]
    if config_path:
        cmd += ["--config", str(Path(config_path).resolve())]
    if save:
        cmd.append("--save")
    for key, value in (settings or {}).items():
        cmd += ["-s", f"{key}={value}"]
    return cmd


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    merged = dict(os.environ if env is None else env)
    merged["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), merged.get("PYTHONPATH", "")) if p)
    merged["SCRAPY_SETTINGS_MODULE"] = "policywatch.crawler.settings"
    merged.setdefault("POLICYWATCH_LOG_LEVEL", "WARNING")
    return merged


def run_command(cmd: list[str], *, progress: Progress | None = None, env: dict[str, str] | None = None,
                timeout: float | None = None) -> CrawlSummary:
    """Run the child, feed its JSON lines to ``progress``, return its summary.

    ``timeout`` bounds the whole run: a watchdog kills a child that is still running
    then (even one that keeps its stdout open), and ``subprocess.TimeoutExpired`` is raised.
    """
    proc = subprocess.Popen(cmd, cwd=str(ROOT), env=child_env(env), stdout=subprocess.PIPE, text=True)
    summary = CrawlSummary()
    expired = threading.Event()
    watchdog = threading.Timer(timeout, lambda: (expired.set(), proc.kill())) if timeout else None
    if watchdog is not None:
        watchdog.daemon = True
        watchdog.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            event = _event(line)
            if event is None:
                continue
            if event.get("event") == "summary":
                summary = CrawlSummary(**{k: v for k, v in event.items() if k in CrawlSummary.__dataclass_fields__})
            elif progress is not None:
                progress(event)
        proc.wait()
        if expired.is_set():
            raise subprocess.TimeoutExpired(cmd, timeout or 0)
    except KeyboardInterrupt:
        # The child got the same SIGINT and is shutting down cleanly: give it time.
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        if watchdog is not None:
            watchdog.cancel()
    summary.returncode = proc.returncode
    return summary


def _event(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def run_crawl(db_path: str, *, live: bool = False, archive: bool = False, since: str | None = None,
              until: str | None = None, policies: Sequence[int] = (), config_path: str | None = None,
              save: bool = False, progress: Progress | None = None, env: dict[str, str] | None = None,
              settings: dict[str, str] | None = None, timeout: float | None = None,
              shard: int = 0, shards: int = 1) -> CrawlSummary:
    """Crawl live pages and/or the archive (neither flag means both) in a subprocess."""
    since, until = check_stamp(since, "--since"), check_stamp(until, "--until")
    cmd = crawl_command(db_path, live=live, archive=archive, since=since, until=until, policies=policies,
                        config_path=config_path, save=save, settings=settings, shard=shard, shards=shards)
    return run_command(cmd, progress=progress, env=env, timeout=timeout)


def run_discover(db_path: str, url: str, *, at: str | None = None, name: str | None = None,
                 progress: Progress | None = None, env: dict[str, str] | None = None,
                 timeout: float | None = None) -> CrawlSummary:
    """Discover a site's privacy policy (live, or archived at ``at``) in a subprocess."""
    at = check_stamp(at, "--at")
    return run_command(crawl_command(db_path, discover=url, at=at, name=name), progress=progress, env=env,
                       timeout=timeout)
