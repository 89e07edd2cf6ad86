"""The working folder of one ``wellled reports`` run, ``REPORTS/.run-*``: held while the run lives, removed at
its end, and removed by a later run if the run was killed.

The run holds an exclusive ``flock`` on the folder's ``lock`` file for its whole life; the operating system
releases it when the process ends, however it ends. A later run removes every folder whose lock it can take
at once, and a folder with no lock file (a run killed in its first instant, or made by an older wellled) once
it is :data:`ABANDONED_AFTER_SECONDS` old.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from wellled.paths import Paths

LOCK = "lock"
ABANDONED_AFTER_SECONDS = 3600


@contextlib.contextmanager
def run_folder(paths: Paths) -> Iterator[Path]:
    """A new working folder under ``paths.reports``, locked until the run ends, then removed; those of killed
    runs are removed first."""
    paths.reports.mkdir(parents=True, exist_ok=True)
    remove_abandoned(paths)
    folder = Path(tempfile.mkdtemp(prefix=paths.RUN_PREFIX, dir=paths.reports))
    try:
        with open(folder / f".{LOCK}", "w") as handle:
            with contextlib.suppress(OSError):  # a file system without locks leaves the folder to the age rule
                fcntl.flock(handle, fcntl.LOCK_EX)
                os.replace(folder / f".{LOCK}", folder / LOCK)  # seen by other runs only once it is held
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_abandoned(paths: Paths) -> list[Path]:
    """Remove the working folders of runs that are no longer running; returns them."""
    removed = []
    for folder in paths.run_folders():
        lock = folder / LOCK
        if not lock.is_file():
            with contextlib.suppress(OSError):
                if time.time() - folder.stat().st_mtime > ABANDONED_AFTER_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed.append(folder)
            continue
        try:
            with open(lock) as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except OSError:  # held: that run is alive (or the folder went meanwhile)
            continue
    return removed
