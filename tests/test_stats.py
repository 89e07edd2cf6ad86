"""Wilson intervals, the two-proportion test and funnel limits: hand-computed values and scipy as a referee."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest, chi2_contingency

from wellled.analysis.stats import (
    Z95,
    Z998,
    dispersion,
    funnel_limits,
    funnel_limits_overdispersed,
    funnel_position,
    overdispersion,
    overdispersion_of_others,
    two_proportion_test,
    wilson_interval,
)


def test_wilson_by_hand():
    # k = 8, n = 10, z = 1.96: p = 0.8; denominator = 1 + 3.8416/10 = 1.38416;
    # centre = (0.8 + 0.19208) / 1.38416 = 0.71675; half = 1.96 * sqrt(0.016 + 0.009604) / 1.38416 = 0.22657
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.71675 - 0.22657, abs=1e-4)
    assert high == pytest.approx(0.71675 + 0.22657, abs=1e-4)


@pytest.mark.parametrize(("positive", "valid"), [(0, 1), (1, 1), (0, 5), (5, 5), (3, 7), (202, 231), (1, 1000)])
def test_wilson_matches_scipy(positive, valid):
    expected = binomtest(positive, valid).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(positive, valid)
    assert (low, high) == pytest.approx((expected.low, expected.high), abs=1e-9)


@given(st.integers(min_value=1, max_value=5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_agrees_with_scipy_and_contains_the_estimate(pair):
    positive, valid = pair
    low, high = wilson_interval(positive, valid)
    expected = binomtest(positive, valid).proportion_ci(method="wilson")
    assert (low, high) == pytest.approx((expected.low, expected.high), abs=1e-9)
    assert 0.0 <= low <= positive / valid <= high <= 1.0


def test_wilson_vectorised_and_empty_denominator():
    low, high = wilson_interval(np.array([0, 8]), np.array([0, 10]))
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert low[1] == pytest.approx(0.4902, abs=1e-4)


def test_two_proportion_test_by_hand():
    # pooled p = 100/200 = 0.5; se = sqrt(0.25 * (1/100 + 1/100)) = 0.0707107; z = 0.2 / se = 2.828427
    z, p_value = two_proportion_test(40, 100, 60, 100)
    assert z == pytest.approx(2.828427, abs=1e-6)
    assert p_value == pytest.approx(math.erfc(2.0), abs=1e-12)  # erfc(z / sqrt 2) = erfc(2) = 0.004678
    z_down, _ = two_proportion_test(60, 100, 40, 100)
    assert z_down == pytest.approx(-z)


@pytest.mark.parametrize(("ka", "na", "kb", "nb"), [(40, 100, 60, 100), (12, 30, 20, 31), (90, 120, 70, 118)])
def test_two_proportion_test_matches_chi_square(ka, na, kb, nb):
    # the pooled z test squared is Pearson's chi-square without continuity correction
    chi2, p_expected, _, _ = chi2_contingency([[ka, na - ka], [kb, nb - kb]], correction=False)
    z, p_value = two_proportion_test(ka, na, kb, nb)
    assert z**2 == pytest.approx(chi2)
    assert p_value == pytest.approx(p_expected)


def test_two_proportion_test_degenerate_cases():
    assert two_proportion_test(10, 10, 5, 5) == (0.0, 1.0)
    z, p_value = two_proportion_test(0, 0, 5, 5)
    assert math.isnan(z) and math.isnan(p_value)


def test_funnel_limits_by_hand():
    # p0 = 0.8, n = 100: sqrt(0.8 * 0.2 / 100) = 0.04; 99.8 %: 3.0902 * 0.04 = 0.123609; 95 %: 1.96 * 0.04 = 0.0784
    lower, upper = funnel_limits(0.8, 100)
    assert (lower, upper) == pytest.approx((0.676391, 0.923609), abs=1e-6)
    assert funnel_limits(0.8, 100, Z95) == pytest.approx((0.7216, 0.8784), abs=1e-4)
    assert round(Z998, 2) == 3.09 and round(Z95, 2) == 1.96


def test_funnel_limits_clip_and_narrow():
    # p0 = 0.95, n = 1: spread = 3.0902 * sqrt(0.0475) = 0.67350, so the upper limit is clipped at 1
    lower, upper = funnel_limits(0.95, np.array([1, 10, 1000]))
    assert lower[0] == pytest.approx(0.95 - 0.67350, abs=1e-5) and upper[0] == 1.0
    assert funnel_limits(0.05, 1)[0] == 0.0
    assert np.all(np.diff(upper - lower) < 0)


def test_funnel_position():
    # p0 = 0.8, n = 100: limits 67.6 % and 92.4 %
    positions = funnel_position([0.93, 0.92, 0.68, 0.67, math.nan], [100] * 5, 0.8)
    assert positions.tolist() == ["above", "within", "within", "below", None]
    assert funnel_position(0.5, 0, 0.8) is None


def test_overdispersed_funnel_worked_example_by_hand():
    # Spiegelhalter (2005), additive random effects as in FunnelPlotR. Five homes of 100 answers with
    # 50, 60, 70, 80, 90 % positive around p0 = 70 %: s = sqrt(0.7 * 0.3 / 100) = 0.0458258;
    # z = (-4.36436, -2.18218, 0, 2.18218, 4.36436). The 10 % and 90 % quantiles (linear, 5 values) are
    # -4.36436 + 0.4 * 2.18218 = -3.49149 and +3.49149, so winsorised z = (-3.49149, -2.18218, 0, 2.18218,
    # 3.49149); phi = (2 * 12.1905 + 2 * 4.7619) / 5 = 6.78095. N phi = 33.9048 > N - 1 = 4, so
    # tau2 = (33.9048 - 4) / (sum w - sum w^2 / sum w) with w = 1 / s^2 = 476.190: 29.9048 / 1904.76 = 0.0157
    phi, tau2 = overdispersion([0.5, 0.6, 0.7, 0.8, 0.9], [100] * 5, 0.7)
    assert phi == pytest.approx(6.78095, abs=1e-4)
    assert tau2 == pytest.approx(0.0157, abs=1e-6)
    # a home of 100 answers at 45 %: binomial limits 0.7 -+ 3.090232 * 0.0458258 = 0.55839 .. 0.84161 put it
    # below; widened, 0.7 -+ 3.090232 * sqrt(0.0021 + 0.0157) = 0.7 -+ 0.41229 = 0.28771 .. 1 (clipped): within
    assert funnel_limits_overdispersed(0.7, 100, tau2) == pytest.approx((0.28771, 1.0), abs=1e-5)
    assert funnel_position(0.45, 100, 0.7) == "below"
    assert funnel_position(0.45, 100, 0.7, tau2=tau2) == "within"


def test_no_overdispersion_adds_nothing():
    # homes exactly on p0: phi = 0 <= (N - 1) / N, tau2 = 0: the limits are the binomial ones
    phi, tau2 = overdispersion([0.7] * 6, [50, 80, 100, 120, 150, 200], 0.7)
    assert (phi, tau2) == (0.0, 0.0)
    assert funnel_limits_overdispersed(0.7, 100, tau2) == pytest.approx(funnel_limits(0.7, 100))


def test_dispersion_reproduces_funnelplotr_documented_phi():
    """FunnelPlotR's own documented φ, reproduced with wellled's φ and τ² step.

    Source: NHS-R FunnelPlotR, tests/testthat/test-classes_methods.R (nhs-r-community/FunnelPlotR at commit
    2e91c8dd96c350a5297959a8cccdc493cc72eba7; the same expectation in the CRAN mirror cran/FunnelPlotR at
    1bc9cf6920e02a3481f6193b6cf2aeabe0c86fff): six units with numerators 100, 150, 180, 80, 120, 225 and
    denominators 108, 112, 165, 95, 100, 220 under the package defaults give ``round(phi, 6) == 2.948033``.
    The defaults are an indirectly standardised ratio with the SHMI method (R/od_adjustment.R at commit
    225b14db38b449992b9d20300feaa8e7ee3c997d: transformed_zscore, truncation, phi_func, tau_func): zᵢ =
    √Eᵢ · ln(Oᵢ/Eᵢ), sᵢ = 1/√Eᵢ, and 10 % truncation by rank group floor(rankᵢ · 10 / (N + 1)), dropping
    groups 0 and 9. For N = 6 the ranks 1..6 fall in groups 1, 2, 4, 5, 7, 8, so nothing is dropped and φ is
    the plain mean of the squared z: the case of ``dispersion`` with ``trim=0``. (Its Spiegelhalter/CQC
    variant, square root and 10 % winsorising, would give 2.327 here; the published 2.948033 pins the method.)

    wellled itself works on the proportion scale, not on this log scale; the test reproduces the published
    number by feeding the package's z-scores and standard errors to the scale-free step wellled uses.
    """
    observed = np.array([100, 150, 180, 80, 120, 225], dtype=float)
    expected = np.array([108, 112, 165, 95, 100, 220], dtype=float)
    # by hand: z = sqrt(E) ln(O/E) = (-0.79980, 3.09168, 1.11768, -1.67499, 1.82322, 0.33333);
    # z^2 = (0.63968, 9.55849, 1.24921, 2.80559, 3.32412, 0.11111), sum 17.68820, phi = 17.68820 / 6 = 2.948033
    z = np.sqrt(expected) * np.log(observed / expected)
    assert z == pytest.approx([-0.79980, 3.09168, 1.11768, -1.67499, 1.82322, 0.33333], abs=1e-5)
    phi, tau2 = dispersion(z, 1 / np.sqrt(expected), trim=0.0)
    assert round(phi, 6) == 2.948033  # the documented value
    # tau2 is not published; by hand (DerSimonian-Laird, as tau_func): w = 1/s^2 = E,
    # sum w = 800, sum w^2 = 118858, so sum w - sum w^2 / sum w = 800 - 148.5725 = 651.4275;
    # N phi - (N - 1) = 17.68820 - 5 = 12.68820; tau2 = 12.68820 / 651.4275 = 0.0194775
    assert tau2 == pytest.approx(0.0194775, abs=1e-7)
    # wellled's default 10 % winsorising pulls the ends in to the 10th and 90th percentiles
    # (-1.23740 and 2.45745): z^2 sum = 0.63968 + 6.03905 + 1.24921 + 1.53115 + 3.32412 + 0.11111 = 12.89432
    assert dispersion(z, 1 / np.sqrt(expected))[0] == pytest.approx(12.89432 / 6, abs=1e-5)


@given(
    units=st.lists(st.tuples(st.integers(1, 400), st.floats(0.0, 1.0)), min_size=1, max_size=40).map(
        lambda pairs: [(n, round(n * share)) for n, share in pairs]
    ),
    centres=st.lists(st.sampled_from([0.0, 0.35, 0.72, 0.9, 1.0, math.nan]) | st.floats(0.01, 0.99), min_size=1),
    seed=st.integers(0, 2**16),
)
def test_overdispersion_of_others_is_overdispersion_of_each_set_of_others_to_the_last_bit(units, centres, seed):
    """The funnel's between-home variance of every home against the others, computed at once, is the same float
    as one home at a time (each home's funnel position depends on it)."""
    n = np.array([valid for valid, _ in units], dtype=float)
    p = np.array([positive for _, positive in units], dtype=float) / n
    left_out = np.random.default_rng(seed).permutation(len(p))[: len(centres)]
    centres = centres[: len(left_out)]
    phi, tau2 = overdispersion_of_others(p, n, left_out, centres)
    assert len(phi) == len(left_out) > 0
    for k, unit in enumerate(left_out):
        others = np.delete(np.arange(len(p)), unit)
        with np.errstate(divide="ignore"):  # one other home: no between-home variance (infinite)
            alone = overdispersion(p[others], n[others], centres[k])
        at_once = (float(phi[k]), float(tau2[k]))
        assert alone == at_once or (math.isnan(alone[0]) and math.isnan(at_once[0]) and alone[1] == at_once[1])


def test_overdispersion_is_dispersion_on_the_proportion_scale():
    # the proportion-scale wrapper is the scale-free step with z = (p - p0) / sqrt(p0 (1 - p0) / n)
    p, n, p0 = np.array([0.5, 0.62, 0.7, 0.81, 0.9, 0.75]), np.array([40, 80, 100, 120, 60, 200]), 0.72
    se = np.sqrt(p0 * (1 - p0) / n)
    assert overdispersion(p, n, p0) == pytest.approx(dispersion((p - p0) / se, se))
