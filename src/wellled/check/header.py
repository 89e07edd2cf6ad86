"""The raw header and what the reader refuses: the header row among the first rows, its column names, the
file kinds that are not text, and the "file too large" error naming its limit."""

from __future__ import annotations

from collections.abc import Callable

from wellled.check.values import printable
from wellled.errors import DataError

HEADER_SEARCH_ROWS = 30


MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a zip archive (an XLSX workbook saved as .csv?)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook (save it as .xlsx)",
    b"{\\rtf": "an RTF document",
}

HeaderScore = Callable[[list[str]], int]


def too_large(label: str, what: str, key: str, limit: int, unit: str = "") -> DataError:
    return DataError(
        f"file too large for wellled to read: {what} (limit {limit:,}{unit}, [limits] {key} in wellled.toml)",
        file=label,
    )


def header_names(cells: list, label: str, line: int, records: list[list], at: int) -> tuple[list[str], list[int]]:
    """Column names and the positions kept: a nameless column is dropped if empty, else an error."""
    names = [("" if cell is None else str(cell)).strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    keep = []
    for i, name in enumerate(names):
        if name:
            keep.append(i)
            continue
        if any(i < len(r) and r[i] is not None and str(r[i]).strip() for r in records[at:]):
            raise DataError(
                f"column {i + 1} has data but no name in the header row (merged header cells?)",
                file=label,
                where=f"line {line}",
            )
    kept = [names[i] for i in keep]
    folded = [n.lower() for n in kept]
    repeated = sorted({n for n in kept if folded.count(n.lower()) > 1})
    if repeated:
        raise DataError(
            f"column {printable(repeated[0], 60)!r} appears twice in the header row", file=label, where=f"line {line}"
        )
    return kept, keep


def is_blank(record: list) -> bool:
    return all(cell is None or not str(cell).strip() for cell in record)


def header_row(records: list[list], score: HeaderScore) -> int:
    """Position of the header among the first rows: the first scoring two or more known names, else 0."""
    for at, record in enumerate(records[:HEADER_SEARCH_ROWS]):
        if score([("" if c is None else str(c)).strip() for c in record]) >= 2:
            return at
    return 0
