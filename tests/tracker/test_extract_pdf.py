"""PDF policies: extraction with headings from fonts, ``segment`` on a .pdf, folder import.

The PDFs are built by ``pdf_maker`` (a real PDF 1.4 file with standard fonts), so the
test exercises pdfminer.six on the same structures a company's exported policy has:
a large bold title, bold section headings, a bold run-in subheading, page numbers.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policywatch.db.policies import add_policy
from policywatch.errors import InputError
from policywatch.tracker.extract import extract_text, read_document
from policywatch.tracker.extract.pdf import UnreadableDocument
from policywatch.tracker.folder_import import import_directory
from policywatch.tracker.ingest import Ingestor
from policywatch.tracker.model import Capture
from policywatch.tracker.segment import segment_text
from tests.tracker.pdf_maker import POLICY_PAGES, make_pdf


@pytest.fixture
def policy_pdf() -> bytes:
    return make_pdf(POLICY_PAGES, title="Acme Privacy Policy")


def test_pdf_text_keeps_headings_from_fonts(policy_pdf: bytes) -> None:
    result = extract_text(policy_pdf, "application/pdf")
    assert result.engine == "pdf" and result.title == "Acme Privacy Policy"
    lines = result.text.split("\n\n")
    assert lines[0] == "# Acme Privacy Policy"
    assert "## 1. Information We Collect" in lines
    assert "### Cookies" in lines  # bold at body size: one level down
    assert "## 3. Children" in lines
    # Lines of one paragraph are joined; page numbers are gone.
    assert (
        "We do not sell personal information. We share it with processors that host "
        "our services, under contracts that limit their use of it."
    ) in lines
    assert "1" not in lines and "2" not in lines


def test_pdf_clauses_sit_under_their_sections(policy_pdf: bytes) -> None:
    clauses = segment_text(extract_text(policy_pdf, None).text)  # sniffed from %PDF
    kids = next(c for c in clauses if c.text.startswith("We do not knowingly collect"))
    assert kids.heading == ("Acme Privacy Policy", "3. Children")
    cookies = next(c for c in clauses if c.text.startswith("We use cookies"))
    assert cookies.heading == ("Acme Privacy Policy", "1. Information We Collect", "Cookies")


def test_segment_command_reads_a_pdf(tmp_path: Path, policy_pdf: bytes) -> None:
    from policywatch.cli import cli

    path = tmp_path / "acme-privacy.pdf"
    path.write_bytes(policy_pdf)
    result = CliRunner().invoke(cli, ["segment", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    clauses = json.loads(result.stdout)["clauses"]
    sharing = next(c for c in clauses if c["text"].startswith("We do not sell"))
    assert sharing["heading"][-1] == "2. How We Share Information"


def test_corrupt_pdf_is_one_clear_error(tmp_path: Path, policy_pdf: bytes) -> None:
    from policywatch.cli import cli

    path = tmp_path / "broken.pdf"
    path.write_bytes(policy_pdf[:300])  # a download cut short
    with pytest.raises(InputError, match="broken.pdf: the PDF could not be read"):
        read_document(str(path))
    with pytest.raises(UnreadableDocument):
        extract_text(policy_pdf[:300], "application/pdf")
    result = CliRunner().invoke(cli, ["segment", str(path)])
    assert result.exit_code == 2
    assert "PDF could not be read" in result.stderr and "Traceback" not in result.output


def test_pdf_without_a_text_layer_is_an_extraction_failure(fresh_db) -> None:
    scan = make_pdf([[("F1", 10.0, "")]])  # a page with no text (a scanned image would look the same)
    assert extract_text(scan, "application/pdf").text == ""
    add_policy(fresh_db, "https://acme.example/privacy.pdf", "acme")
    result = Ingestor(fresh_db).put(
        Capture("acme", "live", "https://acme.example/privacy.pdf", "2025-03-04T00:00:00Z", scan, 200, "application/pdf")
    )
    assert result.outcome == "extraction_failure" and result.version_id is None


def test_folder_import_versions_pdfs(fresh_db, tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    folder.mkdir()
    changed = [list(page) for page in POLICY_PAGES]
    changed[1][5] = ("F1", 10.0, "We do not knowingly collect personal information from children under 16.")
    (folder / "2025-01-01T00-00-00Z.pdf").write_bytes(make_pdf(POLICY_PAGES))
    (folder / "2025-02-01T00-00-00Z.pdf").write_bytes(make_pdf(changed))
    summary = import_directory(fresh_db, folder, "acme")
    assert summary.files == 2 and summary.new_versions == 2 and not summary.rejected
    change = next(fresh_db.query("SELECT * FROM changes"))
    assert change is not None
    texts = [r["text"] for r in fresh_db.query(
        "SELECT ct.text FROM clause_changes cc JOIN clause_texts ct ON ct.id = cc.new_clause_id"
    )]
    assert any("under 16" in t for t in texts)


def test_folder_import_refuses_a_fake_pdf(fresh_db, tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "2025-01-01T00-00-00Z.pdf").write_text("not a pdf")
    with pytest.raises(InputError, match="not a PDF"):
        import_directory(fresh_db, folder, "acme")


def test_a_fetched_pdf_becomes_a_version(fresh_db, policy_pdf: bytes) -> None:
    from policywatch.crawler.outcomes import classify_response

    url = "https://acme.example/legal/privacy.pdf"
    assert classify_response(200, "application/pdf", url).outcome == "ok"
    add_policy(fresh_db, url, "acme")
    result = Ingestor(fresh_db).put(Capture("acme", "live", url, "2025-03-04T00:00:00Z", policy_pdf, 200, "application/pdf"))
    assert result.outcome == "ok" and result.new_version
    version = next(fresh_db.query("SELECT * FROM versions"))
    assert version["effective_date"] == "2025-03-03"
