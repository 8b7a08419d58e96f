"""`changes` and `diff`: per-policy version numbers, forward ranges, JSON, material-only, colour and pager."""
from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_DATA

SOURCEHUT = DEMO_DATA / "sourcehut"


@pytest.fixture
def imported(invoke):
    assert invoke("import", str(SOURCEHUT), "--name", "sourcehut").exit_code == 0
    return json.loads(invoke("changes", "--policy", "sourcehut", "--format", "json").output)["changes"]


def test_changes_json_carries_per_policy_numbers(imported):
    numbers = [(c["from_number"], c["to_number"]) for c in imported]
    assert numbers[0][0] == 1 and all(b == a + 1 for a, b in numbers), numbers
    assert {"from_version", "to_version"} <= imported[0].keys()  # database ids stay (docs/DESIGN.md)


def test_diff_takes_version_numbers_and_ids(invoke, imported):
    change = imported[1]
    by_number = invoke("diff", "sourcehut", "--from", str(change["from_number"]), "--to", f"v{change['to_number']}")
    assert by_number.exit_code == 0
    assert by_number.output.startswith(f"sourcehut: v{change['from_number']} (")
    by_id = invoke("diff", "sourcehut", "--from", f"id:{change['from_version']}", "--to", f"id:{change['to_version']}")
    assert by_id.output == by_number.output
    only_to = invoke("diff", "sourcehut", "--to", str(change["to_number"]))
    assert only_to.output == by_number.output


@pytest.mark.parametrize("args, message", [
    (("--from", "3", "--to", "2"), "--from 3 is newer than --to 2"),
    (("--from", "2", "--to", "2"), "same version"),
    (("--to", "99"), "has versions v1 to v"),
    (("--to", "1"), "No recorded change of sourcehut ending at --to 1"),
    (("--from", "latest"), "give a version number like 3 or v3"),
])
def test_diff_refuses_backwards_and_unknown_versions(invoke, imported, args, message):
    result = invoke("diff", "sourcehut", *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_diff_json_and_material_only(invoke, imported):
    material = next(c for c in imported if c["material"])
    args = ("diff", "sourcehut", "--to", str(material["to_number"]))
    data = json.loads(invoke(*args, "--format", "json").output)
    assert data["from_number"] == material["from_number"] and data["to_number"] == material["to_number"]
    assert data["material"] is True and any(c["material"] for c in data["changes"])
    assert len(data["changes"]) == material["clause_changes"]
    only = json.loads(invoke(*args, "--format", "json", "--material-only").output)
    assert only["changes"] and all(c["material"] for c in only["changes"])
    assert len(only["changes"]) < len(data["changes"])
    text = invoke(*args, "--material-only").output
    assert f"Showing the {len(only['changes'])} material clause change(s)" in text
    assert text.count("| MATERIAL") == len(only["changes"])


def test_changes_text_is_wrapped(invoke, imported, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = invoke("changes", "--policy", "sourcehut").output
    assert max(len(line) for line in out.splitlines()) <= 80
    assert f"v{imported[0]['from_number']} -> v{imported[0]['to_number']}" in out


def run_on_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI with stdout on a pseudo-terminal (a real TTY), return what it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "policywatch", *args], stdout=slave, stderr=slave,
                            stdin=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=30)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_colour_on_a_terminal_only_without_no_color_and_long_output_is_paged(invoke, imported, db_path: Path):
    if not (Path(sys.executable).parent / "policywatch").exists():
        pytest.skip("policywatch is not installed next to this interpreter")
    base = {**{k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PAGER")},
            "COLUMNS": "100", "LINES": "500", "TERM": "xterm-256color"}
    args = ["--db", str(db_path), "diff", "sourcehut"]
    coloured = run_on_terminal(args, base)
    assert "\x1b[" in coloured and "sourcehut: v" in coloured
    assert "\x1b[" not in run_on_terminal(args, {**base, "NO_COLOR": "1"})
    assert "\x1b[" not in run_on_terminal([*args, "--no-color"], base)
    paged = run_on_terminal(args, {**base, "LINES": "5", "PAGER": "sed s/^/PAGED:/"})
    assert "PAGED:" in paged
    assert "PAGED:" not in run_on_terminal([*args, "--no-pager"], {**base, "LINES": "5", "PAGER": "sed s/^/PAGED:/"})
