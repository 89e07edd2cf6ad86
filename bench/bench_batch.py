"""Benchmark: `wellled reports` for many demo homes against the naive way, timed in the same run.

Naive way, for each home in turn: the `papermill` command on notebooks/home-report.ipynb, then
`jupyter nbconvert --to html` on the executed notebook (HTML only). wellled: `wellled reports --jobs N`
(HTML and PDF, the provider overview and the index). Then a second `wellled reports` with nothing changed.
Target: at least 4x faster than the naive way; the second run under 10 s for 50 homes.

`--scale` runs only `wellled reports` on `--homes` homes (e.g. 300 x 8 quarters), with the peak memory of the
whole process tree; compare its seconds per home with a 50-home run (target within 1.2x, under 10 minutes,
peak under 4 GiB).

Usage: .venv/bin/python bench/bench_batch.py [--homes 50] [--quarters 8] [--jobs 2] [--naive-homes N]
       [--scale] [--render N] [--data DIR] [--log FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
HOME_NOTEBOOK = ROOT / "notebooks" / "home-report.ipynb"


def _tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    import psutil

    try:
        parent = psutil.Process(pid)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return total


CPU = [0.0]  # CPU seconds (user + system) of the last run's process tree


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], env: dict[str, str], log: Path | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak resident memory of the process tree (sampled every 0.2 s), stdout (or ``log``).

    The CPU seconds of the tree go to ``CPU[0]``: on a shared machine they show what contention hides.
    """
    cpu_before = _children_cpu()
    started = time.perf_counter()
    out_to = log.open("a", encoding="utf-8") if log else subprocess.PIPE
    process = subprocess.Popen(command, stdout=out_to, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    CPU[0] = _children_cpu() - cpu_before
    sampler.join()
    if log:
        out_to.close()
        out = log.read_text(encoding="utf-8")
    if process.returncode:
        sys.exit(f"failed ({process.returncode}): {' '.join(command)}\n{out[-2000:]}\n{err[-3000:]}")
    return seconds, peak[0], out


def _wellled(*args: str) -> list[str]:
    return [str(BIN / "wellled"), *args]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=50)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--naive-homes", type=int, default=None, help="time the naive way on this many homes")
    parser.add_argument("--scale", action="store_true", help="only `wellled reports`, with peak memory")
    parser.add_argument("--data", type=Path, help="demo data already written and checked (default: write it)")
    parser.add_argument("--render", type=int, help="render only the first N homes (--homes), e.g. 50 of 300")
    parser.add_argument("--log", type=Path, help="append the runs' one-line-per-home output to this file as it comes")
    args = parser.parse_args()
    env = {**os.environ, "TQDM_DISABLE": "1"}
    with tempfile.TemporaryDirectory(prefix="wellled-bench-batch-") as scratch:
        root = Path(scratch)
        data, reports = args.data or root / "data", root / "reports"
        if not args.data:
            made = time.perf_counter()
            demo = ["demo", "--data", str(data), "--homes", str(args.homes), "--quarters", str(args.quarters)]
            _run(_wellled(*demo), env)
            _run(_wellled("check", "--data", str(data), "--reports", str(root / "dq")), env)
            seconds = time.perf_counter() - made
            print(f"demo data: {args.homes} homes x {args.quarters} quarters, checked in {seconds:.1f} s", flush=True)
        from wellled.analysis import scope
        from wellled.paths import Paths
        from wellled.report import kernel, stage

        kernel.ensure_kernel()
        homes = scope.known_homes(stage.clean_data(Paths(data)))
        print(f"{len(homes)} homes in the data", flush=True)
        batch = _wellled("reports", "--data", str(data), "--reports", str(reports), "--jobs", str(args.jobs))
        if args.render:
            homes = homes[: args.render]
            batch += ["--homes", ",".join(homes)]
        seconds, peak, _ = _run(batch, env, args.log)
        batch_cpu = CPU[0]
        print(
            f"wellled reports --jobs {args.jobs}: {seconds:.1f} s for {len(homes)} homes "
            f"({seconds / len(homes):.2f} s a home; CPU {CPU[0]:.0f} s, {CPU[0] / len(homes):.2f} s a home), "
            f"peak memory {peak / 2**30:.2f} GiB"
        )
        again, _, _ = _run(batch, env, args.log)
        print(f"second run, nothing changed: {again:.1f} s (CPU {CPU[0]:.1f} s)")
        if args.scale:
            return 0
        naive_homes = homes[: args.naive_homes or len(homes)]
        naive_dir = root / "naive"
        naive_dir.mkdir()
        started, naive_cpu = time.perf_counter(), 0.0
        for home in naive_homes:
            executed = naive_dir / f"{home}.ipynb"
            papermill = [str(BIN / "papermill"), str(HOME_NOTEBOOK), str(executed), "-k", "wellled"]
            papermill += [
                "-p",
                "home_id",
                home,
                "-p",
                "data_dir",
                str(data),
                "--no-progress-bar",
                "--cwd",
                str(naive_dir),
            ]
            _run(papermill, env)
            naive_cpu += CPU[0]
            _run([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)], env)
            naive_cpu += CPU[0]
        naive = time.perf_counter() - started
        per_home = naive / len(naive_homes)
        print(
            f"naive (papermill + nbconvert html, one home after another): {naive:.1f} s for {len(naive_homes)} "
            f"homes ({per_home:.2f} s a home; CPU {naive_cpu / len(naive_homes):.2f} s a home)"
        )
        estimate = per_home * len(homes)
        print(f"ratio naive / wellled for {len(homes)} homes, wall: {estimate / seconds:.2f}x (target >= 4x)")
        cpu_ratio = naive_cpu / len(naive_homes) / (batch_cpu / len(homes))
        print(
            f"ratio naive / wellled CPU a home: {cpu_ratio:.2f}x"
            " (with --jobs 2 on two idle cores the wall ratio is about twice this)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
