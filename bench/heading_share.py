"""Share of clauses that sit under a section heading beyond the document title.

Runs over the real policies in ../shared/policies/ (Open Terms Archive Markdown) the way
ingest sees them (normalize_text, then segment_text) and reports, for the body clauses
(paragraphs and list items), how many have a heading path naming a section other than the
document's title. The title is the document's first heading when it comes before any body
text. Also checks that every policy segments with no word lost or duplicated.

    .venv/bin/python bench/heading_share.py [--dir ../shared/policies] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from policywatch.tracker.normalize import normalize_text
from policywatch.tracker.segment import clause_lines, segment_text

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "policies"


def document_title(clauses) -> str | None:
    """The first heading's path entry when it comes before any body clause."""
    for clause in clauses:
        if clause.kind != "heading":
            return None
        if clause.heading == ():
            following = next((c for c in clauses if c.ordinal > clause.ordinal and c.kind != "heading"), None)
            if following is not None and following.heading[:1]:
                return following.heading[0]
        return None
    return None


def measure(text: str) -> tuple[int, int, bool]:
    """(body clauses, body clauses under a section, lossless?) for one policy text."""
    normalized = normalize_text(text)
    clauses = segment_text(normalized)
    lossless = clause_lines(clauses) == [line.strip() for line in normalized.splitlines() if line.strip()]
    title = document_title(clauses)
    body = [c for c in clauses if c.kind != "heading"]
    sectioned = sum(1 for c in body if any(h != title for h in c.heading) or len(c.heading) > 1)
    return len(body), sectioned, lossless


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--json", action="store_true", help="per-file figures as JSON")
    args = parser.parse_args(argv)
    files = sorted(p for p in args.dir.glob("*.md") if p.name != "README.md")
    if not files:
        print(f"no policies in {args.dir}", file=sys.stderr)
        return 2
    total = sectioned = lossy = docs_with_sections = 0
    rows = {}
    for path in files:
        n, s, ok = measure(path.read_text(encoding="utf-8"))
        total, sectioned = total + n, sectioned + s
        lossy += not ok
        docs_with_sections += s > 0
        rows[path.stem] = {"clauses": n, "sectioned": s, "lossless": ok}
    if args.json:
        print(json.dumps(rows, indent=1))
    print(f"policies: {len(files)}; lossy segmentations: {lossy}")
    print(f"body clauses: {total}; under a section beyond the title: {sectioned} ({100 * sectioned / total:.1f}%)")
    print(f"policies with at least one sectioned clause: {docs_with_sections} ({100 * docs_with_sections / len(files):.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
