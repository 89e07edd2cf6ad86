"""Indicative ratings: a theme's score against thresholds, the overdue-action cap, and the overall rating.

Ratings are indicative only: CQC alone rates a service. Public API:

- :class:`RatingThresholds`: the score at or above which a theme is Outstanding, Good, Requires improvement.
- :func:`rate_score` ``(score, thresholds) -> str``; :func:`cap_rating` ``(rating) -> str``.
- :func:`overall_rating` ``(ratings, insufficient_limit=3) -> str``: CQC's aggregation principles.
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
    """Combine theme ratings by CQC's aggregation principles, in this order:

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
