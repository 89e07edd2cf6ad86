"""CPU seconds of the per-home analysis, this checkout against a baseline commit, measured in the same run.

``python bench/bench_analysis.py --data DATA [--baseline main] [--framework F] [--homes N] [--rounds R]``

The baseline is ``git archive BASELINE`` unpacked in a temporary folder and imported in its own process
(``PYTHONPATH``), so both sides read the same clean data with the same libraries. Each side, in turn and
``--rounds`` times (the lowest figure is kept, as the machine is shared): ``theme_figures`` of every home
(lowest of three calls), and ``build_summary`` of each home (the first ``--homes``) for every quarter it has
data, given the figures, as a report does. Figures are CPU seconds (user + system) of the measuring process,
after one warm-up call.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
from wellled.analysis.clean_data import load_clean
from wellled.analysis.framework import load_framework
from wellled.analysis.scope import home_periods, known_homes
from wellled.analysis.summary import build_summary
from wellled.analysis.themes import AnalysisParams, theme_figures
from wellled.paths import Paths

data, name, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
clean = load_clean(Paths.from_options(data))
framework, params = load_framework(name), AnalysisParams()
figures = theme_figures(clean, framework, params)
figures_cpu = float("inf")
for _ in range(3):
    start = time.process_time()
    theme_figures(clean, framework, params)
    figures_cpu = min(figures_cpu, time.process_time() - start)
pairs = [(home, period) for home in known_homes(clean)[:limit] for period in home_periods(clean, home)]
build_summary(clean, *pairs[0], framework, params, figures=figures)
start = time.process_time()
for home, period in pairs:
    build_summary(clean, home, period, framework, params, figures=figures)
summary_cpu = time.process_time() - start
print(json.dumps({"theme_figures": figures_cpu, "summaries": len(pairs), "summary_cpu": summary_cpu,
                  "homes": len(known_homes(clean)), "home_quarters": int(figures[["home_id", "period"]]
                  .drop_duplicates().shape[0]), "module": __import__("wellled").__file__}))
"""


def baseline_tree(ref: str, folder: Path) -> Path:
    archive = folder / "baseline.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", ref], cwd=ROOT, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "tree", filter="data")
    return folder / "tree" / "src"


def measure(src: Path, data: str, framework: str, homes: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, data, framework, str(homes)],
        env=env,
        cwd=src.parent,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="data folder with clean/ (wellled demo, then check)")
    parser.add_argument("--baseline", default="main", help="git ref of the baseline (default main)")
    parser.add_argument("--framework", default="cqc-kloe-2017")
    parser.add_argument("--homes", type=int, default=6, help="summaries of the first N homes (default 6)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    data = str(Path(args.data).resolve())
    with tempfile.TemporaryDirectory(prefix="bench-analysis-") as tmp:
        sides = {args.baseline: baseline_tree(args.baseline, Path(tmp)), "this checkout": ROOT / "src"}
        best: dict[str, dict] = {}
        for _ in range(args.rounds):
            for label, src in sides.items():
                run = measure(src, data, args.framework, args.homes)
                kept = best.get(label)
                best[label] = {
                    **run,
                    "theme_figures": min(run["theme_figures"], kept["theme_figures"]) if kept else run["theme_figures"],
                    "summary_cpu": min(run["summary_cpu"], kept["summary_cpu"]) if kept else run["summary_cpu"],
                }
    this = best["this checkout"]
    print(f"data {data}: {this['homes']} homes, {this['home_quarters']} home-quarters")
    print(f"{'':16s} {'theme_figures':>14s} {'per home-qtr':>13s} {'summary':>9s}")
    for label, run in best.items():
        per_hq = run["theme_figures"] / run["home_quarters"]
        per_summary = run["summary_cpu"] / run["summaries"]
        print(f"{label:16s} {run['theme_figures']:13.3f}s {1000 * per_hq:11.2f}ms {1000 * per_summary:7.1f}ms")
    old, new = best[args.baseline], best["this checkout"]
    print(
        f"ratio baseline/this: theme_figures {old['theme_figures'] / new['theme_figures']:.2f}x, "
        f"build_summary {(old['summary_cpu'] / old['summaries']) / (new['summary_cpu'] / new['summaries']):.2f}x "
        f"({new['summaries']} summaries, {args.framework}, best of {args.rounds})"
    )


if __name__ == "__main__":
    main()
