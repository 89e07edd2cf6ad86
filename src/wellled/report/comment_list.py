"""What people said: distinct comments with counts, per theme and in the appendix."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from IPython.display import Markdown

from wellled.report.content import text_label
from wellled.report.present import md


def theme_comments(summary: dict, theme: dict, shown: int = 4) -> Markdown | None:
    """Up to ``shown`` distinct comments on this theme with counts, and where the rest are."""
    said = [c for c in summary["comments"] if theme["id"] in c["theme_ids"]]
    return _comment_list(said, "on this theme", shown)


def other_comments(summary: dict, shown: int = 4) -> Markdown | None:
    said = [c for c in summary["comments"] if not c["theme_ids"]]
    return _comment_list(said, "that match no theme", shown)


def counted(n: int, noun: str) -> str:
    """'1 comment', '3 comments'.

    >>> counted(1, "comment"), counted(3, "comment")
    ('1 comment', '3 comments')
    """
    return f"{n} {noun}{'' if n == 1 else 's'}"


def distinct_comments(said: list[dict]) -> list[tuple[str, str, int]]:
    """(text, groups, count) for each distinct comment text, most repeated first, then in order."""
    counts: Counter[str] = Counter(c["text"] for c in said)
    groups: dict[str, list[str]] = {}
    for c in said:
        groups.setdefault(c["text"], [])
        if c["respondent_group"] not in groups[c["text"]]:
            groups[c["text"]].append(c["respondent_group"])
    order = {text: i for i, text in enumerate(groups)}
    return sorted(((t, ", ".join(groups[t]), n) for t, n in counts.items()), key=lambda r: (-r[2], order[r[0]]))


def _comment_list(said: list[dict], about: str, shown: int) -> Markdown | None:
    if not said:
        return None
    distinct = distinct_comments(said)
    lines = [
        md(
            "**What people said**: {n} {about} ({d} different; personal details removed).",
            n=counted(len(said), "comment"),
            about=about,
            d=len(distinct),
        ).data,
        "",
    ]
    for text, groups, n in distinct[:shown]:
        lines.append(
            md("- “{text}” ({groups}{times})", text=text, groups=groups, times=f", {n} times" if n > 1 else "").data
        )
    if len(distinct) > shown:
        rest = len(distinct) - shown
        where = "The other one is" if rest == 1 else f"The other {rest} are"
        lines += ["", md("{where} in the appendix, All comments.", where=where).data]
    return Markdown("\n".join(lines))


def all_comments(summary: dict) -> pd.DataFrame:
    """Every distinct comment once, with its groups, how many said it, and the themes it speaks to."""
    labels = {t["id"]: t["label"] for t in summary["themes"]}
    themes_of: dict[str, list[str]] = {}
    for c in summary["comments"]:
        themes_of.setdefault(c["text"], [])
        for theme_id in c["theme_ids"]:
            if labels.get(theme_id) and labels[theme_id] not in themes_of[c["text"]]:
                themes_of[c["text"]].append(labels[theme_id])
    rows = [
        {"Comment": text, "Who": groups, "Times": n, text_label(summary): ", ".join(themes_of[text]) or "none"}
        for text, groups, n in distinct_comments(summary["comments"])
    ]
    return pd.DataFrame(rows, columns=["Comment", "Who", "Times", text_label(summary)])
