"""A `wellled reports` run's working folder is removed at its end, and by a later run if the run was killed;
never while its run is alive."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time

from wellled.paths import Paths
from wellled.report import run_folder as runs

HOLD_A_RUN_FOLDER = """
import sys, time
from pathlib import Path
from wellled.paths import Paths
from wellled.report.run_folder import run_folder
with run_folder(Paths(Path(sys.argv[1]), Path(sys.argv[2]))) as folder:
    (folder / "run.json").write_text("{}")
    print(folder, flush=True)
    time.sleep(600)
"""


def test_a_killed_runs_folder_is_removed_by_the_next_run_and_a_live_runs_is_kept(tmp_path):
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    command = [sys.executable, "-c", HOLD_A_RUN_FOLDER, str(paths.data), str(paths.reports)]
    killed = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    alive = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        left_behind = killed.stdout.readline().strip()
        running = alive.stdout.readline().strip()
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        assert {str(p) for p in paths.run_folders()} == {left_behind, running}
        with runs.run_folder(paths) as mine:
            assert {str(p) for p in paths.run_folders()} == {running, str(mine)}, "the killed run's folder stayed"
        assert [str(p) for p in paths.run_folders()] == [running], "a run's own folder outlived it"
    finally:
        alive.kill()
        alive.wait()


def test_a_folder_without_a_lock_is_removed_only_once_it_is_old(tmp_path):
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    old, new = paths.reports / f"{paths.RUN_PREFIX}old", paths.reports / f"{paths.RUN_PREFIX}new"
    for folder in (old, new):
        folder.mkdir(parents=True)
        (folder / "run.json").write_text("{}")
    long_ago = time.time() - runs.ABANDONED_AFTER_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    assert runs.remove_abandoned(paths) == [old]
    assert paths.run_folders() == [new]


def test_a_folder_whose_lock_is_held_is_kept(tmp_path):
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    folder = paths.reports / f"{paths.RUN_PREFIX}held"
    folder.mkdir(parents=True)
    with open(folder / runs.LOCK, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert runs.remove_abandoned(paths) == []
    assert runs.remove_abandoned(paths) == [folder]
    assert not folder.exists()
