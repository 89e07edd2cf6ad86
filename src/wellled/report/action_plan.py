"""The action plan: open actions with status, closed in the quarter, closed but not effective, stale actions,
repeat audit failures, and "you said, we did"."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from IPython.display import Markdown

from wellled.report.comment_list import counted, distinct_comments
from wellled.report.content import HomeReport, judged_on, long_date, text_label
from wellled.report.present import Styled, md
from wellled.report.present import pct as _pct

DUE_SOON_DAYS = 14

STATUS = {
    "overdue": Styled("●\u00a0Overdue", "status-overdue"),  # no-break spaces: a status never wraps
    "due-soon": Styled("◐\u00a0Due\u00a0soon", "status-soon"),
    "on-track": Styled("○\u00a0On\u00a0track", "status-ok"),
    "no-date": Styled("–\u00a0No\u00a0due\u00a0date", "status-none"),
}


def _status(item: dict, day: dt.date) -> Styled:
    if item["is_overdue"]:
        return STATUS["overdue"]
    if not item.get("due_on"):
        return STATUS["no-date"]
    return STATUS["due-soon" if (dt.date.fromisoformat(item["due_on"]) - day).days <= DUE_SOON_DAYS else "on-track"]


def _days(later: dt.date, earlier: str | None) -> int | None:
    return None if not earlier else (later - dt.date.fromisoformat(earlier)).days


def _action_words(item: dict) -> str:
    """The action, with its audit item in brackets unless the action already names it."""
    action, audited = str(item.get("action") or "").strip(), str(item.get("item") or "").strip()
    if not audited or audited.lower() in action.lower():
        return action or audited
    return f"{action} ({audited})"


def action_counts(summary: dict) -> Markdown:
    actions = summary["actions"]
    due = actions["due_in_period"]
    closed = (
        f"{actions['closed_on_time']} of the {due} actions due this quarter were closed on time "
        f"({_pct(actions['closed_on_time_pct'])})"
        if due
        else "no action fell due this quarter"
    )
    return md(
        "On {day}: **{open}** actions open, **{overdue}** overdue (**{high}** of them high priority); {closed}. "
        "Status: ● overdue, ◐ due within {soon} days, ○ on track.",
        day=long_date(judged_on(summary)),
        open=actions["open"],
        overdue=actions["overdue"],
        high=actions["overdue_high_priority"],
        closed=closed,
        soon=DUE_SOON_DAYS,
    )


def open_actions(summary: dict) -> pd.DataFrame:
    """Every open action: item, action, owner, priority, due, days overdue, age, status word (and colour)."""
    day = judged_on(summary)
    rows = []
    for item in summary["actions"]["items"]:
        if not item["is_open"]:
            continue
        late = _days(day, item.get("due_on"))
        rows.append(
            {
                "Action (audit item)": _action_words(item),
                "Owner": item.get("action_owner"),
                "Priority": (item.get("priority") or "–").capitalize(),
                "Due": item.get("due_on"),
                "Overdue (days)": late if item["is_overdue"] else None,
                "Age (days)": _days(day, item.get("raised_on")),
                "Status": _status(item, day),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["Action (audit item)", "Owner", "Priority", "Due", "Overdue (days)", "Age (days)", "Status"]
    )
    return frame.astype({"Overdue (days)": "Int64", "Age (days)": "Int64"})


def closed_in_quarter(summary: dict) -> pd.DataFrame:
    """Actions closed in the quarter, on time or late (by how many days)."""
    start, end = dt.date.fromisoformat(summary["period_start"]), dt.date.fromisoformat(summary["period_end"])
    rows = []
    for item in summary["actions"]["items"]:
        closed = item.get("closed_on")
        if not closed or not start <= dt.date.fromisoformat(closed) <= end:
            continue
        late = _days(dt.date.fromisoformat(closed), item.get("due_on"))
        rows.append(
            {
                "Action (audit item)": _action_words(item),
                "Owner": item.get("action_owner"),
                "Due": item.get("due_on"),
                "Closed": closed,
                "Closed on time": "Yes" if late is None or late <= 0 else f"No, {late} day{'s' * (late > 1)} late",
            }
        )
    return pd.DataFrame(rows, columns=["Action (audit item)", "Owner", "Due", "Closed", "Closed on time"])


def _results_after(report: HomeReport, item_id: str, since: str) -> list[str]:
    audits = report.audits
    if audits is None or audits.empty:
        return []
    end = pd.Timestamp(report.summary["period_end"])
    rows = audits[(audits["item_id"] == item_id) & (audits["audit_date"] > pd.Timestamp(since))]
    rows = rows[rows["audit_date"] <= end].sort_values("audit_date")
    return [str(r) for r in rows["result"] if r != "N/A"]


def not_effective(report: HomeReport) -> pd.DataFrame:
    """Actions closed whose audit item was then not met again: closed, but not effective."""
    rows = []
    for item in report.summary["actions"]["items"]:
        closed = item.get("closed_on")
        if not closed:
            continue
        after = _results_after(report, item["item_id"], closed)
        if "Not met" in after:
            rows.append(
                {
                    "Action (audit item)": _action_words(item),
                    "Closed": closed,
                    "Audits since": len(after),
                    "Not met since": after.count("Not met"),
                }
            )
    return pd.DataFrame(rows, columns=["Action (audit item)", "Closed", "Audits since", "Not met since"])


def stale_actions(report: HomeReport) -> pd.DataFrame:
    """Open actions on an item met at every audit since the action was raised: listed for review."""
    summary = report.summary
    labels = {t["id"]: t for t in summary["themes"]}
    rows = []
    for item in summary["actions"]["items"]:
        if not item["is_open"] or not item.get("raised_on"):
            continue
        after = _results_after(report, item["item_id"], item["raised_on"])
        if not after or any(r != "Met" for r in after):
            continue
        theme = labels.get(item.get("theme_id"), {})
        caps = item["is_overdue"] and item.get("priority") == "high" and theme.get("rating_capped")
        rows.append(
            {
                "Action (audit item)": _action_words(item),
                "Raised": item["raised_on"],
                "Met since": f"{len(after)} of {len(after)} audits",
                "Effect on the rating": (
                    f"Caps {theme.get('label')} at Requires improvement (overdue, high priority)" if caps else "None"
                ),
            }
        )
    return pd.DataFrame(rows, columns=["Action (audit item)", "Raised", "Met since", "Effect on the rating"])


def stale_note(stale: pd.DataFrame) -> Markdown:
    if stale.empty:
        return md("No open action sits on an item that has been met at every audit since it was raised.")
    capping = int(stale["Effect on the rating"].ne("None").sum())
    cap = ""
    if capping:
        which = "it caps" if capping == 1 else "they cap"
        cap = (
            f" {capping} of them overdue and high priority, so {which} a rating at Requires improvement although "
            "the item is now met: close the action if the fix has held, or record why it stays open."
        )
    return md(
        "{n} open action(s) sit on an item met at every audit since they were raised: review whether each can "
        "be closed.{cap}",
        n=len(stale),
        cap=cap,
    )


def repeat_findings_table(summary: dict) -> pd.DataFrame:
    repeats = pd.DataFrame(summary["repeat_findings"])
    columns = {"item": "Audit item", "consecutive_not_met": "Audits running not met", "last_not_met_on": "Last"}
    if repeats.empty:
        return pd.DataFrame(columns=list(columns.values()))
    return repeats[list(columns)].rename(columns=columns)


def you_said_we_did(summary: dict) -> pd.DataFrame:
    """Per theme: what people said (distinct comments) next to the actions raised this quarter or still open."""
    start = summary["period_start"]
    rows = []
    for theme in summary["themes"]:
        said = [c for c in summary["comments"] if theme["id"] in c["theme_ids"]]
        actions = [
            a
            for a in summary["actions"]["items"]
            if a.get("theme_id") == theme["id"] and (a["is_open"] or (a.get("raised_on") or "") >= start)
        ]
        if not said and not actions:
            continue
        distinct = distinct_comments(said)
        example = f"“{distinct[0][0]}”" if distinct else ""
        distinct_actions = list(dict.fromkeys(a["action"] for a in actions))
        listed, more = "; ".join(distinct_actions[:3]), len(distinct_actions) - 3
        rows.append(
            {
                text_label(summary): theme["label"],
                "You said": f"{counted(len(said), 'comment')}; e.g. {example}" if said else "no comments",
                "We did": (listed + (f"; and {more} more in the action plan" if more > 0 else "")) or "no action",
            }
        )
    return pd.DataFrame(rows, columns=[text_label(summary), "You said", "We did"])
