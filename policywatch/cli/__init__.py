"""Console entry point: ``policywatch`` (see ``policywatch --help``).

The command modules (store, documents, history, crawl, alerts) add their
commands to the root group when imported; the root group imports each one
only when one of its commands is used (``root.COMMAND_MODULES``), and heavy
libraries are imported inside commands, so that start-up stays fast.
"""
from policywatch.cli.root import cli


def main() -> None:
    cli(prog_name="policywatch")


__all__ = ["cli", "main"]
