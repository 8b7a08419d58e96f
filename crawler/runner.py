"""Run a crawl in a subprocess and read its summary (what ``policywatch crawl`` calls).

Never in-process: Scrapy's Twisted reactor cannot be restarted, and a
scheduler that runs crawls repeatedly must survive a crawl that dies. The child
is ``python -m crawler.run`` with the repo root on PYTHONPATH, so it works from
any working directory.

The child never outlives its parent: it asks the kernel for SIGKILL when the
parent dies (``prctl(PR_SET_PDEATHSIG)`` on Linux, a parent-pid watchdog
elsewhere), so a ``policywatch run`` killed with -9 cannot leave a crawl
running beside the next pass after its run lock was released. ``timeout`` is
enforced while the crawl runs: the child is killed when it expires and
:class:`subprocess.TimeoutExpired` is raised.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policywatch.crawler.request import CrawlRequest, check_stamp, parse_shard

__all__ = ["CrawlRequest", "CrawlSummary", "check_stamp", "run_crawl", "run_discover", "run_request"]

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
    no_archived_text: int = 0
    not_archived: int = 0
    blocked_known: int = 0
    digest_mismatches: int = 0
    requests: int = 0
    responses: int = 0
    unreachable: str | None = None  # set when requests were sent and none was answered (exit 69)
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
        blocked = self.outcomes.get("blocked_by_archive", 0) + self.blocked_known
        if blocked:
            text += f", {blocked} URLs blocked by the archive (permanent: not asked again)"
        if self.digest_mismatches:
            text += f", {self.digest_mismatches} archived copies the archive cannot serve (digest mismatch)"
        if self.not_archived:
            text += f", {self.not_archived} URLs the archive has no capture of"
        if self.no_archived_text:
            text += f", {self.no_archived_text} URLs with archive rows but no policy text"
        if self.pauses:
            text += f", {self.pauses} rate-limit pauses"
        return text


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
    merged[PARENT_ENV] = str(os.getpid())
    return merged


PARENT_ENV = "POLICYWATCH_PARENT_PID"
PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None) -> str:
    """In the crawl child: get killed when the parent process dies. Returns the mechanism used."""
    if parent_pid is None:
        value = os.environ.get(PARENT_ENV, "")
        if not value.isdigit():
            return "none"
        parent_pid = int(value)
    mechanism = "watchdog"
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                mechanism = "prctl"
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before we got here
        os._exit(1)
    if mechanism == "watchdog":
        def watch() -> None:
            while os.getppid() == parent_pid:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()
    return mechanism


def run_command(cmd: list[str], *, progress: Progress | None = None, env: dict[str, str] | None = None,
                timeout: float | None = None) -> CrawlSummary:
    """Run the child, feed its JSON lines to ``progress``, return its summary.

    With ``timeout`` the child is killed when it expires, even while it is still
    printing (the old ``wait(timeout)`` only started counting at end of output).
    """
    proc = subprocess.Popen(cmd, cwd=str(ROOT), env=child_env(env), stdout=subprocess.PIPE, text=True)
    summary = CrawlSummary()
    expired = threading.Event()
    timer = None
    if timeout is not None:
        def expire() -> None:
            expired.set()
            proc.kill()  # every capture is its own transaction: nothing committed is lost

        timer = threading.Timer(timeout, expire)
        timer.daemon = True
        timer.start()
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
        if timer is not None:
            timer.cancel()
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


def run_request(request: CrawlRequest, *, progress: Progress | None = None, env: dict[str, str] | None = None,
                settings: dict[str, str] | None = None) -> CrawlSummary:
    """Run one validated request (``crawler.request.build_crawl_request``) in a subprocess.

    What ``policywatch crawl``, ``policywatch run`` and the scheduler all end in;
    nothing is re-validated here.
    """
    cmd = crawl_command(request.db_path, live=request.live, archive=request.archive, since=request.since,
                        until=request.until, policies=request.policies or (), config_path=request.config_path,
                        save=request.save, settings=settings, shard=request.shard, shards=request.shards)
    return run_command(cmd, progress=progress, env=env, timeout=request.timeout)


def run_crawl(db_path: str, *, live: bool = False, archive: bool = False, since: str | None = None,
              until: str | None = None, policies: Sequence[int] = (), config_path: str | None = None,
              save: bool = False, progress: Progress | None = None, env: dict[str, str] | None = None,
              settings: dict[str, str] | None = None, timeout: float | None = None,
              shard: int = 0, shards: int = 1) -> CrawlSummary:
    """Crawl live pages and/or the archive (neither flag means both) in a subprocess.

    For library callers that already hold policy ids and a config path (tests,
    bench): only the stamps and the shard are checked; the CLI and the scheduler
    build their request with ``build_crawl_request`` and call :func:`run_request`.
    """
    shard, shards = parse_shard((shard, shards))
    request = CrawlRequest(
        db_path=str(Path(db_path).resolve()), live=live, archive=archive, since=check_stamp(since, "--since"),
        until=check_stamp(until, "--until"), policies=tuple(policies) or None,
        config_path=str(Path(config_path).resolve()) if config_path else None, save=save,
        shard=shard, shards=shards, timeout=timeout,
    )
    return run_request(request, progress=progress, env=env, settings=settings)


def run_discover(db_path: str, url: str, *, at: str | None = None, name: str | None = None,
                 progress: Progress | None = None, env: dict[str, str] | None = None,
                 timeout: float | None = None) -> CrawlSummary:
    """Discover a site's privacy policy (live, or archived at ``at``) in a subprocess."""
    at = check_stamp(at, "--at")
    return run_command(crawl_command(db_path, discover=url, at=at, name=name), progress=progress, env=env,
                       timeout=timeout)
