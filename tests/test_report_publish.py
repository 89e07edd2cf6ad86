"""A report set is published as a unit, one run at a time, within a time limit, leaving no staging behind."""

from __future__ import annotations

import fcntl
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli
from wellled import cli

FIXTURES = Path(__file__).parent / "fixtures"


def _report(demo_data, reports: Path, *extra: str):
    return run_cli(
        "report", "oak-house", "--data", str(demo_data.data), "--reports", str(reports),
        "--notebook", str(FIXTURES / "report-fixture.ipynb"), "--renderer", "builtin", *extra,
    )  # fmt: skip


@pytest.fixture(scope="module")
def published(demo_data, tmp_path_factory) -> Path:
    """A REPORTS folder holding oak-house's published HTML and PDF report: each test below starts from a copy
    (:func:`_published`) instead of running a report of its own first."""
    reports = tmp_path_factory.mktemp("published") / "reports"
    done = _report(demo_data, reports)
    assert done.code == 0, done.stdout + done.stderr
    return reports


def _published(published: Path, tmp_path: Path) -> tuple[Path, Path]:
    """This test's own copy of the published report (its links are relative: they point into the copy), and
    the report's folder in it."""
    reports = tmp_path / "reports"
    shutil.copytree(published, reports, symlinks=True)
    [folder] = reports.glob("oak-house/2*")
    assert (folder / "governance-report.html").is_symlink() and (folder / "governance-report.pdf").is_file()
    return reports, folder


@pytest.mark.slow
def test_html_only_after_html_and_pdf_leaves_no_old_pdf_and_no_staging(demo_data, published, tmp_path):
    reports, folder = _published(published, tmp_path)
    assert (folder / "governance-report.pdf").exists()
    leftover = folder.parent / f".{folder.name}.versions" / "v-killed"  # a set a killed run was building
    leftover.mkdir()
    (leftover / "summary.json").write_text("{}")
    done = _report(demo_data, reports, "--format", "html")
    assert done.code == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == [
        "governance-report.html",
        "governance-report.ipynb",
        "summary.json",
    ], "the PDF of the earlier run would pass for this run's"
    assert not leftover.exists()
    assert all((folder / name).is_symlink() for name in ("governance-report.html", "summary.json"))


@pytest.mark.slow
def test_a_stuck_notebook_ends_at_the_time_limit_with_a_clear_message(demo_data, tmp_path):
    started = time.monotonic()
    done = run_cli(
        "report", "oak-house", "--data", str(demo_data.data), "--reports", str(tmp_path / "r"),
        "--notebook", str(FIXTURES / "stuck.ipynb"), "--time-limit", "3",
    )  # fmt: skip
    assert done.code == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        "wellled: the report of oak-house (2026-Q3) was stopped at its time limit of 3 s and nothing was published;"
        " raise the limit with --time-limit SECONDS"
    ]
    assert time.monotonic() - started < 120
    assert not list((tmp_path / "r").glob("oak-house/*/governance-report.html"))


def _notebook(path: Path, *cells: str) -> Path:
    import nbformat

    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    book.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(book, path)
    return path


@pytest.mark.slow
def test_the_time_limit_is_for_the_whole_report_and_the_previous_report_stays(demo_data, published, tmp_path):
    reports, folder = _published(published, tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    slow = _notebook(
        tmp_path / "slow.ipynb",
        'home_id = ""\nperiod = ""\nframework = ""\ndata_dir = ""\nmin_respondents = 5',
        *["import time\ntime.sleep(10)"] * 12,
    )  # every cell well within the limit, together far beyond it
    started = time.monotonic()
    done = run_cli(
        "report", "oak-house", "--data", str(demo_data.data), "--reports", str(reports),
        "--notebook", str(slow), "--format", "html", "--time-limit", "20",
    )  # fmt: skip
    assert done.code == 1, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        f"wellled: the report of oak-house ({folder.name}) was stopped at its time limit of 20 s and nothing was"
        " published; raise the limit with --time-limit SECONDS"
    ]
    assert time.monotonic() - started < 100, "stopped at the limit, not after the last cell (120 s of cells)"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before, "the previous report, whole"
    versions = folder.parent / f".{folder.name}.versions"
    assert len(list(versions.iterdir())) == 2, "the current link and its set: nothing of the stopped run"


def test_a_time_limit_must_be_positive(tmp_path, capsys):
    code = cli.main(["report", "oak-house", "--data", str(tmp_path), "--reports", str(tmp_path), "--time-limit", "0"])
    assert code == 2 and "--time-limit" in capsys.readouterr().err


@pytest.mark.slow
def test_a_second_run_for_the_same_report_waits_for_the_first_saying_so(demo_data, published, tmp_path):
    reports, folder = _published(published, tmp_path)
    lock = folder.parent / f".{folder.name}.lock"
    before = (folder / "governance-report.html").stat().st_mtime_ns
    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a first run still publishing
        second = subprocess.Popen(
            [sys.executable, "-m", "wellled.cli", "report", "oak-house", "--data", str(demo_data.data),
             "--reports", str(reports), "--notebook", str(FIXTURES / "report-fixture.ipynb"), "--format", "html"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in second.stderr], daemon=True).start()
        first = lines.get(timeout=300)  # the second run, started and at the lock
        assert "another run is writing" in first and "waiting" in first, first
        time.sleep(2)
        assert second.poll() is None, "the second run did not wait"
        assert (folder / "governance-report.html").stat().st_mtime_ns == before
        fcntl.flock(held, fcntl.LOCK_UN)
    second.wait(timeout=300)
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert second.returncode == 0, rest
    assert (folder / "governance-report.html").stat().st_mtime_ns != before, "published after the first"
