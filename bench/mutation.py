"""`make mutation`: mutmut on the core modules, each against its own fast tests.

Why a scratch copy: the repository maps `tracker/ db/ crawler/ schedules/` into `policywatch.*`
through setuptools' editable finder, while mutmut 3 derives module names from file paths and
puts its `mutants/` folder first on sys.path. So each module is mutated in a scratch tree
(`build/mutation/<name>/`) laid out as a plain package (`policywatch/tracker/...`), where the
ordinary path finder wins over the editable finder; the working tree is never touched.

    python bench/mutation.py                 # every module, scores to build/mutation/scores.json
    python bench/mutation.py align cdx       # only these
    python bench/mutation.py --ref main      # the tests and code of a git ref ("before")
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAPPED = {"tracker": "policywatch/tracker", "db": "policywatch/db", "crawler": "policywatch/crawler",
          "schedules": "policywatch/schedules", "policywatch": "policywatch"}

# module group -> (globs of files to mutate, fast test files that pin them)
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "materiality": (["policywatch/tracker/materiality.py", "policywatch/tracker/materiality/*.py"],
                    ["tests/tracker/test_materiality.py", "tests/tracker/test_materiality_guards.py",
                     "tests/tracker/materiality"]),
    "align": (["policywatch/tracker/align.py"], ["tests/tracker/test_align.py"]),
    "normalize": (["policywatch/tracker/normalize.py"], ["tests/tracker/test_normalize.py"]),
    "versioning": (["policywatch/tracker/versioning.py", "policywatch/db/versions.py"],
                   ["tests/tracker/test_ingest.py", "tests/tracker/test_versioning.py", "tests/db/test_versions.py"]),
    "cdx": (["policywatch/crawler/cdx.py"], ["tests/crawler/test_cdx.py"]),
    "delivery": (["policywatch/tracker/alerts/delivery.py", "policywatch/tracker/alerts/sender.py",
                  "policywatch/tracker/alerts/webhook.py", "policywatch/tracker/alerts/email.py",
                  "policywatch/tracker/alerts/apprise_channel.py"],
                 ["tests/alerts/test_delivery.py", "tests/alerts/test_transports.py", "tests/alerts/test_end_to_end.py",
                  "tests/alerts/test_email_exact.py", "tests/alerts/test_webhook_apprise_exact.py",
                  "tests/alerts/test_delivery_exact.py"]),
}
# Mutants of these functions only, with --subset (a full materiality run is ~2,300 mutants, about
# 40 minutes on a quiet core): the document guards and the removed/added clause judgements.
SUBSETS = {
    "materiality": ["*assess_change*", "*judge_document*", "*assess_in_context*", "*_assess_added*",
                    "*_assess_removed*", "*_widening_finding*", "*_counted_changes*", "*_copy_key*",
                    "*_title_like*", "*_extraction_failure*", "*_truncation*"],
}
# Tests that start servers and threads are not fork-safe: fork mutants from a clean fork server.
FORKSERVER = {"delivery"}
STATUS = re.compile(r"^\s*(\S+): (killed|survived|timeout|suspicious|no tests|skipped|segfault|not checked|"
                    r"caught by type check|check was interrupted by user)\s*$")


def tree_files(ref: str | None) -> dict[str, bytes]:
    """The repository's tracked files (at `ref`, or as in the working tree)."""
    if ref:
        blob = subprocess.run(["git", "archive", "--format=tar", ref], cwd=ROOT, check=True,
                              capture_output=True).stdout
        with tarfile.open(fileobj=BytesIO(blob)) as tar:
            return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    return {n: (ROOT / n).read_bytes() for n in names if (ROOT / n).is_file()}


def lay_out(files: dict[str, bytes], dest: Path, mutate: list[str], tests: list[str], isolation: str = "fork") -> list[str]:
    """Write the scratch tree; return the test paths that exist in it."""
    if dest.exists():
        shutil.rmtree(dest)
    for name, data in files.items():
        top, _, rest = name.partition("/")
        if top in MAPPED and top != "policywatch":
            target = dest / MAPPED[top] / rest
        elif top in ("policywatch", "tests", "bench"):
            target = dest / name
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    present = [t for t in tests if (dest / t).exists()]
    pyproject = (ROOT / "pyproject.toml").read_text() if "pyproject.toml" not in files else files["pyproject.toml"].decode()
    pytest_section = pyproject[pyproject.index("[tool.pytest.ini_options]"):].split("\n[", 1)[0]
    pytest_section = re.sub(r'addopts = ".*"', 'addopts = "-p no:randomly -p no:cacheprovider"', pytest_section)
    (dest / "pyproject.toml").write_text(
        "[tool.mutmut]\n"
        'source_paths = ["policywatch"]\n'
        f"only_mutate = {json.dumps(mutate)}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(present)}\n"
        'pytest_add_cli_args = ["-m", "not slow and not corpus", "-q", "-p", "no:randomly"]\n'
        "use_git_change_detection = false\n"
        f'process_isolation = "{isolation}"\n'
        "timeout_multiplier = 4.0\n"
        "timeout_constant = 3.0\n\n" + pytest_section + "\n")
    return present


def run_module(name: str, files: dict[str, bytes], out: Path, children: int, subset: bool = False,
               only: list[str] | None = None) -> dict:
    mutate, tests = MODULES[name]
    dest = out / name
    present = lay_out(files, dest, mutate, tests, "forkserver" if name in FORKSERVER else "fork")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "POLICYWATCH_CORPUS": str(ROOT / "no-corpus")}
    started = time.monotonic()
    log = (out / f"{name}.log").open("w")
    names = only or (SUBSETS.get(name, []) if subset else [])
    subprocess.run(["nice", "-n", "10", sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *names],
                   cwd=dest, env=env, stdout=log, stderr=subprocess.STDOUT)
    results = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=dest, env=env,
                             capture_output=True, text=True).stdout
    statuses: dict[str, str] = {}
    for line in results.splitlines():
        match = STATUS.match(line)
        if match:
            statuses[match.group(1)] = match.group(2)
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    total = sum(v for k, v in counts.items() if k not in ("skipped", "not checked"))
    killed = counts.get("killed", 0) + counts.get("timeout", 0) + counts.get("caught by type check", 0)
    return {"module": name, "tests": present, "subset": names, "counts": counts, "total": total, "killed": killed,
            "score": round(killed / total, 3) if total else None,
            "survivors": sorted(k for k, v in statuses.items() if v == "survived"),
            "seconds": round(time.monotonic() - started)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", choices=[*MODULES, []], default=[])
    parser.add_argument("--ref", help="git ref whose code and tests to mutate (default: the working tree)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "mutation")
    parser.add_argument("--children", type=int, default=1, help="parallel mutant runs (the machine is shared)")
    parser.add_argument("--subset", action="store_true", help="only the SUBSETS functions of large modules")
    parser.add_argument("--mutants-file", type=Path, help="only the mutants named in this file (one per line)")
    args = parser.parse_args()
    files = tree_files(args.ref)
    args.out.mkdir(parents=True, exist_ok=True)
    scores_path = args.out / f"scores{'-' + args.ref if args.ref else ''}.json"
    scores = json.loads(scores_path.read_text()) if scores_path.exists() else {}
    for name in args.modules or list(MODULES):
        only = args.mutants_file.read_text().split() if args.mutants_file else None
        result = run_module(name, files, args.out, args.children, args.subset, only)
        scores[name] = result
        scores_path.write_text(json.dumps(scores, indent=2))
        c = result["counts"]
        print(f"{name:12} killed {result['killed']}/{result['total']} = {result['score']}  "
              f"survived {c.get('survived', 0)}  no tests {c.get('no tests', 0)}  ({result['seconds']} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
