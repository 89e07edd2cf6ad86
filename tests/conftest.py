"""Shared fixtures: the demo data checked once per test session, and a runner for the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

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


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> DemoData:
    """Demo data for six homes, eight quarters ending 2026-Q3, checked as on 2026-11-26. Treat as read-only."""
    root = tmp_path_factory.mktemp("demo")
    data, reports = root / "data", root / "reports"
    made = run_cli("demo", "--data", str(data), "--end", DEMO_END)
    assert made.code == 0, made.stderr
    checked = run_cli("check", "--data", str(data), "--reports", str(reports), "--today", DEMO_TODAY)
    assert checked.code == 0, checked.stdout + checked.stderr
    return DemoData(data, reports)


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
