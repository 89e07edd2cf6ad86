"""Every home's theme figures, computed once and kept for every report that needs them (funnel plots).

Public API:

- :func:`shared_figures` ``(paths, clean, framework, options) -> Path | None``: the kept file
  ``DATA/.figures/<key>.parquet`` for this clean data, framework, version and parameters, computed if missing.
- :func:`run_figures`: the same, or a file in a run's own folder when the data folder cannot hold it.

The figures hold small counts, so they live beside the care data, never under REPORTS/ where reports are
copied from. Without them one home's report would cost more with every home added.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from wellled.analysis.clean_data import CleanData
    from wellled.analysis.framework import Framework
    from wellled.paths import Paths
    from wellled.report.options import ReportOptions

FIGURES_FILE = "figures.parquet"


def figures_key(clean: CleanData, framework: Framework, options: ReportOptions) -> str:
    """One digest of what every home's theme figures depend on: clean tables, framework, version, parameters."""
    from wellled import __version__

    parts = [sorted(clean.input_sha256.items()), framework.id, framework.sha256, __version__]
    return hashlib.sha256(json.dumps([parts, repr(options.analysis_params())]).encode()).hexdigest()


FIGURES_KEPT_SECONDS = 3600  # another state's figures are removed once this old (a run may still read them)


def shared_figures(paths: Paths, clean: CleanData, framework: Framework, options: ReportOptions) -> Path | None:
    """Every home's theme figures for this clean data, framework and parameters, computed once and kept, so
    that one home's report does not cost more with more homes; None if the data folder cannot hold them."""
    target = paths.figures_cache(figures_key(clean, framework, options)).resolve()
    if target.is_file():
        return target
    return _keep(_compute(clean, framework, options), target)


def run_figures(paths: Paths, clean: CleanData, framework: Framework, options: ReportOptions, run_dir: Path) -> Path:
    """The kept figures file (:func:`shared_figures`), or one in the run's own folder when the data folder
    cannot hold it; computed at most once either way."""
    target = paths.figures_cache(figures_key(clean, framework, options)).resolve()
    if target.is_file():
        return target
    figures = _compute(clean, framework, options)
    kept = _keep(figures, target)
    if kept is not None:
        return kept
    run_dir.mkdir(parents=True, exist_ok=True)
    fallback = (run_dir / FIGURES_FILE).resolve()
    figures.to_parquet(fallback, index=False)
    return fallback


def _compute(clean: CleanData, framework: Framework, options: ReportOptions) -> pd.DataFrame:
    from wellled.analysis.themes import theme_figures

    return theme_figures(clean, framework, options.analysis_params())


def _keep(figures: pd.DataFrame, target: Path) -> Path | None:
    """Write ``figures`` to ``target`` atomically, removing other states' files once they are old; None if the
    folder cannot hold it."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        for old in target.parent.iterdir():
            with contextlib.suppress(OSError):  # another run may have removed it first
                if old.stat().st_mtime < time.time() - FIGURES_KEPT_SECONDS:
                    old.unlink()
        figures.to_parquet(temporary, index=False)
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return None
    return target
