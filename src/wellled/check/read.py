"""Load raw files: CSV (UTF-8) or XLSX, every cell as text, with the line number the analyst sees.

Load is the first step of every stage: it turns a file into a ``RawFile`` or raises a ``DataError`` that names
the file and what is wrong with it. Nothing here judges the content; that is :mod:`wellled.check.rules`.
"""

from __future__ import annotations

import csv
import datetime as dt
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


def unsupported_files(folder: Path) -> list[Path]:
    """Files in a data folder that wellled does not read (not CSV or XLSX, not hidden, not a README)."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() not in SUFFIXES
        and not p.name.startswith((".", "~$"))
        and p.stem.lower() != "readme"
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


def _clean_header(cells: list, label: str) -> list[str]:
    """The header row as column names; a DataError for a blank or repeated name (checked before anything renames)."""
    names = [("" if cell is None else str(cell)).strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    blank = [i + 1 for i, name in enumerate(names) if not name]
    if blank:
        raise DataError(f"column {blank[0]} has no name in the header row", file=label, where="line 1")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(f"column {repeated[0]!r} appears twice in the header row", file=label, where="line 1")
    return names


def _frame(header: list[str], records: list[list], lines: list[int], label: str) -> pd.DataFrame:
    """Rows as text cells, blank-after-trimming as missing; a row with more filled cells than the header is an error."""
    width = len(header)
    rows = []
    for line, record in zip(lines, records, strict=True):
        if len(record) > width:
            extra = record[width:]
            if any(cell is not None and str(cell).strip() for cell in extra):
                raise DataError(
                    f"the row has {len(record)} cells but the header names {width} columns",
                    file=label,
                    where=f"line {line}",
                )
            record = record[:width]
        rows.append(record + [None] * (width - len(record)))
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    for column in header:
        cells = frame[column].astype("string").str.strip()
        frame[column] = cells.astype(object).where(cells.fillna("").ne(""), None)
    frame.insert(0, LINE, lines)
    return frame


def _is_blank(record: list) -> bool:
    return all(cell is None or not str(cell).strip() for cell in record)


def _read_csv(data: bytes, label: str) -> pd.DataFrame:
    """CSV with the csv module: quoted line breaks, blank lines, CR, LF or CRLF endings, each row's first line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DataError(
            "the file is not UTF-8 text (save it as 'CSV UTF-8')", file=label, where=f"line {line}"
        ) from None
    if not text.strip():
        raise DataError("the file is empty", file=label)
    reader = csv.reader(io.StringIO(text, newline=""))
    header, records, lines, start = None, [], [], 1
    try:
        for record in reader:
            if not _is_blank(record):
                if header is None:
                    header = _clean_header(record, label)
                else:
                    records.append(record)
                    lines.append(start)
            start = reader.line_num + 1
    except csv.Error as error:
        raise DataError(f"not a readable CSV file ({error})", file=label, where=f"line {start}") from None
    return _frame(header or [], records, lines, label)


def _read_xlsx(data: bytes, label: str) -> pd.DataFrame:
    """The first sheet of a workbook; line numbers are the spreadsheet's row numbers."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        header, records, lines = None, [], []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            record = [_xlsx_text(cell) for cell in row]
            if _is_blank(record):
                continue
            if header is None:
                header = _clean_header(record, label)
            else:
                records.append(record)
                lines.append(number)
        book.close()
    except DataError:
        raise
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise DataError(f"not a readable XLSX workbook ({type(error).__name__})", file=label) from None
    if header is None:
        raise DataError("the file is empty", file=label)
    return _frame(header, records, lines, label)


def _xlsx_text(value: object) -> str | None:
    """A cell as the analyst sees it: dates as YYYY-MM-DD, whole numbers without '.0'."""
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
