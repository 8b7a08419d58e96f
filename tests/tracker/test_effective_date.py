"""The policy's own stated date."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from policywatch.tracker.effective_date import find_effective_date, parse_date


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Last updated: May 1, 2024", "2024-05-01"),
        ("Last Updated: 1 May 2024", "2024-05-01"),
        ("Effective date: 2024-05-01", "2024-05-01"),
        ("Effective as of November 8, 2024", "2024-11-08"),
        ("Last revised on Feb. 3rd, 2023", "2023-02-03"),
        ("Updated: 05/01/2024", "2024-05-01"),  # US month/day
        ("Updated: 13/01/2024", "2024-01-13"),  # cannot be month 13: day first
        ("Last updated: November 8 , 2022", "2022-11-08"),  # stray space (zoom)
        ("Last Updated: November 2025", "2025-11"),
        ("#### Last Updated:\u00a0February 5, 2024", "2024-02-05"),
        ("Last Updated: March 26, 2024_._", "2024-03-26"),
        ("_Effective 27 May 2025_", "2025-05-27"),
        ("**Effective:** July 28, 2025", "2025-07-28"),
        ("Stand: 01.05.2024", "2024-05-01"),
        ("Stand: 1. Mai 2024", "2024-05-01"),
        ("Dernière mise à jour : 3 mars 2025", "2025-03-03"),
        ("Última actualización: 5 de mayo de 2024", "2024-05-05"),
        ("Ultimo aggiornamento: 3 maggio 2024", "2024-05-03"),
        ("Última atualização: 5 de março de 2024", "2024-03-05"),
        ("Laatst bijgewerkt: 1 mei 2024", "2024-05-01"),
        ("Stand: Mai 2024", "2024-05"),
        ("Effective: August 16, 2024. Last Revised: August 16, 2024.", "2024-08-16"),
    ],
)
def test_labelled_dates(text: str, expected: str) -> None:
    assert find_effective_date(f"# Privacy Policy\n\n{text}\n\nWe collect data.") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# Privacy Policy\n\nWe collect data since 2019.",
        "We updated our systems on May 1, 2024 to be faster.",  # no label
        "Last updated: soon",
        "Last updated: February 30, 2024",  # impossible date
    ],
)
def test_no_date(text: str) -> None:
    assert find_effective_date(text) is None


def test_only_head_unless_strong_label() -> None:
    filler = "\n".join(f"Paragraph {i} about data." for i in range(100))
    assert find_effective_date(f"{filler}\nUpdated: May 1, 2024") is None
    assert find_effective_date(f"{filler}\nLast updated: May 1, 2024") == "2024-05-01"


def test_parse_date_formats() -> None:
    assert parse_date("May 1, 2024") == "2024-05-01"
    assert parse_date("1 May 2024") == "2024-05-01"
    assert parse_date("2024-05-01") == "2024-05-01"
    assert parse_date("05/01/2024") == "2024-05-01"
    assert parse_date("05/01/2024", day_first=True) == "2024-01-05"
    assert parse_date("nothing") is None


_STATED = re.compile(
    r"(?:last updated|effective|updated|last revised)\W{0,6}(?:as of |on )?\W{0,3}"
    r"(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
    re.I,
)


@pytest.mark.corpus
def test_corpus_dates_found_where_stated(corpus: Path) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    missing = []
    for entry in manifest:
        text = (corpus / entry["file"]).read_text(encoding="utf-8")
        head = "\n".join(text.splitlines()[:60])
        states_one = bool(_STATED.search(head))
        found = find_effective_date(text)
        if states_one and found is None:
            missing.append(entry["file"])
        if found:
            # Plausible: not long before the capture, not years ahead (announced policies may be ahead).
            assert "2020" <= found[:4] <= str(int(entry["fetched_at"][:4]) + 1), entry["file"]
    assert not missing


@pytest.mark.corpus
@pytest.mark.parametrize(
    "file, expected",
    [
        ("zoom/2022-11-07T12-46-22Z.md", "2022-11-08"),
        ("chatgpt/2025-11-11T15-20-03Z.md", "2024-11-04"),
        ("microsoft-copilot/2025-11-11T15-34-47Z.md", "2025-10"),
        ("le-chat/2025-11-11T15-33-07Z.md", "2025-05-27"),
        ("grammarly/2024-11-07T06-06-45Z.md", "2024-11-08"),
        ("sourcehut/2022-11-01T14-30-08Z.md", None),
    ],
)
def test_corpus_known_dates(corpus: Path, file: str, expected: str | None) -> None:
    assert find_effective_date((corpus / file).read_text(encoding="utf-8")) == expected
