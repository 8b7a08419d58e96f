"""Raw body storage: content addressing and delta encoding round trips."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policywatch.db.blobs import MAX_DEPTH, apply_delta, encode_delta, get_blob, put_blob

lines = st.lists(st.text(alphabet="ab c\n\u00e9", max_size=12).map(lambda s: s.encode("utf-8")), max_size=30)


@given(lines, lines)
@settings(max_examples=200, deadline=None)
def test_delta_round_trips(base_parts, new_parts):
    base, new = b"\n".join(base_parts), b"\n".join(new_parts)
    assert apply_delta(base, encode_delta(base, new)) == new


def test_same_body_is_stored_once(fresh_db):
    body = b"We collect your email address.\n" * 50
    assert put_blob(fresh_db, body) == put_blob(fresh_db, body)
    assert fresh_db.execute("SELECT count(*) FROM blobs").fetchone()[0] == 1


def test_similar_bodies_are_stored_as_small_deltas_and_read_back(fresh_db):
    paragraphs = [f"Paragraph {i}: we keep logs for {i} days and share them with nobody.\n".encode() for i in range(400)]
    bodies = []
    base = None
    for step in range(MAX_DEPTH + 3):
        paragraphs[step * 7] = f"Edited in step {step}: we may share logs with partners.\n".encode()
        body = b"".join(paragraphs)
        base = put_blob(fresh_db, body, base_sha=base)
        bodies.append((base, body))
    rows = fresh_db.execute("SELECT compression, depth, length(content) FROM blobs ORDER BY rowid").fetchall()
    assert rows[0][0] == "lzma" and rows[1][0] == "lzma-delta"
    assert max(r[1] for r in rows) <= MAX_DEPTH
    assert rows[1][2] < rows[0][2] / 3
    for sha, body in bodies:
        assert get_blob(fresh_db, sha) == body
