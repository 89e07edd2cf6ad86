"""Load raw files: CSV or XLSX, every cell as text, with the line number the analyst sees.

Load is the first step of every stage: it turns a file into a ``RawFile`` or raises a ``DataError`` that names
the file and what is wrong with it. It finds the encoding (UTF-8 with or without BOM, UTF-16, Windows-1252),
the delimiter (comma, semicolon or tab, from the header line), the sheet and the header row (a title block above
it is skipped), and refuses what it cannot read safely: a file over a limit, a quoted field that swallows later
rows, a binary file under a text name. Nothing here judges the content; that is :mod:`wellled.check.rules`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import stat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wellled.check.config import DEFAULT, Limits
from wellled.check.values import printable
from wellled.errors import DataError

LINE = "__line"
SUFFIXES = (".csv", ".xlsx")
HEADER_SEARCH_ROWS = 30
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a zip archive (an XLSX workbook saved as .csv?)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook (save it as .xlsx)",
    b"{\\rtf": "an RTF document",
}

HeaderScore = Callable[[list[str]], int]


@dataclass(frozen=True)
class RawFile:
    """One raw file as text cells. ``frame`` has a ``__line`` column: the row's line in the file.

    ``wide_rows`` are (line, cells) of rows with more filled cells than the header: they are not in ``frame``
    and are quarantined by the caller. ``notes`` say what the reader decided (encoding, header row, sheet).
    """

    path: Path
    label: str
    sha256: str
    frame: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()
    wide_rows: tuple[tuple[int, int], ...] = ()
    header_line: int = 1

    @property
    def rows(self) -> int:
        return len(self.frame) + len(self.wide_rows)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_data_file(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES and not path.name.startswith(("~$", "."))


def walk(folder: Path) -> list[Path]:
    """Every entry under a folder, subfolders included, by path; symbolic links listed but never followed."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        base = Path(root)
        found += [base / d for d in dirs if (base / d).is_symlink()]
        found += [base / name for name in sorted(files)]
    return sorted(found)


def list_files(folder: Path) -> list[Path]:
    """The CSV and XLSX files under a folder (subfolders too), by path; office lock files and links left out."""
    return [p for p in walk(folder) if not p.is_symlink() and p.is_file() and _is_data_file(p)]


def not_read(folder: Path) -> list[tuple[Path, str, str]]:
    """Entries under a data folder that wellled does not read: (path, kind, reason)."""
    out = []
    for path in walk(folder):
        if path.is_symlink():
            reason = "not read: a symbolic link (links are never followed; copy the file in instead)"
            out.append((path, "symlink-not-followed", reason))
        elif path.name.startswith("~$"):
            out.append((path, "not-read", "not read: an office lock file (close the workbook)"))
        elif (
            path.name.startswith(".")
            or path.stem.lower() == "readme"
            or path.suffix.lower() in (".yml", ".yaml")
            or path.is_dir()
        ):
            continue
        elif not path.is_file():
            out.append((path, "not-read", "not read: not a regular file"))
        elif path.suffix.lower() not in SUFFIXES:
            reason = "not read: only .csv and .xlsx files are (save an .xls file as .xlsx)"
            out.append((path, "unsupported-file", reason))
    return out


def _too_large(label: str, what: str, key: str, limit: int, unit: str = "") -> DataError:
    return DataError(
        f"file too large for wellled to read: {what} (limit {limit:,}{unit}, [limits] {key} in wellled.toml)",
        file=label,
    )


def load(
    path: Path,
    label: str | None = None,
    *,
    header_score: HeaderScore | None = None,
    sheet: str | None = None,
    limits: Limits = DEFAULT.limits,
    header_only: bool = False,
) -> RawFile:
    """Read a CSV or XLSX file into text cells; a DataError names the file if it cannot be read or is empty.

    ``header_score`` counts the cells of a row that are known column names: the header is the first row, in
    the first rows of the file, where it counts at least two; else the first row. ``header_only`` accepts a file
    with a header and no rows (an export before any response).
    """
    label = label or printable(path.name)
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            raise DataError("a symbolic link: not followed", file=label)
        if info.st_size > limits.max_file_bytes:
            raise _too_large(
                label, f"{info.st_size / 2**20:,.0f} MB", "max_file_megabytes", limits.max_file_bytes >> 20, " MB"
            )
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read the file ({error.strerror})", file=label) from None
    score = header_score or (lambda cells: 0)
    if path.suffix.lower() == ".xlsx":
        header, records, lines, notes, header_line = _read_xlsx(data, label, score, sheet, limits)
    else:
        header, records, lines, notes, header_line = _read_csv(data, label, score, limits)
    frame, wide = _frame(header, records, lines, label, header_line)
    if frame.empty and not wide and not header_only:
        raise DataError("the file has a header but no rows", file=label)
    return RawFile(path, label, sha256_of(data), frame, tuple(notes), tuple(wide), header_line)


def _header(cells: list, label: str, line: int, records: list[list], at: int) -> tuple[list[str], list[int]]:
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


def _frame(
    header: tuple[list[str], list[int]], records: list[list], lines: list[int], label: str, header_line: int
) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    """Rows as text cells, blank-after-trimming as missing; rows with more filled cells than the header apart."""
    names, keep = header
    width = max(keep) + 1 if keep else 0
    rows, kept_lines, wide = [], [], []
    for line, record in zip(lines, records, strict=True):
        if len(record) > width:
            extra = record[width:]
            if any(cell is not None and str(cell).strip() for cell in extra):
                filled = width + max(i + 1 for i, c in enumerate(extra) if c is not None and str(c).strip())
                wide.append((line, filled))
                continue
        padded = record + [None] * (width - len(record))
        rows.append([padded[i] for i in keep])
        kept_lines.append(line)
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    del rows
    for column in names:
        frame[column] = pd.Series(_trimmed(frame[column].to_numpy(dtype=object)), index=frame.index, dtype=object)
    frame.insert(0, LINE, kept_lines)
    if len(wide) * 2 > len(wide) + len(kept_lines) and wide:
        line, cells = wide[0]
        raise DataError(
            f"{len(wide)} of {len(wide) + len(kept_lines)} rows have more cells than the header's {len(names)} columns "
            f"(the first, line {line}, has {cells}): is the delimiter or the header row wrong?",
            file=label,
        )
    return frame, wide


def _trimmed(cells: np.ndarray) -> np.ndarray:
    """Cells trimmed, blank as None; each distinct text is trimmed once and shared by every cell holding it."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    texts = [None if u is None else (str(u).strip() or None) for u in uniques]
    return np.array([*texts, None], dtype=object)[codes]


def _is_blank(record: list) -> bool:
    return all(cell is None or not str(cell).strip() for cell in record)


def _decode(data: bytes, label: str) -> tuple[str, str | None]:
    """The text and, when it was not UTF-8, a note naming the encoding."""
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise DataError(f"this is {kind}, not a CSV file", file=label)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, note = "utf-16", "read as UTF-16 text"
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding, note = "utf-8-sig", None
    elif len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0] and data[2]:
        encoding, note = "utf-16-le", "read as UTF-16 text"
    else:
        encoding, note = "utf-8", None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        if encoding != "utf-8":
            raise DataError(f"the file is not readable {encoding.upper()} text", file=label) from None
        try:
            text, note = data.decode("cp1252"), "read as Windows-1252 text (it is not UTF-8)"
        except UnicodeDecodeError:
            line = data[: error.start].count(b"\n") + 1
            raise DataError(
                "the file is not UTF-8 or Windows-1252 text (save it as 'CSV UTF-8')", file=label, where=f"line {line}"
            ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DataError("the file holds binary data, not text", file=label, where=f"line {line}")
    return text, note


def _delimiter(lines: list[str], score: HeaderScore) -> str:
    """The delimiter that splits a header line (the best-scoring of the first lines) into the most columns."""
    best, best_key = ",", (-1, -1)
    for delimiter in DELIMITERS:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        key = max(((score(r), len(r)) for r in rows if r), default=(0, 0))
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _read_csv(data: bytes, label: str, score: HeaderScore, limits: Limits):
    """CSV with the csv module: quoted line breaks, blank lines, CR, LF or CRLF endings, each row's first line."""
    text, note = _decode(data, label)
    if not text.strip():
        raise DataError("the file is empty", file=label)
    notes = [note] if note else []
    head = text[: 1 << 16].splitlines()[:HEADER_SEARCH_ROWS]
    delimiter = _delimiter(head, score)
    if delimiter != ",":
        notes.append(f"{DELIMITERS[delimiter]}-separated")
    csv.field_size_limit(max(limits.max_cell_characters + 1, 1 << 17))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, lines, start = [], [], 1
    width = 0
    try:
        for record in reader:
            spanned = reader.line_num - start
            if spanned > limits.max_quoted_field_lines or (
                spanned and width and _holds_records(record, delimiter, width)
            ):
                raise DataError(
                    f"a quoted field opened on line {start} runs over {spanned + 1} lines and swallows what look "
                    'like whole rows: is a quote (") missing its partner?',
                    file=label,
                    where=f"line {start}",
                )
            if not _is_blank(record):
                if any(len(cell) > limits.max_cell_characters for cell in record):
                    raise _too_large(
                        label, f"a cell on line {start} is longer", "max_cell_characters", limits.max_cell_characters
                    )
                records.append(record)
                lines.append(start)
                if len(records) > limits.max_rows + HEADER_SEARCH_ROWS:
                    raise _too_large(label, "too many rows", "max_rows", limits.max_rows)
                if len(records) == 1:
                    width = len(record)
            start = reader.line_num + 1
    except csv.Error as error:
        raise DataError(f"not a readable CSV file ({error})", file=label, where=f"line {start}") from None
    if not records:
        raise DataError("the file is empty", file=label)
    at = _header_row(records, score)
    if at:
        notes.append(f"header on line {lines[at]}: the {at} row(s) above it were skipped as a title")
    header = _header(records[at], label, lines[at], records, at + 1)
    return header, records[at + 1 :], lines[at + 1 :], notes, lines[at]


def _holds_records(record: list[str], delimiter: str, width: int) -> bool:
    """A multi-line cell with a line that splits into as many cells as a row: rows swallowed by a stray quote."""
    for cell in record:
        if "\n" in cell or "\r" in cell:
            inner = cell.splitlines()[1:]
            if sum(1 for part in inner if part.count(delimiter) >= max(width - 2, 2)) >= 1:
                return True
    return False


def _header_row(records: list[list], score: HeaderScore) -> int:
    """Position of the header among the first rows: the first scoring two or more known names, else 0."""
    for at, record in enumerate(records[:HEADER_SEARCH_ROWS]):
        if score([("" if c is None else str(c)).strip() for c in record]) >= 2:
            return at
    return 0


FORMULA_SCAN_BYTES = 64 << 20


def _has_formulas(archive: zipfile.ZipFile) -> bool:
    """Whether a worksheet holds a formula cell (``<f>``), scanning at most the first 64 MB of sheet XML."""
    scanned = 0
    for info in archive.infolist():
        if not info.filename.startswith("xl/worksheets/") or not info.filename.endswith(".xml"):
            continue
        with archive.open(info) as member:
            tail = b""
            while scanned < FORMULA_SCAN_BYTES and (block := member.read(1 << 20)):
                if b"<f>" in tail + block or b"<f " in tail + block:
                    return True
                tail, scanned = block[-3:], scanned + len(block)
    return False


def _check_zip(data: bytes, label: str, limits: Limits) -> bool:
    """Refuse what is not a workbook or expands beyond the limit; return whether its sheets hold formulas."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError("this is an old Excel .xls workbook renamed .xlsx (save it as .xlsx)", file=label)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
            formulas = expanded <= limits.max_xlsx_uncompressed_bytes and _has_formulas(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        kind = next((k for magic, k in _MAGIC.items() if data.startswith(magic)), None)
        what = f"this is {kind}, not" if kind and not kind.startswith("a zip") else "not"
        raise DataError(f"{what} a readable XLSX workbook", file=label) from None
    if expanded > limits.max_xlsx_uncompressed_bytes:
        raise _too_large(
            label,
            f"it expands to {expanded / 2**20:,.0f} MB",
            "max_xlsx_uncompressed_megabytes",
            limits.max_xlsx_uncompressed_bytes >> 20,
            " MB",
        )
    return formulas


def _sheet_rows(sheet, label: str, limits: Limits) -> list[tuple[int, list]]:
    """(row number, cells) of the non-blank rows, over the cells really used (never the declared dimension)."""
    sheet.reset_dimensions()
    rows, cells = [], 0
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells += len(row)
        if cells > limits.max_xlsx_cells:
            raise _too_large(
                label, f"sheet {sheet.title!r} has too many cells", "max_xlsx_cells", limits.max_xlsx_cells
            )
        record = [_xlsx_text(cell) for cell in row]
        if not _is_blank(record):
            if any(c is not None and len(c) > limits.max_cell_characters for c in record):
                raise _too_large(
                    label, f"a cell on row {number} is longer", "max_cell_characters", limits.max_cell_characters
                )
            rows.append((number, record))
            if len(rows) > limits.max_rows + HEADER_SEARCH_ROWS:
                raise _too_large(label, "too many rows", "max_rows", limits.max_rows)
    return rows


def _read_xlsx(data: bytes, label: str, score: HeaderScore, wanted: str | None, limits: Limits):
    """The sheet named, the only sheet, or the one sheet whose header matches; row numbers as in the workbook."""
    import openpyxl

    formulas = _check_zip(data, label, limits)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            names = book.sheetnames
            if wanted is not None:
                if wanted not in names:
                    raise DataError(
                        f"no sheet named {printable(wanted, 60)!r}; the sheets are {', '.join(map(repr, names))}",
                        file=label,
                    )
                chosen = [(wanted, _sheet_rows(book[wanted], label, limits))]
            else:
                sheets = [(name, _sheet_rows(book[name], label, limits)) for name in names]
                filled = [(n, r) for n, r in sheets if r]
                chosen = filled if len(filled) <= 1 else [(n, r) for n, r in filled if _matches(r, score)]
                if len(chosen) != 1 and len(filled) > 1:
                    shown = ", ".join(repr(printable(n, 40)) for n, _ in filled)
                    raise DataError(
                        f"the workbook has several sheets ({shown}) and {len(chosen) or 'none'} of them has the "
                        "expected header: name the sheet in a sidecar file (sheet: NAME)",
                        file=label,
                    )
        finally:
            book.close()
    except DataError:
        raise
    except MemoryError:
        raise _too_large(label, "it does not fit in memory", "max_xlsx_cells", limits.max_xlsx_cells) from None
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise DataError(f"not a readable XLSX workbook ({type(error).__name__})", file=label) from None
    if not chosen or not chosen[0][1]:
        raise DataError("the file is empty", file=label)
    name, rows = chosen[0]
    numbers = [n for n, _ in rows]
    records = [r for _, r in rows]
    notes = [f"sheet {printable(name, 60)!r}"] if len(names) > 1 else []
    if formulas:
        notes.append(
            "cells hold formulas: the values Excel last calculated were read (a formula never calculated, as in "
            "a workbook written by a program, reads as blank)"
        )
    at = _header_row(records, score)
    if at:
        notes.append(f"header on row {numbers[at]}: the {at} row(s) above it were skipped as a title")
    header = _header(records[at], label, numbers[at], records, at + 1)
    return header, records[at + 1 :], numbers[at + 1 :], notes, numbers[at]


def _matches(rows: list[tuple[int, list]], score: HeaderScore) -> bool:
    return any(score([(c or "").strip() for c in r]) >= 2 for _, r in rows[:HEADER_SEARCH_ROWS])


def _xlsx_text(value: object) -> str | None:
    """A cell as the analyst sees it: dates as YYYY-MM-DD (with the time if any), whole numbers without '.0'."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
