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
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from wellled.paths import Paths


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


def _probe_writable(folders: list[Path]) -> None:
    """Raise the OSError a run would meet later if it cannot write a file in each folder (read-only, full)."""
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".wellled-probe-") as probe:
            probe.write(b"x" * 4096)
            probe.flush()
            os.fsync(probe.fileno())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_clean(
    paths: Paths, tables: dict[str, pd.DataFrame], quarantine: pd.DataFrame, manifest: dict[str, Any]
) -> None:
    """Write every clean table, the quarantine and the manifest, then swap them in as ``clean/``, but only
    once the reports folder has been shown writable: a run that cannot write its data-quality page and log
    leaves ``clean/`` as it was. Call it while holding :func:`locked`.
    """
    staging = paths.staging_dir(uuid.uuid4().hex[:12])
    try:
        staging.mkdir(parents=True)
        (staging / ".gitkeep").touch()
        outputs = {}
        for name, frame in tables.items():
            target = staging / paths.clean_table(name).name
            frame.to_parquet(target, index=False)
            outputs[target.name] = file_sha256(target)
        quarantine_dir = staging / paths.quarantine_dir.name
        quarantine_dir.mkdir()
        quarantine.to_parquet(quarantine_dir / "quarantine.parquet", index=False)
        _csv_safe(quarantine).to_csv(quarantine_dir / "quarantine.csv", index=False)
        manifest = {**manifest, "outputs": outputs}
        (staging / paths.manifest.name).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        # The run still writes its data-quality page and log after this: if it cannot, clean/ must not change.
        _probe_writable([paths.data_quality_dir, paths.logs_dir])
        _swap_in(staging, paths.clean)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
    out = frame.copy()
    for column in out.select_dtypes(include=["object", "string"]).columns:
        out[column] = out[column].map(lambda v: f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
    return out


def read_manifest(paths: Paths) -> dict[str, Any] | None:
    try:
        return json.loads(paths.manifest.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
