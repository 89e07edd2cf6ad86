"""Change over time: statistical process control (p-chart, Laney p′) and tests of change over a year.

Pure functions (definitions in ``docs/methodology.md``, "Change over time"). Public API:

- :class:`SpcParams`: sigma multiple, run and trend lengths, points needed, significance level.
- :func:`p_chart` ``(positive, valid, params) -> dict``: centre, per-point limits, method (p or Laney p′).
- :func:`spc_rules` ``(proportions, lower, upper, centre, params) -> list[dict]``: the special cause found.
- :func:`spc_summary` ``(periods, positive, valid, suppressed, params) -> dict``: the summary's ``spc``.
- :func:`pooled_change` ``(before, after, params) -> dict | None``: a two-proportion test on pooled counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from wellled.analysis.stats import two_proportion_test
from wellled.errors import UsageError

D2 = 1.128  # the mean moving range of two normal points, in standard deviations


@dataclass(frozen=True)
class SpcParams:
    """``sigma``: limits at centre ± 3 standard deviations. ``run_length``: points in a row on one side of the
    centre line that count as a shift (Making Data Count uses 7; with at most 8 quarters wellled uses 6).
    ``trend_length``: points in a row all rising or all falling (6). ``min_points``: fewest shown quarters
    for a chart. ``provisional_below``: fewer points than this make the limits provisional (15). ``laney``:
    widen the limits by Laney's σ_z when the quarters are over-dispersed."""

    sigma: float = 3.0
    run_length: int = 6
    trend_length: int = 6
    min_points: int = 4
    provisional_below: int = 15
    significance_level: float = 0.05
    laney: bool = True

    def __post_init__(self) -> None:
        if self.sigma <= 0 or self.run_length < 2 or self.trend_length < 3 or self.min_points < 2:
            raise UsageError("SPC settings: sigma > 0, run length >= 2, trend length >= 3, at least 2 points")


def p_chart(positive, valid, params: SpcParams = SpcParams()) -> dict:
    """Centre line p̄ = Σpositive / Σvalid; limits p̄ ± 3·σᵢ with σᵢ = √(p̄(1 − p̄)/nᵢ).

    When the points vary more than binomial chance allows (Laney's σ_z, the mean moving range of the
    z-scores zᵢ = (pᵢ − p̄)/σᵢ divided by 1.128, exceeds 1), each σᵢ is multiplied by σ_z (Laney's p′ chart).
    Limits are never narrowed (σ_z below 1 is left at 1). Proportions 0..1.

    >>> chart = p_chart([44, 46, 43, 45], [100, 100, 100, 100])
    >>> chart["method"], round(chart["centre"], 4), round(float(chart["lower"][0]), 4)
    ('p', 0.445, 0.2959)
    >>> p_chart([30, 60, 35, 65], [100, 100, 100, 100])["method"]
    'laney'
    """
    k = np.asarray(positive, dtype=float)
    n = np.asarray(valid, dtype=float)
    centre = float(k.sum() / n.sum())
    p = k / n
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.sqrt(centre * (1 - centre) / n)
        z = np.where(sigma > 0, (p - centre) / sigma, 0.0)
    sigma_z = float(np.mean(np.abs(np.diff(z))) / D2) if len(z) > 1 else 1.0
    method = "laney" if params.laney and sigma_z > 1 else "p"
    scale = sigma_z if method == "laney" else 1.0
    spread = params.sigma * sigma * scale
    return {
        "centre": centre,
        "proportions": p,
        "lower": np.clip(centre - spread, 0.0, 1.0),
        "upper": np.clip(centre + spread, 0.0, 1.0),
        "method": method,
        "sigma_z": sigma_z,
    }


def spc_rules(proportions, lower, upper, centre: float, params: SpcParams = SpcParams()) -> list[dict]:
    """Special causes in a series: each with ``rule`` (beyond_limits, run, trend), ``side`` (high/low) and the
    ``points`` (indexes) it covers. A point on the centre line breaks a run; a repeated value breaks a trend.

    >>> found = spc_rules([0.5, 0.52, 0.53, 0.55, 0.56, 0.58, 0.6, 0.9], [0.3] * 8, [0.8] * 8, 0.5)
    >>> [(f["rule"], f["side"], len(f["points"])) for f in found]
    [('beyond_limits', 'high', 1), ('run', 'high', 7), ('trend', 'high', 8)]
    """
    p = np.asarray(proportions, dtype=float)
    found: list[dict] = []
    for i, value in enumerate(p):
        if value > upper[i]:
            found.append({"rule": "beyond_limits", "side": "high", "points": [i]})
        elif value < lower[i]:
            found.append({"rule": "beyond_limits", "side": "low", "points": [i]})
    side = np.sign(np.round(p - centre, 12))
    found += _runs(side, params.run_length, "run")
    steps = np.sign(np.round(np.diff(p), 12))
    # a trend of L points is L - 1 steps in the same direction
    for run in _runs(steps, params.trend_length - 1, "trend"):
        found.append({**run, "points": [*run["points"], run["points"][-1] + 1]})
    return found


def _runs(signs: np.ndarray, length: int, rule: str) -> list[dict]:
    out, start = [], 0
    for i in range(1, len(signs) + 1):
        if i == len(signs) or signs[i] != signs[start]:
            if signs[start] != 0 and i - start >= length:
                out.append(
                    {"rule": rule, "side": "high" if signs[start] > 0 else "low", "points": list(range(start, i))}
                )
            start = i
    return out


RULE_WORDS = {
    ("beyond_limits", "high"): "the latest quarter is above the upper limit",
    ("beyond_limits", "low"): "the latest quarter is below the lower limit",
    ("run", "high"): "{n} quarters in a row above the average",
    ("run", "low"): "{n} quarters in a row below the average",
    ("trend", "high"): "{n} quarters in a row rising",
    ("trend", "low"): "{n} quarters in a row falling",
}
SIGNAL_WORDS = {
    "improvement": "Special cause improvement: the latest figure is higher than chance variation explains",
    "concern": "Special cause concern: the latest figure is lower than chance variation explains",
    "common_cause": "Common cause variation: the quarters vary no more than chance would explain",
    "not_enough_data": "Not enough quarters to tell change from chance",
}


def spc_summary(periods, positive, valid, suppressed, params: SpcParams = SpcParams()) -> dict:
    """The summary's ``spc`` for one series of quarters, oldest first (suppressed quarters are gaps).

    The signal describes the latest quarter: improvement or concern if it belongs to a special cause
    (higher positive shares are better), else common cause; with fewer than ``min_points`` shown quarters,
    or when the latest quarter is hidden, not enough data.
    """
    shown = [i for i, hidden in enumerate(suppressed) if not hidden and valid[i] and valid[i] > 0]
    points: list[dict[str, Any]] = [
        {"period": str(p), "positive_pct": None, "lower_pct": None, "upper_pct": None, "suppressed": bool(s)}
        for p, s in zip(periods, suppressed, strict=True)
    ]
    empty = {"rules": [], "method": "p", "provisional": True, "centre_pct": None, "points": points}
    latest_shown = bool(shown) and shown[-1] == len(periods) - 1
    if len(shown) < params.min_points:
        return {"signal": "not_enough_data", "words": SIGNAL_WORDS["not_enough_data"] + ".", **empty}
    chart = p_chart([positive[i] for i in shown], [valid[i] for i in shown], params)
    for j, i in enumerate(shown):
        points[i].update(
            positive_pct=round(100 * float(chart["proportions"][j]), 1),
            lower_pct=round(100 * float(chart["lower"][j]), 1),
            upper_pct=round(100 * float(chart["upper"][j]), 1),
        )
    found = spc_rules(chart["proportions"], chart["lower"], chart["upper"], chart["centre"], params)
    last = len(shown) - 1
    current = [f for f in found if last in f["points"]] if latest_shown else []
    sides = {f["side"] for f in current}
    if not latest_shown:
        signal = "not_enough_data"
    elif not current:
        signal = "common_cause"
    elif sides == {"high"}:
        signal = "improvement"
    elif sides == {"low"}:
        signal = "concern"
    else:
        signal = "common_cause"
    rules = [RULE_WORDS[(f["rule"], f["side"])].format(n=len(f["points"])) for f in current]
    words = SIGNAL_WORDS[signal] + (f" ({'; '.join(rules)})." if rules else ".")
    if signal == "not_enough_data" and not latest_shown:
        words = "No signal: this quarter's figure is hidden (too few questionnaires)."
    provisional = len(shown) < params.provisional_below
    if provisional and signal not in ("not_enough_data",):
        words += f" Limits are provisional: {len(shown)} quarters (SPC limits settle after about 15)."
    return {
        "signal": signal,
        "words": words,
        "rules": rules,
        "method": chart["method"],
        "provisional": provisional,
        "centre_pct": round(100 * chart["centre"], 1),
        "points": points,
    }


def pooled_change(before: tuple[int, int], after: tuple[int, int], params: SpcParams = SpcParams()) -> dict | None:
    """``after`` against ``before`` as (positive, valid) pools: change in points, z, p-value, significant.

    >>> pooled_change((40, 100), (60, 100))["p_value"]
    0.0047
    """
    (ka, na), (kb, nb) = before, after
    if not na or not nb:
        return None
    z, p_value = two_proportion_test(ka, na, kb, nb)
    return {
        "previous_positive_pct": round(100 * ka / na, 1),
        "positive_pct": round(100 * kb / nb, 1),
        "change_pct_points": round(100 * (kb / nb - ka / na), 1),
        "z": None if math.isnan(z) else round(z, 3),
        "p_value": None if math.isnan(p_value) else round(p_value, 4),
        "significant": bool(p_value < params.significance_level),
    }
