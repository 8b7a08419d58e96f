"""Text fidelity on page structures seen on real policy pages (issue 12).

Every page here is written for the test; each reproduces the structure of a real
failure: a site builder naming the policy's wrapper like a navigation bar, a data table
that trafilatura drops, a /legal page holding several documents, hidden modals.
"""
from __future__ import annotations

import pytest

from policywatch.tracker.extract import extract_text
from policywatch.tracker.extract.choose import _lost_table_rows
from policywatch.tracker.extract.parts import privacy_part
from policywatch.tracker.segment import segment_text

SECTIONS = [
    ("Information we collect", "We collect your name, email address and payment details when you create an account."),
    ("How we use information", "We use personal information to provide the service, to secure accounts and to send receipts."),
    ("Sharing", "We do not sell personal information and share it only with processors bound by contract."),
    ("Retention", "We keep account data for as long as the account exists and delete it within thirty days after."),
    ("Kids", "We do not knowingly collect personal information from children under thirteen years of age."),
    ("Your rights", "You may ask for a copy of your data, its correction or its deletion by writing to privacy@example.com."),
]


def _policy_html(heading_tag: str = "h2") -> str:
    return "".join(f"<{heading_tag}>{title}</{heading_tag}><p>{body} {body} {body}</p>" for title, body in SECTIONS)


def _page(body: str) -> bytes:
    return f"<!doctype html><html><head><title>Privacy Policy</title></head><body>{body}</body></html>".encode()


NAV = '<nav><a href="/">Home</a> <a href="/pricing">Pricing</a> <a href="/blog">Blog</a></nav>'
FOOTER = "<footer><p>Copyright 2025 Example Inc. All rights reserved.</p><a href='/terms'>Terms</a></footer>"


def test_framer_wrapper_named_like_a_nav_bar_keeps_the_policy() -> None:
    """Framer names sections after the layer: the whole policy sits in id="white-nav-bar"."""
    page = _page(
        f'<div id="main">{NAV}'
        '<section data-framer-name="Content" id="white-nav-bar" class="framer-1x2y3z">'
        f'<div class="framer-text"><h1>Privacy Policy</h1>{_policy_html()}</div></section>'
        '<div class="navbar"><a href="/signup">Sign up</a></div>'
        f"{FOOTER}</div>"
    )
    text = extract_text(page, "text/html").text
    for title, body in SECTIONS:
        assert title in text and body in text
    assert "Sign up" not in text and "Pricing" not in text  # real chrome still goes


def test_a_small_element_with_a_chrome_name_still_goes() -> None:
    page = _page(f'<main><h1>Privacy</h1>{_policy_html()}<div id="top-nav-bar"><p>Jump to top of the page now</p></div></main>')
    assert "Jump to top" not in extract_text(page, "text/html").text


@pytest.mark.parametrize(
    "hidden",
    [
        '<div class="modal fade" tabindex="-1"><div class="modal-body"><p>Legal summary: we are nice with your data, trust us.</p></div></div>',
        '<div class="login-error" hidden><p>Legal summary: we are nice with your data, trust us.</p></div>',
        '<div aria-hidden="true"><p>Legal summary: we are nice with your data, trust us.</p></div>',
        '<div style="color: red; display: none"><p>Legal summary: we are nice with your data, trust us.</p></div>',
        '<p style="visibility:hidden">Legal summary: we are nice with your data, trust us.</p>',
    ],
)
def test_hidden_content_is_dropped(hidden: str) -> None:
    page = _page(f"<main><h1>Privacy Policy</h1>{hidden}{_policy_html()}</main>")
    text = extract_text(page, "text/html").text
    assert "Legal summary" not in text
    assert all(body in text for _, body in SECTIONS)


def test_collapsed_accordion_panels_are_policy_text() -> None:
    """Accordion panels are hidden until clicked, but they are the policy."""
    panels = "".join(
        f'<h3><button aria-expanded="false" aria-controls="panel-{n}">{title}</button></h3>'
        f'<div id="panel-{n}" role="region" hidden><p>{body}</p></div>'
        for n, (title, body) in enumerate(SECTIONS)
    )
    until_found = '<div hidden="until-found"><p>Searchable collapsed text about cookies and analytics.</p></div>'
    page = _page(f"<main><h1>Privacy Policy</h1><p>Read each section below.</p>{panels}{until_found}</main>")
    text = extract_text(page, "text/html").text
    assert all(body in text for _, body in SECTIONS)
    assert "Searchable collapsed text" in text


def test_an_open_modal_holding_the_policy_is_kept() -> None:
    page = _page(f'<div class="modal show" role="document"><h1>Privacy Policy</h1>{_policy_html()}</div>')
    text = extract_text(page, "text/html").text
    assert all(body in text for _, body in SECTIONS)


CCPA_TABLE = """<div class="elementor-widget-container"><table>
<thead><tr><th>Category of personal information</th><th>How we use it</th><th>Disclosed to</th></tr></thead>
<tbody>
<tr><td>Identifiers such as name and email</td><td>To provide the service</td><td>Service providers</td></tr>
<tr><td>Internet activity such as browsing history</td><td>Analytics and advertising</td><td>Advertising partners</td></tr>
<tr><td>Precise geolocation data</td><td>Fraud prevention</td><td>Nobody</td></tr>
</tbody></table></div>"""


def test_data_table_survives_when_trafilatura_drops_it() -> None:
    """A page builder wraps the table in a "widget" container, which trafilatura discards
    although the rest of its output is long enough to win a global length comparison."""
    paragraphs = "".join(
        f"<p>Paragraph {n} explains how we handle personal information about you and why we do it.</p>" for n in range(30)
    )
    page = _page(
        f"<main><h1>Privacy Policy</h1>{paragraphs}<h2>California</h2>"
        f"<p>The table below lists what we collect.</p>{CCPA_TABLE}<h2>Contact</h2>{paragraphs}</main>"
    )
    result = extract_text(page, "text/html")
    assert "| Precise geolocation data | Fraud prevention | Nobody |" in result.text
    assert "| Category of personal information | How we use it | Disclosed to |" in result.text
    rows = [c for c in segment_text(result.text) if c.text.startswith("| Internet activity")]
    assert rows and rows[0].heading[-1] == "California"


def test_lost_table_rows_is_judged_per_row() -> None:
    walked = "# P\n\nIntro.\n\n| a | b |\n| --- | --- |\n| Identifiers | Service providers |\n| Geolocation | Nobody |"
    assert _lost_table_rows("# P\n\nIntro.", walked)
    # The same cells laid out differently (one per line) are not lost.
    assert not _lost_table_rows("# P\n\nIntro.\n\na b\n\nIdentifiers\n\nService providers\n\nGeolocation\n\nNobody", walked)
    assert not _lost_table_rows("anything", "# No tables here\n\nText.")


LEGAL_PAGE = (
    "<main><h1>Legal</h1><p>Our legal documents.</p>"
    "<h2>Privacy Policy</h2>"
    + "".join(f"<h3>{title}</h3><p>{body}</p>" for title, body in SECTIONS)
    + "<h2>API Terms of Use</h2><p>" + "You may call the API within the published rate limits and must keep keys secret. " * 4 + "</p>"
    "<h3>Termination</h3><p>" + "We may suspend API access that breaks these terms at any time without notice. " * 3 + "</p>"
    "<h2>DMCA Policy</h2><p>" + "Send copyright notices to our designated agent with the details the law requires. " * 4 + "</p>"
    "</main>"
)


def test_page_of_several_documents_keeps_the_privacy_policy() -> None:
    result = extract_text(_page(LEGAL_PAGE), "text/html")
    assert result.part == "Privacy Policy"
    assert "rate limits" not in result.text and "designated agent" not in result.text
    assert all(body in result.text for _, body in SECTIONS)
    assert result.note == "The page holds several documents; kept the one headed 'Privacy Policy'."


def test_select_css_overrides_the_document_split() -> None:
    result = extract_text(_page(LEGAL_PAGE), "text/html", select_css="main")
    assert result.part is None and "rate limits" in result.text


@pytest.mark.parametrize(
    "text",
    [
        # One policy whose sections merely mention policies and terms.
        "# Privacy Policy\n\n## Cookie Policy\n\n" + "We use cookies. " * 20 + "\n\n## Changes to this Policy\n\n" + "We update it. " * 20,
        # Section titles that are not document titles.
        "## Privacy Policy\n\n" + "Text. " * 40 + "\n\n## Information we collect\n\n" + "Text. " * 40,
        # Two privacy documents: which one is the policy is not clear.
        "## Privacy Policy\n\n" + "Text. " * 40 + "\n\n## Employee Privacy Notice\n\n" + "Text. " * 40,
        # A stub part (a link to the terms) is no document.
        "## Privacy Policy\n\n" + "Text. " * 40 + "\n\n## Terms of Service\n\nSee our terms.",
    ],
)
def test_single_documents_are_not_split(text: str) -> None:
    assert privacy_part(text) == (text, None)
