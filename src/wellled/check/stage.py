"""``wellled check``: load every raw file, check it against the suites, and write ``clean/`` all or nothing.

The stage follows one shape: load (``imports``), check inputs (``checks``: file rules, then row rules with
GX), transform (clean tables), check outputs (reconciliation), save (``store``), then report (``dq_report``).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from wellled import __version__
from wellled.check import clean_schema, columns, config, contract, flags, sources, store
from wellled.check import quality_report as dq_report
from wellled.check import rules as checks
from wellled.check.log import RunLog
from wellled.check.read import LINE, RawFile, list_files, load, not_read
from wellled.check.values import OTHER_ORDER, printable
from wellled.errors import DataError, RunError, UsageError
from wellled.paths import Paths
from wellled.periods import periods_of


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
    files: list[FileOutcome] = field(default_factory=list)
    flags: list[flags.Flag] = field(default_factory=list)
    violations: list[checks.Violation] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def blocking(self) -> list[FileOutcome]:
        return [f for f in self.files if f.blocking_error]


class _Checker:
    """One run of the checks over a raw folder. Holds the GX runner and what earlier files taught it."""

    def __init__(self, paths: Paths, today: dt.date, source: str | None = None):
        self.paths = paths
        self.today = pd.Timestamp(today)
        self.result = CheckResult()
        self.runner = checks.SuiteRunner()
        self.source = source
        self.config = config.load(paths.raw)
        self.names = _redact_names(paths)
        self.seen_hashes: dict[str, str] = {}
        self.seen_responses: dict[str, tuple[str, int, int]] = {}
        self.seen_audits: dict[int, tuple[str, int]] = {}
        self.held_back: dict[str, set[str]] = {}
        self.home_keys: dict[str, str] = {}
        self.first_at: dict[int, str] = {}

    def label(self, path: Path) -> str:
        try:
            return printable(path.relative_to(self.paths.raw))
        except ValueError:
            return printable(path)

    def flag(self, outcome: FileOutcome, kind: str, message: str) -> None:
        self.result.flags.append(flags.Flag(outcome.file, kind, message))

    def _load(
        self, path: Path, dataset: str, score=None, sheet: str | None = None
    ) -> tuple[RawFile | None, FileOutcome]:
        outcome = FileOutcome(self.label(path), dataset)
        self.result.files.append(outcome)
        if not path.exists() and not path.is_symlink():
            outcome.blocking_error = f"file not found: {dataset} are required"
            return None, outcome
        try:
            raw = load(
                path,
                outcome.file,
                header_score=score,
                sheet=sheet,
                limits=self.config.limits,
                header_only=dataset in ("surveys", "audits"),
            )
        except DataError as error:
            outcome.blocking_error = f"{error.where + ': ' if error.where else ''}{error.message}"
            return None, outcome
        outcome.rows_read, outcome.sha256 = raw.rows, raw.sha256
        for note in raw.notes:
            self.flag(outcome, "read-as", note)
        return raw, outcome

    def _columns_ok(
        self, frame: pd.DataFrame, outcome: FileOutcome, dataset: contract.Dataset, raw: RawFile | None = None
    ) -> bool:
        present = [c for c in frame.columns if c != LINE]
        missing = [c for c in dataset.required_columns if c not in present]
        if missing:
            original = [columns.column_key(c) for c in (raw.frame.columns if raw is not None else present)]
            outcome.reject(f"required columns missing: {', '.join(missing)}{_looks_like(original, dataset.name)}")
        return not missing

    def _is_copy(self, raw: RawFile, outcome: FileOutcome) -> bool:
        first = self.seen_hashes.setdefault(raw.sha256, outcome.file)
        if first == outcome.file:
            return False
        outcome.rows_quarantined = outcome.rows_read
        lines = [int(n) for n in raw.frame[LINE]] + [line for line, _ in raw.wide_rows]
        self.result.violations += [
            checks.Violation(
                outcome.file,
                n,
                "",
                f"same content as {first}, imported once",
                None,
                None,
                "file.duplicate_file",
                checks.COPY,
            )
            for n in lines
        ]
        self.flag(outcome, "duplicate-file", f"same content as {first}: its rows were imported once")
        return True

    def _header_only(self, raw: RawFile, outcome: FileOutcome) -> bool:
        if raw.rows:
            return False
        self.flag(outcome, "no-responses", "a header but no rows yet (an export before any response): nothing imported")
        return True

    def _wide(self, raw: RawFile, outcome: FileOutcome, width: int) -> list[checks.Violation]:
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

    def _keep(self, outcome: FileOutcome, frame: pd.DataFrame, found: list[checks.Violation]) -> np.ndarray:
        """Record violations and return a mask of the rows kept; reject the file if over half are held back.

        Field-level violations drop only their value (the caller blanks it); the row stays.
        """
        bad_lines = {v.line for v in found if v.level != checks.FIELD}
        is_clean = ~frame[LINE].isin(bad_lines).to_numpy()
        outcome.rows_clean = int(is_clean.sum())
        outcome.rows_quarantined = outcome.rows_read - outcome.rows_clean
        self.result.violations += found
        fields = sum(v.level == checks.FIELD for v in found)
        if fields:
            self.flag(
                outcome,
                "values-dropped",
                f"{fields} optional value(s) broke a rule and were left out; their rows were kept "
                "(see the quarantine list)",
            )
        copies = len({v.line for v in found if v.level == checks.COPY})
        if copies:
            self.flag(outcome, "copies-counted-once", f"{copies} row(s) already imported from an earlier row or file")
        held = sum(1 for v in {(v.line, v.level) for v in found} if v[1] == checks.ROW)
        if outcome.rows_read and held * 2 > outcome.rows_read:
            outcome.reject(
                f"{held} of {outcome.rows_read} rows broke a rule (more than half): "
                "is this the right export? See the quarantine list for the reasons"
            )
        return is_clean

    def _blank_fields(self, frame: pd.DataFrame, failures) -> None:
        """Drop the optional values a field-level rule failed on, so the row is kept without them."""
        for meta, positions in failures:
            if meta.get("level") != checks.FIELD or not len(positions):
                continue
            column = meta["column"]
            index = frame.index[positions]
            frame.loc[index, column] = pd.NA
            if f"{column}_date" in frame:
                frame.loc[index, f"{column}_date"] = pd.NaT

    def _map(
        self, raw: RawFile, outcome: FileOutcome, dataset: contract.Dataset, source, questions=None
    ) -> pd.DataFrame | None:
        """Rename headers to the contract, drop identity, metadata and unknown columns with a flag."""
        frame = raw.frame
        mapping = columns.map_headers(
            [c for c in frame.columns if c != LINE], dataset.known_columns, self.config, source, questions
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
                outcome,
                "identity-columns-dropped",
                f"dropped {', '.join(printable(c, 60) for c in mapping.identity)}: they identify respondents "
                "and are never stored",
            )
        if mapping.metadata:
            self.flag(
                outcome,
                "metadata-columns-dropped",
                f"{source.title} columns not needed were dropped: "
                + ", ".join(printable(c, 60) for c in mapping.metadata),
            )
        if mapping.unknown:
            self.flag(
                outcome,
                "ignored-columns",
                "columns not in the contract were ignored: " + ", ".join(printable(c, 60) for c in mapping.unknown),
            )
        drop = mapping.identity + mapping.metadata + mapping.unknown
        frame = frame.drop(columns=drop).rename(columns=mapping.renames)
        if mapping.unmatched_questions:
            header = mapping.unmatched_questions[0]
            nearest = columns.closest_questions(header, self._question_texts)
            outcome.reject(
                f"columns that are not questions in questions.csv: "
                f"{', '.join(printable(c, 80) for c in mapping.unmatched_questions)} "
                f"(closest to the first: {', '.join(nearest)})"
            )
            return None
        return frame

    def _map_homes(self, values: pd.Series) -> pd.Series:
        """Home ids and names (case, spaces and hyphens aside) and [homes] aliases to the home id."""
        return values.map(lambda v: self.home_keys.get(config.fold_key(v), v) if isinstance(v, str) else v).astype(
            "string"
        )

    def _personal(
        self, frame: pd.DataFrame, outcome: FileOutcome, dataset: contract.Dataset, kept: set[str]
    ) -> pd.DataFrame:
        """Drop kept text columns whose values look personal; hash ids that look personal."""
        if "response_id" in frame and columns.personal_share(frame["response_id"], self.names) > 0:
            key = columns.key_of(self.paths.data / ".wellled-id-key")
            frame = frame.copy()
            frame["response_id"] = columns.hashed_ids(frame["response_id"], key)
            self.flag(
                outcome,
                "personal-ids-hashed",
                "response ids that look like e-mail addresses, phone numbers or names were replaced by a keyed hash",
            )
        for column in [c for c in frame.columns if c in kept and c not in dataset.required_columns]:
            if column in ("comment", "action") or column == LINE:
                continue
            if columns.personal_share(frame[column], self.names) >= 0.5:
                frame = frame.drop(columns=[column])
                self.flag(
                    outcome,
                    "identity-columns-dropped",
                    f"dropped {column}: its values look like e-mail addresses, phone numbers or names",
                )
        return frame

    def reference(self, dataset_name: str, path: Path, prepare) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        """Check homes.csv or questions.csv: (its clean rows or None, its rows to check other files against)."""
        dataset = contract.load_dataset(dataset_name)
        score = columns.known_header(dataset.known_columns, self.config)
        if not path.exists():
            xlsx = path.with_suffix(".xlsx")
            path = xlsx if xlsx.exists() else path
        raw, outcome = self._load(path, dataset_name, score)
        if raw is None:
            return None, None
        frame = self._map(raw, outcome, dataset, sources.get("spreadsheet"))
        if frame is None or not self._columns_ok(frame, outcome, dataset):
            return None, None
        frame = prepare(frame)
        failures = self.runner.failing_rows(frame, dataset.expectations(), {})
        found = checks.row_violations(outcome.file, frame, failures, self.names) + self._wide(
            raw, outcome, len(dataset.known_columns)
        )
        is_clean = self._keep(outcome, frame, found)
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

    def survey(self, path: Path, questions: pd.DataFrame, home_ids: list[str]) -> dict[str, pd.DataFrame] | None:
        dataset = contract.load_dataset("surveys")
        self._question_texts = dict(zip(questions["question_id"], questions["text"], strict=True))
        by_text = {columns.question_key(t): q for q, t in self._question_texts.items()}
        by_text.update({q: q for q in questions["question_id"]})
        by_text.update({q: q for q in self.held_back.get("questions", set())})
        try:
            side = sources.sidecar(path)
        except DataError as error:
            outcome = FileOutcome(self.label(path), "surveys", blocking_error=error.message)
            self.result.files.append(outcome)
            return None
        score = columns.known_header(dataset.known_columns, self.config, by_text)
        raw, outcome = self._load(path, "surveys", score, side.get("sheet"))
        if raw is None or self._header_only(raw, outcome) or self._is_copy(raw, outcome):
            return None
        try:
            named = side.get("source") or self.source
            source = sources.get(named) if named else (sources.detect(list(raw.frame.columns)))
        except UsageError as error:
            outcome.reject(error.message)
            return None
        if source.name != "spreadsheet":
            self.flag(outcome, "source", f"read as a {source.title} export")
        raw = _merge_subheader(raw, outcome) if source.header_rows == 2 else raw
        frame = self._map(raw, outcome, dataset, source, by_text)
        if frame is None:
            return None
        question_ids = [c for c in frame.columns if c in set(by_text.values())]
        for column, key in (("home_id", "home"), ("respondent_group", "respondent_group")):
            if key in side:
                frame[column] = frame[column].fillna(side[key]) if column in frame else side[key]
        if "response_id" not in frame and source.name == "google-forms" and question_ids:
            frame["response_id"] = columns.content_ids(frame, ["submitted_on", *question_ids], "gf")
            self.flag(
                outcome, "response-ids-made", "Google Forms has no response id: one was made from each row's content"
            )
        if not self._columns_ok(frame, outcome, dataset, raw):
            return None
        quarantined = [c for c in question_ids if c in self.held_back.get("questions", set())]
        if quarantined:
            outcome.reject(
                f"columns whose row in questions.csv is quarantined: {', '.join(quarantined)}; "
                "fix those questions first"
            )
            return None
        if not question_ids:
            outcome.reject("no question columns: the file holds no answers")
            return None
        frame = self._personal(frame, outcome, dataset, {"comment"})
        frame["home_id"] = self._map_homes(frame["home_id"])
        day_first = (side.get("date_order") or self.config.date_order) == "day-first"
        cfg = replace(self.config, date_order="day-first" if day_first else "month-first")
        responses = checks.prepare_responses(frame, cfg)
        if self._wrong_order(responses["submitted_on_status"], responses, "submitted_on", outcome, day_first):
            return None
        asked = {
            q: set(g.split(";")) for q, g in zip(questions["question_id"], questions["respondent_groups"], strict=True)
        }
        answers = checks.prepare_answers(responses, question_ids, asked, cfg)
        filled = int((answers["answer"] != "").sum())
        unknown = int((~answers["is_known"]).sum())
        if filled and unknown * 2 > filled:
            outcome.reject(
                f"{unknown} of {filled} answers are not on the answer scale (more than half): is this the right "
                "export, or do its labels need mapping under [answers] in wellled.toml?"
            )
            return None
        self._mark_repeats(responses, answers, question_ids, outcome.file)
        parameters = {
            "home_ids": home_ids,
            "today": self.today,
            "answer_labels": answers.attrs["answer_labels"],
            "asked_question_groups": answers.attrs["asked_question_groups"],
        }
        row_failures = self.runner.failing_rows(responses, dataset.expectations("responses"), parameters)
        found = self._located(checks.row_violations(outcome.file, responses, row_failures, self.names), responses)
        found += checks.answer_violations(
            outcome.file,
            responses,
            answers,
            self.runner.failing_rows(answers, dataset.expectations("answers"), parameters),
            self.names,
        )
        found += self._wide(raw, outcome, len(raw.frame.columns) - 1)
        is_clean = self._keep(outcome, responses, found)
        if outcome.blocking_error:
            return None
        self._remember_responses(responses, is_clean, outcome.file)
        return _clean_survey(responses, is_clean, answers, outcome.file)

    def _wrong_order(
        self, status: pd.Series, frame: pd.DataFrame, column: str, outcome: FileOutcome, day_first: bool
    ) -> bool:
        """Reject a file whose dates can only be read in the other day/month order: never swap silently."""
        other = status.to_numpy() == OTHER_ORDER
        if not other.any():
            return False
        at = int(np.flatnonzero(other)[0])
        value = printable(frame[column].iloc[at], 40)
        order, fix = ("day-first", "month-first") if day_first else ("month-first", "day-first")
        outcome.reject(
            f"{column} {value!r} on line {frame[LINE].iloc[at]} can only be a {fix} date, but dates are read "
            f"{order} ([dates] order in wellled.toml): if the whole file is {fix}, say so in a sidecar "
            f"({Path(outcome.file).name}.yml with date_order: {fix})"
        )
        return True

    def _mark_repeats(self, responses: pd.DataFrame, answers: pd.DataFrame, question_ids: list[str], file: str) -> None:
        """A response id seen before: a copy (identical answers, counted once) or a repeat (different answers)."""
        content = responses[["home_id", "respondent_group", "submitted_on_date"]].astype("string").copy()
        for q in sorted(question_ids):
            content[q] = responses[q].astype("string").str.strip().str.lower()
        digests = pd.util.hash_pandas_object(content.fillna(""), index=False).to_numpy()
        seen = dict(self.seen_responses)
        is_copy = np.zeros(len(responses), dtype=bool)
        is_repeat = np.zeros(len(responses), dtype=bool)
        first_at: dict[int, str] = {}
        for i, (rid, digest, line) in enumerate(zip(responses["response_id"], digests, responses[LINE], strict=True)):
            if not isinstance(rid, str):
                continue
            earlier = seen.get(rid)
            if earlier is None:
                seen[rid] = (file, int(line), int(digest))
                continue
            is_copy[i], is_repeat[i] = earlier[2] == digest, earlier[2] != digest
            first_at[int(line)] = f"{earlier[0]} line {earlier[1]}"
        responses["response_is_copy"] = is_copy
        responses["response_id_is_repeat"] = is_repeat
        self.first_at = first_at
        responses["response_digest"] = digests

    def _located(self, found: list[checks.Violation], frame: pd.DataFrame) -> list[checks.Violation]:
        """Repeats and copies name the earlier row they repeat."""
        first_at = self.first_at
        return [
            replace(v, rule=f"{v.rule}; first at {first_at[v.line]}")
            if v.line in first_at and v.rule_id.endswith(("_unique", "duplicate_copy"))
            else v
            for v in found
        ]

    def _remember_responses(self, responses: pd.DataFrame, is_clean: np.ndarray, file: str) -> None:
        """Remember the kept questionnaires, so a later file's copy of one is counted once."""
        digests = responses["response_digest"].to_numpy()
        for rid, line, keep, digest in zip(responses["response_id"], responses[LINE], is_clean, digests, strict=True):
            if keep and isinstance(rid, str) and rid not in self.seen_responses:
                self.seen_responses[rid] = (file, int(line), int(digest))

    def audit(self, path: Path, home_ids: list[str]) -> pd.DataFrame | None:
        dataset = contract.load_dataset("audits")
        try:
            side = sources.sidecar(path)
        except DataError as error:
            self.result.files.append(FileOutcome(self.label(path), "audits", blocking_error=error.message))
            return None
        score = columns.known_header(dataset.known_columns, self.config)
        raw, outcome = self._load(path, "audits", score, side.get("sheet"))
        if raw is None or self._header_only(raw, outcome) or self._is_copy(raw, outcome):
            return None
        frame = self._map(raw, outcome, dataset, sources.get("spreadsheet"))
        if frame is None:
            return None
        if "home" in side:
            frame["home_id"] = frame["home_id"].fillna(side["home"]) if "home_id" in frame else side["home"]
        if not self._columns_ok(frame, outcome, dataset, raw):
            return None
        frame = self._personal(frame, outcome, dataset, {"action_owner"})
        frame["home_id"] = self._map_homes(frame["home_id"])
        day_first = (side.get("date_order") or self.config.date_order) == "day-first"
        cfg = replace(self.config, date_order="day-first" if day_first else "month-first")
        frame = checks.prepare_audits(frame, cfg)
        for column in ("audit_date", "action_due", "action_closed"):
            if self._wrong_order(frame[f"{column}_status"], frame, column, outcome, day_first):
                return None
        self._mark_audit_copies(frame, outcome.file)
        failures = self.runner.failing_rows(frame, dataset.expectations(), {"home_ids": home_ids, "today": self.today})
        found = self._located(checks.row_violations(outcome.file, frame, failures, self.names), frame)
        found += self._wide(raw, outcome, len(raw.frame.columns) - 1)
        is_clean = self._keep(outcome, frame, found)
        self._blank_fields(frame, failures)
        return None if outcome.blocking_error else _clean_audits(frame[is_clean], outcome.file)

    def _mark_audit_copies(self, frame: pd.DataFrame, file: str) -> None:
        """The same finding (home, date, item, result) seen before, in this file or another: counted once."""
        key = frame[["home_id", "audit_date_date", "item_id", "result"]].astype("string").fillna("")
        digests = pd.util.hash_pandas_object(key, index=False).to_numpy()
        is_copy = np.zeros(len(frame), dtype=bool)
        first_at: dict[int, str] = {}
        for i, (digest, line) in enumerate(zip(digests, frame[LINE], strict=True)):
            earlier = self.seen_audits.get(int(digest))
            if earlier is None:
                self.seen_audits[int(digest)] = (file, int(line))
            else:
                is_copy[i] = True
                first_at[int(line)] = f"{earlier[0]} line {earlier[1]}"
        frame["audit_is_copy"] = is_copy
        self.first_at = first_at

    def skip(self, folder: Path, dataset: str, reason: str) -> None:
        for path in list_files(folder):
            outcome = FileOutcome(self.label(path), dataset, blocking_error=reason)
            self.result.files.append(outcome)


def _merge_subheader(raw: RawFile, outcome: FileOutcome) -> RawFile:
    """SurveyMonkey's second header row: 'Response' keeps the question; an option label names its own column."""
    frame = raw.frame
    if frame.empty:
        return raw
    sub = frame.iloc[0]
    names, last = {}, ""
    for column in frame.columns:
        if column == LINE:
            continue
        label = "" if sub[column] is None else str(sub[column]).strip()
        base = last if column.startswith("Unnamed") else column
        last = base
        names[column] = column if label.lower() in ("", "response", "open-ended response") else f"{base} - {label}"
    frame = frame.iloc[1:].rename(columns=names).reset_index(drop=True)
    outcome.rows_read -= 1
    return RawFile(raw.path, raw.label, raw.sha256, frame, raw.notes, raw.wide_rows, raw.header_line)


def _redact_names(paths: Paths) -> frozenset[str]:
    """Names listed in raw/redact-names.txt, lower case, to recognise personal values."""
    try:
        if paths.redact_names_file.is_symlink():
            return frozenset()
        text = paths.redact_names_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(w.lower() for line in text.splitlines() for w in line.split() if len(w) > 1)


def _looks_like(columns, expected: str) -> str:
    """' (it looks like an audits file)' when the columns fit another dataset better."""
    present = set(columns)
    best, best_share = None, 0.0
    for dataset in contract.datasets():
        share = len(present & set(dataset.required_columns)) / len(dataset.required_columns)
        if dataset.name != expected and share > best_share:
            best, best_share = dataset.name, share
    article = "an" if best and best[0] in "aeiou" else "a"
    return f" (it looks like {article} {best} file)" if best and best_share >= 0.6 else ""


def _clean_survey(
    responses: pd.DataFrame, is_clean: np.ndarray, answers: pd.DataFrame, file: str
) -> dict[str, pd.DataFrame]:
    """The clean questionnaires, and their answers in long form (only questions asked of the group)."""
    kept = responses[is_clean]
    comment = kept["comment"] if "comment" in kept else pd.Series(pd.NA, index=kept.index)
    table = pd.DataFrame(
        {
            "response_id": kept["response_id"].astype("string"),
            "home_id": kept["home_id"].astype("string"),
            "respondent_group": kept["respondent_group"].astype("string"),
            "submitted_on": kept["submitted_on_date"],
            "period": periods_of(kept["submitted_on_date"]),
            "comment": comment.astype("string").str.strip().replace("", pd.NA),
            "source_file": file,
            "source_line": kept[LINE].astype("int64"),
        }
    ).reset_index(drop=True)
    new_position = np.full(len(responses), -1, dtype=np.int64)
    new_position[np.flatnonzero(is_clean)] = np.arange(int(is_clean.sum()))
    answers = answers[is_clean[answers["row"].to_numpy()] & answers["is_asked"].to_numpy()]
    take = new_position[answers["row"].to_numpy()]
    scores = answers["score"].to_numpy()
    long = pd.DataFrame(
        {c: table[c].to_numpy()[take] for c in ("response_id", "home_id", "respondent_group", "period")}
    )
    long["question_id"] = answers["question_id"].astype(str).to_numpy()
    long = long.astype("string")
    long["score"] = pd.array(np.where(scores > 0, scores, 0), dtype="Int8")
    long.loc[scores == 0, "score"] = pd.NA
    return {"responses": table, "answers": long}


def _clean_audits(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "audit_id": frame["audit_id"],
            "home_id": frame["home_id"],
            "audit_date": frame["audit_date_date"],
            "period": periods_of(frame["audit_date_date"]),
            "kloe": frame["kloe"],
            "item_id": frame["item_id"],
            "item": frame["item"],
            "result": frame["result"].astype("string"),
            "action": frame["action"],
            "action_owner": frame["action_owner"],
            "priority": frame["priority"],
            "action_due": frame["action_due_date"],
            "action_closed": frame["action_closed_date"],
            "quality_statement": frame["quality_statement"],
            "source_file": file,
            "source_line": frame[LINE].astype("int64"),
        }
    ).reset_index(drop=True)


def _clean_homes(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in ("beds", "staff_headcount", "residents"):
        out[column] = pd.to_numeric(out[column])
    return out


def _clean_questions(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(reverse_scored=frame["reverse_scored"].eq("true").astype(bool))


def validate(paths: Paths, today: dt.date, source: str | None = None) -> CheckResult:
    """Check everything under ``paths.raw`` and build the clean tables in memory; write nothing."""
    if not paths.raw.is_dir():
        raise UsageError(f"no raw data folder at {paths.raw} (run `wellled demo` for demo data)")
    started = time.perf_counter()
    checker = _Checker(paths, today, source)
    result = checker.result
    homes, homes_seen = checker.reference("homes", paths.homes_file, checks.prepare_homes)
    questions, questions_seen = checker.reference("questions", paths.questions_file, checks.prepare_questions)
    result.timings["reference"] = time.perf_counter() - started
    if homes_seen is None or questions_seen is None:
        unusable = "homes.csv" if homes_seen is None else "questions.csv"
        checker.skip(paths.surveys_dir, "surveys", f"not checked: {unusable} could not be used")
        checker.skip(paths.audits_dir, "audits", f"not checked: {unusable} could not be used")
        _list_not_read(checker, paths)
        return result
    home_ids = sorted(homes_seen["home_id"].dropna())
    checker.home_keys = {config.fold_key(k): v for k, v in checker.config.homes.items()}
    for home_id, name in zip(homes_seen["home_id"], homes_seen["home_name"], strict=True):
        if isinstance(home_id, str):
            checker.home_keys[config.fold_key(home_id)] = home_id
            if isinstance(name, str):
                checker.home_keys.setdefault(config.fold_key(name), home_id)
    step = time.perf_counter()
    surveys = [checker.survey(p, questions_seen, home_ids) for p in list_files(paths.surveys_dir)]
    result.timings["surveys"] = time.perf_counter() - step
    step = time.perf_counter()
    audits = [checker.audit(p, home_ids) for p in list_files(paths.audits_dir)]
    result.timings["audits"] = time.perf_counter() - step
    kept = [s for s in surveys if s is not None]
    responses = _concat([s["responses"] for s in kept], "responses")
    answers = _concat([s["answers"] for s in kept], "answers")
    tables = {
        "homes": _clean_homes(homes if homes is not None else homes_seen),
        "questions": _clean_questions(questions if questions is not None else questions_seen),
        "responses": responses,
        "answers": answers,
        "audits": _concat([a for a in audits if a is not None], "audits"),
    }
    try:
        result.tables = {name: clean_schema.conform(name, frame) for name, frame in tables.items()}
    except clean_schema.SchemaMismatch as error:
        raise RunError(f"the check built a clean table that breaks its declared schema: {error}") from None
    responses, answers = result.tables["responses"], result.tables["answers"]
    result.flags += flags.volume_changes(responses) + flags.straight_lined(answers, responses)
    _list_not_read(checker, paths)
    if not list_files(paths.surveys_dir):
        result.flags.append(flags.Flag("surveys/", "no-surveys", "no survey files: reports will show audits only"))
    _check_outputs(result)
    result.timings["total"] = time.perf_counter() - started
    return result


def _list_not_read(checker: _Checker, paths: Paths) -> None:
    """Every entry under raw/ that is not read, with the reason (links, other formats, lock files)."""
    reference = {paths.homes_file, paths.questions_file, paths.raw / config.CONFIG_NAME, paths.redact_names_file}
    reference |= {paths.homes_file.with_suffix(".xlsx"), paths.questions_file.with_suffix(".xlsx")}
    for path, kind, reason in not_read(paths.raw):
        if path in reference and not path.is_symlink():
            continue
        checker.result.flags.append(flags.Flag(checker.label(path), kind, reason))
    for path in list_files(paths.raw):
        inside = path.parent in (paths.surveys_dir, paths.audits_dir) or paths.surveys_dir in path.parents
        inside = inside or paths.audits_dir in path.parents or path in reference
        if not inside:
            checker.result.flags.append(
                flags.Flag(
                    checker.label(path),
                    "not-read",
                    "not read: data files belong in surveys/ or audits/ (or are homes.csv, questions.csv)",
                )
            )


def _concat(frames: list[pd.DataFrame], name: str) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else clean_schema.empty(name)


def _check_outputs(result: CheckResult) -> None:
    """The output contract: every row accounted for, every score on the scale, every key present."""
    for outcome in result.files:
        if outcome.rows_read != outcome.rows_clean + outcome.rows_quarantined:
            raise RunError(f"{outcome.file}: rows read {outcome.rows_read} != clean + quarantined")
    answers = result.tables["answers"]
    if not answers["score"].dropna().between(1, 5).all():
        raise RunError("clean answers hold a score outside 1..5")
    responses = result.tables["responses"]
    if responses["response_id"].duplicated().any() or responses[["home_id", "period"]].isna().any().any():
        raise RunError("clean responses have a repeated id or a missing home or period")


QUARANTINE_OUTCOME = {
    checks.ROW: "row held back",
    checks.FIELD: "value dropped, row kept",
    checks.COPY: "copy, counted once",
}


def quarantine_frame(violations: list[checks.Violation]) -> pd.DataFrame:
    """One row per violation: where, which rule (words and ``rule_id``), what became of the row, a safe value."""
    frame = pd.DataFrame(
        [
            (v.file, v.line, v.home_id, v.column, v.rule_id, v.rule, QUARANTINE_OUTCOME.get(v.level, v.level), v.value)
            for v in violations
        ],
        columns=["source_file", "source_line", "home_id", "column", "rule_id", "rule", "outcome", "value"],
    )
    return frame.astype(
        {
            "source_file": "string",
            "source_line": "int64",
            "home_id": "string",
            "column": "string",
            "rule_id": "string",
            "rule": "string",
            "outcome": "string",
            "value": "string",
        }
    )


def run(paths: Paths, *, today: dt.date | None = None, strict: bool = False, source: str | None = None) -> CheckResult:
    """Check ``paths.raw``, write ``clean/`` if nothing blocks, and always the data-quality report and log.

    A rejected file (or, with ``strict``, any flag) is a DataError after the report is written; ``clean/`` then
    keeps what it had.
    """
    today = today or dt.date.today()
    log = RunLog(paths, "check")
    with store.locked(paths):
        result = validate(paths, today, source)
        quarantine = quarantine_frame(result.violations)
        for outcome in result.files:
            log.file(outcome)
        for flag in result.flags:
            log.line(f"flag {flag.kind}: {flag.file}: {flag.message}")
        blocked = bool(result.blocking or (strict and result.flags))
        if not blocked:
            started = time.perf_counter()
            manifest = {
                "schema_version": clean_schema.SCHEMA_VERSION,
                "wellled_version": __version__,
                "checked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "inputs": [
                    {
                        "file": f.file,
                        "dataset": f.dataset,
                        "sha256": f.sha256,
                        "rows_read": f.rows_read,
                        "rows_clean": f.rows_clean,
                        "rows_quarantined": f.rows_quarantined,
                    }
                    for f in result.files
                ],
                "flags": [flag.as_dict() for flag in result.flags],
            }
            store.write_clean(paths, result.tables, quarantine, manifest)
            result.timings["save"] = time.perf_counter() - started
    report = dq_report.write(paths, result.files, result.flags, quarantine, rejected=blocked)
    log.line("timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items()))
    log.line(f"data-quality report: {report}")
    if blocked:
        reason = "a file was rejected" if result.blocking else "import flags raised and --strict is on"
        reasons = paths.data_quality_dir / dq_report.QUARANTINE_NAME
        message = f"check failed: {reason}; {paths.clean} keeps what it had before. The reasons: {report} and {reasons}"
        log.line(message)
        log.close()
        raise DataError(message)
    log.line(f"clean data written to {paths.clean} ({len(quarantine)} quarantine entries)")
    log.close()
    return result
