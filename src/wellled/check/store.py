"""Clean data on disk: an exclusive lock per data folder, and an all-or-nothing swap of ``clean/``.

A run writes the new ``clean/`` into a staging folder beside it and swaps it in with two renames under the
lock, so a failed run leaves the previous ``clean/`` untouched and two runs at once never mix their files.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wellled.check.quality_report import quote_formulas
from wellled.paths import Paths

if TYPE_CHECKING:
    from wellled.check.quarantine import Parts


@contextlib.contextmanager
def locked(paths: Paths, shared: bool = False) -> Iterator[None]:
    """Hold the data folder's lock: exclusive for writers, shared for readers. Waits for the other run.

    A writer first removes staging folders a killed run left behind (they hold care data).
    """
    paths.data.mkdir(parents=True, exist_ok=True)
    with open(paths.lock_file, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            if not shared:
                remove_leftovers(paths)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(paths: Paths) -> list[Path]:
    """Remove ``DATA/.clean-*`` folders of runs that were killed; call it under the exclusive lock."""
    leftovers = [p for p in paths.data.glob(".clean-*") if p.is_dir() and not p.is_symlink()]
    for folder in leftovers:
        shutil.rmtree(folder, ignore_errors=True)
    return leftovers


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def seal(paths: Paths, staging: Path, quarantine: Parts, manifest: dict[str, Any]) -> None:
    """Finish a staging folder whose clean tables are written: the quarantine (written a part at a time), and
    the manifest with the hash of every table. Nothing in ``clean/`` changes until :func:`swap_in`."""
    outputs = {p.name: file_sha256(p) for p in sorted(staging.glob("*.parquet"))}
    quarantine_dir = staging / paths.quarantine_dir.name
    quarantine_dir.mkdir()
    schema = pa.Schema.from_pandas(quarantine.empty(), preserve_index=False)
    with (
        pq.ParquetWriter(quarantine_dir / "quarantine.parquet", schema) as parquet,
        open(quarantine_dir / "quarantine.csv", "w", encoding="utf-8", newline="") as text,
    ):
        quarantine.empty().to_csv(text, index=False)
        for batch in quarantine.batches():
            parquet.write_table(pa.Table.from_pandas(batch, schema=schema, preserve_index=False))
            _csv_safe(batch).to_csv(text, index=False, header=False)
    manifest = {**manifest, "outputs": outputs}
    (staging / paths.manifest.name).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def swap_in(paths: Paths, staging: Path) -> None:
    """Put a sealed staging folder in place of ``clean/``. Call it while holding :func:`locked`, last of all:
    after the data-quality page and the log are written, so a run that cannot write them leaves ``clean/``."""
    _swap_in(staging, paths.clean)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where that is unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return done == 0


def _swap_in(staging: Path, clean: Path) -> None:
    """Put ``staging`` in place of ``clean``; at no moment is there no ``clean/`` (or, failing that, it is restored)."""
    if not clean.exists():
        os.rename(staging, clean)
        return
    if _exchange(staging, clean):
        shutil.rmtree(staging, ignore_errors=True)  # staging now holds the previous clean/
        return
    retired = clean.with_name(f".clean-retired-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    os.rename(clean, retired)
    try:
        os.rename(staging, clean)
    except OSError:
        os.rename(retired, clean)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Quote text a spreadsheet would run as a formula (=, +, -, @), since analysts open this in Excel."""
    return quote_formulas(frame, ("=", "+", "-", "@"))


def read_manifest(paths: Paths) -> dict[str, Any] | None:
    try:
        return json.loads(paths.manifest.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
