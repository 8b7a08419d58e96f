"""Storage and ingest benchmark: content addressing on the longest corpus history.

Imports the corpus history with the most text into a fresh database and
reports the database size against the sum of the version texts (the naive
baseline: one full copy per version), and the ingest throughput.
Run: .venv/bin/python bench/storage_bench.py [--corpus DIR] [--service NAME]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policywatch.db.connection import open_database  # noqa: E402
from policywatch.tracker.folder_import import import_directory  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


def largest_history(corpus: Path) -> Path:
    folders = [p for p in corpus.iterdir() if p.is_dir()]
    return max(folders, key=lambda p: sum(f.stat().st_size for f in p.glob("*.md")))


def database_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def run(histories: list[Path]) -> dict[str, float]:
    files = [f for h in histories for f in sorted(h.glob("*.md"))]
    text_bytes = sum(f.stat().st_size for f in files)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        db = open_database(path, create=True)
        started = time.perf_counter()
        new_versions = sum(import_directory(db, h, h.name).new_versions for h in histories)
        elapsed = time.perf_counter() - started
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = database_bytes(path)
        tables = {
            t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("captures", "versions", "clause_texts", "version_clauses", "changes")
        }
        parts = {name: size for name, size in db.execute(
            "SELECT CASE WHEN name LIKE 'clause_texts_fts%' THEN 'full-text index' "
            "WHEN name LIKE 'sqlite_autoindex_%' OR name LIKE 'idx_%' THEN 'indexes' ELSE name END AS part, "
            "sum(pgsize) FROM dbstat GROUP BY part ORDER BY 2 DESC LIMIT 7")}
        db.close()
    return {
        "parts": parts, "files": len(files), "versions": new_versions, "text_bytes": text_bytes, "db_bytes": size,
        "ratio": size / text_bytes, "seconds": elapsed, "versions_per_second": len(files) / elapsed, **tables,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("POLICYWATCH_CORPUS", DEFAULT_CORPUS)))
    parser.add_argument("--service", help="corpus folder to import, or 'all' (default: the one with the most text)")
    args = parser.parse_args()
    if not (args.corpus / "manifest.json").exists():
        print(f"corpus not found at {args.corpus}: nothing to measure")
        return 0
    if args.service == "all":
        histories = sorted(p for p in args.corpus.iterdir() if p.is_dir())
    else:
        histories = [args.corpus / args.service if args.service else largest_history(args.corpus)]
    r = run(histories)
    label = "whole corpus" if len(histories) > 1 else histories[0].name
    print(f"## Storage and ingest ({label}: {len(histories)} policies, {r['files']} files)\n")
    print("| measure | value |\n|---|---|")
    print(f"| sum of version texts (naive: one copy per version) | {r['text_bytes'] / 1e6:.2f} MB |")
    print(f"| policywatch database (after VACUUM, incl. raw blobs, FTS index) | {r['db_bytes'] / 1e6:.2f} MB |")
    print(f"| ratio database / texts | {r['ratio']:.2f} |")
    print(f"| distinct versions | {r['versions']} |")
    print(f"| clause texts stored / clause references | {r['clause_texts']} / {r['version_clauses']} |")
    print(f"| ingest time | {r['seconds']:.2f} s ({r['versions_per_second']:.2f} files/s) |")
    print("\nLargest parts of the database file:\n")
    print("| part | KB |\n|---|---|")
    for part, size in r["parts"].items():
        print(f"| {part} | {size / 1024:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
