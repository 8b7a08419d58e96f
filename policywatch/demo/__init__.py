"""``make demo`` / ``policywatch demo``: policywatch end to end, offline, on a real policy history.

``pipeline`` runs the steps (the same commands a user runs, against loopback
servers standing in for the outside world); ``narrative`` tells them to a person.
"""
from __future__ import annotations

from policywatch.demo.narrative import main, suggested_commands
from policywatch.demo.pipeline import (
    DEMO_EDIT, EDIT_AFTER_HEADING, STEPS, WORKDIR, Demo, DemoError, StepResult, history_files, live_text,
    prepare_workdir, run_pipeline,
)

__all__ = [
    "main", "suggested_commands", "DEMO_EDIT", "EDIT_AFTER_HEADING", "STEPS", "WORKDIR", "Demo", "DemoError",
    "StepResult", "history_files", "live_text", "prepare_workdir", "run_pipeline",
]
