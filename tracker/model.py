"""Plain records passed between the tracker's stages.

They are dataclasses (not ORM rows) so every stage can be driven from files and
tested without a database, and so captures stay JSON-serialisable for the
crawler -> tracker hand-off (docs/DESIGN.md "Ready to scale out").
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

CATEGORIES: tuple[str, ...] = (
    "collection",
    "sharing",
    "sale",
    "purpose",
    "tracking",
    "retention",
    "user_rights",
    "children",
    "international_transfer",
    "security",
    "policy_change",
    "contact",
)
SEVERITIES: tuple[str, ...] = ("none", "low", "medium", "high")
ClauseKind = Literal["heading", "paragraph", "list_item"]
ChangeKind = Literal["added", "removed", "modified", "moved"]
Direction = Literal["expands", "weakens", "strengthens", "narrows", "neutral", "cosmetic"]
Severity = Literal["none", "low", "medium", "high"]

# Outcomes of a capture (docs/DESIGN.md storage principles). Only "ok" can create a version.
CAPTURE_OUTCOMES: tuple[str, ...] = (
    "ok",
    "not_modified",
    "http_error",
    "network_error",
    "soft_404",
    "not_a_policy",
    "extraction_failure",
    "truncated",
    "too_large",
    "unsupported_type",
    "blocked",
    # archive backfill (issue 10)
    "redirect",  # an archived 3xx: final_url is where it pointed
    "archived_error",  # a 4xx/5xx the archive recorded as the page's content (final)
    "archive_error",  # the archive's own error page instead of a memento (transient)
    "digest_mismatch",  # the body served for a row is not the row's digest (no body stored)
    "blocked_by_archive",  # the archive refuses the site (CDX 403): permanent, not asked again
)


def severity_rank(severity: str) -> int:
    """Order severities so filters like ``min_severity`` can compare them."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Clause:
    """One unit of policy text: a heading, a paragraph or a list item."""

    ordinal: int
    kind: ClauseKind
    text: str
    heading: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # True when this clause continues the previous clause's last line: an over-long
    # line split at a sentence boundary (tracker.segment); rejoin with one space.
    continues: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "ordinal": self.ordinal,
            "kind": self.kind,
            "heading": list(self.heading),
            "text": self.text,
            "categories": list(self.categories),
        }


@dataclass(frozen=True)
class Assessment:
    """What a changed clause means: categories, direction, severity and why."""

    categories: tuple[str, ...] = ()
    direction: Direction = "neutral"
    severity: Severity = "none"
    material: bool = False
    reason: str = ""
    quote: str = ""  # the exact words the reason rests on, in their sentence


@dataclass(frozen=True)
class Finding:
    """One ranked material finding of a change (docs/DESIGN.md "compare --format json").

    ``change`` indexes the change's clause changes; ``count`` says how many
    near-identical findings were merged into this one.
    """

    change: int
    category: str
    direction: str
    severity: str
    quote: str
    reason: str
    count: int = 1
    section: tuple[str, ...] = ()  # the heading path of the clause: where a reader finds it

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "section": list(self.section)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Finding":
        return cls(**{k: data[k] for k in ("change", "category", "direction", "severity", "quote", "reason")},
                   count=int(data.get("count", 1)), section=tuple(data.get("section") or ()))

    @property
    def where(self) -> str:
        """Where to read it: the deepest section and its parent ("Sharing > Advertising partners");
        the top level of a two-level path is usually the document's title, so it is left out."""
        return " > ".join(self.section[-2:] if len(self.section) > 2 else self.section[-1:])


@dataclass(frozen=True)
class ClauseChange:
    """One aligned difference between two versions.

    ``old_ordinal``/``new_ordinal`` locate the clause in each version so that the
    new text can be rebuilt from the old one plus the changes (round trip).
    """

    kind: ChangeKind
    old_ordinal: int | None
    new_ordinal: int | None
    old_text: str | None
    new_text: str | None
    heading: tuple[str, ...] = ()
    cosmetic: bool = False
    assessment: Assessment = field(default_factory=Assessment)

    def to_json(self) -> dict[str, Any]:
        a = self.assessment
        return {
            "kind": self.kind,
            "old_text": self.old_text,
            "new_text": self.new_text,
            "heading": list(self.heading),
            "categories": list(a.categories),
            "severity": a.severity,
            "material": a.material,
            "reason": a.reason,
            "direction": a.direction,
            "cosmetic": self.cosmetic,
            "old_ordinal": self.old_ordinal,
            "new_ordinal": self.new_ordinal,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ClauseChange":
        """The inverse of ``to_json`` (also reads ``db.changes.clause_change_rows``)."""
        assessment = Assessment(
            categories=tuple(data.get("categories") or ()), direction=data.get("direction") or "neutral",
            severity=data.get("severity") or "none", material=bool(data.get("material")), reason=data.get("reason") or "",
        )
        return cls(
            kind=data["kind"], old_ordinal=data.get("old_ordinal"), new_ordinal=data.get("new_ordinal"),
            old_text=data.get("old_text"), new_text=data.get("new_text"), heading=tuple(data.get("heading") or ()),
            cosmetic=bool(data.get("cosmetic")), assessment=assessment,
        )


@dataclass
class Capture:
    """A raw fetch handed from a spider (or an import) to the tracker.

    Plain and JSON-serialisable (``to_json``/``from_json``) so a queue can carry it.
    ``outcome`` is set by the fetcher for failures it already knows (HTTP errors,
    oversize bodies); the tracker may downgrade ``ok`` after looking at the text.
    """

    policy: str | int
    source: Literal["live", "wayback", "import", "warc"]
    url: str
    capture_time: str  # ISO 8601 UTC, e.g. 2024-01-31T12:00:00Z
    body: bytes | None = field(default=None, repr=False)  # never in log lines (size: len(body))
    http_status: int | None = None
    content_type: str | None = None
    outcome: str = "ok"
    detail: str | None = None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    wayback_digest: str | None = None
    # As the origin server sent them (an archive capture: as the archive reports them), for WARC export.
    http_status_line: str | None = None  # e.g. "HTTP/1.1 200 OK"
    http_headers: list[tuple[str, str]] | None = None

    def to_json(self) -> dict[str, Any]:
        import base64  # here, not at the top: only captures sent as JSON need it

        data = asdict(self)
        data["body"] = base64.b64encode(self.body).decode("ascii") if self.body is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Capture":
        data = dict(data)
        if data.get("body") is not None:
            import base64

            data["body"] = base64.b64decode(data["body"])
        if data.get("http_headers") is not None:
            data["http_headers"] = [tuple(pair) for pair in data["http_headers"]]
        return cls(**data)


@dataclass(frozen=True)
class Verdict:
    """The whole-document judgement of a change between two versions."""

    cosmetic_only: bool
    material: bool
    severity: str
    categories: tuple[str, ...]
    summary: str
    reason: str = ""
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class DocumentDiff:
    """Result of comparing two documents: the clause changes and the verdict."""

    old_clauses: tuple[Clause, ...]
    new_clauses: tuple[Clause, ...]
    changes: tuple[ClauseChange, ...]
    verdict: Verdict

    def to_json(self) -> dict[str, Any]:
        return {
            "cosmetic_only": self.verdict.cosmetic_only,
            "material": self.verdict.material,
            "severity": self.verdict.severity,
            "categories": list(self.verdict.categories),
            "summary": self.verdict.summary,
            "findings": [f.to_json() for f in self.verdict.findings],
            "changes": [c.to_json() for c in self.changes],
        }
