"""XLSX workbooks: the used range of the chosen sheet as text cells, under the cell and size limits."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib

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


def _check_zip(data: bytes, label: str, limits: Limits) -> bool:
    """Refuse what is not a workbook or expands beyond the limit; return whether its sheets hold formulas."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError("this is an old Excel .xls workbook renamed .xlsx (save it as .xlsx)", file=label)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
            formulas = expanded <= limits.max_xlsx_uncompressed_bytes and _has_formulas(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        kind = next((k for magic, k in MAGIC.items() if data.startswith(magic)), None)
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


def _sheet_rows(sheet, label: str, limits: Limits) -> list[tuple[int, list]]:
    """(row number, cells) of the non-blank rows, over the cells really used (never the declared dimension)."""
    sheet.reset_dimensions()
    rows, cells = [], 0
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
            rows.append((number, record))
            if len(rows) > limits.max_rows + HEADER_SEARCH_ROWS:
                raise too_large(label, "too many rows", "max_rows", limits.max_rows)
    return rows


def read_xlsx(data: bytes, label: str, score: HeaderScore, wanted: str | None, limits: Limits):
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
        raise too_large(label, "it does not fit in memory", "max_xlsx_cells", limits.max_xlsx_cells) from None
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
    at = header_row(records, score)
    if at:
        notes.append(f"header on row {numbers[at]}: the {at} row(s) above it were skipped as a title")
    header = header_names(records[at], label, numbers[at], records, at + 1)
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
