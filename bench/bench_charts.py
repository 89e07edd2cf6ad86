"""CPU seconds to draw and save every chart of a home report, this checkout against a baseline commit's
``report/charts.py``, in the same process; and a check that both draw the same pixels.

``python bench/bench_charts.py --data DATA [--baseline REF] [--framework F] [--rounds R] [HOME ...]``

The baseline module is ``git show REF:src/wellled/report/charts.py`` loaded beside the current one (the rest of
wellled is this checkout's), so only the drawing differs. For each home (default: every home), both draw the
report's charts as the notebook does (theme scores and groups at full and phone width, trend and funnel at
half width) and save them as SVG, in turn, ``--rounds`` times; the lowest CPU figure of each is kept, as the
machine may be shared. Every pair of charts is also drawn to PNG (Agg, 100 dpi) and compared pixel by pixel.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def baseline_module(ref: str):
    source = subprocess.run(
        ["git", "show", f"{ref}:src/wellled/report/charts.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    spec = importlib.util.spec_from_loader("baseline_charts", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    exec(compile(source, f"{ref}:charts.py", "exec"), module.__dict__)
    return module


def home_charts(charts, report, home, home_id):
    """(chart, its phone copy's maker or None) as the notebook places them; a module whose charts carry
    their own ``phone`` maker uses it, an older one draws the phone copy anew."""

    def full_width(draw, *args):
        chart = draw(*args)
        if chart is None:
            return None, None
        if hasattr(chart, "phone"):
            return chart, chart.phone
        return chart, lambda: draw(*args, charts.PHONE_WIDTH_IN)

    summary = home.summary
    yield full_width(charts.themes_chart, summary)
    for theme in home.themes:
        yield full_width(charts.groups_chart, theme, home_id)
        yield charts.trend_chart(theme, home_id, width_in=charts.HALF_WIDTH_IN), None
        limits, homes = report.funnel_data(home, theme["id"])
        position = (theme.get("benchmark") or {}).get("funnel")
        funnel = charts.funnel_chart(
            limits, homes, home_id, theme["id"], theme["label"], position, charts.HALF_WIDTH_IN
        )
        yield funnel, None


def place(charts, chart, phone, folder):
    if hasattr(chart, "phone"):
        charts.place(chart, folder)
    else:
        charts.place(chart, folder, phone=phone() if phone else None)


def pixels(chart):
    import matplotlib.image

    buffer = io.BytesIO()
    chart.figure.savefig(buffer, format="png", dpi=100)
    buffer.seek(0)
    return matplotlib.image.imread(buffer)


def differs(home_id: str, old, new) -> bool:
    import numpy as np

    first, second = pixels(old), pixels(new)
    if first.shape == second.shape and np.array_equal(first, second) and old.caption == new.caption:
        return False
    print(f"different: {home_id} {new.name}", file=sys.stderr)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("homes", nargs="*")
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--baseline", default="7644013")
    parser.add_argument("--framework", default="cqc-kloe-2017")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from wellled.analysis.scope import known_homes
    from wellled.analysis.themes import AnalysisParams
    from wellled.paths import Paths
    from wellled.report import charts as current
    from wellled.report import content as report
    from wellled.report.stage import clean_data

    baseline = baseline_module(args.baseline)
    homes = args.homes or known_homes(clean_data(Paths.from_options(args.data)))
    loaded = {h: report.load_home_report(h, None, args.framework, args.data, AnalysisParams()) for h in homes}

    compared = different = 0
    for home_id, home in loaded.items():
        old_charts = home_charts(baseline, report, home, home_id)
        for (old, old_phone), (new, new_phone) in zip(
            old_charts, home_charts(current, report, home, home_id), strict=True
        ):
            if old is None or new is None:
                different += (old is None) != (new is None)
                continue
            compared += 1
            different += differs(home_id, old, new)
            if old_phone and new_phone:  # made after the full-width copy is drawn: it may re-lay that figure
                compared += 1
                different += differs(home_id, old_phone(), new_phone())

    folder = Path(tempfile.mkdtemp())

    def cpu(charts) -> float:
        start = time.process_time()
        for home_id, home in loaded.items():
            for chart, phone in home_charts(charts, report, home, home_id):
                if chart is not None:
                    place(charts, chart, phone, folder)
        elapsed = time.process_time() - start
        for path in folder.iterdir():
            path.unlink()
        return elapsed

    cpu(baseline), cpu(current)
    old_cpu, new_cpu = [], []
    for _ in range(args.rounds):
        old_cpu.append(cpu(baseline))
        new_cpu.append(cpu(current))
    per_home = len(loaded)
    print(f"{compared} charts of {per_home} homes compared as PNG: {different} different")
    print(
        f"baseline {args.baseline}: {min(old_cpu) / per_home:.3f} s CPU a home; this checkout: "
        f"{min(new_cpu) / per_home:.3f} s; ratio {min(new_cpu) / min(old_cpu):.2f} (lowest of {args.rounds} rounds)"
    )


if __name__ == "__main__":
    main()
