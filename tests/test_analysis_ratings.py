"""Indicative ratings: thresholds, the overdue-action cap, and each of CQC's aggregation rules."""

from __future__ import annotations

import math

import pytest

from wellled.analysis.ratings import RatingThresholds, cap_rating, overall_rating, rate_score
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
