"""Audit actions, repeat findings and response rates for one home and period. Pure functions of frames.

Public API:

- :func:`action_table` ``(audits, framework) -> frame``: one row per audit finding that carries an action.
- :func:`action_status` ``(actions, period, as_of=None) -> frame``: each action as at the period's end.
- :func:`action_summary` ``(status, home_id, period) -> dict``: counts, ``closed_on_time_pct`` and the list.
- :func:`overdue_high_priority_counts` ``(actions, home_periods, as_of=None) -> frame``: for the rating cap.
- :func:`repeat_findings` ``(audits, framework, home_id, period) -> frame``: items Not met twice running.
- :func:`response_rates` ``(responses, homes, home_id, period, params, protected=None) -> dict``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from wellled.analysis.framework import Framework, assign_themes
from wellled.analysis.suppression import RESPONSES, SuppressionParams, protect
from wellled.check.contract import respondent_groups
from wellled.periods import period_bounds

GROUPS = tuple(respondent_groups())
PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}
ACTION_COLUMNS = [
    "home_id",
    "audit_id",
    "item_id",
    "item",
    "kloe",
    "theme_id",
    "result",
    "action",
    "action_owner",
    "priority",
    "raised_on",
    "due_on",
    "closed_on",
]


def action_table(audits: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Audit rows with a non-blank ``action``, renamed to ``raised_on`` (audit date), ``due_on``, ``closed_on``."""
    has_action = audits["action"].astype("string").str.strip().fillna("").ne("") if len(audits) else []
    rows = audits.loc[has_action].copy() if len(audits) else audits.head(0).copy()
    rows["theme_id"] = assign_themes(rows, framework, "item_id") if len(rows) else pd.Series(dtype="str")
    rows = rows.rename(columns={"audit_date": "raised_on", "action_due": "due_on", "action_closed": "closed_on"})
    for column in ("raised_on", "due_on", "closed_on"):
        rows[column] = pd.to_datetime(rows[column])
    return rows[ACTION_COLUMNS].reset_index(drop=True)


def _judged_on(period: str, as_of: dt.date | None) -> pd.Timestamp:
    end = period_bounds(period)[1]
    return pd.Timestamp(min(end, as_of) if as_of else end)


def action_status(actions: pd.DataFrame, period: str, as_of: dt.date | None = None) -> pd.DataFrame:
    """Actions raised by the period's end, with ``is_open``, ``is_overdue``, ``is_due_in_period``,
    ``is_closed_on_time`` and ``is_relevant`` (open at the end, or raised, due or closed in the period).

    Open: not closed on or before the period's end. Overdue: open and ``due_on`` before the period's end.
    """
    start = pd.Timestamp(period_bounds(period)[0])
    end = pd.Timestamp(period_bounds(period)[1])
    judged_on = _judged_on(period, as_of)
    rows = actions.loc[actions["raised_on"] <= judged_on].copy()
    rows["is_open"] = rows["closed_on"].isna() | (rows["closed_on"] > judged_on)
    rows["is_overdue"] = rows["is_open"] & rows["due_on"].notna() & (rows["due_on"] < judged_on)
    rows["is_due_in_period"] = rows["due_on"].between(start, end).fillna(False).astype(bool)
    rows["is_closed_on_time"] = (
        rows["is_due_in_period"] & rows["closed_on"].notna() & (rows["closed_on"] <= rows["due_on"])
    )
    in_period = rows["raised_on"].between(start, end) | rows["is_due_in_period"] | rows["closed_on"].between(start, end)
    rows["is_relevant"] = (rows["is_open"] | in_period.fillna(False)).astype(bool)
    return rows.reset_index(drop=True)


def action_summary(status: pd.DataFrame, home_id: str, period: str) -> dict:
    """Counts and the list of relevant actions of one home, overdue first, then by priority and due date."""
    rows = status.loc[status["home_id"] == home_id]
    high = rows["priority"].astype("string").eq("high").fillna(False).astype(bool)
    due = int(rows["is_due_in_period"].sum())
    on_time = int(rows["is_closed_on_time"].sum())
    listed = (
        rows.loc[rows["is_relevant"]]
        .assign(_rank=lambda f: f["priority"].astype("string").map(PRIORITY_ORDER).fillna(3).astype(int))
        .sort_values(
            ["is_overdue", "_rank", "due_on", "audit_id", "item_id"], ascending=[False, True, True, True, True]
        )
    )
    return {
        "as_at": period,
        "open": int(rows["is_open"].sum()),
        "overdue": int(rows["is_overdue"].sum()),
        "overdue_high_priority": int((rows["is_overdue"] & high).sum()),
        "due_in_period": due,
        "closed_on_time": on_time,
        "closed_on_time_pct": round(100 * on_time / due, 1) if due else None,
        "items": [
            {
                "audit_id": row.audit_id,
                "item_id": row.item_id,
                "item": row.item,
                "theme_id": row.theme_id,
                "result": row.result,
                "action": row.action,
                "action_owner": _text_or_none(row.action_owner),
                "priority": _text_or_none(row.priority),
                "raised_on": _date_or_none(row.raised_on),
                "due_on": _date_or_none(row.due_on),
                "closed_on": _date_or_none(row.closed_on) if not row.is_open else None,
                "is_open": bool(row.is_open),
                "is_overdue": bool(row.is_overdue),
            }
            for row in listed.itertuples(index=False)
        ],
    }


def _text_or_none(value) -> str | None:
    return None if pd.isna(value) else str(value)


def _date_or_none(value) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def overdue_high_priority_counts(
    actions: pd.DataFrame, home_periods: pd.DataFrame, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Open, overdue, high-priority actions per home, period and theme at each period's end."""
    columns = ["home_id", "period", "theme_id", "overdue_high_priority"]
    high = actions.loc[actions["priority"].astype("string").eq("high").fillna(False).astype(bool)]
    if high.empty or home_periods.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "overdue_high_priority" else "str") for c in columns})
    pairs = home_periods[["home_id", "period"]].drop_duplicates().merge(high, on="home_id", how="inner")
    judged = pairs["period"].map({p: _judged_on(p, as_of) for p in pairs["period"].unique()})
    pairs["_judged_on"] = pd.to_datetime(judged)
    is_open = (pairs["raised_on"] <= pairs["_judged_on"]) & (
        pairs["closed_on"].isna() | (pairs["closed_on"] > pairs["_judged_on"])
    )
    pairs["overdue_high_priority"] = is_open & pairs["due_on"].notna() & (pairs["due_on"] < pairs["_judged_on"])
    return (
        pairs.groupby(["home_id", "period", "theme_id"], observed=True)["overdue_high_priority"]
        .sum()
        .astype("int64")
        .reset_index()
    )


def repeat_findings(audits: pd.DataFrame, framework: Framework, home_id: str, period: str) -> pd.DataFrame:
    """Items Not met at an audit in the period and also at that item's previous audit (any earlier date).

    One row per item (the latest such audit in the period) with ``consecutive_not_met``, the run length.
    """
    start, end = (pd.Timestamp(day) for day in period_bounds(period))
    rows = audits.loc[(audits["home_id"] == home_id) & (audits["audit_date"] <= end)].copy()
    columns = ["item_id", "item", "kloe", "theme_id", "last_not_met_on", "previous_not_met_on", "consecutive_not_met"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows["theme_id"] = assign_themes(rows, framework, "item_id")
    rows = rows.sort_values(["item_id", "audit_date", "audit_id"], kind="stable")
    not_met = rows["result"].eq("Not met")
    by_item = rows.groupby("item_id", sort=False)
    rows["previous_result"] = by_item["result"].shift(1)
    rows["previous_not_met_on"] = by_item["audit_date"].shift(1)
    run_id = (~not_met).astype(int).groupby(rows["item_id"]).cumsum()
    rows["consecutive_not_met"] = not_met.astype(int).groupby([rows["item_id"], run_id]).cumsum()
    repeat = rows.loc[
        rows["audit_date"].between(start, end) & not_met & rows["previous_result"].eq("Not met").fillna(False)
    ]
    latest = repeat.groupby("item_id", sort=True).tail(1).sort_values("item_id")
    return pd.DataFrame(
        {
            "item_id": latest["item_id"].to_numpy(),
            "item": latest["item"].to_numpy(),
            "kloe": latest["kloe"].to_numpy(),
            "theme_id": latest["theme_id"].to_numpy(),
            "last_not_met_on": latest["audit_date"].to_numpy(),
            "previous_not_met_on": latest["previous_not_met_on"].to_numpy(),
            "consecutive_not_met": latest["consecutive_not_met"].astype("int64").to_numpy(),
        },
        columns=columns,
    )


def response_rates(
    responses: pd.DataFrame,
    homes: pd.DataFrame,
    home_id: str,
    period: str,
    params: SuppressionParams | int = 5,
    protected: pd.DataFrame | None = None,
) -> dict:
    """Questionnaires per published group in the period, and the rate against staff headcount or residents
    (else beds); keyed by group, a combined group by its name (e.g. ``family and professional``).

    Counts are hidden by :mod:`wellled.analysis.suppression`; ``protected`` is its result for the whole
    summary (themes and response counts together), else the response counts are protected on their own.
    """
    params = params if isinstance(params, SuppressionParams) else SuppressionParams(min_respondents=params)
    rows = responses.loc[(responses["home_id"] == home_id) & (responses["period"] == period)]
    counts = rows["respondent_group"].value_counts()
    if protected is None:
        questionnaires = pd.DataFrame(
            {
                "home_id": home_id,
                "period": period,
                "respondent_group": list(counts.index),
                "questionnaires": counts.values,
            }
        )
        protected = protect(_NO_ANSWERS, questionnaires, params)
    table = protected.loc[
        (protected["table"] == RESPONSES) & (protected["home_id"] == home_id) & (protected["period"] == period)
    ].set_index("unit")
    home = homes.loc[homes["home_id"] == home_id].iloc[0]
    residents = home.get("residents")
    denominators = {
        "staff": (home.get("staff_headcount"), "staff_headcount"),
        "resident": (residents, "residents") if pd.notna(residents) else (home.get("beds"), "beds"),
    }
    combined = {g for unit in table.index for g in table.loc[unit, "combined_from"]}
    out = {}
    for unit in [g for g in GROUPS if g not in combined] + [u for u in table.index if u not in GROUPS]:
        count = int(table.loc[unit, "respondents"]) if unit in table.index else 0
        eligible, source = denominators.get(unit, (None, None))
        eligible = int(eligible) if eligible is not None and pd.notna(eligible) and eligible > 0 else None
        suppressed = unit in table.index and pd.notna(table.loc[unit, "suppression"])
        entry: dict[str, Any] = {
            "responses": None if suppressed else count,
            "eligible": eligible,
            "eligible_source": source if eligible is not None else None,
            "rate_pct": None if eligible is None or suppressed else round(100 * count / eligible, 1),
            "suppressed": bool(suppressed),
        }
        if unit not in GROUPS:
            entry["combined_from"] = list(table.loc[unit, "combined_from"])
        out[unit] = entry
    return out


_NO_ANSWERS = pd.DataFrame(
    {
        "response_id": pd.Series(dtype="str"),
        "home_id": pd.Series(dtype="str"),
        "period": pd.Series(dtype="str"),
        "theme_id": pd.Series(dtype="str"),
        "respondent_group": pd.Series(dtype="str"),
        "score": pd.Series(dtype="int64"),
        "is_positive": pd.Series(dtype="bool"),
    }
)
