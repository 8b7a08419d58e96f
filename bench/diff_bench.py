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

Peak memory is each process's own maximum RSS (GNU time ``%M``). In-process, the
script also times compare with and without the materiality step (classify +
assess + judge). Results are printed as Markdown and written to the "## Diff"
section of ``bench/README.md``.
"""
from __future__ import annotations

import math
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from readme_section import write_section

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("POLICYWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
POLICYWATCH = Path(sys.executable).with_name("policywatch")
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
REPEATS = 5
TIMEOUT = 60.0

# Baselines are scripts (run as their own process) that define ``run(old, new)``,
# so the in-process table can call exactly the same code.
DMP_WORD_DIFF = r"""
import re, sys
from diff_match_patch import diff_match_patch

def run(old, new):
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
    return [(op, "".join(tokens[ord(c) - 0xE000] for c in chars)) for op, chars in diffs]

if __name__ == "__main__":
    old, new = (open(p, encoding="utf-8").read() for p in sys.argv[1:3])
    print(sum(1 for op, _ in run(old, new) if op))
"""

DIFFLIB_WORD_DIFF = r"""
import difflib, sys

def run(old, new):
    return difflib.SequenceMatcher(None, old.split(), new.split()).get_opcodes()

if __name__ == "__main__":
    old, new = (open(p, encoding="utf-8").read() for p in sys.argv[1:3])
    print(sum(1 for tag, *_ in run(old, new) if tag != "equal"))
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
    byte_compile_project()
    pairs = consecutive_pairs(CORPUS)
    largest = largest_differing_pair(pairs)
    rewrite = biggest_rewrite(pairs)
    figures: dict[str, float | None] = {}
    tables = pair_table("Largest consecutive pair", largest, REPEATS, figures, "largest")
    tables += [""] + pair_table("Real rewrite", rewrite, 3, figures, "rewrite")
    tables += [""] + in_process_table(largest, figures)
    tables += [""] + budget_table(figures)
    tables += [""] + import_budget_table(largest, figures)
    tables += [""] + materiality_table(largest, figures)
    report = "\n".join(["Machine: " + machine(), ""] + findings(figures) + [""] + tables)
    print(report)
    write_section("Diff", INTRO + "\n\n" + report)
    return 0


def byte_compile_project() -> None:
    """Write the project's .pyc files first, as an installed copy has them.

    An editable install compiles nothing at install time, and with
    PYTHONDONTWRITEBYTECODE set every policywatch process would re-compile its
    sources while the baseline's library (installed by pip) is already
    compiled: that would measure the environment, not the code.
    """
    import compileall

    for package in ("policywatch", "tracker", "db"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


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
    """Wall time and peak RSS of one process; None seconds when it timed out.

    Peak RSS comes from GNU time (``%M``): ``wait4``'s ``ru_maxrss`` would also
    count the benchmark's own memory, which Linux carries over a fork + exec.
    """
    full = [GNU_TIME, "-f", "%M", *cmd] if GNU_TIME else cmd
    start = time.perf_counter()
    child = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)  # the whole group: time and its child
        child.communicate()
        return Run(None, math.nan)
    elapsed = time.perf_counter() - start
    lines = err.decode(errors="replace").strip().splitlines()
    if child.returncode not in (0, 1):
        raise RuntimeError(f"{cmd[:3]} failed: {' '.join(lines[-5:])}")
    rss = int(lines[-1]) / 1024 if GNU_TIME and lines and lines[-1].isdigit() else math.nan
    return Run(elapsed, rss)


def median_runs(commands: dict[str, list[str]], repeats: int) -> dict[str, Run]:
    """Run the commands round-robin (so a burst of load hits all of them alike).

    A command that times out once is not run again: it is reported as not finished.
    """
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, cmd in commands.items():
            if not any(r.seconds is None for r in runs[name]):
                runs[name].append(measure(cmd))
    return {name: _median(found) for name, found in runs.items()}


def _median(runs: list[Run]) -> Run:
    finished = [r for r in runs if r.seconds is not None]
    peak = max((r.maxrss_mb for r in finished), default=math.nan)
    if len(finished) < len(runs):
        return Run(None, peak)
    return Run(statistics.median(r.seconds for r in finished), peak)


def pair_table(
    title: str, pair: tuple[Path, Path], repeats: int, figures: dict[str, float | None], name: str
) -> list[str]:
    old, new = map(str, pair)
    runs = median_runs({
        "ours": [str(POLICYWATCH), "compare", old, new, "--format", "json"],
        "startup": [str(POLICYWATCH), "--version"],
        "dmp": [sys.executable, "-c", DMP_WORD_DIFF, old, new],
        "seq": [sys.executable, "-c", DIFFLIB_WORD_DIFF, old, new],
    }, repeats)
    ours, startup, dmp, seq = runs["ours"], runs["startup"], runs["dmp"], runs["seq"]
    figures.update({f"{name}_ours": ours.seconds, f"{name}_dmp": dmp.seconds, f"{name}_startup": startup.seconds})
    rows = [
        ("policywatch compare --format json", ours),
        ("(policywatch start-up alone: --version)", startup),
        ("baseline 1: diff-match-patch word diff", dmp),
        ("baseline 2: difflib.SequenceMatcher words", seq),
    ]
    out = [f"### {title}: {label(pair)}", "", f"median of {repeats} runs (round-robin), whole process incl. start-up", "",
           "| contender | time (s) | policywatch / this | peak RSS (MB) |", "|---|---:|---:|---:|"]
    for name, run in rows:
        out.append(f"| {name} | {fmt_time(run)} | {ratio(ours, run)} | {fmt_mb(run)} |")
    return out


def fmt_mb(run: Run) -> str:
    return "n/a" if math.isnan(run.maxrss_mb) else f"{run.maxrss_mb:.0f}"


def fmt_time(run: Run) -> str:
    return f"did not finish in {TIMEOUT:.0f} s" if run.seconds is None else f"{run.seconds:.2f}"


def ratio(ours: Run, other: Run) -> str:
    if ours.seconds is None:
        return "n/a"
    if other.seconds is None:
        return f"< {ours.seconds / TIMEOUT:.3f}"
    return f"{ours.seconds / other.seconds:.2f}"


# --- in-process: without interpreter start-up -----------------------------------


def in_process_table(pair: tuple[Path, Path], figures: dict[str, float | None]) -> list[str]:
    """The same work without process start-up: compare + JSON vs the baselines' ``run``."""
    sys.path.insert(0, str(ROOT))
    import json

    from policywatch.tracker.compare import compare_texts, diff_to_json

    old_text, new_text = (p.read_text(encoding="utf-8") for p in pair)
    baselines = {}
    for name, script in (("dmp", DMP_WORD_DIFF), ("difflib", DIFFLIB_WORD_DIFF)):
        namespace: dict = {"__name__": "baseline"}
        exec(script, namespace)
        baselines[name] = namespace["run"]
    ours = best_of(lambda: json.dumps(diff_to_json(compare_texts(old_text, new_text))))
    dmp = best_of(lambda: baselines["dmp"](old_text, new_text))
    seq = best_of(lambda: baselines["difflib"](old_text, new_text))
    figures.update(inproc_ours=ours, inproc_dmp=dmp)
    return [f"### In-process, no start-up (best of {INPROC_REPEATS}, cold caches, largest pair)", "",
            "| contender | time (s) | policywatch / this |", "|---|---:|---:|",
            f"| policywatch compare_texts + JSON | {ours:.3f} | 1.00 |",
            f"| baseline 1: diff-match-patch word diff | {dmp:.3f} | {ours / dmp:.2f} |",
            f"| baseline 2: difflib.SequenceMatcher words | {seq:.3f} | {ours / seq:.2f} |"]


# --- in-process: the materiality step ------------------------------------------


def materiality_table(pair: tuple[Path, Path], figures: dict[str, float | None]) -> list[str]:
    """Compare in-process with and without the materiality step, split into its parts."""
    sys.path.insert(0, str(ROOT))
    from policywatch.tracker.align import align_clauses
    from policywatch.tracker.compare import _assessed, change_ops, compare_clauses
    from policywatch.tracker.segment import segment_text

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
    figures.update(core=core_s, full=full_s)
    return [f"### Materiality step (in-process, best of {INPROC_REPEATS}, {pair[0].parent.name} largest pair)", "",
            "| step | time (s) | added vs. diff alone |", "|---|---:|---:|",
            f"| segment + align + redlines (diff alone) | {core_s:.3f} | |",
            f"| + classify and assess each change | {assessed_s:.3f} | {pct(assessed_s, core_s)} |",
            f"| + judge the document (guards over both whole texts) | {full_s:.3f} | {pct(full_s, core_s)} |"]


IMPORT_PROBE = r"""
import sys, time
start = time.perf_counter()
import policywatch.tracker.extract, policywatch.tracker.segment, policywatch.tracker.compare, policywatch.tracker.materiality, policywatch.tracker.classify
print(time.perf_counter() - start)
"""


def import_seconds(repeats: int = REPEATS) -> float:
    """Median time to import the tracker modules ``compare`` loads (regex compilation included)."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, cwd=ROOT, check=True)
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


# The parts of the import budget: (label, the top-level module whose cumulative time it is).
IMPORT_PARTS = (
    ("interpreter start-up (site, encodings; an editable install's path finder)", ""),
    ("`re` (the console script imports it, unless site did; the baseline needs it too)", "re"),
    ("click and the standard library it imports (inspect, typing, uuid, datetime, gettext...)", "click"),
    ("`policywatch.cli` without click (root group, error tree; `typing`, `locale` click needs too)", "policywatch.cli"),
    ("`json` (the output)", "json"),
    ("`tracker.compare`: align, model, normalize, redline, diff-match-patch", "policywatch.tracker.compare"),
    ("`tracker.extract` for text files (decode, pipeline, files)", "policywatch.tracker.extract"),
    ("`tracker.segment`", "policywatch.tracker.segment"),
    ("`tracker.materiality`: classify, lexicon, signals, rules, verdict, findings", "policywatch.tracker.materiality"),
    ("anything else the command imports while it runs", "*"),
)
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)")


def import_parts(importtime_log: str) -> dict[str, float]:
    """Milliseconds per part from one ``-X importtime`` log (cumulative times of top-level imports).

    Modules a command loads through ``importlib.import_module`` (the command module itself) are not
    logged; the modules they import are, as top-level entries. click is nested in ``policywatch.cli``,
    which is charged without it.
    """
    by_module = {module: label for label, module in IMPORT_PARTS}
    parts = dict.fromkeys(by_module.values(), 0.0)
    started = False  # top-level entries after policywatch.cli are the command's own imports
    for line in importtime_log.splitlines():
        match = IMPORT_LINE.match(line)
        if not match:
            continue
        cumulative, nested, name = int(match[2]) / 1000, bool(match[3]), match[4]
        if name == "click" and not parts[by_module["click"]]:
            parts[by_module["click"]] = cumulative
            parts[by_module["policywatch.cli"]] -= cumulative
        if nested:
            continue
        parts[by_module.get(name, by_module["*" if started else ""])] += cumulative
        started = started or name == "policywatch.cli"
    return parts


def import_budget(pair: tuple[Path, Path], repeats: int = REPEATS) -> dict[str, float]:
    """Milliseconds per part of what ``compare`` imports (``-X importtime``, median of runs)."""
    cmd = [sys.executable, "-X", "importtime", str(POLICYWATCH), "compare", *map(str, pair), "--format", "json"]
    runs = [import_parts(subprocess.run(cmd, capture_output=True, text=True, check=False).stderr)
            for _ in range(repeats)]
    return {label: statistics.median(run[label] for run in runs) for label, _ in IMPORT_PARTS}


def import_budget_table(pair: tuple[Path, Path], figures: dict[str, float | None]) -> list[str]:
    budget = import_budget(pair)
    figures.update(imports_click_ms=budget[IMPORT_PARTS[2][0]], imports_total_ms=sum(budget.values()))
    rows = [f"| {label} | {ms:.1f} |" for label, ms in budget.items()]
    return [f"### Import-time budget of `compare` (largest pair; `python -X importtime`, median of {REPEATS} runs)", "",
            "`-X importtime` adds its own overhead; the parts compare with each other, not with the wall times above.", "",
            "| part | import time (ms) |", "|---|---:|", *rows, f"| total | {sum(budget.values()):.1f} |"]


def budget_table(figures: dict[str, float | None]) -> list[str]:
    """Where the whole ``compare`` process time goes on the largest pair."""
    startup, imports, work = figures["largest_startup"], import_seconds(), figures["inproc_ours"]
    figures["imports"] = imports
    return ["### Whole-process budget, largest pair", "",
            "| part | time (s) |", "|---|---:|",
            f"| interpreter + click + entry point (`policywatch --version`) | {startup:.3f} |",
            f"| importing the tracker modules compare needs (regex compilation) | {imports:.3f} |",
            f"| the work itself (in-process, cold caches) | {work:.3f} |",
            f"| sum | {startup + imports + work:.3f} |",
            f"| measured `policywatch compare` process | {figures['largest_ours']:.3f} |"]


def pct(value: float, base: float) -> str:
    return f"+{(value - base) / base * 100:.0f}%"


INPROC_REPEATS = 21  # in-process runs take ~20 ms: many repeats keep the noise below the effect


def best_of(function) -> float:
    """Best of INPROC_REPEATS cold runs: the tracker's memo caches are emptied before each."""
    times = []
    for _ in range(INPROC_REPEATS):
        clear_caches()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def clear_caches() -> None:
    for name, module in list(sys.modules.items()):
        if name.startswith("policywatch.tracker."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


# --- headline ---------------------------------------------------------------


def findings(f: dict[str, float | None]) -> list[str]:
    """The headline sentences, computed from the figures (so they never go stale)."""
    ratio_ = f["largest_ours"] / f["largest_dmp"]
    goal = "goal met" if ratio_ <= 1.0 else "goal <= 1.0 not met"
    rewrite_dmp = (f"did not finish in {TIMEOUT:.0f} s" if f["rewrite_dmp"] is None
                   else f"took {f['rewrite_dmp']:.2f} s")
    overhead = (f["full"] - f["core"]) / f["core"] * 100
    return [
        f"- Largest pair, whole process: policywatch / diff-match-patch word diff = **{ratio_:.2f}** ({goal}). "
        f"policywatch start-up alone (`--version`: interpreter, click, entry point) takes "
        f"{f['largest_startup']:.2f} s and importing the tracker (its compiled regexes) {f['imports']:.2f} s: "
        f"{(f['largest_startup'] + f['imports']) / f['largest_dmp']:.0%} of the whole baseline process.",
        f"- Import budget of that `compare` process (`-X importtime`): {f['imports_total_ms']:.0f} ms, of which "
        f"click and the standard library it loads take {f['imports_click_ms']:.0f} ms (the baseline imports none of them).",
        f"- Same pair in-process (no start-up): policywatch / diff-match-patch = "
        f"**{f['inproc_ours'] / f['inproc_dmp']:.2f}**.",
        f"- Real rewrite: policywatch {f['rewrite_ours']:.2f} s; the whole-document word diff {rewrite_dmp}.",
        f"- Materiality (classify + assess + judge) adds **{overhead:.0f}%** to the diff alone (limit 50%).",
    ]


# --- output --------------------------------------------------------------------


INTRO = (
    "Generated by `.venv/bin/python bench/diff_bench.py`. policywatch aligns clauses by their exact text "
    "first (longest common subsequence over clause hashes), pairs the rest by word-set similarity through "
    "an inverted index, and word-diffs (diff-match-patch over word tokens) only inside modified clauses; "
    "the baselines word-diff the two whole documents. Each contender runs as its own process "
    "(start-up included), timed as the median of several runs; peak RSS from GNU time."
)


def machine() -> str:
    return f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d', time.gmtime())}"


if __name__ == "__main__":
    sys.exit(main())
