"""`wellled summary` end to end on the demo data, with figures recomputed independently from the clean Parquet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from wellled import cli
from wellled.analysis.clean_data import load_clean
from wellled.analysis.summary import build_summary
from wellled.paths import Paths

pytestmark = pytest.mark.slow  # the whole demo data, generated and checked

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "summary-schema.json").read_text(encoding="utf-8"))
PERIOD = "2026-Q3"


@pytest.fixture(scope="module")
def clean(demo_data):
    return load_clean(Paths(demo_data.data, demo_data.reports))


@pytest.fixture(scope="module")
def summaries(clean) -> dict[str, dict]:
    return {home: build_summary(clean, home) for home in clean.homes["home_id"]}


def survey_by_hand(demo_data, home: str, kloe: str, group: str | None = None) -> tuple[int, int, int]:
    """(positive, valid, respondents) for one home, KLOE and quarter, straight from the Parquet files."""
    answers = demo_data.table("answers")
    questions = demo_data.table("questions")
    rows = answers.merge(questions[["question_id", "kloe", "reverse_scored"]], on="question_id")
    rows = rows[(rows["home_id"] == home) & (rows["period"] == PERIOD) & (rows["kloe"] == kloe)]
    if group:
        rows = rows[rows["respondent_group"] == group]
    rows = rows[rows["score"].notna()]
    score = rows["score"].astype(int).where(~rows["reverse_scored"], 6 - rows["score"].astype(int))
    return int((score >= 4).sum()), len(rows), rows["response_id"].nunique()


def test_every_demo_summary_matches_the_schema(summaries, clean):
    assert set(summaries) == set(clean.homes["home_id"]) and len(summaries) == 6
    for summary in summaries.values():
        jsonschema.validate(summary, SCHEMA)
        assert summary["period"] == PERIOD
        assert [t["id"] for t in summary["themes"]] == ["W1", "W2", "W3", "W4", "W5"]
    jsonschema.validate(build_summary(clean, "birch-lodge", framework="cqc-saf-2024"), SCHEMA)


def test_oak_house_survey_figures_by_hand(demo_data, summaries):
    for theme in summaries["oak-house"]["themes"]:
        positive, valid, respondents = survey_by_hand(demo_data, "oak-house", theme["id"])
        survey = theme["survey"]
        assert (survey["positive"], survey["valid"], survey["respondents"]) == (positive, valid, respondents)
        assert survey["positive_pct"] == round(100 * positive / valid, 1)
        staff = next(g for g in survey["by_group"] if g["respondent_group"] == "staff")
        assert (staff["positive"], staff["valid"]) == survey_by_hand(demo_data, "oak-house", theme["id"], "staff")[:2]


def test_audit_compliance_and_group_benchmark_by_hand(demo_data, summaries):
    audits = demo_data.table("audits")
    rows = audits[(audits["home_id"] == "birch-lodge") & (audits["period"] == PERIOD) & (audits["kloe"] == "W2")]
    counts = rows["result"].value_counts()
    met, partial, not_met = (int(counts.get(r, 0)) for r in ("Met", "Partially met", "Not met"))
    w2 = summaries["birch-lodge"]["themes"][1]
    assert w2["audit"]["compliance_pct"] == round(100 * (met + 0.5 * partial) / (met + partial + not_met), 1)
    pooled = [survey_by_hand(demo_data, home, "W2") for home in summaries if home != "birch-lodge"]
    expected = 100 * sum(p for p, _, _ in pooled) / sum(v for _, v, _ in pooled)
    assert w2["benchmark"]["group_positive_pct"] == round(expected, 1)


def test_elm_grove_small_family_sample_is_never_shown_alone(demo_data, summaries):
    responses = demo_data.table("responses")
    family = responses[
        (responses["home_id"] == "elm-grove")
        & (responses["period"] == PERIOD)
        & (responses["respondent_group"] == "family")
    ]
    assert 0 < len(family) < 5
    summary = summaries["elm-grove"]
    # the family questionnaires are shown only combined with another group ("family and professional"), or hidden
    for theme in summary["themes"]:
        for group in theme["survey"]["by_group"]:
            if "family" in group["respondent_group"] and not group["suppressed"]:
                assert "family" in group["combined_from"] and group["respondents"] >= 5
    assert "family" not in summary["response_rates"]
    combined = [r for r in summary["response_rates"].values() if "family" in r.get("combined_from", [])]
    assert len(combined) == 1 and (combined[0]["suppressed"] or combined[0]["responses"] >= 5)
    assert summary["disclosure"]["groups_combined"] >= 1
    assert all(c["respondent_group"] != "family" for c in summary["comments"])


def test_repeat_findings_by_hand(demo_data, summaries):
    audits = demo_data.table("audits")
    rows = audits[audits["home_id"] == "birch-lodge"].sort_values(["item_id", "audit_date"])
    previous = rows.groupby("item_id")["result"].shift(1)
    repeat = rows[(rows["period"] == PERIOD) & (rows["result"] == "Not met") & (previous == "Not met")]
    expected = sorted(set(repeat["item_id"]))
    assert expected, "the demo's declining home should have a repeat finding"
    assert [r["item_id"] for r in summaries["birch-lodge"]["repeat_findings"]] == expected


def test_comments_are_redacted_and_kept_as_text(demo_data, summaries):
    names = [n.strip() for n in (demo_data.data / "raw" / "redact-names.txt").read_text().splitlines() if n.strip()]
    texts = [c["text"] for s in summaries.values() for c in s["comments"]]
    assert texts and not any("@" in t for t in texts)
    assert any("[email removed]" in t for t in texts)
    assert not any(name.lower() in t.lower() for t in texts for name in names)
    assert any("<script>" in t for t in texts)  # markup survives as literal text for the renderer to escape


def test_summary_carries_only_comments_of_shown_groups_each_once(demo_data, summaries):
    responses = demo_data.table("responses")
    repeated = 0
    for home, summary in summaries.items():
        mine = responses[(responses["home_id"] == home) & (responses["period"] == summary["period"])]
        sizes = mine["respondent_group"].value_counts()
        assert all(sizes[c["respondent_group"]] >= 5 for c in summary["comments"]), home
        pairs = [(c["respondent_group"], c["text"]) for c in summary["comments"]]
        assert len(pairs) == len(set(pairs)), f"{home}: a comment repeated"
        said = mine.loc[mine["respondent_group"].map(sizes).ge(5), ["respondent_group", "comment"]].dropna()
        repeated += int(said.duplicated().sum())
    assert repeated, "no home had a comment written twice: nothing was checked"


def test_cli_end_to_end(demo_data, capsys):
    done = subprocess.run(
        [sys.executable, "-m", "wellled.cli", "summary", "elm-grove", "--period", PERIOD, "--framework",
         "cqc-saf-2024", "--data", str(demo_data.data)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["framework"]["id"] == "cqc-saf-2024"
    # the usage errors through the CLI's entry point in this process
    assert cli.main(["summary", "nowhere", "--data", str(demo_data.data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wellled: unknown home 'nowhere'; known homes:") and "oak-house" in err
    assert cli.main(["summary", "oak-house", "--period", "2019-Q1", "--data", str(demo_data.data)]) == 2
