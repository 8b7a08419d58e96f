"""Raw bodies, stored once per sha256, compressed, and delta-encoded against a base.

Successive captures of one policy differ by a few lines, so a body is stored
as a line delta against the policy's previous body when that is smaller
(like git's packs): storage grows with what changed, not with the number of
captures. Chains are capped at ``MAX_DEPTH`` so reading a body stays cheap.
Bodies up to 4 MB use LZMA; larger ones use zlib and no delta, so a huge page
never stalls ingest. The method is recorded per blob.
"""
from __future__ import annotations

import difflib
import hashlib
import lzma
import struct
import zlib

from sqlite_utils import Database

from policywatch.errors import RecordNotFound

LZMA_LIMIT = 4 * 1024 * 1024
MAX_DEPTH = 16
_COPY, _INSERT = b"C", b"I"


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def encode_delta(base: bytes, body: bytes) -> bytes:
    """Line delta: copy runs of base lines, insert new bytes (uncompressed)."""
    base_lines = base.splitlines(keepends=True)
    new_lines = body.splitlines(keepends=True)
    out = bytearray()
    matcher = difflib.SequenceMatcher(None, base_lines, new_lines)  # autojunk: fast on rewrites
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += _COPY + struct.pack(">II", i1, i2)
        elif j2 > j1:
            chunk = b"".join(new_lines[j1:j2])
            out += _INSERT + struct.pack(">I", len(chunk)) + chunk
    return bytes(out)


def apply_delta(base: bytes, delta: bytes) -> bytes:
    base_lines = base.splitlines(keepends=True)
    out, pos = [], 0
    while pos < len(delta):
        op = delta[pos : pos + 1]
        if op == _COPY:
            i1, i2 = struct.unpack_from(">II", delta, pos + 1)
            out.extend(base_lines[i1:i2])
            pos += 9
        elif op == _INSERT:
            (length,) = struct.unpack_from(">I", delta, pos + 1)
            out.append(delta[pos + 5 : pos + 5 + length])
            pos += 5 + length
        else:
            raise ValueError(f"corrupt delta at byte {pos}")
    return b"".join(out)


def _compress(body: bytes) -> tuple[str, bytes]:
    if len(body) <= LZMA_LIMIT:
        return "lzma", lzma.compress(body, preset=6)
    return "zlib", zlib.compress(body, 6)


def _delta_candidate(db: Database, body: bytes, base_sha: str | None) -> tuple[str, bytes, int] | None:
    if base_sha is None or len(body) > LZMA_LIMIT:
        return None
    row = db.execute("SELECT depth, size FROM blobs WHERE sha256 = ?", [base_sha]).fetchone()
    if row is None or row[0] >= MAX_DEPTH or row[1] > LZMA_LIMIT:
        return None
    delta = lzma.compress(encode_delta(get_blob(db, base_sha), body), preset=6)
    return base_sha, delta, row[0] + 1


def put_blob(db: Database, body: bytes, *, base_sha: str | None = None) -> str:
    """Store ``body`` unless already present (delta against ``base_sha`` when smaller)."""
    sha = body_sha256(body)
    if db.execute("SELECT 1 FROM blobs WHERE sha256 = ?", [sha]).fetchone():
        return sha
    method, content = _compress(body)
    base, depth = None, 0
    candidate = _delta_candidate(db, body, base_sha)
    if candidate is not None and len(candidate[1]) < len(content):
        base, content, depth = candidate
        method = "lzma-delta"
    db.execute(
        "INSERT INTO blobs (sha256, size, compression, base_sha256, depth, content) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (sha256) DO NOTHING",
        [sha, len(body), method, base, depth, content],
    )
    return sha


def get_blob(db: Database, sha: str) -> bytes:
    row = db.execute("SELECT compression, base_sha256, content FROM blobs WHERE sha256 = ?", [sha]).fetchone()
    if row is None:
        raise RecordNotFound(f"blob {sha} is not stored")
    method, base, content = row
    if method == "lzma-delta":
        return apply_delta(get_blob(db, base), lzma.decompress(content))
    if method == "lzma":
        return lzma.decompress(content)
    if method == "zlib":
        return zlib.decompress(content)
    return bytes(content)
