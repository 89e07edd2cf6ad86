"""Theme figures for every home, period and theme: survey, audit, score, rating, change and benchmark.

Pure functions of frames and parameters (definitions in ``docs/methodology.md``). Public API:

- :class:`AnalysisParams`: suppression threshold, rating thresholds, trend length, significance level.
- :func:`scored_answers` ``(answers, questions, framework) -> frame``: valid answers, reverse-scored, themed.
- :func:`survey_figures` ``(scored, params) -> frame``: per home, period, theme, with primary suppression.
- :func:`group_figures` ``(scored, params, questionnaires=None) -> frame``: the same per published respondent
  group, after disclosure control (:mod:`wellled.analysis.suppression`).
- :func:`audit_figures` ``(audits, framework) -> frame``: audit compliance per home, period, theme.
- :func:`theme_figures` ``(clean, framework, params) -> frame``: one row per home x period x theme with every
  figure the summary and the report's trend and funnel charts need.
- :func:`funnel_frame` ``(figures, period=None, theme_id=None, home_id=None) -> frame``: funnel limits to draw.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from wellled.analysis.actions import action_table, overdue_high_priority_counts
from wellled.analysis.framework import Framework, assign_themes
from wellled.analysis.ratings import (
    EvidenceParams,
    RatingThresholds,
    cap_rating,
    evidence_level,
    rate_score,
    source_weights,
)
from wellled.analysis.stats import (
    Z95,
    Z998,
    funnel_limits_overdispersed,
    funnel_position,
    overdispersion,
    overdispersion_of_others,
    two_proportion_test,
    wilson_interval,
)
from wellled.analysis.suppression import DEFAULT_COMBINE, RESPONSES, SuppressionParams, protect
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
    combine: tuple[tuple[str, str], ...] = DEFAULT_COMBINE
    funnel_min_homes: int = 5
    evidence: EvidenceParams = field(default_factory=EvidenceParams)
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
        self.suppression  # noqa: B018 - validates the combining order

    @property
    def suppression(self) -> SuppressionParams:
        """The disclosure-control parameters."""
        pairs = tuple(tuple(pair) for pair in self.combine)  # validated by SuppressionParams, whatever their length
        return SuppressionParams(self.min_respondents, cast(tuple[tuple[str, str], ...], pairs))

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
            "combine": [list(pair) for pair in self.combine],
            "funnel_min_homes": self.funnel_min_homes,
            "evidence": {
                "min_valid_answers": self.evidence.min_valid_answers,
                "min_questionnaires": self.evidence.min_questionnaires,
                "min_audit_items": self.evidence.min_audit_items,
            },
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


def questionnaire_counts(scored: pd.DataFrame) -> pd.DataFrame:
    """Questionnaires per home, period and respondent group, from the answers (when no responses table)."""
    if scored.empty:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in ["home_id", "period", "respondent_group"]}).assign(
            questionnaires=pd.Series(dtype="int64")
        )
    return (
        scored.groupby(["home_id", "period", "respondent_group"], observed=True)["response_id"]
        .nunique()
        .reset_index(name="questionnaires")
    )


def protected_groups(
    scored: pd.DataFrame, params: AnalysisParams = AnalysisParams(), questionnaires: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Published groups of every theme and of the response counts, after disclosure control.

    See :func:`wellled.analysis.suppression.protect`; ``questionnaires`` defaults to those with answers.
    """
    if questionnaires is None:
        questionnaires = questionnaire_counts(scored)
    return protect(scored, questionnaires, params.suppression)


def group_figures(
    scored: pd.DataFrame, params: AnalysisParams = AnalysisParams(), questionnaires: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Survey figures per published respondent group (groups combined where one is small) after suppression.

    ``suppression`` is ``primary`` (the group has fewer than ``min_respondents`` questionnaires in some theme
    of the quarter), ``secondary`` (hidden so a primary one cannot be recovered) or null; ``combined_from``
    lists the groups a combined group joins.
    """
    return publish_groups(protected_groups(scored, params, questionnaires))


def publish_groups(protected: pd.DataFrame) -> pd.DataFrame:
    """Theme figures per published group from :func:`protected_groups`, hidden figures blanked."""
    cells = protected.loc[protected["table"] != RESPONSES].rename(
        columns={"table": "theme_id", "unit": "respondent_group"}
    )
    counts = cells[[*KEYS, "respondent_group", "positive", "valid", "respondents"]].reset_index(drop=True)
    for column in ("positive", "valid", "respondents"):
        counts[column] = counts[column].astype("int64")
    suppression = cells["suppression"].reset_index(drop=True)
    out = _publish(counts, suppression.notna())
    out["suppression"] = suppression.astype("string")
    out["combined_from"] = cells["combined_from"].reset_index(drop=True)
    return out


def _hide_exposed_totals(survey: pd.DataFrame, protected: pd.DataFrame) -> pd.DataFrame:
    """Hide the theme totals that disclosure control could protect no other way (``total_suppressed``)."""
    flagged = protected.loc[protected["total_suppressed"] & (protected["table"] != RESPONSES)]
    keys = set(zip(flagged["home_id"], flagged["period"], flagged["table"], strict=True))
    if not keys:
        return survey
    hide = pd.Series(
        [k in keys for k in zip(survey["home_id"], survey["period"], survey["theme_id"], strict=True)],
        index=survey.index,
    )
    counts = survey[[*KEYS, "positive", "valid", "respondents"]].copy()
    for column in ("positive", "valid", "respondents"):
        counts[column] = survey[column].astype("Float64").fillna(0).astype("int64")
    return _publish(counts, survey["suppressed"] | hide)


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
    ``score, score_ci95_low, score_ci95_high, survey_weight, audit_weight, evidence_level,
    overdue_high_priority, is_capped, rating``; change against the previous quarter
    ``previous_period, previous_positive_pct, change_pct_points, change_z, change_p_value, is_significant,
    direction, previous_score, previous_rating``; benchmark against the other homes ``group_positive_pct,
    group_valid, pool_homes, funnel_phi, funnel_tau2, funnel_lower_pct, funnel_upper_pct, funnel``.
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
    questionnaires = (
        clean.responses.groupby(["home_id", "period", "respondent_group"], observed=True)
        .size()
        .reset_index(name="questionnaires")
    )
    survey = _hide_exposed_totals(survey, protected_groups(scored, params, questionnaires))
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
    figures = _with_score(figures, params)
    uncapped = [rate_score(score, params.thresholds) for score in figures["score"]]
    rating = [cap_rating(r) if n > 0 else r for r, n in zip(uncapped, figures["overdue_high_priority"], strict=True)]
    figures["is_capped"] = [a != b for a, b in zip(uncapped, rating, strict=True)]
    figures["rating"] = rating
    figures = _with_change(figures, scored, params)
    figures = _with_benchmark(figures, scored, params)
    return figures.drop(columns="theme_order")


def _with_score(figures: pd.DataFrame, params: AnalysisParams) -> pd.DataFrame:
    """Score = survey and audit figures weighted by how much evidence each has, with a 95 % interval.

    Weights from :func:`~wellled.analysis.ratings.source_weights`. With one source the interval is that
    source's Wilson interval; with both, score ± 1.96 × √(w_s² se_s² + w_a² se_a²) / (w_s + w_a), each se taken
    from its Wilson interval (the audit's on met + ½ partially met out of the assessed items).
    """
    out = figures.copy()
    assessed = (out["met"] + out["partially_met"] + out["not_met"]).astype(float).to_numpy()
    audit_low, audit_high = wilson_interval(
        (out["met"] + 0.5 * out["partially_met"]).astype(float).to_numpy(), assessed, Z95
    )
    rows = zip(
        out["positive_pct"].astype("Float64").fillna(np.nan).to_numpy(dtype=float),
        out["ci95_low_pct"].astype("Float64").fillna(np.nan).to_numpy(dtype=float),
        out["ci95_high_pct"].astype("Float64").fillna(np.nan).to_numpy(dtype=float),
        out["valid"].astype("Float64").fillna(0).to_numpy(dtype=float),
        out["respondents"].astype("Float64").fillna(0).to_numpy(dtype=float),
        out["compliance_pct"].astype("Float64").fillna(np.nan).to_numpy(dtype=float),
        100 * np.asarray(audit_low, dtype=float),
        100 * np.asarray(audit_high, dtype=float),
        assessed,
        strict=True,
    )
    columns: dict[str, list] = {k: [] for k in ("score", "score_low", "score_high", "w_s", "w_a", "evidence")}
    for survey, s_low, s_high, valid, respondents, audit, a_low, a_high, items in rows:
        has_survey, has_audit = not math.isnan(survey), not math.isnan(audit)
        w_s, w_a = source_weights(valid if has_survey else 0, respondents if has_survey else 0, items, params.evidence)
        w_a = w_a if has_audit else 0.0
        level = evidence_level(valid if has_survey else 0, respondents if has_survey else 0, items, params.evidence)
        if w_s and w_a:
            score = (w_s * survey + w_a * audit) / (w_s + w_a)
            se = math.hypot(w_s * (s_high - s_low) / (2 * Z95), w_a * (a_high - a_low) / (2 * Z95)) / (w_s + w_a)
            low, high = max(0.0, score - Z95 * se), min(100.0, score + Z95 * se)
        elif w_s:
            score, low, high = survey, s_low, s_high
        elif w_a:
            score, low, high = audit, a_low, a_high
        else:
            score = low = high = math.nan
        for key, value in zip(columns, (score, low, high, w_s, w_a, level), strict=True):
            columns[key].append(value)
    out["score"] = np.array(columns["score"], dtype=float)
    out["score_ci95_low"] = np.array(columns["score_low"], dtype=float)
    out["score_ci95_high"] = np.array(columns["score_high"], dtype=float)
    out["survey_weight"] = np.array(columns["w_s"], dtype=float)
    out["audit_weight"] = np.array(columns["w_a"], dtype=float)
    out["evidence_level"] = columns["evidence"]
    return out


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
    """Each home against the other homes: their pooled ``positive_pct`` and the home's funnel position.

    The pool is the other homes whose own figure is shown (a hidden home is left out everywhere, or it could
    be recovered by subtraction). Over-dispersion is allowed for by an additive between-home variance τ²
    estimated from the other homes (:func:`~wellled.analysis.stats.overdispersion`). With fewer than
    ``funnel_min_homes`` other homes there is no funnel position; with none, no pool.
    """
    out = figures.copy()
    shown = (~out["suppressed"].astype(bool) & out["valid"].notna() & out["valid"].fillna(0).gt(0)).to_numpy()
    columns: dict[str, list[Any]] = {
        "group_positive_pct": [],
        "group_valid": [],
        "pool_homes": [],
        "funnel_phi": [],
        "funnel_tau2": [],
        "funnel_lower_pct": [],
        "funnel_upper_pct": [],
        "funnel": [],
    }
    positive = out["positive"].astype("Float64").fillna(0).to_numpy(dtype=float)
    valid = out["valid"].astype("Float64").fillna(0).to_numpy(dtype=float)
    key = out["period"].astype(str) + "|" + out["theme_id"].astype(str)
    codes = pd.factorize(key)[0]
    members = {c: np.flatnonzero((codes == c) & shown) for c in range(codes.max() + 1 if len(codes) else 0)}
    # leave-one-out pools: the counts are whole numbers, so these sums are exact whatever their order
    total_positive = np.bincount(codes, weights=np.where(shown, positive, 0.0), minlength=len(members))
    total_valid = np.bincount(codes, weights=np.where(shown, valid, 0.0), minlength=len(members))
    total_homes = np.bincount(codes, weights=shown.astype(float), minlength=len(members)).astype("int64")
    pool_homes = total_homes[codes] - shown.astype("int64")
    pool_positive = total_positive[codes] - np.where(shown, positive, 0.0)
    pool_valid = total_valid[codes] - np.where(shown, valid, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p0 = np.where((pool_homes > 0) & (pool_valid > 0), pool_positive / pool_valid, math.nan)
    has_pool = (pool_homes >= 1) & ~np.isnan(p0)
    verdict = np.flatnonzero(has_pool & shown & (pool_homes >= params.funnel_min_homes))
    phi, tau2 = np.full(len(out), math.nan), np.full(len(out), math.nan)
    for code in np.unique(codes[verdict]):  # each period and theme: every verdict row against the others
        rows = verdict[codes[verdict] == code]
        group = members[code]
        left_out = np.searchsorted(group, rows)  # members are in row order
        phi[rows], tau2[rows] = overdispersion_of_others(
            positive[group] / valid[group], valid[group], left_out, p0[rows]
        )
    adjusted = np.array([t or 0.0 for t in tau2[verdict]], dtype=float)
    lower, upper = funnel_limits_overdispersed(p0[verdict], valid[verdict], adjusted, Z998)
    position = funnel_position(positive[verdict] / valid[verdict], valid[verdict], p0[verdict], Z998, adjusted)
    at = {int(row): j for j, row in enumerate(verdict)}
    for i in range(len(out)):
        j = at.get(i)
        columns["group_positive_pct"].append(100 * p0[i] if has_pool[i] else None)
        columns["group_valid"].append(int(pool_valid[i]) if has_pool[i] else None)
        columns["pool_homes"].append(int(pool_homes[i]))
        columns["funnel_phi"].append(None if j is None else phi[i])
        columns["funnel_tau2"].append(None if j is None else tau2[i])
        columns["funnel_lower_pct"].append(None if j is None else 100 * lower[j])
        columns["funnel_upper_pct"].append(None if j is None else 100 * upper[j])
        columns["funnel"].append(None if j is None else position[j])
    for name in ("group_positive_pct", "funnel_phi", "funnel_tau2", "funnel_lower_pct", "funnel_upper_pct"):
        out[name] = pd.array(columns[name], dtype="Float64")
    out["group_valid"] = pd.array(columns["group_valid"], dtype="Int64")
    out["pool_homes"] = np.array(columns["pool_homes"], dtype="int64")
    out["funnel"] = pd.array(columns["funnel"], dtype="string")
    return out


def adjustment_words(phi, tau2) -> str:
    """How over-dispersion was handled, in words for the summary's ``benchmark.adjustment``."""
    if phi is None or pd.isna(phi):
        return "no funnel: fewer than 5 other homes to compare with"
    if not tau2:
        return f"none needed: the other homes vary no more than chance allows (phi = {phi:.2f})"
    return (
        f"limits widened by the variation between the other homes (additive tau = {100 * math.sqrt(tau2):.1f} "
        f"points; phi = {phi:.2f})"
    )


def funnel_frame(
    figures: pd.DataFrame, period: str | None = None, theme_id: str | None = None, home_id: str | None = None
) -> pd.DataFrame:
    """Funnel limits to draw for each period and theme: 95 % and 99.8 %, widened by τ² for over-dispersion.

    With ``home_id``: around that home's comparison pool (the other homes) with its τ², as its verdict used.
    Without: around all shown homes pooled, with τ² estimated from them all. One row per (period, theme_id,
    valid) for about 60 denominators from 1 to 1.2 x the largest shown home; ``tau2`` says how much was added.
    """
    rows = figures
    if period is not None:
        rows = rows[rows["period"] == period]
    if theme_id is not None:
        rows = rows[rows["theme_id"] == theme_id]
    parts = []
    for (each_period, each_theme), part in rows.groupby(["period", "theme_id"], sort=True):
        shown = part.loc[~part["suppressed"].astype(bool) & part["valid"].fillna(0).gt(0)]
        largest = part["valid"].max()
        if home_id is not None:
            mine = part.loc[part["home_id"] == home_id]
            if mine.empty or pd.isna(mine["funnel_tau2"].iloc[0]):
                continue
            p0, tau2 = float(mine["group_positive_pct"].iloc[0]) / 100, float(mine["funnel_tau2"].iloc[0])
        else:
            if len(shown) < 2 or pd.isna(largest):
                continue
            k, n = shown["positive"].astype(float), shown["valid"].astype(float)
            p0 = float(k.sum() / n.sum())
            tau2 = overdispersion((k / n).to_numpy(), n.to_numpy(), p0)[1]
        valid = np.unique(np.geomspace(1, max(2.0, 1.2 * float(largest)), 60).round().astype(int))
        low95, high95 = funnel_limits_overdispersed(p0, valid, tau2, Z95)
        low998, high998 = funnel_limits_overdispersed(p0, valid, tau2, Z998)
        parts.append(
            pd.DataFrame(
                {
                    "period": each_period,
                    "theme_id": each_theme,
                    "group_positive_pct": 100 * p0,
                    "valid": valid,
                    "lower95_pct": 100 * low95,
                    "upper95_pct": 100 * high95,
                    "lower998_pct": 100 * low998,
                    "upper998_pct": 100 * high998,
                    "tau2": tau2,
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
        "tau2",
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
