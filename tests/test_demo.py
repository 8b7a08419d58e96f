"""`make demo` end to end: archive backfill, live check, one signed alert, the report (loopback only)."""
from __future__ import annotations

from pathlib import Path

import pytest

from policywatch import demo as demo_module
from policywatch.demo import DEMO_EDIT, Demo, DemoError, live_text, prepare_workdir, run_pipeline

pytestmark = [pytest.mark.network, pytest.mark.slow]


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Demo, None]:
    """Run the whole demo pipeline once (the same steps `make demo` runs) in a temporary folder."""
    workdir = tmp_path_factory.mktemp("demo") / "demo-output"
    return run_pipeline(workdir), None


@pytest.mark.timeout(300)  # a hang guard, not a speed limit (`make demo` prints its own duration)
def test_demo_runs_on_loopback(finished):
    demo, _ = finished
    for url in (demo.wayback_url, demo.live_url, demo.receiver.url):
        assert url.startswith("http://127.0.0.1:"), url


def test_live_check_records_the_sale_as_material(finished):
    demo, _ = finished
    material = demo.changes("--material")
    latest = material[-1]
    assert latest["policy"] == "sourcehut" and "sale" in latest["categories"]
    assert latest["severity"] in ("medium", "high")
    history = demo.changes()
    assert len(history) >= 6, "the archive backfill recovered the real history first"


def test_exactly_one_signed_alert_reaches_the_webhook(finished):
    demo, _ = finished
    posts = demo.receiver.received
    assert len(posts) == 1
    post = posts[0]
    assert post.signature_valid
    assert post.headers["Content-Type"] == "application/json" and post.headers["Idempotency-Key"]
    payload = post.payload()
    assert payload["policy"]["name"] == "sourcehut"
    assert "sale" in payload["change"]["categories"] and payload["change"]["material"] is True
    assert any(DEMO_EDIT in (c.get("new_text") or "") for c in payload["change"]["clause_changes"])


def test_the_material_change_is_in_the_report(finished):
    demo, _ = finished
    index = demo.report_index
    assert index is not None and index.exists()
    change_id = demo.changes("--material")[-1]["change_id"]
    assert f'href="changes/{change_id}.html"' in index.read_text(encoding="utf-8")
    page = (index.parent / "changes" / f"{change_id}.html").read_text(encoding="utf-8")
    assert '<div class="summary material">' in page
    assert "<ins>" in page and "data brokers" in page


def test_live_page_is_latest_text_plus_the_labelled_edit():
    latest = demo_module.history_files()[-1].read_text(encoding="utf-8")
    page = live_text(latest)
    assert page.count(DEMO_EDIT) == 1 and DEMO_EDIT not in latest
    before, _, after = page.partition(DEMO_EDIT)
    assert demo_module.EDIT_AFTER_HEADING in before.splitlines()[-2]


def test_workdir_not_made_by_the_demo_is_never_wiped(tmp_path: Path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(DemoError, match="not made by the demo"):
        prepare_workdir(foreign)
    assert (foreign / "notes.txt").exists()


def test_failing_step_exits_1_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    foreign = tmp_path / "demo-output"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    monkeypatch.chdir(tmp_path)  # never the repository's demo-output/, whatever ran before
    assert demo_module.main(workdir=foreign) == 1  # (WORKDIR is main()'s default: patching it does nothing)
    assert "Demo failed" in capsys.readouterr().out
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_suggested_commands_work(finished):
    """The summary's sqlite-utils and policywatch commands run as printed (guards against schema drift)."""
    import shlex
    import subprocess

    demo, _ = finished
    runnable = [cmd for _, rows in demo_module.suggested_commands(demo) for cmd, _ in rows if "&&" not in cmd]
    assert len(runnable) >= 4
    for command in runnable:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{command}: {done.stderr}"
        assert done.stdout.strip(), command
