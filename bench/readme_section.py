"""The one writer of bench/README.md: each benchmark replaces its own "## Title" section.

Imported by the scripts in this folder (run as ``python bench/<script>.py``, so
this folder is on ``sys.path``); the other sections are left as they are.
"""
from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def write_section(title: str, body: str) -> None:
    """Replace the "## {title}" section of bench/README.md with ``body``, or append it."""
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    block = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block + "\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + block
    README.write_text(text.rstrip() + "\n", encoding="utf-8")
