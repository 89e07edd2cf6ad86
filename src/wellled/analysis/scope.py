"""Which home, which quarter, which framework: the one resolver behind ``summary``, ``report`` and ``reports``.

Every answer comes from the clean data, and every wrong answer is a :class:`~wellled.errors.UsageError` that
lists what would have been right.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from wellled.analysis.clean_data import CleanData
from wellled.analysis.framework import DEFAULT_FRAMEWORK, load_framework
from wellled.errors import UsageError
from wellled.paths import require_slug
from wellled.periods import parse_period


@dataclass(frozen=True)
class Scope:
    """One report's subject: a known home, a quarter in which it has data, and a framework that loads."""

    home_id: str
    period: str
    framework: str


def known_homes(clean: CleanData) -> list[str]:
    """Home ids of the clean homes table, sorted."""
    return sorted({str(home) for home in clean.homes["home_id"].dropna()})


def home_periods(clean: CleanData, home_id: str) -> list[str]:
    """Quarters in which a home has any questionnaire or audit, oldest first."""
    periods = (
        pd.concat(
            [
                clean.responses.loc[clean.responses["home_id"] == home_id, "period"],
                clean.audits.loc[clean.audits["home_id"] == home_id, "period"],
            ]
        )
        .dropna()
        .astype(str)
    )
    return sorted(set(periods), key=parse_period)


def resolve_home(clean: CleanData, home_id: str | None) -> str:
    """``home_id`` if it is a known home; otherwise a UsageError listing the known homes."""
    homes = known_homes(clean)
    listing = ", ".join(homes) or "none (run `wellled check`)"
    if not home_id:
        raise UsageError(f"no home given; known homes: {listing}")
    try:
        require_slug(home_id)
    except UsageError as error:
        raise UsageError(f"{error.message}; known homes: {listing}") from None
    if home_id not in homes:
        raise UsageError(f"unknown home {home_id!r}; known homes: {listing}")
    return home_id


def resolve_period(clean: CleanData, home_id: str, period: str | None) -> str:
    """``period`` if the home has data then; the home's latest quarter when None; else a UsageError."""
    periods = home_periods(clean, home_id)
    listing = ", ".join(periods) or "none"
    if not periods:
        raise UsageError(f"home {home_id!r} has no questionnaires or audits in the clean data")
    if period is None:
        return periods[-1]
    try:
        parse_period(period)
    except UsageError as error:
        raise UsageError(f"{error.message}; quarters with data for {home_id}: {listing}") from None
    if period not in periods:
        raise UsageError(f"no data for {home_id} in {period}; quarters with data: {listing}")
    return period


def resolve_framework(framework: str | None) -> str:
    """A built-in framework name, or the absolute path of a framework file (checked by loading it)."""
    name = framework or DEFAULT_FRAMEWORK
    load_framework(name)
    return str(Path(name).resolve()) if Path(name).is_file() else name


def resolve(clean: CleanData, home_id: str | None, period: str | None, framework: str | None = None) -> Scope:
    """The checked scope of one report or summary."""
    home = resolve_home(clean, home_id)
    return Scope(home, resolve_period(clean, home, period), resolve_framework(framework))
