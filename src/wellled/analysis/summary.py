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
from wellled.analysis.ratings import overall_rating, rating_range
from wellled.analysis.scope import resolve_home, resolve_period
from wellled.analysis.spc import SpcParams, pooled_change, spc_summary
from wellled.analysis.suppression import RESPONSES, unit_label
from wellled.analysis.themes import (
    AnalysisParams,
    adjustment_words,
    protected_groups,
    publish_groups,
    scored_answers,
    theme_figures,
)
from wellled.paths import Paths
from wellled.periods import parse_period, period_bounds, period_range, shift_period

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


def _survey(row, groups: list) -> dict:
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
                **({"combined_from": list(group.combined_from)} if len(group.combined_from) > 1 else {}),
            }
            for group in groups
        ],
    }


def _pool(
    periods: list, positive: list, valid: list, suppressed: list, wanted: list[str]
) -> tuple[tuple[int, int], list[str]]:
    """(positive, valid) summed over the shown quarters among ``wanted``, and those quarters."""
    k = n = 0
    pooled = []
    for each, kp, nv, hidden in zip(periods, positive, valid, suppressed, strict=True):
        if each in wanted and not hidden and nv is not None:
            k, n = k + (0 if kp is None else kp), n + nv
            pooled.append(str(each))
    return (k, n), pooled


def _change(periods: list, positive: list, valid: list, suppressed: list, period: str, spc: SpcParams) -> dict:
    """:func:`change_over_time` of a series given as lists (counts as int or None, suppressed as bool)."""
    chart = spc_summary(periods, positive, valid, suppressed, spc)
    series = (periods, positive, valid, suppressed)
    year_ago = shift_period(period, -4)
    (k1, n1), _ = _pool(*series, [period])
    (k0, n0), _ = _pool(*series, [year_ago])
    yoy = pooled_change((k0, n0), (k1, n1), spc) if n0 and n1 else None
    if yoy is not None:
        yoy = {"previous_period": year_ago, **yoy}
    last_four = [shift_period(period, -i) for i in range(4)]
    four_before = [shift_period(period, -i) for i in range(4, 8)]
    after, after_periods = _pool(*series, last_four)
    before, before_periods = _pool(*series, four_before)
    rolling = None
    if len(after_periods) >= 2 and len(before_periods) >= 2:
        rolling = {
            "periods": after_periods,
            "previous_periods": before_periods,
            **(pooled_change(before, after, spc) or {}),
        }
    return {"spc": chart, "year_on_year": yoy, "rolling_year": rolling}


def change_over_time(trend: pd.DataFrame, period: str, spc: SpcParams) -> dict:
    """``spc``, ``year_on_year`` and ``rolling_year`` of one series (columns period, positive, valid,
    suppressed; oldest first). Hidden quarters are left out of every pool, so nothing hidden can be
    recovered by subtraction."""
    valid = [None if pd.isna(v) else int(v) for v in trend["valid"]]
    positive = [None if pd.isna(v) else int(v) for v in trend["positive"]]
    return _change(list(trend["period"]), positive, valid, list(trend["suppressed"].astype(bool)), period, spc)


def evidence(row, groups: int) -> dict:
    """What a theme's rating rests on (``theme["evidence"]``), with words for the report."""
    valid, questionnaires = _count(row.valid), _count(row.respondents)
    items = int(row.met) + int(row.partially_met) + int(row.not_met)
    level = str(row.evidence_level)
    parts = []
    if valid:
        parts.append(
            f"{valid} {'answer' if valid == 1 else 'answers'} from {questionnaires} "
            f"{'questionnaire' if questionnaires == 1 else 'questionnaires'}"
        )
    if items:
        parts.append(f"{items} audit {'item' if items == 1 else 'items'}")
    label = {"sufficient": "Evidence", "limited": "Limited evidence", "none": "No evidence"}[level]
    words = f"{label}: {' and '.join(parts)}" if parts else "No evidence: no survey figure shown and no audit items"
    return {
        "level": level,
        "valid_answers": valid,
        "questionnaires": questionnaires,
        "respondent_groups": groups,
        "audit_items": items,
        "words": words,
    }


def _rating_words(rating: str, level: str) -> str:
    return f"Limited evidence: indicative {rating}" if level == "limited" else rating


def _theme(row, groups: list, trend: list, framework: Framework, spc: SpcParams, params) -> dict:
    """One theme of the summary: ``row`` of the figures, its published groups and its trend rows, oldest first."""
    low, high = _num(row.score_ci95_low), _num(row.score_ci95_high)
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
        "score_ci95": None if low is None else [low, high],
        "rating": row.rating,
        "rating_words": _rating_words(row.rating, str(row.evidence_level)),
        "rating_range": rating_range(low, high, params.thresholds, bool(row.overdue_high_priority)),
        "evidence": evidence(row, len(groups)),
        "weights": {"survey": round(float(row.survey_weight), 3), "audit": round(float(row.audit_weight), 3)},
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
            for point in trend
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
            "pool_homes": int(row.pool_homes),
            "adjustment": adjustment_words(
                None if pd.isna(row.funnel_phi) else float(row.funnel_phi),
                None if pd.isna(row.funnel_tau2) else float(row.funnel_tau2),
            ),
        },
        **_change(
            [point.period for point in trend],
            [None if pd.isna(point.positive) else int(point.positive) for point in trend],
            [None if pd.isna(point.valid) else int(point.valid) for point in trend],
            [bool(point.suppressed) for point in trend],
            row.period,
            spc,
        ),
    }


def _rows(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """``frame.loc[mask]``, column by column: Arrow-backed text is filtered chunk by chunk, where a row take
    first joins every chunk of the column (the answers of all homes: tens of chunks)."""
    keep = mask.to_numpy(dtype=bool, na_value=False)
    return pd.DataFrame({name: frame[name].array[keep] for name in frame.columns}, index=frame.index[keep])


_GROUP_RANK = {group: i for i, group in enumerate(GROUPS)}


def _theme_groups(groups: pd.DataFrame, records: list, theme_id: str) -> list:
    """The published groups of one theme (``records``: rows of ``groups``, from :func:`publish_groups`), in the
    contract's order."""
    rows = [group for group in records if group.theme_id == theme_id]
    ranks = [_GROUP_RANK.get(group.respondent_group, 9) for group in rows]
    if len(set(ranks)) == len(ranks):
        return [rows[i] for i in sorted(range(len(rows)), key=ranks.__getitem__)]
    # groups of equal rank (several combined ones): the order pandas gives them
    tied = groups.loc[groups["theme_id"] == theme_id].sort_values(
        "respondent_group", key=lambda s: s.map(_GROUP_RANK).fillna(9)
    )
    return list(tied.itertuples(index=False))


def _overall(recent: list) -> tuple[list, list, list, list]:
    """Periods, positive, valid and suppressed of all themes pooled per quarter (quarters with nothing shown:
    None), from a home's figure rows."""
    periods = sorted({str(point.period) for point in recent}, key=parse_period)
    sums: dict[str, tuple[int, int]] = {}
    for point in recent:
        if not bool(point.suppressed) and not pd.isna(point.valid):
            k, n = sums.get(point.period, (0, 0))
            sums[point.period] = (k + (0 if pd.isna(point.positive) else int(point.positive)), n + int(point.valid))
    positive = [sums[p][0] if p in sums else None for p in periods]
    valid = [sums[p][1] if p in sums else None for p in periods]
    return periods, positive, valid, [n is None or n == 0 for n in valid]


def disclosure(protected: pd.DataFrame, params: AnalysisParams) -> dict:
    """What disclosure control did to one home's quarter, counted in respondent groups.

    Counting the hidden questionnaires instead would give away the hidden numbers (the total less the shown).
    """
    table = protected.loc[protected["table"] == RESPONSES]
    primary = [str(u) for u in table.loc[table["suppression"] == "primary", "unit"]]
    secondary = [str(u) for u in table.loc[table["suppression"] == "secondary", "unit"]]
    combined = [str(u) for u, members in zip(table["unit"], table["combined_from"], strict=True) if len(members) > 1]
    minimum = params.min_respondents
    words = []
    for unit in combined:
        words.append(f"{unit.capitalize()} are shown together because one group sent fewer than {minimum}.")
    if primary:
        words.append(f"Hidden because fewer than {minimum} questionnaires: {unit_label(primary)}.")
    if secondary:
        words.append(f"Hidden so that the smaller group cannot be worked out by subtraction: {unit_label(secondary)}.")
    total = int(table["respondents"].sum())
    # with a count hidden, the quarter's total would bound it through the themes it is absent from
    total_shown = total >= minimum and not bool(table["total_suppressed"].any()) and table["suppression"].isna().all()
    return {
        "questionnaires": total if total_shown else None,
        "hidden_small": len(primary),
        "hidden_to_protect": len(secondary),
        "groups_combined": len(combined),
        "unit": "respondent groups",
        "words": " ".join(words) or "Every respondent group is shown.",
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
    responses = clean.responses.loc[(clean.responses["home_id"] == home_id) & (clean.responses["period"] == period)]
    questionnaires = (
        responses.groupby(["home_id", "period", "respondent_group"], observed=True)
        .size()
        .reset_index(name="questionnaires")
    )
    answers = clean.answers
    mine_scored = scored_answers(
        _rows(answers, (answers["home_id"] == home_id) & (answers["period"] == period)), clean.questions, framework
    )
    protected = protected_groups(mine_scored, params, questionnaires)
    groups = publish_groups(protected)
    group_records = list(groups.itertuples(index=False))
    window = set(period_range(period, params.trend_quarters))
    spc = SpcParams(significance_level=params.significance_level)
    mine = figures.loc[figures["home_id"] == home_id]
    recent = list(mine.loc[mine["period"].isin(window)].itertuples(index=False))
    trends: dict[str, list] = {}
    for point in recent:
        trends.setdefault(point.theme_id, []).append(point)
    themes = [
        _theme(
            row,
            _theme_groups(groups, group_records, row.theme_id),
            sorted(trends[row.theme_id], key=lambda point: parse_period(point.period)),
            framework,
            spc,
            params,
        )
        for row in recent
        if row.period == period
    ]
    overall = _overall(recent)
    audits = clean.audits.loc[clean.audits["home_id"] == home_id]
    status = action_status(action_table(audits, framework), period, params.as_of)
    repeats = repeat_findings(audits, framework, home_id, period)
    comments = comment_table(responses, framework, home_id, period, params.min_respondents, clean.redact_names)
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
        "overall_change": _change(*overall, period, spc),
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
            responses, clean.homes, home_id, period, params.suppression, protected=protected
        ),
        "disclosure": disclosure(protected, params),
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
