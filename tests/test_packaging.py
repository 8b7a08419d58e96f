"""The wheel installs one top-level package, ``policywatch``, and works outside the checkout."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"policywatch": "policywatch", "tracker": "policywatch.tracker", "db": "policywatch.db",
           "crawler": "policywatch.crawler", "schedules": "policywatch.schedules"}


def declared_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    return set(config["packages"])


def test_every_source_folder_is_a_declared_package():
    """A sub-package missing from pyproject's list would be absent from the wheel."""
    found = set()
    for folder, name in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join([name, *relative]))
    assert found == declared_packages()


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.mark.slow
@pytest.mark.network
def test_built_wheel_installs_only_policywatch_and_runs_the_demo(tmp_path: Path):
    wheel_dir = tmp_path / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                  "-w", str(wheel_dir), str(ROOT)])
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = wheel_dir.glob("policywatch-*.whl")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    site = next(env_dir.glob("lib/python3.*/site-packages"))
    before = set(os.listdir(site))
    installed = _run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                      str(wheel)])
    assert installed.returncode == 0, installed.stderr[-2000:]
    added = set(os.listdir(site)) - before
    assert {entry for entry in added if not entry.endswith(".dist-info")} == {"policywatch"}, added

    # The dependencies come from the test environment's site-packages as a plain path entry (no
    # .pth processing there, so the checkout's editable install stays invisible).
    deps = next(Path(sys.prefix).glob("lib/python3.*/site-packages"))
    (site / "zz_test_dependencies.pth").write_text(f"{deps}\n", encoding="utf-8")

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "POLICYWATCH_DB", "POLICYWATCH_CONFIG"}}
    where = _run([str(env_dir / "bin" / "python"), "-c", "import policywatch.tracker.model as m; print(m.__file__)"],
                 cwd=outside, env=env)
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip().startswith(str(site)), where.stdout

    helped = _run([str(env_dir / "bin" / "policywatch"), "--help"], cwd=outside, env=env)
    assert helped.returncode == 0 and "demo" in helped.stdout, helped.stderr
    demo = _run([str(env_dir / "bin" / "policywatch"), "demo", "--dir", str(outside / "out")], cwd=outside, env=env)
    assert demo.returncode == 0, (demo.stdout + demo.stderr)[-3000:]
    assert (outside / "out" / "report" / "index.html").exists()
