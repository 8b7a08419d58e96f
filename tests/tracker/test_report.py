"""The HTML report: hostile policy text stays inert, pages link up, material changes stand out."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from policywatch.db.policies import add_policy, ensure_policy
from tests.conftest import DEMO_DATA
from policywatch.tracker.folder_import import import_directory
from policywatch.tracker.ingest import Ingestor
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
            if not h.startswith(("http:", "https:", "mailto:", "#"))]


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


# --- Markdown, change pages, timeline picture, feed (issue 13) ---------------------------------

MARKDOWN = """# Example privacy policy

## Sharing

We share data with **service providers** listed on [our partners page](https://example.org/partners).<br><br>See also __our cookie notice__ .

* We do not sell your *personal* information.
* You can [opt out](https://example.org/opt-out) at any time.

|     | _Account Information_ |     | You do not need an account to read. |

## Contact

Write to [the privacy team](mailto:privacy@example.org).
"""
MARKDOWN_NEW = MARKDOWN.replace(
    "[our partners page](https://example.org/partners)", "[our advertising partners](https://example.org/ads)"
).replace("**service providers**", "**advertisers and data brokers**").replace(
    "We do not sell your *personal* information.", "We may sell your *personal* information to data brokers."
).replace("You do not need an account to read.", "You need an account to read.").replace(
    "* You can [opt out](https://example.org/opt-out) at any time.\n", ""  # a removed list item
)

RAW_MARKDOWN = re.compile(r"\*\*|__|\]\(|&lt;br|^\s*[*|]\s|\|\s*---|(?<![\w\s])_\w", re.M)


class ClauseText(HTMLParser):
    """The text a reader sees inside rendered policy text (clauses, context, both sides)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self.depth:
            self.depth += 1 if tag not in ("br", "hr") else 0
        elif tag == "div" and {"clause", "context"} & set(classes) or (tag == "div" and "side" in classes):
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth and tag not in ("br", "hr"):
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.texts.append(data)


def rendered_clause_text(page: str) -> str:
    parser = ClauseText()
    parser.feed(page)
    return "\n".join(parser.texts)


@pytest.fixture
def markdown_report(fresh_db, tmp_path: Path) -> Path:
    add_policy(fresh_db, "https://example.org/privacy", name="md")
    put(fresh_db, "md", "2024-01-01T00:00:00Z", MARKDOWN)
    put(fresh_db, "md", "2024-03-01T00:00:00Z", MARKDOWN_NEW)
    return write_report(fresh_db, tmp_path / "report").parent


def test_rendered_clause_text_shows_no_raw_markdown(markdown_report: Path):
    [page_path] = list((markdown_report / "changes").glob("*.html"))
    page = page_path.read_text(encoding="utf-8")
    text = rendered_clause_text(page)
    assert "data brokers" in text and "service providers" in text, "both sides of the change are shown"
    assert not RAW_MARKDOWN.search(text), RAW_MARKDOWN.search(text)
    assert "<strong>" in page and '<a href="https://example.org/ads"' in page and "<li>" in page
    assert '<a href="mailto:privacy@example.org"' in page or "privacy team" in text
    assert "companies ." not in text and "notice ." not in text


def test_raw_markdown_check_would_catch_unrendered_text():
    """The check above is not vacuous: the same clauses printed raw trip it."""
    assert RAW_MARKDOWN.search(rendered_clause_text(f'<div class="clause">{html_escape(MARKDOWN)}</div>'))


def html_escape(text: str) -> str:
    import html

    return html.escape(text)


def test_markdown_links_with_script_urls_and_event_handlers_stay_inert(fresh_db, tmp_path: Path):
    evil = BASE.replace(
        "We collect your email address when you register.",
        "We collect [your email](javascript:alert(1)) and [more](JaVaScRiPt:alert(2)) "
        '[x](data:text/html,<script>alert(3)</script>) <div onclick="alert(4)">hi</div> '
        "<svg onload=alert(5)> [y](vbscript:msgbox(1)) ![img](https://evil.test/p.png)",
    )
    add_policy(fresh_db, "https://example.org/privacy", name="evil")
    put(fresh_db, "evil", "2024-01-01T00:00:00Z", BASE)
    put(fresh_db, "evil", "2024-02-01T00:00:00Z", evil)
    root = write_report(fresh_db, tmp_path / "r").parent
    for path in html_files(root):
        page = path.read_text(encoding="utf-8")
        assert not re.search(r"""href\s*=\s*["']?\s*(javascript|vbscript|data):""", page, re.I), path
        assert not re.search(r"<[a-z]+[^>]*\son[a-z]+\s*=", page, re.I), path
        assert "<script" not in page.lower() and "<img" not in page.lower(), path
        assert not re.search(r"<svg[^>]*onload", page, re.I)
    change = next((root / "changes").glob("*.html")).read_text(encoding="utf-8")
    assert "your email" in change and "&lt;div onclick=" in change


def change_page(fresh_db, tmp_path: Path, name: str, old: str, new: str) -> str:
    """The report's one change page for a policy recorded as ``old`` then ``new``."""
    add_policy(fresh_db, "https://example.org/privacy", name=name)
    put(fresh_db, name, "2024-01-01T00:00:00Z", old)
    put(fresh_db, name, "2024-03-01T00:00:00Z", new)
    root = write_report(fresh_db, tmp_path / "r").parent
    [path] = list((root / "changes").glob("*.html"))
    return path.read_text(encoding="utf-8")


def test_change_page_opens_with_findings_then_clauses_in_context(fresh_db, tmp_path: Path):
    long_base = BASE + "".join(f"\n## Section {n}\n\nParagraph {n} says nothing new about data.\n" for n in range(12))
    page = change_page(fresh_db, tmp_path, "example", long_base, long_base.replace(
        "We do not sell your personal information.", "We may sell your personal information to data brokers."
    ).replace("Paragraph 11 says", "Paragraph eleven says"))
    findings, clauses = page.index("Findings, most important first"), page.index("Changed clauses")
    assert findings < clauses
    assert re.search(r'<ol class="findings"><li><span class="badge sev-(high|medium)">.*?href="#c\d+"', page, re.S)
    for anchor in re.findall(r'href="#(c\d+)"', page):
        assert f'id="{anchor}"' in page
    assert '<details class="unchanged"><summary>' in page and "unchanged clauses</summary>" in page
    assert 'id="view-side"' in page and "#view-side:checked ~ .changes .side" in page  # CSS-only switch
    assert '<div class="side">' in page and "<script" not in page
    assert "policywatch diff example --from 1 --to 2" in page


def test_a_rewrite_page_stays_bounded_and_keeps_material_findings(fresh_db, tmp_path: Path):
    from policywatch.tracker.render.changes import MATERIAL_BUDGET, PAGE_BUDGET

    old = BASE + "".join(f"We keep record {n} of your account settings so the service works for you.\n\n"
                         for n in range(900))
    new = BASE.replace("We do not sell your personal information.", "We may sell your personal information to "
                       "data brokers.") + "".join(f"Entry {n} of the account preferences stays stored while you use "
                                                  "our apps.\n\n" for n in range(900))
    page = change_page(fresh_db, tmp_path, "rewrite", old, new)
    assert len(page) < PAGE_BUDGET + MATERIAL_BUDGET + 100_000, len(page)
    assert "This change is large" in page and "more clause changes" in page
    assert "data brokers" in page[: page.index("Changed clauses")], "the material finding is at the top"


def reworded_then_selling(db, days: tuple[str, str, str]) -> None:
    """Three versions: the base, a neutral rewording, then a material sale clause."""
    add_policy(db, "https://example.org/privacy", name="example")
    texts = (BASE, BASE.replace("host our website", "host and run our website"), BASE.replace(
        "We do not sell your personal information.", "We may sell your personal information to data brokers."))
    for day, text in zip(days, texts):
        put(db, "example", f"{day}T00:00:00Z", text)


def test_timeline_picture_and_index_summary(fresh_db, tmp_path: Path):
    reworded_then_selling(fresh_db, ("2024-01-01", "2024-06-01", "2025-03-01"))
    root = write_report(fresh_db, tmp_path / "r").parent
    timeline = (root / "policies" / "example.html").read_text(encoding="utf-8")
    svg = timeline[timeline.index("<svg"): timeline.index("</svg>")]
    versions = re.findall(r'<a href="#v(\d+)"><circle', svg)
    assert len(versions) == 3 and all(f'id="v{v}"' in timeline for v in versions)
    assert svg.count('fill="#c92a2a"') >= 2  # the material change's mark (and the legend's)
    assert ">2025</text>" in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    index = (root / "index.html").read_text(encoding="utf-8")
    assert "Material changes, last 12 months" in index and "Latest material change" in index
    assert re.search(r'<a href="changes/\d+\.html"><time datetime="2025-03-01T00:00:00Z">2025-03-01</time></a>', index)


def test_atom_feed_lists_material_changes_with_findings(fresh_db, tmp_path: Path):
    from xml.etree import ElementTree as ET

    reworded_then_selling(fresh_db, ("2024-01-01", "2024-02-01", "2024-03-01"))
    root = write_report(fresh_db, tmp_path / "r").parent
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.parse(root / "feed.xml").getroot()
    entries = feed.findall("a:entry", ns)
    material = fresh_db.execute("SELECT count(*) FROM changes WHERE material = 1").fetchone()[0]
    assert len(entries) == material == 1
    entry = entries[0]
    assert (root / entry.find("a:link", ns).get("href")).exists()
    assert entry.find("a:updated", ns).text == "2024-03-01T00:00:00Z"
    assert "data brokers" in entry.find("a:content", ns).text
    assert feed.find("a:id", ns).text.startswith("urn:uuid:")
    again = ET.parse(write_report(fresh_db, tmp_path / "r").parent / "feed.xml").getroot()
    assert again.find("a:entry/a:id", ns).text == entry.find("a:id", ns).text, "entry ids are stable"


def test_runs_of_cosmetic_edits_fold_into_one_details_and_keep_their_anchors():
    from policywatch.tracker.compare import compare_texts
    from policywatch.tracker.render.changes import diff_page

    old = "# Policy\n\n" + "".join(f"We keep log {n} for thirty days.\n\n" for n in range(6))
    new = old.replace("thirty days.", "thirty days!").replace("We may sell", "")
    new = new.replace("We keep log 5 for thirty days!", "We sell log 5 to data brokers.")
    diff = compare_texts(old, new)
    page = diff_page(diff, "t")
    cosmetic = sum(1 for c in diff.changes if c.cosmetic)
    assert cosmetic >= 3
    # this short a text is judged an extraction failure, so every change here is severity none
    minor = sum(1 for c in diff.changes if c.cosmetic or c.assessment.severity == "none")
    assert f"<summary>{minor} cosmetic or neutral edits" in page
    for number in range(1, len(diff.changes) + 1):
        assert f'id="c{number}"' in page


def test_changes_left_out_of_a_long_page_are_always_announced(fresh_db, tmp_path: Path):
    # the material change comes after the page budget is spent: it is shown, and the page still
    # says that other clause changes were left out, outside any folded section
    entries_old = "".join(f"We keep record {n} of your account settings so the service works for you.\n\n" for n in range(900))
    entries_new = "".join(f"Entry {n} of the account preferences stays stored while you use our apps.\n\n" for n in range(900))
    old = entries_old + BASE
    new = entries_new + BASE.replace("We do not sell your personal information.",
                                     "We may sell your personal information to data brokers.")
    page = change_page(fresh_db, tmp_path, "late", old, new)
    assert "This change is large" in page
    note = page.index("(not shown: this page is long)")
    assert page.rfind('<details class="minor-run">', 0, note) <= page.rfind("</details>", 0, note)
    assert "data brokers" in page[page.index("Changed clauses"):]


def test_a_material_clause_is_never_folded_among_cosmetic_edits(fresh_db, tmp_path: Path):
    before = "".join(f"Section {n}: we answer questions about topic {n} within a week.\n\n" for n in range(6))
    after = "".join(f"Section {n}: we answer questions about topic {n} within a week!\n\n" for n in range(6))
    old = before + BASE + before.replace("Section", "Part")
    new = after + BASE.replace("We do not sell your personal information.",
                               "We may sell your personal information to data brokers.") + after.replace("Section", "Part")
    page = change_page(fresh_db, tmp_path, "folds", old, new)
    body = page[page.index("Changed clauses"):]
    sale = body.index("data brokers")
    assert body.count('<details class="minor-run">') == 2
    assert body.rfind('<details class="minor-run">', 0, sale) < body.rfind("</details>", 0, sale)
