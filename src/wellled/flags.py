"""Import-level flags: things an analyst should look at that do not stop a run (unless ``--strict``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

VOLUME_RATIO = 3.0
STRAIGHT_LINE_MIN_ANSWERS = 5


@dataclass(frozen=True)
class Flag:
    file: str
    kind: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def volume_changes(responses: pd.DataFrame, ratio: float = VOLUME_RATIO) -> list[Flag]:
    """A home whose questionnaires in a quarter are over ``ratio`` times, or under 1/``ratio`` of, the quarter
    before. Quarters with no questionnaires are not compared (a survey round may simply not have run)."""
    if responses.empty:
        return []
    counts = responses.groupby(["home_id", "period"]).agg(n=("response_id", "size"), file=("source_file", "last"))
    counts = counts.reset_index().sort_values(["home_id", "period"])
    found = []
    for home_id, rows in counts.groupby("home_id", sort=True):
        by_period = dict(zip(rows["period"], zip(rows["n"], rows["file"], strict=True), strict=True))
        for period, (n, file) in by_period.items():
            previous = by_period.get(_previous(period))
            if previous and (n > ratio * previous[0] or n * ratio < previous[0]):
                found.append(
                    Flag(
                        file,
                        "response-volume",
                        f"{home_id}: {n} questionnaires in {period} against {previous[0]} the quarter "
                        f"before (more than {ratio:g}x change): a missing or doubled import?",
                    )
                )
    return found


def _previous(period: str) -> str:
    from wellled.periods import shift_period

    return shift_period(period, -1)


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
