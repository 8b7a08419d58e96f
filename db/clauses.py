"""Clause texts and heading paths, each stored once (content addressing).

A clause text is keyed by the first 16 bytes of its sha256 (a BLOB: half the
size of hex, collision-free in practice at any policy corpus size); heading
paths, repeated by every clause under them and in every version, are interned
as small integers.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from sqlite_utils import Database


def clause_digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


def _intern(db: Database, table: str, key_column: str, keys: list, rows: dict) -> dict:
    """Ids of ``keys`` in ``table``, inserting ``rows[key]`` for the missing ones."""
    ids: dict = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for key, row_id in db.execute(f"SELECT {key_column}, id FROM {table} WHERE {key_column} IN ({marks})", chunk):
            ids[key] = row_id
    for key in unique:
        if key not in ids:
            columns = rows[key]
            names = ", ".join(columns)
            db.execute(
                f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))}) "
                f"ON CONFLICT ({key_column}) DO NOTHING",
                list(columns.values()),
            )
            ids[key] = db.execute(f"SELECT id FROM {table} WHERE {key_column} = ?", [key]).fetchone()[0]
    return ids


def intern_clauses(
    db: Database, texts: Sequence[str], categories: Sequence[Sequence[str]] | None = None
) -> list[int]:
    """Ids of the given clause texts, inserting the ones not stored yet.

    Categories depend only on the text, so they are stored with it, once.
    """
    digests = [clause_digest(t) for t in texts]
    cats = categories if categories is not None else [()] * len(texts)
    rows = {d: {"digest": d, "text": t, "categories": json.dumps(list(c))} for d, t, c in zip(digests, texts, cats)}
    ids = _intern(db, "clause_texts", "digest", digests, rows)
    return [ids[d] for d in digests]


def intern_headings(db: Database, paths: Sequence[Sequence[str]]) -> list[int]:
    """Ids of heading paths (stored as JSON arrays), inserting new ones."""
    keys = [json.dumps(list(p), ensure_ascii=False) for p in paths]
    ids = _intern(db, "headings", "path", keys, {k: {"path": k} for k in keys})
    return [ids[k] for k in keys]
