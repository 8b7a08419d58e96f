"""Raw bodies, stored once per sha256 and zlib-compressed (content addressing)."""
from __future__ import annotations

import hashlib
import zlib

from sqlite_utils import Database


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def put_blob(db: Database, body: bytes) -> str:
    """Store ``body`` unless already present; returns its sha256."""
    sha = body_sha256(body)
    db.execute(
        "INSERT INTO blobs (sha256, size, compression, content) VALUES (?, ?, 'zlib', ?) "
        "ON CONFLICT (sha256) DO NOTHING",
        [sha, len(body), zlib.compress(body, 6)],
    )
    return sha


def get_blob(db: Database, sha: str) -> bytes:
    row = db.execute("SELECT compression, content FROM blobs WHERE sha256 = ?", [sha]).fetchone()
    if row is None:
        raise KeyError(sha)
    compression, content = row
    return zlib.decompress(content) if compression == "zlib" else bytes(content)
