"""``wellled check``: load every raw file, check it against the suites, and write ``clean/`` all or nothing.

The stage follows one shape: load and check each file chunk by chunk (:mod:`~wellled.check.surveys`,
:mod:`~wellled.check.audits`; reference files whole in :mod:`~wellled.check.checker`), append the clean rows to
Parquet in a staging folder as they pass, check the outputs (reconciliation), write the data-quality page and
the log, and only then swap the staging folder in as ``clean/``.
"""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd

from wellled import __version__
from wellled.check import clean_schema, config, flags, store
from wellled.check import quality_report as dq_report
from wellled.check import rules as checks
from wellled.check.audits import check_audit
from wellled.check.checker import Checker
from wellled.check.duplicates import SeenIndex
from wellled.check.log import RunLog
from wellled.check.outcome import CheckResult
from wellled.check.read import list_files, not_read
from wellled.check.staging import Staging
from wellled.check.surveys import SurveyMemory, check_survey
from wellled.errors import DataError, RunError, UsageError
from wellled.paths import Paths

STREAMED = ["responses", "answers", "audits"]


def validate(paths: Paths, today: dt.date, staging: Staging, source: str | None = None) -> CheckResult:
    """Check everything under ``paths.raw``; the clean tables are written into ``staging``, nothing else."""
    if not paths.raw.is_dir():
        raise UsageError(f"no raw data folder at {paths.raw} (run `wellled demo` for demo data)")
    started = time.perf_counter()
    checker = Checker(paths, today, staging, source)
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
    memory = SurveyMemory()
    for path in list_files(paths.surveys_dir):
        check_survey(checker, memory, path, questions_seen, home_ids)
    result.timings["surveys"] = time.perf_counter() - step
    step = time.perf_counter()
    audits_seen = SeenIndex()
    for path in list_files(paths.audits_dir):
        check_audit(checker, audits_seen, path, home_ids)
    result.timings["audits"] = time.perf_counter() - step
    staging.append("homes", _clean_homes(homes if homes is not None else homes_seen))
    staging.append("questions", _clean_questions(questions if questions is not None else questions_seen))
    staging.close(STREAMED)
    result.flags += memory.volume_flags() + memory.straight_flags()
    _list_not_read(checker, paths)
    if not list_files(paths.surveys_dir):
        result.flags.append(flags.Flag("surveys/", "no-surveys", "no survey files: reports will show audits only"))
    _check_outputs(result)
    result.timings["total"] = time.perf_counter() - started
    return result


def _list_not_read(checker: Checker, paths: Paths) -> None:
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


def _check_outputs(result: CheckResult) -> None:
    """The output contract: every row accounted for (each chunk's scores and keys are checked as written)."""
    for outcome in result.files:
        if outcome.rows_read != outcome.rows_clean + outcome.rows_quarantined:
            raise RunError(f"{outcome.file}: rows read {outcome.rows_read} != clean + quarantined")


def _clean_homes(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in ("beds", "staff_headcount", "residents"):
        out[column] = pd.to_numeric(out[column])
    return out


def _clean_questions(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(reverse_scored=frame["reverse_scored"].eq("true").astype(bool))


def _manifest(result: CheckResult) -> dict:
    return {
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


def run(paths: Paths, *, today: dt.date | None = None, strict: bool = False, source: str | None = None) -> CheckResult:
    """Check ``paths.raw``, write the data-quality report and log, and then, if nothing blocks, ``clean/``.

    A rejected file (or, with ``strict``, any flag) is a DataError after the report is written; ``clean/`` then
    keeps what it had. So does a run that cannot write its data-quality page or log: they are written before
    the new ``clean/`` is swapped in.
    """
    today = today or dt.date.today()
    log = RunLog(paths, "check")
    with store.locked(paths):
        staging = Staging(paths)
        try:
            result = validate(paths, today, staging, source)
            quarantine = result.quarantine
            assert quarantine is not None
            for outcome in result.files:
                log.file(outcome)
            for flag in result.flags:
                log.line(f"flag {flag.kind}: {flag.file}: {flag.message}")
            blocked = bool(result.blocking or (strict and result.flags))
            if not blocked:
                started = time.perf_counter()
                store.seal(paths, staging.folder, quarantine, _manifest(result))
                result.timings["save"] = time.perf_counter() - started
            report = dq_report.write(
                paths, result.files, result.flags, quarantine, rejected=blocked, shown=result.page_entries
            )
            log.line("timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items()))
            log.line(f"data-quality report: {report}")
            if blocked:
                reason = "a file was rejected" if result.blocking else "import flags raised and --strict is on"
                reasons = paths.data_quality_dir / dq_report.QUARANTINE_NAME
                message = (
                    f"check failed: {reason}; {paths.clean} keeps what it had before. The reasons: {report} "
                    f"and {reasons}"
                )
                log.line(message)
                log.close()
                raise DataError(message)
            log.line(f"clean data written to {paths.clean} ({quarantine.count} quarantine entries)")
            log.close()
            store.swap_in(paths, staging.folder)
        finally:
            staging.remove()
    return result
