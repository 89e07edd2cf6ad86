"""Actions (open, overdue, closed on time), repeat findings and response rates, with hand-worked expectations."""

from __future__ import annotations

import pandas as pd
import pytest

from wellled.analysis.actions import action_status, action_summary, action_table, repeat_findings, response_rates
from wellled.analysis.framework import load_framework
from wellled.analysis.suppression import SuppressionParams

KLOE = load_framework("cqc-kloe-2017")
SAF = load_framework("cqc-saf-2024")


def audit_rows(rows) -> pd.DataFrame:
    """Audit findings from (home, item_id, kloe, audit_date, result, action, priority, due, closed)."""
    records = []
    for home, item_id, kloe, on, result, action, priority, due, closed in rows:
        day = pd.Timestamp(on)
        records.append(
            {
                "audit_id": f"{home}-{on}",
                "home_id": home,
                "audit_date": day,
                "period": f"{day.year}-Q{(day.month - 1) // 3 + 1}",
                "kloe": kloe,
                "item_id": item_id,
                "item": f"Item {item_id}",
                "result": result,
                "action": action,
                "action_owner": "Deputy" if action else None,
                "priority": priority,
                "action_due": pd.Timestamp(due) if due else pd.NaT,
                "action_closed": pd.Timestamp(closed) if closed else pd.NaT,
                "quality_statement": None,
            }
        )
    frame = pd.DataFrame(records)
    for column in ("action", "action_owner", "priority", "quality_statement"):
        frame[column] = frame[column].astype("string")
    return frame


# 2026-Q3 runs from 1 July to 30 September
ACTIONS = audit_rows(
    [
        ("h-a", "a1", "W2", "2026-05-01", "Not met", "Fix a1", "high", "2026-06-01", None),  # open, overdue
        ("h-a", "a2", "W2", "2026-07-10", "Partially met", "Fix a2", "medium", "2026-08-01", "2026-07-30"),  # on time
        ("h-a", "a3", "W4", "2026-07-10", "Not met", "Fix a3", "low", "2026-09-15", "2026-09-20"),  # late
        ("h-a", "a4", "W4", "2026-07-10", "Not met", "Fix a4", "high", "2026-09-30", None),  # due on the last day: open
        ("h-a", "a5", "W1", "2026-03-01", "Not met", "Fix a5", "high", "2026-04-01", "2026-04-02"),  # closed before Q3
        ("h-a", "a6", "W1", "2026-10-05", "Not met", "Fix a6", "high", "2026-10-10", None),  # raised after Q3
        ("h-a", "a7", "W5", "2026-07-10", "Partially met", "Fix a7", None, None, None),  # open, no due date
        ("h-a", "a8", "W5", "2026-07-10", "Met", None, None, None, None),  # no action
        ("h-a", "a9", "W5", "2026-07-10", "Met", "   ", None, None, None),  # blank action
        ("h-b", "b1", "W2", "2026-05-01", "Not met", "Other home", "high", "2026-06-01", None),
    ]
)


def test_action_table_keeps_rows_with_an_action():
    table = action_table(ACTIONS, KLOE)
    assert sorted(table["item_id"]) == ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "b1"]
    assert list(table.loc[table["item_id"] == "a4", ["raised_on", "due_on", "theme_id"]].iloc[0]) == [
        pd.Timestamp("2026-07-10"),
        pd.Timestamp("2026-09-30"),
        "W4",
    ]


def test_action_status_at_the_period_end():
    status = action_status(action_table(ACTIONS, KLOE), "2026-Q3").set_index("item_id")
    assert "a6" not in status.index
    assert status["is_open"].to_dict() == {
        "a1": True,
        "a2": False,
        "a3": False,
        "a4": True,
        "a5": False,
        "a7": True,
        "b1": True,
    }
    assert status["is_overdue"][lambda s: s].index.tolist() == ["a1", "b1"]
    assert status["is_due_in_period"][lambda s: s].index.tolist() == ["a2", "a3", "a4"]
    assert status["is_closed_on_time"][lambda s: s].index.tolist() == ["a2"]
    assert not status.loc["a5", "is_relevant"]


def test_action_summary_counts_and_order():
    summary = action_summary(action_status(action_table(ACTIONS, KLOE), "2026-Q3"), "h-a", "2026-Q3")
    # open a1, a4, a7; overdue a1 (high); due in Q3 a2, a3, a4, of which a2 closed on time: 1 / 3 = 33.3 %
    assert {k: v for k, v in summary.items() if k != "items"} == {
        "as_at": "2026-Q3",
        "open": 3,
        "overdue": 1,
        "overdue_high_priority": 1,
        "due_in_period": 3,
        "closed_on_time": 1,
        "closed_on_time_pct": 33.3,
    }
    # overdue first, then priority high > medium > low > none
    assert [item["item_id"] for item in summary["items"]] == ["a1", "a4", "a2", "a3", "a7"]
    a1 = summary["items"][0]
    assert (a1["raised_on"], a1["due_on"], a1["closed_on"], a1["is_overdue"]) == (
        "2026-05-01",
        "2026-06-01",
        None,
        True,
    )
    assert summary["items"][2]["closed_on"] == "2026-07-30"


def test_closed_on_time_pct_is_null_without_actions_due():
    summary = action_summary(action_status(action_table(ACTIONS, KLOE), "2025-Q1"), "h-a", "2025-Q1")
    assert (summary["due_in_period"], summary["closed_on_time_pct"], summary["items"]) == (0, None, [])


REPEATS = audit_rows(
    [
        ("h-a", "X", "W2", "2026-01-15", "Not met", None, None, None, None),
        ("h-a", "X", "W2", "2026-04-15", "Not met", None, None, None, None),
        ("h-a", "X", "W2", "2026-07-15", "Not met", None, None, None, None),  # third in a row
        ("h-a", "Y", "W4", "2026-04-15", "Not met", None, None, None, None),
        ("h-a", "Y", "W4", "2026-07-15", "Met", None, None, None, None),  # put right
        ("h-a", "Z", "W1", "2026-01-15", "Not met", None, None, None, None),
        ("h-a", "Z", "W1", "2026-04-15", "N/A", None, None, None, None),
        ("h-a", "Z", "W1", "2026-07-15", "Not met", None, None, None, None),  # previous audit was N/A
        ("h-a", "M", "W2", "2026-07-05", "Not met", None, None, None, None),  # monthly: July then August
        ("h-a", "M", "W2", "2026-08-05", "Not met", None, None, None, None),
        ("h-a", "M", "W2", "2026-09-05", "Met", None, None, None, None),
        ("h-b", "X", "W2", "2026-07-15", "Not met", None, None, None, None),
    ]
)


def test_repeat_findings_in_the_period():
    found = repeat_findings(REPEATS, KLOE, "h-a", "2026-Q3")
    assert found["item_id"].tolist() == ["M", "X"]
    x = found.set_index("item_id").loc["X"]
    assert (x.last_not_met_on, x.previous_not_met_on, x.consecutive_not_met) == (
        pd.Timestamp("2026-07-15"),
        pd.Timestamp("2026-04-15"),
        3,
    )
    assert found.set_index("item_id").loc["M", "consecutive_not_met"] == 2


def test_repeat_findings_look_back_only_from_the_period():
    assert repeat_findings(REPEATS, KLOE, "h-a", "2026-Q2")["item_id"].tolist() == ["X"]
    assert repeat_findings(REPEATS, KLOE, "h-a", "2026-Q1").empty
    assert (
        repeat_findings(REPEATS, SAF, "h-a", "2026-Q3")["theme_id"].tolist()
        == ["governance-management-sustainability"] * 2
    )


HOMES = pd.DataFrame(
    {
        "home_id": ["h-a", "h-b"],
        "beds": pd.array([40, 30], "Int64"),
        "staff_headcount": pd.array([50, None], "Int64"),
        "residents": pd.array([36, None], "Int64"),
    }
)


def responses(counts: dict[tuple[str, str], int]) -> pd.DataFrame:
    rows = [
        {"response_id": f"{home}-{group}-{i}", "home_id": home, "respondent_group": group, "period": "2026-Q3"}
        for (home, group), n in counts.items()
        for i in range(n)
    ]
    return pd.DataFrame(rows)


def test_response_rates():
    frame = responses(
        {
            ("h-a", "staff"): 10,
            ("h-a", "resident"): 9,
            ("h-a", "family"): 3,
            ("h-b", "resident"): 6,
            ("h-b", "staff"): 7,
        }
    )
    rates = response_rates(frame, HOMES, "h-a", "2026-Q3", SuppressionParams(combine=()))
    assert rates["staff"] == {
        "responses": 10,
        "eligible": 50,
        "eligible_source": "staff_headcount",
        "rate_pct": 20.0,
        "suppressed": False,
    }
    # family (3) is hidden, so the next smallest group, resident (9), is hidden with it
    assert rates["resident"]["suppressed"] and rates["resident"]["rate_pct"] is None
    assert rates["resident"]["eligible_source"] == "residents"
    assert rates["family"] == {
        "responses": None,
        "eligible": None,
        "eligible_source": None,
        "rate_pct": None,
        "suppressed": True,
    }
    assert rates["professional"]["responses"] == 0 and not rates["professional"]["suppressed"]
    # combining (the default): family 3 joins resident 9 as "resident and family" 12, shown, with no denominator
    combined = response_rates(frame, HOMES, "h-a", "2026-Q3")
    assert list(combined) == ["staff", "professional", "resident and family"]
    assert combined["resident and family"] == {
        "responses": 12,
        "eligible": None,
        "eligible_source": None,
        "rate_pct": None,
        "suppressed": False,
        "combined_from": ["resident", "family"],
    }
    other = response_rates(frame, HOMES, "h-b", "2026-Q3")
    assert (other["resident"]["rate_pct"], other["resident"]["eligible_source"]) == (20.0, "beds")  # 6 / 30 beds
    assert other["staff"]["rate_pct"] is None and other["staff"]["responses"] == 7  # no headcount


@pytest.mark.parametrize(("count", "suppressed"), [(4, True), (5, False)])
def test_response_counts_suppressed_below_five(count, suppressed):
    rates = response_rates(responses({("h-a", "staff"): count}), HOMES, "h-a", "2026-Q3")
    assert rates["staff"]["suppressed"] is suppressed
    assert rates["staff"]["rate_pct"] == (None if suppressed else 10.0)
