"""The quarantine: one entry per row or value held back, written to disk chunk by chunk as the run goes.

Each file's entries go to a part of their own; the part is kept when the file is done, or dropped when the
file turns out unreadable (its entries would describe rows never read). Memory holds one chunk's entries, when
the entries are written and when the quarantine list is written out from the parts at the end of the run.
"""

from __future__ import annotations

import itertools
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from wellled.check.rules import COPY, FIELD, ROW, Violation

OUTCOME = {ROW: "row held back", FIELD: "value dropped, row kept", COPY: "copy, counted once"}
COLUMNS = {
    "source_file": "string",
    "source_line": "int64",
    "home_id": "string",
    "column": "string",
    "rule_id": "string",
    "rule": "string",
    "outcome": "string",
    "value": "string",
}


def frame_of(violations: list[Violation]) -> pd.DataFrame:
    """One row per violation: where, which rule (words and ``rule_id``), what became of the row, a safe value."""
    frame = pd.DataFrame(
        [
            (v.file, v.line, v.home_id, v.column, v.rule_id, v.rule, OUTCOME.get(v.level, v.level), v.value)
            for v in violations
        ],
        columns=list(COLUMNS),
    )
    return frame.astype(COLUMNS)


class Parts:
    """The run's quarantine entries in Parquet parts under ``folder`` (removed by :meth:`remove`)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True)
        self._kept: list[Path] = []
        self._open: list[tuple[Path, int]] = []
        self._names = itertools.count()
        self.count = 0

    def add(self, violations: list[Violation]) -> None:
        """Entries of the file being checked; kept or dropped by :meth:`end_file`."""
        if violations:
            part = self.folder / f"{next(self._names):06d}.parquet"
            frame_of(violations).to_parquet(part, index=False)
            self._open.append((part, len(violations)))

    def end_file(self, keep: bool) -> None:
        for part, entries in self._open:
            if keep:
                self._kept.append(part)
                self.count += entries
            else:
                part.unlink()
        self._open = []

    @staticmethod
    def empty() -> pd.DataFrame:
        return frame_of([])

    def batches(self) -> Iterator[pd.DataFrame]:
        """Every kept entry, in the order found, one part (a chunk's entries) at a time."""
        for part in self._kept:
            yield pd.read_parquet(part).astype(COLUMNS)

    def head(self, entries: int) -> pd.DataFrame:
        """The first ``entries`` kept entries."""
        taken: list[pd.DataFrame] = []
        for batch in self.batches():
            if sum(map(len, taken)) >= entries:
                break
            taken.append(batch.head(entries - sum(map(len, taken))))
        return pd.concat(taken, ignore_index=True).astype(COLUMNS) if taken else frame_of([])

    def by_rule(self) -> list[tuple[str, str, str, int]]:
        """(file, column, rule, entries), by file, then most entries first; counted a part at a time."""
        counts: Counter[tuple[str, str, str]] = Counter()
        for batch in self.batches():
            keys = batch[["source_file", "column", "rule"]].fillna("")
            counts.update(Counter(map(tuple, keys.to_numpy().tolist())))
        ordered = sorted((*key, n) for key, n in counts.items())
        return sorted(ordered, key=lambda row: (row[0], -row[3]))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
