"""The one exception tree of policywatch.

PolicywatchError            base; the CLI turns it into exit code 2 with its message
├── UsageError              bad arguments or an unknown policy
├── InputError              a file that is missing, unreadable, binary or not text/HTML
├── DatabaseError           a corrupt or non-policywatch database
└── ConfigError             an invalid configuration file or missing secret variable

Library code raises these with a message that says what to do next; it never
prints. Everything else is a bug and may surface as a traceback.
"""


class PolicywatchError(Exception):
    """Base class: an expected failure with a message for a person."""


class UsageError(PolicywatchError):
    """Bad arguments, or a policy name/id that is not tracked."""


class InputError(PolicywatchError):
    """An input document that cannot be read as policy text."""


class DatabaseError(PolicywatchError):
    """The database file is corrupt or was not made by policywatch."""


class ConfigError(PolicywatchError):
    """The configuration file is invalid or names a missing secret."""
