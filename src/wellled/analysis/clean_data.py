"""The one place the analysis reads files: clean Parquet tables, their hashes, and the names to redact.

Public API: :func:`load_clean` ``(paths) -> CleanData``, a frozen bundle of the clean frames.

A process keeps the last data set it read: a warm report kernel renders many homes from the same clean tables,
and reads them once. Each call gets its own shallow copies (pandas copy-on-write: changing one never changes
another's), and any change to a table, the manifest or the names to redact reads them again.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

import pandas as pd

from wellled.check import clean_schema
from wellled.check.store import file_sha256, locked, read_manifest
from wellled.errors import DataError
from wellled.paths import Paths

TABLES = tuple(clean_schema.TABLES)


@dataclass(frozen=True)
class CleanData:
    """The clean tables written by ``wellled check``, plus provenance and the optional redaction list."""

    homes: pd.DataFrame
    questions: pd.DataFrame
    responses: pd.DataFrame
    answers: pd.DataFrame
    audits: pd.DataFrame
    input_sha256: dict[str, str] = field(default_factory=dict, hash=False)
    redact_names: tuple[str, ...] = ()


_LAST: dict[str, tuple[tuple, CleanData]] = {}


def _stamp(paths: Paths) -> tuple:
    files = (paths.manifest, *(paths.clean_table(name) for name in TABLES), paths.redact_names_file)
    stamps: list[tuple[int, int, int] | None] = []
    for path in files:
        try:
            status = os.stat(path)
        except OSError:
            stamps.append(None)
            continue
        stamps.append((status.st_ino, status.st_mtime_ns, status.st_size))
    return tuple(stamps)


def _own_copy(clean: CleanData) -> CleanData:
    frames = {name: getattr(clean, name).copy(deep=False) for name in TABLES}
    return dataclasses.replace(clean, **frames, input_sha256=dict(clean.input_sha256))


def load_clean(paths: Paths) -> CleanData:
    """:func:`read_clean`, or the same tables again when nothing under ``paths.clean`` changed since."""
    key, stamp = str(paths.clean.resolve()), _stamp(paths)
    last = _LAST.get(key)
    if last is None or last[0] != stamp:
        _LAST.clear()
        _LAST[key] = (stamp, read_clean(paths))
    return _own_copy(_LAST[key][1])


def read_clean(paths: Paths) -> CleanData:
    """Read DATA/clean (under the data folder's shared lock) and DATA/raw/redact-names.txt if present.

    A ``clean/`` whose manifest records another schema version, or whose tables do not have the declared
    columns and dtypes (:mod:`wellled.check.clean_schema`), is a DataError asking for ``wellled check``.
    """
    rerun = f"run `make check` (or `wellled check --data {paths.data}`)"
    missing = [name for name in TABLES if not paths.clean_table(name).is_file()]
    if missing:
        raise DataError(f"no clean {missing[0]} table in {paths.clean}: run `wellled check --data {paths.data}` first")
    with locked(paths, shared=True):
        manifest = read_manifest(paths) or {}
        version = manifest.get("schema_version", clean_schema.SCHEMA_VERSION)
        if version != clean_schema.SCHEMA_VERSION:
            raise DataError(
                f"{paths.clean} was written by wellled {manifest.get('wellled_version', '(unknown)')} with schema "
                f"{version}; this wellled reads schema {clean_schema.SCHEMA_VERSION}: {rerun}"
            )
        frames = {}
        for name in TABLES:
            try:
                frame = pd.read_parquet(paths.clean_table(name))
            except (OSError, ValueError) as error:
                raise DataError(f"cannot read clean table: {error}", file=str(paths.clean_table(name))) from None
            try:
                frames[name] = clean_schema.conform(name, frame)
            except clean_schema.SchemaMismatch as error:
                raise DataError(f"{paths.clean} is not what this wellled reads ({error}): {rerun}") from None
        recorded = manifest.get("outputs") or {}
        hashes = {}
        for name in TABLES:
            file_name = paths.clean_table(name).name
            hashes[file_name] = recorded.get(file_name) or file_sha256(paths.clean_table(name))
    return CleanData(**frames, input_sha256=hashes, redact_names=read_redact_names(paths))


def read_redact_names(paths: Paths) -> tuple[str, ...]:
    """Names to remove from comments: one a line; blank lines and lines starting with # are ignored."""
    if not paths.redact_names_file.is_file():
        return ()
    try:
        lines = paths.redact_names_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read the names to redact: {error}", file=str(paths.redact_names_file)) from None
    return tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
