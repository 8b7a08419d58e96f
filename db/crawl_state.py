"""Crawl state derived from the database: what the crawler still has to do.

Nothing about remaining work lives in memory or in a queue (docs/DESIGN.md "Ready to
scale out"): a killed crawl re-derives its work from these queries. Transient
failures (network errors, the archive's own 429/5xx and error pages) do not
count as done, so the next run goes back to them; every other outcome
(including soft 404s, unsupported types, archived redirects and archived
429/5xx pages) is a final answer about that archived copy. Resume points come
from CDX row timestamps only (a capture's time is its row's timestamp).
"""
from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from policywatch.db.blobs import get_blob

# SQL twin of crawler.outcomes.is_transient (db/ must not import the crawler).
def _transient(alias: str = "") -> str:
    """SQL condition: the capture (table alias ``alias``) failed transiently."""
    p = f"{alias}." if alias else ""
    return (
        f"({p}outcome IN ('network_error', 'archive_error') OR ({p}outcome = 'http_error' AND "
        f"({p}http_status IS NULL OR {p}http_status = 429 OR {p}http_status >= 500)))"
    )


_TRANSIENT = _transient()
# Outcomes that say nothing about an archived copy's content: its digest is not "stored".
_NOT_AN_ANSWER = "('digest_mismatch', 'blocked_by_archive')"


def live_validators_for(db: Database, policy_id: int, url: str) -> tuple[str | None, str | None]:
    """ETag and Last-Modified of the newest ok live capture OF THIS URL.

    After a move the old address's validators must not be sent to the new one
    (a matching date there would fake a 304).
    """
    row = db.execute(
        "SELECT etag, last_modified FROM captures WHERE policy_id = ? AND source = 'live' AND outcome = 'ok' "
        "AND ? IN (url, final_url) ORDER BY capture_time DESC, id DESC LIMIT 1",
        [policy_id, url],
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def policies_for_crawl(
    db: Database, *, policy_ids: list[int] | None = None, shard: int = 0, shards: int = 1
) -> list[dict[str, Any]]:
    """Active policies in this shard (``id % shards == shard``), optionally limited to ids."""
    if shards < 1 or not 0 <= shard < shards:
        raise ValueError(f"shard must be in 0..{shards - 1}, got {shard}")
    sql = "SELECT id, name, url FROM policies WHERE active = 1 AND (id % ?) = ?"
    params: list[Any] = [shards, shard]
    if policy_ids is not None:
        if not policy_ids:
            return []
        sql += f" AND id IN ({', '.join('?' * len(policy_ids))})"
        params.extend(policy_ids)
    return list(db.query(sql + " ORDER BY id", params))


def done_wayback_digests(db: Database, policy_id: int) -> set[str]:
    """Archive digests whose copy is stored (a body, or a redirect / archived error / verdict
    on that very copy): never downloaded again. A digest mismatch stores nothing of the digest."""
    return {
        row[0]
        for row in db.execute(
            f"SELECT DISTINCT wayback_digest FROM captures WHERE policy_id = ? AND source = 'wayback' "
            f"AND wayback_digest IS NOT NULL AND NOT {_TRANSIENT} AND outcome NOT IN {_NOT_AN_ANSWER}",
            [policy_id],
        )
    }


def recorded_wayback_rows(db: Database, policy_id: int) -> set[tuple[str, str]]:
    """``(14-digit timestamp, digest)`` of CDX rows already answered for good (re-listed rows are skipped)."""
    return {
        ("".join(ch for ch in row[0] if ch.isdigit())[:14], row[1])
        for row in db.execute(
            f"SELECT capture_time, wayback_digest FROM captures WHERE policy_id = ? AND source = 'wayback' "
            f"AND wayback_digest IS NOT NULL AND NOT {_TRANSIENT}",
            [policy_id],
        )
    }


def archive_blocked_urls(db: Database, policy_id: int) -> dict[str, str]:
    """URLs the archive refused for good (CDX 403, ``blocked_by_archive``) -> when that was recorded."""
    return {
        row[0]: row[1]
        for row in db.execute(
            "SELECT url, min(capture_time) FROM captures WHERE policy_id = ? AND source = 'wayback' "
            "AND outcome = 'blocked_by_archive' GROUP BY url",
            [policy_id],
        )
    }


def archive_urls(db: Database, policy_id: int) -> list[tuple[str, str | None]]:
    """``(url, moved_at)`` to query in the archive: the current URL (moved_at None), then
    each former URL of the policy with the time it was left (its history ends there)."""
    current = db.execute("SELECT url FROM policies WHERE id = ?", [policy_id]).fetchone()
    if current is None:
        return []
    former = db.execute(
        "SELECT old_url, max(moved_at) FROM policy_moves WHERE policy_id = ? AND old_url != ? "
        "GROUP BY old_url ORDER BY min(id)",
        [policy_id, current[0]],
    ).fetchall()
    return [(current[0], None)] + [(row[0], row[1]) for row in former]


def _url_scope(db: Database, policy_id: int, former_url: str | None, alias: str) -> tuple[str, list[Any]]:
    """SQL restricting captures to one former URL, or to everything but former URLs."""
    if former_url is not None:
        return f" AND {alias}.url = ?", [former_url]
    return (
        f" AND {alias}.url NOT IN (SELECT m.old_url FROM policy_moves m JOIN policies p ON p.id = m.policy_id "
        f"WHERE m.policy_id = ? AND m.old_url != p.url)",
        [policy_id],
    )


def wayback_resume_time(db: Database, policy_id: int, former_url: str | None = None) -> str | None:
    """Capture time (ISO) the next CDX query starts from, None for a full backfill.

    The newest archive capture, unless an older one failed transiently and was
    never fetched since: then the query goes back to that one. Captures of a
    policy's former URLs are counted only for that URL's own query
    (``former_url``), so one address's history never moves another's start.
    """
    scope, scope_params = _url_scope(db, policy_id, former_url, "c")
    newest = db.execute(
        f"SELECT max(c.capture_time) FROM captures c WHERE c.policy_id = ? AND c.source = 'wayback' "
        f"AND c.outcome != 'blocked_by_archive'{scope}",
        [policy_id, *scope_params],
    ).fetchone()[0]
    retry = db.execute(
        f"""SELECT min(c.capture_time) FROM captures c
            WHERE c.policy_id = ? AND c.source = 'wayback' AND {_transient('c')}{scope}
              AND NOT EXISTS (SELECT 1 FROM captures d WHERE d.policy_id = c.policy_id AND d.source = 'wayback'
                              AND d.wayback_digest = c.wayback_digest AND NOT {_transient('d')})""",
        [policy_id, *scope_params],
    ).fetchone()[0]
    if retry and (newest is None or retry < newest):
        return retry
    return newest


def wayback_digest_before(db: Database, policy_id: int, before: str, former_url: str | None = None) -> str | None:
    """Digest of the last archive row recorded before ``before`` (ISO): a resumed listing
    collapses a first row that repeats it, exactly as the uninterrupted listing did."""
    scope, scope_params = _url_scope(db, policy_id, former_url, "c")
    row = db.execute(
        f"SELECT c.wayback_digest FROM captures c WHERE c.policy_id = ? AND c.source = 'wayback' "
        f"AND c.capture_time < ? AND c.outcome != 'blocked_by_archive'{scope} "
        f"ORDER BY c.capture_time DESC, c.id DESC LIMIT 1",
        [policy_id, before, *scope_params],
    ).fetchone()
    return row[0] if row else None


def stored_wayback_body(db: Database, policy_id: int, digest: str) -> dict[str, Any] | None:
    """The stored archive copy with this digest (to record a flip back without a download).

    ``body`` is None when that copy had none (e.g. it redirected to the home page);
    ``outcome``/``detail`` say what the crawler decided about it then.
    """
    row = next(
        db.query(
            f"SELECT url, final_url, http_status, content_type, blob_sha256, outcome, detail, http_status_line, "
            f"http_headers FROM captures "
            f"WHERE policy_id = ? AND source = 'wayback' AND wayback_digest = ? AND NOT {_TRANSIENT} "
            f"AND outcome != 'blocked_by_archive' "
            f"ORDER BY blob_sha256 IS NULL, outcome = 'digest_mismatch', capture_time LIMIT 1",
            [policy_id, digest],
        ),
        None,
    )
    if row is None:
        return None
    sha = row.pop("blob_sha256")
    row["body"] = get_blob(db, sha) if sha else None
    return row


def policies_to_enqueue(
    db: Database, *, policy_ids: list[int] | None = None, groups: list[str] | None = None
) -> list[dict[str, Any]]:
    """Active policies (optionally only these ids / groups) with what a remote worker needs:
    extraction selectors and the last live check (distributed mode's reconciler)."""
    sql = ("SELECT id, name, url, policy_group, select_css, remove_css, last_checked_at "
           "FROM policies WHERE active = 1")
    params: list[Any] = []
    if policy_ids is not None:
        if not policy_ids:
            return []
        sql += f" AND id IN ({', '.join('?' * len(policy_ids))})"
        params.extend(policy_ids)
    if groups:
        sql += f" AND policy_group IN ({', '.join('?' * len(groups))})"
        params.extend(groups)
    return list(db.query(sql + " ORDER BY id", params))
