"""One run of the checks over a raw folder: what every dataset's file checker shares.

A data file is checked chunk by chunk (:class:`FileRun` holds what one file needs to remember between its
chunks); the reference files (homes, questions) are small and checked whole. Clean rows go to the staging
folder and quarantine entries to disk as each chunk is done, so memory grows with a chunk, not with the file.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wellled.check import columns, config, contract, flags, sources
from wellled.check import rules as checks
from wellled.check.outcome import CheckResult, FileOutcome
from wellled.check.quarantine import Parts
from wellled.check.read import LINE, RawFile, RawStream, list_files, load, open_raw
from wellled.check.staging import Staging
from wellled.check.values import OTHER_ORDER, printable
from wellled.errors import DataError
from wellled.paths import Paths


@dataclass
class FileRun:
    """What one file's checks remember from chunk to chunk: counts, flags to raise when the file is done."""

    outcome: FileOutcome
    flags: list[flags.Flag] = field(default_factory=list)
    fields: int = 0
    copy_lines: int = 0
    held: int = 0
    unread: bool = False
    before_rules: bool = False
    personal_ids: bool = False
    dropped: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ColumnPlan:
    """How a file's headers become the contract's columns: the same for every chunk of the file."""

    drop: list[str]
    renames: dict[str, str]

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.drop(columns=self.drop).rename(columns=self.renames)


class Checker:
    """Holds the GX runner, the staging folder, and what earlier files taught the run (small: hashes)."""

    def __init__(self, paths: Paths, today: dt.date, staging: Staging, source: str | None = None):
        self.paths = paths
        self.today = pd.Timestamp(today)
        self.result = CheckResult()
        self.runner = checks.SuiteRunner.shared()
        self.staging = staging
        self.quarantine = Parts(staging.side_folder("quarantine"))
        self.source = source
        self.config = config.load(paths.raw)
        self.result.quarantine = self.quarantine
        self.result.page_entries = self.config.limits.page_quarantine_entries
        self.names = redact_names(paths)
        self.seen_hashes: dict[str, str] = {}
        self.file_labels: list[str] = []
        self.held_back: dict[str, set[str]] = {}
        self.home_keys: dict[str, str] = {}
        self.question_texts: dict[str, str] = {}

    def label(self, path: Path) -> str:
        try:
            return printable(path.relative_to(self.paths.raw))
        except ValueError:
            return printable(path)

    def file_number(self, label: str) -> int:
        self.file_labels.append(label)
        return len(self.file_labels) - 1

    @staticmethod
    def flag(run: FileRun, kind: str, message: str) -> None:
        run.flags.append(flags.Flag(run.outcome.file, kind, message))

    def rejected_file(self, path: Path, dataset: str, reason: str) -> None:
        self.result.files.append(FileOutcome(self.label(path), dataset, blocking_error=reason))

    def open(self, path: Path, dataset: str, score, sheet: str | None) -> tuple[RawStream | None, FileRun]:
        run = FileRun(FileOutcome(self.label(path), dataset))
        self.result.files.append(run.outcome)
        try:
            stream = open_raw(
                path,
                run.outcome.file,
                header_score=score,
                sheet=sheet,
                limits=self.config.limits,
                header_only=True,
            )
        except DataError as error:
            run.outcome.blocking_error = _reason(error)
            return None, run
        run.outcome.sha256 = stream.sha256
        for note in stream.notes:
            self.flag(run, "read-as", note)
        return stream, run

    def count(self, run: FileRun, raw: RawFile) -> None:
        run.outcome.rows_read += raw.rows

    def drain(self, run: FileRun, chunks: Iterable[RawFile]) -> None:
        """Count the rows of a file rejected before its last chunk (a reader error still wins)."""
        for raw in chunks:
            self.count(run, raw)

    def unreadable(self, run: FileRun, error: DataError) -> None:
        """A reader error at any chunk: the file is rejected as unread, as if it had failed to open."""
        run.unread = True
        run.outcome.rows_read = 0
        run.outcome.blocking_error = _reason(error)
        run.flags = []

    def rows_to_check(
        self, sha256: str, chunks: Iterator[RawFile], run: FileRun
    ) -> tuple[RawFile, Iterator[RawFile]] | None:
        """The first chunk and every chunk of a file with rows to check; None for a header-only export or a
        byte-identical copy of a file read earlier (each is said in the run)."""
        first = next(chunks)
        if self.header_only(first, run):
            return None
        chunks = itertools.chain([first], chunks)
        if self.copy_of_earlier(sha256, chunks, run):
            return None
        return first, chunks

    def header_only(self, raw: RawFile, run: FileRun) -> bool:
        if raw.rows:
            return False
        self.flag(run, "no-responses", "a header but no rows yet (an export before any response): nothing imported")
        return True

    def copy_of_earlier(self, sha256: str, chunks: Iterable[RawFile], run: FileRun) -> bool:
        """A byte-identical copy of a file read earlier: every row is a copy, counted once."""
        first = self.seen_hashes.setdefault(sha256, run.outcome.file)
        if first == run.outcome.file:
            return False
        for raw in chunks:
            self.count(run, raw)
            lines = [int(n) for n in raw.frame[LINE]] + [line for line, _ in raw.wide_rows]
            rule = f"same content as {first}, imported once"
            self.quarantine.add(
                [
                    checks.Violation(run.outcome.file, n, "", rule, None, None, "file.duplicate_file", checks.COPY)
                    for n in lines
                ]
            )
        run.outcome.rows_quarantined = run.outcome.rows_read
        self.flag(run, "duplicate-file", f"same content as {first}: its rows were imported once")
        return True

    def columns_ok(
        self, frame: pd.DataFrame, outcome: FileOutcome, dataset: contract.Dataset, original: list[str]
    ) -> bool:
        present = [c for c in frame.columns if c != LINE]
        missing = [c for c in dataset.required_columns if c not in present]
        if missing:
            keys = [columns.column_key(c) for c in original]
            outcome.reject(f"required columns missing: {', '.join(missing)}{_looks_like(keys, dataset.name)}")
        return not missing

    @staticmethod
    def wide(raw: RawFile, outcome: FileOutcome, width: int) -> list[checks.Violation]:
        return [
            checks.Violation(
                outcome.file,
                line,
                "",
                f"the row has {cells} cells but the header names {width} columns",
                None,
                None,
                "file.row_width",
                checks.ROW,
            )
            for line, cells in raw.wide_rows
        ]

    def tally(self, run: FileRun, frame: pd.DataFrame, found: list[checks.Violation]) -> np.ndarray:
        """Record one chunk's violations and return a mask of its rows kept.

        Field-level violations drop only their value (the caller blanks it); the row stays.
        """
        bad_lines = {v.line for v in found if v.level != checks.FIELD}
        is_clean = ~frame[LINE].isin(bad_lines).to_numpy()
        run.outcome.rows_clean += int(is_clean.sum())
        self.quarantine.add(found)
        run.fields += sum(v.level == checks.FIELD for v in found)
        run.copy_lines += len({v.line for v in found if v.level == checks.COPY})
        run.held += sum(1 for v in {(v.line, v.level) for v in found} if v[1] == checks.ROW)
        return is_clean

    def finish(self, run: FileRun) -> None:
        """The file is done: raise its flags, reject it if over half its rows are held back, settle the counts."""
        outcome = run.outcome
        if not run.unread and not run.before_rules:
            if run.fields:
                self.flag(
                    run,
                    "values-dropped",
                    f"{run.fields} optional value(s) broke a rule and were left out; their rows were kept "
                    "(see the quarantine list)",
                )
            if run.copy_lines:
                self.flag(
                    run, "copies-counted-once", f"{run.copy_lines} row(s) already imported from an earlier row or file"
                )
            if not outcome.blocking_error and outcome.rows_read and run.held * 2 > outcome.rows_read:
                outcome.reject(
                    f"{run.held} of {outcome.rows_read} rows broke a rule (more than half): "
                    "is this the right export? See the quarantine list for the reasons"
                )
        if outcome.blocking_error:
            outcome.rows_clean = 0
        outcome.rows_quarantined = outcome.rows_read - outcome.rows_clean
        self.quarantine.end_file(keep=not (run.unread or run.before_rules))
        self.result.flags += run.flags

    @staticmethod
    def blank_fields(frame: pd.DataFrame, failures) -> None:
        """Drop the optional values a field-level rule failed on, so the row is kept without them."""
        for meta, positions in failures:
            if meta.get("level") != checks.FIELD or not len(positions):
                continue
            column = meta["column"]
            index = frame.index[positions]
            frame.loc[index, column] = pd.NA
            if f"{column}_date" in frame:
                frame.loc[index, f"{column}_date"] = pd.NaT

    def plan(
        self, headers: list[str], run: FileRun, dataset: contract.Dataset, source, questions=None
    ) -> ColumnPlan | None:
        """Map headers to the contract; identity, metadata and unknown columns are dropped with a flag."""
        outcome = run.outcome
        mapping = columns.map_headers(
            [c for c in headers if c != LINE], dataset.known_columns, self.config, source, questions
        )
        if mapping.repeated:
            first, second = mapping.repeated[0]
            outcome.reject(
                f"columns {printable(first, 60)!r} and {printable(second, 60)!r} both mean "
                f"{mapping.renames.get(first, first)!r}: keep one"
            )
            return None
        if mapping.identity:
            self.flag(
                run,
                "identity-columns-dropped",
                f"dropped {', '.join(printable(c, 60) for c in mapping.identity)}: they identify respondents "
                "and are never stored",
            )
        if mapping.metadata:
            self.flag(
                run,
                "metadata-columns-dropped",
                f"{source.title} columns not needed were dropped: "
                + ", ".join(printable(c, 60) for c in mapping.metadata),
            )
        if mapping.unknown:
            self.flag(
                run,
                "ignored-columns",
                "columns not in the contract were ignored: " + ", ".join(printable(c, 60) for c in mapping.unknown),
            )
        if mapping.unmatched_questions:
            header = mapping.unmatched_questions[0]
            nearest = columns.closest_questions(header, self.question_texts)
            outcome.reject(
                f"columns that are not questions in questions.csv: "
                f"{', '.join(printable(c, 80) for c in mapping.unmatched_questions)} "
                f"(closest to the first: {', '.join(nearest)})"
            )
            return None
        return ColumnPlan(mapping.identity + mapping.metadata + mapping.unknown, dict(mapping.renames))

    def map_homes(self, values: pd.Series) -> pd.Series:
        """Home ids and names (case, spaces and hyphens aside) and [homes] aliases to the home id."""
        return values.map(lambda v: self.home_keys.get(config.fold_key(v), v) if isinstance(v, str) else v).astype(
            "string"
        )

    def personal(self, frame: pd.DataFrame, run: FileRun, dataset: contract.Dataset, kept: set[str]) -> pd.DataFrame:
        """Hash ids that look personal; drop kept text columns whose values do.

        Decided chunk by chunk and kept for the rest of the file once made: from the first chunk whose ids look
        personal, every id of the file is hashed; a column that looks personal in a chunk is dropped from then on.
        """
        if "response_id" in frame and (
            run.personal_ids or columns.personal_share(frame["response_id"], self.names) > 0
        ):
            key = columns.key_of(self.paths.data / ".wellled-id-key")
            frame = frame.copy()
            frame["response_id"] = columns.hashed_ids(frame["response_id"], key)
            if not run.personal_ids:
                self.flag(
                    run,
                    "personal-ids-hashed",
                    "response ids that look like e-mail addresses, phone numbers or names were replaced by a "
                    "keyed hash",
                )
            run.personal_ids = True
        for column in [c for c in frame.columns if c in kept and c not in dataset.required_columns]:
            if column in ("comment", "action") or column == LINE:
                continue
            if column in run.dropped or columns.personal_share(frame[column], self.names) >= 0.5:
                frame = frame.drop(columns=[column])
                if column not in run.dropped:
                    self.flag(
                        run,
                        "identity-columns-dropped",
                        f"dropped {column}: its values look like e-mail addresses, phone numbers or names",
                    )
                run.dropped.add(column)
        return frame

    def wrong_order(self, status: pd.Series, frame: pd.DataFrame, column: str, run: FileRun, day_first: bool) -> bool:
        """Reject a file whose dates can only be read in the other day/month order: never swap silently."""
        other = status.to_numpy() == OTHER_ORDER
        if not other.any():
            return False
        at = int(np.flatnonzero(other)[0])
        value = printable(frame[column].iloc[at], 40)
        order, fix = ("day-first", "month-first") if day_first else ("month-first", "day-first")
        run.outcome.reject(
            f"{column} {value!r} on line {frame[LINE].iloc[at]} can only be a {fix} date, but dates are read "
            f"{order} ([dates] order in wellled.toml): if the whole file is {fix}, say so in a sidecar "
            f"({Path(run.outcome.file).name}.yml with date_order: {fix})"
        )
        run.before_rules = True
        return True

    @staticmethod
    def located(found: list[checks.Violation], first_at: dict[int, str]) -> list[checks.Violation]:
        """Repeats and copies name the earlier row they repeat."""
        from dataclasses import replace

        return [
            replace(v, rule=f"{v.rule}; first at {first_at[v.line]}")
            if v.line in first_at and v.rule_id.endswith(("_unique", "duplicate_copy"))
            else v
            for v in found
        ]

    def reference(self, dataset_name: str, path: Path, prepare) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        """Check homes.csv or questions.csv whole: (its clean rows or None, its rows to check other files against)."""
        dataset = contract.load_dataset(dataset_name)
        score = columns.known_header(dataset.known_columns, self.config)
        if not path.exists():
            xlsx = path.with_suffix(".xlsx")
            path = xlsx if xlsx.exists() else path
        run = FileRun(FileOutcome(self.label(path), dataset_name))
        outcome = run.outcome
        self.result.files.append(outcome)
        try:
            if not path.exists() and not path.is_symlink():
                outcome.blocking_error = f"file not found: {dataset_name} are required"
                return None, None
            try:
                raw = load(path, outcome.file, header_score=score, limits=self.config.limits)
            except DataError as error:
                outcome.blocking_error = _reason(error)
                return None, None
            outcome.rows_read, outcome.sha256 = raw.rows, raw.sha256
            for note in raw.notes:
                self.flag(run, "read-as", note)
            plan = self.plan(list(raw.frame.columns), run, dataset, sources.get("spreadsheet"))
            frame = plan.apply(raw.frame) if plan else None
            if frame is None or not self.columns_ok(frame, outcome, dataset, [c for c in frame.columns if c != LINE]):
                return None, None
            frame = prepare(frame)
            failures = self.runner.failing_rows(frame, dataset.expectations(), {})
            found = checks.row_violations(outcome.file, frame, failures, self.names) + self.wide(
                raw, outcome, len(dataset.known_columns)
            )
            is_clean = self.tally(run, frame, found)
            key = dataset.columns[0].name
            self.held_back[dataset_name] = set(frame.loc[~is_clean, key].dropna().astype(str))
            repeated = frame[frame[f"{key}_is_repeat"]]
            if len(repeated):
                value = repeated[key].iloc[0]
                lines = frame.loc[frame[key] == value, LINE].tolist()
                outcome.reject(
                    f"{key} {printable(value, 60)!r} appears on lines {lines[0]} and {lines[1]}: "
                    f"one {dataset.row.split(' per ')[-1]} named twice would merge two sets of data"
                )
            usable = frame[is_clean & ~frame[f"{key}_is_repeat"].to_numpy()]
            return (None if outcome.blocking_error else usable), usable
        finally:
            self.finish(run)

    def skip(self, folder: Path, dataset: str, reason: str) -> None:
        for path in list_files(folder):
            self.rejected_file(path, dataset, reason)


def _reason(error: DataError) -> str:
    return f"{error.where + ': ' if error.where else ''}{error.message}"


def redact_names(paths: Paths) -> frozenset[str]:
    """Names listed in raw/redact-names.txt, lower case, to recognise personal values."""
    try:
        if paths.redact_names_file.is_symlink():
            return frozenset()
        text = paths.redact_names_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(w.lower() for line in text.splitlines() for w in line.split() if len(w) > 1)


def _looks_like(keys, expected: str) -> str:
    """' (it looks like an audits file)' when the columns fit another dataset better."""
    present = set(keys)
    best, best_share = None, 0.0
    for dataset in contract.datasets():
        share = len(present & set(dataset.required_columns)) / len(dataset.required_columns)
        if dataset.name != expected and share > best_share:
            best, best_share = dataset.name, share
    article = "an" if best and best[0] in "aeiou" else "a"
    return f" (it looks like {article} {best} file)" if best and best_share >= 0.6 else ""
