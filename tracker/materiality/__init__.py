"""Change -> direction, severity, material flag and a reason a person can check.

docs/DESIGN.md "Materiality": a change is material (severity high/medium) when it
widens a practice (collection, sharing, sale, purposes, tracking, international
transfers), weakens a protection (a negation dropped, a right removed, retention
lengthened, an age limit lowered, security weakened) or changes who controls the
data. Narrowing and new protections are substantive but low; cosmetic edits and
pure moves are ``none``.

Modules, in the order a change goes through them:

* ``signals``: shared constants, the ``Finding`` record and signal helpers;
* ``quotes``: the sentence around a trigger, short quotable forms;
* ``worddiff``: what a modified clause actually changed, word by word;
* ``clause`` and ``modified``: the per-clause rules (``assess_change``);
* ``guards``: document-level guards (extraction failures, truncation, copies,
  text that moved, new controllers);
* ``restated``: is a removed protection restated (or an added practice reworded) elsewhere;
* ``verdict``: the document verdict and its summary (``judge_changes``, ``judge_document``);
* ``findings``: ranked, merged material findings (``rank_findings``, and
  ``change_findings`` for a recorded change: the call the report uses).
"""
from __future__ import annotations

from policywatch.tracker.materiality.clause import assess_change
from policywatch.tracker.materiality.findings import change_findings, rank_findings
from policywatch.tracker.materiality.verdict import assess_in_context, judge_changes, judge_document
from policywatch.tracker.model import Finding

__all__ = [
    "assess_change", "assess_in_context", "judge_changes", "judge_document",
    "rank_findings", "change_findings", "Finding",
]
