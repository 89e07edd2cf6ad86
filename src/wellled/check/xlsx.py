"""XLSX workbooks: the used range of the chosen sheet as text cells, a row at a time, under the cell and size
limits."""

from __future__ import annotations

import datetime as dt
import itertools
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from wellled.check.config import Limits
from wellled.check.header import HEADER_SEARCH_ROWS, MAGIC, HeaderScore, header_names, header_row, is_blank, too_large
from wellled.check.values import printable
from wellled.errors import DataError

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


def _check_zip(path: Path, label: str, limits: Limits) -> bool:
    """Refuse what is not a workbook or expands beyond the limit; return whether its sheets hold formulas."""
    with open(path, "rb") as handle:
        start = handle.read(8)
    if start.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError("this is an old Excel .xls workbook renamed .xlsx (save it as .xlsx)", file=label)
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
            formulas = expanded <= limits.max_xlsx_uncompressed_bytes and _has_formulas(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        kind = next((k for magic, k in MAGIC.items() if start.startswith(magic)), None)
        what = f"this is {kind}, not" if kind and not kind.startswith("a zip") else "not"
        raise DataError(f"{what} a readable XLSX workbook", file=label) from None
    if expanded > limits.max_xlsx_uncompressed_bytes:
        raise too_large(
            label,
            f"it expands to {expanded / 2**20:,.0f} MB",
            "max_xlsx_uncompressed_megabytes",
            limits.max_xlsx_uncompressed_bytes >> 20,
            " MB",
        )
    return formulas


def _sheet_rows(sheet, label: str, limits: Limits) -> Iterator[tuple[int, list]]:
    """(row number, cells) of the non-blank rows, over the cells really used (never the declared dimension)."""
    sheet.reset_dimensions()
    count = cells = 0
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells += len(row)
        if cells > limits.max_xlsx_cells:
            raise too_large(label, f"sheet {sheet.title!r} has too many cells", "max_xlsx_cells", limits.max_xlsx_cells)
        record = [_xlsx_text(cell) for cell in row]
        if not is_blank(record):
            if any(c is not None and len(c) > limits.max_cell_characters for c in record):
                raise too_large(
                    label, f"a cell on row {number} is longer", "max_cell_characters", limits.max_cell_characters
                )
            count += 1
            if count > limits.max_rows + HEADER_SEARCH_ROWS:
                raise too_large(label, "too many rows", "max_rows", limits.max_rows)
            yield number, record


def _guarded(rows: Iterator[tuple[int, list]], label: str, limits: Limits) -> Iterator[tuple[int, list]]:
    """The rows, with openpyxl's errors as DataErrors."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except DataError:
            raise
        except Exception as error:
            raise _unreadable(error, label, limits) from None
        yield row


def _unreadable(error: Exception, label: str, limits: Limits) -> DataError:
    """openpyxl's error (it raises many types for a damaged workbook) as the file's DataError."""
    if isinstance(error, MemoryError):
        return too_large(label, "it does not fit in memory", "max_xlsx_cells", limits.max_xlsx_cells)
    return DataError(f"not a readable XLSX workbook ({type(error).__name__})", file=label)


def _closing(rows: Iterator[tuple[int, list]], book) -> Iterator[tuple[int, list]]:
    """The rows; the workbook (an open file) is closed when they end, fail or are dropped."""
    try:
        yield from rows
    finally:
        book.close()


def read_xlsx(path: Path, label: str, score: HeaderScore, wanted: str | None, limits: Limits):
    """(header, an iterator of (row number, cells) below it, notes, the header's row number) of the sheet named,
    the only sheet, or the one sheet whose header matches.

    The workbook is opened from its path and the chosen sheet streamed a row at a time: only the first rows of
    each sheet are read to choose one.
    """
    import openpyxl

    formulas = _check_zip(path, label, limits)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise _unreadable(error, label, limits) from None
    try:
        names = book.sheetnames
        if wanted is not None and wanted not in names:
            raise DataError(
                f"no sheet named {printable(wanted, 60)!r}; the sheets are {', '.join(map(repr, names))}",
                file=label,
            )
        sheets = []
        for name in [wanted] if wanted is not None else names:
            rows = _guarded(_sheet_rows(book[name], label, limits), label, limits)
            sheets.append((name, list(itertools.islice(rows, HEADER_SEARCH_ROWS)), rows))
        filled = [s for s in sheets if s[1]]
        chosen = filled if len(filled) <= 1 else [s for s in filled if _matches(s[1], score)]
        if len(chosen) != 1 and len(filled) > 1:
            shown = ", ".join(repr(printable(n, 40)) for n, _, _ in filled)
            raise DataError(
                f"the workbook has several sheets ({shown}) and {len(chosen) or 'none'} of them has the "
                "expected header: name the sheet in a sidecar file (sheet: NAME)",
                file=label,
            )
        if not chosen:
            raise DataError("the file is empty", file=label)
        name, head, rest = chosen[0]
        at = header_row([r for _, r in head], score)
        number = head[at][0]
        header = header_names(head[at][1], label, number, [], 0)
    except BaseException as error:
        book.close()
        if isinstance(error, Exception) and not isinstance(error, DataError):
            raise _unreadable(error, label, limits) from None
        raise
    notes = [f"sheet {printable(name, 60)!r}"] if len(names) > 1 else []
    if formulas:
        notes.append(
            "cells hold formulas: the values Excel last calculated were read (a formula never calculated, as in "
            "a workbook written by a program, reads as blank)"
        )
    if at:
        notes.append(f"header on row {number}: the {at} row(s) above it were skipped as a title")
    return header, _closing(itertools.chain(head[at + 1 :], rest), book), notes, number


def _matches(rows: list[tuple[int, list]], score: HeaderScore) -> bool:
    return any(score([(c or "").strip() for c in r]) >= 2 for _, r in rows)


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
