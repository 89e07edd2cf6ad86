"""Load raw files: CSV or XLSX, every cell as text, with the line number the analyst sees.

Load is the first step of every stage: it turns a file into a ``RawFile`` or raises a ``DataError`` that names
the file and what is wrong with it. It finds the encoding (UTF-8 with or without BOM, UTF-16, Windows-1252),
the delimiter (comma, semicolon or tab, from the header line), the sheet and the header row (a title block above
it is skipped), and refuses what it cannot read safely: a file over a limit, a quoted field that swallows later
rows, a binary file under a text name. Nothing here judges the content; that is :mod:`wellled.check.rules`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from wellled.check.config import DEFAULT, Limits
from wellled.check.header import HEADER_SEARCH_ROWS, MAGIC, HeaderScore, header_names, header_row, is_blank, too_large
from wellled.check.values import printable
from wellled.errors import DataError

LINE = "__line"
SUFFIXES = (".csv", ".xlsx")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


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


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


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


@dataclass
class RawStream:
    """A raw file opened for reading in chunks of rows: what the reader decided, then :meth:`chunks`.

    Memory grows with one chunk (``[limits] chunk_rows``), not with the file. ``chunks`` yields one ``RawFile``
    per chunk and may raise a DataError at any chunk (a stray quote, a cell over the limit, too many rows, most
    rows wider than the header): the file is then rejected as a whole.
    """

    path: Path
    label: str
    sha256: str
    notes: tuple[str, ...]
    header_line: int
    first: RawFile = field(repr=False)
    _rest: Iterator[RawFile] = field(repr=False)

    def chunks(self) -> Iterator[RawFile]:
        yield self.first
        yield from self._rest


def _open_checked(path: Path, label: str, limits: Limits) -> None:
    try:
        info = path.lstat()
    except OSError as error:
        raise DataError(f"cannot read the file ({error.strerror})", file=label) from None
    if stat.S_ISLNK(info.st_mode):
        raise DataError("a symbolic link: not followed", file=label)
    if info.st_size > limits.max_file_bytes:
        raise too_large(
            label, f"{info.st_size / 2**20:,.0f} MB", "max_file_megabytes", limits.max_file_bytes >> 20, " MB"
        )


def open_raw(
    path: Path,
    label: str | None = None,
    *,
    header_score: HeaderScore | None = None,
    sheet: str | None = None,
    limits: Limits = DEFAULT.limits,
    header_only: bool = False,
    chunk_rows: int | None = None,
) -> RawStream:
    """Open a CSV or XLSX file for reading in chunks; the first chunk is read here, so a DataError for an
    unreadable or empty file comes at once.

    ``header_score`` counts the cells of a row that are known column names: the header is the first row, in
    the first rows of the file, where it counts at least two; else the first row. ``header_only`` accepts a file
    with a header and no rows (an export before any response). A CSV file is streamed (read twice: once for
    its hash and encoding, once for its rows); so is an XLSX sheet, a row at a time, within the cell limits.
    """
    label = label or printable(path.name)
    _open_checked(path, label, limits)
    score = header_score or (lambda cells: 0)
    size = max(1, chunk_rows or limits.chunk_rows)
    try:
        if path.suffix.lower() == ".xlsx":
            from wellled.check.xlsx import read_xlsx

            digest = _hash_file(path)
            header, pairs, notes, header_line = read_xlsx(path, label, score, sheet, limits)
        else:
            digest, encoding, note, head = _scan(path, label)
            header, pairs, notes, header_line = _csv_records(path, label, encoding, note, head, score, limits)
        unnamed = set(range(max(header[1]) + 1 if header[1] else 0)) - set(header[1])
    except OSError as error:
        raise DataError(f"cannot read the file ({error.strerror})", file=label) from None
    rest = _chunks(path, label, digest, tuple(notes), header, header_line, pairs, unnamed, size)
    first = next(rest)
    if first.frame.empty and not first.wide_rows and not header_only:
        raise DataError("the file has a header but no rows", file=label)
    return RawStream(path, label, digest, tuple(notes), header_line, first, rest)


def load(
    path: Path,
    label: str | None = None,
    *,
    header_score: HeaderScore | None = None,
    sheet: str | None = None,
    limits: Limits = DEFAULT.limits,
    header_only: bool = False,
) -> RawFile:
    """A whole file in one ``RawFile`` (for the small reference files); see :func:`open_raw`."""
    stream = open_raw(
        path, label, header_score=header_score, sheet=sheet, limits=limits, header_only=header_only, chunk_rows=1 << 62
    )
    parts = list(stream.chunks())
    if len(parts) == 1:
        return parts[0]
    frame = pd.concat([p.frame for p in parts], ignore_index=True)
    wide = tuple(w for p in parts for w in p.wide_rows)
    return replace(parts[0], frame=frame, wide_rows=wide)


def _chunks(
    path: Path,
    label: str,
    digest: str,
    notes: tuple[str, ...],
    header: tuple[list[str], list[int]],
    header_line: int,
    pairs: Iterator[tuple[int, list]],
    unnamed: set[int],
    size: int,
) -> Iterator[RawFile]:
    """Chunks of ``size`` rows as ``RawFile``; at the end, most rows wider than the header reject the file."""
    kept = wide_count = 0
    first_wide: tuple[int, int] | None = None
    started = False
    while True:
        block = list(itertools.islice(pairs, size))
        if not block and started:
            break
        started = True
        lines = [line for line, _ in block]
        records = [record for _, record in block]
        del block
        for i in sorted(unnamed):
            at = next((n for n, r in zip(lines, records, strict=True) if i < len(r) and r[i] and r[i].strip()), None)
            if at is not None:
                raise DataError(
                    f"column {i + 1} has data but no name in the header row (merged header cells?)",
                    file=label,
                    where=f"line {header_line}",
                )
        frame, wide = _frame(header, records, lines)
        del records
        kept += len(frame)
        wide_count += len(wide)
        first_wide = first_wide or (wide[0] if wide else None)
        yield RawFile(path, label, digest, frame, notes, tuple(wide), header_line)
        if not lines:
            break
    if first_wide and wide_count * 2 > wide_count + kept:
        line, cells = first_wide
        raise DataError(
            f"{wide_count} of {wide_count + kept} rows have more cells than the header's {len(header[0])} columns "
            f"(the first, line {line}, has {cells}): is the delimiter or the header row wrong?",
            file=label,
        )


def _frame(
    header: tuple[list[str], list[int]], records: list[list], lines: list[int]
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
    return frame, wide


def _trimmed(cells: np.ndarray) -> np.ndarray:
    """Cells trimmed, blank as None; each distinct text is trimmed once and shared by every cell holding it."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    texts = [None if u is None else (str(u).strip() or None) for u in uniques]
    return np.array([*texts, None], dtype=object)[codes]


SCAN_BLOCK = 1 << 20
HEAD_CHARACTERS = 1 << 16


def _scan(path: Path, label: str) -> tuple[str, str, str | None, str]:
    """One pass over the bytes (two for Windows-1252): (sha256, encoding, a note when not UTF-8, the first 64 K
    characters of text).

    Refuses binary files, text in no supported encoding and files with only white space.
    """
    with open(path, "rb") as handle:
        start = handle.read(4)
        for magic, kind in MAGIC.items():
            if start.startswith(magic):
                raise DataError(f"this is {kind}, not a CSV file", file=label)
        if start.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding, note = "utf-16", "read as UTF-16 text"
        elif start.startswith(b"\xef\xbb\xbf"):
            encoding, note = "utf-8-sig", None
        elif len(start) >= 4 and start[1:4:2] == b"\x00\x00" and start[0] and start[2]:
            encoding, note = "utf-16-le", "read as UTF-16 text"
        else:
            encoding, note = "utf-8", None
        digest = hashlib.sha256()
        failed, facts = _decodes(handle, encoding, digest)
        if failed is not None:
            if encoding != "utf-8":
                raise DataError(f"the file is not readable {encoding.upper()} text", file=label)
            failed_again, facts = _decodes(handle, "cp1252", None)
            if failed_again is not None:
                raise DataError(
                    "the file is not UTF-8 or Windows-1252 text (save it as 'CSV UTF-8')",
                    file=label,
                    where=f"line {failed}",
                )
            encoding, note = "cp1252", "read as Windows-1252 text (it is not UTF-8)"
    if facts.nul is not None:
        raise DataError("the file holds binary data, not text", file=label, where=f"line {facts.nul}")
    if not facts.filled:
        raise DataError("the file is empty", file=label)
    return digest.hexdigest(), encoding, note, facts.head


@dataclass
class _TextFacts:
    """What the decoding pass saw: the first characters, the line of the first NUL, anything but white space."""

    head: str = ""
    nul: int | None = None
    filled: bool = False
    lines: int = 0

    def add(self, part: str) -> None:
        if len(self.head) < HEAD_CHARACTERS:
            self.head += part[: HEAD_CHARACTERS - len(self.head)]
        if self.nul is None and "\x00" in part:
            self.nul = self.lines + part[: part.index("\x00")].count("\n") + 1
        self.filled = self.filled or bool(part.strip())
        self.lines += part.count("\n")


def _decodes(handle, encoding: str, digest) -> tuple[int | None, _TextFacts]:
    """(None when the whole file decodes, else the line of the first undecodable byte; what the text holds).

    Hashes the bytes on the way when given a digest, and then reads on to the end even after a decoding error.
    """
    handle.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    facts = _TextFacts()
    newlines = 0
    failed: int | None = None
    while block := handle.read(SCAN_BLOCK):
        if digest is not None:
            digest.update(block)
        if failed is None:
            try:
                facts.add(decoder.decode(block))
            except UnicodeDecodeError as error:
                failed = newlines + block[: max(error.start, 0)].count(b"\n") + 1
                if digest is None:
                    return failed, facts
        newlines += block.count(b"\n")
    if failed is None:
        try:
            facts.add(decoder.decode(b"", final=True))
        except UnicodeDecodeError:
            failed = newlines + 1
    return failed, facts


def _delimiter(lines: list[str], score: HeaderScore) -> str:
    """The delimiter that splits a header line (the best-scoring of the first lines) into the most columns."""
    best, best_key = ",", (-1, -1)
    for delimiter in DELIMITERS:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        key = max(((score(r), len(r)) for r in rows if r), default=(0, 0))
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _csv_records(
    path: Path, label: str, encoding: str, note: str | None, head: str, score: HeaderScore, limits: Limits
) -> tuple[tuple[list[str], list[int]], Iterator[tuple[int, list]], list[str], int]:
    """(header, an iterator of (line, cells) of the rows below it, notes, the header's line)."""
    notes = [note] if note else []
    delimiter = _delimiter(head.splitlines()[:HEADER_SEARCH_ROWS], score)
    if delimiter != ",":
        notes.append(f"{DELIMITERS[delimiter]}-separated")
    records = _csv_rows(path, label, encoding, delimiter, limits)
    first = list(itertools.islice(records, HEADER_SEARCH_ROWS))
    if not first:
        raise DataError("the file is empty", file=label)
    at = header_row([r for _, r in first], score)
    line = first[at][0]
    if at:
        notes.append(f"header on line {line}: the {at} row(s) above it were skipped as a title")
    header = header_names(first[at][1], label, line, [], 0)
    return header, itertools.chain(first[at + 1 :], records), notes, line


def _csv_rows(path: Path, label: str, encoding: str, delimiter: str, limits: Limits) -> Iterator[tuple[int, list]]:
    """(line, cells) of each non-blank row, with the csv module: quoted line breaks, CR, LF or CRLF endings."""
    csv.field_size_limit(max(limits.max_cell_characters + 1, 1 << 17))
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(_lines(handle, label, limits.max_line_characters), delimiter=delimiter)
        count, start, width = 0, 1, 0
        try:
            for record in reader:
                spanned = reader.line_num - start
                if spanned > limits.max_quoted_field_lines or (
                    spanned and width and _holds_records(record, delimiter, width)
                ):
                    raise DataError(
                        f"a quoted field opened on line {start} runs over {spanned + 1} lines and swallows what "
                        'look like whole rows: is a quote (") missing its partner?',
                        file=label,
                        where=f"line {start}",
                    )
                if not is_blank(record):
                    if any(len(cell) > limits.max_cell_characters for cell in record):
                        raise too_large(
                            label,
                            f"a cell on line {start} is longer",
                            "max_cell_characters",
                            limits.max_cell_characters,
                        )
                    count += 1
                    if count > limits.max_rows + HEADER_SEARCH_ROWS:
                        raise too_large(label, "too many rows", "max_rows", limits.max_rows)
                    if count == 1:
                        width = len(record)
                    yield start, record
                start = reader.line_num + 1
        except csv.Error as error:
            raise DataError(f"not a readable CSV file ({error})", file=label, where=f"line {start}") from None


def _lines(handle, label: str, cap: int) -> Iterator[str]:
    """The physical lines of a text file, each read at most ``cap`` characters at a time: a longer line (a
    200 MB line of commas) is refused before it is held whole or split into cells."""
    number = 0
    while line := handle.readline(cap + 1):
        number += 1
        if len(line) > cap:
            raise too_large(label, f"line {number} is longer", "max_line_characters", cap)
        yield line


def _holds_records(record: list[str], delimiter: str, width: int) -> bool:
    """A multi-line cell with a line that splits into as many cells as a row: rows swallowed by a stray quote."""
    for cell in record:
        if "\n" in cell or "\r" in cell:
            inner = cell.splitlines()[1:]
            if sum(1 for part in inner if part.count(delimiter) >= max(width - 2, 2)) >= 1:
                return True
    return False
