"""Load raw files: CSV (UTF-8) or XLSX, every cell as text, with the line number the analyst sees.

Load is the first step of every stage: it turns a file into a ``RawFile`` or raises a ``DataError`` that names
the file and what is wrong with it. Nothing here judges the content; that is :mod:`wellled.checks`.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wellled.errors import DataError

LINE = "__line"
SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class RawFile:
    """One raw file as text cells. ``frame`` has a ``__line`` column: the row's line in the file (header = 1)."""

    path: Path
    label: str
    sha256: str
    frame: pd.DataFrame = field(repr=False)

    @property
    def rows(self) -> int:
        return len(self.frame)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def list_files(folder: Path) -> list[Path]:
    """The CSV and XLSX files of a folder, by name; office lock files (``~$x.xlsx``) left out."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith("~$")
    )


def load(path: Path, label: str | None = None) -> RawFile:
    """Read a CSV or XLSX file into text cells; a DataError names the file if it cannot be read or is empty."""
    label = label or path.name
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read the file ({error.strerror})", file=label) from None
    frame = _read_xlsx(data, label) if path.suffix.lower() == ".xlsx" else _read_csv(data, label)
    if frame.empty:
        raise DataError("the file has a header but no rows", file=label)
    return RawFile(path, label, sha256_of(data), frame)


def _clean_header(columns: pd.Index, label: str) -> list[str]:
    names = [str(c).strip() for c in columns]
    blank = [i + 1 for i, name in enumerate(names) if not name or name.startswith("Unnamed:")]
    if blank:
        raise DataError(f"column {blank[0]} has no name in the header row", file=label, where="line 1")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(f"column {repeated[0]!r} appears twice in the header row", file=label, where="line 1")
    return names


def _read_csv(data: bytes, label: str) -> pd.DataFrame:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DataError(
            "the file is not UTF-8 text (save it as 'CSV UTF-8')", file=label, where=f"line {line}"
        ) from None
    if not text.strip():
        raise DataError("the file is empty", file=label)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError) as error:
        detail = str(error).strip().splitlines()[-1]
        raise DataError(f"not a readable CSV file ({detail})", file=label) from None
    frame.columns = _clean_header(frame.columns, label)
    frame = frame.mask(frame == "")
    frame.insert(0, LINE, _csv_lines(text, len(frame)))
    return frame


def _csv_lines(text: str, rows: int) -> list[int]:
    """Line number of each record (header = 1), honouring blank lines and quoted line breaks."""
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if physical == rows + 1:
        return list(range(2, rows + 2))
    reader = csv.reader(io.StringIO(text))
    lines, start = [], 1
    for record in reader:
        if start > 1 and record and not (len(record) == 1 and not record[0].strip()):
            lines.append(start)
        start = reader.line_num + 1
    return lines[:rows]


def _read_xlsx(data: bytes, label: str) -> pd.DataFrame:
    try:
        frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl", keep_default_na=False)
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise DataError(f"not a readable XLSX workbook ({type(error).__name__})", file=label) from None
    if frame.columns.empty:
        raise DataError("the file is empty", file=label)
    frame.columns = _clean_header(frame.columns, label)
    frame = frame.map(_xlsx_text).mask(frame == "")
    lines = frame.index + 2
    frame = frame.dropna(how="all")
    frame.insert(0, LINE, lines[frame.index] if len(frame) else [])
    return frame.reset_index(drop=True)


def _xlsx_text(value: object) -> object:
    """Excel dates arrive as '2026-01-31 00:00:00': keep the date part, as the analyst typed it."""
    if isinstance(value, str) and len(value) == 19 and value.endswith(" 00:00:00"):
        return value[:10]
    return value
