"""Theme figures for every home, period and theme: survey, audit, score, rating, change and benchmark.

Pure functions of frames and parameters (definitions in ``docs/methodology.md``). Public API:

- :class:`AnalysisParams`: suppression threshold, rating thresholds, trend length, significance level.
- :func:`scored_answers` ``(answers, questions, framework) -> frame``: valid answers, reverse-scored, themed.
- :func:`survey_figures` ``(scored, params) -> frame``: per home, period, theme, with primary suppression.
- :func:`group_figures` ``(scored, params) -> frame``: the same per respondent group, with secondary suppression.
- :func:`audit_figures` ``(audits, framework) -> frame``: audit compliance per home, period, theme.
- :func:`theme_figures` ``(clean, framework, params) -> frame``: one row per home x period x theme with every
  figure the summary and the report's trend and funnel charts need.
- :func:`funnel_frame` ``(figures, params, period=None, theme_id=None) -> frame``: funnel limits to draw.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wellled.analysis.actions import action_table, overdue_high_priority_counts
from wellled.analysis.framework import Framework, assign_themes
from wellled.analysis.ratings import RatingThresholds, cap_rating, rate_score
from wellled.analysis.stats import Z95, Z998, funnel_limits, funnel_position, two_proportion_test, wilson_interval
from wellled.errors import DataError, UsageError
from wellled.periods import shift_period

if TYPE_CHECKING:
    from wellled.analysis.clean_data import CleanData

KEYS = ["home_id", "period", "theme_id"]
MIN_RESPONDENTS_FLOOR = 5  # below this, figures can identify people: only with ``allow_small_numbers``
RESULTS = {"Met": "met", "Partially met": "partially_met", "Not met": "not_met", "N/A": "not_applicable"}


@dataclass(frozen=True)
class AnalysisParams:
    """Parameters of the analysis; the defaults are the documented method.

    ``as_of`` judges actions at min(period end, as_of) instead of the period end (e.g. a quarter in progress).
    """

    min_respondents: int = 5
    thresholds: RatingThresholds = field(default_factory=RatingThresholds)
    trend_quarters: int = 8
    significance_level: float = 0.05
    insufficient_limit: int = 3
    as_of: dt.date | None = None
    allow_small_numbers: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.min_respondents, int) or self.min_respondents < 1:
            raise UsageError(f"min_respondents must be a whole number of at least 1, not {self.min_respondents}")
        if self.min_respondents < MIN_RESPONDENTS_FLOOR and not self.allow_small_numbers:
            raise UsageError(
                f"--min-respondents {self.min_respondents} is below {MIN_RESPONDENTS_FLOOR}: figures from so few "
                "questionnaires can identify people; add --allow-small-numbers for an internal review "
                "(every output is then marked NOT FOR PUBLICATION)"
            )
        if not isinstance(self.trend_quarters, int) or self.trend_quarters < 2:
            raise UsageError(f"trend_quarters must be a whole number of at least 2, not {self.trend_quarters}")
        if not 0 < self.significance_level < 1:
            raise UsageError(f"significance_level must lie between 0 and 1, not {self.significance_level}")

    def as_dict(self) -> dict:
        """The parameters as plain JSON-ready values, for provenance."""
        return {
            "min_respondents": self.min_respondents,
            "thresholds": {
                "outstanding_pct": self.thresholds.outstanding_pct,
                "good_pct": self.thresholds.good_pct,
                "requires_improvement_pct": self.thresholds.requires_improvement_pct,
            },
            "trend_quarters": self.trend_quarters,
            "significance_level": self.significance_level,
            "insufficient_limit": self.insufficient_limit,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "allow_small_numbers": self.allow_small_numbers,
        }

    @property
    def not_for_publication(self) -> bool:
        """Figures from fewer than :data:`MIN_RESPONDENTS_FLOOR` questionnaires may be shown."""
        return self.min_respondents < MIN_RESPONDENTS_FLOOR


def scored_answers(answers: pd.DataFrame, questions: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Valid answers only, with ``theme_id``, the score after reverse scoring, and ``is_positive`` (4 or 5).

    >>> answers = pd.DataFrame({"response_id": ["r1", "r1", "r1"], "home_id": "h", "respondent_group": "staff",
    ...     "period": "2026-Q3", "question_id": ["q1", "q2", "q3"], "score": pd.array([2, 2, None], "Int8")})
    >>> bank = pd.DataFrame({"question_id": ["q1", "q2", "q3"], "kloe": "W1",
    ...     "reverse_scored": [False, True, False]})
    >>> from wellled.analysis.framework import load_framework
    >>> scored_answers(answers, bank, load_framework())[["question_id", "score", "is_positive"]].values.tolist()
    [['q1', 2, False], ['q2', 4, True]]
    """
    bank = questions.copy()
    bank["theme_id"] = assign_themes(bank, framework, "question_id")
    bank = bank[["question_id", "theme_id", "reverse_scored"]]
    scored = answers.loc[answers["score"].notna()].merge(bank, on="question_id", how="left", validate="m:1")
    if scored["theme_id"].isna().any():
        unknown = scored.loc[scored["theme_id"].isna(), "question_id"].iloc[0]
        raise DataError(f"answers name question {unknown!r}, which is not in the question bank")
    score = scored["score"].astype("int64")
    reverse = scored["reverse_scored"].astype("boolean").fillna(False).astype(bool)
    scored["score"] = np.where(reverse, 6 - score, score)
    scored["is_positive"] = scored["score"] >= 4
    return scored.drop(columns="reverse_scored").reset_index(drop=True)


def _counts(scored: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if scored.empty:
        return pd.DataFrame(
            {
                **{key: pd.Series(dtype="str") for key in keys},
                "positive": pd.Series(dtype="int64"),
                "valid": pd.Series(dtype="int64"),
                "respondents": pd.Series(dtype="int64"),
            }
        )
    return (
        scored.groupby(keys, observed=True, sort=True)
        .agg(positive=("is_positive", "sum"), valid=("score", "size"), respondents=("response_id", "nunique"))
        .reset_index()
    )


def _publish(counts: pd.DataFrame, suppressed: pd.Series) -> pd.DataFrame:
    """Add percentages and 95 % intervals, then blank every figure of a suppressed row."""
    out = counts.copy()
    low, high = wilson_interval(out["positive"].to_numpy(), out["valid"].to_numpy(), Z95)
    out["positive_pct"] = 100 * out["positive"] / out["valid"]
    out["ci95_low_pct"] = 100 * np.asarray(low, dtype=float)
    out["ci95_high_pct"] = 100 * np.asarray(high, dtype=float)
    for column in ("positive", "valid", "respondents"):
        out[column] = out[column].astype("Int64").mask(suppressed.to_numpy())
    for column in ("positive_pct", "ci95_low_pct", "ci95_high_pct"):
        out[column] = out[column].astype("Float64").mask(suppressed.to_numpy())
    out["suppressed"] = suppressed.to_numpy().astype(bool)
    return out


def survey_figures(scored: pd.DataFrame, params: AnalysisParams = AnalysisParams()) -> pd.DataFrame:
    """Pooled survey figures per home, period and theme; fewer than ``min_respondents`` → all null."""
    counts = _counts(scored, KEYS)
    return _publish(counts, counts["respondents"] < params.min_respondents)


def group_figures(scored: pd.DataFrame, params: AnalysisParams = AnalysisParams()) -> pd.DataFrame:
    """Survey figures per respondent group with primary and secondary suppression.

    ``suppression`` is ``primary`` (the group has fewer than ``min_respondents``), ``secondary`` (hidden so a
    primary one cannot be recovered by subtraction from the shown figures) or null. Two rules are applied until
    neither hides anything more:

    - within a theme whose total is shown, hidden groups are never exactly one, nor together fewer than
      ``min_respondents`` questionnaires: the next smallest shown group (fewest respondents, then fewest
      answers, then name) is hidden too;
    - a group hidden in one theme of a home's quarter is hidden in all its themes, so its count cannot be read
      from one theme and subtracted in another.
    """
    counts = _counts(scored, [*KEYS, "respondent_group"])
    minimum = params.min_respondents
    if counts.empty:
        out = _publish(counts, pd.Series(False, index=counts.index))
        out["suppression"] = pd.Series(dtype="string")
        return out
    key = counts.groupby(KEYS, observed=True, sort=False).ngroup()
    same_group = [counts["home_id"], counts["period"], counts["respondent_group"]]
    total_shown = counts.groupby(key)["respondents"].transform("sum") >= minimum
    primary = counts["respondents"] < minimum
    secondary = pd.Series(False, index=counts.index)
    while True:
        hidden = primary | secondary
        everywhere = hidden.groupby(same_group).transform("any") & ~hidden
        hidden_sum = counts["respondents"].where(hidden, 0).groupby(key).transform("sum")
        hidden_count = hidden.astype(int).groupby(key).transform("sum")
        exposed = (hidden_count == 1) | (hidden_sum < minimum)
        need = total_shown & (hidden_count >= 1) & exposed & ~hidden
        if not (need.any() or everywhere.any()):
            break
        secondary |= everywhere
        if need.any():
            candidates = counts.loc[need & ~everywhere].assign(_key=key[need & ~everywhere])
            chosen = candidates.sort_values(["respondents", "valid", "respondent_group"]).groupby("_key").head(1)
            secondary.loc[chosen.index] = True
    out = _publish(counts, primary | secondary)
    out["suppression"] = pd.Series(
        np.where(primary, "primary", np.where(secondary, "secondary", None)), index=out.index, dtype="string"
    )
    return out


def audit_figures(audits: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Audit results per home, period and theme; ``compliance_pct`` = (met + ½ partially) / assessed.

    >>> from wellled.analysis.framework import load_framework
    >>> audits = pd.DataFrame({"home_id": "h", "period": "2026-Q3", "kloe": "W2", "item_id": list("abcde"),
    ...     "result": ["Met", "Met", "Partially met", "Not met", "N/A"]})
    >>> audit_figures(audits, load_framework())[["items", "not_applicable", "compliance_pct"]].to_dict("records")
    [{'items': 5, 'not_applicable': 1, 'compliance_pct': 62.5}]
    """
    columns = ["items", *RESULTS.values()]
    if audits.empty:
        empty = pd.DataFrame({key: pd.Series(dtype="str") for key in KEYS})
        return empty.assign(**{c: pd.Series(dtype="int64") for c in columns}, compliance_pct=pd.Series(dtype="Float64"))
    rows = audits.assign(theme_id=assign_themes(audits, framework, "item_id"))
    unknown = sorted(set(rows["result"].dropna()) - set(RESULTS))
    if unknown:
        raise DataError(f"audit result {unknown[0]!r} is not one of {', '.join(RESULTS)}")
    for result, column in RESULTS.items():
        rows[column] = rows["result"] == result
    out = (
        rows.groupby(KEYS, observed=True, sort=True)
        .agg(items=("result", "size"), **{column: (column, "sum") for column in RESULTS.values()})
        .reset_index()
    )
    assessed = out["met"] + out["partially_met"] + out["not_met"]
    out["compliance_pct"] = (100 * (out["met"] + 0.5 * out["partially_met"]) / assessed.where(assessed > 0)).astype(
        "Float64"
    )
    return out


def theme_figures(clean: CleanData, framework: Framework, params: AnalysisParams = AnalysisParams()) -> pd.DataFrame:
    """Every figure per home x period (with any responses or audits) x theme of the framework.

    Columns: keys and ``theme_label``; survey ``positive, valid, respondents, positive_pct, ci95_low_pct,
    ci95_high_pct, suppressed``; audit ``items, met, partially_met, not_met, not_applicable, compliance_pct``;
    ``score, overdue_high_priority, is_capped, rating``; change against the previous quarter
    ``previous_period, previous_positive_pct, change_pct_points, change_z, change_p_value, is_significant,
    direction, previous_score, previous_rating``; benchmark ``group_positive_pct, group_valid,
    funnel_lower_pct, funnel_upper_pct, funnel``.
    """
    scored = scored_answers(clean.answers, clean.questions, framework)
    home_periods = (
        pd.concat([clean.responses[["home_id", "period"]], clean.audits[["home_id", "period"]]])
        .astype(str)
        .drop_duplicates()
    )
    themes = pd.DataFrame(
        {
            "theme_id": framework.theme_ids,
            "theme_label": [t.label for t in framework.themes],
            "theme_order": range(len(framework.themes)),
        }
    )
    grid = home_periods.merge(themes, how="cross")
    survey = survey_figures(scored, params)
    audit = audit_figures(clean.audits, framework)
    overdue = overdue_high_priority_counts(action_table(clean.audits, framework), home_periods, params.as_of)
    figures = (
        grid.merge(survey, on=KEYS, how="left")
        .merge(audit, on=KEYS, how="left")
        .merge(overdue, on=KEYS, how="left")
        .sort_values(["home_id", "period", "theme_order"], ignore_index=True)
    )
    figures["suppressed"] = figures["suppressed"].astype("boolean").fillna(False).astype(bool)
    for column in ["items", *RESULTS.values(), "overdue_high_priority"]:
        figures[column] = figures[column].astype("Int64").fillna(0)
    figures["score"] = figures[["positive_pct", "compliance_pct"]].astype(float).mean(axis=1, skipna=True)
    uncapped = [rate_score(score, params.thresholds) for score in figures["score"]]
    rating = [cap_rating(r) if n > 0 else r for r, n in zip(uncapped, figures["overdue_high_priority"], strict=True)]
    figures["is_capped"] = [a != b for a, b in zip(uncapped, rating, strict=True)]
    figures["rating"] = rating
    figures = _with_change(figures, scored, params)
    figures = _with_benchmark(figures, scored, params)
    return figures.drop(columns="theme_order")


def _with_change(figures: pd.DataFrame, scored: pd.DataFrame, params: AnalysisParams) -> pd.DataFrame:
    """Change in ``positive_pct`` against the previous quarter, with a pooled two-proportion z test."""
    raw = _counts(scored, KEYS).rename(columns={"positive": "_positive", "valid": "_valid"})
    out = figures.merge(raw[[*KEYS, "_positive", "_valid"]], on=KEYS, how="left")
    out["previous_period"] = out["period"].map({p: shift_period(p, -1) for p in out["period"].unique()})
    previous = out[
        ["home_id", "period", "theme_id", "_positive", "_valid", "positive_pct", "suppressed", "score", "rating"]
    ].rename(
        columns={
            "period": "previous_period",
            "_positive": "_prev_positive",
            "_valid": "_prev_valid",
            "positive_pct": "previous_positive_pct",
            "suppressed": "_prev_suppressed",
            "score": "previous_score",
            "rating": "previous_rating",
        }
    )
    out = out.merge(previous, on=["home_id", "previous_period", "theme_id"], how="left")
    testable = (
        (~out["suppressed"] & out["_prev_suppressed"].eq(False) & out["_valid"].gt(0) & out["_prev_valid"].gt(0))
        .fillna(False)
        .astype(bool)
    )
    z, p_value = two_proportion_test(
        out["_prev_positive"].astype(float).to_numpy(),
        out["_prev_valid"].astype(float).to_numpy(),
        out["_positive"].astype(float).to_numpy(),
        out["_valid"].astype(float).to_numpy(),
    )
    out["change_pct_points"] = (out["positive_pct"] - out["previous_positive_pct"]).astype("Float64").where(testable)
    out["change_z"] = pd.Series(z, index=out.index, dtype="Float64").where(testable)
    out["change_p_value"] = pd.Series(p_value, index=out.index, dtype="Float64").where(testable)
    significant = (out["change_p_value"] < params.significance_level).fillna(False).astype(bool)
    out["is_significant"] = pd.Series(significant, dtype="boolean").where(testable)
    direction = np.where(
        significant & (out["change_pct_points"] > 0).fillna(False),
        "up",
        np.where(significant, "down", "no significant change"),
    )
    out["direction"] = pd.Series(direction, index=out.index, dtype="string").where(testable)
    out["previous_positive_pct"] = out["previous_positive_pct"].astype("Float64")
    return out.drop(columns=["_positive", "_valid", "_prev_positive", "_prev_valid", "_prev_suppressed"])


def _with_benchmark(figures: pd.DataFrame, scored: pd.DataFrame, params: AnalysisParams) -> pd.DataFrame:
    """The group's pooled ``positive_pct`` and the home's funnel position at 99.8 %."""
    group = _group_totals(figures, params)
    out = figures.merge(group, on=["period", "theme_id"], how="left")
    p0 = (out["group_positive_pct"].astype(float) / 100).to_numpy()
    valid = out["valid"].astype(float).to_numpy()
    lower, upper = funnel_limits(p0, valid, Z998)
    shown = ~out["suppressed"].to_numpy() & out["group_positive_pct"].notna().to_numpy()
    out["funnel_lower_pct"] = pd.Series(100 * lower, index=out.index, dtype="Float64").where(shown)
    out["funnel_upper_pct"] = pd.Series(100 * upper, index=out.index, dtype="Float64").where(shown)
    position = funnel_position((out["positive_pct"].astype(float) / 100).to_numpy(), valid, p0, Z998)
    out["funnel"] = pd.Series(np.where(shown, position, None), index=out.index, dtype="string")
    return out


def _group_totals(figures: pd.DataFrame, params: AnalysisParams) -> pd.DataFrame:
    """Homes pooled per period and theme, counting only homes whose own figures are shown.

    A suppressed home is left out, or its figures could be recovered by subtracting the shown homes from the
    pool; with fewer than two homes (a home compared with itself) or ``min_respondents`` questionnaires, null.
    """
    shown = figures.loc[~figures["suppressed"].astype(bool) & figures["valid"].notna()]
    totals = (
        shown.groupby(["period", "theme_id"], observed=True)
        .agg(
            positive=("positive", "sum"),
            valid=("valid", "sum"),
            respondents=("respondents", "sum"),
            homes=("home_id", "nunique"),
        )
        .reset_index()
    )
    hidden = (totals["homes"] < 2) | (totals["respondents"] < params.min_respondents)
    return pd.DataFrame(
        {
            "period": totals["period"].astype("string"),
            "theme_id": totals["theme_id"].astype("string"),
            "group_positive_pct": (100 * totals["positive"].astype(float) / totals["valid"].astype(float))
            .astype("Float64")
            .mask(hidden),
            "group_valid": totals["valid"].astype("Int64").mask(hidden),
        }
    )


def funnel_frame(figures: pd.DataFrame, period: str | None = None, theme_id: str | None = None) -> pd.DataFrame:
    """Funnel limits to draw for each period and theme: 95 % and 99.8 % around the group proportion.

    One row per (period, theme_id, valid) for about 60 denominators from 1 to 1.2 x the largest shown home.
    """
    rows = figures
    if period is not None:
        rows = rows[rows["period"] == period]
    if theme_id is not None:
        rows = rows[rows["theme_id"] == theme_id]
    parts = []
    for (each_period, each_theme), part in rows.groupby(["period", "theme_id"], sort=True):
        p0 = part["group_positive_pct"].iloc[0]
        largest = part["valid"].max()
        if pd.isna(p0) or pd.isna(largest):
            continue
        valid = np.unique(np.geomspace(1, max(2.0, 1.2 * float(largest)), 60).round().astype(int))
        low95, high95 = funnel_limits(p0 / 100, valid, Z95)
        low998, high998 = funnel_limits(p0 / 100, valid, Z998)
        parts.append(
            pd.DataFrame(
                {
                    "period": each_period,
                    "theme_id": each_theme,
                    "group_positive_pct": float(p0),
                    "valid": valid,
                    "lower95_pct": 100 * low95,
                    "upper95_pct": 100 * high95,
                    "lower998_pct": 100 * low998,
                    "upper998_pct": 100 * high998,
                }
            )
        )
    columns = [
        "period",
        "theme_id",
        "group_positive_pct",
        "valid",
        "lower95_pct",
        "upper95_pct",
        "lower998_pct",
        "upper998_pct",
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
