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


def volume_counts(responses: pd.DataFrame) -> pd.DataFrame:
    """Questionnaires per home and quarter (``n``) and the last file that held one: add chunks' counts up with
    :func:`add_counts`."""
    groups = responses.groupby(["home_id", "period"], sort=False)
    return pd.DataFrame({"n": groups.size(), "source_file": groups["source_file"].last()}).reset_index()


def add_counts(counts: list[pd.DataFrame]) -> pd.DataFrame:
    """The counts of several chunks (in file order) as one: sizes summed, the last file kept."""
    if not counts:
        return pd.DataFrame({"home_id": [], "period": [], "n": [], "source_file": []})
    groups = pd.concat(counts, ignore_index=True).groupby(["home_id", "period"], sort=False)
    return pd.DataFrame({"n": groups["n"].sum(), "source_file": groups["source_file"].last()}).reset_index()


def volume_changes(counts: pd.DataFrame, ratio: float = VOLUME_RATIO) -> list[Flag]:
    """A home whose questionnaires in a quarter are over ``ratio`` times, or under 1/``ratio`` of, the quarter
    before, counting none at all as a drop, but only in quarters where some home has questionnaires (a survey
    round that did not run is not a missing import). ``counts`` is from :func:`volume_counts`."""
    if counts.empty:
        return []
    table = counts.pivot_table(index="home_id", columns="period", values="n", aggfunc="sum", fill_value=0)
    files = counts.set_index(["home_id", "period"])["source_file"]
    periods = sorted(table.columns, key=parse_period)
    found = []
    for before, period in pairwise(periods):
        if shift_period(before, 1) != period:
            continue
        for home_id in sorted(table.index):
            previous, now = int(table.at[home_id, before]), int(table.at[home_id, period])
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


def straight_lined_lines(answers: pd.DataFrame, responses: pd.DataFrame) -> dict[str, list[int]]:
    """Lines, per file, of questionnaires answered with the same score throughout (at least three answers).

    Every answer of a questionnaire is in the same chunk as it, so chunks can be looked at one by one.
    """
    valid = answers.dropna(subset=["score"])
    if valid.empty:
        return {}
    stats = valid.groupby("response_id", sort=False)["score"].agg(["size", "nunique"])
    ids = stats.index[(stats["size"] >= STRAIGHT_LINE_MIN_ANSWERS) & (stats["nunique"] == 1)]
    hits = responses[responses["response_id"].isin(ids)]
    return {str(file): rows["source_line"].tolist() for file, rows in hits.groupby("source_file", sort=False)}


def straight_lined(hits: dict[str, tuple[int, list[int]]]) -> list[Flag]:
    """One flag per file with straight-lined questionnaires: (how many, their first lines) by file."""
    found = []
    for file in sorted(hits):
        count, lines = hits[file]
        if not count:
            continue
        shown = ", ".join(map(str, sorted(lines)[:10])) + (" ..." if count > 10 else "")
        found.append(
            Flag(
                file,
                "straight-lined",
                f"{count} questionnaire(s) give the same answer to every question "
                f"(line{'s' if count > 1 else ''} {shown})",
            )
        )
    return found
