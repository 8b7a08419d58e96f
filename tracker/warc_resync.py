"""Finding the next record in a damaged WARC, so one broken record does not lose the rest.

A WARC is a sequence of records, each either a gzip member of its own or plain
text starting with a ``WARC/1.x`` line. After warcio fails on a record (cut
framing, a damaged gzip member), the reader looks for the next such start and
carries on from there, as archive repair tools do.
"""
from __future__ import annotations

from typing import BinaryIO

__all__ = ["next_record_start"]

_GZIP_MEMBER = b"\x1f\x8b\x08"
_PLAIN_RECORD = (b"\nWARC/1.0\r\n", b"\nWARC/1.1\r\n")  # a record's first line, after the previous one's end
_SCAN_CHUNK = 1 << 20
_OVERLAP = 16  # bytes kept between chunks so a marker split across two reads is still found


def next_record_start(stream: BinaryIO, start: int) -> int | None:
    """Offset of the next gzip member or ``WARC/1.x`` line at or after ``start``, or None.

    Used only after a broken record; a false start (those bytes inside compressed
    data or a payload) fails to parse in turn and the scan moves on past it.
    """
    begin = max(start - 1, 0)  # one byte back: a plain record's line start is a preceding newline
    stream.seek(begin)
    offset, carry = begin, b""
    while chunk := stream.read(_SCAN_CHUNK):
        window, at = carry + chunk, offset - len(carry)  # ``at``: file offset of window[0]
        lo = max(start - at, 0)
        hits = [i for i in (window.find(_GZIP_MEMBER, lo),) if i >= 0]
        hits += [i + 1 for marker in _PLAIN_RECORD if (i := window.find(marker, max(lo - 1, 0))) >= 0]
        if hits:
            return at + min(hits)
        carry = window[-_OVERLAP:]
        offset += len(chunk)
    return None
