"""CLI FILE arguments: read a file (or stdin) and extract its policy text."""
from __future__ import annotations

import os
import sys

from policywatch.errors import InputError
from policywatch.tracker.extract.pipeline import extract_text

def _read_bytes(path: str) -> bytes:
    """Read a file (or stdin for ``-``) or raise InputError saying what is wrong."""
    if path == "-":
        return sys.stdin.buffer.read()
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, expected a .html, .md, .txt or .pdf file")
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def read_document(path: str) -> str:
    """Policy text of a CLI FILE argument: HTML and PDF are extracted, text is decoded as it is."""
    body = _read_bytes(path)
    ext = os.path.splitext(path)[1].lower()
    label = "standard input" if path == "-" else path
    try:
        if ext in (".html", ".htm", ".xhtml"):
            return extract_text(body, "text/html").text
        if ext == ".pdf":
            return extract_text(body, "application/pdf").text
        if ext in (".md", ".markdown", ".txt", ".text"):
            return extract_text(body, "text/plain").text
        return extract_text(body, None).text
    except InputError as exc:
        raise InputError(f"{label}: {exc}") from exc
