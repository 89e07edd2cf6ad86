"""`wellled reports` over many homes: parallel runs, fingerprints and skipping, failures that stop nothing,
no state between homes, the provider overview and the index, and a real Dask cluster."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli
from wellled.analysis.clean_data import load_clean
from wellled.analysis.framework import load_framework
from wellled.analysis.themes import AnalysisParams, theme_figures
from wellled.errors import UsageError
from wellled.paths import Paths
from wellled.report import batch, index, overview, stage
from wellled.report.options import ReportOptions

PERIOD = "2026-Q3"
LEAK_NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "parameters",
            "metadata": {"tags": ["parameters"]},
            "outputs": [],
            "source": 'home_id = ""\nperiod = ""\nframework = "cqc-kloe-2017"\ndata_dir = "data"\nmin_respondents = 5',
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "isolation",
            "metadata": {},
            "outputs": [],
            "source": (
                "import builtins, sys\n"
                "seen = [n for n in [*globals(), *vars(builtins), *sys.modules] if n.startswith('defined_by_')]\n"
                "assert not seen, f'state from another home: {seen}'\n"
                "globals()['defined_by_' + home_id.replace('-', '_')] = True\n"
                "setattr(builtins, 'defined_by_builtins_' + home_id.replace('-', '_'), True)\n"
                "if home_id == 'elm-grove':\n"
                "    raise ValueError('this home fails on purpose')\n"
                "print(home_id)"
            ),
        },
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.fixture(scope="module")
def clean(tiny_data):
    """The tiny checked data (oak-house and elm-grove, one quarter): enough for the tests that run no report."""
    return stage.clean_data(Paths(tiny_data.data, tiny_data.reports))


def _copy(demo_data, tmp_path: Path) -> Paths:
    data = tmp_path / "data"
    shutil.copytree(demo_data.data, data)
    return Paths(data, tmp_path / "reports")


# --- paths, choosing homes, fingerprints ---------------------------------------------------------------


def test_report_dir_adds_the_framework_only_when_it_is_not_the_default():
    paths = Paths(Path("d"), Path("r"))
    assert paths.report_dir("oak-house", PERIOD) == Path("r/oak-house/2026-Q3")
    assert paths.report_dir("oak-house", PERIOD, "cqc-kloe-2017") == Path("r/oak-house/2026-Q3")
    assert paths.report_dir("oak-house", PERIOD, "cqc-saf-2024") == Path("r/oak-house/2026-Q3/cqc-saf-2024")
    assert paths.overview_dir(PERIOD, "cqc-saf-2024") == Path("r/overview/2026-Q3/cqc-saf-2024")
    with pytest.raises(UsageError):
        paths.report_dir("oak-house", PERIOD, "../x")


def test_a_home_cannot_take_the_name_of_a_folder_reports_keeps_for_itself(clean, tmp_path):
    paths = Paths(tmp_path / "d", tmp_path / "r")
    for reserved in ("overview", "logs", "data-quality"):
        with pytest.raises(UsageError, match=f"home id '{reserved}' cannot have a report"):
            paths.report_dir(reserved, PERIOD)
    assert paths.report_dir("overview-house", PERIOD) == tmp_path / "r/overview-house/2026-Q3"
    # a home called "overview" in the data: its report fails with the reason, the other homes still run
    renamed = {
        name: getattr(clean, name).assign(home_id=getattr(clean, name)["home_id"].replace("oak-house", "overview"))
        for name in ("homes", "responses", "audits")
    }
    data = dataclasses.replace(clean, **renamed)
    options = ReportOptions(formats=("html",), renderer="builtin")
    outcomes = batch.run_batch(
        paths,
        data,
        load_framework(),
        "cqc-kloe-2017",
        PERIOD,
        options,
        batch.BatchOptions(homes=("overview",)),
        tmp_path,
    )
    assert [(o.home_id, o.status) for o in outcomes] == [("overview", batch.FAILED)]
    assert "reports/overview/ is wellled's own folder" in outcomes[0].error
    assert not paths.reports.exists()


def test_clean_tables_kept_for_the_next_home_are_each_callers_own_and_follow_every_change(tiny_data, tmp_path):
    paths = _copy(tiny_data, tmp_path)
    first = load_clean(paths)
    first.answers["score"] = pd.array([0] * len(first.answers), dtype="Int8")  # one home's notebook changes its copy
    first.homes["home_name"] = "Changed"
    second = load_clean(paths)
    assert (second.answers["score"] >= 1).all() and "Changed" not in set(second.homes["home_name"])
    homes = pd.read_parquet(paths.clean_table("homes"))
    homes["home_name"] = homes["home_name"].str.upper()
    homes.to_parquet(paths.clean_table("homes"), index=False)  # `wellled check` rewrote a table
    assert "OAK HOUSE" in set(load_clean(paths).homes["home_name"])


def test_homes_are_chosen_by_id_and_region_and_mistakes_name_what_is_known(clean):
    regions = {"oak-house": "North West", "elm-grove": "Yorkshire"}
    clean = dataclasses.replace(clean, homes=clean.homes.assign(region=clean.homes["home_id"].map(regions)))
    assert batch.select_homes(clean, ["oak-house", "elm-grove"]) == ["oak-house", "elm-grove"]
    assert batch.select_homes(clean, region="North West") == ["oak-house"]
    assert batch.home_regions(clean) == regions
    assert batch.select_homes(clean, ["oak-house", "elm-grove"], region="Yorkshire") == ["elm-grove"]
    with pytest.raises(UsageError, match="unknown home 'pine-view' in --homes; known homes: elm-grove, oak-house"):
        batch.select_homes(clean, ["pine-view"])
    with pytest.raises(UsageError, match="no home in region 'Mars'; regions: North West, Yorkshire"):
        batch.select_homes(clean, region="Mars")


def _prints(data, clean, options=None, **changes):
    framework = load_framework("cqc-kloe-2017")
    options = options or stage.ReportOptions()
    figures = theme_figures(clean, framework, AnalysisParams(min_respondents=options.min_respondents))
    chosen = {home: PERIOD for home in batch.select_homes(clean)}
    return batch.fingerprints(Paths(data.data), clean, figures, chosen, framework, options)


def test_fingerprints_are_stable_and_follow_each_input(tiny_data, clean):
    first = _prints(tiny_data, clean)
    assert set(first) == {"oak-house", "elm-grove"} and first == _prints(tiny_data, clean)
    assert len({json.dumps(p["clean"], sort_keys=True) for p in first.values()}) == len(first)
    stricter = _prints(tiny_data, clean, stage.ReportOptions(min_respondents=10))
    assert all(stricter[h]["parameters"] != first[h]["parameters"] for h in first)
    # one home's answers change: its own slice changes, every other home keeps its own
    answers = clean.answers.copy()
    row = answers.index[answers["home_id"] == "oak-house"][0]
    answers.loc[row, "score"] = 1 if answers.loc[row, "score"] != 1 else 5
    changed = _prints(tiny_data, clean.__class__(**{**clean.__dict__, "answers": answers}))
    assert changed["oak-house"]["clean"]["answers"] != first["oak-house"]["clean"]["answers"]
    assert all(changed[h]["clean"] == first[h]["clean"] for h in first if h != "oak-house")


def test_outcome_table_has_a_row_per_home_with_the_error_in_one_line(tmp_path):
    table = batch.outcome_table(
        [
            batch.Outcome("oak-house", PERIOD, batch.DONE, 3.21, str(tmp_path / "oak-house" / PERIOD)),
            batch.Outcome("elm-grove", PERIOD, batch.FAILED, 1.0, error="the notebook failed in cell 2: boom"),
        ],
        tmp_path,
    )
    lines = table.splitlines()
    assert lines[0].split() == ["home", "status", "seconds", "report", "or", "error"]
    assert lines[1].split() == ["oak-house", "done", "3.2", "oak-house/2026-Q3"]
    assert lines[2].split()[:2] == ["elm-grove", "failed"] and lines[2].endswith("cell 2: boom")


def test_every_chosen_home_is_accounted_for_even_without_data_in_the_quarter(clean, tmp_path):
    """A home with no data, or none in the quarter asked for, is a failed row saying why, never left out."""
    homes = ["oak-house", "elm-grove", "new-home"]
    chosen, failed = batch.latest_periods(clean, homes, PERIOD)
    assert set(chosen) | {o.home_id for o in failed} == set(homes)
    lines = batch.outcome_table(failed, tmp_path).splitlines()
    assert lines[1].split()[:2] == ["new-home", "failed"] and "has no questionnaires or audits" in lines[1]
    chosen, failed = batch.latest_periods(clean, homes, "2019-Q1")
    assert not chosen and [o.home_id for o in failed] == homes
    assert all(o.error and "no data for" in o.error and "quarters with data" in o.error for o in failed[:2])


# --- the overview's content ----------------------------------------------------------------------------


def _summary(**theme_extra) -> dict:
    theme = {
        "id": "W1",
        "label": "Culture",
        "rating": "Good",
        "change": {"previous_rating": "Good", "direction": "no significant change"},
        "benchmark": {"funnel": "within"},
        "trend": [{"period": "2026-Q2", "rating": "Good"}, {"period": PERIOD, "rating": "Good"}],
        **theme_extra,
    }
    return {
        "home_id": "oak-house",
        "period_end": "2026-09-30",
        "themes": [theme],
        "overall_rating": "Good",
        "actions": {"overdue_high_priority": 0, "items": []},
        "repeat_findings": [],
        "response_rates": {"staff": {"rate_pct": 45.0}, "family": {"rate_pct": None, "suppressed": True}},
    }


def test_nothing_stands_out_for_a_steady_well_evidenced_home():
    assert overview.concerns(_summary()) == []


def test_concerns_read_the_signals_of_decline_thin_evidence_actions_and_response_rates():
    summary = _summary(
        spc={"signal": "concern", "words": "8 quarters below the centre line"},
        evidence={"level": "limited", "words": "Limited evidence: 8 answers from 3 questionnaires"},
    )
    summary["actions"] = {
        "overdue_high_priority": 2,
        "items": [
            {"is_overdue": True, "priority": "high", "due_on": "2026-08-31"},
            {"is_overdue": True, "priority": "high", "due_on": "2026-09-20"},
        ],
    }
    summary["response_rates"]["staff"]["rate_pct"] = 12.5
    words = [w for _, w in overview.concerns(summary)]
    assert "statistical signal of decline: Culture" in words
    assert "thin evidence: Culture" in words
    assert "2 overdue high-priority actions, oldest 30 days overdue" in words
    assert "response rate under 20%: staff 12.5%" in words
    assert not any("family" in w for w in words), "a suppressed response rate must not be shown"


def test_index_lists_every_quarter_and_escapes_names(tmp_path):
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    for period, name in (("2026-Q2", "Oak <House>"), (PERIOD, "Oak <House>")):
        folder = paths.report_dir("oak-house", period)
        folder.mkdir(parents=True)
        (folder / "governance-report.html").write_text("x")
        (folder / "summary.json").write_text(json.dumps({"home_name": name}))
    saf = paths.report_dir("oak-house", PERIOD, "cqc-saf-2024")
    saf.mkdir(parents=True)
    (saf / "governance-report.html").write_text("x")
    paths.overview_dir(PERIOD).mkdir(parents=True)
    (paths.overview_dir(PERIOD) / "provider-overview.html").write_text("x")
    page = index.write_index(paths).read_text()
    assert page.index("<h2>2026-Q3</h2>") < page.index("<h2>2026-Q2</h2>")
    assert 'href="overview/2026-Q3/provider-overview.html"' in page
    assert 'href="oak-house/2026-Q3/cqc-saf-2024/governance-report.html"' in page
    assert "Oak &lt;House&gt;" in page and "<House>" not in page


# --- end to end -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_failing_home_stops_no_other_and_no_state_passes_between_homes(demo_data, tmp_path):
    paths = _copy(demo_data, tmp_path)
    notebook = tmp_path / "leak.ipynb"
    notebook.write_text(json.dumps(LEAK_NOTEBOOK))
    homes = "oak-house,elm-grove,birch-lodge"  # a home on each side of the failing one
    args = ["reports", "--data", str(paths.data), "--reports", str(paths.reports), "--homes", homes]
    args += ["--notebook", str(notebook), "--format", "html", "--renderer", "builtin", "--jobs", "1"]
    done = run_cli(*args)
    assert done.code == 1, done.stdout + done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.split()}
    for home in ("oak-house", "birch-lodge"):
        assert rows[home].split()[1] == "done", done.stdout
        assert (paths.report_dir(home, PERIOD) / "governance-report.html").is_file()
    assert rows["elm-grove"].split()[1] == "failed" and "this home fails on purpose" in rows["elm-grove"]
    assert "1 of 4 reports failed: elm-grove" in done.stderr and "Traceback" not in done.stderr
    listed = json.loads((paths.overview_dir(PERIOD) / "overview.json").read_text())["without_report"]
    assert {m["home_id"]: m["reason"] for m in listed}["elm-grove"].startswith("report failed: ")
    # every home reported on, nothing changed: skipped; --force runs again
    again = run_cli(*args[:-2], "--jobs", "2", "--homes", "oak-house,birch-lodge")
    assert again.code == 0, again.stderr
    assert "2 of 2 reports unchanged since their last run, skipped" in again.stderr
    forced = run_cli(*args[:-2], "--jobs", "2", "--homes", "oak-house", "--force")
    assert forced.code == 0, forced.stderr
    assert {line.split()[0]: line.split()[1] for line in forced.stdout.splitlines() if line.split()}[
        "oak-house"
    ] == "done"


@pytest.mark.slow
def test_reports_run_on_a_real_dask_cluster(demo_data, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    paths = _copy(demo_data, tmp_path)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        done = run_cli(
            "reports",
            "--data",
            str(paths.data),
            "--reports",
            str(paths.reports),
            "--scheduler",
            cluster.scheduler_address,
            "--homes",
            "oak-house,willow-court",
            "--format",
            "html",
        )
        assert done.code == 0, done.stdout + done.stderr
        with distributed.Client(cluster.scheduler_address) as client:
            prefixes = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    assert {"wellled-oak-house", "wellled-willow-court"} <= set(prefixes), prefixes
    for home in ("oak-house", "willow-court"):
        assert (paths.report_dir(home, PERIOD) / "governance-report.html").is_file()
    assert not paths.report_dir("elm-grove", PERIOD).exists()
    assert (paths.overview_dir(PERIOD) / "provider-overview.html").is_file()
    frame = pd.DataFrame(json.loads((paths.overview_dir(PERIOD) / "overview.json").read_text())["without_report"])
    assert "elm-grove" in set(frame["home_id"])


@pytest.mark.slow
def test_a_scheduler_that_is_not_there_is_a_clear_error_before_any_work(tmp_path):
    pytest.importorskip("dask.distributed")
    data, reports = tmp_path / "data", tmp_path / "reports"
    done = run_cli("reports", "--data", str(data), "--reports", str(reports), "--scheduler", "tcp://127.0.0.1:9")
    assert done.code == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in done.stderr, done.stderr
    assert not reports.exists(), "work began before the scheduler was reached"


def test_the_figures_file_goes_only_to_a_notebook_that_declares_it(tmp_path):
    notebook = tmp_path / "n.ipynb"
    notebook.write_text(json.dumps(LEAK_NOTEBOOK))
    assert batch.declares(notebook, "home_id") and not batch.declares(notebook, "figures_file")
    with_figures = json.loads(json.dumps(LEAK_NOTEBOOK))
    with_figures["cells"][0]["source"] += '\nfigures_file = ""'
    notebook.write_text(json.dumps(with_figures))
    assert batch.declares(notebook, "figures_file")


def test_heat_map_writes_each_rating_in_words_and_names_the_weakest_homes():
    from wellled.report import overview_charts

    ratings = pd.DataFrame(
        [
            {
                "region": "North",
                "home_name": "A $home",
                "W1": "Good",
                "W2": "Inadequate",
                "overall": "Requires improvement",
            },
            {"region": "South", "home_name": "B home", "W1": "Outstanding", "W2": None, "overall": "Good"},
        ]
    )
    chart = overview_charts.heat_map(ratings, [("W1", "Culture"), ("W2", "Governance")], "All homes")
    words = {text.get_text() for text in chart.figure.axes[0].texts}
    assert {"Good", "Inadequate", "Outstanding", "Insufficient\nevidence", "Requires\nimprovement"} <= words
    labels = [label.get_text() for label in chart.figure.axes[0].get_yticklabels()]
    assert labels == ["North", r"  A \$home", "South", "  B home"]
    assert "Rated requires improvement or inadequate overall: A $home." in chart.caption
