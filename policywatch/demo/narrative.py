"""The demo told to a person: an introduction, each step's command and meaning, what to try next."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from policywatch.demo.pipeline import (
    DEMO_EDIT, POLICY_NAME, STEPS, WORKDIR, Demo, DemoError, StepResult, history_files, run_pipeline,
)


def _intro(console: Console) -> None:
    console.print(Panel.fit(
        "[bold]policywatch demo[/bold]: track a real privacy policy, catch a material change, alert, report.\n"
        "Offline: three small servers on 127.0.0.1 stand in for the outside world.\n"
        "  - a [bold]Wayback Machine[/bold] serving SourceHut's real privacy policy history "
        f"({len(history_files())} captures, 2022-2025, via Open Terms Archive)\n"
        "  - the [bold]live site[/bold], serving the latest real text plus one illustrative edit\n"
        "  - a [bold]webhook receiver[/bold], playing your alert endpoint",
        border_style="blue",
    ))
    console.print(Panel(
        escape(DEMO_EDIT),
        title="[bold yellow]Illustrative demo edit: NOT SourceHut's real text[/bold yellow]",
        subtitle="added to the live page's sharing section",
        border_style="yellow",
    ))


def suggested_commands(demo: Demo) -> list[tuple[str, list[tuple[str, str]]]]:
    """Commands to try next, grouped under a heading: (command line, what it shows).

    Paths are shown as the user can paste them; the test runs them so the advice keeps working.
    """
    bin_dir = Path(sys.executable).parent
    su = _shown_path(bin_dir / "sqlite-utils") if (bin_dir / "sqlite-utils").exists() else "sqlite-utils"
    pw = _shown_path(bin_dir / "policywatch") if (bin_dir / "policywatch").exists() else "policywatch"
    db = _shown_path(demo.db_path)
    return [
        ("Ask the database with sqlite-utils (installed with policywatch):", [
            (f"{su} tables {db} --counts -t", "what is stored"),
            (f'{su} query {db} "select policy, to_time, severity, summary from material_changes" -t',
             "the material changes"),
            (f"{su} search {db} clause_texts sell -c text -t", "full-text search over every clause ever seen"),
        ]),
        ("Or with policywatch itself:", [
            (f"{pw} --db {db} changes --material", "material changes, one per line"),
            (f"{pw} --db {db} diff {POLICY_NAME}", "the latest change as a terminal redline"),
        ]),
        ("Browse every table in Datasette (not bundled):", [
            (f"pip install datasette && datasette {db}", ""),
        ]),
    ]


def _summary(console: Console, demo: Demo, elapsed: float) -> None:
    """What to open and what to try next, as commands that can be copied as they are."""
    console.rule(f"[bold green]Demo complete in {elapsed:.0f} s")
    if demo.report_index:
        index = demo.report_index.resolve()
        console.print(f"\n[bold]Open the report in a browser:[/bold] {escape(str(index))}", soft_wrap=True)
        console.print("  Start with the highlighted (red) change: the redline shows the added sale clause and why it is material.")
    for heading, rows in suggested_commands(demo):
        console.print(f"\n[bold]{escape(heading)}[/bold]")
        for command, why in rows:
            console.print(f"  {escape(command)}" + (f"   [dim]# {why}[/dim]" if why else ""), soft_wrap=True)


def _shown_path(path: Path) -> str:
    """A path relative to the current folder when it is inside it (shorter to copy)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None, workdir: Path | None = None) -> int:
    """``policywatch demo`` / ``python -m policywatch.demo``: the demo with a narrative; 1 on failure."""
    workdir = WORKDIR if workdir is None else workdir  # read at call time (tests point it elsewhere)
    console = Console(highlight=False)
    started = time.monotonic()
    _intro(console)
    status = console.status("")

    def on_step(number: int, title: str, why: str) -> None:
        console.print(f"\n[bold blue]Step {number}/{len(STEPS)}[/bold blue] [bold]{title}[/bold]: {why}")
        status.update(f"Step {number}/{len(STEPS)}: {title}...")
        status.start()

    def on_done(number: int, result: StepResult, seconds: float) -> None:
        status.stop()
        if result.command:
            console.print(f"  [green]$[/green] {escape(result.command)}   [dim]({seconds:.1f} s)[/dim]", soft_wrap=True)
        for line in result.output.splitlines()[:12]:
            console.print(f"    [dim]{escape(line)}[/dim]", soft_wrap=True)
        if result.notes:
            notes = Table.grid(padding=(0, 1))
            notes.add_column(width=4, justify="right")
            notes.add_column()
            for note in result.notes:
                notes.add_row("[cyan]->[/cyan]", escape(note))
            console.print(notes)
        if result.panel:
            title, lines = result.panel
            console.print(Panel("\n".join(escape(line) for line in lines), title=title, border_style="green",
                                expand=False))

    try:
        demo = run_pipeline(WORKDIR if workdir is None else workdir, on_step, on_done)
    except DemoError as exc:
        status.stop()
        console.print(f"\n[bold red]Demo failed:[/bold red] {escape(str(exc))}")
        return 1
    except KeyboardInterrupt:
        status.stop()
        console.print("\n[yellow]Interrupted.[/yellow]")
        return 130
    _summary(console, demo, time.monotonic() - started)
    return 0
