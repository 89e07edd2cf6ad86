"""Page one of a home report: the overall rating, the table of themes, and every item needing attention.

Change over time and position against other homes use two vocabularies (arrows, filled shapes) so neither is
read as the other. :func:`page_one_items` estimates how many attention items fit under the table; the rest are
counted by section.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections import Counter
from dataclasses import dataclass

import pandas as pd
from IPython.display import Markdown

from wellled.analysis.ratings import RATINGS
from wellled.report.content import HomeReport, evidence, evidence_word, judged_on, plural_label, text_label
from wellled.report.present import md
from wellled.report.present import pct as _pct

RATING_ORDER = {rating: rank for rank, rating in enumerate(reversed(RATINGS[:4]))} | {RATINGS[4]: 4}
LOW_RESPONSE_PCT = 30.0  # below this a group's view is thin; sector surveys typically reach 36-48 %


def overall_sentence(summary: dict) -> Markdown:
    """The overall indicative rating with the evidence behind it."""
    themes = summary["themes"]
    levels = Counter(evidence(t).get("level") for t in themes)
    questionnaires = (summary.get("disclosure") or {}).get("questionnaires")
    if None not in levels:
        parts = [f"{n} {level}" for level, n in sorted(levels.items(), key=lambda kv: str(kv[0])) if level]
        basis = f"Evidence by {text_label(summary).lower()}: {', '.join(parts)}."
    else:
        audited = sum(t["audit"]["items"] for t in themes)
        basis = f"Evidence: {audited} audit items across {len(themes)} {plural_label(summary)}."
    if questionnaires is not None:
        basis += f" {questionnaires} questionnaires returned this quarter."
    return md(
        "**Indicative overall rating for Well-led: {overall}.** {basis} Indicative: drawn from the provider's own "
        "surveys and audits, not a CQC rating.",
        overall=summary["overall_rating"],
        basis=basis,
    )


# --- two comparisons, two vocabularies ----------------------------------------------------------------------

OVER_TIME = {"up": "↑ up", "down": "↓ down", "steady": "→ no significant change"}
AGAINST_HOMES = {"above": "▲ above", "below": "▼ below", "within": "● within"}


def over_time(theme: dict) -> str:
    """Change over time: arrows. The SPC signal when the summary has one, else the change on last quarter."""
    spc = theme.get("spc") or {}
    signal = spc.get("signal")
    if signal == "improvement":
        return "↑ improving"
    if signal == "concern":
        return "↓ concern"
    if signal == "common_cause":
        return "→ steady"
    change = theme.get("change") or {}
    if change.get("change_pct_points") is None:
        return "– no comparison"
    if not change.get("significant"):
        return OVER_TIME["steady"]
    return OVER_TIME["up" if change["change_pct_points"] > 0 else "down"]


def against_homes(theme: dict) -> str:
    """Position against the provider's other homes: filled shapes, never arrows."""
    return AGAINST_HOMES.get((theme.get("benchmark") or {}).get("funnel") or "", "– too few homes")


def symbols_key(summary: dict) -> Markdown:
    return md(
        "*Survey*: percent of answers positive. *Audit*: percent compliance. *Over time*: ↑ improving or ↓ concern "
        "when the quarters show a statistical signal (SPC), → steady when they do not. *Against other homes*: "
        "▲ above, ● within or ▼ below the funnel limits of the other homes (99.8 %). *Score*: 0-100, with its "
        "95 % range where known."
    )


def _score(theme: dict) -> str:
    if theme["score"] is None:
        return "–"
    ci = theme.get("score_ci95")
    shown = f"{theme['score']:.1f}"
    return f"{shown}\u00a0({ci[0]:.0f}–{ci[1]:.0f})" if ci else shown  # no-break space: one line


def _rating(theme: dict) -> str:
    """The rating, and where its 95 % range reaches another rating: 'Inadequate, up to Requires improvement'.

    >>> _rating({"rating": "Good", "rating_range": {"low": "Requires improvement", "high": "Good"}})
    'Good, down to Requires improvement'
    """
    rating, span = theme["rating"], theme.get("rating_range") or {}
    low, high = span.get("low") or rating, span.get("high") or rating
    if low != rating and high != rating:
        rating += f" ({low} to {high})"
    elif high != rating:
        rating += f", up to {high}"
    elif low != rating:
        rating += f", down to {low}"
    return rating + (" (capped)" if theme.get("rating_capped") else "")


TABLE_WIDTHS = (20, 23, 13, 7, 7, 11, 9, 11)  # relative widths of the columns of :func:`themes_table`


def themes_table(summary: dict) -> pd.DataFrame:
    """Page one's table: one row per theme, its rating, score and the evidence, in the framework's words.

    The Evidence column is left out when every theme has the same level: :func:`overall_sentence` states it.
    """
    rows = []
    for t in summary["themes"]:
        survey, audit = t["survey"], t["audit"]
        rows.append(
            {
                text_label(summary): t["label"],
                "Rating": _rating(t),
                "Score": _score(t),
                "Survey": "hidden" if survey["suppressed"] else _pct(survey["positive_pct"]),
                "Audit": _pct(audit["compliance_pct"]),
                "Over time": over_time(t),
                "Against other homes": against_homes(t),
                "Evidence": evidence_word(t),
            }
        )
    frame = pd.DataFrame(rows)
    levels = {evidence(t).get("level") for t in summary["themes"]}
    return frame.drop(columns="Evidence") if len(levels) == 1 and None not in levels else frame


# --- attention -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attention:
    """One thing needing attention: how serious (lower first), the sentence, and the section that has more."""

    rank: float
    text: str
    section: str


def attention(report: HomeReport) -> list[Attention]:
    """Every attention item, most serious first."""
    summary = report.summary
    found: list[tuple[float, float, Attention]] = []

    def add(rank: float, tie: float, text: str, section: str) -> None:
        found.append((rank, tie, Attention(rank, text, section)))

    for rating in ("Inadequate", "Requires improvement"):
        rated = sorted((t for t in summary["themes"] if t["rating"] == rating), key=lambda t: t["score"] or 0)
        if not rated:
            continue
        words = [
            f"{t['label']}"
            + (f" ({t['score']:.1f}" if t["score"] is not None else " (")
            + (", capped by an overdue high-priority action)" if t.get("rating_capped") else ")")
            for t in rated
        ]
        words = [w.replace(" ()", "") for w in words]
        if len(rated) == 1:
            add(RATING_ORDER[rating], 0, f"{words[0]} is rated {rating}.", rated[0]["label"])
        else:
            label = plural_label(summary)
            add(RATING_ORDER[rating], 0, f"{len(rated)} {label} rated {rating}: {'; '.join(words)}.", rated[0]["label"])
    for theme in summary["themes"]:
        label = theme["label"]
        spc = theme.get("spc") or {}
        change = theme.get("change") or {}
        if spc.get("signal") == "concern":
            add(2, 0, f"{label}: {(spc.get('words') or 'a sustained fall over time').rstrip('.')}.", label)
        elif change.get("significant") and (change.get("change_pct_points") or 0) < 0:
            moved = abs(change["change_pct_points"])
            add(
                2,
                -moved,
                f"{label}: positive answers fell {moved:.1f} points since {change['previous_period']}.",
                label,
            )
        level = evidence(theme).get("level")
        if level in ("limited", "none") or theme["survey"]["suppressed"]:
            thin = evidence(theme).get("words") or "too few questionnaires to report the survey"
            add(4, 0, f"{label}: thin evidence ({thin}).", label)
    below = [t["label"] for t in summary["themes"] if (t.get("benchmark") or {}).get("funnel") == "below"]
    if below:
        add(
            2.5,
            0,
            f"Below the provider's other homes (under the 99.8 % funnel limit) on {len(below)} "
            f"{plural_label(summary) if len(below) > 1 else text_label(summary).lower()}: {', '.join(below)}.",
            below[0],
        )
    day = judged_on(summary)
    for item in summary["actions"]["items"]:
        if item["is_overdue"] and item.get("priority") == "high":
            late = (day - dt.date.fromisoformat(item["due_on"])).days
            owner = f", owner {item['action_owner']}" if item.get("action_owner") else ""
            add(
                0.5,
                -late,
                f"Overdue high-priority action on '{item['item']}'{owner}: {late} days overdue.",
                "Action plan",
            )
    for finding in summary["repeat_findings"]:
        runs = finding.get("consecutive_not_met", 2)
        add(1.5, -runs, f"Repeat audit failure: '{finding['item']}' not met at {runs} audits running.", "Action plan")
    for group, rate in summary["response_rates"].items():
        if rate.get("rate_pct") is not None and not rate.get("suppressed") and rate["rate_pct"] < LOW_RESPONSE_PCT:
            add(
                3,
                rate["rate_pct"],
                f"Low response rate, {group}: {_pct(rate['rate_pct'])} ({rate['responses']} of {rate['eligible']}).",
                "Response rates",
            )
    found.sort(key=lambda item: (item[0], item[1]))
    return [item for _, _, item in found]


def attention_markdown(items: list[Attention], shown: int | None = None) -> Markdown:
    """A numbered list of the first ``shown`` items and 'and N more in section X' for the rest."""
    if not items:
        return md(
            "Nothing stands out this quarter: no theme below Good, no overdue high-priority action, no repeat "
            "audit failure, no position below the other homes."
        )
    shown = len(items) if shown is None else shown
    lines = [md("{n}. {text}", n=i + 1, text=item.text).data for i, item in enumerate(items[:shown])]
    rest = Counter(item.section for item in items[shown:])
    if rest:
        where = ", ".join(f"{n} in section {section}" for section, n in rest.items())
        lines.append("")
        lines.append(md("And {n} more: {where}.", n=sum(rest.values()), where=where).data)
    return Markdown("\n".join(lines))


PAGE_ONE_LINES = 37.0  # lines of body text page one has for the theme table's rows and the attention list
SCORES_CHART_LINES = 15.0


def _item_lines(item: Attention) -> int:
    return -(-len(item.text) // 100)


def _table_lines(summary: dict) -> float:
    """Body lines the theme table takes: its label wraps at about 18 characters, its rating at 21, in 8 pt."""
    rows = [max(len(textwrap.wrap(t["label"], 18)), len(textwrap.wrap(_rating(t), 21))) for t in summary["themes"]]
    return sum(0.8 * lines + 0.5 for lines in rows) + 2


def page_one_items(summary: dict, items: list[Attention]) -> int:
    """How many attention items fit on page one under the theme table (at least three, the rest counted)."""
    room = round(PAGE_ONE_LINES - _table_lines(summary), 3)
    if sum(_item_lines(item) for item in items) <= room:
        return len(items)  # all fit: no "And N more" line needed
    budget = room - 2  # two lines for "And N more"
    used, shown = 0.0, 0
    for item in items:
        if used + _item_lines(item) > budget:
            break
        used += _item_lines(item)
        shown += 1
    return len(items) if shown == len(items) else max(3, shown)


def room_on_page_one(summary: dict, items: list[Attention]) -> bool:
    """True when the theme scores chart also fits on page one, below the table and every attention item."""
    if page_one_items(summary, items) < len(items):
        return False
    used = max(2, sum(_item_lines(item) for item in items))
    return _table_lines(summary) + used + SCORES_CHART_LINES <= PAGE_ONE_LINES + 1
