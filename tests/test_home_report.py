"""`wellled report` on the demo data: the real notebook in a real kernel, rendered to HTML and PDF, read back
as a committee member would (Chromium with the network blocked, pdftotext)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser import chromium_path, open_page
from tests.conftest import Completed, run_cli
from wellled import cli

pytestmark = pytest.mark.slow  # reports on the demo data: notebook runs, HTML, PDF, browser

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed")
THEMES = ["Culture", "Governance", "Involvement", "Improvement", "Partnerships"]


@pytest.fixture(scope="module")
def reports(demo_data, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    for home in ("oak-house", "elm-grove"):
        done = run_cli("report", home, "--data", str(demo_data.data), "--reports", str(folder))
        assert done.code == 0, done.stdout + done.stderr
        assert f"{home} 2026-Q3" in done.stdout
    return folder


def report_file(reports: Path, home: str, suffix: str) -> Path:
    return reports / home / "2026-Q3" / f"governance-report.{suffix}"


def test_report_folder_holds_notebook_html_pdf_and_summary(reports, demo_data):
    folder = reports / "oak-house" / "2026-Q3"
    assert sorted(p.name for p in folder.iterdir()) == [
        "governance-report.html",
        "governance-report.ipynb",
        "governance-report.pdf",
        "summary.json",
    ]
    printed = run_cli("summary", "oak-house", "--data", str(demo_data.data))
    assert json.loads((folder / "summary.json").read_text()) == json.loads(printed.stdout)
    executed = json.loads((folder / "governance-report.ipynb").read_text())
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert injected and 'home_id = "oak-house"' in "".join(injected[0]["source"])


@needs_chromium
def test_html_report_reads_right_and_stays_offline(reports, tmp_path):
    summary = json.loads(report_file(reports, "oak-house", "json").with_name("summary.json").read_text())
    page = open_page(report_file(reports, "oak-house", "html"), tmp_path / "oak-house.png")
    assert page.external_requests() == [] and page.console_errors == [] and page.dialogs == []
    assert page.screenshot.stat().st_size > 50_000
    text = page.text
    assert "Oak House" in text and "Summary for the committee" in text
    for theme in summary["themes"]:
        assert f"{theme['label']}\n" in text or f"{theme['label']}\t" in text
        assert f"Indicative rating: {theme['rating']}" in text
    assert f"Indicative overall rating for Well-led: {summary['overall_rating']}." in text
    assert "<script>alert('x')</script> <b>Best</b> home #set page(width: 1cm) **ever** $5" in text
    assert "jane.doe@example.com" not in text and "07700 900123" not in text
    assert "Okafor" not in text
    assert "[email removed]" in text and "[name removed]" in text


@needs_chromium
def test_html_report_has_captioned_figures_and_no_code(reports, tmp_path):
    html = report_file(reports, "oak-house", "html").read_text()
    assert html.count("<figure") >= 10 and html.count("<figcaption") >= 10
    assert "load_home_report" not in html and "home_id = " not in html, "code and parameters stay hidden"
    assert "<script>alert" not in html


@needs_poppler
def test_pdf_is_a4_with_the_same_content(reports):
    pdf = report_file(reports, "oak-house", "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "Oak House" in flat and all(theme in flat for theme in THEMES)
    assert "<b>Best</b>" in flat and "**ever**" in flat and "#set page(width: 1cm)" in flat
    assert "jane.doe@example.com" not in flat and "07700 900123" not in flat


@needs_poppler
def test_small_family_sample_is_shown_only_combined(reports):
    summary = json.loads(report_file(reports, "elm-grove", "json").with_name("summary.json").read_text())
    groups = [g for t in summary["themes"] for g in t["survey"]["by_group"]]
    # the family sample (under 5) is never shown on its own: only inside a combined group of 5 or more
    assert not [g for g in groups if g["respondent_group"] == "family" and not g["suppressed"]]
    combined = [g for g in groups if "family" in g.get("combined_from", [])]
    assert combined and all(g["suppressed"] or g["respondents"] >= 5 for g in combined)
    pdf = report_file(reports, "elm-grove", "pdf")
    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split()
    )
    assert "Elm Grove" in text
    hidden = [g for g in groups if g["suppressed"]]
    assert ("Figures hidden in this report" in text) if hidden else ("Nothing was suppressed." in text)


def test_unknown_home_and_bad_period_are_usage_errors(demo_data, tmp_path, capsys):
    def report(*args: str) -> tuple[int, str]:
        """`wellled report ARGS` through the CLI's entry point in this process: exit code and stderr."""
        code = cli.main(["report", *args, "--data", str(demo_data.data), "--reports", str(tmp_path)])
        return code, capsys.readouterr().err

    code, err = report("pine-view")
    assert code == 2 and "oak-house" in err and "Traceback" not in err
    for bad in ("../../etc", "Oak House", ""):
        assert report(bad)[0] == 2, bad
    code, err = report("oak-house", "--period", "2026-13")
    assert code == 2 and "YYYY-Qn" in err
    assert not any(tmp_path.rglob("*.html"))


@pytest.fixture(scope="module")
def odd_run(demo_data, tmp_path_factory) -> tuple[Path, Completed]:
    """One HTML report of oak-house for two claims, each asserted by its own test: run from another folder with
    the relative folders make passes, and a framework file with odd theme labels. Returns the folder the run
    started in and what it did."""
    from wellled.paths import FRAMEWORKS_DIR

    cwd = tmp_path_factory.mktemp("odd")
    shutil.copytree(demo_data.data, cwd / "data")
    text = (FRAMEWORKS_DIR / "cqc-kloe-2017.toml").read_text()
    (cwd / "odd.toml").write_text(
        text.replace('label = "Involvement"', 'label = "Involve $\\\\foo{x}$"', 1)
        .replace('label = "Culture"', 'label = "文化"', 1)
        .replace('label = "Governance"', 'label = "治理"', 1)
    )
    done = run_cli(
        "report", "oak-house", "--framework", str(cwd / "odd.toml"), "--format", "html",
        "--data", "data", "--reports", "reports", cwd=cwd,
    )  # fmt: skip
    return cwd, done


def test_report_with_relative_folders_as_make_passes_them(odd_run):
    cwd, done = odd_run
    assert done.code == 0, done.stderr
    assert (cwd / "reports" / "oak-house" / "2026-Q3" / "governance-report.html").stat().st_size > 100_000


def test_a_framework_the_data_does_not_fit_is_bad_usage_not_a_failed_run(demo_data, tmp_path, capsys):
    """Through the CLI's entry point in this process: a usage error needs no process of its own."""
    from wellled.paths import FRAMEWORKS_DIR

    text = (FRAMEWORKS_DIR / "cqc-kloe-2017.toml").read_text()
    (tmp_path / "two.toml").write_text(text[: text.index('[[themes]]\nid = "W3"')])
    args = ["--framework", str(tmp_path / "two.toml"), "--data", str(demo_data.data)]
    code = cli.main(["report", "oak-house", *args, "--reports", str(tmp_path / "reports")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "W3" in err and "Traceback" not in err
    assert not list((tmp_path / "reports").rglob("*.ipynb")), "nothing is kept for a usage error"


def test_theme_labels_from_a_framework_file_show_literally_in_charts(odd_run):
    cwd, done = odd_run
    assert done.code == 0, done.stderr
    html = report_file(cwd / "reports", "oak-house", "html").read_text()
    funnels = [part.split('src="', 1)[1].split('"', 1)[0] for part in html.split('id="fig-funnel-oak-house')[1:]]
    assert len(funnels) == 5 and len(set(funnels)) == 5, "each theme has its own funnel chart"


def test_a_raised_suppression_threshold_reaches_the_report(demo_data, tmp_path):
    done = run_cli(
        "report",
        "oak-house",
        "--min-respondents",
        "25",
        "--format",
        "html",
        "--data",
        str(demo_data.data),
        "--reports",
        str(tmp_path),
    )
    assert done.code == 0, done.stderr
    summary = json.loads((tmp_path / "oak-house" / "2026-Q3" / "summary.json").read_text())
    assert summary["parameters"]["min_respondents"] == 25
    groups = [g for t in summary["themes"] for g in t["survey"]["by_group"]]
    family = [g for g in groups if g["respondent_group"] == "family" or "family" in g.get("combined_from", [])]
    # oak-house's 20 family questionnaires are under 25: hidden, or shown only combined with another group
    assert family and all(g["suppressed"] or (g.get("combined_from") and g["respondents"] >= 25) for g in family)
    html = report_file(tmp_path, "oak-house", "html").read_text()
    assert "Figures based on fewer than 25 questionnaires are not shown" in html
