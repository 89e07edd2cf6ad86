"""Survey files: each questionnaire checked chunk by chunk, its answers in long form, repeats across files.

Across chunks and files the run remembers only a 64-bit hash of each response id with the hash of its
answers, its file and line (:mod:`wellled.check.duplicates`): that grows with distinct questionnaires.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from wellled.check import columns, contract, flags, sources
from wellled.check import rules as checks
from wellled.check.checker import Checker, FileRun
from wellled.check.duplicates import SeenIndex, key_hashes
from wellled.check.read import LINE, RawFile
from wellled.errors import DataError, RunError, UsageError
from wellled.periods import periods_of


@dataclass
class SurveyMemory:
    """What the run remembers of kept questionnaires, and the figures its flags need (all small)."""

    seen: SeenIndex = field(default_factory=SeenIndex)
    counts: list[pd.DataFrame] = field(default_factory=list)
    straight: dict[str, tuple[int, list[int]]] = field(default_factory=dict)

    def volume_flags(self) -> list[flags.Flag]:
        return flags.volume_changes(flags.add_counts(self.counts))

    def straight_flags(self) -> list[flags.Flag]:
        return flags.straight_lined(self.straight)


@dataclass
class _FileState:
    """One survey file's memory between chunks: first rows per id in this file, and what to remember after."""

    number: int
    seen: SeenIndex = field(default_factory=SeenIndex)
    kept_keys: list[np.ndarray] = field(default_factory=list)
    kept_payload: list[np.ndarray] = field(default_factory=list)
    counts: list[pd.DataFrame] = field(default_factory=list)
    straight: tuple[int, list[int]] = (0, [])
    filled: int = 0
    unknown: int = 0


def check_survey(
    checker: Checker, memory: SurveyMemory, path: Path, questions: pd.DataFrame, home_ids: list[str]
) -> None:
    """Check one survey file; its clean rows go to the staging folder unless it is rejected."""
    dataset = contract.load_dataset("surveys")
    checker.question_texts = dict(zip(questions["question_id"], questions["text"], strict=True))
    by_text = {columns.question_key(t): q for q, t in checker.question_texts.items()}
    by_text.update({q: q for q in questions["question_id"]})
    by_text.update({q: q for q in checker.held_back.get("questions", set())})
    try:
        side = sources.sidecar(path)
    except DataError as error:
        checker.rejected_file(path, "surveys", error.message)
        return
    score = columns.known_header(dataset.known_columns, checker.config, by_text)
    stream, run = checker.open(path, "surveys", score, side.get("sheet"))
    if stream is None:
        checker.finish(run)
        return
    state = _FileState(checker.file_number(run.outcome.file))
    try:
        _check(checker, memory, state, stream.sha256, stream.chunks(), run, side, by_text, questions, home_ids)
    except DataError as error:
        checker.unreadable(run, error)
    checker.finish(run)
    if run.outcome.blocking_error:
        return
    for keys, payload in zip(state.kept_keys, state.kept_payload, strict=True):
        memory.seen.add(keys, payload)
    memory.counts += state.counts
    if state.straight[0]:
        memory.straight[run.outcome.file] = state.straight


def _check(checker: Checker, memory, state, sha256, chunks, run: FileRun, side, by_text, questions, home_ids) -> None:
    dataset = contract.load_dataset("surveys")
    outcome = run.outcome
    started = checker.rows_to_check(sha256, chunks, run)
    if started is None:
        return
    first, chunks = started
    try:
        named = side.get("source") or checker.source
        source = sources.get(named) if named else sources.detect(list(first.frame.columns))
    except UsageError as error:
        outcome.reject(error.message)
        checker.drain(run, chunks)
        return
    if source.name != "spreadsheet":
        checker.flag(run, "source", f"read as a {source.title} export")
    subheader = _subheader(first) if source.header_rows == 2 else None
    headers = list(first.frame.rename(columns=subheader).columns) if subheader else list(first.frame.columns)
    if subheader is not None:
        outcome.rows_read -= 1
    plan = checker.plan(headers, run, dataset, source, by_text)
    if plan is None:
        checker.drain(run, chunks)
        return
    question_ids = [c for c in plan.apply(pd.DataFrame(columns=headers)).columns if c in set(by_text.values())]

    def mapped(raw: RawFile, at_start: bool) -> pd.DataFrame:
        frame = raw.frame
        if subheader is not None:
            frame = frame.iloc[1:] if at_start and len(frame) else frame
            frame = frame.rename(columns=subheader).reset_index(drop=True)
        frame = plan.apply(frame)
        for column, key in (("home_id", "home"), ("respondent_group", "respondent_group")):
            if key in side:
                frame[column] = frame[column].fillna(side[key]) if column in frame else side[key]
        if "response_id" not in frame and source.name == "google-forms" and question_ids:
            frame["response_id"] = columns.content_ids(frame, ["submitted_on", *question_ids], "gf")
        return frame

    probe = mapped(replace(first, frame=first.frame.iloc[:0]), True)
    if "response_id" not in plan.apply(pd.DataFrame(columns=headers)) and "response_id" in probe:
        checker.flag(run, "response-ids-made", "Google Forms has no response id: one was made from each row's content")
    original = list(first.frame.columns)
    if not checker.columns_ok(probe, outcome, dataset, original):
        checker.drain(run, chunks)
        return
    quarantined = [c for c in question_ids if c in checker.held_back.get("questions", set())]
    if quarantined:
        outcome.reject(
            f"columns whose row in questions.csv is quarantined: {', '.join(quarantined)}; fix those questions first"
        )
        checker.drain(run, chunks)
        return
    if not question_ids:
        outcome.reject("no question columns: the file holds no answers")
        checker.drain(run, chunks)
        return
    day_first = (side.get("date_order") or checker.config.date_order) == "day-first"
    cfg = replace(checker.config, date_order="day-first" if day_first else "month-first")
    asked = {
        q: set(g.split(";")) for q, g in zip(questions["question_id"], questions["respondent_groups"], strict=True)
    }
    for at, raw in enumerate(chunks):
        checker.count(run, raw)
        if outcome.blocking_error:
            continue
        width = len(raw.frame.columns) - 1
        frame = checker.personal(mapped(raw, at == 0), run, dataset, {"comment"})
        frame["home_id"] = checker.map_homes(frame["home_id"])
        responses = checks.prepare_responses(frame, cfg)
        if checker.wrong_order(responses["submitted_on_status"], responses, "submitted_on", run, day_first):
            continue
        answers = checks.prepare_answers(responses, question_ids, asked, cfg)
        state.filled += int((answers["answer"] != "").sum())
        state.unknown += int((~answers["is_known"]).sum())
        first_at = _mark_repeats(checker, memory, state, responses, question_ids)
        parameters = {
            "home_ids": home_ids,
            "today": checker.today,
            "answer_labels": answers.attrs["answer_labels"],
            "asked_question_groups": answers.attrs["asked_question_groups"],
        }
        row_failures = checker.runner.failing_rows(responses, dataset.expectations("responses"), parameters)
        found = checker.located(checks.row_violations(outcome.file, responses, row_failures, checker.names), first_at)
        found += checks.answer_violations(
            outcome.file,
            responses,
            answers,
            checker.runner.failing_rows(answers, dataset.expectations("answers"), parameters),
            checker.names,
        )
        found += checker.wide(raw, outcome, width)
        is_clean = checker.tally(run, responses, found)
        _remember(state, responses, is_clean)
        clean = _clean_survey(responses, is_clean, answers, outcome.file)
        _check_chunk(clean)
        checker.staging.append("responses", clean["responses"])
        checker.staging.append("answers", clean["answers"])
        state.counts.append(flags.volume_counts(clean["responses"]))
        hits = flags.straight_lined_lines(clean["answers"], clean["responses"]).get(outcome.file, [])
        state.straight = (state.straight[0] + len(hits), (state.straight[1] + sorted(hits))[:10])
    if not outcome.blocking_error and state.filled and state.unknown * 2 > state.filled:
        outcome.reject(
            f"{state.unknown} of {state.filled} answers are not on the answer scale (more than half): is this the "
            "right export, or do its labels need mapping under [answers] in wellled.toml?"
        )
        run.before_rules = True


def _subheader(first: RawFile) -> dict[str, str] | None:
    """SurveyMonkey's second header row: 'Response' keeps the question; an option label names its own column."""
    frame = first.frame
    if frame.empty:
        return None
    sub = frame.iloc[0]
    names, last = {}, ""
    for column in frame.columns:
        if column == LINE:
            continue
        label = "" if sub[column] is None else str(sub[column]).strip()
        base = last if column.startswith("Unnamed") else column
        last = base
        names[column] = column if label.lower() in ("", "response", "open-ended response") else f"{base} - {label}"
    return names


def _mark_repeats(
    checker: Checker, memory: SurveyMemory, state: _FileState, responses: pd.DataFrame, question_ids: list[str]
) -> dict[int, str]:
    """A response id seen before: a copy (identical answers, counted once) or a repeat (different answers).

    Earlier files count only their kept questionnaires; this file counts every earlier row. Returns, by line,
    where each repeat or copy was first seen.
    """
    content = responses[["home_id", "respondent_group", "submitted_on_date"]].astype("string").copy()
    for q in sorted(question_ids):
        content[q] = responses[q].astype("string").str.strip().str.lower()
    digests = key_hashes(content.fillna("")).view(np.int64)
    ids = responses["response_id"]
    valid = ids.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    keys = key_hashes(ids.astype("string").fillna(""))
    lines = responses[LINE].to_numpy(dtype=np.int64)
    earlier = memory.seen.find(keys)
    here = earlier[:, 1] < 0
    earlier[here] = state.seen.find(keys[here])
    new = np.flatnonzero(valid & (earlier[:, 1] < 0))
    if len(new):
        first = pd.Series(new).groupby(keys[new], sort=False).transform("first").to_numpy()
        later = first != new
        earlier[new[later]] = np.column_stack(
            [digests[first[later]], np.full(int(later.sum()), state.number), lines[first[later]]]
        )
        firsts = new[~later]
        state.seen.add(
            keys[firsts], np.column_stack([digests[firsts], np.full(len(firsts), state.number), lines[firsts]])
        )
    found = valid & (earlier[:, 1] >= 0)
    responses["response_is_copy"] = found & (earlier[:, 0] == digests)
    responses["response_id_is_repeat"] = found & (earlier[:, 0] != digests)
    responses["response_key"] = keys.view(np.int64)
    responses["response_digest"] = digests
    return {
        int(lines[i]): f"{checker.file_labels[int(earlier[i, 1])]} line {int(earlier[i, 2])}"
        for i in np.flatnonzero(found)
    }


def _remember(state: _FileState, responses: pd.DataFrame, is_clean: np.ndarray) -> None:
    """The kept questionnaires, remembered for later files once this file is accepted."""
    valid = responses["response_id"].map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    keep = np.flatnonzero(is_clean & valid)
    if not len(keep):
        return
    state.kept_keys.append(responses["response_key"].to_numpy()[keep].view(np.uint64))
    state.kept_payload.append(
        np.column_stack(
            [
                responses["response_digest"].to_numpy()[keep],
                np.full(len(keep), state.number),
                responses[LINE].to_numpy(dtype=np.int64)[keep],
            ]
        )
    )


def _check_chunk(clean: dict[str, pd.DataFrame]) -> None:
    """The output contract for a chunk: every score on the scale, every key present, no id twice."""
    if not clean["answers"]["score"].dropna().between(1, 5).all():
        raise RunError("clean answers hold a score outside 1..5")
    responses = clean["responses"]
    if responses["response_id"].duplicated().any() or responses[["home_id", "period"]].isna().any().any():
        raise RunError("clean responses have a repeated id or a missing home or period")


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
