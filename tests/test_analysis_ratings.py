"""Indicative ratings: thresholds, the overdue-action cap, each aggregation rule, evidence and weights."""

from __future__ import annotations

import math

import pytest

from wellled.analysis.ratings import (
    EvidenceParams,
    RatingThresholds,
    cap_rating,
    evidence_level,
    overall_rating,
    rate_score,
    rating_range,
    source_weights,
)
from wellled.errors import UsageError

OUT, GOOD, RI, INAD, NONE = "Outstanding", "Good", "Requires improvement", "Inadequate", "Insufficient evidence"


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        (100, OUT),
        (90, OUT),
        (89.94, GOOD),
        (75, GOOD),
        (74.9, RI),
        (60, RI),
        (59.9, INAD),
        (0, INAD),
        (None, NONE),
        (math.nan, NONE),
    ],
)
def test_rating_thresholds(score, rating):
    assert rate_score(score) == rating


def test_scores_are_compared_as_shown_to_one_decimal():
    assert rate_score(74.96) == GOOD  # shown as 75.0
    assert rate_score(74.94) == RI  # shown as 74.9


def test_thresholds_are_configurable_and_validated():
    strict = RatingThresholds(outstanding_pct=95, good_pct=80, requires_improvement_pct=65)
    assert [rate_score(s, strict) for s in (94, 79, 64)] == [GOOD, RI, INAD]
    with pytest.raises(UsageError, match="must rise strictly"):
        RatingThresholds(outstanding_pct=70, good_pct=75)


def test_cap_is_at_most_requires_improvement():
    assert [cap_rating(r) for r in (OUT, GOOD, RI, INAD, NONE)] == [RI, RI, RI, INAD, NONE]


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([INAD, INAD, GOOD, GOOD, GOOD], INAD),  # two or more Inadequate
        ([INAD, INAD, NONE, NONE, NONE], INAD),  # ... even when evidence is missing: more could not raise it
        ([INAD, GOOD, GOOD, GOOD, GOOD], RI),  # one Inadequate
        ([RI, RI, OUT, OUT, OUT], RI),  # two or more Requires improvement
        ([OUT, OUT, GOOD, GOOD, GOOD], OUT),  # at least two Outstanding and the rest Good
        ([OUT, OUT, OUT, OUT, OUT], OUT),
        ([OUT, GOOD, GOOD, GOOD, GOOD], GOOD),  # only one Outstanding
        ([OUT, OUT, RI, GOOD, GOOD], GOOD),  # one Requires improvement stops Outstanding but Good allows it
        ([OUT, OUT, NONE, GOOD, GOOD], GOOD),  # insufficient evidence is not Good
        ([GOOD, GOOD, GOOD, GOOD, GOOD], GOOD),
        ([NONE, NONE, NONE, GOOD, GOOD], NONE),  # three or more with insufficient evidence
        ([NONE, NONE, NONE, RI, RI], NONE),
        ([NONE, NONE, RI, RI, GOOD], RI),
        ([], NONE),
    ],
)
def test_overall_rating_rules(ratings, expected):
    assert overall_rating(ratings) == expected


def test_overall_rating_for_eight_statements_and_its_limit():
    assert overall_rating([OUT, OUT, GOOD, GOOD, GOOD, GOOD, GOOD, NONE]) == GOOD
    assert overall_rating([GOOD] * 5 + [NONE] * 3) == NONE
    assert overall_rating([GOOD] * 5 + [NONE] * 3, insufficient_limit=4) == GOOD
    with pytest.raises(ValueError, match="unknown rating 'Fine'"):
        overall_rating(["Fine"])


@pytest.mark.parametrize(
    ("valid", "questionnaires", "audit_items", "level"),
    [
        (8, 3, 0, "limited"),  # 8 answers to one question from 3 questionnaires
        (29, 12, 0, "limited"),  # fewer than 30 answers
        (30, 9, 0, "limited"),  # fewer than 10 questionnaires
        (30, 10, 0, "sufficient"),
        (0, 0, 4, "limited"),  # audit evidence only, from fewer than 5 items
        (0, 0, 5, "sufficient"),
        (8, 3, 5, "sufficient"),  # thin survey, but enough audit items
        (0, 0, 0, "none"),
    ],
)
def test_evidence_thresholds(valid, questionnaires, audit_items, level):
    assert evidence_level(valid, questionnaires, audit_items) == level


def test_evidence_minimums_are_settings():
    strict = EvidenceParams(min_valid_answers=100, min_questionnaires=20, min_audit_items=10)
    assert evidence_level(60, 25, 0, strict) == "limited"
    assert source_weights(60, 25, 5, strict) == (0.6, 0.5)
    with pytest.raises(UsageError):
        EvidenceParams(min_audit_items=0)


def test_one_audit_item_cannot_outweigh_two_hundred_answers():
    # 200 answers from 70 questionnaires at 90 % (weight 1) and 1 audit item Not met, 0 % (weight 1/5):
    # score (90 + 0.2 x 0) / 1.2 = 75.0 (a plain mean would make it 45, Inadequate)
    survey, audit = source_weights(200, 70, 1)
    assert (survey, audit) == (1.0, 0.2)
    assert (survey * 90 + audit * 0) / (survey + audit) == pytest.approx(75.0)


def test_rating_range_from_the_interval_ends():
    assert rating_range(86.0, 93.0, RatingThresholds(), False) == {
        "low": "Good",
        "high": "Outstanding",
        "words": "between Good and Outstanding",
    }
    assert rating_range(76.0, 89.0, RatingThresholds(), False)["words"] == "Good"
    assert rating_range(None, None, RatingThresholds(), False)["words"] == "Insufficient evidence"
    # the overdue-action cap applies to both ends
    assert rating_range(80.0, 95.0, RatingThresholds(), True)["words"] == "Requires improvement"
