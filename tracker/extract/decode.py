"""Bytes -> str: refuse binary bodies, find the encoding (BOM, headers, <meta>, sniffing).

Also tells PDF and HTML bodies from plain text by their first bytes (``is_pdf``, ``_looks_like_html``).
"""
from __future__ import annotations

import codecs
import re

from policywatch.errors import InputError

_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a ZIP archive (or an Office document)",
    b"\x1f\x8b": "gzip-compressed data",
    b"RIFF": "a RIFF media file",
    b"\x7fELF": "an executable",
    b"\xd0\xcf\x11\xe0": "an old Office document",
}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_SINGLE_BYTE = {"latin-1", "iso8859-1", "ascii", "cp1252", "iso8859-15"}
_HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|title|div|p|h[1-6]|article|main|section)[\s>]", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _check_not_binary(body: bytes, content_type: str | None) -> None:
    """Raise InputError when ``body`` is clearly not text (magic bytes, NULs)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media.startswith(("image/", "audio/", "video/", "font/")) or media in ("application/pdf", "application/zip"):
        raise InputError(f"unsupported content type {media!r}: not an HTML or text document")
    for magic, what in _MAGIC.items():
        if body.startswith(magic):
            raise InputError(f"the input is {what}, not an HTML or text document")
    head = body[:65536]
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return
    if b"\x00" in head:
        raise InputError("the input is binary data (it contains NUL bytes), not an HTML or text document")


def _check_control_ratio(text: str) -> None:
    """Raise InputError when decoded text is mostly control characters."""
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) > 0.05 * len(sample):
        raise InputError("the input is binary data (too many control characters), not an HTML or text document")


def _codec(name: str | None) -> str | None:
    """Python codec name for a declared charset (WHATWG: latin-1 means cp1252)."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def _sniff_encoding(body: bytes) -> str:
    """Best guess for undeclared bytes: UTF-8 if valid, else cp1252 for mostly-ASCII
    (Western) text, else charset_normalizer's guess (Cyrillic, Greek, CJK pages)."""
    if _is_utf8(body):
        return "utf-8"
    sample = body[:200_000]
    non_ascii = sum(1 for byte in sample if byte >= 0x80)
    if non_ascii <= 0.15 * max(1, len(sample)):
        return "cp1252"
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset_normalizer comes with trafilatura
        return "cp1252"
    best = from_bytes(sample).best()
    return (_codec(best.encoding) if best is not None else None) or "cp1252"


def decode_body(body: bytes, content_type: str | None = None, html: bool = True) -> tuple[str, str]:
    """Decode ``body``: BOM, then Content-Type charset, then ``<meta>``, then sniffing.

    A declared single-byte charset loses to valid non-ASCII UTF-8 (a common server
    misconfiguration); a declaration the bytes do not fit is skipped.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), codec.replace("-sig", "")
    declared = []
    match = _CT_CHARSET.search(content_type or "")
    if match:
        declared.append(_codec(match.group(1)))
    if html:
        meta = _META_CHARSET.search(body[:8192])
        if meta:
            declared.append(_codec(meta.group(1).decode("ascii", "replace")))
    for codec in [c for c in declared if c]:
        if codec in _SINGLE_BYTE and not body.isascii() and _is_utf8(body):
            codec = "utf-8"
        try:
            return body.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    codec = _sniff_encoding(body)
    try:
        return body.decode(codec), codec
    except (UnicodeDecodeError, LookupError):
        return body.decode("cp1252", errors="replace"), "cp1252"


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def is_pdf(body: bytes, content_type: str | None) -> bool:
    """A PDF by its media type or its magic bytes (whatever the file name says)."""
    media = (content_type or "").split(";")[0].strip().lower()
    return media in ("application/pdf", "application/x-pdf") or body[:1024].lstrip().startswith(b"%PDF")


def _looks_like_html(body: bytes) -> bool:
    return bool(_HTML_SNIFF.search(body[:4096]))

