"""Build small real PDFs for the tests (no PDF library needed: the format is text).

Each page is a list of ``(font, size, text)`` lines laid top to bottom; fonts are the
standard Helvetica faces every reader knows (``"F1"`` regular, ``"F2"`` bold). A blank
``text`` adds vertical space (a paragraph break).
"""
from __future__ import annotations

Line = tuple[str, float, str]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _content(lines: list[Line]) -> bytes:
    y = 800.0
    ops = []
    for font, size, text in lines:
        if not text:
            y -= 14
            continue
        y -= size * 1.4
        ops.append(f"BT /{font} {size} Tf 56 {y:.1f} Td ({_escape(text)}) Tj ET")
    return "\n".join(ops).encode("latin-1")


def make_pdf(pages: list[list[Line]], title: str | None = None) -> bytes:
    """A valid PDF 1.4 file with one content stream per page."""
    objects: list[bytes] = []
    n_pages = len(pages)
    # 1 catalog, 2 pages, 3 F1, 4 F2, then per page: page object, content stream; then info.
    kids = " ".join(f"{5 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    for i, lines in enumerate(pages):
        stream = _content(lines)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {6 + 2 * i} 0 R "
            "/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info_ref = ""
    if title is not None:
        objects.append(f"<< /Title ({_escape(title)}) /Producer (policywatch tests) >>".encode("latin-1"))
        info_ref = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info_ref} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


BODY = "F1", 10.0
POLICY_PAGES: list[list[Line]] = [
    [
        ("F2", 20.0, "Acme Privacy Policy"),
        ("F1", 10.0, "Last updated: March 3, 2025"),
        ("", 0, ""),
        ("F1", 10.0, "This policy explains how Acme collects, uses and shares personal information"),
        ("F1", 10.0, "when you use our website and apps."),
        ("", 0, ""),
        ("F2", 14.0, "1. Information We Collect"),
        ("F1", 10.0, "We collect your name, email address and payment details when you create an"),
        ("F1", 10.0, "account, and device identifiers when you use the apps."),
        ("", 0, ""),
        ("F2", 10.0, "Cookies"),
        ("F1", 10.0, "We use cookies to keep you signed in and to measure how the site is used."),
        ("", 0, ""),
        ("F1", 10.0, "1"),
    ],
    [
        ("F2", 14.0, "2. How We Share Information"),
        ("F1", 10.0, "We do not sell personal information. We share it with processors that host"),
        ("F1", 10.0, "our services, under contracts that limit their use of it."),
        ("", 0, ""),
        ("F2", 14.0, "3. Children"),
        ("F1", 10.0, "We do not knowingly collect personal information from children under 13."),
        ("", 0, ""),
        ("F1", 10.0, "2"),
    ],
]
