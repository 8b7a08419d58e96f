"""Commands: ``alerts send`` and ``alerts list`` (``run`` and ``schedule run`` are in
``cli/run.py`` and ``cli/schedule.py``).

They parse arguments and call ``tracker.alerts``. ``alerts send`` exits
``EXIT_DELIVERY_FAILED`` (75: "not done, a later send retries") when any
delivery failed or was held in that pass.
"""
from __future__ import annotations

import json
import sys

import click

from policywatch.cli.root import cli, open_db

EXIT_DELIVERY_FAILED = 75


@cli.group()
def alerts() -> None:
    """The alert outbox: deliver due alerts, show what is queued or sent."""


@alerts.command("send")
@click.option("--digest", is_flag=True, help='Send daily digests (channels with digest = "daily") instead.')
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Send at most this many alerts.")
@click.pass_context
def alerts_send(ctx: click.Context, digest: bool, limit: int | None) -> None:
    """Deliver due alerts (after a health check); prints "sent N, failed M, pending K".

    Failed deliveries are retried by later runs with exponential backoff; each
    attempt is recorded (see `policywatch alerts list`). Alerts of a channel
    whose secret variable is unset or empty are held (no attempt counted).
    Exits 75 when any delivery failed or was held in this pass, 0 otherwise.
    """
    from policywatch.tracker.alerts.delivery import send_pending
    from policywatch.tracker.alerts.digest import send_digests
    from policywatch.tracker.alerts.health import check_health
    from policywatch.tracker.config import load_config

    config = load_config(ctx.obj["config_path"])
    db = open_db(ctx)
    if digest:
        summary = send_digests(db, config)
    else:
        check_health(db, config)
        summary = send_pending(db, config, limit=limit)
    for error in summary.errors:
        click.echo(f"warning: {error}", err=True)
    if summary.skipped:
        click.echo(
            f"warning: {summary.skipped} due alert(s) belong to channels not in the current config; kept pending",
            err=True,
        )
    click.echo(summary.line())
    if not summary.ok:
        sys.exit(EXIT_DELIVERY_FAILED)


@alerts.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "failed"]), default=None)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=None)
@click.pass_context
def alerts_list(ctx: click.Context, status: str | None, fmt: str, limit: int | None) -> None:
    """Show the outbox: one line per (change, channel) alert with its delivery state."""
    from policywatch.db.alerts import list_alerts

    rows = list_alerts(open_db(ctx, readonly=True), status=status, limit=limit)
    if fmt == "json":
        click.echo(json.dumps({"alerts": rows}, indent=2))
        return
    if not rows:
        click.echo("No alerts." if status is None else f"No {status} alerts.")
        return
    for row in rows:
        if row["status"] == "sent":
            when = f"sent {row['sent_at']}"
        elif row["status"] == "pending" and (row["last_error"] or "").startswith("held:"):
            when = f"HELD (no attempt counted), next try {row['next_attempt_at']}"
        elif row["status"] == "pending":
            when = f"next try {row['next_attempt_at']}"
        elif row["status"] == "sending":
            when = f"claimed until {row['next_attempt_at']}"
        else:
            when = "gave up"
        what = f"change {row['change_id']} ({row['severity']})" if row["change_id"] else row["kind"]
        line = (
            f"{row['id'][:12]}  {row['status']:<8} {row['policy']:<20} {what:<24} "
            f"{row['channel']}  attempts {row['attempts']}  {when}"
        )
        if row["last_error"] and row["status"] != "sent":
            line += f"  last error: {row['last_error']}"
        click.echo(line)
