"""The ``segment`` and ``compare`` commands (CliRunner, plus one real process)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policywatch.cli import cli
from policywatch.tracker.model import CATEGORIES

OLD = """# Privacy Policy

This policy explains how Example collects, uses and shares personal data when you use
our websites and apps, and the choices you have about it.

## Information we collect

We collect the name, email address and phone number you give us when you register.

We collect information about your device and how you use the service, such as pages
visited and features used, to keep the service working.

## Sharing

We share information with service providers who process it for us.

## Your rights

You can ask us to delete your data.
"""
NEW = OLD.replace("for us.", "for us.\n\nWe sell your personal information to data brokers.")
COSMETIC = OLD.replace("for us.", "for us")


@pytest.fixture()
def docs(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name, text in {"old": OLD, "new": NEW, "cosmetic": COSMETIC}.items():
        paths[name] = tmp_path / f"{name}.md"
        paths[name].write_text(text, encoding="utf-8")
    paths["binary"] = tmp_path / "blob.md"
    paths["binary"].write_bytes(b"\x00\x01\x02\xff\xfe" * 200)
    paths["missing"] = tmp_path / "missing.md"
    return paths


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_segment_json(docs):
    result = invoke("segment", str(docs["old"]), "--format", "json")
    assert result.exit_code == 0, result.output
    clauses = json.loads(result.stdout)["clauses"]
    assert [c["ordinal"] for c in clauses] == list(range(len(clauses)))
    for clause in clauses:
        assert {"ordinal", "kind", "heading", "text", "categories"} <= clause.keys()
        assert clause["kind"] in {"heading", "paragraph", "list_item"}
        assert set(clause["categories"]) <= set(CATEGORIES)
    sharing = [c for c in clauses if "service providers" in c["text"]]
    assert sharing[0]["heading"][-1] == "Sharing"
    assert "sharing" in sharing[0]["categories"]


def test_segment_text_and_stdin(docs):
    result = invoke("segment", "-", input=OLD)
    assert result.exit_code == 0, result.output
    assert "We share information with service providers" in result.stdout
    assert "Sharing" in result.stdout


def test_compare_json_contract(docs):
    result = invoke("compare", str(docs["old"]), str(docs["new"]), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["material"] is True and data["cosmetic_only"] is False
    (change,) = data["changes"]
    assert change["kind"] == "added"
    assert change["old_text"] is None and "data brokers" in change["new_text"]
    assert change["heading"][-1] == "Sharing"
    assert change["severity"] in {"medium", "high"} and change["material"] is True
    assert "sale" in change["categories"] and change["reason"]


def test_compare_same_file_has_no_changes(docs):
    result = invoke("compare", str(docs["old"]), str(docs["old"]), "--format", "json", "--fail-on-material")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["changes"] == [] and data["material"] is False


def test_fail_on_material_exit_codes(docs):
    material = invoke("compare", str(docs["old"]), str(docs["new"]), "--fail-on-material")
    assert material.exit_code == 1
    cosmetic = invoke("compare", str(docs["old"]), str(docs["cosmetic"]), "--fail-on-material")
    assert cosmetic.exit_code == 0
    assert "cosmetic only" in cosmetic.stdout


def test_compare_text_and_html(docs):
    text = invoke("compare", str(docs["old"]), str(docs["new"]))
    assert text.exit_code == 0
    assert "{+We sell your personal information to data brokers.+}" in text.stdout
    page = invoke("compare", str(docs["old"]), str(docs["new"]), "--format", "html")
    assert page.exit_code == 0
    assert page.stdout.startswith("<!DOCTYPE html>") and "<ins>" in page.stdout


def test_compare_reads_stdin_for_one_side(docs):
    result = invoke("compare", str(docs["old"]), "-", "--format", "json", input=NEW)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["material"] is True


@pytest.mark.parametrize("which", ["missing", "binary"])
def test_bad_input_exits_2_with_one_line(docs, which):
    for args in (["segment", str(docs[which])], ["compare", str(docs["old"]), str(docs[which])]):
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert result.stderr.strip().startswith("Error:")
        assert len(result.stderr.strip().splitlines()) == 1


def test_both_sides_from_stdin_is_a_usage_error(docs):
    result = invoke("compare", "-", "-", input=OLD)
    assert result.exit_code == 2


@pytest.mark.parametrize("command", ["segment", "compare"])
def test_help_has_examples(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output and f"policywatch {command}" in result.output


def test_real_process_compare_skips_heavy_imports(docs):
    """One real process: JSON on stdout, exit 1 on material, no trafilatura/scrapy loaded."""
    probe = (
        "import sys\n"
        "from policywatch.cli import main\n"
        f"sys.argv = ['policywatch', 'compare', {str(docs['old'])!r}, {str(docs['new'])!r},"
        " '--format', 'json', '--fail-on-material']\n"
        "try:\n    main()\n"
        "except SystemExit as exc:\n"
        "    heavy = [m for m in ('trafilatura', 'scrapy', 'lxml') if m in sys.modules]\n"
        "    print('HEAVY', heavy, 'EXIT', exc.code, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert json.loads(proc.stdout)["material"] is True
    assert "HEAVY [] EXIT 1" in proc.stderr, proc.stderr
