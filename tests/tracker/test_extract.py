"""HTML/bytes -> policy text: chrome removal, CSS rules, encodings, size, binary input."""
from __future__ import annotations

import io
import re
import unicodedata
import subprocess
import sys
from pathlib import Path

import pytest

from policywatch.errors import InputError
from policywatch.tracker.extract import page as extract
from policywatch.tracker.extract import decode
from policywatch.tracker.extract import EXTRACTOR_VERSION, Extracted, decode_body, extract_text, read_document
from policywatch.tracker.segment import segment_text

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]

POLICY_SENTENCES = [
    "This Privacy Policy explains how Example Corp collects, uses and shares personal information",
    "We collect the information you provide to us, such as your name, email address and payment details.",
    "Account data, such as your username and password.",
    "Device identifiers and IP addresses.",
    "We use cookies and pixels to remember your preferences",
    "We share personal information with service providers who process it on our behalf.",
    "We do not sell your personal information.",
    "Server logs",
    "18 months",
    "Questions about this policy can be sent to privacy@example.com.",
    "Last updated: May 1, 2024",
]
CHROME_MARKERS = [
    "Skip to main content", "GET OUR APP", "Install now", "EXAMPLE CORP HEADER LOGO", "navigation link",
    "COOKIE BANNER", "Accept all cookies", "Legal breadcrumb", "SHARE ON", "NEWSLETTER", "Subscribe",
    "SIDEBAR", "FOOTER", "footer link", "TRACKING_SCRIPT_TEXT", "BODY_SCRIPT_TEXT", "font-family",
]


def html_page(body: str, head: str = "") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode("utf-8")


@pytest.fixture(scope="module")
def chrome_page() -> bytes:
    return (FIXTURES / "chrome_page.html").read_bytes()


# --- chrome, structure ----------------------------------------------------------------


def test_chrome_removed_and_policy_kept(chrome_page: bytes) -> None:
    result = extract_text(chrome_page, "text/html; charset=utf-8", url="https://example.com/privacy")
    for sentence in POLICY_SENTENCES:
        assert sentence in result.text
    for marker in CHROME_MARKERS:
        assert marker not in result.text, marker
    assert result.title == "Privacy Policy | Example Corp"
    assert result.encoding == "utf-8"


def test_structure_survives_extraction(chrome_page: bytes) -> None:
    text = extract_text(chrome_page, "text/html").text
    assert "# Example Corp Privacy Policy" in text
    assert "## 2. Cookies and similar technologies" in text
    assert "- Account data, such as your username and password." in text
    clauses = segment_text(text)
    sharing = next(c for c in clauses if c.text.startswith("We do not sell"))
    assert sharing.heading == ("Example Corp Privacy Policy", "3. How we share information")
    assert any(c.kind == "list_item" for c in clauses)


def test_lxml_walker_also_removes_chrome(chrome_page: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "_trafilatura", lambda root, url=None: "")
    result = extract_text(chrome_page, "text/html")
    assert result.engine == "lxml"
    for sentence in POLICY_SENTENCES:
        assert sentence in result.text
    for marker in CHROME_MARKERS:
        assert marker not in result.text, marker
    assert "- Account data, such as your username and password." in result.text
    assert "  - Device identifiers and IP addresses." in result.text
    assert "| Server logs | 18 months |" in result.text


def test_falls_back_when_trafilatura_cuts_sections(chrome_page: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "_trafilatura", lambda root, url=None: "# Example Corp Privacy Policy\n\nOnly the intro.")
    result = extract_text(chrome_page, "text/html")
    assert result.engine == "lxml"
    assert "We do not sell your personal information." in result.text


def test_headings_kept_when_trafilatura_loses_structure() -> None:
    # On small pages trafilatura can fall back to a plain-text baseline without '#' lines.
    body = (
        "<main><h1>Privacy</h1><section><h2>Cookies</h2><p>We use cookies for analytics.</p></section>"
        "<section><h2>How we share</h2><p>We share data with processors.</p></section></main>"
    )
    text = extract_text(html_page(body), "text/html").text
    assert text == "# Privacy\n\n## Cookies\n\nWe use cookies for analytics.\n\n## How we share\n\nWe share data with processors."


def test_trafilatura_is_the_default_engine(chrome_page: bytes) -> None:
    assert extract_text(chrome_page, "text/html").engine == "trafilatura"


def test_policy_sections_named_cookies_or_sharing_survive() -> None:
    body = (
        "<main><h1>Privacy</h1><section id='cookies' class='cookies'><h2>Cookies</h2><p>We use cookies for analytics.</p></section>"
        "<section id='how-we-share' class='sharing-section'><h2>How we share</h2><p>We share data with processors.</p></section></main>"
    )
    text = extract_text(html_page(body), "text/html").text
    assert "We use cookies for analytics." in text
    assert "We share data with processors." in text


def test_header_inside_article_is_kept_but_page_header_dropped() -> None:
    body = "<header>SITE HEADER</header><article><header><h1>Our Privacy Policy</h1></header><p>We collect your data for reasons.</p></article>"
    text = extract_text(html_page(body), "text/html").text
    assert "Our Privacy Policy" in text and "SITE HEADER" not in text


def test_summary_aside_inside_article_is_kept() -> None:
    body = "<main><h1>Policy</h1><aside><p>In short: we collect your email address.</p></aside><p>Details about data.</p></main><aside>Related posts</aside>"
    text = extract_text(html_page(body), "text/html").text
    assert "In short: we collect your email address." in text and "Related posts" not in text


def test_select_css_with_many_matches_keeps_them_all() -> None:
    body = "<main>" + "<div><p>We collect data about you every day.</p></div>" * 20_000 + "</main>"
    text = extract_text(html_page(body), "text/html", select_css="p").text  # speed: bench/speed_bench.py
    assert text.count("We collect data") == 20_000


def test_aria_headings_become_markdown_headings() -> None:
    body = (
        "<main><div role='heading' aria-level='1'>Privacy Notice</div><p>We explain how we use data about you.</p>"
        "<div role='heading' aria-level='2'>Sharing</div><p>We share data with service providers.</p>"
        "<div role='heading' aria-level='2'>Retention</div><p>We keep data for two years at most.</p></main>"
    )
    text = extract_text(html_page(body), "text/html").text
    assert "# Privacy Notice" in text and "## Sharing" in text and "## Retention" in text


def test_page_wrapped_in_a_form_is_kept() -> None:
    # ASP.NET WebForms put the whole page inside one <form>.
    body = "<form id='aspnetForm'><main><h1>Privacy</h1><p>We collect your name and email address.</p></main></form>"
    assert "We collect your name and email address." in extract_text(html_page(body), "text/html").text


def test_bold_only_paragraph_and_layout_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "_trafilatura", lambda root, url=None: "")
    body = "<table><tr><td><p><strong>Sharing</strong></p><p>We share with partners.</p></td></tr></table>"
    text = extract_text(html_page(body), "text/html").text
    assert text == "**Sharing**\n\nWe share with partners."


# --- CSS rules ------------------------------------------------------------------------


def test_select_css_extracts_only_selected(chrome_page: bytes) -> None:
    text = extract_text(chrome_page, "text/html", select_css="article h2, article p").text
    assert "We do not sell your personal information." in text
    assert "Account data" not in text  # list items not selected
    assert "COOKIE BANNER" not in text


def test_remove_css_removes_first(chrome_page: bytes) -> None:
    text = extract_text(chrome_page, "text/html", remove_css="table, #cookies + p").text
    assert "Server logs" not in text
    assert "We use cookies and pixels" not in text
    assert "We do not sell your personal information." in text


def test_select_and_remove_together() -> None:
    body = "<div class='policy'><p>Keep this sentence about data.</p><p class='ad'>Advert text.</p></div><p>Outside text.</p>"
    text = extract_text(html_page(body), "text/html", select_css=".policy", remove_css=".ad").text
    assert text == "Keep this sentence about data."


def test_invalid_css_is_an_input_error(chrome_page: bytes) -> None:
    with pytest.raises(InputError, match="CSS selector"):
        extract_text(chrome_page, "text/html", select_css="div[[")


# --- encodings ------------------------------------------------------------------------

FRENCH = "Politique de confidentialité : nous collectons vos données – « café » ’ €."


def test_cp1252_declared_in_meta() -> None:
    body = f'<html><head><meta charset="windows-1252"></head><body><p>{FRENCH}</p></body></html>'.encode("cp1252")
    result = extract_text(body, "text/html")
    assert FRENCH in result.text and result.encoding == "cp1252"


def test_cp1252_declared_in_http_equiv_as_latin1() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
    body = f"<html><head>{head}</head><body><p>{FRENCH}</p></body></html>".encode("cp1252")
    assert FRENCH in extract_text(body, None).text  # latin-1 means cp1252 (WHATWG), so € decodes


def test_utf8_bom_wins_over_wrong_header() -> None:
    body = b"\xef\xbb\xbf" + f"<html><body><p>{FRENCH}</p></body></html>".encode("utf-8")
    result = extract_text(body, "text/html; charset=iso-8859-1")
    assert FRENCH in result.text and result.encoding == "utf-8"
    assert not result.text.startswith("\ufeff")


def test_wrong_header_charset_for_cp1252_bytes() -> None:
    body = f"<html><body><p>{FRENCH}</p></body></html>".encode("cp1252")
    result = extract_text(body, "text/html; charset=utf-8")
    assert FRENCH in result.text and result.encoding == "cp1252"


def test_utf8_bytes_declared_as_latin1() -> None:
    body = f'<html><head><meta charset="iso-8859-1"></head><body><p>{FRENCH}</p></body></html>'.encode("utf-8")
    assert FRENCH in extract_text(body, "text/html").text


@pytest.mark.parametrize("codec", ["utf-8", "cp1252"])
def test_no_declaration_is_sniffed(codec: str) -> None:
    body = f"<html><body><p>{FRENCH}</p></body></html>".encode(codec)
    result = extract_text(body)
    assert FRENCH in result.text and result.encoding == codec


def test_undeclared_cyrillic_is_sniffed() -> None:
    text = "Политика конфиденциальности: мы собираем ваши персональные данные и храним их."
    decoded, codec = decode_body(f"<p>{text}</p>".encode("cp1251"))
    assert text in decoded and codec == "cp1251"


def test_utf16_with_bom() -> None:
    body = "\ufeff<html><body><p>Privacy data text.</p></body></html>".encode("utf-16-le")
    assert "Privacy data text." in extract_text(body, "text/html").text


# --- text, empty, binary, size --------------------------------------------------------


def test_markdown_and_plain_bodies_are_returned_as_they_are() -> None:
    text = "# Policy\n\n<b>not html</b> and  spaces  \n- item\n"
    for content_type in ("text/markdown; charset=utf-8", "text/plain"):
        result = extract_text(text.encode("utf-8"), content_type)
        assert result == Extracted(text, None, "plain", "utf-8")


@pytest.mark.parametrize("body", [b"", b"<html></html>", b"<html><body>  </body></html>", b"   "])
def test_empty_html(body: bytes) -> None:
    assert extract_text(body, "text/html").text == ""


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", None, "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/html", "PNG"),
        (b"GIF89a\x01\x00", None, "GIF"),
        (b"hello\x00world\x00\x00", None, "NUL"),
        (bytes(range(1, 9)) * 200, None, "control characters"),
        (b"<html>fine</html>", "image/png", "content type"),
    ],
)
def test_binary_input_is_an_input_error(body: bytes, content_type: str | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        extract_text(body, content_type)


def test_20_mb_page_extracts_completely() -> None:
    from policywatch.testing.pages import big_policy_page

    body, sections = big_policy_page(20_000_000)
    result = extract_text(body, "text/html")  # speed: bench/speed_bench.py
    assert "Paragraph 0-0:" in result.text and f"Paragraph {sections - 1}-29:" in result.text


def test_one_huge_text_node() -> None:
    body = b"<html><body><p>" + b"privacy " * 2_500_000 + b"</p></body></html>"
    assert len(extract_text(body, "text/html").text) > 19_000_000


def test_extractor_version_is_a_string() -> None:
    assert isinstance(EXTRACTOR_VERSION, str) and EXTRACTOR_VERSION


# --- read_document --------------------------------------------------------------------


def test_read_document_html_md_txt_and_sniffed(tmp_path: Path, chrome_page: bytes) -> None:
    (tmp_path / "p.html").write_bytes(chrome_page)
    (tmp_path / "p.md").write_text("# Policy\n\n<p>kept as text</p>\n", encoding="utf-8")
    (tmp_path / "p.txt").write_bytes("Données\n".encode("cp1252"))
    (tmp_path / "p.page").write_bytes(chrome_page)
    (tmp_path / "p.data").write_text("Just text about privacy.", encoding="utf-8")
    assert "We do not sell your personal information." in read_document(str(tmp_path / "p.html"))
    assert "COOKIE BANNER" not in read_document(str(tmp_path / "p.html"))
    assert read_document(str(tmp_path / "p.md")) == "# Policy\n\n<p>kept as text</p>\n"
    assert read_document(str(tmp_path / "p.txt")) == "Données\n"
    assert "COOKIE BANNER" not in read_document(str(tmp_path / "p.page"))
    assert read_document(str(tmp_path / "p.data")) == "Just text about privacy."


def test_read_document_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(b"<html><body><main><p>From stdin about data.</p></main></body></html>"))
    monkeypatch.setattr(sys, "stdin", fake)
    assert read_document("-") == "From stdin about data."


def test_read_document_errors(tmp_path: Path) -> None:
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4 binary")
    (tmp_path / "x.md").write_bytes(b"\x00\x01\x02binary")
    cases = {
        str(tmp_path / "missing.md"): "no such file",
        str(tmp_path): "is a directory",
        str(tmp_path / "x.pdf"): "PDF",
        str(tmp_path / "x.md"): "binary",
    }
    for path, message in cases.items():
        with pytest.raises(InputError, match=message) as info:
            read_document(path)
        assert "\n" not in str(info.value) and path in str(info.value)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_read_document_unreadable(tmp_path: Path) -> None:
    import os

    path = tmp_path / "secret.md"
    path.write_text("text")
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("running as root: permissions are not enforced")
    with pytest.raises(InputError, match="cannot read"):
        read_document(str(path))


def test_reading_markdown_does_not_import_trafilatura(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# Policy\n\nText.", encoding="utf-8")
    code = (
        "import sys; from policywatch.tracker.extract import read_document; read_document(sys.argv[1]); "
        "bad = [m for m in ('trafilatura', 'lxml', 'charset_normalizer') if m in sys.modules]; "
        "sys.exit(str(bad) if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# --- real policies rendered to HTML ---------------------------------------------------


@pytest.mark.corpus
def test_corpus_policies_rendered_to_html_survive_extraction(corpus: Path, chrome_page: bytes) -> None:
    """Render the newest version of each service to HTML inside the chrome page and
    check the extractor keeps (nearly) every word and every heading of the policy."""
    import re
    from collections import Counter

    markdown_it = pytest.importorskip("markdown_it")
    import lxml.html

    renderer = markdown_it.MarkdownIt("commonmark").enable("table")
    page = chrome_page.decode("utf-8")
    start, end = page.index('<main id="content">'), page.index("</main>") + len("</main>")
    newest = {}
    for path in sorted(corpus.glob("*/*.md")):
        newest[path.parent.name] = path
    for service, path in sorted(newest.items()):
        html = renderer.render(path.read_text(encoding="utf-8"))
        body = page[:start] + f'<main id="content"><article>{html}</article></main>' + page[end:]
        text = extract_text(body.encode("utf-8"), "text/html").text
        expected = Counter(re.findall(r"\w+", lxml.html.fromstring(f"<div>{html}</div>").text_content()))
        got = Counter(re.findall(r"\w+", text))
        recall = sum((expected & got).values()) / sum(expected.values())
        assert recall >= 0.97, f"{service}: word recall {recall:.3f}"
        html_headings = len(re.findall(r"<h[1-6]", html))
        text_headings = len(re.findall(r"^#{1,6} ", text, re.M))
        assert text_headings >= 0.9 * html_headings, f"{service}: {text_headings}/{html_headings} headings"
        for marker in CHROME_MARKERS:
            assert marker not in text, f"{service}: {marker}"


# --- robustness (property-based) ------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TAGS = st.sampled_from(
    ["p", "div", "h1", "h3", "ul", "ol", "li", "table", "tr", "td", "th", "a", "strong", "br", "nav",
     "footer", "header", "main", "article", "pre", "dl", "dt", "dd", "form", "script", "section", "details"]
)
_ATTRS = st.sampled_from(["", " class='share'", " id='cookie-banner'", " role='main'", " class='x y'"])


@st.composite
def _html(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 4 and draw(st.booleans()):
            tag, attrs, inner = draw(_TAGS), draw(_ATTRS), draw(_html(depth + 1))
            close = f"</{tag}>" if draw(st.booleans()) else ""
            parts.append(f"<{tag}{attrs}>{inner}{close}")
        else:
            parts.append(draw(st.text(max_size=20)))
    return "".join(parts)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(_html(), st.sampled_from([None, "text/html", "text/html; charset=latin-1"]), st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_any_markup_extracts_or_raises_input_error(markup: str, content_type: str | None, codec: str) -> None:
    body = markup.encode(codec, errors="replace")
    try:
        result = extract_text(body, content_type)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)  # one clear line for stderr
        return
    assert result.engine in ("trafilatura", "lxml", "plain")
    if content_type is not None:  # declared HTML is never read as plain text
        assert result.engine != "plain"
    if result.engine != "plain":
        _assert_tidy(result.text)
        assert "<script" not in result.text.lower()
        decoded = body.decode(result.encoding or "utf-8", errors="replace")
        # Extraction drops text (tags, chrome, invisible characters) and may put the main
        # content first, but never invents any: no word character the markup does not have.
        # (Counts are not compared: on unclosed markup such as "<div role='main'>a<p>b"
        # trafilatura repeats "b"; see issue 19's report.)
        def word_chars(text: str) -> set[str]:  # compared in NFKC: extraction may normalise Unicode
            return set("".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())))

        source = word_chars(re.sub(r"<[A-Za-z/!][^<>]*>", "", decoded))
        produced = word_chars(re.sub(r"\d+\.(?=\s|$)", " ", result.text))  # the walker numbers <ol> items
        assert not produced - source, f"text the markup does not have: {produced - source}"


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_extract_or_raise_input_error(body: bytes) -> None:
    try:
        result = extract_text(body)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert not any(body.startswith(magic) for magic in decode._MAGIC), "magic bytes are refused"
    has_bom = body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
    assert has_bom or b"\x00" not in body, "NUL bytes mean binary data"
    sample = result.text[:65536]
    if result.engine == "plain":
        assert result.text == decode_body(body, None, html=False)[0]  # plain text is kept as decoded
        controls = len(re.findall(r"[\x00-\x08\x0e-\x1f\x7f]", sample))
        assert controls <= 0.05 * len(sample), "mostly control characters is binary data"
    else:
        _assert_tidy(result.text)


def _assert_tidy(text: str) -> None:
    """Extracted HTML text: no trailing spaces, at most one blank line in a row, no outer blank lines."""
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert "\n\n\n" not in text and text == text.strip("\n")
