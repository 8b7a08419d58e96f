"""``make demo``: policywatch end to end, offline, on a real policy history, in about half a minute.

The demo runs the same commands a user runs (``policywatch init``, ``add``,
``crawl --archive``, ``crawl --live``, ``alerts send``, ``report``), each as a
subprocess, against three servers on 127.0.0.1 that stand in for the outside
world: a Wayback Machine serving the bundled SourceHut history (8 real captures,
see ``policywatch/demo_data/SOURCE.md``), the "live" site serving the latest
real text plus one clearly labelled illustrative edit (a new sale clause, so
there is a material change to find), and a webhook receiver playing the
user's alert endpoint. Every step checks its outcome and the demo exits 1
with a plain message at the first one that fails.

The steps are methods of :class:`Demo` so ``tests/test_demo.py`` runs exactly
this pipeline in a temporary folder; ``narrative.py`` shows them to a person.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policywatch.testing import live_site, wayback
from policywatch.testing.webhook_receiver import ReceivedPost, WebhookReceiver

DEMO_DATA = Path(__file__).resolve().parent.parent / "demo_data"
HISTORY = DEMO_DATA / "sourcehut"
WORKDIR = Path("demo-output")
MARKER = ".policywatch-demo"
POLICY_NAME = "sourcehut"
LIVE_PATH = "/privacy"
SECRET_ENV = "POLICYWATCH_WEBHOOK_SECRET"
STEP_TIMEOUT = 120  # seconds; a hung step fails the demo instead of hanging it

# Not SourceHut's text: added to the "live" page so the demo has a material change to catch.
DEMO_EDIT = (
    "We may sell or share your personal information with third-party advertising partners "
    "and data brokers for marketing purposes."
)
# The section the edit goes into (the paragraph lands right after this heading).
EDIT_AFTER_HEADING = "How we share your information with third-parties"


class DemoError(Exception):
    """A step did not do what it should; the message says which and what to look at."""


# --- the live page -------------------------------------------------------------------


def history_files() -> list[Path]:
    """The bundled captures, oldest first (their names are UTC capture times)."""
    files = sorted(HISTORY.glob("*.md"))
    if not files:
        raise DemoError(f"No bundled history found in {HISTORY}; is the package installed completely?")
    return files


def live_text(latest: str) -> str:
    """The latest real text with the illustrative sale paragraph inserted in its sharing section."""
    lines = latest.splitlines()
    for number, line in enumerate(lines):
        if line.lstrip("#").strip().rstrip(":") == EDIT_AFTER_HEADING:
            return "\n".join([*lines[: number + 1], "", DEMO_EDIT, *lines[number + 1 :]]) + "\n"
    return latest.rstrip("\n") + "\n\n" + DEMO_EDIT + "\n"


# --- the fake archive and live site ----------------------------------------------------------


@contextmanager
def fake_world(live_body: str) -> Iterator[tuple[str, str]]:
    """Start the fake live site and Wayback Machine; yield (wayback base URL, live policy URL).

    The archive's captures are recorded under the live page's own address, as the real
    Wayback Machine would have them, and both serve the Markdown wrapped the same way in HTML,
    so the only difference between the last archived capture and the live page is the demo edit.
    """
    with ExitStack() as stack:
        site = stack.enter_context(live_site.FakeSiteServer())
        live_url = site.url + LIVE_PATH
        site.site.set(LIVE_PATH, wayback.markdown_page(live_body))
        archive = stack.enter_context(wayback.FakeWaybackServer())
        archive.archive.load_folder(HISTORY, live_url)
        yield archive.url, live_url


# --- running the CLI ------------------------------------------------------------------------


@dataclass
class StepResult:
    """What a step shows the reader: the command run, its output, and what it means."""

    command: str = ""
    output: str = ""
    notes: list[str] = field(default_factory=list)
    panel: tuple[str, list[str]] | None = None  # (title, lines) shown boxed, e.g. what the webhook received


@dataclass
class Demo:
    """The demo's state and its steps, in order (see :data:`STEPS`)."""

    workdir: Path
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    wayback_url: str = ""
    live_url: str = ""
    receiver: WebhookReceiver | None = None
    report_index: Path | None = None

    @property
    def db_path(self) -> Path:
        return self.workdir / "policywatch.db"

    @property
    def config_path(self) -> Path:
        return self.workdir / "policywatch.toml"

    def environment(self) -> dict[str, str]:
        """The environment of every command: loopback allowed, archive pointed at the fake, secret set."""
        env = {k: v for k, v in os.environ.items() if k not in ("POLICYWATCH_DB", "POLICYWATCH_CONFIG")}
        env.update(
            POLICYWATCH_WAYBACK_URL=self.wayback_url,
            POLICYWATCH_ALLOW_PRIVATE="1",  # the fakes live on 127.0.0.1, which the crawler refuses by default
            POLICYWATCH_LOG_LEVEL="WARNING",
            # Politeness delays protect real servers; the fakes are ours and local.
            POLICYWATCH_AUTOTHROTTLE="0",
            POLICYWATCH_DOWNLOAD_DELAY="0",
            POLICYWATCH_CDX_PER_MINUTE="600",
            POLICYWATCH_CAPTURES_PER_SECOND="50",
            PYTHONUNBUFFERED="1",
        )
        env[SECRET_ENV] = self.secret
        return env

    def run(self, *args: str) -> StepResult:
        """Run ``policywatch --db ... --config ... ARGS`` as a user would; DemoError on failure."""
        argv = [sys.executable, "-m", "policywatch", "--db", str(self.db_path), "--config", str(self.config_path), *args]
        shown = "policywatch " + " ".join(args)
        try:
            done = subprocess.run(argv, env=self.environment(), capture_output=True, text=True, timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise DemoError(f"`{shown}` did not finish within {STEP_TIMEOUT} s.") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-15:]
            raise DemoError(f"`{shown}` failed (exit {done.returncode}):\n" + "\n".join(detail))
        return StepResult(command=shown, output=done.stdout.strip())

    def alert_count(self) -> int:
        """Alerts in the outbox, whatever their status (read straight from the database)."""
        from policywatch.db.alerts import count_by_status
        from policywatch.db.connection import open_database

        db = open_database(self.db_path)
        try:
            return sum(count_by_status(db).values())
        finally:
            db.close()

    def version_count(self) -> int:
        from policywatch.db.connection import open_database
        from policywatch.db.policies import list_policies

        db = open_database(self.db_path)
        try:
            return sum(int(p["versions"]) for p in list_policies(db))
        finally:
            db.close()

    def changes(self, *extra: str) -> list[dict[str, Any]]:
        """``policywatch changes --format json`` (what a script would read)."""
        return json.loads(self.run("changes", "--format", "json", *extra).output)["changes"]

    # --- steps ---

    def prepare(self) -> StepResult:
        prepare_workdir(self.workdir)
        write_config(self.config_path, self.receiver.url if self.receiver else "http://127.0.0.1:9/none")
        notes = [
            f"Work folder {self.workdir}/ (recreated on every run).",
            f"Config {self.config_path}: one webhook channel to {self.receiver.url if self.receiver else '?'}.",
            f"The webhook's signing secret is read from ${SECRET_ENV} at send time, never written in the file.",
        ]
        return StepResult(notes=notes)

    def init(self) -> StepResult:
        return self.run("init")

    def add(self) -> StepResult:
        return self.run("add", self.live_url, "--name", POLICY_NAME)

    def backfill(self) -> StepResult:
        result = self.run("crawl", "--archive")
        found = self.changes()
        if not found:
            raise DemoError("The archive backfill recorded no changes; the fake Wayback server served nothing usable.")
        if self.alert_count():
            raise DemoError("The first archive backfill queued alerts; it should record history quietly.")
        material = [c for c in found if c["material"]]
        result.notes = [
            f"{self.version_count()} versions and {len(found)} changes between them recovered from the archive "
            f"({len(material)} material in SourceHut's real history).",
            "A first backfill fills in history quietly: it records changes but raises no alerts.",
        ]
        return result

    def live_check(self) -> StepResult:
        before = {c["change_id"] for c in self.changes("--material")}
        result = self.run("crawl", "--live")
        new = [c for c in self.changes("--material") if c["change_id"] not in before]
        sale = [c for c in new if "sale" in c["categories"]]
        if not sale:
            raise DemoError(
                "The live check did not record the illustrative sale clause as a material change.\n"
                f"New material changes: {json.dumps(new, indent=1)}"
            )
        change = sale[-1]
        if self.alert_count() != 1:
            raise DemoError(f"The live check queued {self.alert_count()} alerts; expected one for the webhook channel.")
        result.notes = [
            f"MATERIAL change detected (the illustrative edit): severity {change['severity']}, "
            f"categories {', '.join(change['categories'])}.",
            f"Summary: {change['summary']}",
            "It is the policy's newest version, so one alert was queued in the outbox for the webhook channel.",
        ]
        return result

    def send_alerts(self) -> StepResult:
        result = self.run("alerts", "send")
        posts = self.receiver.received if self.receiver else []
        if len(posts) != 1:
            raise DemoError(f"The webhook receiver got {len(posts)} requests; expected exactly one alert.")
        post = posts[0]
        if not post.signature_valid:
            raise DemoError("The webhook request's X-Policywatch-Signature did not verify with the demo secret.")
        result.notes = ["Exactly one alert, delivered once; the signature proves it came from this policywatch."]
        result.panel = ("What your webhook endpoint received", describe_post(post))
        return result

    def report(self) -> StepResult:
        out = self.workdir / "report"
        result = self.run("report", "--out", str(out))
        self.report_index = Path(result.output.strip().splitlines()[-1])
        if not self.report_index.exists():
            raise DemoError(f"`policywatch report` printed {self.report_index}, which does not exist.")
        pages = len(list(out.rglob("*.html")))
        result.notes = [f"{pages} pages: an index, a timeline for the policy and one page per change."]
        return result


def describe_post(post: ReceivedPost) -> list[str]:
    """What the receiving end saw, in the terms a webhook integrator cares about."""
    payload = post.payload()
    change = payload.get("change", {})
    policy = payload.get("policy", {})
    return [
        f"POST {post.path}",
        f"Content-Type: {post.headers.get('Content-Type')}",
        f"Idempotency-Key: {post.headers.get('Idempotency-Key')}",
        f"X-Policywatch-Signature: {post.headers.get('X-Policywatch-Signature', '')[:23]}... "
        + ("(valid: HMAC-SHA256 of the body with the secret)" if post.signature_valid else "(INVALID)"),
        "",
        f"policy:     {policy.get('name')}  {policy.get('url')}",
        f"severity:   {change.get('severity')}   material: {str(change.get('material')).lower()}",
        f"categories: {', '.join(change.get('categories', []))}",
        f"summary:    {change.get('summary')}",
        f"clauses:    {len(change.get('clause_changes') or [])} changed clause(s) with old/new text and reasons",
    ]


def prepare_workdir(path: Path) -> None:
    """Recreate the work folder, refusing to wipe a non-empty folder the demo did not make."""
    if path.exists():
        if any(path.iterdir()) and not (path / MARKER).exists():
            raise DemoError(f"{path} exists and was not made by the demo; move it away or choose another folder.")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("Made by `make demo`; deleted and recreated on every run.\n", encoding="utf-8")


def write_config(path: Path, webhook_url: str) -> None:
    path.write_text(
        "# Written by the policywatch demo. Secrets are named, never stored: see secret_env.\n"
        "[[alerts]]\n"
        'kind = "webhook"\n'
        f'url = "{webhook_url}"\n'
        f'secret_env = "{SECRET_ENV}"\n'
        'min_severity = "medium"\n'
        'policies = ["*"]\n'
        "allow_private = true                   # the demo's receiver is on 127.0.0.1\n",
        encoding="utf-8",
    )


# (title, why it matters, method)
STEPS: list[tuple[str, str, Callable[[Demo], StepResult]]] = [
    ("Prepare", "A fresh work folder and a config with a webhook alert channel.", Demo.prepare),
    ("Create the database", "SQLite, with full-text search over clauses and ready-made views.", Demo.init),
    ("Track the policy", "The policy's address on the (fake) live site.", Demo.add),
    ("Backfill its history", "Every archived capture of that address, from the (fake) Wayback Machine.", Demo.backfill),
    ("Check the live page", "Today's text, with the illustrative sale clause.", Demo.live_check),
    ("Deliver alerts", "The outbox sends the queued alert to the webhook, signed.", Demo.send_alerts),
    ("Write the HTML report", "Timeline and word-level redlines, readable offline.", Demo.report),
]


@contextmanager
def running(workdir: Path) -> Iterator[Demo]:
    """A Demo with its three loopback servers up for the duration."""
    latest = history_files()[-1].read_text(encoding="utf-8")
    demo = Demo(workdir)
    with ExitStack() as stack:
        demo.wayback_url, demo.live_url = stack.enter_context(fake_world(live_text(latest)))
        demo.receiver = stack.enter_context(WebhookReceiver(demo.secret))
        yield demo


def run_pipeline(workdir: Path, on_step: Callable[[int, str, str], Any] | None = None,
                 on_done: Callable[[int, StepResult, float], Any] | None = None) -> Demo:
    """Run every step in order (the test's entry point); raises DemoError at the first failure."""
    with running(workdir) as demo:
        for number, (title, why, step) in enumerate(STEPS, 1):
            if on_step:
                on_step(number, title, why)
            started = time.monotonic()
            result = step(demo)
            if on_done:
                on_done(number, result, time.monotonic() - started)
    return demo


