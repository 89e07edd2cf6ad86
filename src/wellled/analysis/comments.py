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

# Every pattern runs in linear time: each starts only where a token can start (a look-behind that fails inside
# a run of the same characters), repeats possessively (``++``, ``*+``: no backtracking) or a bounded number of
# times, and leaves the fine checks (top-level domain, check digit, date-like slashes) to Python.
_AT = r"(?: ?[@\uff20] ?| ?[(\[{]at[)\]}] ?| at )"
_DOT = r"(?:\.| ?[(\[{]dot[)\]}] ?| dot )"
EMAIL = re.compile(
    rf"(?<![\w.%+'&=-])(?P<local>[\w.%+'&=-]++)(?P<at>{_AT})(?P<domain>[\w-]++(?:{_DOT}[\w-]++)++)",
    re.IGNORECASE,
)
# Top-level domains a plain-word " at " must end in before it counts as an e-mail ("jo at example.org").
_PLAIN_AT_TLDS = frozenset(
    ("com", "org", "net", "uk", "edu", "gov", "io", "info", "biz", "eu", "ie", "me", "scot", "wales", "nhs")
)
_SEP = r"(?: ?[.\-\u2010-\u2015\u2212/] ?| )?+"  # space, dot, hyphen, en or em dash, minus or slash
_START = r"(?<![\w+])(?<!\d[.\-\u2010-\u2015\u2212/])"  # not inside a longer number such as 1-2-3-...
NHS_NUMBER = re.compile(rf"{_START}\d(?:{_SEP}\d){{9}}(?!\w|[.\-\u2010-\u2015\u2212/]\d)")
UK_PHONE = re.compile(
    _START + r"(?:(?:\+ ?44|\(\+44\)|0044)" + _SEP + r"(?:\(0\)" + _SEP + r")?|\(0|0)\d"
    r"(?:\)?" + _SEP + r"\d){8,9}(?!\w|[.\-\u2010-\u2015\u2212/]\d)"
    r"|" + _START + r"\+(?!44)\d{1,3}(?:" + _SEP + r"\(?\d\)?){6,12}(?!\w|[.\-\u2010-\u2015\u2212/]\d)"
)
UK_POSTCODE = re.compile(
    r"(?<![\w-])(?:[A-Z]{1,2}\d[A-Z\d]?[ -]?\d ?[ABD-HJLNP-UW-Z]{2}|GIR[ -]?0AA)(?![\w-])", re.IGNORECASE
)
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


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _not_an_email(match: re.Match) -> bool:
    """A local part and a domain that end in no plausible top-level domain, e.g. ``v1.2`` or ``a@b.c``."""
    tld = re.split(_DOT, match.group("domain"), flags=re.IGNORECASE)[-1].lower()
    plausible = (len(tld) >= 2 and tld.isalpha()) or tld.startswith("xn--")
    if match.group("at").strip().lower() == "at":
        return tld not in _PLAIN_AT_TLDS
    return not plausible


_DATE = re.compile(r"\d{1,2} ?/ ?\d{1,2} ?/ ?\d{2,4}")
_DECIMAL = re.compile(r"\d\.\d+")


def _not_a_phone(match: re.Match) -> bool:
    """A date and time (``01/02/2026 10``) or a decimal fraction (``0.123456789``) rather than a number to ring."""
    return bool(_DATE.match(match.group(0)) or _DECIMAL.fullmatch(match.group(0)))


def _not_an_nhs_number(match: re.Match) -> bool:
    return bool(_DECIMAL.fullmatch(match.group(0))) or not is_valid_nhs_number(_digits(match.group(0)))


@lru_cache(maxsize=32)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern | None:
    cleaned = sorted({name.strip() for name in names if name.strip()}, key=lambda n: (-len(n), n))
    if not cleaned:
        return None
    alternatives = "|".join(r"[\s-]++".join(map(re.escape, name.split())) for name in cleaned)
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

    out = substitute(EMAIL, "email", text, keep=_not_an_email)
    out = substitute(NHS_NUMBER, "nhs_number", out, keep=_not_an_nhs_number)
    out = substitute(UK_PHONE, "phone", out, keep=_not_a_phone)
    out = substitute(UK_POSTCODE, "postcode", out)
    pattern = _names_pattern(tuple(names))
    if pattern is not None:
        out = substitute(pattern, "name", out)
    return Redaction(out, tuple(removed))


@dataclass(frozen=True)
class _Lexicon:
    """A framework's keywords as lookups on lower-case words: one pass over the words of a text, in linear time."""

    words: dict[str, frozenset[str]]  # whole word -> theme ids
    stems: dict[str, frozenset[str]]  # ``stem*`` -> theme ids
    stem_lengths: tuple[int, ...]
    phrases: dict[str, tuple[tuple[tuple[str, ...], bool, str], ...]]  # first word -> (words, wildcard, theme)


@lru_cache(maxsize=8)
def _lexicon(framework: Framework) -> _Lexicon:
    words: dict[str, set[str]] = {}
    stems: dict[str, set[str]] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], bool, str]]] = {}
    for theme in framework.themes:
        for keyword in theme.keywords:
            stem, wildcard = (keyword[:-1], True) if keyword.endswith("*") else (keyword, False)
            parts = tuple(part for part in _WORD.findall(stem.lower()))
            if len(parts) == 1:
                (stems if wildcard else words).setdefault(parts[0], set()).add(theme.id)
            elif parts:
                phrases.setdefault(parts[0], []).append((parts, wildcard, theme.id))
    return _Lexicon(
        {k: frozenset(v) for k, v in words.items()},
        {k: frozenset(v) for k, v in stems.items()},
        tuple(sorted({len(stem) for stem in stems})),
        {k: tuple(v) for k, v in phrases.items()},
    )


_WORD = re.compile(r"\w+")
_TOKENS = re.compile(r"(\W+)")
_JOINER = re.compile(r"[\s-]+")


def tag_themes(text: str, framework: Framework) -> tuple[str, ...]:
    """Theme ids whose keywords appear in the text (whole words; ``stem*`` any ending), in framework order.

    >>> from wellled.analysis.framework import load_framework
    >>> tag_themes("The manager listens and acts on our feedback", load_framework())
    ('W1', 'W3')
    """
    lexicon = _lexicon(framework)
    tokens = _TOKENS.split(text.lower())  # word, separator, word, ...: words at even positions
    found: set[str] = set()
    for word in set(tokens[0::2]):
        found |= lexicon.words.get(word, frozenset())
        for length in lexicon.stem_lengths:
            if len(word) >= length:
                found |= lexicon.stems.get(word[:length], frozenset())
    if lexicon.phrases:
        for index in range(0, len(tokens), 2):
            for parts, wildcard, theme_id in lexicon.phrases.get(tokens[index], ()):
                if theme_id not in found and _phrase_at(tokens, index, parts, wildcard):
                    found.add(theme_id)
    return tuple(theme.id for theme in framework.themes if theme.id in found)


def _phrase_at(tokens: list[str], index: int, parts: tuple[str, ...], wildcard: bool) -> bool:
    """The phrase's words follow one another from word ``index``, joined only by spaces or hyphens."""
    last = index + 2 * (len(parts) - 1)
    if last >= len(tokens):
        return False
    for offset, part in enumerate(parts[1:], 1):
        word, joiner = tokens[index + 2 * offset], tokens[index + 2 * offset - 1]
        if not _JOINER.fullmatch(joiner):
            return False
        if word != part and not (wildcard and offset == len(parts) - 1 and word.startswith(part)):
            return False
    return True


def comment_table(
    responses: pd.DataFrame,
    framework: Framework,
    home_id: str,
    period: str,
    min_respondents: int = 5,
    names: Iterable[str] = (),
) -> pd.DataFrame:
    """Redacted, tagged comments of one home and period, from groups with at least ``min_respondents``
    questionnaires in the period, each text once per group. Columns: ``respondent_group``, ``text``,
    ``theme_ids``, ``removed``.
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
    records, seen = [], set()
    for group, comment in zip(rows["respondent_group"], rows["_text"], strict=True):
        redaction = redact(str(comment), names)
        if (str(group), redaction.text) in seen:  # the same words twice say nothing more, and may identify
            continue
        seen.add((str(group), redaction.text))
        records.append(
            {
                "respondent_group": str(group),
                "text": redaction.text,
                "theme_ids": tag_themes(redaction.text, framework),
                "removed": tuple(sorted(set(redaction.removed))),
            }
        )
    return pd.DataFrame(records, columns=["respondent_group", "text", "theme_ids", "removed"])
