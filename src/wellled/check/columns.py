"""Headers as the tools write them, mapped to the contract: aliases, question text, identity and metadata.

A header matches a contract column after folding case and white space (``Home ID`` is ``home_id``) or through
an alias in ``[columns]``; a question column by its ``question_id`` or by its text after folding quotes and
trailing punctuation. Identity columns are dropped by name; ids that look personal are replaced by a keyed
hash.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wellled.check.config import Config, fold
from wellled.check.sources import Source
from wellled.check.values import looks_personal

_QUESTION_LIKE = re.compile(r"[a-z]+[_.\-]?\d+[a-z]?")


def question_key(text: object) -> str:
    """Question text folded: case, white space, quotes and trailing punctuation ignored."""
    text = fold(text).replace('"', "").replace("'", "").replace("`", "")
    return re.sub(r"[\s.?!:;,*]+$", "", text)


def column_key(text: object) -> str:
    return re.sub(r"[\s_]+", "_", fold(text))


@dataclass
class Mapping:
    """What became of each header of a file."""

    renames: dict[str, str] = field(default_factory=dict)
    identity: list[str] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    unmatched_questions: list[str] = field(default_factory=list)
    repeated: list[tuple[str, str]] = field(default_factory=list)


def known_header(known: list[str], config: Config, questions: dict[str, str] | None = None):
    """A scorer for the reader: how many cells of a row are headers this dataset knows."""
    keys = {column_key(c) for c in known}
    aliases = {a for a, targets in config.columns.items() if set(targets) & set(known)}
    metadata = {"id", "start time", "completion time", "timestamp", "respondent id", "collector id", "end date"}

    def score(cells: list[str]) -> int:
        count = 0
        for cell in cells:
            if not cell:
                continue
            folded = fold(cell)
            if (
                column_key(cell) in keys
                or folded in aliases
                or folded in metadata
                or (questions and question_key(cell) in questions)
            ):
                count += 1
        return count

    return score


def map_headers(
    columns: list[str], known: list[str], config: Config, source: Source, questions: dict[str, str] | None = None
) -> Mapping:
    """Map a file's headers: contract columns, tool metadata, question columns, identity, unknown."""
    out = Mapping()
    taken: dict[str, str] = {}
    keys = {column_key(c): c for c in known}
    for original, renamed in source.renames(columns).items():
        taken[renamed] = original
        out.renames[original] = renamed
    for column in columns:
        if column in out.renames:
            continue
        folded = fold(column)
        target = keys.get(column_key(column))
        if target is None:
            target = next((t for t in config.columns.get(folded, ()) if t in known), None)
        if target is None and questions is not None:
            target = questions.get(column.strip()) or questions.get(question_key(column))
        if target is not None:
            if target in taken:
                out.repeated.append((taken[target], column))
                continue
            taken[target] = column
            out.renames[column] = target
        elif folded in config.identity_columns:
            out.identity.append(column)
        elif folded in source.dropped or folded in _all_metadata():
            out.metadata.append(column)
        elif questions is not None and looks_like_question(column):
            out.unmatched_questions.append(column)
        else:
            out.unknown.append(column)
    return out


def _all_metadata() -> frozenset[str]:
    from wellled.check import sources

    found: set[str] = set()
    for name in sources.names():
        source = sources.get(name)
        found |= source.dropped | source.signature | set(source.submitted) | set(source.response_id)
    return frozenset(found)


def looks_like_question(header: str) -> bool:
    folded = fold(header)
    return folded.endswith("?") or len(folded.split()) >= 4 or bool(_QUESTION_LIKE.fullmatch(folded))


def closest_questions(header: str, texts: dict[str, str], n: int = 3) -> list[str]:
    """The ``n`` question ids whose text (or id) is nearest the header."""
    key = question_key(header)
    scored = sorted(
        texts.items(),
        key=lambda item: (
            -max(
                difflib.SequenceMatcher(None, key, question_key(item[1])).ratio(),
                difflib.SequenceMatcher(None, key, item[0].lower()).ratio(),
            )
        ),
    )
    return [qid for qid, _ in scored[:n]]


def personal_share(values: pd.Series, names: frozenset[str]) -> float:
    """Share of the distinct filled values that look like an e-mail, a phone number or a listed name."""
    distinct = pd.unique(values.dropna().astype(str))[:2000]
    if not len(distinct):
        return 0.0
    return sum(looks_personal(v, names) for v in distinct) / len(distinct)


def key_of(key_file: Path) -> bytes:
    """The provider's secret key for hashing personal ids, created on first use (kept out of raw/ and clean/)."""
    if key_file.is_file():
        return key_file.read_bytes()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    key_file.write_bytes(key)
    key_file.chmod(0o600)
    return key


def hashed_ids(values: pd.Series, key: bytes) -> pd.Series:
    """Each id replaced by ``id-`` and 16 hex digits of its keyed hash: stable across runs, not reversible."""
    cache: dict[str, str] = {}

    def one(value: object) -> object:
        if not isinstance(value, str):
            return value
        if value not in cache:
            digest = hmac.new(key, fold(value).encode("utf-8"), hashlib.sha256).hexdigest()[:16]
            cache[value] = f"id-{digest}"
        return cache[value]

    return values.map(one)


def content_ids(frame: pd.DataFrame, columns: list[str], prefix: str) -> pd.Series:
    """An id for rows without one, from their content: the same row in a re-export gets the same id."""
    digests = pd.util.hash_pandas_object(frame[columns].astype("string").fillna(""), index=False)
    return pd.Series([f"{prefix}-{d:016x}" for d in digests.to_numpy()], index=frame.index, dtype=object)
