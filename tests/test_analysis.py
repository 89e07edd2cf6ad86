"""Survey and audit figures: reverse scoring, non-answers, suppression at 4 and 5, audits (groups: test_suppression).

Every expectation is worked out by hand in a comment beside it.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from wellled.analysis.framework import load_framework
from wellled.analysis.themes import AnalysisParams, audit_figures, group_figures, scored_answers, survey_figures
from wellled.errors import UsageError

KLOE = load_framework("cqc-kloe-2017")
SAF = load_framework("cqc-saf-2024")
QUESTIONS = pd.DataFrame(
    {
        "question_id": ["q1", "q2", "q3"],
        "text": ["Leaders are visible.", "I would be afraid to speak up.", "Records are accurate."],
        "kloe": ["W1", "W1", "W2"],
        "respondent_groups": ["staff;family", "staff;family", "staff"],
        "reverse_scored": [False, True, False],
        "quality_statement": pd.array(
            ["capable-compassionate-inclusive-leaders", "freedom-to-speak-up", None], "string"
        ),
    }
)


def answers(rows) -> pd.DataFrame:
    """Long answers from (response_id, group, {question: score}) for home h-a in 2026-Q3."""
    records = [
        {
            "response_id": rid,
            "home_id": "h-a",
            "respondent_group": group,
            "period": "2026-Q3",
            "question_id": question,
            "score": score,
        }
        for rid, group, scores in rows
        for question, score in scores.items()
    ]
    frame = pd.DataFrame(records)
    frame["score"] = frame["score"].astype("Int8")
    return frame


# Six staff questionnaires on W1 (q1 plain, q2 reverse-scored):
#   s1: q1 5 (+), q2 1 -> 5 (+)    s2: q1 4 (+), q2 2 -> 4 (+)    s3: q1 3, q2 non-answer
#   s4: q1 2, q2 4 -> 2            s5: q1 5 (+), q2 5 -> 1          s6: both non-answers (not a respondent)
# valid = 2 + 2 + 1 + 2 + 2 = 9; positive = 2 + 2 + 0 + 0 + 1 = 5; respondents = 5 (s1..s5)
STAFF = [
    ("s1", "staff", {"q1": 5, "q2": 1}),
    ("s2", "staff", {"q1": 4, "q2": 2}),
    ("s3", "staff", {"q1": 3, "q2": None}),
    ("s4", "staff", {"q1": 2, "q2": 4}),
    ("s5", "staff", {"q1": 5, "q2": 5}),
    ("s6", "staff", {"q1": None, "q2": None}),
]


def test_scored_answers_reverse_scores_and_drops_non_answers():
    scored = scored_answers(answers(STAFF), QUESTIONS, KLOE)
    assert len(scored) == 9
    s1 = scored[scored["response_id"] == "s1"].set_index("question_id")
    assert s1.loc["q2", "score"] == 5 and bool(s1.loc["q2", "is_positive"])
    s5 = scored[scored["response_id"] == "s5"].set_index("question_id")
    assert s5.loc["q2", "score"] == 1 and not s5.loc["q2", "is_positive"]
    assert "s6" not in set(scored["response_id"])


def test_survey_figures_by_hand_at_five_respondents():
    row = survey_figures(scored_answers(answers(STAFF), QUESTIONS, KLOE)).iloc[0]
    assert (row.theme_id, row.positive, row.valid, row.respondents) == ("W1", 5, 9, 5)
    assert row.positive_pct == pytest.approx(100 * 5 / 9)
    # Wilson on 5/9: centre = (0.5556 + 0.2134) / 1.4268 = 0.5390; half = 1.96 * sqrt(0.02743 + 0.01186) / 1.4268
    assert (row.ci95_low_pct, row.ci95_high_pct) == pytest.approx((26.67, 81.12), abs=0.01)
    assert not row.suppressed


def test_four_respondents_are_suppressed():
    four = [row for row in STAFF if row[0] != "s5"]  # s1..s4 answer: 4 respondents
    row = survey_figures(scored_answers(answers(four), QUESTIONS, KLOE)).iloc[0]
    assert row.suppressed
    assert all(pd.isna(row[c]) for c in ("positive", "valid", "respondents", "positive_pct", "ci95_low_pct"))


def test_min_respondents_is_configurable():
    scored = scored_answers(answers(STAFF), QUESTIONS, KLOE)
    assert survey_figures(scored, AnalysisParams(min_respondents=6)).iloc[0].suppressed
    assert not survey_figures(scored, AnalysisParams(min_respondents=3, allow_small_numbers=True)).iloc[0].suppressed
    with pytest.raises(UsageError, match="min_respondents"):
        AnalysisParams(min_respondents=0)


def test_survey_pools_groups_and_themes_follow_the_framework():
    family = [("f1", "family", {"q1": 4, "q2": 4})]  # q1 positive, q2 -> 2 not positive
    scored = scored_answers(answers(STAFF + family), QUESTIONS, SAF)
    figures = survey_figures(scored, AnalysisParams(min_respondents=1, allow_small_numbers=True)).set_index("theme_id")
    # capable...leaders (q1): staff 5, 4, 3, 2, 5 -> 3 of 5 positive; family 4 -> positive: 4 of 6
    assert figures.loc["capable-compassionate-inclusive-leaders", ["positive", "valid", "respondents"]].tolist() == [
        4,
        6,
        6,
    ]
    # freedom-to-speak-up (q2 reversed): staff 5, 4, 2, 1 -> 2 of 4; family 2 -> 2 of 5
    assert figures.loc["freedom-to-speak-up", ["positive", "valid", "respondents"]].tolist() == [2, 5, 5]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5) | st.none(), st.booleans()), min_size=1, max_size=40))
@example([(5, 1, True)])  # every answer positive (q2 is reverse scored): 100 %
@example([(1, 5, False), (2, 4, True)])  # none positive: 0 %
@example([(3, None, True)] * 40)  # neutral answers and missing ones, at the largest size drawn
def test_percentages_stay_within_0_and_100(rows):
    bank = pd.DataFrame({"question_id": ["q1", "q2"], "kloe": ["W1", "W1"], "reverse_scored": [False, True]})
    frame = answers(
        [(f"r{i}", "staff" if staff else "family", {"q1": a, "q2": b}) for i, (a, b, staff) in enumerate(rows)]
    )
    scored = scored_answers(frame, bank, KLOE)
    for figures in (
        survey_figures(scored, AnalysisParams(min_respondents=1, allow_small_numbers=True)),
        group_figures(scored, AnalysisParams(min_respondents=1, allow_small_numbers=True)),
    ):
        shown = figures[~figures["suppressed"]]
        assert shown["positive_pct"].between(0, 100).all()
        assert (shown["ci95_low_pct"] <= shown["positive_pct"]).all()
        assert (shown["positive_pct"] <= shown["ci95_high_pct"]).all()


AUDITS = pd.DataFrame(
    {
        "audit_id": "a1",
        "home_id": "h-a",
        "period": "2026-Q3",
        "item_id": [f"i{n}" for n in range(8)],
        "kloe": ["W2"] * 6 + ["W4"] * 2,
        "quality_statement": pd.array([None] * 5 + ["capable-compassionate-inclusive-leaders", None, None], "string"),
        "result": ["Met", "Met", "Met", "Partially met", "Not met", "N/A", "N/A", "N/A"],
    }
)


def test_audit_compliance_by_hand():
    figures = audit_figures(AUDITS, KLOE).set_index("theme_id")
    # W2: met 3, partially 1, not met 1, N/A 1 -> (3 + 0.5) / 5 = 70 %
    assert figures.loc["W2", ["items", "met", "partially_met", "not_met", "not_applicable"]].tolist() == [6, 3, 1, 1, 1]
    assert figures.loc["W2", "compliance_pct"] == pytest.approx(70.0)
    # W4: only N/A -> no figure
    assert pd.isna(figures.loc["W4", "compliance_pct"])


def test_audit_items_follow_their_statement_then_the_kloe_fallback():
    figures = audit_figures(AUDITS, SAF).set_index("theme_id")
    # i0..i4 fall back W2 -> governance (met 3, partially 1, not met 1); i5 names the leaders statement
    assert figures.loc["governance-management-sustainability", "compliance_pct"] == pytest.approx(70.0)
    assert figures.loc["capable-compassionate-inclusive-leaders", "items"] == 1
    assert figures.loc["learning-improvement-innovation", "not_applicable"] == 2
