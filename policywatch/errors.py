"""The one exception tree of policywatch.

PolicywatchError            base; the CLI prints its message on one line and exits ``exit_code`` (2)
├── UsageError              bad arguments or an unknown policy
├── InputError              a file that is missing, unreadable, binary or not text/HTML
├── DatabaseError           a corrupt, unwritable, outdated or non-policywatch database
│   └── RecordNotFound      a row asked for by id is gone (also a KeyError, for old callers)
├── ConfigError             an invalid configuration file or missing secret variable
├── RenderError             an alert points at something that no longer exists
├── SinkUnusable            the crawl's capture sink cannot write (the crawl stops)
└── RunInProgress           another pass holds the run lock (exit code 75, EX_TEMPFAIL)

Library code raises these with a message that says what to do next; it never
prints. Everything else is a bug and may surface as a traceback (the CLI also
turns any ``sqlite3.Error`` into a one-line DatabaseError message).
"""
from __future__ import annotations

import os

EXIT_USAGE = 2
EXIT_TEMPFAIL = 75  # sysexits.h EX_TEMPFAIL: "try again later"


class PolicywatchError(Exception):
    """Base class: an expected failure with a message for a person."""

    exit_code = EXIT_USAGE


class UsageError(PolicywatchError):
    """Bad arguments, or a policy name/id that is not tracked."""


class InputError(PolicywatchError):
    """An input document that cannot be read as policy text."""


class DatabaseError(PolicywatchError):
    """The database file is corrupt, unwritable, outdated or was not made by policywatch."""


class RecordNotFound(DatabaseError, KeyError):
    """A row looked up by its key does not exist (any more)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "record not found"


class ConfigError(PolicywatchError):
    """The configuration file is invalid or names a missing secret."""


class RenderError(PolicywatchError):
    """The alert points at something that no longer exists (e.g. a deleted change)."""


class SinkUnusable(PolicywatchError):
    """The capture sink cannot write (disk full, database locked or corrupt): stop the crawl."""


class RunInProgress(PolicywatchError):
    """Another pass holds the run lock of this database."""

    exit_code = EXIT_TEMPFAIL

    def __init__(self, lock_path: str | os.PathLike[str], holder: str = "") -> None:
        super().__init__(
            f"Another policywatch pass is running on this database (lock {lock_path}"
            + (f", held by pid {holder}" if holder else "")
            + "); not starting a second one."
        )
        from pathlib import Path  # here: every process imports this module, few raise this

        self.lock_path = Path(lock_path)
        self.holder = holder
