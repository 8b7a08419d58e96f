"""`policywatch demo`: the offline end-to-end demo, from an installed wheel as from a checkout."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from policywatch.cli.root import cli


@cli.command("demo")
@click.option("--dir", "workdir", default="demo-output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo's database, report and logs (recreated; a non-empty folder the demo did not make is refused).")
def demo_command(workdir: str) -> None:
    """Run the offline demo: fake Wayback Machine and live site on loopback, backfill,
    live check, one signed webhook alert, the HTML report. Needs no network."""
    from policywatch.demo import main

    sys.exit(main(workdir=Path(workdir)))
