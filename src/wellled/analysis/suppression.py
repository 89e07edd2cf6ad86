"""Disclosure control: every figure by respondent group, and every response count, goes through here.

One algorithm for one home's quarter (definitions in ``docs/methodology.md``, "Small numbers"):

1. **Combine.** A respondent group with fewer than ``min_respondents`` questionnaires in the quarter is joined
   with a partner from ``combine`` (pairs tried in order, e.g. family with professional) and published as one
   group ("family and professional"). The same groups are combined in every theme and in the response counts.
2. **Primary.** A published group with fewer than ``min_respondents`` questionnaires in a table is hidden,
   and labelled ``primary`` in every table of the quarter: a label per table would tell a reader which
   theme is the small one, and with the totals that can pin the hidden number down.
3. **Spread.** A group hidden in one table of the quarter is hidden in all of them (every theme and the
   response counts), so its number cannot be read in one table and subtracted in another.
4. **Secondary.** In each table whose total is shown, the hidden groups must be at least two, come together
   from at least ``min_respondents`` questionnaires, leave each hidden number open given what the labels
   say (primary: 1 to min - 1, secondary: at least min), and not be all positive or all negative (unless the
   total itself is): otherwise the smallest shown group (fewest questionnaires in the quarter) is hidden too
   and step 3 applies again, until no table needs more. Where no shown group is left to hide, the table's
   own total is hidden (``total_suppressed``).

Public API:

- :class:`SuppressionParams`: ``min_respondents`` and the combining order.
- :func:`combine_groups` ``(questionnaires, params) -> frame``: each raw group's published group.
- :func:`suppress` ``(cells, params) -> frame``: steps 2 to 4 on unit cells, adding ``suppression``.
- :func:`protect` ``(scored, questionnaires, params) -> frame``: all four steps from answers to cells.
- :func:`disclosure_loss` ``(cells, params) -> dict``: questionnaires hidden, small and to protect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wellled.check.contract import respondent_groups
from wellled.errors import UsageError

GROUPS = tuple(respondent_groups())
RESPONSES = "responses"  # the table of questionnaires per group (response rates)
HOME_QUARTER = ["home_id", "period"]
DEFAULT_COMBINE = (("family", "professional"), ("resident", "family"), ("resident", "professional"))


@dataclass(frozen=True)
class SuppressionParams:
    """``min_respondents``: fewest questionnaires behind any shown figure. ``combine``: pairs of groups that may
    be published together when one of them is small, tried in this order (staff are never combined by default:
    their voice differs from that of the people they care for)."""

    min_respondents: int = 5
    combine: tuple[tuple[str, str], ...] = DEFAULT_COMBINE

    def __post_init__(self) -> None:
        if not isinstance(self.min_respondents, int) or self.min_respondents < 1:
            raise UsageError(f"min_respondents must be a whole number of at least 1, not {self.min_respondents}")
        for pair in self.combine:
            if len(pair) != 2 or pair[0] == pair[1]:
                raise UsageError(f"each group combination names two different groups, not {pair!r}")


def _ordered(members) -> tuple[str, ...]:
    return tuple(sorted(members, key=lambda g: (GROUPS.index(g) if g in GROUPS else len(GROUPS), g)))


def unit_label(members: list[str] | tuple[str, ...]) -> str:
    """The published name of groups shown together, in the contract's order.

    >>> unit_label(["professional", "family"]), unit_label(["staff"])
    ('family and professional', 'staff')
    >>> unit_label(["professional", "family", "resident"])
    'resident, family and professional'
    """
    ordered = _ordered(members)
    return ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + " and " + ordered[-1]


def combine_groups(
    questionnaires: pd.DataFrame, params: SuppressionParams = SuppressionParams(), tables: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``(home_id, period, respondent_group, questionnaires) -> + unit, combined_from``.

    Pairs are tried in ``params.combine`` order; two groups (or groups already combined) are joined when both
    sent questionnaires and either would have fewer than ``min_respondents`` in some table: its questionnaires,
    or, given ``tables`` (``home_id, period, table, respondent_group, respondents``), its respondents in a theme.

    >>> q = pd.DataFrame({"home_id": "h", "period": "2026-Q3", "respondent_group": ["staff", "family",
    ...     "professional"], "questionnaires": [30, 20, 3]})
    >>> combine_groups(q)[["respondent_group", "unit"]].values.tolist()
    [['staff', 'staff'], ['family', 'family and professional'], ['professional', 'family and professional']]
    """
    out = questionnaires.copy()
    units: dict = {}
    combined_from: dict = {}
    minimum = params.min_respondents
    by_quarter: dict[tuple, dict[Any, dict[str, int]]] = {}
    if tables is not None:
        columns = (tables[c] for c in (*HOME_QUARTER, "table", "respondent_group"))
        for home, period, table, group, n in zip(*columns, tables["respondents"].astype(int), strict=True):
            by_quarter.setdefault((home, period), {}).setdefault(table, {})[group] = int(n)
    quarters: dict[tuple, list[tuple[Any, str, int]]] = {}
    columns = (out[c] for c in (*HOME_QUARTER, "respondent_group"))
    for index, home, period, group, n in zip(out.index, *columns, out["questionnaires"].astype(int), strict=True):
        if not (pd.isna(home) or pd.isna(period)):
            quarters.setdefault((home, period), []).append((index, group, int(n)))
    for key, rows in quarters.items():
        counts = [{group: n for _, group, n in rows}, *by_quarter.get(key, {}).values()]

        def smallest(members: frozenset[str], counts: list[dict] = counts) -> int:
            sums = [sum(c.get(g, 0) for g in members) for c in counts]
            return min(total for total in sums if total > 0)

        unit_of = {g: frozenset([g]) for g, n in counts[0].items() if n > 0}
        for a, b in params.combine:
            if a not in unit_of or b not in unit_of or unit_of[a] == unit_of[b]:
                continue
            if min(smallest(unit_of[a]), smallest(unit_of[b])) < minimum:
                joined = unit_of[a] | unit_of[b]
                for g in joined:
                    unit_of[g] = joined
        for index, group, _ in rows:
            members = _ordered(unit_of.get(group, frozenset([group])))
            units[index] = unit_label(members)
            combined_from[index] = members if len(members) > 1 else ()
    out["unit"] = pd.Series(units, dtype="string").reindex(out.index)
    out["combined_from"] = pd.Series(combined_from, dtype=object).reindex(out.index)
    return out


def _exposed(table: list[tuple], hidden: set[str], small: set[str], minimum: int) -> bool:
    """True when the hidden groups of one table (whose total is shown) could be worked out from it.

    ``table``: its cells as ``(unit, respondents, positive, valid)`` (``positive``/``valid`` None when not
    counted). A reader knows the hidden total and, from the labels, that a ``primary`` group may have 1 to
    ``minimum - 1`` questionnaires here and a ``secondary`` one at least ``minimum``; a hidden group whose
    number those bounds pin down, or a hidden set that is all positive or all negative, is exposed.
    """
    rows = [cell for cell in table if cell[0] in hidden]
    if not rows:
        return False
    total = sum(cell[1] for cell in rows)
    if len(rows) == 1 or total < minimum:
        return True
    low = [1 if cell[0] in small else minimum for cell in rows]
    high = [minimum - 1 if cell[0] in small else total for cell in rows]
    low_sum, high_sum = sum(low), sum(high)
    for lo, hi in zip(low, high, strict=True):
        if max(lo, total - (high_sum - hi)) >= min(hi, total - (low_sum - lo)):
            return True
    valid = sum(cell[3] for cell in rows if cell[3] is not None)
    if valid == 0:
        return False
    positive = sum(cell[2] for cell in rows if cell[2] is not None)
    total_valid = sum(cell[3] for cell in table if cell[3] is not None)
    total_positive = sum(cell[2] for cell in table if cell[2] is not None)
    return positive in (0, valid) and total_positive not in (0, total_valid)


def _values(column: pd.Series) -> list:
    """A column as Python values, missing ones as None."""
    return [None if pd.isna(value) else value for value in column.astype(object)]


def _nulls_last(value) -> tuple:
    return (value is None, 0 if value is None else value)


def suppress(cells: pd.DataFrame, params: SuppressionParams = SuppressionParams()) -> pd.DataFrame:
    """Primary, spread and secondary suppression of unit cells; adds ``suppression`` (primary/secondary/null):
    ``primary`` for a unit small in any table of its quarter, ``secondary`` for one hidden to protect others.

    ``cells``: one row per home, period, table (a theme id, or ``responses``) and unit with ``respondents``
    (questionnaires in that table), ``positive`` and ``valid`` (null in ``responses``) and ``size`` (the unit's
    questionnaires in the quarter, which decides which unit is hidden next: the smallest).

    >>> cells = pd.DataFrame({"home_id": "h", "period": "p", "table": "W1", "unit": ["staff", "resident",
    ...     "family"], "respondents": [20, 9, 3], "positive": [30, 12, 4], "valid": [40, 18, 6],
    ...     "size": [20, 9, 3]})
    >>> suppress(cells)["suppression"].fillna("shown").tolist()
    ['shown', 'secondary', 'primary']
    """
    minimum = params.min_respondents
    out = cells.reset_index(drop=True).copy()
    labels: list[str | None] = [None] * len(out)
    total_suppressed = [False] * len(out)
    unit, table_of = [str(u) for u in out["unit"]], list(out["table"])
    respondents, positive, valid, size = (_values(out[c]) for c in ("respondents", "positive", "valid", "size"))
    groups = out.groupby(HOME_QUARTER, sort=False).indices if len(out) else {}
    for positions in groups.values():
        present = [i for i in positions if respondents[i] > 0]
        hidden = {unit[i] for i in present if respondents[i] < minimum}
        small = set(hidden)
        by_table: dict = {}
        for i in present:
            by_table.setdefault(table_of[i], []).append(i)
        tables = [
            rows
            for _, rows in sorted(by_table.items(), key=lambda item: str(item[0]))
            if sum(respondents[i] for i in rows) >= minimum
        ]
        cells_of = {id(rows): [(unit[i], respondents[i], positive[i], valid[i]) for i in rows] for rows in tables}
        while True:
            exposed = next((rows for rows in tables if _exposed(cells_of[id(rows)], hidden, small, minimum)), None)
            if exposed is None:
                break
            candidates = [i for i in exposed if unit[i] not in hidden]
            if not candidates:  # nothing left to hide but the table's own total
                for i in exposed:
                    total_suppressed[i] = True
                tables = [rows for rows in tables if rows is not exposed]
                continue
            chosen = min(
                candidates,
                key=lambda i: (_nulls_last(size[i]), _nulls_last(respondents[i]), _nulls_last(valid[i]), unit[i]),
            )
            hidden.add(unit[chosen])
        # labels describe the group for the whole quarter
        for i in present:
            if unit[i] in small:
                labels[i] = "primary"
            elif unit[i] in hidden:
                labels[i] = "secondary"
    out["suppression"] = pd.Series(labels, index=out.index, dtype="string")
    out["total_suppressed"] = total_suppressed
    return out


def protect(
    scored: pd.DataFrame, questionnaires: pd.DataFrame, params: SuppressionParams = SuppressionParams()
) -> pd.DataFrame:
    """All four steps: scored answers and questionnaires per group -> published unit cells with suppression.

    ``questionnaires``: ``home_id, period, respondent_group, questionnaires`` (every questionnaire sent in the
    quarter). One row per home, period, table and unit with ``positive, valid, respondents, size,
    combined_from, suppression``.
    """
    raw_cells = (
        scored.groupby([*HOME_QUARTER, "theme_id", "respondent_group"], observed=True)["response_id"]
        .nunique()
        .reset_index(name="respondents")
        .rename(columns={"theme_id": "table"})
    )
    units = combine_groups(questionnaires, params, raw_cells)
    lookup = units[[*HOME_QUARTER, "respondent_group", "unit"]]
    answers = scored.merge(lookup, on=[*HOME_QUARTER, "respondent_group"], how="left")
    answers["unit"] = answers["unit"].fillna(answers["respondent_group"]).astype(str)
    theme_cells = (
        answers.groupby([*HOME_QUARTER, "theme_id", "unit"], observed=True, sort=True)
        .agg(positive=("is_positive", "sum"), valid=("score", "size"), respondents=("response_id", "nunique"))
        .reset_index()
        .rename(columns={"theme_id": "table"})
    )
    response_cells = (
        units.groupby([*HOME_QUARTER, "unit"], observed=True, sort=True)["questionnaires"]
        .sum()
        .reset_index(name="respondents")
        .assign(table=RESPONSES, positive=np.nan, valid=np.nan)
    )
    sizes = response_cells[[*HOME_QUARTER, "unit", "respondents"]].rename(columns={"respondents": "size"})
    cells = pd.concat([theme_cells, response_cells], ignore_index=True).merge(sizes, on=[*HOME_QUARTER, "unit"])
    members: dict[tuple, Any] = {}
    for key in zip(*(units[c] for c in (*HOME_QUARTER, "unit", "combined_from")), strict=True):
        members.setdefault(key[:3], key[3])
    cells["combined_from"] = [
        members.get(key, ()) for key in zip(*(cells[c] for c in (*HOME_QUARTER, "unit")), strict=True)
    ]
    for column in ("positive", "valid", "respondents", "size"):
        cells[column] = cells[column].astype("Int64")
    return suppress(cells, params)


def disclosure_loss(
    questionnaires: pd.DataFrame, cells: pd.DataFrame, params: SuppressionParams = SuppressionParams()
) -> dict:
    """What disclosure control cost, in questionnaires, over every home and quarter of ``cells``.

    ``questionnaires`` as for :func:`protect`, ``cells`` its result. A raw group's questionnaires lose their
    breakdown when its published group is hidden: ``hidden_small`` if the raw group had fewer than
    ``min_respondents``, ``hidden_to_protect`` otherwise. ``in_groups_of_minimum`` counts the questionnaires in
    raw groups of at least ``min_respondents`` (the base of the loss rate); ``combined_shown`` those of them
    shown inside a combined group. (Per home these counts would reveal the hidden numbers: provider level only.)
    """
    params = params or SuppressionParams()
    units = questionnaires.merge(
        cells.loc[cells["table"] == RESPONSES, [*HOME_QUARTER, "unit", "combined_from"]].explode("combined_from"),
        left_on=[*HOME_QUARTER, "respondent_group"],
        right_on=[*HOME_QUARTER, "combined_from"],
        how="left",
    )
    units["unit"] = units["unit"].fillna(units["respondent_group"])
    units["combined_from"] = units["combined_from"].notna()
    table = cells.loc[cells["table"] == RESPONSES, [*HOME_QUARTER, "unit", "suppression"]]
    rows = units.merge(table, on=[*HOME_QUARTER, "unit"], how="left")
    size = rows["questionnaires"].astype(int)
    small = size < params.min_respondents
    hidden = rows["suppression"].notna()
    combined = rows["combined_from"]
    return {
        "questionnaires": int(size.sum()),
        "in_groups_of_minimum": int(size[~small].sum()),
        "hidden_small": int(size[hidden & small].sum()),
        "hidden_to_protect": int(size[hidden & ~small].sum()),
        "combined_shown": int(size[combined & ~hidden & ~small].sum()),
        "groups_combined": int(rows.loc[combined].drop_duplicates([*HOME_QUARTER, "unit"]).shape[0]),
    }
