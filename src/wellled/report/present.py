"""Helpers a report notebook uses to put data into Markdown safely.

Everything that comes from data (home names, comments, action text) goes through :func:`text`, :func:`md` or
:func:`table`, so that HTML tags, Markdown, typst markup, ``$maths$`` and ``@references`` in the data show
literally in the rendered HTML and PDF. The notebook's own Markdown (the template) stays Markdown.

>>> print(text("<b>x</b> $x$ @ref #set"))
\\<b\\>x\\<\\/b\\> \\$x\\$ \\@ref \\#set
"""

from __future__ import annotations

import math
import re
import string
import textwrap
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import Markdown

__all__ = ["Styled", "md", "pct", "table", "text"]

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")
_LONG_WORD = re.compile(r"\S{31,}")  # in a table cell, may break every 20 characters, or it overflows the page
MISSING = "–"
_STYLED = re.compile(r"^\[(.*)\]\{\.[a-z-]+\}$")


def pct(value: float | None) -> str:
    """A percentage as the summary holds it (one decimal place, never rounded twice), or a dash when missing.

    >>> pct(56.5), pct(80.0), pct(None)
    ('56.5%', '80.0%', '–')
    """
    return MISSING if value is None else f"{value:.1f}%"


@dataclass(frozen=True)
class Styled:
    """A table cell shown with a style class (a status colour) beside its words; the words carry the meaning.

    >>> print(table(pd.DataFrame({"s": [Styled("Overdue <1>", "status-overdue")]})).data.splitlines()[-1])
    | [Overdue \\<1\\>]{.status-overdue} |
    """

    words: str
    style: str

    def __str__(self) -> str:
        return self.words


def _is_missing(value: Any) -> bool:
    """None, NaN, pd.NA or NaT (a scalar; containers are never missing)."""
    if value is None:
        return True
    missing = pd.isna(value)
    return isinstance(missing, bool | np.bool_) and bool(missing)


def plain(name: object) -> str:
    """A name from data on one line, without control or bidirectional formatting characters, which would reorder
    the text around them (a right-to-left override turns "Birch Lodge" into "egdoL hcriB").

    >>> plain(chr(0x202E) + "Birch" + chr(10) + " Lodge")
    'Birch Lodge'
    """
    return " ".join("".join(c for c in str(name) if unicodedata.category(c) not in ("Cc", "Cf")).split())


def text(value: Any) -> str:
    """``value`` as Markdown text that renders literally, on one line; None and NaN become ''.

    Every ASCII punctuation character is backslash-escaped (pandoc reads ``\\x`` as a literal ``x``), line
    breaks and runs of spaces become one space, and control characters and bidirectional controls (which
    reorder the text around them) are dropped.

    >>> text("Tea & cake: 5* [sic]")
    'Tea \\\\& cake\\\\: 5\\\\* \\\\[sic\\\\]'
    >>> text(None)
    ''
    >>> text("Good\u202e doog")
    'Good doog'
    """
    if _is_missing(value):
        return ""
    flat = _SPACE.sub(" ", _CONTROL.sub("", str(value))).strip()
    return _PUNCTUATION.sub(r"\\\1", flat)


class _EscapingFormatter(string.Formatter):
    """str.format that escapes each replacement field after formatting it."""

    def format_field(self, value: Any, format_spec: str) -> str:
        return text(format(value, format_spec) if not _is_missing(value) else value)


def md(template: str, /, *args: Any, **values: Any) -> Markdown:
    """Markdown from a trusted template whose ``{fields}`` are filled with escaped data.

    >>> md("**{home}** scored {score:.0%}", home="Oak <House>", score=0.8).data
    '**Oak \\\\<House\\\\>** scored 80\\\\%'
    """
    return Markdown(_EscapingFormatter().format(template, *args, **values))


def _cell(value: Any, formatter: Callable[[Any], str] | str | None) -> str:
    if _is_missing(value):
        return MISSING
    if isinstance(value, Styled) and re.fullmatch(r"[a-z][a-z-]*", value.style):
        words = "\u00a0".join(text(part) for part in value.words.split("\u00a0"))  # no-break spaces kept
        return f"[{words}]{{.{value.style}}}"
    if callable(formatter):
        shown = formatter(value)
    elif formatter is not None:
        shown = format(value, formatter)
    elif isinstance(value, bool):
        shown = "Yes" if value else "No"
    elif isinstance(value, int):
        shown = f"{value:,}"
    elif isinstance(value, float):
        shown = f"{value:,.1f}"
    else:
        shown = str(value)
    breakable = _LONG_WORD.sub(lambda word: "\u200b".join(textwrap.wrap(word.group(0), 20)), str(shown))
    return text(breakable) or MISSING


def _is_number_column(values: Sequence[Any]) -> bool:
    present = [v for v in values if not _is_missing(v)]
    return bool(present) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in present
    )


LINE_BUDGET = 84  # characters of 9 pt table text across an A4 text width, cell padding included


def _widths(columns: list[list[str]], max_width: int) -> list[int]:
    """Relative column widths for a pipe table.

    Each column wants its longest cell (up to ``max_width``) and needs at least its longest word, since a date or
    a priority cannot wrap. When the wants exceed a line, only the columns that can wrap give way.
    """
    plain = [[_STYLED.sub(r"\1", cell).replace("\\", "") for cell in column] for column in columns]
    need = [max(3, min(25, max((len(w) for c in column for w in c.split()), default=0))) + 2 for column in plain]
    want = [
        max(n, min(max_width, max((len(c) for c in column), default=0)) + 2)
        for n, column in zip(need, plain, strict=True)
    ]
    excess = sum(want) - LINE_BUDGET
    give = [w - n for w, n in zip(want, need, strict=True)]
    spare: int = sum(give, 0)
    if excess > 0 and spare:
        share = min(1.0, excess / spare)
        want = [w - int(g * share) for w, g in zip(want, give, strict=True)]
    return want


def table(
    frame: Any,
    caption: str | None = None,
    *,
    label: str | None = None,
    index: bool = False,
    formats: Mapping[str, Callable[[Any], str] | str] | None = None,
    max_width: int = 40,
    widths: Sequence[int] | None = None,
) -> Markdown:
    """A DataFrame as a Markdown pipe table whose header and cell text are escaped.

    It renders as a real table in HTML and PDF (header repeated when it runs over a page break). Numbers are
    right-aligned; ``formats`` maps a column to a format spec (``".0%"``) or a function; missing values show as
    a dash. ``caption`` is data too (escaped); ``label`` (``tbl-...``) lets Markdown refer to it as ``@tbl-...``.
    ``widths``: relative column widths, in place of the ones worked out from the cells.

    >>> import pandas as pd
    >>> print(table(pd.DataFrame({"home": ["A|B"], "score": [0.5]}), formats={"score": ".0%"}).data)
    | home | score |
    |:-------|--------:|
    | A\\|B | 50\\% |
    """
    data = frame.reset_index() if index else frame
    formats = dict(formats or {})
    columns = [str(name) for name in data.columns]
    cells = [
        [_cell(value, formats.get(name)) for value in data[column].tolist()]
        for name, column in zip(columns, data.columns, strict=True)
    ]
    numeric = [_is_number_column(data[column].tolist()) for column in data.columns]
    header = [text(name) or " " for name in columns]
    if widths is None or len(widths) != len(columns):
        widths = _widths([[header[i], *cells[i]] for i in range(len(columns))], max_width)
    rule = [("-" * (w + 1) + ":") if num else (":" + "-" * (w + 1)) for w, num in zip(widths, numeric, strict=True)]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in zip(*cells, strict=True)] if cells else []
    if caption or label:
        attribute = f" {{#{label}}}" if label else ""
        lines += ["", f": {text(caption or '')}{attribute}"]
    return Markdown("\n".join(lines))
