"""One home's report reads every home's figures from a copy kept beside the data, computed once per state of
the data, framework and parameters: its cost does not grow with the number of homes."""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd

from wellled.analysis.clean_data import load_clean
from wellled.analysis.framework import load_framework
from wellled.analysis.themes import theme_figures
from wellled.paths import Paths
from wellled.report.kept_figures import run_figures, shared_figures
from wellled.report.options import ReportOptions


def test_every_homes_figures_are_computed_once_kept_beside_the_data_and_follow_the_parameters(tiny_data, tmp_path):
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    shutil.copytree(tiny_data.data, paths.data)
    clean, framework, options = load_clean(paths), load_framework("cqc-kloe-2017"), ReportOptions()

    kept = shared_figures(paths, clean, framework, options)
    assert kept is not None and kept.is_file()
    assert kept.is_relative_to(paths.data.resolve()) and not paths.reports.exists()
    expected = theme_figures(clean, framework, options.analysis_params())
    assert len(expected) > 0
    pd.testing.assert_frame_equal(pd.read_parquet(kept), expected, check_dtype=False)

    written = kept.stat().st_mtime_ns
    assert shared_figures(paths, clean, framework, options) == kept
    assert kept.stat().st_mtime_ns == written, "the kept figures were computed again"

    stricter = dataclasses.replace(options, min_respondents=10)
    other = shared_figures(paths, clean, framework, stricter)
    assert other is not None and other != kept
    pd.testing.assert_frame_equal(
        pd.read_parquet(other), theme_figures(clean, framework, stricter.analysis_params()), check_dtype=False
    )
    assert kept.is_file(), "a recent state's figures were removed while a run may read them"


def test_a_run_uses_the_kept_figures_and_its_own_folder_only_when_the_data_folder_cannot_hold_them(tiny_data, tmp_path):
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    shutil.copytree(tiny_data.data, paths.data)
    clean, framework, options = load_clean(paths), load_framework("cqc-kloe-2017"), ReportOptions()
    run_dir = paths.reports / ".run-test"

    assert run_figures(paths, clean, framework, options, run_dir) == shared_figures(paths, clean, framework, options)
    assert not run_dir.exists()

    shutil.rmtree(paths.data / ".figures")
    (paths.data / ".figures").write_text("not a folder")  # the kept copy cannot be written
    fallback = run_figures(paths, clean, framework, options, run_dir)
    assert fallback.parent == run_dir.resolve()
    pd.testing.assert_frame_equal(
        pd.read_parquet(fallback), theme_figures(clean, framework, options.analysis_params()), check_dtype=False
    )
