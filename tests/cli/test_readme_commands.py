"""Every command example in README.md's code blocks runs as written, in order, on one database.

The README's placeholder site ``https://example.org/privacy`` stands for a loopback fake site
(policywatch.testing.live_site) with a fake Wayback Machine holding its history, so the crawl
examples run without the internet. ``make demo`` and ``make test`` are run by tests/test_demo.py
and by this suite itself; nothing else is left out.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, DEMO_DATA, ROOT

pytestmark = [pytest.mark.network, pytest.mark.slow]

COVERED_ELSEWHERE = {"make demo": "tests/test_demo.py", "make test": "the suite itself"}
PLACEHOLDER = "https://example.org/privacy"


def readme_commands() -> list[str]:
    """Commands of the ```bash and ```cron blocks, comments dropped, quoted lines joined, cron times cut."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for lang, block in re.findall(r"```(bash|cron)\n(.*?)```", readme, re.S):
        current = ""
        for line in block.splitlines():
            if not current and (line.lstrip().startswith("#") or not line.strip()):
                continue
            current = f"{current} {line.strip()}" if current else line.strip()
            if current.count('"') % 2 == 0:
                if lang == "cron":
                    current = " ".join(current.split()[5:])
                commands.append(_strip_comment(current))
                current = ""
    return commands


def _strip_comment(command: str) -> str:
    """``cmd args   # note`` -> ``cmd args`` (a ``#`` inside quotes stays)."""
    out, quote = [], None
    for i, ch in enumerate(command):
        if ch in "\"'" and quote in (None, ch):
            quote = None if quote else ch
        if ch == "#" and quote is None and (i == 0 or command[i - 1].isspace()):
            break
        out.append(ch)
    return "".join(out).strip()


def test_readme_has_the_examples_this_test_expects():
    commands = readme_commands()
    assert len(commands) >= 20
    assert any(c.startswith(".venv/bin/policywatch diff") for c in commands)
    assert any("NEAR(" in c for c in commands) and not any("sell NEAR personal" in c for c in commands)
    assert not any(c.startswith(("open ", "sqlite-utils ")) for c in commands), "macOS-only or bare commands"


@pytest.fixture
def world():
    from policywatch.testing import live_site, wayback

    with live_site.FakeSiteServer() as site, wayback.FakeWaybackServer() as archive:
        history = sorted(DEMO_DATA.joinpath("sourcehut").glob("*.md"))
        site.site.set("/privacy", wayback.markdown_page(history[-1].read_text(encoding="utf-8")))
        archive.archive.load_folder(DEMO_DATA / "sourcehut", site.url + "/privacy")
        yield archive.url, site.url + "/privacy"


@pytest.mark.timeout(600)
def test_every_readme_command_runs(world, tmp_path: Path, corpus: Path):
    wayback_url, live_url = world
    workdir = tmp_path / "repo"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (tmp_path / "shared").symlink_to(corpus.parent)  # the README's ../shared/corpus
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYWATCH_") and k not in ("NO_COLOR",)}
    env.update(
        POLICYWATCH_WAYBACK_URL=wayback_url, POLICYWATCH_ALLOW_PRIVATE="1", POLICYWATCH_AUTOTHROTTLE="0",
        POLICYWATCH_DOWNLOAD_DELAY="0", POLICYWATCH_CDX_PER_MINUTE="600", POLICYWATCH_CAPTURES_PER_SECOND="50",
        POLICYWATCH_LOG_LEVEL="WARNING",
    )
    ran = []
    outputs: dict[str, str] = {}
    for command in readme_commands():
        if command in COVERED_ELSEWHERE:
            continue
        command = command.replace(PLACEHOLDER, live_url)
        if command.startswith("policywatch "):  # cron lines name the installed command
            command = ".venv/bin/" + command
        result = subprocess.run(["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True,
                                timeout=240)
        assert result.returncode == 0, f"{command}\nstdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr, command
        outputs[command] = result.stdout
        ran.append(command)
    assert len(ran) == len(readme_commands()) - len(COVERED_ELSEWHERE)
    near = next(out for c, out in outputs.items() if "NEAR(" in c)
    assert json.loads(near), "the full-text example finds clauses (FTS5 syntax)"
    assert (workdir / "report" / "index.html").exists() and (workdir / "report" / "feed.xml").exists()
    assert (workdir / "change.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    crawled = next(out for c, out in outputs.items() if c.endswith("changes --material"))
    assert "example" in crawled, "the archive backfill and live check recorded the example's changes"
