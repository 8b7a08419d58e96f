"""Synthetic policy pages for size limits: the same page for the tests and the benchmarks."""
from __future__ import annotations


def big_policy_page(min_bytes: int = 20_000_000) -> tuple[bytes, int]:
    """An HTML policy of at least ``min_bytes``: numbered sections of 30 paragraphs each.

    Returns the body and the number of sections, so a caller can check that the last
    paragraph (``Paragraph {sections - 1}-29:``) survived extraction.
    """
    section = "<h2>Section {i}</h2>" + "".join(
        f"<p>Paragraph {{i}}-{j}: we collect personal information and keep it for {j} months.</p>" for j in range(30)
    )
    chunks, size, sections = [], 0, 0
    while size < min_bytes:
        chunk = section.format(i=sections)
        chunks.append(chunk)
        size += len(chunk)
        sections += 1
    body = "<html><head><title>Big</title></head><body><main>" + "".join(chunks) + "</main></body></html>"
    return body.encode(), sections
