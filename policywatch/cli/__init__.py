"""Console entry point: ``policywatch`` (see ``policywatch --help``).

Each module below adds its commands to the root group; heavy libraries are
imported inside commands so that start-up stays fast.
"""
from policywatch.cli.root import cli
from policywatch.cli import store  # noqa: F401  init, add, list, import, reprocess
from policywatch.cli import documents  # noqa: F401  segment, compare
from policywatch.cli import history  # noqa: F401  changes, diff, report
from policywatch.cli import crawl  # noqa: F401  crawl, discover
from policywatch.cli import alerts  # noqa: F401  alerts send/list, run, schedule run


def main() -> None:
    cli(prog_name="policywatch")


__all__ = ["cli", "main"]
