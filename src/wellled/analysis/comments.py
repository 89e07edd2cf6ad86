"""Free-text comments: redaction of personal details and theme tagging. Plain text in, plain text out.

Public API:

- :func:`redact` ``(text, names=()) -> Redaction``: removes e-mail addresses, NHS numbers (10 digits with a
  valid mod-11 check digit), UK phone numbers, UK postcodes and listed names (whole word, any case).
- :func:`is_valid_nhs_number` ``(digits) -> bool``.
- :func:`tag_themes` ``(text, framework) -> tuple[str, ...]``: themes whose keywords the text contains.
- :func:`comment_table` ``(responses, framework, home_id, period, min_respondents=5, names=()) -> frame``.

Comments stay text: nothing here builds or strips markup, so whatever renders them must escape them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from wellled.analysis.framework import Framework

EMAIL = re.compile(
    r"[A-Za-z0-9._%+'-]+(?:@| ?[(\[]at[)\]] ?)[A-Za-z0-9-]+(?:(?:\.| ?[(\[]dot[)\]] ?)[A-Za-z0-9-]+)*"
    r"(?:\.| ?[(\[]dot[)\]] ?)[A-Za-z]{2,}",
    re.IGNORECASE,
)
NHS_NUMBER = re.compile(r"(?<![\w+])(\d{3})[ .-]?(\d{3})[ .-]?(\d{4})(?!\w)")
UK_PHONE = re.compile(r"(?<![\w+])(?:\+44[ .-]?(?:\(0\)[ .-]?)?|0044[ .-]?|\(0|0)\d(?:\)?[ .-]?\d){8,9}(?![\w])")
UK_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?[ -]?\d[ABD-HJLNP-UW-Z]{2}|GIR[ -]?0AA)\b", re.IGNORECASE)
REPLACEMENTS = {
    "email": "[email removed]",
    "nhs_number": "[NHS number removed]",
    "phone": "[phone removed]",
    "postcode": "[postcode removed]",
    "name": "[name removed]",
}


@dataclass(frozen=True)
class Redaction:
    """Redacted text and what was removed (kinds in the order they were found, with repeats)."""

    text: str
    removed: tuple[str, ...]


def is_valid_nhs_number(digits: str) -> bool:
    """True when ten digits carry a valid NHS mod-11 check digit.

    >>> is_valid_nhs_number("9434765919"), is_valid_nhs_number("9434765918")
    (True, False)
    """
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


@lru_cache(maxsize=32)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern | None:
    cleaned = sorted({name.strip() for name in names if name.strip()}, key=lambda n: (-len(n), n))
    if not cleaned:
        return None
    alternatives = "|".join(r"[\s-]+".join(map(re.escape, name.split())) for name in cleaned)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def redact(text: str, names: Iterable[str] = ()) -> Redaction:
    """Replace personal details with markers such as ``[email removed]``.

    >>> redact("Call Jo on 07700 900123 or jo@example.org", names=["jo"]).text
    'Call [name removed] on [phone removed] or [email removed]'
    """
    removed: list[str] = []
    text = " ".join(text.split())  # tabs, line breaks and non-breaking spaces must not hide a number

    def substitute(pattern: re.Pattern, kind: str, value: str, keep=None) -> str:
        def replace(match: re.Match) -> str:
            if keep is not None and keep(match):
                return match.group(0)
            removed.append(kind)
            return REPLACEMENTS[kind]

        return pattern.sub(replace, value)

    out = substitute(EMAIL, "email", text)
    out = substitute(
        NHS_NUMBER, "nhs_number", out, keep=lambda m: not is_valid_nhs_number(m.group(1) + m.group(2) + m.group(3))
    )
    out = substitute(UK_PHONE, "phone", out)
    out = substitute(UK_POSTCODE, "postcode", out)
    pattern = _names_pattern(tuple(names))
    if pattern is not None:
        out = substitute(pattern, "name", out)
    return Redaction(out, tuple(removed))


@lru_cache(maxsize=8)
def _keyword_patterns(framework: Framework) -> tuple[tuple[str, re.Pattern], ...]:
    patterns = []
    for theme in framework.themes:
        if not theme.keywords:
            continue
        alternatives = []
        for keyword in theme.keywords:
            stem, wildcard = (keyword[:-1], True) if keyword.endswith("*") else (keyword, False)
            body = r"[\s-]+".join(re.escape(word) for word in re.split(r"[\s-]+", stem.strip()))
            alternatives.append(body + (r"\w*" if wildcard else ""))
        patterns.append((theme.id, re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE)))
    return tuple(patterns)


def tag_themes(text: str, framework: Framework) -> tuple[str, ...]:
    """Theme ids whose keywords appear in the text, in framework order.

    >>> from wellled.analysis.framework import load_framework
    >>> tag_themes("The manager listens and acts on our feedback", load_framework())
    ('W1', 'W3')
    """
    return tuple(theme_id for theme_id, pattern in _keyword_patterns(framework) if pattern.search(text))


def comment_table(
    responses: pd.DataFrame,
    framework: Framework,
    home_id: str,
    period: str,
    min_respondents: int = 5,
    names: Iterable[str] = (),
) -> pd.DataFrame:
    """Redacted, tagged comments of one home and period, from groups with at least ``min_respondents``
    questionnaires in the period. Columns: ``respondent_group``, ``text``, ``theme_ids``, ``removed``.
    """
    rows = responses.loc[(responses["home_id"] == home_id) & (responses["period"] == period)]
    group_sizes = rows["respondent_group"].value_counts()
    shown_groups = set(group_sizes.index[group_sizes >= min_respondents])
    text = rows["comment"].astype("string").str.strip()
    rows = (
        rows.assign(_text=text)
        .loc[rows["respondent_group"].isin(shown_groups) & text.fillna("").ne("")]
        .sort_values(["respondent_group", "submitted_on", "response_id"], kind="stable")
    )
    names = tuple(names)
    records = []
    for group, comment in zip(rows["respondent_group"], rows["_text"], strict=True):
        redaction = redact(str(comment), names)
        records.append(
            {
                "respondent_group": str(group),
                "text": redaction.text,
                "theme_ids": tag_themes(redaction.text, framework),
                "removed": tuple(sorted(set(redaction.removed))),
            }
        )
    return pd.DataFrame(records, columns=["respondent_group", "text", "theme_ids", "removed"])
