"""min_respondents has a floor of 5; below it only with --allow-small-numbers, and then every output says so."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from wellled import cli
from wellled.analysis.themes import AnalysisParams
from wellled.errors import UsageError


def summary(capsys, *args: str) -> tuple[int, str, str]:
    """`wellled summary ARGS` in this process: exit code, stdout, stderr."""
    code = cli.main(["summary", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_below_the_floor_is_refused_without_the_explicit_option(tiny_data, capsys):
    code, out, err = summary(capsys, "oak-house", "--data", str(tiny_data.data), "--min-respondents", "1")
    assert code == 2 and "--allow-small-numbers" in err and "Traceback" not in err
    assert out == ""
    with pytest.raises(UsageError):
        AnalysisParams(min_respondents=4)
    assert AnalysisParams(min_respondents=4, allow_small_numbers=True).not_for_publication


def test_allowed_small_numbers_are_logged_and_marked_not_for_publication(tiny_data, capsys):
    data = str(tiny_data.data)
    code, out, err = summary(capsys, "elm-grove", "--data", data, "--min-respondents", "2", "--allow-small-numbers")
    assert code == 0, err
    assert "NOT FOR PUBLICATION" in err
    small = json.loads(out)
    assert small["not_for_publication"] is True and small["notice"].startswith("NOT FOR PUBLICATION")
    assert small["parameters"]["allow_small_numbers"] is True
    code, out, err = summary(capsys, "elm-grove", "--data", data)
    usual = json.loads(out)
    assert code == 0 and usual["not_for_publication"] is False and "NOT FOR PUBLICATION" not in usual["notice"]


def test_report_options_keep_the_floor():
    from wellled.report.stage import ReportOptions

    with pytest.raises(UsageError, match="allow-small-numbers"):
        ReportOptions(min_respondents=1)
    assert ReportOptions(min_respondents=1, allow_small_numbers=True).analysis_params().not_for_publication


@pytest.mark.slow
def test_a_report_with_small_numbers_says_not_for_publication(demo_data, tmp_path):
    reports = tmp_path / "reports"
    done = run_cli(
        "report", "elm-grove", "--data", str(demo_data.data), "--reports", str(reports), "--format", "html",
        "--min-respondents", "3", "--allow-small-numbers",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    [html] = reports.glob("elm-grove/*/governance-report.html")
    page = html.read_text(encoding="utf-8")
    assert "<title>NOT FOR PUBLICATION: Elm Grove: Well-led governance report, " in page
    [summary] = reports.glob("elm-grove/*/summary.json")
    assert json.loads(summary.read_text())["not_for_publication"] is True
