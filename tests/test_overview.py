"""The provider overview on the inputs a real provider has: small numbers, few homes, homes gone quiet, names that
share their start or carry markup and bidirectional text, import flags that only seem to name a home."""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from wellled.analysis.framework import load_framework
from wellled.analysis.summary import build_summary, to_json
from wellled.analysis.themes import AnalysisParams, theme_figures
from wellled.errors import UsageError
from wellled.paths import Paths
from wellled.report import batch, flags, index, overview, overview_charts, stage
from wellled.report.options import ReportOptions
from wellled.report.present import table as present_table

PERIOD = "2026-Q3"
SMALL = AnalysisParams(min_respondents=3, allow_small_numbers=True)


@pytest.fixture(scope="module")
def clean(tiny_data):
    return stage.clean_data(Paths(tiny_data.data, tiny_data.reports))


def _publish_summary(paths: Paths, clean, home: str, params: AnalysisParams) -> None:
    folder = paths.report_dir(home, PERIOD)
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(to_json(build_summary(clean, home, PERIOD, "cqc-kloe-2017", params)))


@pytest.mark.slow  # a whole check of the tiny data
def test_a_report_made_with_other_settings_is_left_out_and_says_why(tiny_data, clean, tmp_path):
    """An internal review's report (--min-respondents 3) never reaches an overview for publication, nor the
    other way round: each is listed as without a report, with the reason."""
    paths = Paths(tiny_data.data, tmp_path / "reports")
    _publish_summary(paths, clean, "oak-house", SMALL)
    _publish_summary(paths, clean, "elm-grove", AnalysisParams())
    published = overview.load_overview(PERIOD, "cqc-kloe-2017", paths.data, paths.reports)
    assert set(published.summaries) == {"elm-grove"}
    reasons = dict(zip(published.missing["home_id"], published.missing["reason"], strict=True))
    assert "--min-respondents 3" in reasons["oak-house"] and "this overview with 5" in reasons["oak-house"]
    assert "NOT FOR PUBLICATION" not in overview.title(published).data
    review = overview.load_overview(PERIOD, "cqc-kloe-2017", paths.data, paths.reports, SMALL)
    assert set(review.summaries) == {"oak-house"}
    assert overview.title(review).data.startswith("NOT FOR PUBLICATION: Well-led provider overview")
    assert overview.overview_json(review)["not_for_publication"] is True


def test_a_home_with_no_data_in_the_quarter_is_among_the_homes_to_look_at_first(tiny_data, tmp_path):
    """Also when the run failed it for that reason (``--period``): having no data is what the committee needs."""
    run = tmp_path / "run.json"
    error = "no data for elm-grove in 2026-Q4; quarters with data: 2026-Q3"
    run.write_text(json.dumps([batch.Outcome("elm-grove", "2026-Q4", batch.FAILED, error=error).as_dict()]))
    quiet = overview.load_overview("2026-Q4", "cqc-kloe-2017", tiny_data.data, tmp_path / "reports", run_file=str(run))
    first = overview.look_first(quiet)
    assert set(first["home_id"]) == {"oak-house", "elm-grove"}
    why = dict(zip(first["home_id"], first["Why"], strict=True))
    assert why["oak-house"] == "no questionnaires or audits this quarter (latest data 2026-07-10)"
    assert first["Overall"].isna().all(), "a home without a report has no rating to show"


def _overview_of(clean, homes: list[str]) -> overview.Overview:
    def only(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["home_id"].isin(homes)]

    few = dataclasses.replace(
        clean, **{name: only(getattr(clean, name)) for name in ("homes", "responses", "answers", "audits")}
    )
    framework = load_framework("cqc-kloe-2017")
    figures = theme_figures(few, framework, AnalysisParams())
    return overview.Overview(
        PERIOD,
        framework,
        overview._home_table(few),
        {},
        pd.DataFrame(columns=["home_id", "home_name", "region", "reason"]),
        figures,
        {},
        {},
        {},
        {},
        "2026-11-30",
    )


@pytest.mark.slow  # the checked demo
def test_no_funnel_and_no_verdict_with_too_few_homes_as_in_the_home_reports(demo_data):
    """With 4 homes no home report places its home on a funnel (it needs 5 others); the overview must not say
    every home is within the limits of one it drew anyway."""
    clean = stage.clean_data(Paths(demo_data.data, demo_data.reports))
    homes = sorted(clean.homes["home_id"])
    assert len(homes) == 6
    for count, drawn in ((6, True), (4, False)):
        few = _overview_of(clean, homes[:count])
        for theme in few.framework.themes:
            limits, shown = overview.funnel_data(few, theme.id)
            assert len(shown) == count
            chart = overview_charts.funnel(limits, shown, theme.id, theme.label)
            assert (chart is not None) == drawn, (count, chart and chart.caption)
        outside = overview.overview_json(few)["funnel_outside"]
        assert all((value is not None) == drawn for value in outside.values()), outside


def test_heat_map_rows_of_names_that_share_their_start_stay_apart_and_read_left_to_right():
    names = [
        "Barchester Healthcare - Ashgrove Care Home and Nursing Centre",
        "Barchester Healthcare - Beechcroft Care Home and Nursing Centre",
        "Barchester Healthcare - Maple View Care Home",
        "Supercalifragilisticexpialidociousandevenlongerthanthat",
        "\u202eBirch Lodge",
    ]
    ratings = pd.DataFrame({"region": "", "home_name": names, "W1": "Good", "overall": "Good"})
    chart = overview_charts.heat_map(ratings, [("W1", "Culture")], "All homes")
    labels = [tick.get_text() for tick in chart.figure.axes[0].get_yticklabels()]
    assert len(set(labels)) == len(names), labels
    assert not any("[...]" in label or "\u202e" in label for label in labels), labels
    assert all(
        len(line.strip()) <= 24 and len(label.split("\n")) <= 2 for label in labels for line in label.split("\n")
    )
    assert any("Ashgrove" in label for label in labels) and any("Beechcroft" in label for label in labels)
    assert "  Birch Lodge" in labels


def test_funnel_names_outside_homes_without_reordering_their_text():
    limits = pd.DataFrame(
        {
            "valid": [5.0, 50.0, 100.0],
            "group_positive_pct": 70.0,
            "lower95_pct": [40.0, 60.0, 62.0],
            "upper95_pct": [95.0, 80.0, 78.0],
            "lower998_pct": [30.0, 55.0, 58.0],
            "upper998_pct": [99.0, 85.0, 82.0],
        }
    )
    homes = pd.DataFrame(
        {
            "home_id": ["a", "b"],
            "valid": [80.0, 90.0],
            "positive_pct": [40.0, 72.0],
            "funnel": pd.array(["below", "within"], dtype="string"),
            "home_name": ["\u202eBirch $Lodge", "Oak"],
        }
    )
    chart = overview_charts.funnel(limits, homes, "W1", "Culture")
    assert [text.get_text() for text in chart.figure.axes[0].texts] == [r"Birch \$Lodge"]


def _flag_counts(folder, raised: list[dict], homes: pd.DataFrame, responses: pd.DataFrame) -> dict[str, int]:
    """``flags.flag_counts`` for a check that raised ``raised``, over these homes and response rows."""
    paths = Paths(folder / "data")
    paths.manifest.parent.mkdir(parents=True)
    paths.manifest.write_text(json.dumps({"flags": raised}))
    return flags.flag_counts(paths, type("Clean", (), {"responses": responses})(), homes)


def test_import_flags_count_for_a_home_only_where_they_name_it_as_a_word(tmp_path):
    raised = [
        {"file": "surveys/s.csv", "message": "response ids that look like names were replaced by a keyed hash"},
        {"file": "surveys/s.csv", "message": "columns not in the contract were ignored: Oak House notes"},
    ]
    homes = pd.DataFrame(
        {"home_id": ["ash", "oak", "oak-house"], "home_name": ["Ash", "Oak", "Oak House"], "region": ""}
    )
    responses = pd.DataFrame({"source_file": ["surveys/s.csv"], "source_line": [2], "home_id": ["ash"]})
    assert _flag_counts(tmp_path, raised, homes, responses) == {"ash": 0, "oak": 0, "oak-house": 1}


def test_import_flags_count_for_the_homes_whose_rows_are_the_file_lines_they_give(tmp_path):
    raised = [
        {"file": "surveys/s.csv", "message": "2 questionnaire(s) give the same answer to every question (lines 2, 4)"},
        {"file": "surveys/t.csv", "message": "1 row(s) have no date (line 3)"},
    ]
    homes = pd.DataFrame({"home_id": ["ash", "oak", "elm"], "home_name": ["Ash", "Oak", "Elm"], "region": ""})
    responses = pd.DataFrame(
        {
            "source_file": ["surveys/s.csv", "surveys/s.csv", "surveys/s.csv", "surveys/t.csv", "surveys/t.csv"],
            "source_line": [2, 3, 4, 2, 3],
            "home_id": ["ash", "elm", "oak", "ash", "ash"],
        }
    )
    assert _flag_counts(tmp_path, raised, homes, responses) == {"ash": 2, "oak": 1, "elm": 0}


@pytest.mark.slow
def test_an_internal_review_with_small_numbers_gets_its_overview_marked_not_for_publication(tiny_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(tiny_data.data, data)
    paths = Paths(data, tmp_path / "reports")
    clean = stage.clean_data(paths)
    options = ReportOptions(formats=("html",), min_respondents=3, allow_small_numbers=True)
    _publish_summary(paths, clean, "oak-house", options.analysis_params())
    framework = load_framework("cqc-kloe-2017")
    done = [batch.Outcome("oak-house", PERIOD, batch.DONE)]
    run_dir = tmp_path / "reports" / ".run"
    run_dir.mkdir(parents=True)
    outcome = stage._publish_overview(paths, clean, framework, "cqc-kloe-2017", PERIOD, done, options, run_dir, None)
    assert outcome is not None and outcome.status == batch.DONE, outcome
    folder = paths.overview_dir(PERIOD)
    page = (folder / "provider-overview.html").read_text()
    assert "<title>NOT FOR PUBLICATION: Well-led provider overview, 2026-Q3 " in page
    assert json.loads((folder / "overview.json").read_text())["not_for_publication"] is True


def test_the_action_backlog_shows_no_age_for_a_home_with_nothing_overdue():
    from tests.test_batch import _summary

    late = _summary()
    late["actions"] = {"open": 1, "overdue": 1, "items": [{"is_overdue": True, "due_on": "2026-09-20"}]}
    homes = pd.DataFrame({"home_id": ["oak-house", "elm-grove"], "home_name": ["Oak House", "Elm Grove"], "region": ""})
    summaries = {"oak-house": late, "elm-grove": {**_summary(), "home_id": "elm-grove"}}
    few = overview.Overview(
        PERIOD, load_framework("cqc-kloe-2017"), homes, summaries, pd.DataFrame(), pd.DataFrame(), {}, {}, {}, {}, ""
    )
    backlog = overview.action_backlog(few).set_index("Home")["Oldest overdue (days)"]
    assert backlog["Oak House"] == 10 and backlog["All homes"] == 10
    assert pd.isna(backlog["Elm Grove"]), "no overdue action is not an action overdue for 0 days"
    shown = present_table(overview.action_backlog(few)).data
    assert "| Elm Grove | 0 | 0 | 0 | – |" in shown and "| Oak House | 1 | 1 | 0 | 10 |" in shown


def test_a_heat_map_of_many_homes_comes_in_parts_that_each_fit_a_page_and_show_every_home():
    """40 homes without a region were one map 14 inches tall: the PDF page cut off its first and last homes."""
    names = [f"Home {i:02d}" for i in range(40)]
    ratings = pd.DataFrame({"region": [""] * 30 + ["North"] * 10, "home_name": names, "W1": "Good", "overall": "Good"})
    shown = []
    for title, part in overview.heat_map_parts(ratings):
        chart = overview_charts.heat_map(part, [("W1", "Culture")], title)
        assert chart.figure.get_size_inches()[1] <= 8.5, (title, chart.figure.get_size_inches())
        shown += [tick.get_text().strip() for tick in chart.figure.axes[0].get_yticklabels()]
    assert sorted(name for name in shown if name.startswith("Home")) == names


@pytest.mark.slow  # the checked demo
def test_homes_all_outside_the_region_asked_for_are_bad_usage_not_an_empty_run(demo_data):
    clean = stage.clean_data(Paths(demo_data.data, demo_data.reports))
    assert batch.select_homes(clean, ["oak-house", "maple-view"], "Yorkshire") == ["maple-view"]
    with pytest.raises(UsageError, match=r"none of --homes is in region 'Yorkshire': oak-house \(North West\)"):
        batch.select_homes(clean, ["oak-house"], "Yorkshire")


def test_the_index_shows_a_name_with_a_right_to_left_override_in_its_own_order(tmp_path):
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    folder = paths.report_dir("birch-lodge", PERIOD)
    folder.mkdir(parents=True)
    (folder / "governance-report.html").write_text("x")
    (folder / "summary.json").write_text(json.dumps({"home_name": "\u202eBirch <Lodge>"}))
    page = index.write_index(paths).read_text()
    assert ">Birch &lt;Lodge&gt;</a>" in page and "\u202e" not in page


def test_reports_made_as_pdf_only_are_linked_from_the_overview_and_listed_in_the_index(tiny_data, clean, tmp_path):
    """`wellled reports --format pdf`: every report and the overview exist, as PDF; none may read as missing."""
    paths = Paths(tiny_data.data, tmp_path / "reports")
    _publish_summary(paths, clean, "oak-house", AnalysisParams())
    (paths.report_dir("oak-house", PERIOD) / "governance-report.pdf").write_bytes(b"%PDF-")
    paths.overview_dir(PERIOD).mkdir(parents=True)
    (paths.overview_dir(PERIOD) / "provider-overview.pdf").write_bytes(b"%PDF-")
    loaded = overview.load_overview(PERIOD, "cqc-kloe-2017", paths.data, paths.reports)
    assert loaded.links == {"oak-house": "../../oak-house/2026-Q3/governance-report.pdf"}
    assert (
        "- [Oak House](../../oak-house/2026-Q3/governance-report.pdf): Inadequate" in overview.report_links(loaded).data
    )
    page = index.write_index(paths).read_text()
    assert 'href="overview/2026-Q3/provider-overview.pdf"' in page
    assert 'href="oak-house/2026-Q3/governance-report.pdf">Oak House</a>' in page


def test_the_index_marks_the_reports_of_an_internal_review_not_for_publication(tmp_path):
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    for home, small in (("oak-house", True), ("elm-grove", False)):
        folder = paths.report_dir(home, PERIOD)
        folder.mkdir(parents=True)
        (folder / "governance-report.html").write_text("x")
        name = home.replace("-", " ").title()
        (folder / "summary.json").write_text(json.dumps({"home_name": name, "not_for_publication": small}))
    paths.overview_dir(PERIOD).mkdir(parents=True)
    (paths.overview_dir(PERIOD) / "provider-overview.html").write_text("x")
    (paths.overview_dir(PERIOD) / "overview.json").write_text(json.dumps({"not_for_publication": True}))
    page = index.write_index(paths).read_text()
    assert ">Provider overview (NOT FOR PUBLICATION)</a>" in page
    assert ">Oak House (NOT FOR PUBLICATION)</a>" in page and ">Elm Grove</a>" in page


@pytest.mark.slow  # the checked demo
def test_a_home_named_outside_the_limits_is_drawn_outside_the_lines(demo_data):
    """Birch Lodge is below the others in its own report; the overview named it below but drew it well inside
    the 99.8% lines (48.5% against a lower line at 38.9%): lines around every home, the outlier included."""
    clean = stage.clean_data(Paths(demo_data.data, demo_data.reports))
    every = _overview_of(clean, sorted(clean.homes["home_id"]))
    named = 0
    for theme in every.framework.themes:
        limits, homes = overview.funnel_data(every, theme.id)
        for home in homes[homes["funnel"].isin(["above", "below"])].itertuples(index=False):
            lower = np.interp(home.valid, limits["valid"], limits["lower998_pct"])
            upper = np.interp(home.valid, limits["valid"], limits["upper998_pct"])
            drawn = "below" if home.positive_pct < lower else "above" if home.positive_pct > upper else "within"
            assert drawn == home.funnel, (theme.id, home.home_name, home.positive_pct, lower, upper)
            named += 1
    assert named, "no home outside the limits: nothing was checked"


@pytest.mark.parametrize("framework", ["cqc-kloe-2017", "cqc-saf-2024"])
def test_heat_map_headers_and_words_stay_inside_the_figure_and_their_cells(framework):
    """The 2024 framework has 8 themes: its headers ran off the top and over each other, and "Outstanding"
    overflowed its cell."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    themes = [(theme.id, theme.label) for theme in load_framework(framework).themes]
    row = {theme_id: "Outstanding" for theme_id, _ in themes} | {"overall": "Requires improvement"}
    ratings = pd.DataFrame([{"region": "North", "home_name": "Oak House", **row}])
    chart = overview_charts.heat_map(ratings, themes, "All homes")
    renderer = FigureCanvasAgg(chart.figure).get_renderer()
    ax, page = chart.figure.axes[0], chart.figure.bbox
    cell = ax.transData.transform((1, 0))[0] - ax.transData.transform((0, 0))[0]
    headers = [tick.get_window_extent(renderer) for tick in ax.get_xticklabels()]
    assert all(box.y1 <= page.y1 and box.x0 >= page.x0 and box.x1 <= page.x1 for box in headers)
    assert all(left.x1 <= right.x0 for left, right in itertools.pairwise(headers)), "headers overlap"
    words = [text.get_window_extent(renderer) for text in ax.texts]
    assert words and all(box.width <= cell for box in words), (cell, [box.width for box in words])


def _namesakes() -> overview.Overview:
    """Two "Oak House" in one region (one with an overdue high-priority action), one "oak  house" without a
    report, and an Elm Grove whose name is its own."""
    from tests.test_batch import _summary

    homes = pd.DataFrame(
        {
            "home_id": ["elm-grove", "oak-house", "oak-house-2", "oak-house-3"],
            "home_name": ["Elm Grove", "Oak House", "Oak House", "oak  house"],
            "region": "North",
        }
    )
    late = _summary()
    late["actions"] = {
        "open": 1,
        "overdue": 1,
        "overdue_high_priority": 1,
        "items": [{"is_overdue": True, "priority": "high", "due_on": "2026-09-20"}],
    }
    summaries = {"elm-grove": _summary(), "oak-house": late, "oak-house-2": _summary()}
    missing = pd.DataFrame(
        [("oak-house-3", "oak  house", "North", "no report for this quarter yet")],
        columns=["home_id", "home_name", "region", "reason"],
    )
    rows = [(home, 40.0 + 20 * i, 20 * i, "within") for i, home in enumerate(["elm-grove", "oak-house", "oak-house-2"])]
    figures = pd.DataFrame(rows, columns=["home_id", "valid", "positive", "funnel"]).assign(
        period=PERIOD, theme_id="W1", suppressed=False, positive_pct=lambda f: 100 * f["positive"] / f["valid"]
    )
    links = {home: f"../../{home}/{PERIOD}/governance-report.html" for home in summaries}
    return overview.Overview(
        PERIOD, load_framework("cqc-kloe-2017"), homes, summaries, missing, figures, {}, {}, {}, links, ""
    )


def test_homes_of_one_name_are_told_apart_by_their_id_in_every_table_and_link_of_the_overview():
    few = _namesakes()
    apart = ["Oak House (oak-house)", "Oak House (oak-house-2)"]
    assert overview.ratings_table(few)["Home"].tolist() == ["Elm Grove", *apart]
    assert overview.action_backlog(few)["Home"].tolist() == ["Elm Grove", *apart, "All homes"]
    assert overview.data_quality(few)["Home"].tolist() == ["Elm Grove", *apart, "oak  house (oak-house-3)"]
    assert overview.missing_reports(few)["Home"].tolist() == ["oak  house (oak-house-3)"]
    assert overview.look_first(few)["Home"].tolist() == ["Oak House (oak-house)"]
    assert sorted(overview.funnel_data(few, "W1")[1]["home_name"]) == ["Elm Grove", *apart]
    shown = present_table(overview.ratings_table(few)).data
    assert r"| North | Oak House \(oak\-house\) | Good |" in shown and "| North | Elm Grove | Good |" in shown
    links = overview.report_links(few).data
    assert r"- [Oak House \(oak\-house\-2\)](../../oak-house-2/2026-Q3/governance-report.html): Good" in links
    assert r"- oak house \(oak\-house\-3\): no report for this quarter" in links
    assert "- [Elm Grove](../../elm-grove/" in links
    data = overview.overview_json(few)
    assert [h["home_name"] for h in data["homes"]] == ["Elm Grove", "Oak House", "Oak House"], "machine-readable"


def test_the_heat_map_labels_homes_of_one_name_apart_with_their_id_whole_even_when_the_name_is_cut():
    long = "Barchester Healthcare - Ashgrove Care Home and Nursing Centre"
    few = _namesakes()
    few = dataclasses.replace(few, homes=few.homes.assign(home_name=[long, long, long, "Elm"]))
    chart = overview_charts.heat_map(overview.home_ratings(few), [("W1", "Culture")], "All homes")
    labels = [tick.get_text() for tick in chart.figure.axes[0].get_yticklabels()]
    assert labels[0] == "North" and len(set(labels)) == 4, labels
    assert [label.split("\n")[-1].strip() for label in labels[1:]] == [
        "(elm-grove)",
        "(oak-house)",
        "(oak-house-2)",
    ], labels
    assert all(len(line.strip()) <= 24 for label in labels for line in label.split("\n")), labels
    ids = [f"(barchester-healthcare-ashgrove-{n})" for n in ("north", "south")]  # longer than a line: its ends
    cut = overview_charts.labels([long, long], 20, ids)
    assert len(set(cut)) == 2 and all(label.endswith(i[-7:]) for i, label in zip(ids, cut, strict=True)), cut
    assert all(len(line) <= 20 for label in cut for line in label.split("\n")), cut
    assert overview_charts.labels([long, long], 20, ["(a-house-1)", "(a-house-2)"])[1].endswith("(a-house-2)")
    middle = [f"(barchester-{n}-healthcare-ashgrove)" for n in (1, 2)]  # apart only where a cut id has its "…"
    assert [label.split("\n")[1] for label in overview_charts.labels([long, long], 20, middle)] == middle


def test_the_index_tells_reports_of_homes_of_one_name_apart_in_every_quarter(tmp_path):
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    for home, name, period in [
        ("oak-house", "Oak House", PERIOD),
        ("oak-house-2", "Oak House", PERIOD),
        ("oak-house", "Oak House", "2026-Q2"),
        ("elm-grove", "Elm <Grove>", PERIOD),
    ]:
        folder = paths.report_dir(home, period)
        folder.mkdir(parents=True)
        (folder / "governance-report.html").write_text("x")
        (folder / "summary.json").write_text(json.dumps({"home_name": name}))
    page = index.write_index(paths).read_text()
    assert page.count(">Oak House (oak-house)</a>") == 2 and page.count(">Oak House (oak-house-2)</a>") == 1
    assert ">Elm &lt;Grove&gt;</a>" in page and ">Oak House</a>" not in page
