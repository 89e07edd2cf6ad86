"""Statistics for fair comparisons: Wilson intervals, a two-proportion test, Spiegelhalter funnel limits.

Public API (vectorised: scalars or numpy arrays in, the same out; no I/O):

- :func:`wilson_interval` ``(positive, valid, z=Z95) -> (low, high)`` as proportions 0..1.
- :func:`two_proportion_test` ``(positive_a, valid_a, positive_b, valid_b) -> (z, p_value)``.
- :func:`funnel_limits` ``(group_proportion, valid, z=Z998) -> (lower, upper)`` as proportions 0..1.
- :func:`funnel_position` ``(proportion, valid, group_proportion, z=Z998, tau2=0) -> above/within/below``.
- :func:`overdispersion` ``(proportion, valid, group_proportion, trim=0.1) -> (phi, tau2)``.
- :func:`overdispersion_of_others` ``(proportion, valid, left_out, group_proportion, trim=0.1) -> (phi, tau2)``:
  :func:`overdispersion` of all units but one, for each unit left out, at once.
- :func:`dispersion` ``(z, se, trim=0.1) -> (phi, tau2)``: the same from z-scores on any scale.
- :func:`funnel_limits_overdispersed` ``(group_proportion, valid, tau2, z=Z998) -> (lower, upper)``.

Where a denominator is zero the result is NaN (or None for positions).
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # two-sided 95 %, usually written 1.96
Z998 = 3.090232306167813  # two-sided 99.8 %, usually written 3.09


def wilson_interval(positive, valid, z: float = Z95):
    """Wilson score interval for ``positive`` successes out of ``valid`` trials.

    centre = (p + z²/2n) / (1 + z²/n); half-width = z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n).

    >>> low, high = wilson_interval(8, 10)
    >>> round(float(low), 4), round(float(high), 4)
    (0.4902, 0.9433)
    """
    k = np.asarray(positive, dtype=float)
    n = np.asarray(valid, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
        # mathematically low <= p <= high; the clamps stop rounding error at k = 0 or k = n breaking that
        low = np.where(n > 0, np.clip(np.minimum(centre - half, p), 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(np.maximum(centre + half, p), 0.0, 1.0), np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def two_proportion_test(positive_a, valid_a, positive_b, valid_b):
    """Pooled two-proportion z test of b against a: ``(z, two-sided p-value)``.

    Identical proportions of 0 or 1 give z = 0 and p = 1; an empty sample gives NaN.

    >>> z, p = two_proportion_test(40, 100, 60, 100)
    >>> round(float(z), 3), round(float(p), 4)
    (2.828, 0.0047)
    """
    ka, na = np.asarray(positive_a, dtype=float), np.asarray(valid_a, dtype=float)
    kb, nb = np.asarray(positive_b, dtype=float), np.asarray(valid_b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (ka + kb) / (na + nb)
        se = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        z = np.where(se > 0, (kb / nb - ka / na) / se, 0.0)
        z = np.where((na > 0) & (nb > 0), z, np.nan)
    flat = np.atleast_1d(z).astype(float).ravel()
    p_value = np.array([math.nan if math.isnan(v) else math.erfc(abs(v) / math.sqrt(2)) for v in flat])
    p_value = p_value.reshape(np.shape(z))
    if np.ndim(z) == 0:
        return float(z), float(p_value)
    return z, p_value


def funnel_limits(group_proportion, valid, z: float = Z998):
    """Control limits p0 ± z·sqrt(p0(1−p0)/n) around the group proportion, clipped to 0..1.

    >>> lower, upper = funnel_limits(0.8, 100)
    >>> round(float(lower), 4), round(float(upper), 4)
    (0.6764, 0.9236)
    """
    p0 = np.asarray(group_proportion, dtype=float)
    n = np.asarray(valid, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = z * np.sqrt(p0 * (1 - p0) / n)
        lower = np.where(n > 0, np.clip(p0 - spread, 0.0, 1.0), np.nan)
        upper = np.where(n > 0, np.clip(p0 + spread, 0.0, 1.0), np.nan)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


def funnel_position(proportion, valid, group_proportion, z: float = Z998, tau2=0.0):
    """``above``, ``within`` or ``below`` the funnel limits for each home; None where anything is missing.

    >>> funnel_position([0.95, 0.8, 0.6], [100, 100, 100], 0.8).tolist()
    ['above', 'within', 'below']
    """
    p = np.asarray(proportion, dtype=float)
    lower, upper = funnel_limits_overdispersed(group_proportion, valid, tau2, z)
    lower, upper = np.asarray(lower), np.asarray(upper)
    position = np.where(p > upper, "above", np.where(p < lower, "below", "within")).astype(object)
    missing = np.isnan(p) | np.isnan(lower) | np.isnan(upper)
    position = np.where(missing, np.asarray(None, dtype=object), position)
    return position if position.ndim else position.item()


def overdispersion(proportion, valid, group_proportion: float, trim: float = 0.1) -> tuple[float, float]:
    """(φ, τ²) of units around ``group_proportion`` (Spiegelhalter 2005; as FunnelPlotR, additive method).

    zᵢ = (pᵢ − p0)/sᵢ with sᵢ = √(p0(1−p0)/nᵢ) on the proportion scale, then :func:`dispersion`; τ² is a
    between-unit variance of the proportion.

    >>> phi, tau2 = overdispersion([0.5, 0.6, 0.7, 0.8, 0.9], [100] * 5, 0.7)
    >>> round(phi, 3), round(tau2, 5)
    (6.781, 0.0157)
    """
    p = np.asarray(proportion, dtype=float)
    n = np.asarray(valid, dtype=float)
    p0 = float(group_proportion)
    if len(p) == 0 or not 0 < p0 < 1:
        return math.nan, 0.0
    s = np.sqrt(p0 * (1 - p0) / n)
    return dispersion((p - p0) / s, s, trim)


OTHERS_CELLS = 1 << 20  # z-scores held at once by overdispersion_of_others (8 MB): rows are taken in blocks


def overdispersion_of_others(
    proportion, valid, left_out, group_proportion, trim: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """(φ, τ²) for each ``left_out[k]``: :func:`overdispersion` of every unit but that one, around
    ``group_proportion[k]``, with the same arithmetic in the same order (so the same floats), computed for
    all of them at once rather than unit by unit.

    >>> p, n = [0.5, 0.6, 0.7, 0.8, 0.9, 0.65], [100, 80, 120, 90, 110, 70]
    >>> phi, tau2 = overdispersion_of_others(p, n, [0, 5], [0.72, 0.70])
    >>> [overdispersion(p[1:], n[1:], 0.72), overdispersion(p[:5], n[:5], 0.70)] == list(zip(phi, tau2))
    True
    """
    p = np.asarray(proportion, dtype=float)
    n = np.asarray(valid, dtype=float)
    left = np.asarray(left_out, dtype=np.intp)
    p0 = np.asarray(group_proportion, dtype=float)
    phi, tau2 = np.full(len(left), math.nan), np.zeros(len(left))
    count = len(p) - 1
    usable = np.flatnonzero((p0 > 0) & (p0 < 1)) if count > 0 else np.array([], dtype=np.intp)
    index = np.arange(len(p))
    block = max(1, OTHERS_CELLS // max(len(p), 1))
    for start in range(0, len(usable), block):
        rows = usable[start : start + block]
        keep = index[None, :] != left[rows, None]
        others = np.broadcast_to(index, keep.shape)[keep].reshape(len(rows), count)
        centre = p0[rows, None]
        s = np.sqrt(centre * (1 - centre) / n[others])
        z = (p[others] - centre) / s
        low, high = np.quantile(z, [trim, 1 - trim], axis=1)
        phi[rows] = np.mean(np.clip(z, low[:, None], high[:, None]) ** 2, axis=1)
        w = 1 / s**2
        excess = count * phi[rows] > count - 1
        with np.errstate(divide="ignore", invalid="ignore"):  # only rows with excess are kept, as one by one
            between = (count * phi[rows] - (count - 1)) / (w.sum(axis=1) - (w**2).sum(axis=1) / w.sum(axis=1))
        tau2[rows] = np.where(excess, np.maximum(between, 0.0), 0.0)
    return phi, tau2


def dispersion(z, se, trim: float = 0.1) -> tuple[float, float]:
    """(φ, τ²) from units' z-scores and standard errors: winsorise, average the squares, DerSimonian–Laird.

    The z-scores are winsorised at the ``trim`` and 1 − ``trim`` quantiles (linear interpolation, R's
    default); φ = mean of the squared winsorised z. If N·φ > N − 1, τ² = (N·φ − (N − 1)) / (Σwᵢ − Σwᵢ²/Σwᵢ)
    with wᵢ = 1/seᵢ², else 0; τ² is on the scale of the standard errors.

    >>> phi, tau2 = dispersion([-2.0, 0.0, 2.0], [0.1, 0.1, 0.1], trim=0.0)
    >>> round(phi, 4), round(tau2, 4)
    (2.6667, 0.03)
    """
    z = np.asarray(z, dtype=float)
    s = np.asarray(se, dtype=float)
    if len(z) == 0:
        return math.nan, 0.0
    low, high = np.quantile(z, [trim, 1 - trim])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    count = len(z)
    w = 1 / s**2
    if count * phi <= count - 1:
        return phi, 0.0
    tau2 = (count * phi - (count - 1)) / (w.sum() - (w**2).sum() / w.sum())
    return phi, float(max(tau2, 0.0))


def funnel_limits_overdispersed(group_proportion, valid, tau2=0.0, z: float = Z998):
    """Limits p0 ± z·√(p0(1−p0)/n + τ²), clipped to 0..1: :func:`funnel_limits` widened by τ².

    >>> lower, upper = funnel_limits_overdispersed(0.8, 100, 0.0)
    >>> round(float(lower), 4), round(float(upper), 4)
    (0.6764, 0.9236)
    """
    p0 = np.asarray(group_proportion, dtype=float)
    n = np.asarray(valid, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = z * np.sqrt(p0 * (1 - p0) / n + tau2)
        lower = np.where(n > 0, np.clip(p0 - spread, 0.0, 1.0), np.nan)
        upper = np.where(n > 0, np.clip(p0 + spread, 0.0, 1.0), np.nan)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper
