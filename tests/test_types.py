"""The type checker passes over the package as installed (``make test`` runs it).

The repository's folders are installed as ``policywatch.*`` by a setuptools mapping that mypy
cannot follow, so the check runs over a view made of links that has the installed shape.
"""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAPPED = ("tracker", "db", "crawler", "schedules")

mypy_api = pytest.importorskip("mypy.api", reason="mypy comes with the test extra (`make install`)")


def installed_view(where: Path) -> Path:
    """``where/policywatch`` laid out as the wheel installs it, made of links into the checkout."""
    package = where / "policywatch"
    package.mkdir()
    for entry in (ROOT / "policywatch").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for folder in MAPPED:
        (package / folder).symlink_to(ROOT / folder)
    return package


@pytest.mark.slow
def test_mypy_passes_over_the_installed_layout(tmp_path: Path):
    package = installed_view(tmp_path)
    out, err, status = mypy_api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                     "--cache-dir", str(ROOT / ".mypy_cache"), str(package)])
    assert status == 0, out.replace(str(package) + "/", "policywatch/") + err
