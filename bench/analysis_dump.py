"""Dump every analysis output of a data folder as text, to prove a speed change leaves results byte-identical.

``python bench/analysis_dump.py DATA OUT`` writes into OUT, for both built-in frameworks and a few parameter
sets: ``theme_figures`` (dtypes and every value at full precision), ``protected_groups`` of all answers,
``funnel_frame`` and ``to_json(build_summary(...))`` of every home x quarter with data. Compare two dumps with
``diff -r`` (or ``cmp``): any difference is a change of behaviour. A third argument picks parameter sets
(``default,min8,small3``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from wellled.analysis.clean_data import load_clean
from wellled.analysis.framework import load_framework
from wellled.analysis.scope import home_periods, known_homes
from wellled.analysis.summary import build_summary, to_json
from wellled.analysis.themes import AnalysisParams, funnel_frame, protected_groups, scored_answers, theme_figures
from wellled.paths import Paths

FRAMEWORKS = ("cqc-kloe-2017", "cqc-saf-2024")
PARAMS = {
    "default": AnalysisParams(),
    "min8": AnalysisParams(min_respondents=8),
    "small3": AnalysisParams(min_respondents=3, allow_small_numbers=True),
}


def frame_text(frame: pd.DataFrame) -> str:
    """Columns, dtypes, index and every value (floats by ``repr``) of a frame."""
    head = "\n".join(f"{name}: {dtype}" for name, dtype in frame.dtypes.items())
    rows = [repr(frame.index.tolist())]
    for name in frame.columns:
        rows.append(f"{name}: {[repr(v) for v in frame[name].tolist()]!r}")
    return head + "\n" + "\n".join(rows) + "\n"


def main(data: str, out: str, labels: str = ",".join(PARAMS)) -> None:
    paths = Paths.from_options(data)
    clean = load_clean(paths)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    for name in FRAMEWORKS:
        framework = load_framework(name)
        for label in labels.split(","):
            params = PARAMS[label]
            tag = f"{name}.{label}"
            figures = theme_figures(clean, framework, params)
            (target / f"{tag}.figures.txt").write_text(frame_text(figures), encoding="utf-8")
            (target / f"{tag}.funnel.txt").write_text(frame_text(funnel_frame(figures)), encoding="utf-8")
            scored = scored_answers(clean.answers, clean.questions, framework)
            protected = protected_groups(scored, params)
            (target / f"{tag}.protected.txt").write_text(frame_text(protected), encoding="utf-8")
            texts = []
            for home in known_homes(clean):
                for period in home_periods(clean, home):
                    texts.append(to_json(build_summary(clean, home, period, framework, params, figures=figures)))
                if label == "default":  # the default quarter, figures computed inside
                    texts.append(to_json(build_summary(clean, home, None, framework, params)))
            (target / f"{tag}.summaries.json").write_text("".join(texts), encoding="utf-8")
            print(tag, len(texts), "summaries", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
