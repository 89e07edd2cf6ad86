"""The quarantine: one entry per row or value held back, written to disk chunk by chunk as the run goes.

Each file's entries go to a part of their own; the part is kept when the file is done, or dropped when the
file turns out unreadable (its entries would describe rows never read). Memory holds one chunk's entries.
"""

from __future__ import annotations

import itertools
import shutil
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
        self._open: list[Path] = []
        self._names = itertools.count()

    def add(self, violations: list[Violation]) -> None:
        """Entries of the file being checked; kept or dropped by :meth:`end_file`."""
        if violations:
            part = self.folder / f"{next(self._names):06d}.parquet"
            frame_of(violations).to_parquet(part, index=False)
            self._open.append(part)

    def end_file(self, keep: bool) -> None:
        if keep:
            self._kept += self._open
        else:
            for part in self._open:
                part.unlink()
        self._open = []

    def frame(self) -> pd.DataFrame:
        """Every kept entry, in the order found."""
        if not self._kept:
            return frame_of([])
        return pd.concat([pd.read_parquet(p) for p in self._kept], ignore_index=True).astype(COLUMNS)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
