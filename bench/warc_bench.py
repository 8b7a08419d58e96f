"""WARC interchange benchmark: the whole corpus through export and import.

Imports every corpus history (folder import), exports all captures to one WARC,
checks it with warcio's checker, imports each policy from the WARC into a fresh
database and compares the version chains and recorded changes (must be
identical), reporting sizes and throughput.
Run: .venv/bin/python bench/warc_bench.py [--corpus DIR]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policywatch.db.connection import open_database  # noqa: E402
from policywatch.tracker.folder_import import import_directory  # noqa: E402
from policywatch.tracker.warc_io import export_warc, import_warc  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
CHAIN = """SELECT p.name, v.capture_time, v.text_sha256 FROM versions v JOIN policies p ON p.id = v.policy_id
           WHERE v.current = 1 ORDER BY p.name, v.capture_time"""
CHANGES = """SELECT p.name, f.capture_time, t.capture_time, c.material, c.severity, c.categories, c.summary
             FROM changes c JOIN policies p ON p.id = c.policy_id JOIN versions f ON f.id = c.from_version_id
             JOIN versions t ON t.id = c.to_version_id WHERE c.superseded = 0 ORDER BY 1, 3"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    histories = sorted(p for p in args.corpus.iterdir() if p.is_dir() and any(p.glob("*.md")))
    if not histories:
        sys.exit(f"no corpus histories in {args.corpus}")
    with tempfile.TemporaryDirectory() as tmp:
        source = open_database(Path(tmp) / "source.db", create=True)
        started = time.perf_counter()
        for h in histories:
            import_directory(source, h, h.name)
        folder_s = time.perf_counter() - started
        warc = Path(tmp) / "corpus.warc.gz"
        started = time.perf_counter()
        records = export_warc(source, warc)
        export_s = time.perf_counter() - started
        check = subprocess.run([sys.executable, "-c", "from warcio.cli import main; main()", "check", str(warc)],
                               capture_output=True, text=True)
        target = open_database(Path(tmp) / "target.db", create=True)
        started = time.perf_counter()
        for h in histories:
            import_warc(target, warc, h.name)
        import_s = time.perf_counter() - started
        same_versions = list(source.query(CHAIN)) == list(target.query(CHAIN))
        same_changes = list(source.query(CHANGES)) == list(target.query(CHANGES))
        versions = source.execute("SELECT count(*) FROM versions WHERE current = 1").fetchone()[0]
        changes = source.execute("SELECT count(*) FROM changes WHERE superseded = 0").fetchone()[0]
        print(f"policies {len(histories)}, captures {records}, versions {versions}, changes {changes}")
        print(f"WARC {warc.stat().st_size / 1e6:.2f} MB; warcio check exit {check.returncode}")
        print(f"folder import {folder_s:.2f} s (the same ingest, for comparison)")
        print(f"export {export_s:.2f} s ({records / export_s:.0f} records/s)")
        print(f"import {import_s:.2f} s for {len(histories)} policies, each a pass over the whole file "
              f"({records / import_s:.1f} captures/s ingested)")
        print(f"round trip: versions identical {same_versions}, changes identical {same_changes}")
        if not (same_versions and same_changes and check.returncode == 0):
            sys.exit(1)


if __name__ == "__main__":
    main()
