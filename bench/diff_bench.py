"""Benchmark: ``policywatch compare`` against whole-document word diffs.

Run from the repository root: ``.venv/bin/python bench/diff_bench.py``.

Inputs come from the shared corpus (skipped with a message when it is absent):

* the *largest pair*: the consecutive versions with the largest combined size
  that differ (microsoft-copilot, ~50,000 words each, a few clauses edited);
* the *rewrite*: the consecutive pair of large versions whose word count drops
  the most (microsoft-copilot, ~50,000 -> ~33,000 words).

Contenders, each run as its own process so start-up counts for everyone:

* ``policywatch compare OLD NEW --format json`` (segment, align clauses, word
  diff inside modified clauses, classify, assess, judge, JSON);
* baseline 1: whole-document word diff with diff-match-patch (words mapped to
  characters, ``diff_main`` + ``diff_cleanupSemantic``, no time limit), as
  changedetection.io-style trackers do;
* baseline 2: ``difflib.SequenceMatcher`` over the documents' words.

Peak memory is each child's own ``ru_maxrss`` (``os.wait4``). In-process, the
script also times compare with and without the materiality step (classify +
assess + judge). Results are printed as Markdown and written to the "## Diff"
section of ``bench/README.md``.
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("POLICYWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
README = ROOT / "bench" / "README.md"
POLICYWATCH = Path(sys.executable).with_name("policywatch")
REPEATS = 5
TIMEOUT = 60.0

DMP_WORD_DIFF = r"""
import re, sys
from diff_match_patch import diff_match_patch
old, new = (open(p, encoding="utf-8").read() for p in sys.argv[1:3])
vocab, tokens = {}, []
def encode(text):
    out = []
    for word in re.findall(r"\w+|\s+|[^\w\s]", text):
        if word not in vocab:
            vocab[word] = chr(0xE000 + len(tokens)); tokens.append(word)
        out.append(vocab[word])
    return "".join(out)
a, b = encode(old), encode(new)
dmp = diff_match_patch(); dmp.Diff_Timeout = 0
diffs = dmp.diff_main(a, b, False); dmp.diff_cleanupSemantic(diffs)
changed = sum(1 for op, _ in diffs if op)
print(changed)
"""

DIFFLIB_WORD_DIFF = r"""
import difflib, sys
old, new = (open(p, encoding="utf-8").read().split() for p in sys.argv[1:3])
ops = difflib.SequenceMatcher(None, old, new).get_opcodes()
print(sum(1 for tag, *_ in ops if tag != "equal"))
"""


@dataclass
class Run:
    seconds: float | None  # None: did not finish within the timeout
    maxrss_mb: float


def main() -> int:
    if not CORPUS.is_dir():
        print(f"skipped: corpus not found at {CORPUS} (set POLICYWATCH_CORPUS)")
        return 0
    if not POLICYWATCH.exists():
        print(f"skipped: {POLICYWATCH} not found; run from the project's virtualenv")
        return 0
    pairs = consecutive_pairs(CORPUS)
    largest = largest_differing_pair(pairs)
    rewrite = biggest_rewrite(pairs)
    lines = ["Machine: " + machine(), ""]
    lines += pair_table("Largest consecutive pair", largest, REPEATS)
    lines += [""] + pair_table("Real rewrite", rewrite, 3)
    lines += [""] + materiality_table(largest)
    report = "\n".join(lines)
    print(report)
    write_readme(report)
    return 0


# --- inputs -------------------------------------------------------------------


def consecutive_pairs(corpus: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for service in sorted(p for p in corpus.iterdir() if p.is_dir()):
        files = sorted(service.glob("*.md"))
        pairs.extend(zip(files, files[1:]))
    return pairs


def words(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").split())


def largest_differing_pair(pairs: list[tuple[Path, Path]]) -> tuple[Path, Path]:
    differing = [p for p in pairs if p[0].read_bytes() != p[1].read_bytes()]
    return max(differing, key=lambda p: p[0].stat().st_size + p[1].stat().st_size)


def biggest_rewrite(pairs: list[tuple[Path, Path]]) -> tuple[Path, Path]:
    """The pair of large versions (>= 20,000 words each) whose word count changes most."""
    sized = [(words(a), words(b), (a, b)) for a, b in pairs]
    large = [(abs(wa - wb) / max(wa, wb), pair) for wa, wb, pair in sized if min(wa, wb) >= 20_000]
    return max(large)[1]


def label(pair: tuple[Path, Path]) -> str:
    a, b = pair
    return f"{a.parent.name} {a.stem} -> {b.stem} ({words(a):,} -> {words(b):,} words)"


# --- measuring processes -------------------------------------------------------


def measure(cmd: list[str], timeout: float = TIMEOUT) -> Run:
    """Wall time and the child's own peak RSS; None seconds when it timed out."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    timer = threading.Timer(timeout, child.kill)
    timer.start()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    timer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode < 0:
        return Run(None, usage.ru_maxrss / 1024)
    if child.returncode not in (0, 1):
        raise RuntimeError(f"{cmd[:3]} failed: {child.stderr.read().decode()[-500:]}")
    return Run(elapsed, usage.ru_maxrss / 1024)


def median_run(cmd: list[str], repeats: int) -> Run:
    runs = [measure(cmd) for _ in range(repeats)]
    if any(r.seconds is None for r in runs):
        return Run(None, max(r.maxrss_mb for r in runs))
    return Run(statistics.median(r.seconds for r in runs), max(r.maxrss_mb for r in runs))


def pair_table(title: str, pair: tuple[Path, Path], repeats: int) -> list[str]:
    old, new = map(str, pair)
    ours = median_run([str(POLICYWATCH), "compare", old, new, "--format", "json"], repeats)
    dmp = median_run([sys.executable, "-c", DMP_WORD_DIFF, old, new], 1 if repeats < 5 else repeats)
    seq = median_run([sys.executable, "-c", DIFFLIB_WORD_DIFF, old, new], 1 if repeats < 5 else repeats)
    startup = median_run([str(POLICYWATCH), "--version"], repeats)
    rows = [
        ("policywatch compare --format json", ours),
        ("(policywatch start-up alone: --version)", startup),
        ("baseline 1: diff-match-patch word diff", dmp),
        ("baseline 2: difflib.SequenceMatcher words", seq),
    ]
    out = [f"### {title}: {label(pair)}", "", f"median of {repeats} runs, whole process incl. start-up", "",
           "| contender | time (s) | policywatch / this | peak RSS (MB) |", "|---|---:|---:|---:|"]
    for name, run in rows:
        out.append(f"| {name} | {fmt_time(run)} | {ratio(ours, run)} | {run.maxrss_mb:.0f} |")
    return out


def fmt_time(run: Run) -> str:
    return f"did not finish in {TIMEOUT:.0f} s" if run.seconds is None else f"{run.seconds:.2f}"


def ratio(ours: Run, other: Run) -> str:
    if ours.seconds is None:
        return "n/a"
    if other.seconds is None:
        return f"< {ours.seconds / TIMEOUT:.3f}"
    return f"{ours.seconds / other.seconds:.2f}"


# --- in-process: the materiality step ------------------------------------------


def materiality_table(pair: tuple[Path, Path]) -> list[str]:
    """Compare in-process with and without the materiality step, split into its parts."""
    sys.path.insert(0, str(ROOT))
    from tracker.align import align_clauses
    from tracker.compare import _assessed, change_ops, compare_clauses
    from tracker.segment import segment_text

    old_text, new_text = (p.read_text(encoding="utf-8") for p in pair)

    def core() -> None:
        old, new = segment_text(old_text), segment_text(new_text)
        for change in align_clauses(old, new):
            change_ops(change)

    def assessed() -> None:
        old, new = segment_text(old_text), segment_text(new_text)
        for change in align_clauses(old, new):
            change_ops(_assessed(change))

    def full() -> None:
        diff = compare_clauses(segment_text(old_text), segment_text(new_text))
        for change in diff.changes:
            change_ops(change)

    core_s, assessed_s, full_s = best_of(core), best_of(assessed), best_of(full)
    return hot_spots(full) + [f"### Materiality step (in-process, best of {REPEATS}, {pair[0].parent.name} largest pair)", "",
            "| step | time (s) | added vs. diff alone |", "|---|---:|---:|",
            f"| segment + align + redlines (diff alone) | {core_s:.3f} | |",
            f"| + classify and assess each change | {assessed_s:.3f} | {pct(assessed_s, core_s)} |",
            f"| + judge the document (guards over both whole texts) | {full_s:.3f} | {pct(full_s, core_s)} |"]


def hot_spots(function, top: int = 8) -> list[str]:
    """Where one cold run of ``function`` spends its time (cProfile, tracker code only)."""
    import cProfile
    import pstats

    clear_caches()
    profiler = cProfile.Profile()
    profiler.runcall(function)
    stats = pstats.Stats(profiler).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    rows = []
    for (filename, _, name), (_, calls, _, cumulative, _) in stats.items():
        path = Path(filename)
        if ROOT in path.parents and path.parent.name == "tracker" and not name.startswith("<"):
            rows.append((cumulative, f"tracker.{path.stem}.{name}", calls))
    rows.sort(reverse=True)
    out = ["### Hot spots of one cold in-process compare (cProfile, cumulative, largest pair)", "",
           "| function | calls | cumulative (s) |", "|---|---:|---:|"]
    out += [f"| {name} | {calls} | {cumulative:.3f} |" for cumulative, name, calls in rows[:top]]
    return out + [""]


def pct(value: float, base: float) -> str:
    return f"+{(value - base) / base * 100:.0f}%"


def best_of(function) -> float:
    """Best of REPEATS cold runs: the tracker's memo caches are emptied before each."""
    times = []
    for _ in range(REPEATS):
        clear_caches()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def clear_caches() -> None:
    for name, module in list(sys.modules.items()):
        if name.startswith("tracker."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


# --- output --------------------------------------------------------------------


def machine() -> str:
    return f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d', time.gmtime())}"


def write_readme(report: str) -> None:
    """Replace (or append) only the "## Diff" section of bench/README.md."""
    section = "## Diff\n\nGenerated by `.venv/bin/python bench/diff_bench.py`.\n\n" + report + "\n"
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Diff\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
