"""The demo at scale: every home id and every response id unique at any --homes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from wellled.demo.generate import demo_homes, write_demo
from wellled.paths import Paths


def test_home_ids_are_unique_at_any_count():
    for count in (1, 6, 7, 50, 300, 1000):
        ids = [home.home_id for home in demo_homes(count, np.random.default_rng(1))]
        assert len(ids) == count and len(set(ids)) == count, count
    assert [h.home_id for h in demo_homes(6, np.random.default_rng(1))][:2] == ["oak-house", "willow-court"]


@pytest.mark.slow  # writes and reads back a 300-home demo
def test_demo_of_300_homes_writes_unique_homes_and_response_ids(tmp_path):
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    write_demo(paths, homes_count=300, quarters=1, end="2026-Q3", today=dt.date(2026, 11, 26))
    homes = pd.read_csv(paths.homes_file)
    assert len(homes) == 300 and homes["home_id"].is_unique and homes["home_name"].is_unique
    surveys = [pd.read_csv(p) for p in paths.surveys_dir.glob("*.csv")]
    surveys += [pd.read_excel(p) for p in paths.surveys_dir.glob("*.xlsx")]
    ids = pd.concat([s["response_id"] for s in surveys], ignore_index=True)
    assert len(ids) > 10_000
    # the demo copies one staff row on purpose (a realistic slip the check must quarantine); nothing else repeats
    assert ids.duplicated().sum() == 1
