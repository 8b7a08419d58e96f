"""A policy's history as a small picture: inline SVG, no script, no CDN.

Time runs left to right; each version is a dot (red and larger when the change
that produced it is material) linking to its entry on the page; every fetch
attempt is a tick below the line (red when it failed); years are labelled.
Hovering a mark shows its ``<title>``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape

__all__ = ["TimelineVersion", "timeline_svg"]

_W, _H, _LEFT, _RIGHT, _AXIS = 900, 96, 20, 880, 46


@dataclass(frozen=True)
class TimelineVersion:
    id: int
    number: int
    capture_time: str
    material: bool = False
    label: str = ""


def _seconds(iso: str) -> float:
    text = iso.replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = datetime.fromisoformat(text[:10])
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def timeline_svg(versions: Sequence[TimelineVersion], captures: Sequence[tuple[str, str]] = ()) -> str:
    """The SVG element (empty string when there is nothing to draw)."""
    times = [_seconds(v.capture_time) for v in versions] + [_seconds(t) for t, _ in captures]
    if not times:
        return ""
    start, end = min(times), max(times)
    if end - start < 86400:
        start, end = start - 86400 * 15, end + 86400 * 15
    span = end - start

    def x(iso: str) -> float:
        return round(_LEFT + (_seconds(iso) - start) / span * (_RIGHT - _LEFT), 1)

    parts = [
        f'<svg class="timeline" viewBox="0 0 {_W} {_H}" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="Timeline of {len(versions)} versions and {len(captures)} fetch attempts">',
        f'<line x1="{_LEFT}" y1="{_AXIS}" x2="{_RIGHT}" y2="{_AXIS}" stroke="#868e96" stroke-width="1.5"/>',
    ]
    first_year = datetime.fromtimestamp(start, timezone.utc).year
    last_year = datetime.fromtimestamp(end, timezone.utc).year
    step = max(1, (last_year - first_year + 1) // 8)
    for year in range(first_year + 1 if step == 1 else first_year, last_year + 1, step):
        jan = f"{year}-01-01T00:00:00Z"
        if start <= _seconds(jan) <= end:
            pos = x(jan)
            parts.append(f'<line x1="{pos}" y1="{_AXIS - 30}" x2="{pos}" y2="{_AXIS + 22}" stroke="#dee2e6"/>'
                         f'<text x="{pos + 3}" y="{_H - 6}" font-size="12" fill="#495057">{year}</text>')
    for when, outcome in captures:
        colour = "#adb5bd" if outcome in ("ok", "not_modified") else "#e03131"
        parts.append(f'<line x1="{x(when)}" y1="{_AXIS + 8}" x2="{x(when)}" y2="{_AXIS + 16}" stroke="{colour}">'
                     f"<title>{escape(when)}: {escape(outcome)}</title></line>")
    for v in sorted(versions, key=lambda v: v.material):  # material marks drawn last, on top
        fill, radius = ("#c92a2a", 7) if v.material else ("#1c5fb0", 5)
        title = escape(f"v{v.number}, captured {v.capture_time[:10]}" + (f": {v.label}" if v.label else ""))
        parts.append(f'<a href="#v{v.id}"><circle cx="{x(v.capture_time)}" cy="{_AXIS}" r="{radius}" fill="{fill}" '
                     f'stroke="#fff" stroke-width="1.5"><title>{title}</title></circle></a>')
    parts.append(
        f'<g font-size="12" fill="#495057"><circle cx="{_LEFT + 6}" cy="12" r="5" fill="#1c5fb0"/>'
        f'<text x="{_LEFT + 16}" y="16">version</text>'
        f'<circle cx="{_LEFT + 86}" cy="12" r="7" fill="#c92a2a"/><text x="{_LEFT + 98}" y="16">material change</text>'
        f'<line x1="{_LEFT + 222}" y1="7" x2="{_LEFT + 222}" y2="17" stroke="#adb5bd" stroke-width="2"/>'
        f'<text x="{_LEFT + 230}" y="16">fetch attempt (red: failed)</text></g>'
    )
    parts.append("</svg>")
    return "".join(parts)
