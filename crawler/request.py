"""One crawl request, built and validated in one place.

``policywatch crawl``, ``policywatch run`` and the scheduler's crawl and run jobs
all call :func:`build_crawl_request`: policy names/ids and a policy group become
ids, the config file is found (from the caller's working directory: the crawl
child runs elsewhere), checked and made absolute, ``--since``/``--until`` and
``--shard`` are validated. Bad input is one ``UsageError`` line (exit 2) before
anything runs. The result is a frozen :class:`CrawlRequest` that
``crawler.runner.run_request`` turns into the crawl child's command line.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from policywatch.errors import UsageError


@dataclass(frozen=True)
class CrawlRequest:
    """What to crawl: everything resolved, so running it needs no more decisions."""

    db_path: str  # absolute
    live: bool = False  # neither live nor archive: both (the child's rule)
    archive: bool = False
    since: str | None = None  # a valid stamp, dashes removed
    until: str | None = None
    policies: tuple[int, ...] | None = None  # None: every active policy; (): nothing selected
    config_path: str | None = None  # absolute, already validated
    save: bool = False
    shard: int = 0
    shards: int = 1
    timeout: float | None = None  # kill the crawl child after this many seconds

    @property
    def selects_nothing(self) -> bool:
        """A group or list that matched no policy: there is nothing to crawl."""
        return self.policies == ()

    def crawl_kwargs(self) -> dict[str, Any]:
        """The fields as ``run_crawl`` keywords (the scheduler's injectable crawl seam gets these)."""
        fields = asdict(self)
        fields.pop("db_path")
        fields["policies"] = list(self.policies or ())
        return fields


def check_stamp(value: str | None, option: str) -> str | None:
    """Validate ``--since``/``--until`` (YYYY, YYYYMM, YYYYMMDD...); UsageError otherwise."""
    from policywatch.crawler.cdx import valid_stamp  # late: cdx imports waybackpy

    if value is None:
        return None
    value = str(value).replace("-", "")
    if not valid_stamp(value):
        raise UsageError(f"{option} must be a date as YYYY, YYYYMM or YYYYMMDD (got {value!r}).")
    return value


def parse_shard(value: str | tuple[int, int]) -> tuple[int, int]:
    """``K/N`` (or a ``(K, N)`` pair) with ``0 <= K < N``; UsageError otherwise."""
    if isinstance(value, tuple):
        k, n = value
        text = f"{k}/{n}"
    else:
        text = value
    first, _, second = text.partition("/")
    if not (first.isdigit() and second.isdigit()) or not 0 <= int(first) < int(second):
        raise UsageError(f"--shard must be K/N with 0 <= K < N, e.g. 0/4 (got {text!r}).")
    return int(first), int(second)


def resolve_policies(db_path: str, refs: Sequence[str | int] | None, group: str | None) -> tuple[int, ...] | None:
    """Ids of the named policies and of a group's active policies; None = all.

    An unknown name is a UsageError naming the known ones; a missing database is
    an error too (the connection is opened without ``create``).
    """
    if not refs and group is None:
        return None
    from policywatch.db.connection import open_database
    from policywatch.db.policies import get_policy, list_policies

    db = open_database(db_path)
    try:
        ids = {int(get_policy(db, ref)["id"]) for ref in refs or ()}
        if group is not None:
            ids |= {int(p["id"]) for p in list_policies(db, active_only=True) if p.get("policy_group") == group}
        return tuple(sorted(ids))
    finally:
        db.close()


def resolve_config(config_path: str | None) -> str | None:
    """The config file as found from HERE, loaded once so a bad one is exit 2 before crawling."""
    from policywatch.tracker.config import find_config_path, load_config

    found = find_config_path(config_path)
    load_config(found)
    return str(found.resolve()) if found else None


def build_crawl_request(
    db_path: str,
    *,
    live: bool = False,
    archive: bool = False,
    since: str | None = None,
    until: str | None = None,
    policies: Sequence[str | int] | None = None,
    group: str | None = None,
    config_path: str | None = None,
    save: bool = False,
    shard: str | tuple[int, int] = "0/1",
    timeout: float | None = None,
) -> CrawlRequest:
    """The one place a crawl's inputs are validated and resolved (see the module docstring).

    Cheap checks come first, so a bad stamp or shard is reported without
    opening the database or reading the config.
    """
    since = check_stamp(since, "--since")
    until = check_stamp(until, "--until")
    shard_k, shard_n = parse_shard(shard)
    if timeout is not None and timeout <= 0:
        raise UsageError(f"timeout must be a positive number of seconds (got {timeout!r}).")
    ids = resolve_policies(db_path, policies, group)
    return CrawlRequest(
        db_path=str(Path(db_path).resolve()), live=live, archive=archive, since=since, until=until,
        policies=ids, config_path=resolve_config(config_path), save=save, shard=shard_k, shards=shard_n,
        timeout=timeout,
    )
