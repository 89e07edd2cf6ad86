"""What a run of the checks found: one outcome per input file, the flags, the timings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wellled.check import flags

if TYPE_CHECKING:
    from wellled.check.quarantine import Parts


@dataclass
class FileOutcome:
    """What became of one input file. For a rejected file every row is held back: rows_quarantined = rows_read."""

    file: str
    dataset: str
    rows_read: int = 0
    rows_clean: int = 0
    rows_quarantined: int = 0
    blocking_error: str | None = None
    sha256: str | None = None

    def reject(self, reason: str) -> None:
        self.blocking_error = reason
        self.rows_clean, self.rows_quarantined = 0, self.rows_read


@dataclass
class CheckResult:
    """The run's findings. The clean tables are in the staging folder; ``quarantine`` holds every entry on disk,
    and ``page_entries`` of them are listed on the data-quality page."""

    files: list[FileOutcome] = field(default_factory=list)
    flags: list[flags.Flag] = field(default_factory=list)
    quarantine: Parts | None = None
    page_entries: int = 500
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def blocking(self) -> list[FileOutcome]:
        return [f for f in self.files if f.blocking_error]
