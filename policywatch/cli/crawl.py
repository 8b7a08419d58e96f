"""Commands: to be filled in by the owning issue."""
from policywatch.cli.root import cli  # noqa: F401
