"""The summary lists each theme's published groups in the contract's order, as the frame sort did."""

import pandas as pd

from wellled.analysis.summary import _GROUP_RANK, _theme_groups


def _groups(units: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "home_id": "h",
            "period": "2026-Q3",
            "theme_id": ["W1"] * len(units) + ["W2"],
            "respondent_group": pd.array([*units, "staff"], dtype="string"),
            "positive": range(len(units) + 1),
        }
    )


def _frame_order(groups: pd.DataFrame, theme_id: str) -> list[str]:
    rows = groups.loc[groups["theme_id"] == theme_id].sort_values(
        "respondent_group", key=lambda s: s.map(_GROUP_RANK).fillna(9)
    )
    return list(rows["respondent_group"])


def test_groups_in_contract_order_with_combined_groups_last_as_the_frame_sort_puts_them():
    cases = [
        ["professional", "staff", "family", "resident"],
        ["family and professional", "staff", "resident"],
        # two combined groups rank equal: the frame sort decides between them
        ["staff and resident", "family", "family and professional", "resident and staff"],
    ]
    for units in cases:
        groups = _groups(units)
        records = list(groups.itertuples(index=False))
        got = [g.respondent_group for g in _theme_groups(groups, records, "W1")]
        assert got == _frame_order(groups, "W1")
        assert sorted(got) == sorted(units)
    assert [g.respondent_group for g in _theme_groups(groups, records, "W2")] == ["staff"]
