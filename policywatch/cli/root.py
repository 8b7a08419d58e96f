"""The root click group and the helpers every command shares.

Commands only parse arguments and call library functions; library errors
(``PolicywatchError``) become exit code 2 with a one-line message, no traceback.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from policywatch import __version__
from policywatch.errors import PolicywatchError


# Which module defines each command: a command's module is imported only when that
# command runs (or when --help lists them all), so `policywatch compare` does not pay
# for the crawler, alert and scheduler commands' imports.
COMMAND_MODULES: dict[str, str] = {
    "init": "store", "add": "store", "list": "store", "import": "store", "reprocess": "store",
    "segment": "documents", "compare": "documents",
    "changes": "history", "diff": "history", "report": "history",
    "crawl": "crawl", "discover": "crawl",
    "alerts": "alerts", "run": "run", "schedule": "schedule",
    "demo": "demo",
    "export": "archive",
    "enqueue": "distributed", "worker": "distributed", "writer": "distributed", "workers": "distributed",
}


class PolicywatchGroup(click.Group):
    """The root group: loads command modules on demand; PolicywatchError becomes exit code 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"policywatch.cli.{COMMAND_MODULES[cmd_name]}")
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PolicywatchError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except Exception as exc:
            if not _is_sqlite_error(exc):
                raise
            # Disk full, a corrupt page, a read-only file...: the transaction was rolled back.
            click.echo(f"Error: {database_error_message(ctx, exc)}", err=True)
            sys.exit(2)


@click.group(cls=PolicywatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policywatch")
@click.option(
    "--db",
    "db_path",
    envvar="POLICYWATCH_DB",
    default="policywatch.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite database file (env POLICYWATCH_DB).",
)
@click.option(
    "--config",
    "config_path",
    envvar="POLICYWATCH_CONFIG",
    default=None,
    type=click.Path(dir_okay=False),
    help="Config file with alert channels (env POLICYWATCH_CONFIG, else ./policywatch.toml if present).",
)
@click.pass_context
def cli(ctx: click.Context, db_path: str, config_path: str | None) -> None:
    """policywatch: track privacy policies, their versions and their material changes.

    \b
    Typical session:
      policywatch init
      policywatch add https://example.org/privacy --name example
      policywatch crawl --archive --live
      policywatch changes --material
      policywatch report --out report/
    """
    ctx.ensure_object(dict)
    ctx.obj["db_path"] = db_path
    ctx.obj["config_path"] = config_path


def open_db(ctx: click.Context, *, create: bool = False, readonly: bool = False, migrate: bool = False):
    """Open the database named by --db (lazily: commands that need none stay fast).

    ``readonly`` commands (list, changes, diff, report, alerts list) open it with
    ``mode=ro``: they work on a read-only file and can never write to it.
    """
    from policywatch.db.connection import open_database

    return open_database(ctx.obj["db_path"], create=create, readonly=readonly, migrate=migrate)


def _is_sqlite_error(exc: BaseException) -> bool:
    """Whether ``exc`` is an ``sqlite3.Error``, without importing sqlite3.

    Only a command that opened a database can raise one, and it imported sqlite3 to do so;
    ``compare`` and ``segment`` never do, and do not pay for the import.
    """
    sqlite3 = sys.modules.get("sqlite3")
    return sqlite3 is not None and isinstance(exc, sqlite3.Error)


def database_error_message(ctx: click.Context, exc: Exception) -> str:
    """One line for an sqlite3 error escaping a command (nothing half-written: it rolled back)."""
    db_path = (ctx.obj or {}).get("db_path", "the database")
    text = str(exc) or type(exc).__name__
    hint = ""
    lowered = text.lower()
    if "full" in lowered:
        hint = "; free some space and run the command again"
    elif "malformed" in lowered or "not a database" in lowered:
        hint = "; restore it from a backup (`sqlite3 DB .recover` may salvage rows)"
    elif "readonly" in lowered or "read-only" in lowered:
        hint = "; this command needs write access to the file and its folder"
    return f"database {db_path}: {text}{hint}"


def configure_logging() -> None:
    """INFO logs on stderr for the unattended commands (run, schedule run), APScheduler's quieter."""
    import logging

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
