"""The shape of one survey tool's export: its signature columns and what becomes of its metadata columns."""

from __future__ import annotations

from dataclasses import dataclass

from wellled.check.config import fold


@dataclass(frozen=True)
class Source:
    """One tool's export shape. Column names are folded (lower case, single spaces)."""

    name: str
    title: str
    signature: frozenset[str]
    submitted: tuple[str, ...] = ()
    response_id: tuple[str, ...] = ()
    dropped: frozenset[str] = frozenset()
    header_rows: int = 1

    def detect(self, columns: set[str]) -> bool:
        return bool(self.signature) and self.signature <= columns

    def renames(self, columns: list[str]) -> dict[str, str]:
        """Original header -> contract column, for the first present of each kept metadata column."""
        folded = {fold(c): c for c in columns}
        out = {}
        for target, candidates in (("submitted_on", self.submitted), ("response_id", self.response_id)):
            found = next((folded[c] for c in candidates if c in folded), None)
            if found is not None:
                out[found] = target
        return out
