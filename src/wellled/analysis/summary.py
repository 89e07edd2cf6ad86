"""The summary of one home for one period: the JSON product behind ``wellled summary`` and the report.

Public API:

- :func:`build_summary` ``(clean, home_id, period=None, framework="cqc-kloe-2017", params=None)
  -> dict``: the summary described by ``docs/summary-schema.json`` (period default: the home's latest quarter
  with responses or audits).
- :func:`summarise` ``(paths, home_id, *, period, framework, params) -> dict``: the same, read from disk.
- :func:`to_json` ``(summary) -> str``: the JSON text printed by ``wellled summary`` and saved as summary.json.

Ratings in the summary are indicative: only CQC rates a service.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from wellled.analysis.actions import (
    GROUPS,
    action_status,
    action_summary,
    action_table,
    repeat_findings,
    response_rates,
)
from wellled.analysis.clean_data import CleanData, load_clean
from wellled.analysis.comments import comment_table
from wellled.analysis.framework import DEFAULT_FRAMEWORK, Framework, load_framework
from wellled.analysis.ratings import overall_rating
from wellled.analysis.scope import resolve_home, resolve_period
from wellled.analysis.themes import AnalysisParams, group_figures, scored_answers, theme_figures
from wellled.paths import Paths
from wellled.periods import parse_period, period_bounds, period_range

SCHEMA_VERSION = 1
NOTICE = "Indicative ratings from the provider's own survey and audit data. Only CQC rates a service."
NOT_FOR_PUBLICATION = (
    "NOT FOR PUBLICATION: figures from fewer than five questionnaires are shown and can identify people "
    "(--allow-small-numbers). "
)


def _num(value, digits: int = 1):
    """A JSON-ready float rounded to ``digits`` places; None when missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def _count(value):
    return None if value is None or pd.isna(value) else int(value)


def _ci(row) -> list[float] | None:
    if pd.isna(row.ci95_low_pct):
        return None
    return [_num(row.ci95_low_pct), _num(row.ci95_high_pct)]


def _survey(row, groups: pd.DataFrame) -> dict:
    return {
        "positive": _count(row.positive),
        "valid": _count(row.valid),
        "respondents": _count(row.respondents),
        "positive_pct": _num(row.positive_pct),
        "ci95": _ci(row),
        "suppressed": bool(row.suppressed),
        "by_group": [
            {
                "respondent_group": str(group.respondent_group),
                "positive": _count(group.positive),
                "valid": _count(group.valid),
                "respondents": _count(group.respondents),
                "positive_pct": _num(group.positive_pct),
                "ci95": _ci(group),
                "suppressed": bool(group.suppressed),
                "suppression": None if pd.isna(group.suppression) else str(group.suppression),
            }
            for group in groups.itertuples(index=False)
        ],
    }


def _theme(row, groups: pd.DataFrame, trend: pd.DataFrame, framework: Framework) -> dict:
    return {
        "id": row.theme_id,
        "label": row.theme_label,
        "text": framework.theme(row.theme_id).text,
        "survey": _survey(row, groups),
        "audit": {
            "items": int(row.items),
            "met": int(row.met),
            "partially_met": int(row.partially_met),
            "not_met": int(row.not_met),
            "not_applicable": int(row.not_applicable),
            "compliance_pct": _num(row.compliance_pct),
        },
        "score": _num(row.score),
        "rating": row.rating,
        "rating_capped": bool(row.is_capped),
        "overdue_high_priority_actions": int(row.overdue_high_priority),
        "trend": [
            {
                "period": point.period,
                "positive_pct": _num(point.positive_pct),
                "ci95": _ci(point),
                "valid": _count(point.valid),
                "respondents": _count(point.respondents),
                "suppressed": bool(point.suppressed),
                "compliance_pct": _num(point.compliance_pct),
                "score": _num(point.score),
                "rating": point.rating,
            }
            for point in trend.itertuples(index=False)
        ],
        "change": {
            "previous_period": row.previous_period,
            "previous_positive_pct": _num(row.previous_positive_pct),
            "change_pct_points": _num(row.change_pct_points),
            "z": _num(row.change_z, 3),
            "p_value": _num(row.change_p_value, 4),
            "significant": None if pd.isna(row.is_significant) else bool(row.is_significant),
            "direction": None if pd.isna(row.direction) else str(row.direction),
            "previous_score": _num(row.previous_score),
            "previous_rating": None if pd.isna(row.previous_rating) else str(row.previous_rating),
        },
        "benchmark": {
            "group_positive_pct": _num(row.group_positive_pct),
            "group_valid": _count(row.group_valid),
            "funnel": None if pd.isna(row.funnel) else str(row.funnel),
            "funnel_lower_pct": _num(row.funnel_lower_pct),
            "funnel_upper_pct": _num(row.funnel_upper_pct),
        },
    }


def build_summary(
    clean: CleanData,
    home_id: str,
    period: str | None = None,
    framework: str | Framework = DEFAULT_FRAMEWORK,
    params: AnalysisParams | None = None,
    figures: pd.DataFrame | None = None,
) -> dict:
    """The JSON-ready summary of one home and quarter; unknown home or quarter without data: UsageError.

    ``figures``: :func:`theme_figures` for the same data, framework and parameters, when the caller has them.
    """
    params = params or AnalysisParams()
    framework = framework if isinstance(framework, Framework) else load_framework(framework)
    home_id = resolve_home(clean, home_id)
    period = resolve_period(clean, home_id, period)
    home = clean.homes.loc[clean.homes["home_id"] == home_id].iloc[0]
    if figures is None:
        figures = theme_figures(clean, framework, params)
    groups = group_figures(scored_answers(clean.answers, clean.questions, framework), params)
    window = set(period_range(period, params.trend_quarters))
    mine = figures.loc[figures["home_id"] == home_id]
    current = mine.loc[mine["period"] == period]
    themes = []
    for row in current.itertuples(index=False):
        theme_groups = groups.loc[
            (groups["home_id"] == home_id) & (groups["period"] == period) & (groups["theme_id"] == row.theme_id)
        ].sort_values("respondent_group", key=lambda s: s.map({g: i for i, g in enumerate(GROUPS)}).fillna(9))
        trend = mine.loc[(mine["theme_id"] == row.theme_id) & mine["period"].isin(window)]
        trend = trend.sort_values("period", key=lambda s: s.map(parse_period))
        themes.append(_theme(row, theme_groups, trend, framework))
    status = action_status(action_table(clean.audits, framework), period, params.as_of)
    repeats = repeat_findings(clean.audits, framework, home_id, period)
    comments = comment_table(clean.responses, framework, home_id, period, params.min_respondents, clean.redact_names)
    start, end = period_bounds(period)
    from wellled import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "generated_by": f"wellled {__version__}",
        "notice": (NOT_FOR_PUBLICATION if params.not_for_publication else "") + NOTICE,
        "not_for_publication": params.not_for_publication,
        "home_id": home_id,
        "home_name": str(home["home_name"]),
        "period": period,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "framework": {
            "id": framework.id,
            "name": framework.name,
            "text_label": framework.text_label,
            "sha256": framework.sha256 or None,
        },
        "parameters": params.as_dict(),
        "themes": themes,
        "overall_rating": overall_rating([t["rating"] for t in themes], params.insufficient_limit),
        "actions": action_summary(status, home_id, period),
        "repeat_findings": [
            {
                "item_id": r.item_id,
                "item": r.item,
                "theme_id": r.theme_id,
                "last_not_met_on": pd.Timestamp(r.last_not_met_on).date().isoformat(),
                "previous_not_met_on": pd.Timestamp(r.previous_not_met_on).date().isoformat(),
                "consecutive_not_met": int(r.consecutive_not_met),
            }
            for r in repeats.itertuples(index=False)
        ],
        "response_rates": response_rates(
            clean.responses,
            clean.homes,
            home_id,
            period,
            params.min_respondents,
            hidden_elsewhere={
                g["respondent_group"] for t in themes for g in t["survey"]["by_group"] if g["suppressed"]
            },
        ),
        "comments": [
            {
                "respondent_group": c.respondent_group,
                "text": c.text,
                "theme_ids": list(c.theme_ids),
                "removed": list(c.removed),
            }
            for c in comments.itertuples(index=False)
        ],
        "inputs": [{"name": name, "sha256": digest} for name, digest in sorted(clean.input_sha256.items())],
    }


def to_json(summary: dict) -> str:
    """The summary as the JSON text ``wellled summary`` prints and reports publish as ``summary.json``."""
    return json.dumps(summary, indent=2, ensure_ascii=False) + "\n"


def summarise(
    paths: Paths,
    home_id: str,
    *,
    period: str | None = None,
    framework: str = DEFAULT_FRAMEWORK,
    params: AnalysisParams | None = None,
) -> dict:
    """The summary of one home from ``paths.clean``: what ``wellled summary`` prints."""
    chosen = load_framework(framework)  # a bad framework is bad usage, whatever the data
    return build_summary(load_clean(paths), home_id, period, chosen, params)
