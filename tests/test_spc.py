"""Change over time: p-chart limits against a published worked example, Laney's p′, the Making Data Count
rules on constructed series, the year-on-year test, and the demo's declining and noisy homes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wellled.analysis.clean_data import load_clean
from wellled.analysis.framework import load_framework
from wellled.analysis.spc import SpcParams, p_chart, pooled_change, spc_rules, spc_summary
from wellled.analysis.summary import build_summary, change_over_time
from wellled.analysis.themes import AnalysisParams, theme_figures
from wellled.paths import Paths

# NIST/SEMATECH e-Handbook of Statistical Methods, 6.3.3.2 "Proportions control charts": 30 wafers of 50 chips,
# defective chips per wafer; published p̄ = 0.2313, UCL = 0.4102, LCL = 0.0524
NIST_DEFECTS = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11]
NIST_DEFECTS += [20, 18, 24, 15, 9, 12, 7, 13, 9, 6]


def test_p_chart_matches_the_nist_worked_example():
    chart = p_chart(NIST_DEFECTS, [50] * 30, SpcParams(laney=False))
    assert round(chart["centre"], 4) == 0.2313
    assert round(float(chart["upper"][0]), 4) == 0.4102
    assert round(float(chart["lower"][0]), 4) == 0.0524
    assert chart["method"] == "p"


def test_laney_widens_by_the_moving_range_of_z_by_hand():
    # 4 quarters of 100 answers: 30, 60, 35, 65 positive. p̄ = 190/400 = 0.475, σ = √(0.475 × 0.525 / 100)
    # = 0.049937. z = (-0.175, 0.125, -0.125, 0.175)/σ = (-3.5044, 2.5032, -2.5032, 3.5044); moving ranges
    # 6.0076, 5.0063, 6.0076, mean 5.6738; σ_z = 5.6738 / 1.128 = 5.0300. Limits 0.475 ± 3 × 0.049937 × 5.03
    # = 0.475 ± 0.7536: clipped to 0 and 1
    chart = p_chart([30, 60, 35, 65], [100] * 4)
    assert chart["method"] == "laney"
    assert chart["sigma_z"] == pytest.approx(5.0300, abs=1e-3)
    assert float(chart["lower"][0]) == 0.0 and float(chart["upper"][0]) == 1.0
    # a steadier series: 44, 46, 43, 45 -> σ_z = mean(|0.4016|, |0.6024|, |0.4016|) / 1.128 < 1: plain p-chart
    steady = p_chart([44, 46, 43, 45], [100] * 4)
    assert steady["method"] == "p" and steady["sigma_z"] < 1


def rules_of(values, centre=0.5, lower=0.2, upper=0.8):
    n = len(values)
    return {(f["rule"], f["side"], tuple(f["points"])) for f in spc_rules(values, [lower] * n, [upper] * n, centre)}


def test_point_beyond_the_limits():
    assert ("beyond_limits", "low", (3,)) in rules_of([0.5, 0.45, 0.55, 0.1])


def test_run_of_six_on_one_side_but_not_five():
    # six points below the centre line (0.45, 0.4, 0.44, 0.41, 0.43, 0.42): a run; five are not
    assert ("run", "low", (2, 3, 4, 5, 6, 7)) in rules_of([0.6, 0.55, 0.45, 0.4, 0.44, 0.41, 0.43, 0.42])
    assert not any(r[0] == "run" for r in rules_of([0.6, 0.55, 0.6, 0.4, 0.44, 0.41, 0.43, 0.42]))


def test_a_point_on_the_centre_line_breaks_a_run():
    assert not any(r[0] == "run" for r in rules_of([0.45, 0.4, 0.44, 0.5, 0.41, 0.43, 0.42]))


def test_trend_of_six_falling():
    found = rules_of([0.7, 0.68, 0.66, 0.6, 0.58, 0.52, 0.6])
    assert ("trend", "low", (0, 1, 2, 3, 4, 5)) in found
    # five falling points are not a trend; a repeated value breaks one
    assert not any(r[0] == "trend" for r in rules_of([0.7, 0.68, 0.66, 0.6, 0.58]))
    assert not any(r[0] == "trend" for r in rules_of([0.7, 0.68, 0.68, 0.6, 0.58, 0.52]))


def test_summary_signal_is_about_the_latest_quarter():
    periods = [f"2025-Q{q}" for q in range(1, 5)] + [f"2026-Q{q}" for q in range(1, 5)]
    valid = [200] * 8
    # steady around 80 % then a single low quarter in the middle: the latest quarter is common cause
    noisy = spc_summary(periods, [160, 158, 162, 100, 161, 159, 160, 161], valid, [False] * 8)
    assert noisy["signal"] == "common_cause" and noisy["words"].startswith("Common cause")
    # a year-long decline: the latest quarters run below the centre and fall
    falling = spc_summary(periods, [170, 168, 166, 160, 150, 140, 130, 120], valid, [False] * 8)
    assert falling["signal"] == "concern"
    assert "quarters in a row falling" in " ".join(falling["rules"])
    assert falling["provisional"] and "provisional" in falling["words"]
    # the latest quarter hidden: no signal, said so
    hidden = spc_summary(periods, [160] * 7 + [None], [*valid[:7], None], [False] * 7 + [True])
    assert hidden["signal"] == "not_enough_data" and "hidden" in hidden["words"]
    assert hidden["points"][-1] == {
        "period": "2026-Q4",
        "positive_pct": None,
        "lower_pct": None,
        "upper_pct": None,
        "suppressed": True,
    }
    # three shown quarters are not enough
    assert spc_summary(periods[:3], [160] * 3, [200] * 3, [False] * 3)["signal"] == "not_enough_data"


def test_hidden_quarters_stay_out_of_the_centre_line():
    periods = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
    hidden = [False, False, True, False, False]
    summary = spc_summary(periods, [80, 80, None, 80, 80], [100, 100, None, 100, 100], hidden)
    assert summary["centre_pct"] == 80.0 and summary["points"][2]["positive_pct"] is None


def test_year_on_year_test_by_hand():
    # 40 of 100 a year ago, 60 of 100 now: pooled p = 0.5, se = √(0.25 × 0.02) = 0.070711, z = 0.2 / se = 2.828,
    # two-sided p = erfc(2.828 / √2) = 0.0047
    change = pooled_change((40, 100), (60, 100))
    assert change == {
        "previous_positive_pct": 40.0,
        "positive_pct": 60.0,
        "change_pct_points": 20.0,
        "z": 2.828,
        "p_value": 0.0047,
        "significant": True,
    }
    assert math.isclose(math.erfc(2.8284271 / math.sqrt(2)), 0.0047, abs_tol=1e-4)
    assert pooled_change((0, 0), (1, 2)) is None


def test_change_over_time_pools_shown_quarters_only():
    trend = pd.DataFrame(
        {
            "period": [f"2025-Q{q}" for q in range(1, 5)] + [f"2026-Q{q}" for q in range(1, 5)],
            "positive": pd.array([50, 50, 50, 50, 40, None, 40, 40], "Int64"),
            "valid": pd.array([100, 100, 100, 100, 100, None, 100, 100], "Int64"),
            "suppressed": [False] * 5 + [True] + [False] * 2,
        }
    )
    change = change_over_time(trend, "2026-Q4", SpcParams())
    # year on year: 2026-Q4 (40/100) against 2025-Q4 (50/100)
    assert change["year_on_year"]["previous_period"] == "2025-Q4"
    assert change["year_on_year"]["change_pct_points"] == -10.0
    # rolling year: 2026-Q1, Q3, Q4 (Q2 hidden) = 120/300 against 2025 = 200/400
    rolling = change["rolling_year"]
    assert rolling["periods"] == ["2026-Q1", "2026-Q3", "2026-Q4"] and rolling["positive_pct"] == 40.0
    assert rolling["previous_positive_pct"] == 50.0


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 400), st.floats(0, 1)), min_size=4, max_size=12),
    st.booleans(),
)
def test_limits_contain_the_centre_line(points, laney):
    valid = [n for n, _ in points]
    positive = [round(n * share) for n, share in points]
    chart = p_chart(positive, valid, SpcParams(laney=laney))
    assert np.all(chart["lower"] <= chart["centre"] + 1e-12)
    assert np.all(chart["centre"] <= chart["upper"] + 1e-12)
    assert np.all((chart["lower"] >= 0) & (chart["upper"] <= 1))


@pytest.fixture(scope="module")
def demo(demo_data):
    clean = load_clean(Paths(data=demo_data.data))
    framework = load_framework("cqc-kloe-2017")
    figures = theme_figures(clean, framework, AnalysisParams())
    return {
        home: build_summary(clean, home, "2026-Q3", framework, AnalysisParams(), figures)
        for home in ("birch-lodge", "elm-grove")
    }


@pytest.mark.slow  # the demo data, generated and checked
def test_the_demo_year_long_decline_is_a_signal(demo):
    # Birch Lodge falls from about 84 % to 50 % positive over the eight quarters
    birch = demo["birch-lodge"]
    assert birch["overall_change"]["spc"]["signal"] == "concern"
    assert sum(t["spc"]["signal"] == "concern" for t in birch["themes"]) >= 3
    assert all(t["year_on_year"]["significant"] and t["year_on_year"]["change_pct_points"] < 0 for t in birch["themes"])
    assert all(t["rolling_year"]["significant"] for t in birch["themes"])
    assert not any(t["spc"]["signal"] == "improvement" for t in birch["themes"])


@pytest.mark.slow  # the demo data, generated and checked
def test_the_demo_single_noisy_quarter_is_not_a_signal(demo):
    # Elm Grove is steady; its Culture figure this quarter rose 14 points on 22 questionnaires, which the
    # last-quarter test calls significant: SPC reads it as common cause variation
    culture = next(t for t in demo["elm-grove"]["themes"] if t["id"] == "W1")
    assert culture["change"]["significant"] is True
    assert culture["spc"]["signal"] == "common_cause"
    assert not culture["year_on_year"]["significant"]
