"""Shared fixtures: the demo data checked once per test session, and a runner for the real CLI."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

# Property tests judge results, not time: a shared 2-core machine made a 200 ms example deadline fail at random.
settings.register_profile("wellled", deadline=None)
settings.load_profile("wellled")

DEMO_END = "2026-Q3"
DEMO_TODAY = "2026-11-26"
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("MPLBACKEND", "Agg")


@dataclass(frozen=True)
class Completed:
    """What a user sees of one CLI run."""

    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> Completed:
    """Run ``wellled ARGS`` as a separate process, exactly as a user would."""
    done = subprocess.run(
        [sys.executable, "-m", "wellled.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    return Completed(done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class DemoData:
    """The demo data set after ``wellled demo`` and ``wellled check``: folders and the clean tables."""

    data: Path
    reports: Path

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.data / "clean" / f"{name}.parquet")

    @property
    def data_quality(self) -> dict:
        return json.loads((self.reports / "data-quality" / "data-quality.json").read_text())


def _shared_folder(tmp_path_factory) -> Path:
    """The folder every xdist worker of this run sees (the parent of the workers' own temporary folders)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


class _SharedDemo:
    """The demo built and checked once per run, in the background, for every worker: ``wellled check`` on the
    demo costs about 30 s of CPU, which each worker paid again. Whoever takes the lock first builds; the others
    wait on the lock only when a test needs the demo, and then copy it (tests may write beside the data)."""

    def __init__(self, tmp_path_factory) -> None:
        shared = _shared_folder(tmp_path_factory)
        self.root, self.error = shared / "demo-shared", shared / "demo-shared.error"
        self._lock = shared / "demo-shared.lock"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        handle = open(self._lock, "a+")  # noqa: SIM115 (held by the building thread until it is done)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return
        if self.root.exists() or self.error.exists():
            handle.close()
            return

        def build() -> None:
            try:
                self._build()
            finally:
                handle.close()

        self._thread = threading.Thread(target=build, name="demo-build", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        building = self.root.with_name(f"{self.root.name}.building")
        shutil.rmtree(building, ignore_errors=True)
        data, reports = building / "data", building / "reports"
        made = run_cli("demo", "--data", str(data), "--end", DEMO_END)
        checked = run_cli("check", "--data", str(data), "--reports", str(reports), "--today", DEMO_TODAY)
        if made.code or checked.code:
            self.error.write_text(f"wellled demo: {made.stderr}\nwellled check: {checked.stdout}{checked.stderr}")
        else:
            building.rename(self.root)

    def wait(self) -> Path:
        """The built demo (built here if no one has started it)."""
        with open(self._lock, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            if not self.root.exists() and not self.error.exists():
                self._build()
        if self.error.exists():
            pytest.fail(f"the shared demo could not be built: {self.error.read_text()}")
        return self.root

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()


@pytest.fixture(scope="session")
def _shared_demo(tmp_path_factory) -> Iterator[_SharedDemo]:
    shared = _SharedDemo(tmp_path_factory)
    yield shared
    shared.join()


@pytest.fixture(scope="session", autouse=True)
def _demo_starts_early(request, _shared_demo) -> None:
    """Start building the demo as the session starts if any test of this worker's run needs it."""
    if any("demo_data" in getattr(item, "fixturenames", ()) for item in request.session.items):
        _shared_demo.start()


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory, _shared_demo) -> DemoData:
    """Demo data for six homes, eight quarters ending 2026-Q3, checked as on 2026-11-26: this worker's copy of
    the run's one checked demo. Treat as read-only."""
    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(_shared_demo.wait(), root, symlinks=True, dirs_exist_ok=True)
    return DemoData(root / "data", root / "reports")


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> DemoData:
    """The tiny raw files of ``tests/check_helpers.py`` (two homes, one quarter), checked in this process.

    A cheap stand-in for ``demo_data`` where a test needs real clean data but not the demo's stories. Read-only.
    """
    import datetime as dt

    from tests.check_helpers import TODAY, write_raw
    from wellled.check import stage
    from wellled.paths import Paths

    root = tmp_path_factory.mktemp("tiny")
    paths = Paths(root / "data", root / "reports")
    write_raw(paths.data)
    stage.run(paths, today=dt.date.fromisoformat(TODAY))
    return DemoData(paths.data, paths.reports)


@pytest.fixture
def check(tmp_path, capsys):
    """Write tiny raw files (``write_raw`` keywords) under tmp_path, run `wellled check`, return what it did."""
    from tests.check_helpers import Run, write_raw

    def _check(*extra: str, **raw) -> Run:
        write_raw(tmp_path / "data", **raw)
        return Run(tmp_path, capsys, *extra)

    return _check
