"""Cell values as people write them: dates in every form the tools export, whole numbers, and safe display.

Dates are parsed once per distinct text, so a million cells cost little. ``shown`` is what a value may look
like in the quarantine list, the log or the data-quality page: short labels as written, anything that could
be free text or personal as a description ("text, 42 characters").
"""

from __future__ import annotations

import datetime as dt
import functools
import re

import numpy as np
import pandas as pd

EXCEL_EPOCH = dt.date(1899, 12, 30)
_TIME = (
    r"(?:[ T,]+(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
    r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT(?:\s*[+-]\s*\d{1,2}(?::?\d{2})?)?|BST))?"
)
_ISO = re.compile(r"(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})" + _TIME)
_SLASHED = re.compile(r"(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{4})" + _TIME)
_SERIAL = re.compile(r"(?P<n>\d{5})(?:\.\d+)?")
SERIAL_RANGE = (20000, 80000)  # 1954 .. 2119: a five-digit number in a date column is an Excel date

OK, BAD, OTHER_ORDER = 0, 1, 2


def _time_ok(match: re.Match) -> bool:
    hour = match.group("h")
    if hour is None:
        return True
    hour, minute = int(hour), int(match.group("mi"))
    limit = 12 if match.group("ampm") else 23
    return 0 <= hour <= limit and minute <= 59


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_one(text: str, day_first: bool = True) -> tuple[dt.date | None, int]:
    """(date, status): status OK, BAD, or OTHER_ORDER (valid only in the other day/month order)."""
    text = text.strip()
    match = _ISO.fullmatch(text)
    if match:
        found = _date(int(match["y"]), int(match["m"]), int(match["d"]))
        return (found, OK) if found and _time_ok(match) else (None, BAD)
    match = _SLASHED.fullmatch(text)
    if match:
        first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
        day, month = (first, second) if day_first else (second, first)
        found = _date(year, month, day)
        if found and _time_ok(match):
            return found, OK
        if _date(year, day, month) and _time_ok(match):
            return None, OTHER_ORDER
        return None, BAD
    match = _SERIAL.fullmatch(text)
    if match and SERIAL_RANGE[0] <= int(match["n"]) <= SERIAL_RANGE[1]:
        return EXCEL_EPOCH + dt.timedelta(days=int(match["n"])), OK
    return None, BAD


def parse_dates(values: pd.Series, day_first: bool = True) -> tuple[pd.Series, pd.Series]:
    """(dates, status) for a column of text: dates as datetime64[ns] (NaT when missing or bad), status per row
    OK (also for a missing value), BAD or OTHER_ORDER."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    parsed = [parse_one(str(u), day_first) for u in uniques]
    found = pd.to_datetime(pd.Series([p[0] for p in parsed], dtype=object)).astype("datetime64[ns]").to_numpy()
    status = np.array([p[1] for p in parsed], dtype=np.int8)
    missing = codes < 0
    safe = np.where(missing, 0, codes)
    dates = found[safe] if len(uniques) else np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    dates = np.where(missing, np.datetime64("NaT"), dates).astype("datetime64[ns]")
    states = np.where(missing, OK, status[safe] if len(uniques) else OK).astype(np.int8)
    return pd.Series(dates, index=values.index), pd.Series(states, index=values.index)


_WHOLE = re.compile(r"\+?(\d+)(?:\.0*)?")


def whole_numbers(values: pd.Series) -> pd.Series:
    """'48.0' and ' 40 ' as '48' and '40'; anything else unchanged, for the rule to judge."""
    text = values.astype("string").str.strip()
    digits = text.str.fullmatch(_WHOLE.pattern).fillna(False).astype(bool)
    return text.where(~digits, text.str.extract(_WHOLE, expand=False).str.lstrip("0").replace("", "0"))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_EMAIL = re.compile(r"\S+\s*@\s*\S+")
_PHONE = re.compile(r"(?:\+?\d[\d\s\-–/().]{6,}\d)")
_LABEL = re.compile(r"[\w .,'’/&()+\-]{1,40}")


def printable(text: object, limit: int = 200) -> str:
    """Text safe for a terminal, a log or a page: control and bidirectional characters shown escaped, long cut."""
    text = str(text)
    escaped = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return escaped if len(escaped) <= limit else f"{escaped[:limit]}… ({len(text)} characters)"


def looks_personal(text: str, names: frozenset[str] = frozenset()) -> bool:
    """An e-mail address, a phone-like number, or a word from the names to redact."""
    if _EMAIL.search(text) or any(sum(c.isdigit() for c in m) >= 9 for m in _PHONE.findall(text)):
        return True
    return bool(names) and any(word in names for word in re.findall(r"\w+", text.lower()))


def shown(value: object, names: frozenset[str] = frozenset()) -> str | None:
    """What the quarantine list may show of a raw cell: a short label as written; otherwise a description."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return _shown_text(str(value).strip(), names)


@functools.lru_cache(maxsize=1 << 16)
def _shown_text(text: str, names: frozenset[str]) -> str:
    if len(text) <= 40 and parse_one(text)[1] != BAD:
        return printable(text)
    if looks_personal(text, names):
        return f"[hidden: looks personal, {len(text)} characters]"
    if _LABEL.fullmatch(text) and len(text.split()) <= 5:
        return printable(text)
    return f"[text, {len(text)} characters]"
