"""The HTML report: hostile policy text stays inert, pages link up, material changes stand out."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from policywatch.db.policies import add_policy, ensure_policy
from tests.conftest import DEMO_DATA
from policywatch.tracker.ingest import Ingestor, import_directory
from policywatch.tracker.model import Capture
from policywatch.tracker.report import write_report

BASE = """# Example privacy policy

## What we collect

We collect your email address when you register.

## Sharing

We do not sell your personal information.

We share information with service providers who host our website.

## Your rights

You can ask us to delete your account and your personal data at any time by writing to us.

## Cookies

We use a session cookie to keep you logged in, and no advertising cookies.
"""
HOSTILE = BASE.replace(
    "We collect your email address when you register.",
    "We collect your email address when you register. <script>alert(1)</script> "
    '<img src=x onerror=alert(1)> <a href="javascript:alert(1)">click</a>',
).replace("## Sharing", "## Sharing <script>alert(2)</script>")
SELLING = HOSTILE.replace(
    "We do not sell your personal information.",
    "We may sell your personal information to data brokers and advertisers.",
)


def put(db, policy: str, when: str, text: str, source: str = "live") -> None:
    Ingestor(db).put(
        Capture(policy=policy, source=source, url="https://example.org/privacy", capture_time=when,
                body=text.encode(), content_type="text/markdown")
    )


def html_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


@pytest.fixture
def hostile_report(fresh_db, tmp_path: Path) -> Path:
    """A policy whose name, URL-ish text and versions carry markup, with a material change."""
    add_policy(fresh_db, "https://example.org/privacy?<script>x</script>", name="evil<script>alert(1)</script>")
    name = "evil<script>alert(1)</script>"
    put(fresh_db, name, "2024-01-01T00:00:00Z", BASE, source="wayback")
    put(fresh_db, name, "2024-02-01T00:00:00Z", HOSTILE)
    put(fresh_db, name, "2024-03-01T00:00:00Z", SELLING)
    return write_report(fresh_db, tmp_path / "report")


def test_hostile_text_is_escaped_everywhere(hostile_report: Path):
    files = html_files(hostile_report.parent)
    assert len(files) >= 4  # index, timeline, two change pages
    seen_escaped = heading_escaped = False
    for path in files:
        page = path.read_text(encoding="utf-8")
        assert "<script" not in page.lower(), path
        assert not re.search(r"<img\b", page, re.I), path
        assert not re.search(r"<[^>]*\sonerror\s*=", page, re.I), path
        assert 'href="javascript:' not in page.lower(), path
        seen_escaped |= "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "onerror=alert(1)" in page
        heading_escaped |= "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert seen_escaped, "the hostile text should still be visible, as text"
    assert heading_escaped, "hostile headings appear (escaped) in the clause's location"


def test_pages_have_no_scripts_or_remote_assets(hostile_report: Path):
    for path in html_files(hostile_report.parent):
        page = path.read_text(encoding="utf-8")
        assert "Content-Security-Policy" in page
        assert not re.search(r'(src|href)="(https?:)?//(?!example\.org)', page), path
        assert "<link" not in page, "styles are inline"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def local_links(path: Path) -> list[Path]:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    from urllib.parse import unquote

    return [(path.parent / unquote(h.split("#")[0])).resolve() for h in parser.hrefs
            if not h.startswith(("http:", "https:", "#"))]


def test_index_links_timelines_and_change_pages(fresh_db, tmp_path: Path):
    import_directory(fresh_db, DEMO_DATA / "sourcehut", "sourcehut")
    index = write_report(fresh_db, tmp_path / "out")
    root = index.parent
    page = index.read_text(encoding="utf-8")
    assert "sourcehut" in page and 'href="policies/sourcehut.html"' in page
    assert re.search(r'href="changes/\d+\.html"', page)
    timeline = root / "policies" / "sourcehut.html"
    change_links = [p for p in local_links(timeline) if p.parent.name == "changes"]
    changes = fresh_db.execute("SELECT count(*) FROM changes WHERE superseded = 0").fetchone()[0]
    assert len(set(change_links)) == changes == len(list((root / "changes").glob("*.html")))
    for path in html_files(root):  # no broken relative link anywhere
        for target in local_links(path):
            assert target.exists(), f"{path.name} links to missing {target}"


def test_material_change_is_highlighted(fresh_db, tmp_path: Path):
    add_policy(fresh_db, "https://example.org/privacy", name="example")
    put(fresh_db, "example", "2024-01-01T00:00:00Z", BASE)
    put(fresh_db, "example", "2024-03-01T00:00:00Z", BASE.replace(
        "We do not sell your personal information.",
        "We may sell your personal information to data brokers and advertisers."))
    root = write_report(fresh_db, tmp_path / "report").parent
    change_id = fresh_db.execute("SELECT id FROM changes WHERE material = 1").fetchone()[0]
    index = (root / "index.html").read_text(encoding="utf-8")
    assert '<tr class="material">' in index and "MATERIAL" in index
    timeline = (root / "policies" / "example.html").read_text(encoding="utf-8")
    assert re.search(r'<section class="entry material"[^>]*>.*?sale', timeline, re.S)
    change = (root / "changes" / f"{change_id}.html").read_text(encoding="utf-8")
    assert '<div class="summary material">' in change
    material = re.findall(r'<section class="change material"[^>]*>(.*?)</section>', change, re.S)
    assert any("<del>We do not sell your personal information.</del>" in s for s in material), material
    assert any(re.search(r"<ins>[^<]*data brokers[^<]*</ins>", s) for s in material), material
    assert "Why:" in change and "severity" in index.lower() and "How to read this report" in index


def test_empty_database_explains_next_step(fresh_db, tmp_path: Path):
    page = write_report(fresh_db, tmp_path / "r").read_text(encoding="utf-8")
    assert "No policy is tracked yet" in page and "policywatch add" in page


def test_rerun_removes_stale_pages_and_names_are_path_safe(fresh_db, tmp_path: Path):
    ensure_policy(fresh_db, "../../etc/x", "https://example.org/a")
    foreign_out = tmp_path / "site"
    foreign = foreign_out / "changes" / "notes.html"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("not ours")
    write_report(fresh_db, foreign_out)
    assert foreign.exists(), "a folder no report made keeps its files"
    out = tmp_path / "r"
    write_report(fresh_db, out)
    stale = out / "changes" / "999.html"
    stale.write_text("old")
    write_report(fresh_db, out)
    assert not stale.exists()
    assert [p.name for p in (out / "policies").iterdir()] == ["etc-x.html"]


def test_report_command_prints_index(invoke, tmp_path: Path):
    assert invoke("init").exit_code == 0
    result = invoke("report", "--out", str(tmp_path / "site"))
    assert result.exit_code == 0
    assert Path(result.output.strip()) == (tmp_path / "site" / "index.html").resolve()


def test_flip_is_labelled_and_colliding_names_get_distinct_pages(fresh_db, tmp_path: Path):
    add_policy(fresh_db, "https://example.org/privacy", name="a b")
    add_policy(fresh_db, "https://example.net/privacy", name="a/b")
    reworded = BASE.replace("host our website", "host and operate our website")
    for when, text in (("2024-01-01", BASE), ("2024-02-01", reworded), ("2024-03-01", BASE)):
        put(fresh_db, "a b", f"{when}T00:00:00Z", text)
    root = write_report(fresh_db, tmp_path / "r").parent
    pages = sorted(p.name for p in (root / "policies").iterdir())
    assert len(pages) == 2 and len(set(pages)) == 2
    first = next(p for p in (root / "policies").iterdir() if "a-b-1" in p.name)
    timeline = first.read_text(encoding="utf-8")
    assert '<span class="badge">flip</span> Same text as <a href="#v' in timeline


def test_technical_upgrade_is_labelled_and_never_counted_material(fresh_db, tmp_path: Path, monkeypatch):
    from policywatch.tracker import extract as extract_module
    from policywatch.tracker.reprocess import reprocess

    add_policy(fresh_db, "https://example.org/privacy", name="example")
    put(fresh_db, "example", "2024-01-01T00:00:00Z", BASE)
    put(fresh_db, "example", "2024-03-01T00:00:00Z", BASE.replace(
        "We do not sell your personal information.",
        "We may sell your personal information to data brokers and advertisers."))
    real = extract_module.extract_text

    def improved(*args, **kwargs):  # a "better" extractor that spells one word differently
        result = real(*args, **kwargs)
        return type(result)(**{**result.__dict__, "text": result.text.replace("website", "web site")})

    monkeypatch.setattr(extract_module, "extract_text", improved)
    list(reprocess(fresh_db))
    assert fresh_db.execute("SELECT count(*) FROM changes WHERE technical_upgrade = 1 AND superseded = 0").fetchone()[0]
    root = write_report(fresh_db, tmp_path / "r").parent
    timeline = (root / "policies" / "example.html").read_text(encoding="utf-8")
    assert '<span class="badge">technical upgrade</span>' in timeline
    index = (root / "index.html").read_text(encoding="utf-8")
    assert "1 material change recorded" in index
