"""Clause texts, stored once per sha256 of the text (content addressing)."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlite_utils import Database


def clause_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def intern_clauses(db: Database, texts: Sequence[str]) -> list[int]:
    """Ids of the given clause texts, inserting the ones not stored yet."""
    hashes = [clause_sha256(t) for t in texts]
    ids: dict[str, int] = {}
    unique = list(dict.fromkeys(hashes))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for sha, cid in db.execute(f"SELECT sha256, id FROM clause_texts WHERE sha256 IN ({marks})", chunk):
            ids[sha] = cid
    for sha, text in zip(hashes, texts):
        if sha not in ids:
            cur = db.execute(
                "INSERT INTO clause_texts (sha256, text) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING", [sha, text]
            )
            ids[sha] = cur.lastrowid or db.execute("SELECT id FROM clause_texts WHERE sha256 = ?", [sha]).fetchone()[0]
    return [ids[h] for h in hashes]


def clause_text(db: Database, clause_id: int | None) -> str | None:
    if clause_id is None:
        return None
    row = db.execute("SELECT text FROM clause_texts WHERE id = ?", [clause_id]).fetchone()
    return row[0] if row else None
