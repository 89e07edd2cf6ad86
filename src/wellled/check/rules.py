"""Row rules: prepare each raw frame for its Great Expectations suite, validate it, and list the violations.

The rules themselves live in ``expectations/*.json``. A few rules need a value GX cannot see in one column
(an id repeated from an earlier row, a date that would not parse); ``prepare_*`` adds those as derived columns
named in the suites, e.g. ``response_id_is_repeat``. Each violation is reported against the column the analyst
sees, with the rule in the plain words of the expectation's ``meta``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wellled.check import contract
from wellled.check.read import LINE
from wellled.errors import RunError


@dataclass(frozen=True)
class Violation:
    """One broken rule in one row: ``line`` as the analyst sees it in ``file`` (header = 1)."""

    file: str
    line: int
    column: str
    rule: str
    value: str | None
    home_id: str | None = None


class SuiteRunner:
    """Runs expectation lists against pandas frames in one ephemeral GX context: no files, no Data Docs."""

    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # GX must never phone home
        os.environ.setdefault("TQDM_DISABLE", "1")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = context.data_sources.add_pandas("wellled").add_dataframe_asset("frame")
        self._batches = asset.add_batch_definition_whole_dataframe("whole")

    def failing_rows(
        self, frame: pd.DataFrame, expectations: list[dict[str, Any]], parameters: dict[str, Any]
    ) -> list[tuple[dict[str, Any], np.ndarray]]:
        """For each expectation that fails, its meta and the positions (0-based) of the failing rows."""
        if frame.empty or not expectations:
            return []
        frame = frame.reset_index(drop=True)
        suite = self._gx.ExpectationSuite(name="wellled", expectations=expectations)
        batch = self._batches.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, expectation_parameters=parameters, result_format={"result_format": "COMPLETE"})
        failures = []
        for outcome in result.results:
            meta = outcome.expectation_config.meta
            if outcome.exception_info.get("raised_exception"):
                message = outcome.exception_info.get("exception_message")
                raise RunError(f"the rule '{meta['rule']}' could not be evaluated: {message}")
            if not outcome.success:
                positions = np.asarray(outcome.result.get("unexpected_index_list") or [], dtype=np.int64)
                failures.append((meta, positions))
        return failures


def row_violations(file: str, frame: pd.DataFrame, failures: list[tuple[dict, np.ndarray]]) -> list[Violation]:
    """Violations of a one-row-per-record frame, quoting the value except for free-text comments."""
    found = []
    for meta, positions in failures:
        column = meta["column"]
        lines = frame[LINE].to_numpy()[positions]
        values = frame[column].to_numpy(dtype=object)[positions] if column in frame else [None] * len(lines)
        homes = frame["home_id"].to_numpy(dtype=object)[positions] if "home_id" in frame else [None] * len(lines)
        found += [
            Violation(file, int(n), column, meta["rule"], _shown(column, v), _shown("home_id", h))
            for n, v, h in zip(lines, values, homes, strict=True)
        ]
    return found


def answer_violations(
    file: str, responses: pd.DataFrame, answers: pd.DataFrame, failures: list[tuple[dict, np.ndarray]]
) -> list[Violation]:
    """Violations of the long answers frame, reported against the questionnaire's line and question column."""
    found = []
    lines = responses[LINE].to_numpy()
    homes = responses["home_id"].to_numpy(dtype=object)
    for meta, positions in failures:
        rows = answers["row"].to_numpy()[positions]
        questions = answers["question_id"].to_numpy()[positions]
        for question_id in pd.unique(questions):
            at = rows[questions == question_id]
            values = responses[question_id].to_numpy(dtype=object)[at]
            found += [
                Violation(
                    file,
                    int(line),
                    str(question_id),
                    meta["rule"],
                    _shown(str(question_id), value),
                    _shown("home_id", home),
                )
                for line, value, home in zip(lines[at], values, homes[at], strict=True)
            ]
    return found


def _shown(column: str, value: object) -> str | None:
    if column == "comment" or value is None or pd.isna(value):
        return None
    return str(value)


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


def _is_repeat(ids: pd.Series, earlier: set[str] | frozenset[str] = frozenset()) -> pd.Series:
    return ids.notna() & (ids.duplicated(keep="first") | ids.isin(earlier))


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(dates, is_date): dates as datetime64[ns] (GX's fast path), is_date False only for a bad value."""
    written_right = values.astype("string").str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    dates = pd.to_datetime(values.where(written_right), format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
    return dates, values.isna() | dates.notna()


def prepare_homes(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in contract.load_dataset("homes").known_columns:
        out[column] = _text(out[column]) if column in out else pd.Series(pd.NA, index=out.index, dtype="string")
    out["home_id_is_repeat"] = _is_repeat(out["home_id"])
    return out


def prepare_questions(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in contract.load_dataset("questions").known_columns:
        out[column] = _text(out[column]) if column in out else pd.Series(pd.NA, index=out.index, dtype="string")
    out["kloe"] = out["kloe"].str.upper()
    out["respondent_groups"] = out["respondent_groups"].str.lower().str.replace(r"\s+", "", regex=True)
    out["reverse_scored"] = out["reverse_scored"].str.lower().replace({"yes": "true", "no": "false"})
    out["question_id_is_repeat"] = _is_repeat(out["question_id"])
    return out


def prepare_responses(frame: pd.DataFrame, earlier_ids: set[str]) -> pd.DataFrame:
    out = frame.copy()
    for column in ("response_id", "home_id", "respondent_group", "submitted_on"):
        out[column] = _text(out[column])
    out["respondent_group"] = out["respondent_group"].str.lower()
    out["submitted_on_date"], out["submitted_on_is_date"] = parse_dates(out["submitted_on"])
    out["response_id_is_repeat"] = _is_repeat(out["response_id"], earlier_ids)
    return out


def prepare_answers(responses: pd.DataFrame, question_ids: list[str], asked: dict[str, set[str]]) -> pd.DataFrame:
    """Long frame, one row per questionnaire x question column, with the normalised answer text.

    ``row`` is the position of the questionnaire in ``responses``. Normalising works on the few distinct
    answer texts, not on every cell, so a million answers cost little.
    """
    cells = responses[question_ids].to_numpy(dtype=object)
    rows = len(responses)
    codes, uniques = pd.factorize(cells.ravel(order="C"), use_na_sentinel=True)
    normalised = pd.Index([" ".join(str(u).split()).lower().replace("’", "'") for u in uniques])
    scores = contract.answer_scores()
    non_answers = set(contract.non_answers())
    score_of_unique = np.array([scores.get(u, 0) for u in normalised], dtype=np.int8)
    answered_of_unique = np.array([u in scores for u in normalised], dtype=bool)
    known_of_unique = np.array([u in scores or u in non_answers for u in normalised], dtype=bool)
    safe = np.where(codes < 0, 0, codes)
    blank = codes < 0
    question = np.tile(np.arange(len(question_ids)), rows)
    group = np.repeat(responses["respondent_group"].fillna("").to_numpy(dtype=object), len(question_ids))
    qids = np.asarray(question_ids, dtype=object)
    pairs = {f"{q}|{g}" for q, groups in asked.items() for g in groups}
    long = pd.DataFrame(
        {
            "row": np.repeat(np.arange(rows), len(question_ids)),
            "question_id": pd.Categorical.from_codes(question, categories=question_ids),
            "answer": np.where(blank, "", normalised.to_numpy(dtype=object)[safe] if len(uniques) else ""),
            "is_answered": np.where(blank, False, answered_of_unique[safe] if len(uniques) else False),
            "is_known": np.where(blank, True, known_of_unique[safe] if len(uniques) else True),
            "score": np.where(blank, 0, score_of_unique[safe] if len(uniques) else 0).astype(np.int8),
        }
    )
    pair = pd.Series(np.char.add(np.char.add(qids[question].astype(str), "|"), group.astype(str)))
    long["is_asked"] = pair.isin(pairs).to_numpy()
    is_judged = long["is_answered"].to_numpy() & np.isin(group, contract.respondent_groups())
    long["question_group"] = pair.where(is_judged, "").to_numpy()
    long.attrs["answer_labels"] = sorted(set(scores) | non_answers)
    long.attrs["asked_question_groups"] = ["", *sorted(pairs)]
    return long


def prepare_audits(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in contract.load_dataset("audits").known_columns:
        out[column] = _text(out[column]) if column in out else pd.Series(pd.NA, index=out.index, dtype="string")
    out["kloe"] = out["kloe"].str.upper()
    out["result"] = out["result"].str.lower().str.replace(r"\s+", " ", regex=True)
    out["priority"] = out["priority"].str.lower()
    for column in ("audit_date", "action_due", "action_closed"):
        out[f"{column}_date"], out[f"{column}_is_date"] = parse_dates(out[column])
    return out
