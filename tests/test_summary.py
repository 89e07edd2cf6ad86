"""build_summary and `wellled summary` on small inline data: shape, schema, defaults, errors and exit codes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from tests.clean_tables import clean_frame
from wellled.analysis.clean_data import CleanData, load_clean
from wellled.analysis.scope import home_periods
from wellled.analysis.summary import build_summary
from wellled.analysis.themes import AnalysisParams
from wellled.check import clean_schema
from wellled.cli import main
from wellled.errors import UsageError
from wellled.paths import Paths

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "summary-schema.json").read_text(encoding="utf-8"))
HOMES = clean_frame(
    "homes",
    {
        "home_id": pd.array(["h-a", "h-b", "h-c"], "string"),
        "home_name": pd.array(["Home A", "Home B", "Home C"], "string"),
        "beds": pd.array([40, 30, 10], "Int64"),
        "staff_headcount": pd.array([20, 40, 8], "Int64"),
        "region": pd.array([None] * 3, "string"),
        "cqc_location_id": pd.array([None] * 3, "string"),
        "residents": pd.array([36, None, None], "Int64"),
    },
)
QUESTIONS = clean_frame(
    "questions",
    {
        "question_id": ["q1", "q2", "q3"],
        "text": ["Leaders are visible.", "I fear speaking up.", "Records are right."],
        "kloe": ["W1", "W1", "W2"],
        "respondent_groups": ["staff;family", "staff;family", "staff"],
        "reverse_scored": [False, True, False],
        "quality_statement": pd.array(
            ["capable-compassionate-inclusive-leaders", "freedom-to-speak-up", None], "string"
        ),
    },
)


def questionnaires(home, period, group, count, scores, comment=None, start=0):
    """``count`` questionnaires each giving ``scores`` (question -> score); returns (responses, answers) rows."""
    responses, answers = [], []
    for i in range(start, start + count):
        response_id = f"{home}-{period}-{group}-{i}"
        year, quarter = int(period[:4]), int(period[-1])
        responses.append(
            {
                "response_id": response_id,
                "home_id": home,
                "respondent_group": group,
                "submitted_on": pd.Timestamp(year, 3 * quarter - 1, 10),
                "period": period,
                "comment": comment,
                "source_file": "s.csv",
                "source_line": i + 2,
            }
        )
        answers += [
            {
                "response_id": response_id,
                "home_id": home,
                "respondent_group": group,
                "period": period,
                "question_id": q,
                "score": s,
            }
            for q, s in scores.items()
        ]
    return responses, answers


def build_world() -> CleanData:
    parts = [
        # h-a, 2026-Q2: 6 staff, q1 = 4 (positive), q2 = 4 (reversed -> 2, not positive)
        questionnaires("h-a", "2026-Q2", "staff", 6, {"q1": 4, "q2": 4}),
        # h-a, 2026-Q3: 8 staff as below, 6 more staff with a non-answer on q2, 3 family
        questionnaires(
            "h-a",
            "2026-Q3",
            "staff",
            8,
            {"q1": 5, "q2": 1, "q3": 2},
            comment="The manager listens. Ring 07700 900123 or mail boss@home.org, Doreen says.",
        ),
        questionnaires("h-a", "2026-Q3", "staff", 6, {"q1": 2, "q2": None, "q3": 4}, start=8),
        questionnaires("h-a", "2026-Q3", "family", 3, {"q1": 5, "q2": 5}, comment="Lovely family room"),
        # h-b, 2026-Q3: 10 staff
        questionnaires("h-b", "2026-Q3", "staff", 10, {"q1": 4, "q2": 2, "q3": 1}),
    ]
    responses = clean_frame("responses", [r for rows, _ in parts for r in rows])
    answers = clean_frame("answers", [a for _, rows in parts for a in rows])
    audits = clean_frame(
        "audits",
        [
            {
                "audit_id": "A1",
                "home_id": "h-a",
                "audit_date": pd.Timestamp("2026-08-01"),
                "period": "2026-Q3",
                "kloe": kloe,
                "item_id": item,
                "item": f"Item {item}",
                "result": result,
                "action": action,
                "action_owner": "Deputy" if action else None,
                "priority": priority,
                "action_due": pd.Timestamp(due) if due else pd.NaT,
                "action_closed": pd.NaT,
                "quality_statement": statement,
                "source_file": "a.csv",
                "source_line": 2,
            }
            for kloe, item, result, action, priority, due, statement in [
                ("W2", "W2-01", "Met", None, None, None, None),
                ("W2", "W2-02", "Not met", "Fix <records>", "high", "2026-08-31", None),
                ("W1", "W1-01", "Partially met", "Team talk", "low", "2026-10-31", "workforce-edi"),
            ]
        ],
    )
    # h-b also audited in 2026-Q4 (audits only)
    later = audits.iloc[[0]].assign(
        home_id="h-b", audit_id="B1", audit_date=pd.Timestamp("2026-10-05"), period="2026-Q4"
    )
    audits = clean_frame("audits", pd.concat([audits, later], ignore_index=True))
    return CleanData(HOMES, QUESTIONS, responses, answers, audits, {"answers.parquet": "ab" * 32}, ("Doreen",))


WORLD = build_world()


@pytest.fixture(scope="module")
def summary() -> dict:
    return build_summary(WORLD, "h-a", "2026-Q3")


def test_summary_matches_the_schema_for_both_frameworks(summary):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(summary, SCHEMA)
    jsonschema.validate(build_summary(WORLD, "h-a", framework="cqc-saf-2024"), SCHEMA)
    json.dumps(summary, allow_nan=False)


def test_schema_rejects_a_wrong_shape(summary):
    broken = json.loads(json.dumps(summary))
    broken["themes"][0]["survey"]["positive_pct"] = 140
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_header(summary):
    assert (summary["schema_version"], summary["home_id"], summary["home_name"], summary["period"]) == (
        1,
        "h-a",
        "Home A",
        "2026-Q3",
    )
    assert summary["framework"]["id"] == "cqc-kloe-2017"
    assert summary["inputs"] == [{"name": "answers.parquet", "sha256": "ab" * 32}]
    assert "Only CQC rates" in summary["notice"]


def test_theme_w1_by_hand(summary):
    w1 = summary["themes"][0]
    # staff 1-8: q1 5 (+), q2 1 -> 5 (+); staff 9-14: q1 2, q2 non-answer; family 1-3: q1 5 (+), q2 5 -> 1
    # positive = 16 + 0 + 3 = 19; valid = 16 + 6 + 6 = 28; respondents = 17
    assert (w1["id"], w1["label"]) == ("W1", "Culture")
    survey = w1["survey"]
    assert (survey["positive"], survey["valid"], survey["respondents"]) == (19, 28, 17)
    # Wilson: centre (0.67857 + 0.06860) / 1.13720 = 0.65703; half 1.96 * sqrt(0.0077898 + 0.0012250) / 1.13720
    # = 0.16364 -> 49.3 .. 82.1
    assert survey["positive_pct"] == 67.9 and survey["ci95"] == [49.3, 82.1]
    # family (3) is suppressed, and staff (14), the only other group, with it
    assert [(g["respondent_group"], g["suppression"], g["positive"]) for g in survey["by_group"]] == [
        ("staff", "secondary", None),
        ("family", "primary", None),
    ]
    # audit W1-01 partially met: 50 % from 1 item (weight 0.2); survey weight min(28/30, 17/10) = 0.9333;
    # score (0.9333 x 67.857 + 0.2 x 50) / 1.1333 = 64.7 -> Requires improvement (a plain mean gave 58.9)
    assert w1["audit"]["compliance_pct"] == 50.0
    assert (w1["score"], w1["rating"], w1["rating_capped"]) == (64.7, "Requires improvement", False)
    assert w1["weights"] == {"survey": 0.933, "audit": 0.2}
    # 28 answers (< 30): limited evidence, and the rating says so
    assert w1["evidence"] == {
        "level": "limited",
        "valid_answers": 28,
        "questionnaires": 17,
        "respondent_groups": 2,
        "audit_items": 1,
        "words": "Limited evidence: 28 answers from 17 questionnaires and 1 audit item",
    }
    assert w1["rating_words"] == "Limited evidence: indicative Requires improvement"
    low, high = w1["score_ci95"]
    assert low < 60 < 64.7 < high and w1["rating_range"]["words"].startswith("between Inadequate and ")


def test_theme_w2_capped_and_change(summary):
    w2 = summary["themes"][1]
    # q3 is asked of staff only, and staff are hidden in every theme to protect W1's 3 family questionnaires:
    # W2's total would be the staff figure itself (14 questionnaires, and with the quarter's counts it narrows
    # the family's), so the total is hidden too. Score from the audit alone: 1 Met, 1 Not met -> 50 %
    assert w2["survey"]["suppressed"] and [g["suppression"] for g in w2["survey"]["by_group"]] == ["secondary"]
    assert (w2["survey"]["positive_pct"], w2["audit"]["compliance_pct"], w2["score"]) == (None, 50.0, 50.0)
    assert w2["overdue_high_priority_actions"] == 1 and w2["rating"] == "Inadequate" and not w2["rating_capped"]
    w1 = summary["themes"][0]
    # 2026-Q2 W1: 6 staff, q1 positive, q2 not: 6 / 12 = 50 %; now 19 / 28: +17.9 points
    assert w1["change"]["previous_period"] == "2026-Q2" and w1["change"]["previous_positive_pct"] == 50.0
    assert w1["change"]["change_pct_points"] == 17.9
    assert w1["change"]["direction"] == "no significant change"
    assert [point["period"] for point in w1["trend"]] == ["2026-Q2", "2026-Q3"]
    assert summary["themes"][2]["change"]["direction"] is None


def test_benchmark_in_summary(summary):
    # the other homes in 2026-Q3 W1: h-b only (q1 4 +, q2 2 -> 4 +): 20 / 20 = 100 %; h-a itself is left out
    bench = summary["themes"][0]["benchmark"]
    assert bench["group_positive_pct"] == 100.0 and bench["group_valid"] == 20 and bench["pool_homes"] == 1
    # one other home is fewer than the 5 a funnel needs: no position, and the summary says why
    assert (bench["funnel"], bench["funnel_lower_pct"], bench["funnel_upper_pct"]) == (None, None, None)
    assert bench["adjustment"].startswith("no funnel: fewer than 5 other homes")


def test_overall_actions_rates_and_comments(summary):
    # one theme Inadequate (W2), and three of five with no evidence at all: insufficient evidence overall
    assert summary["overall_rating"] == "Insufficient evidence"
    actions = summary["actions"]
    assert (actions["open"], actions["overdue"], actions["overdue_high_priority"]) == (2, 1, 1)
    assert [a["item_id"] for a in actions["items"]] == ["W2-02", "W1-01"]
    assert actions["items"][0]["action"] == "Fix <records>"
    assert actions["items"][1]["theme_id"] == "W1"
    rates = summary["response_rates"]
    # staff (14 of 20) is hidden with family (3): the theme total of 17 would otherwise give family's 3
    assert rates["staff"]["suppressed"] and rates["staff"]["responses"] is None and rates["staff"]["rate_pct"] is None
    assert rates["resident"]["responses"] == 0 and rates["resident"]["rate_pct"] == 0.0  # 0 / 36 residents
    assert rates["family"]["suppressed"]
    texts = {c["text"] for c in summary["comments"]}
    assert texts == {"The manager listens. Ring [phone removed] or mail [email removed], [name removed] says."}
    assert summary["comments"][0]["theme_ids"] == ["W1", "W3"]
    assert summary["comments"][0]["removed"] == ["email", "name", "phone"]
    assert len(summary["comments"]) == 1  # eight staff wrote the same words: once; family (3) withheld


def test_saf_framework_uses_statements_and_fallback():
    saf = build_summary(WORLD, "h-a", "2026-Q3", framework="cqc-saf-2024")
    themes = {t["id"]: t for t in saf["themes"]}
    assert len(themes) == 8
    assert themes["capable-compassionate-inclusive-leaders"]["survey"]["valid"] == 17  # q1 answers
    # q2 (reversed): staff 1-8 answer 1 -> 5 (+), staff 9-14 do not answer, family answer 5 -> 1: 8 of 11
    assert (themes["freedom-to-speak-up"]["survey"]["positive"], themes["freedom-to-speak-up"]["survey"]["valid"]) == (
        8,
        11,
    )
    assert themes["workforce-edi"]["audit"]["items"] == 1  # W1-01 names its statement
    assert themes["governance-management-sustainability"]["audit"]["items"] == 2  # W2 items fall back


def test_default_period_is_the_latest_with_data():
    assert home_periods(WORLD, "h-b") == ["2026-Q3", "2026-Q4"]
    latest = build_summary(WORLD, "h-b")
    assert latest["period"] == "2026-Q4"
    assert latest["themes"][0]["survey"]["valid"] is None and latest["themes"][0]["rating"] == "Insufficient evidence"


def test_trend_quarters_parameter():
    short = build_summary(WORLD, "h-a", "2026-Q3", params=AnalysisParams(trend_quarters=2))
    assert [p["period"] for p in short["themes"][0]["trend"]] == ["2026-Q2", "2026-Q3"]


@pytest.mark.parametrize(
    ("home", "period", "message"),
    [
        ("h-x", None, "unknown home 'h-x'; known homes: h-a, h-b, h-c"),
        ("h-c", None, "home 'h-c' has no questionnaires or audits"),
        ("h-a", "2025-Q1", "no data for h-a in 2025-Q1; quarters with data: 2026-Q2, 2026-Q3"),
        ("h-a", "2026-3", "not a calendar quarter"),
    ],
)
def test_errors_name_what_exists(home, period, message):
    with pytest.raises(UsageError, match=message):
        build_summary(WORLD, home, period)


def write_clean(data: Path, manifest: bool) -> Paths:
    paths = Paths(data, data.parent / "reports")
    paths.clean.mkdir(parents=True)
    paths.raw.mkdir(parents=True)
    for name in ("homes", "questions", "responses", "answers", "audits"):
        getattr(WORLD, name).to_parquet(paths.clean_table(name), index=False)
    if manifest:
        paths.manifest.write_text(
            json.dumps({"schema_version": clean_schema.SCHEMA_VERSION, "outputs": {"answers.parquet": "f" * 64}})
        )
    paths.redact_names_file.write_text("Doreen\n", encoding="utf-8")
    return paths


def test_cli_prints_the_summary(tmp_path, capsys):
    write_clean(tmp_path / "data", manifest=True)
    assert main(["summary", "h-a", "--data", str(tmp_path / "data"), "--period", "2026-Q3"]) == 0
    printed = json.loads(capsys.readouterr().out)
    jsonschema.validate(printed, SCHEMA)
    assert printed["themes"][0]["survey"]["positive"] == 19
    assert {i["name"]: i["sha256"] for i in printed["inputs"]}["answers.parquet"] == "f" * 64
    assert "[name removed]" in printed["comments"][0]["text"]


def test_cli_options_and_exit_codes(tmp_path, capsys):
    data = str(tmp_path / "data")
    write_clean(tmp_path / "data", manifest=False)
    assert (
        main(
            [
                "summary",
                "h-a",
                "--data",
                data,
                "--min-respondents",
                "3",
                "--allow-small-numbers",
                "--framework",
                "cqc-saf-2024",
            ]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["parameters"]["min_respondents"] == 3 and printed["framework"]["id"] == "cqc-saf-2024"
    assert printed["response_rates"]["family"]["responses"] == 3
    assert main(["summary", "nowhere", "--data", data]) == 2
    assert "unknown home 'nowhere'; known homes: h-a, h-b, h-c" in capsys.readouterr().err
    assert main(["summary", "h-a", "--data", data, "--period", "2020-Q1"]) == 2
    assert "quarters with data: 2026-Q2, 2026-Q3" in capsys.readouterr().err
    assert main(["summary", "h-a", "--data", data, "--min-respondents", "0"]) == 2
    assert main(["summary", "h-a", "--data", str(tmp_path / "empty")]) == 1
    assert "run `wellled check" in capsys.readouterr().err


def test_loader_computes_hashes_without_a_manifest(tmp_path):
    paths = write_clean(tmp_path / "data", manifest=False)
    clean = load_clean(paths)
    expected = hashlib.sha256(paths.clean_table("audits").read_bytes()).hexdigest()
    assert clean.input_sha256["audits.parquet"] == expected
    assert clean.redact_names == ("Doreen",)
