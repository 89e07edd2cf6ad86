"""Row rules: prepare each raw frame for its Great Expectations suite, validate it, and list the violations.

The rules themselves live in ``expectations/*.json``. A few rules need a value GX cannot see in one column
(an id repeated from an earlier row, a date that would not parse); ``prepare_*`` adds those as derived columns
named in the suites, e.g. ``response_id_is_repeat``. Each violation is reported against the column the analyst
sees, with the rule in the plain words of the expectation's ``meta`` and its stable ``rule_id``. A rule whose
``meta`` says ``"level": "field"`` guards an optional value: the value is dropped, the row stays.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wellled.check import contract
from wellled.check.config import DEFAULT, Config
from wellled.check.read import LINE
from wellled.check.values import OK, parse_dates, shown, whole_numbers
from wellled.errors import RunError

ROW, FIELD, COPY = "row", "field", "copy"


@dataclass(frozen=True)
class Violation:
    """One broken rule in one row: ``line`` as the analyst sees it in ``file``.

    ``level`` is ``row`` (the row is held back), ``field`` (only the value is dropped) or ``copy`` (a row
    already imported, counted once). ``value`` is already made safe to show (:func:`values.shown`).
    """

    file: str
    line: int
    column: str
    rule: str
    value: str | None
    home_id: str | None = None
    rule_id: str = ""
    level: str = ROW


class SuiteRunner:
    """Runs expectation lists against pandas frames in one ephemeral GX context: no files, no Data Docs."""

    _shared: SuiteRunner | None = None

    @classmethod
    def shared(cls) -> SuiteRunner:
        """The process's runner: building a GX context takes seconds, so every chunk and run reuses one."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

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
            meta = outcome.expectation_config.meta if outcome.expectation_config else {}
            if outcome.exception_info.get("raised_exception"):
                message = outcome.exception_info.get("exception_message")
                raise RunError(f"the rule '{meta['rule']}' could not be evaluated: {message}")
            if not outcome.success:
                positions = np.asarray(outcome.result.get("unexpected_index_list") or [], dtype=np.int64)
                failures.append((meta, positions))
        return failures


def row_violations(
    file: str, frame: pd.DataFrame, failures: list[tuple[dict, np.ndarray]], names: frozenset[str] = frozenset()
) -> list[Violation]:
    """Violations of a one-row-per-record frame; values shown masked, free-text comments never."""
    found = []
    for meta, positions in failures:
        column = meta["column"]
        lines = frame[LINE].to_numpy()[positions]
        values = frame[column].to_numpy(dtype=object)[positions] if column in frame else [None] * len(lines)
        homes = frame["home_id"].to_numpy(dtype=object)[positions] if "home_id" in frame else [None] * len(lines)
        found += [
            Violation(
                file,
                int(n),
                column,
                meta["rule"],
                _shown(column, v, names),
                _shown("home_id", h, names),
                meta.get("rule_id", ""),
                meta.get("level", ROW),
            )
            for n, v, h in zip(lines, values, homes, strict=True)
        ]
    return found


def answer_violations(
    file: str,
    responses: pd.DataFrame,
    answers: pd.DataFrame,
    failures: list[tuple[dict, np.ndarray]],
    names: frozenset[str] = frozenset(),
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
                    _shown(str(question_id), value, names),
                    _shown("home_id", home, names),
                    meta.get("rule_id", ""),
                    meta.get("level", ROW),
                )
                for line, value, home in zip(lines[at], values, homes[at], strict=True)
            ]
    return found


def _shown(column: str, value: object, names: frozenset[str] = frozenset()) -> str | None:
    if column == "comment":
        return None
    return shown(value, names)


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


def _is_repeat(ids: pd.Series, earlier: set[str] | frozenset[str] = frozenset()) -> pd.Series:
    return ids.notna() & (ids.duplicated(keep="first") | ids.isin(earlier))


def add_dates(out: pd.DataFrame, column: str, day_first: bool) -> pd.Series:
    """Add ``COLUMN_date`` and ``COLUMN_is_date``; return each row's parse status (values.OK, BAD, OTHER_ORDER)."""
    dates, status = parse_dates(out[column], day_first)
    out[f"{column}_date"] = dates.dt.normalize()
    out[f"{column}_is_date"] = (status == OK).to_numpy()
    out[f"{column}_status"] = status.to_numpy()
    return status


def map_vocabulary(values: pd.Series, vocabulary: Mapping[str, object]) -> pd.Series:
    """Labels mapped through a configured vocabulary (compared folded); unknown labels kept, folded, for the rule."""
    folded = values.astype("string").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    folded = folded.str.replace("’", "'", regex=False)
    return folded.map(lambda v: vocabulary.get(v, v) if isinstance(v, str) else v).astype("string")


def prepare_homes(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in contract.load_dataset("homes").known_columns:
        out[column] = _text(out[column]) if column in out else pd.Series(pd.NA, index=out.index, dtype="string")
    for column in ("beds", "staff_headcount", "residents"):
        out[column] = whole_numbers(out[column])
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


def prepare_responses(frame: pd.DataFrame, config: Config = DEFAULT) -> pd.DataFrame:
    """Trim, map respondent groups through the vocabulary, parse dates. Repeats are marked by the caller."""
    out = frame.copy()
    for column in ("response_id", "home_id", "respondent_group", "submitted_on"):
        out[column] = _text(out[column])
    out["respondent_group"] = map_vocabulary(out["respondent_group"], config.respondent_groups)
    add_dates(out, "submitted_on", config.date_order == "day-first")
    out["response_id_is_repeat"] = False
    out["response_is_copy"] = False
    return out


def prepare_answers(
    responses: pd.DataFrame, question_ids: list[str], asked: dict[str, set[str]], config: Config = DEFAULT
) -> pd.DataFrame:
    """Long frame, one row per questionnaire x question column, with the normalised answer text.

    ``row`` is the position of the questionnaire in ``responses``. Normalising works on the few distinct
    answer texts, not on every cell, so a million answers cost little.
    """
    cells = responses[question_ids].to_numpy(dtype=object)
    rows = len(responses)
    codes, uniques = pd.factorize(cells.ravel(order="C"), use_na_sentinel=True)
    normalised = pd.Index([_answer_text(u) for u in uniques])
    scores = config.answers
    non_answers = set(config.non_answers)
    score_of_unique = np.array([scores.get(u, 0) for u in normalised], dtype=np.int8)
    answered_of_unique = np.array([u in scores for u in normalised], dtype=bool)
    known_of_unique = np.array([u in scores or u in non_answers for u in normalised], dtype=bool)
    safe = np.where(codes < 0, 0, codes)
    blank = codes < 0
    question = np.tile(np.arange(len(question_ids)), rows)
    group_codes, group_names = pd.factorize(responses["respondent_group"].fillna("").to_numpy(dtype=object))
    group_names = np.asarray(group_names, dtype=object)
    pairs = {f"{q}|{g}" for q, groups in asked.items() for g in groups}
    # each (question, group) pair's text once; rows point at it by code, so no per-answer string is built
    pair_text = np.array([f"{q}|{g}" for q in question_ids for g in group_names] or [""], dtype=object)
    pair_asked = np.array([t in pairs for t in pair_text], dtype=bool)
    judged_group = np.isin(group_names, contract.respondent_groups())
    pair_code = question * max(len(group_names), 1) + np.tile(group_codes, 1).repeat(len(question_ids))
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
    long["is_asked"] = pair_asked[pair_code] if len(pair_code) else np.zeros(0, dtype=bool)
    is_judged = long["is_answered"].to_numpy()
    if len(group_names):
        is_judged = is_judged & judged_group[np.repeat(group_codes, len(question_ids))]
    long["question_group"] = np.where(is_judged, pair_text[pair_code] if len(pair_code) else "", "")
    long.attrs["answer_labels"] = sorted(set(scores) | non_answers)
    long.attrs["asked_question_groups"] = ["", *sorted(pairs)]
    return long


def _answer_text(value: object) -> str:
    """An answer label folded; '4.0' read as '4'."""
    text = " ".join(str(value).split()).lower().replace("’", "'")
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def prepare_audits(frame: pd.DataFrame, config: Config = DEFAULT) -> pd.DataFrame:
    """Trim, map results and priorities through the vocabularies, parse dates."""
    out = frame.copy()
    for column in contract.load_dataset("audits").known_columns:
        out[column] = _text(out[column]) if column in out else pd.Series(pd.NA, index=out.index, dtype="string")
    out["kloe"] = out["kloe"].str.upper()
    out["result"] = map_vocabulary(out["result"], config.audit_results)
    out["priority"] = map_vocabulary(out["priority"], config.priorities)
    for column in ("audit_date", "action_due", "action_closed"):
        add_dates(out, column, config.date_order == "day-first")
    out["audit_is_copy"] = False
    return out
