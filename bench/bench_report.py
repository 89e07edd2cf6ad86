"""Benchmark: `wellled report` for one demo home (HTML + PDF, data already clean), as a whole process,
against the floor: `papermill` running a notebook that holds only a parameters cell and
`import pandas, matplotlib`, in the same kernel. Target: at most 1.5x the floor.

Usage: .venv/bin/python bench/bench_report.py [--data DIR] [--home ID] [--repeat N] [--renderer builtin|auto]

Without --data it writes the demo data set into a temporary folder and checks it first (not timed).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
FLOOR_NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "parameters",
            "metadata": {"tags": ["parameters"]},
            "outputs": [],
            "source": 'home_id = "oak-house"\nperiod = "2026-Q3"',
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "imports",
            "metadata": {},
            "outputs": [],
            "source": "import pandas, matplotlib",
        },
    ],
    "metadata": {
        "kernelspec": {"name": "wellled", "display_name": "wellled", "language": "python"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system of the whole process tree) of one run."""
    cpu, started = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr}")
    return seconds, _children_cpu() - cpu


def _stamp(text: str) -> float:
    return datetime.datetime.fromisoformat(text).timestamp()


def _phases(command: list[str], env: dict[str, str], reports: Path) -> tuple[float, float, float]:
    """One report's wall time in three parts, from the clock times Papermill records in the executed notebook:
    before its first cell runs (the command's start, the kernel's start), the cells, and after its last cell
    (rendering, publishing, the kernel's shutdown)."""
    started = time.time()
    _timed(command, env)
    ended = time.time()
    executed = json.loads(next(reports.glob("*/*/governance-report.ipynb")).read_text(encoding="utf-8"))
    timed = [cell["metadata"].get("papermill", {}) for cell in executed["cells"]]
    cells = [times for times in timed if times.get("start_time")]
    first, last = _stamp(cells[0]["start_time"]), _stamp(cells[-1]["end_time"])
    return first - started, last - first, ended - last


def _demo_data(root: Path) -> Path:
    data = root / "data"
    for command in (["demo", "--data", str(data)], ["check", "--data", str(data), "--reports", str(root / "dq")]):
        subprocess.run([str(BIN / "wellled"), *command], check=True, capture_output=True)
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="a data folder already checked (default: fresh demo data)")
    parser.add_argument("--home", default=None, help="home id (default: the first home)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (default 3; the median is reported)")
    parser.add_argument("--renderer", default="builtin", choices=("builtin", "auto", "quarto"))
    args = parser.parse_args()
    env = {**os.environ, "TQDM_DISABLE": "1"}
    with tempfile.TemporaryDirectory(prefix="wellled-bench-") as scratch:
        root = Path(scratch)
        data = Path(args.data) if args.data else _demo_data(root)
        if args.home is None:
            from wellled.analysis import scope
            from wellled.paths import Paths
            from wellled.report import stage

            args.home = scope.known_homes(stage.clean_data(Paths(data)))[0]
        floor_nb = root / "floor.ipynb"
        floor_nb.write_text(json.dumps(FLOOR_NOTEBOOK))
        from wellled.report import kernel

        kernel.ensure_kernel()
        report = [
            str(BIN / "wellled"),
            "report",
            args.home,
            "--data",
            str(data),
            "--reports",
            str(root / "reports"),
            "--format",
            "html,pdf",
            "--renderer",
            args.renderer,
        ]
        floor = [
            str(BIN / "papermill"),
            str(floor_nb),
            str(root / "floor-out.ipynb"),
            "-p",
            "home_id",
            args.home,
            "-k",
            "wellled",
            "--no-progress-bar",
        ]
        _timed(floor, env)  # warm the file cache and the kernel spec once, not counted
        first = _timed(report, env)  # the first report after a check also computes and keeps every home's figures
        floors, reports = [], []
        for _ in range(args.repeat):
            floors.append(_timed(floor, env))
            reports.append(_timed(report, env))
        phases = [_phases(report, env, root / "reports") for _ in range(args.repeat)]
    floor_s, report_s = (statistics.median(s for s, _ in runs) for runs in (floors, reports))
    floor_cpu, report_cpu = (statistics.median(c for _, c in runs) for runs in (floors, reports))
    print(
        f"floor  (papermill, parameters + import pandas, matplotlib): {floor_s:.2f} s, CPU {floor_cpu:.2f} s  "
        f"runs {', '.join(f'{s:.2f}' for s, _ in floors)}"
    )
    print(
        f"report (wellled report {args.home}, html + pdf, {args.renderer}): {report_s:.2f} s, CPU {report_cpu:.2f} s  "
        f"runs {', '.join(f'{s:.2f}' for s, _ in reports)}"
    )
    print(f"first report after the check (computes every home's figures): {first[0]:.2f} s, CPU {first[1]:.2f} s")
    before, cells, after = (statistics.median(p[i] for p in phases) for i in range(3))
    print(
        f"report wall in parts (median of {args.repeat} more runs): {before:.2f} s before the first cell "
        f"(command and kernel start), {cells:.2f} s of cells, {after:.2f} s after the last cell (HTML, PDF, publish)"
    )
    print(f"ratio  {report_s / floor_s:.2f}x wall, {report_cpu / floor_cpu:.2f}x CPU (target <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
