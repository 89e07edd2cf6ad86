"""`wellled report` / `wellled reports` as a user runs them: bad parameters exit 2 naming what is known and
write nothing; a good run writes only REPORTS/HOME/PERIOD/."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli
from wellled import cli
from wellled.analysis import scope
from wellled.check import clean_schema
from wellled.paths import Paths
from wellled.report import stage

FIXTURE = Path(__file__).parent / "fixtures" / "report-fixture.ipynb"


def _files(root: Path) -> list[str]:
    """Files a user sees (hidden lock files and report sets left out; a report's files are links into its set)."""
    if not root.exists():
        return []
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


@pytest.fixture(scope="module")
def homes(demo_data) -> list[str]:
    return scope.known_homes(stage.clean_data(Paths(demo_data.data, demo_data.reports)))


@pytest.mark.parametrize(
    ("home", "extra", "expected"),
    [
        ("", [], "no home given; known homes: "),
        ("../../etc", [], "is not an id like 'oak-house'"),
        ("oak house", [], "is not an id like 'oak-house'"),
        ("Oak-House", [], "is not an id like 'oak-house'"),
        ("no-such-home", [], "unknown home 'no-such-home'; known homes: "),
        (None, ["--period", "2026Q2"], "is not a calendar quarter written YYYY-Qn"),
        (None, ["--period", "2026-Q5"], "is not a calendar quarter written YYYY-Qn"),
        (None, ["--period", "1999-Q1"], "no data for"),
        (None, ["--format", "docx"], "unknown format docx"),
        (None, ["--framework", "no-such-framework"], "unknown framework"),
    ],
)
def test_bad_parameters_exit_2_listing_what_is_known_and_write_nothing(
    tiny_data, tmp_path, capsys, home, extra, expected
):
    homes = scope.known_homes(stage.clean_data(Paths(tiny_data.data, tiny_data.reports)))
    reports = tmp_path / "reports"
    code = cli.main(
        [
            "report",
            homes[0] if home is None else home,
            "--data",
            str(tiny_data.data),
            "--reports",
            str(reports),
            "--notebook",
            str(FIXTURE),
            *extra,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err
    assert "Traceback" not in err and err.count("\n") == 1
    if home is not None and "format" not in expected:
        assert ", ".join(homes) in err
    if "period" in " ".join(extra):
        assert "quarters with data" in err and "2026-Q3" in err
    assert not reports.exists() or _files(reports) == []
    assert not (tiny_data.data.parent / "etc").exists()


@pytest.mark.slow
def test_report_writes_the_home_report_for_the_latest_quarter_and_nothing_else(demo_data, homes, tmp_path):
    reports = tmp_path / "reports"
    done = run_cli(
        "report",
        homes[1],
        "--data",
        str(demo_data.data),
        "--reports",
        str(reports),
        "--notebook",
        str(FIXTURE),
        "--renderer",
        "builtin",
    )
    assert done.code == 0, done.stderr
    period = scope.resolve_period(stage.clean_data(Paths(demo_data.data, reports)), homes[1], None)
    folder = f"{homes[1]}/{period}"
    assert _files(reports) == [
        f"{folder}/{name}"
        for name in ("governance-report.html", "governance-report.ipynb", "governance-report.pdf", "summary.json")
    ]
    assert f"{homes[1]} {period}: " in done.stdout and "governance-report.pdf" in done.stdout
    assert done.stderr == ""
    html = (reports / folder / "governance-report.html").read_text(encoding="utf-8")
    assert homes[1] in html and period in html


@pytest.mark.slow
def test_reports_writes_every_home_and_says_where(tiny_data, tmp_path):
    """On the tiny checked data (two homes, one quarter): a report each, the overview and the index. One job:
    homes rendered by worker processes are `make demo JOBS=2`'s (test_makefile.py)."""
    homes = scope.known_homes(stage.clean_data(Paths(tiny_data.data, tiny_data.reports)))
    assert len(homes) == 2
    reports = tmp_path / "reports"
    done = run_cli(
        "reports",
        "--data",
        str(tiny_data.data),
        "--reports",
        str(reports),
        "--period",
        "2026-Q3",
        "--notebook",
        str(FIXTURE),
        "--format",
        "html",
        "--renderer",
        "builtin",
        "--jobs",
        "1",
    )
    assert done.code == 0, done.stderr
    homes_written = [f for f in _files(reports) if f.split("/")[0] in homes]
    assert homes_written == [
        f"{home}/2026-Q3/{name}"
        for home in homes
        for name in ("fingerprint.json", "governance-report.html", "governance-report.ipynb", "summary.json")
    ]
    assert (reports / "overview" / "2026-Q3" / "provider-overview.html").is_file()
    assert (reports / "index.html").is_file()
    lines = {line.split()[0]: line.split() for line in done.stdout.splitlines() if line.split()}
    for home in homes:
        assert lines[home][1] == "done" and lines[home][-1] == f"{home}/2026-Q3"


def test_raw_data_newer_than_the_last_check_needs_a_check(tmp_path):
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    assert stage.needs_check(paths), "no clean data yet"
    paths.clean.mkdir(parents=True)
    paths.manifest.write_text(json.dumps({"schema_version": clean_schema.SCHEMA_VERSION}))
    (paths.raw / "surveys").mkdir(parents=True)
    survey = paths.raw / "surveys" / "staff.csv"
    survey.write_text("x")
    old = time.time() - 60
    os.utime(survey, (old, old))
    assert not stage.needs_check(paths)
    survey.touch()
    assert stage.needs_check(paths)


@pytest.mark.slow
def test_report_checks_changed_raw_data_first_and_stops_when_the_check_fails(tiny_data, tmp_path, capsys):
    """On the tiny checked data (two homes, one quarter): the checks cost little, the report is the real one."""
    data, reports = tmp_path / "data", tmp_path / "reports"
    shutil.copytree(tiny_data.data, data)
    before = json.loads((data / "clean" / "manifest.json").read_text())["checked_at"]
    (data / "raw" / "surveys" / "s.csv").touch()
    done = run_cli(
        "report", "oak-house", "--data", str(data), "--reports", str(reports), "--format", "html", "--check-if-changed"
    )
    assert done.code == 0, done.stderr
    assert "wellled check:" in done.stdout and "clean data written" in done.stdout
    assert json.loads((data / "clean" / "manifest.json").read_text())["checked_at"] >= before
    assert (reports / "oak-house" / "2026-Q3" / "governance-report.html").is_file()
    # a file that fails the check, added to checked data
    tiny = tmp_path / "tiny"
    shutil.copytree(tiny_data.data, tiny)
    (tiny / "raw" / "surveys" / "broken.csv").write_text("")
    # through the CLI's entry point in this process: the check stops it before any report process would start
    code = cli.main(
        ["report", "oak-house", "--data", str(tiny), "--reports", str(tmp_path / "other"), "--check-if-changed"]
    )
    failed = capsys.readouterr()
    assert code == 1 and "REJECTED: the file is empty" in failed.out, failed.out + failed.err
    assert "Traceback" not in failed.err
    assert not (tmp_path / "other" / "oak-house").exists(), "a failed check stops the report"
