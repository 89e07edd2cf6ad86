"""Indicative ratings: a theme's score against thresholds, the overdue-action cap, and the overall rating.

Ratings are indicative only: CQC alone rates a service. Public API:

- :class:`RatingThresholds`: the score at or above which a theme is Outstanding, Good, Requires improvement.
- :func:`rate_score` ``(score, thresholds) -> str``; :func:`cap_rating` ``(rating) -> str``.
- :func:`overall_rating` ``(ratings, insufficient_limit=3) -> str``: wellled's rule, modelled on CQC's
  published aggregation of key questions.
- :class:`EvidenceParams`, :func:`source_weights`, :func:`evidence_level`: how much evidence a rating rests on.
- :func:`rating_range` ``(low, high, thresholds, capped) -> dict``: the ratings of an interval's ends.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from wellled.errors import UsageError

OUTSTANDING = "Outstanding"
GOOD = "Good"
REQUIRES_IMPROVEMENT = "Requires improvement"
INADEQUATE = "Inadequate"
INSUFFICIENT = "Insufficient evidence"
RATINGS = (OUTSTANDING, GOOD, REQUIRES_IMPROVEMENT, INADEQUATE, INSUFFICIENT)


@dataclass(frozen=True)
class RatingThresholds:
    """Lowest score (0..100) for each rating; below ``requires_improvement_pct`` a theme is Inadequate."""

    outstanding_pct: float = 90.0
    good_pct: float = 75.0
    requires_improvement_pct: float = 60.0

    def __post_init__(self) -> None:
        if not 0 <= self.requires_improvement_pct < self.good_pct < self.outstanding_pct <= 100:
            raise UsageError(
                "rating thresholds must rise strictly within 0..100: requires improvement < good < outstanding"
            )


def rating_bands(thresholds: RatingThresholds = RatingThresholds()) -> tuple[tuple[float, float, str], ...]:
    """(low, high, rating) for each band of the score scale, lowest first: what charts shade.

    >>> rating_bands()[0]
    (0.0, 60.0, 'Inadequate')
    """
    return (
        (0.0, thresholds.requires_improvement_pct, INADEQUATE),
        (thresholds.requires_improvement_pct, thresholds.good_pct, REQUIRES_IMPROVEMENT),
        (thresholds.good_pct, thresholds.outstanding_pct, GOOD),
        (thresholds.outstanding_pct, 100.0, OUTSTANDING),
    )


def rate_score(score: float | None, thresholds: RatingThresholds = RatingThresholds()) -> str:
    """The rating of a score, compared after rounding to one decimal place as the report shows it.

    >>> [rate_score(s) for s in (90, 89.96, 75, 60, 59.9, None)]
    ['Outstanding', 'Outstanding', 'Good', 'Requires improvement', 'Inadequate', 'Insufficient evidence']
    """
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return INSUFFICIENT
    shown = round(float(score), 1)
    if shown >= thresholds.outstanding_pct:
        return OUTSTANDING
    if shown >= thresholds.good_pct:
        return GOOD
    if shown >= thresholds.requires_improvement_pct:
        return REQUIRES_IMPROVEMENT
    return INADEQUATE


def cap_rating(rating: str) -> str:
    """At most Requires improvement: the cap for an open, overdue, high-priority action.

    >>> cap_rating("Outstanding"), cap_rating("Inadequate"), cap_rating("Insufficient evidence")
    ('Requires improvement', 'Inadequate', 'Insufficient evidence')
    """
    return REQUIRES_IMPROVEMENT if rating in (OUTSTANDING, GOOD) else rating


def overall_rating(ratings: Iterable[str], insufficient_limit: int = 3) -> str:
    """Combine theme ratings by wellled's configurable rule (modelled on CQC's aggregation), in this order:

    1. two or more Inadequate: Inadequate (more evidence could not raise it);
    2. ``insufficient_limit`` (3) or more themes with insufficient evidence: Insufficient evidence;
    3. one Inadequate, or two or more Requires improvement: Requires improvement;
    4. at least two Outstanding and every other theme Good: Outstanding;
    5. otherwise Good.

    >>> overall_rating(["Outstanding", "Outstanding", "Good", "Good", "Good"])
    'Outstanding'
    >>> overall_rating(["Good", "Requires improvement", "Good", "Good", "Good"])
    'Good'
    """
    ratings = list(ratings)
    unknown = sorted(set(ratings) - set(RATINGS))
    if unknown:
        raise ValueError(f"unknown rating {unknown[0]!r}")
    count = ratings.count
    if count(INADEQUATE) >= 2:
        return INADEQUATE
    if not ratings or count(INSUFFICIENT) >= insufficient_limit:
        return INSUFFICIENT
    if count(INADEQUATE) == 1 or count(REQUIRES_IMPROVEMENT) >= 2:
        return REQUIRES_IMPROVEMENT
    if count(OUTSTANDING) >= 2 and count(OUTSTANDING) + count(GOOD) == len(ratings):
        return OUTSTANDING
    return GOOD


@dataclass(frozen=True)
class EvidenceParams:
    """How much evidence counts in full: survey figures from at least ``min_valid_answers`` valid answers and
    ``min_questionnaires`` questionnaires; audit figures from at least ``min_audit_items`` assessed items."""

    min_valid_answers: int = 30
    min_questionnaires: int = 10
    min_audit_items: int = 5

    def __post_init__(self) -> None:
        if min(self.min_valid_answers, self.min_questionnaires, self.min_audit_items) < 1:
            raise UsageError("evidence minimums must be whole numbers of at least 1")


def source_weights(valid, questionnaires, audit_items, params: EvidenceParams = EvidenceParams()):
    """(survey weight, audit weight), each 0..1: a source counts in full once it reaches the minimum for
    sufficient evidence, and below that in proportion to how much of it there is (0 when absent).

    >>> source_weights(200, 70, 1)
    (1.0, 0.2)
    >>> [round(w, 4) for w in source_weights(8, 3, 6)]
    [0.2667, 1.0]
    """
    survey = 0.0
    if valid and questionnaires:
        survey = min(1.0, valid / params.min_valid_answers, questionnaires / params.min_questionnaires)
    audit = min(1.0, audit_items / params.min_audit_items) if audit_items else 0.0
    return float(survey), float(audit)


def evidence_level(valid, questionnaires, audit_items, params: EvidenceParams = EvidenceParams()) -> str:
    """``sufficient`` when either source reaches its minimum, ``limited`` when there is some evidence but
    neither does, ``none`` without any.

    >>> evidence_level(8, 3, 0), evidence_level(200, 70, 1), evidence_level(None, None, 3), evidence_level(0, 0, 0)
    ('limited', 'sufficient', 'limited', 'none')
    """
    survey, audit = source_weights(valid, questionnaires, audit_items, params)
    if survey == 0 and audit == 0:
        return "none"
    return "sufficient" if max(survey, audit) >= 1 else "limited"


def rating_range(low: float | None, high: float | None, thresholds: RatingThresholds, capped: bool) -> dict:
    """The ratings of an interval's ends: ``{"low", "high", "words"}`` ("Good", "between Good and Outstanding").

    >>> rating_range(86.0, 93.0, RatingThresholds(), False)["words"]
    'between Good and Outstanding'
    >>> rating_range(86.0, 93.0, RatingThresholds(), True)["words"]
    'Requires improvement'
    """
    ends = [rate_score(value, thresholds) for value in (low, high)]
    if capped:
        ends = [cap_rating(r) for r in ends]
    lower, upper = ends
    words = lower if lower == upper else f"between {lower} and {upper}"
    return {"low": lower, "high": upper, "words": words}
