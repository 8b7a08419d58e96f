"""``make demo`` / ``policywatch demo``: policywatch end to end, offline, on a real policy history.

``pipeline`` runs the steps (the same commands a user runs, against loopback
servers standing in for the outside world); ``narrative`` tells them to a person.
"""
from __future__ import annotations

from policywatch.demo.narrative import main, suggested_commands
from policywatch.demo.pipeline import (
    DEMO_DATA, DEMO_EDIT, EDIT_AFTER_HEADING, HISTORY, LIVE_PATH, MARKER, POLICY_NAME, SECRET_ENV, STEP_TIMEOUT,
    STEPS, WORKDIR, Demo, DemoError, StepResult, describe_post, fake_world, history_files, live_text,
    prepare_workdir, run_pipeline, running, write_config,
)
from policywatch.testing.webhook_receiver import ReceivedPost, WebhookReceiver

__all__ = [
    "main", "suggested_commands", "DEMO_DATA", "DEMO_EDIT", "EDIT_AFTER_HEADING", "HISTORY", "LIVE_PATH", "MARKER",
    "POLICY_NAME", "SECRET_ENV", "STEP_TIMEOUT", "STEPS", "WORKDIR", "Demo", "DemoError", "StepResult",
    "describe_post", "fake_world", "history_files", "live_text", "prepare_workdir", "run_pipeline", "running",
    "write_config", "ReceivedPost", "WebhookReceiver",
]
