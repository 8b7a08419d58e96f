"""Imports go one way: cli -> schedules -> crawler -> tracker -> db -> errors.

Everything is installed under the one ``policywatch`` namespace (the repository's top-level
folders are mapped into it), so a layer is the second part of a module name.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER_LAYERS = {"tracker": "tracker", "db": "db", "crawler": "crawler", "schedules": "schedules"}
UPPER = {
    "db": {"tracker", "crawler", "schedules", "cli", "demo", "testing"},
    "tracker": {"crawler", "schedules", "cli", "demo", "testing"},
    "crawler": {"schedules", "cli", "demo", "testing"},
}
NO_SCRAPY = {"db", "tracker"}
OLD_TOP_LEVEL = {"tracker", "db", "crawler", "schedules", "tests"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "policywatch" and len(parts) > 1 else None


def project_sources() -> list[tuple[str, Path]]:
    found = [(layer, path) for folder, layer in FOLDER_LAYERS.items() for path in (ROOT / folder).rglob("*.py")]
    found += [("cli", p) for p in (ROOT / "policywatch").rglob("*.py")]
    return found


def test_layers_import_only_downward():
    offenders = []
    for layer, path in project_sources():
        for module in imported_modules(path):
            target = layer_of(module)
            if target in UPPER.get(layer, set()):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
            if layer in NO_SCRAPY and module.split(".")[0] in {"scrapy", "twisted", "scrapy_redis"}:
                offenders.append(f"{path.relative_to(ROOT)} imports {module} (the tracker never imports Scrapy)")
    assert not offenders, offenders


def test_nothing_imports_the_folders_as_top_level_packages():
    """``import tracker`` would load a second copy of a module beside ``policywatch.tracker``."""
    offenders = []
    for path in [*ROOT.glob("*/**/*.py")]:
        if ".venv" in path.parts or "build" in path.parts:
            continue
        for module in imported_modules(path):
            if module.split(".")[0] in OLD_TOP_LEVEL and not path.is_relative_to(ROOT / "tests"):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offenders, offenders


def test_the_error_tree_imports_nothing_of_the_project():
    """errors.py sits at the bottom: every layer may raise its exceptions."""
    modules = imported_modules(ROOT / "policywatch" / "errors.py")
    assert not [m for m in modules if m.startswith("policywatch")]


def test_the_package_root_loads_nothing_heavy():
    """Importing policywatch.errors from db/ must not drag the CLI in."""
    modules = imported_modules(ROOT / "policywatch" / "__init__.py")
    assert not [m for m in modules if m.startswith("policywatch")]
