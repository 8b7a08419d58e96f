"""Commands that work on documents, no database needed: ``segment`` and ``compare``.

They only read files and call the tracker (``tracker.segment``,
``tracker.compare``). Tracker modules are imported inside the commands so that
``policywatch --help`` and the other commands start fast, and comparing two
Markdown files never loads the HTML extractor.
"""
from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from policywatch.cli.root import cli

if TYPE_CHECKING:
    from policywatch.tracker.model import Clause

SEGMENT_HELP = """Print the clauses of one policy document.

FILE is a .md/.txt file (read as text), an .html/.htm file (main text
extracted first) or - for standard input. Each clause is a heading, a
paragraph or a list item, with the path of headings it sits under and its
data-practice categories.

\b
Examples:
  policywatch segment privacy.md
  policywatch segment page.html --format json | jq '.clauses[].kind'
  curl -s https://example.org/privacy | policywatch segment - --format json
"""

COMPARE_HELP = """Compare two versions of a policy, no database needed.

OLD and NEW are .md/.txt files, .html/.htm files (main text extracted first)
or - for standard input (one of them). Clauses are aligned (unchanged, moved,
modified, added, removed), each change gets a severity and a reason, and the
whole change is judged material or not.

\b
Formats:
  text  readable report with word-level redlines ([-removed-]{+added+})
  json  machine-readable (keys listed in README.md, "JSON output")
  html  standalone redline page (inline CSS, no scripts)

\b
Exit codes: 0 ok, 1 material change found with --fail-on-material,
2 bad usage or unreadable input.

\b
Examples:
  policywatch compare old.md new.md
  policywatch compare old.html new.html --format html > redline.html
  policywatch compare old.md new.md --format json --fail-on-material || notify
"""


@cli.command("segment", help=SEGMENT_HELP, short_help="Print the clauses of one document.")
@click.argument("file", metavar="FILE")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="Output format.",
)
def segment_command(file: str, fmt: str) -> None:
    from policywatch.tracker.compare import classify_clauses
    from policywatch.tracker.segment import segment_text

    clauses = classify_clauses(segment_text(read_text(file)))
    if fmt == "json":
        _echo_json({"clauses": [c.to_json() for c in clauses]})
        return
    for clause in clauses:
        click.echo(_clause_line(clause))


def read_text(path: str) -> str:
    """The document's text; a document with no text at all is bad input (exit 2), not a version."""
    from policywatch.errors import InputError
    from policywatch.tracker.extract import read_document

    text = read_document(path)
    if not text.strip():
        name = "standard input" if path == "-" else path
        raise InputError(f"{name}: no text found (an empty file, or a page with no readable text).")
    return text


def _clause_line(clause: Clause) -> str:
    """One clause as text: ordinal, kind, heading path, categories, then its text."""
    where = " > ".join(clause.heading) or "-"
    cats = f" [{', '.join(clause.categories)}]" if clause.categories else ""
    body = "\n".join("     " + line for line in clause.text.splitlines())
    return f"{clause.ordinal:>4} {clause.kind:<9} {where}{cats}\n{body}"


@cli.command("compare", help=COMPARE_HELP, short_help="Diff two documents (no database).")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True,
    help="Output format.",
)
@click.option(
    "--fail-on-material", is_flag=True,
    help="Exit with code 1 when the change is material (for CI and cron).",
)
def compare_command(old: str, new: str, fmt: str, fail_on_material: bool) -> None:
    from policywatch.errors import UsageError
    from policywatch.tracker.compare import compare_texts, diff_to_json, render_html, render_text

    if old == "-" and new == "-":
        raise UsageError("only one of OLD and NEW can be - (standard input)")
    diff = compare_texts(read_text(old), read_text(new))
    if fmt == "json":
        _echo_json(diff_to_json(diff))
    elif fmt == "html":
        click.echo(render_html(diff, title=f"Changes from {old} to {new}"), nl=False)
    else:
        click.echo(render_text(diff), nl=False)
    if fail_on_material and diff.verdict.material:
        sys.exit(1)


def _echo_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
