"""Import flags of the last ``wellled check`` attributed to the homes they concern, for the provider overview.

A flag belongs to a file; it counts for a home when its message names the home (its id or name as whole
words) or the lines it gives are that home's rows.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from wellled.analysis.clean_data import CleanData
    from wellled.paths import Paths


def named_homes(message: str, homes: pd.DataFrame) -> set[str]:
    """Homes whose id or name is a whole word of ``message`` ("ash" is not in "hash"), the longest name winning
    where names overlap ("Oak" is not named by "Oak House").

    >>> import pandas as pd
    >>> homes = pd.DataFrame({"home_id": ["ash", "oak", "oak-house"], "home_name": ["Ash", "Oak", "Oak House"]})
    >>> sorted(named_homes("ids replaced by a keyed hash; columns Oak House notes, oak-house", homes))
    ['oak-house']
    """
    return _named(message, _patterns(homes))


def _patterns(homes: pd.DataFrame) -> list[tuple[str, re.Pattern[str]]]:
    """Each home's id and name as a whole-word pattern, compiled once for all the flags."""
    return [
        (home.home_id, re.compile(rf"(?<![\w-]){re.escape(needle)}(?![\w-])"))
        for home in homes.itertuples(index=False)
        for needle in {home.home_id, home.home_name}
        if needle.strip()
    ]


def _named(message: str, patterns: list[tuple[str, re.Pattern[str]]]) -> set[str]:
    found = [(match.start(), match.end(), home) for home, pattern in patterns for match in pattern.finditer(message)]
    return {
        home
        for start, end, home in found
        if not any(s <= start and end <= e and e - s > end - start for s, e, _ in found)
    }


_LINES = re.compile(r"\blines? ([\d, ]+)")


def flag_counts(paths: Paths, clean: CleanData, homes: pd.DataFrame) -> dict[str, int]:
    """Import flags of the last check per home: those naming the home, and those whose file lines are its rows."""
    try:
        flags = json.loads(paths.manifest.read_text(encoding="utf-8")).get("flags") or []
    except (OSError, ValueError):
        flags = []
    patterns = _patterns(homes)
    cited = {(flag.get("file"), n) for flag in flags for n in _cited_lines(str(flag.get("message", "")))}
    rows = clean.responses[["source_file", "source_line", "home_id"]].dropna()
    rows = rows[  # only the rows a flag gives the line of
        rows["source_file"].isin({str(file) for file, _ in cited}) & rows["source_line"].isin({n for _, n in cited})
    ]
    keys = zip(rows["source_file"].astype(str), rows["source_line"].astype(int), strict=True)
    owner = dict(zip(keys, rows["home_id"].astype(str), strict=True))
    counts = dict.fromkeys(homes["home_id"], 0)
    for flag in flags:
        message = str(flag.get("message", ""))
        named = _named(message, patterns)
        named |= {owner[(flag.get("file"), n)] for n in _cited_lines(message) if (flag.get("file"), n) in owner}
        for home in named & counts.keys():
            counts[home] += 1
    return counts


def _cited_lines(message: str) -> list[int]:
    """The file lines a flag's message gives ("lines 4, 9"), if any."""
    lines = _LINES.search(message)
    return [int(n) for n in re.findall(r"\d+", lines.group(1))] if lines else []
