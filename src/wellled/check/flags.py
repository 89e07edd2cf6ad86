"""Import-level flags: things an analyst should look at that do not stop a run (unless ``--strict``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import pairwise

import pandas as pd

from wellled.periods import parse_period, shift_period

VOLUME_RATIO = 3.0
STRAIGHT_LINE_MIN_ANSWERS = 3
SMALL_NUMBER = 5  # a count below this is never printed: it could identify the people who answered


def _count(n: int) -> str:
    """``n questionnaires``, or ``fewer than 5`` when so few that the number itself could identify people."""
    return f"{n} questionnaires" if n == 0 or n >= SMALL_NUMBER else f"fewer than {SMALL_NUMBER} questionnaires"


@dataclass(frozen=True)
class Flag:
    file: str
    kind: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def volume_changes(responses: pd.DataFrame, ratio: float = VOLUME_RATIO) -> list[Flag]:
    """A home whose questionnaires in a quarter are over ``ratio`` times, or under 1/``ratio`` of, the quarter
    before, counting none at all as a drop, but only in quarters where some home has questionnaires (a survey
    round that did not run is not a missing import)."""
    if responses.empty:
        return []
    counts = responses.groupby(["home_id", "period"]).size().unstack(fill_value=0)
    files = responses.groupby(["home_id", "period"])["source_file"].last()
    periods = sorted(counts.columns, key=parse_period)
    found = []
    for before, period in pairwise(periods):
        if shift_period(before, 1) != period:
            continue
        for home_id in counts.index:
            previous, now = int(counts.at[home_id, before]), int(counts.at[home_id, period])
            if previous and (now > ratio * previous or now * ratio < previous):
                file = files.get((home_id, period), "surveys/")
                found.append(
                    Flag(
                        file,
                        "response-volume",
                        f"{home_id}: {_count(now)} in {period} against {_count(previous)} the quarter "
                        f"before (more than {ratio:g}x change): a missing or doubled import?",
                    )
                )
    return found


def straight_lined(answers: pd.DataFrame, responses: pd.DataFrame) -> list[Flag]:
    """Questionnaires answered with the same score throughout (at least three answers), per file."""
    valid = answers.dropna(subset=["score"])
    if valid.empty:
        return []
    stats = valid.groupby("response_id", sort=False)["score"].agg(["size", "nunique"])
    ids = stats.index[(stats["size"] >= STRAIGHT_LINE_MIN_ANSWERS) & (stats["nunique"] == 1)]
    hits = responses[responses["response_id"].isin(ids)]
    found = []
    for file, rows in hits.groupby("source_file", sort=True):
        lines = rows["source_line"].sort_values().tolist()
        shown = ", ".join(map(str, lines[:10])) + (" ..." if len(lines) > 10 else "")
        found.append(
            Flag(
                file,
                "straight-lined",
                f"{len(lines)} questionnaire(s) give the same answer to every question "
                f"(line{'s' if len(lines) > 1 else ''} {shown})",
            )
        )
    return found
