"""A report set is published as a unit, one run at a time, within a time limit, leaving no staging behind."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures"


def _report(demo_data, reports: Path, *extra: str):
    return run_cli(
        "report", "oak-house", "--data", str(demo_data.data), "--reports", str(reports),
        "--notebook", str(FIXTURES / "report-fixture.ipynb"), "--renderer", "builtin", *extra,
    )  # fmt: skip


@pytest.mark.slow
def test_html_only_after_html_and_pdf_leaves_no_old_pdf_and_no_staging(demo_data, tmp_path):
    reports = tmp_path / "reports"
    assert _report(demo_data, reports).code == 0
    [folder] = reports.glob("oak-house/2*")
    assert (folder / "governance-report.pdf").exists()
    leftover = folder / ".staging-killed"
    leftover.mkdir()
    (leftover / "summary.json").write_text("{}")
    done = _report(demo_data, reports, "--format", "html")
    assert done.code == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == [
        "governance-report.html",
        "governance-report.ipynb",
        "summary.json",
    ], "the PDF of the earlier run would pass for this run's"
    assert not list(folder.glob(".staging-*"))


@pytest.mark.slow
def test_a_stuck_notebook_ends_at_the_time_limit_with_a_clear_message(demo_data, tmp_path):
    started = time.monotonic()
    done = run_cli(
        "report", "oak-house", "--data", str(demo_data.data), "--reports", str(tmp_path / "r"),
        "--notebook", str(FIXTURES / "stuck.ipynb"), "--time-limit", "3",
    )  # fmt: skip
    assert done.code == 1 and "time limit" in done.stderr and "--time-limit" in done.stderr, done.stderr
    assert "internal error" not in done.stderr and done.stderr.strip().splitlines()[-1].startswith("wellled: ")
    assert time.monotonic() - started < 120
    assert not list((tmp_path / "r").glob("oak-house/*/governance-report.html"))


def test_a_time_limit_must_be_positive(demo_data, tmp_path):
    done = run_cli("report", "oak-house", "--data", str(demo_data.data), "--time-limit", "0")
    assert done.code == 2 and "--time-limit" in done.stderr


@pytest.mark.slow
def test_a_second_run_for_the_same_report_waits_for_the_first_saying_so(demo_data, tmp_path):
    reports = tmp_path / "reports"
    assert _report(demo_data, reports, "--format", "html").code == 0
    [folder] = reports.glob("oak-house/2*")
    lock = folder.parent / f".{folder.name}.lock"
    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a first run still publishing
        second = subprocess.Popen(
            [sys.executable, "-m", "wellled.cli", "report", "oak-house", "--data", str(demo_data.data),
             "--reports", str(reports), "--notebook", str(FIXTURES / "report-fixture.ipynb"), "--format", "html"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(8)
        assert second.poll() is None, "the second run did not wait"
        before = (folder / "governance-report.html").stat().st_mtime_ns
        assert (folder / "governance-report.html").stat().st_mtime_ns == before
        fcntl.flock(held, fcntl.LOCK_UN)
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert "another run is writing" in err and "waiting" in err
