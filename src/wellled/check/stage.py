"""``wellled check``: load every raw file, check it against the suites, and write ``clean/`` all or nothing.

The stage follows one shape: load (``imports``), check inputs (``checks``: file rules, then row rules with
GX), transform (clean tables), check outputs (reconciliation), save (``store``), then report (``dq_report``).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wellled import __version__
from wellled.check import clean_schema, contract, flags, store
from wellled.check import quality_report as dq_report
from wellled.check import rules as checks
from wellled.check.log import RunLog
from wellled.check.read import LINE, RawFile, list_files, load, unsupported_files
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

    def __init__(self, paths: Paths, today: dt.date):
        self.paths = paths
        self.today = pd.Timestamp(today)
        self.result = CheckResult()
        self.runner = checks.SuiteRunner()
        self.seen_hashes: dict[str, str] = {}
        self.seen_response_ids: set[str] = set()
        self.held_back: dict[str, set[str]] = {}

    def label(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.paths.raw))
        except ValueError:
            return str(path)

    def _load(self, path: Path, dataset: str) -> tuple[RawFile | None, FileOutcome]:
        outcome = FileOutcome(self.label(path), dataset)
        self.result.files.append(outcome)
        if not path.exists():
            outcome.blocking_error = f"file not found: {dataset} are required"
            return None, outcome
        try:
            raw = load(path, outcome.file)
        except DataError as error:
            outcome.blocking_error = f"{error.where + ': ' if error.where else ''}{error.message}"
            return None, outcome
        outcome.rows_read, outcome.sha256 = raw.rows, raw.sha256
        return raw, outcome

    def _columns_ok(self, raw: RawFile, outcome: FileOutcome, dataset: contract.Dataset) -> bool:
        columns = [c for c in raw.frame.columns if c != LINE]
        missing = [c for c in dataset.required_columns if c not in columns]
        if missing:
            outcome.reject(f"required columns missing: {', '.join(missing)}{_looks_like(columns, dataset.name)}")
        return not missing

    def _is_copy(self, raw: RawFile, outcome: FileOutcome) -> bool:
        first = self.seen_hashes.setdefault(raw.sha256, outcome.file)
        if first == outcome.file:
            return False
        outcome.rows_quarantined = outcome.rows_read
        self.result.violations += [
            checks.Violation(outcome.file, int(n), "", f"same content as {first}, imported once", None)
            for n in raw.frame[LINE]
        ]
        self.result.flags.append(
            flags.Flag(outcome.file, "duplicate-file", f"same content as {first}: its rows were imported once")
        )
        return True

    def _keep(self, outcome: FileOutcome, frame: pd.DataFrame, found: list[checks.Violation]) -> np.ndarray:
        """Record violations and return a mask of the clean rows; reject the file if over half are bad."""
        bad_lines = {v.line for v in found}
        is_clean = ~frame[LINE].isin(bad_lines).to_numpy()
        outcome.rows_clean = int(is_clean.sum())
        outcome.rows_quarantined = outcome.rows_read - outcome.rows_clean
        self.result.violations += found
        if outcome.rows_read and outcome.rows_quarantined * 2 > outcome.rows_read:
            outcome.reject(
                f"{outcome.rows_quarantined} of {outcome.rows_read} rows broke a rule (more than half): "
                "is this the right export? See the quarantine list for the reasons"
            )
        return is_clean

    def reference(self, dataset_name: str, path: Path, prepare) -> pd.DataFrame | None:
        """Check homes.csv or questions.csv; return its clean rows, or None if the file is unusable."""
        dataset = contract.load_dataset(dataset_name)
        raw, outcome = self._load(path, dataset_name)
        if raw is None or not self._columns_ok(raw, outcome, dataset):
            return None
        ignored = [c for c in raw.frame.columns if c not in dataset.known_columns and c != LINE]
        if ignored:
            self.result.flags.append(
                flags.Flag(
                    outcome.file, "ignored-columns", f"columns not in the contract were ignored: {', '.join(ignored)}"
                )
            )
        frame = prepare(raw.frame)
        failing = self.runner.failing_rows(frame, dataset.expectations(), {})
        is_clean = self._keep(outcome, frame, checks.row_violations(outcome.file, frame, failing))
        self.held_back[dataset_name] = set(frame.loc[~is_clean, dataset.columns[0].name].dropna().astype(str))
        return None if outcome.blocking_error else frame[is_clean]

    def survey(self, path: Path, questions: pd.DataFrame, home_ids: list[str]) -> pd.DataFrame | None:
        dataset = contract.load_dataset("surveys")
        raw, outcome = self._load(path, "surveys")
        if raw is None or self._is_copy(raw, outcome):
            return None
        frame = self._drop_identity_columns(raw, outcome)
        if not self._columns_ok(RawFile(raw.path, raw.label, raw.sha256, frame), outcome, dataset):
            return None
        known = set(questions["question_id"])
        extra = [c for c in frame.columns if c not in dataset.known_columns and c != LINE]
        unknown = [c for c in extra if c not in known]
        quarantined = [c for c in unknown if c in self.held_back.get("questions", set())]
        if quarantined:
            outcome.reject(
                f"columns whose row in questions.csv is quarantined: {', '.join(quarantined)}; "
                "fix those questions first"
            )
            return None
        if unknown:
            outcome.reject(f"columns that are not questions in questions.csv: {', '.join(unknown)}")
            return None
        if not extra:
            outcome.reject("no question columns: the file holds no answers")
            return None
        responses = checks.prepare_responses(frame, self.seen_response_ids)
        self.seen_response_ids.update(responses["response_id"].dropna())
        asked = {
            q: set(g.split(";")) for q, g in zip(questions["question_id"], questions["respondent_groups"], strict=True)
        }
        answers = checks.prepare_answers(responses, extra, asked)
        parameters = {
            "home_ids": home_ids,
            "today": self.today,
            "answer_labels": answers.attrs["answer_labels"],
            "asked_question_groups": answers.attrs["asked_question_groups"],
        }
        found = checks.row_violations(
            outcome.file, responses, self.runner.failing_rows(responses, dataset.expectations("responses"), parameters)
        )
        found += checks.answer_violations(
            outcome.file,
            responses,
            answers,
            self.runner.failing_rows(answers, dataset.expectations("answers"), parameters),
        )
        is_clean = self._keep(outcome, responses, found)
        if outcome.blocking_error:
            return None
        return _clean_survey(responses, is_clean, answers, outcome.file)

    def _drop_identity_columns(self, raw: RawFile, outcome: FileOutcome) -> pd.DataFrame:
        identity = contract.identity_columns()
        dropped = [c for c in raw.frame.columns if c.lower() in identity]
        if dropped:
            self.result.flags.append(
                flags.Flag(
                    outcome.file,
                    "identity-columns-dropped",
                    f"dropped {', '.join(dropped)}: they identify respondents and are never stored",
                )
            )
        return raw.frame.drop(columns=dropped)

    def audit(self, path: Path, home_ids: list[str]) -> pd.DataFrame | None:
        dataset = contract.load_dataset("audits")
        raw, outcome = self._load(path, "audits")
        if raw is None or self._is_copy(raw, outcome) or not self._columns_ok(raw, outcome, dataset):
            return None
        extra = [c for c in raw.frame.columns if c not in dataset.known_columns and c != LINE]
        if extra:
            outcome.reject(
                f"columns that audits do not have: {', '.join(extra)}{_looks_like(raw.frame.columns, 'audits')}"
            )
            return None
        frame = checks.prepare_audits(raw.frame)
        failing = self.runner.failing_rows(frame, dataset.expectations(), {"home_ids": home_ids, "today": self.today})
        is_clean = self._keep(outcome, frame, checks.row_violations(outcome.file, frame, failing))
        return None if outcome.blocking_error else _clean_audits(frame[is_clean], outcome.file)

    def skip(self, folder: Path, dataset: str, reason: str) -> None:
        for path in list_files(folder):
            outcome = FileOutcome(self.label(path), dataset, blocking_error=reason)
            self.result.files.append(outcome)


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
    canonical = {"met": "Met", "partially met": "Partially met", "not met": "Not met", "n/a": "N/A"}
    return pd.DataFrame(
        {
            "audit_id": frame["audit_id"],
            "home_id": frame["home_id"],
            "audit_date": frame["audit_date_date"],
            "period": periods_of(frame["audit_date_date"]),
            "kloe": frame["kloe"],
            "item_id": frame["item_id"],
            "item": frame["item"],
            "result": frame["result"].map(canonical).astype("string"),
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


def validate(paths: Paths, today: dt.date) -> CheckResult:
    """Check everything under ``paths.raw`` and build the clean tables in memory; write nothing."""
    if not paths.raw.is_dir():
        raise UsageError(f"no raw data folder at {paths.raw} (run `wellled demo` for demo data)")
    started = time.perf_counter()
    checker = _Checker(paths, today)
    result = checker.result
    homes = checker.reference("homes", paths.homes_file, checks.prepare_homes)
    questions = checker.reference("questions", paths.questions_file, checks.prepare_questions)
    result.timings["reference"] = time.perf_counter() - started
    if homes is None or questions is None:
        unusable = "homes.csv" if homes is None else "questions.csv"
        checker.skip(paths.surveys_dir, "surveys", f"not checked: {unusable} could not be used")
        checker.skip(paths.audits_dir, "audits", f"not checked: {unusable} could not be used")
        return result
    home_ids = sorted(homes["home_id"])
    step = time.perf_counter()
    surveys = [checker.survey(p, questions, home_ids) for p in list_files(paths.surveys_dir)]
    result.timings["surveys"] = time.perf_counter() - step
    step = time.perf_counter()
    audits = [checker.audit(p, home_ids) for p in list_files(paths.audits_dir)]
    result.timings["audits"] = time.perf_counter() - step
    surveys = [s for s in surveys if s is not None]
    responses = _concat([s["responses"] for s in surveys], "responses")
    answers = _concat([s["answers"] for s in surveys], "answers")
    tables = {
        "homes": _clean_homes(homes),
        "questions": _clean_questions(questions),
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
    for folder in (paths.surveys_dir, paths.audits_dir):
        for path in unsupported_files(folder):
            result.flags.append(
                flags.Flag(
                    checker.label(path),
                    "unsupported-file",
                    "not read: only .csv and .xlsx files are (save an .xls file as .xlsx)",
                )
            )
    if not list_files(paths.surveys_dir):
        result.flags.append(flags.Flag("surveys/", "no-surveys", "no survey files: reports will show audits only"))
    _check_outputs(result)
    result.timings["total"] = time.perf_counter() - started
    return result


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


def quarantine_frame(violations: list[checks.Violation]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [(v.file, v.line, v.home_id, v.column, v.rule, v.value) for v in violations],
        columns=["source_file", "source_line", "home_id", "column", "rule", "value"],
    )
    return frame.astype(
        {
            "source_file": "string",
            "source_line": "int64",
            "home_id": "string",
            "column": "string",
            "rule": "string",
            "value": "string",
        }
    )


def run(paths: Paths, *, today: dt.date | None = None, strict: bool = False) -> CheckResult:
    """Check ``paths.raw``, write ``clean/`` if nothing blocks, and always the data-quality report and log.

    A rejected file (or, with ``strict``, any flag) is a DataError after the report is written; ``clean/`` then
    keeps what it had.
    """
    today = today or dt.date.today()
    log = RunLog(paths, "check")
    with store.locked(paths):
        result = validate(paths, today)
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
    report = dq_report.write(paths, result.files, result.flags, quarantine)
    log.line("timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items()))
    log.line(f"data-quality report: {report}")
    if blocked:
        reason = "a file was rejected" if result.blocking else "import flags raised and --strict is on"
        log.line(f"check failed: {reason}; {paths.clean} keeps what it had before")
        log.close()
        raise DataError(f"check failed: {reason}; {paths.clean} keeps what it had before")
    log.line(f"clean data written to {paths.clean} ({len(quarantine)} quarantine entries)")
    log.close()
    return result
