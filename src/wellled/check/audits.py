"""Audit files: each finding checked chunk by chunk; the same finding in another row or file counted once.

The run remembers a 64-bit hash of each distinct finding (home, date, item, result) with its file and line.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from wellled.check import columns, contract, sources
from wellled.check import rules as checks
from wellled.check.checker import Checker, FileRun
from wellled.check.duplicates import SeenIndex, key_hashes
from wellled.check.read import LINE
from wellled.errors import DataError
from wellled.periods import periods_of


def check_audit(checker: Checker, seen: SeenIndex, path: Path, home_ids: list[str]) -> None:
    """Check one audit file; its clean rows go to the staging folder unless it is rejected."""
    try:
        side = sources.sidecar(path)
    except DataError as error:
        checker.rejected_file(path, "audits", error.message)
        return
    dataset = contract.load_dataset("audits")
    score = columns.known_header(dataset.known_columns, checker.config)
    stream, run = checker.open(path, "audits", score, side.get("sheet"))
    if stream is not None:
        try:
            _check(checker, seen, stream.sha256, stream.chunks(), run, side, home_ids)
        except DataError as error:
            checker.unreadable(run, error)
    checker.finish(run)


def _check(checker: Checker, seen: SeenIndex, sha256, chunks, run: FileRun, side, home_ids) -> None:
    dataset = contract.load_dataset("audits")
    outcome = run.outcome
    started = checker.rows_to_check(sha256, chunks, run)
    if started is None:
        return
    first, chunks = started
    headers = list(first.frame.columns)
    plan = checker.plan(headers, run, dataset, sources.get("spreadsheet"))
    if plan is None:
        checker.drain(run, chunks)
        return

    def mapped(frame: pd.DataFrame) -> pd.DataFrame:
        frame = plan.apply(frame)
        if "home" in side:
            frame["home_id"] = frame["home_id"].fillna(side["home"]) if "home_id" in frame else side["home"]
        return frame

    if not checker.columns_ok(mapped(first.frame.iloc[:0]), outcome, dataset, headers):
        checker.drain(run, chunks)
        return
    number = checker.file_number(outcome.file)
    day_first = (side.get("date_order") or checker.config.date_order) == "day-first"
    cfg = replace(checker.config, date_order="day-first" if day_first else "month-first")
    for raw in chunks:
        checker.count(run, raw)
        if outcome.blocking_error:
            continue
        frame = checker.personal(mapped(raw.frame), run, dataset, {"action_owner"})
        frame["home_id"] = checker.map_homes(frame["home_id"])
        frame = checks.prepare_audits(frame, cfg)
        if any(
            checker.wrong_order(frame[f"{column}_status"], frame, column, run, day_first)
            for column in ("audit_date", "action_due", "action_closed")
        ):
            continue
        first_at = _mark_copies(checker, seen, frame, number)
        failures = checker.runner.failing_rows(
            frame, dataset.expectations(), {"home_ids": home_ids, "today": checker.today}
        )
        found = checker.located(checks.row_violations(outcome.file, frame, failures, checker.names), first_at)
        found += checker.wide(raw, outcome, len(raw.frame.columns) - 1)
        is_clean = checker.tally(run, frame, found)
        checker.blank_fields(frame, failures)
        checker.staging.append("audits", _clean_audits(frame[is_clean], outcome.file))


def _mark_copies(checker: Checker, seen: SeenIndex, frame: pd.DataFrame, number: int) -> dict[int, str]:
    """The same finding (home, date, item, result) seen before, in this file or another: counted once.

    Returns, by line, where each copy was first seen.
    """
    keys = key_hashes(frame[["home_id", "audit_date_date", "item_id", "result"]].astype("string").fillna(""))
    lines = frame[LINE].to_numpy(dtype=np.int64)
    earlier = seen.find(keys)
    is_copy = earlier[:, 1] >= 0
    new = np.flatnonzero(~is_copy)
    if len(new):
        first = pd.Series(new).groupby(keys[new], sort=False).transform("first").to_numpy()
        later = first != new
        earlier[new[later]] = np.column_stack(
            [np.zeros(int(later.sum()), dtype=np.int64), np.full(int(later.sum()), number), lines[first[later]]]
        )
        is_copy[new[later]] = True
        firsts = new[~later]
        seen.add(
            keys[firsts],
            np.column_stack([np.zeros(len(firsts), dtype=np.int64), np.full(len(firsts), number), lines[firsts]]),
        )
    frame["audit_is_copy"] = is_copy
    return {
        int(lines[i]): f"{checker.file_labels[int(earlier[i, 1])]} line {int(earlier[i, 2])}"
        for i in np.flatnonzero(is_copy)
    }


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
