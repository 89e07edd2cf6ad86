"""What a home report shows, gathered in one call so the notebook stays thin.

:func:`load_home_report` reads the clean data once and builds the summary (the same JSON as
``wellled summary``), the theme figures of every home (for funnel plots), and this home's quarantine rows.
The other functions are pure: they turn that into the pieces a committee reads (page one, the per-theme
narrative, the action plan, comments, the suppression list, provenance). Sentences are built here; the notebook
decides what goes where, and data text is escaped with :mod:`wellled.report.present`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from wellled import __version__
from wellled.analysis.clean_data import load_clean
from wellled.analysis.framework import Framework, load_framework
from wellled.analysis.ratings import RATINGS
from wellled.analysis.summary import build_summary, to_json
from wellled.analysis.themes import AnalysisParams, funnel_frame, theme_figures
from wellled.paths import Paths
from wellled.periods import period_bounds
from wellled.report import charts
from wellled.report.present import Styled, md
from wellled.report.present import pct as _pct

RATING_ORDER = {rating: rank for rank, rating in enumerate(reversed(RATINGS[:4]))} | {RATINGS[4]: 4}


@dataclass(frozen=True)
class HomeReport:
    summary: dict
    figures: pd.DataFrame
    framework: Framework
    quarantine: pd.DataFrame
    parameters: dict
    generated_on: str
    data_up_to: str
    audits: pd.DataFrame | None = None

    @property
    def themes(self) -> list[dict]:
        return self.summary["themes"]


def load_home_report(
    home_id: str,
    period: str | None,
    framework: str,
    data_dir: str | Path,
    params: AnalysisParams | None = None,
    figures_file: str | Path = "",
) -> HomeReport:
    """Everything one home's report needs, from ``DATA/clean``.

    ``figures_file``: every home's theme figures, computed once by ``wellled reports`` for the whole run with the
    same data, framework and parameters; without it they are computed here.
    """
    paths = Paths.from_options(data_dir)
    params = params or AnalysisParams()
    clean = load_clean(paths)
    chosen = load_framework(framework)
    figures = pd.read_parquet(figures_file) if figures_file else theme_figures(clean, chosen, params)
    summary = build_summary(clean, home_id, period or None, chosen, params, figures=figures)
    quarantine_file = paths.quarantine_dir / "quarantine.parquet"
    quarantine = pd.read_parquet(quarantine_file) if quarantine_file.exists() else pd.DataFrame()
    audits = clean.audits.loc[clean.audits["home_id"] == home_id, ["item_id", "audit_date", "result"]]
    if "home_id" in quarantine:
        quarantine = quarantine[quarantine["home_id"] == home_id]
    parameters = {
        "home_id": home_id,
        "period": summary["period"],
        "framework": chosen.id,
        "min_respondents": params.min_respondents,
    }
    end = pd.Timestamp(period_bounds(summary["period"])[1])
    dates = pd.concat(
        [
            clean.responses.loc[clean.responses["home_id"] == home_id, "submitted_on"],
            clean.audits.loc[clean.audits["home_id"] == home_id, "audit_date"],
        ]
    )
    latest = dates[dates <= end].max()
    return HomeReport(
        summary,
        figures,
        chosen,
        quarantine.reset_index(drop=True),
        parameters,
        dt.date.today().isoformat(),
        latest.date().isoformat() if pd.notna(latest) else "no data",
        audits.reset_index(drop=True),
    )


def write_summary(report: HomeReport, folder: Path = Path(".")) -> None:
    """Save the summary this report shows as ``summary.json`` (the same JSON as ``wellled summary``)."""
    (folder / "summary.json").write_text(to_json(report.summary), encoding="utf-8")


def funnel_data(report: HomeReport, theme_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(limits, homes) for the funnel plot of one theme in the report's period; suppressed homes left out."""
    period = report.summary["period"]
    limits = funnel_frame(report.figures, period, theme_id, home_id=report.summary["home_id"])
    figures = report.figures
    homes = figures[
        (figures["period"] == period)
        & (figures["theme_id"] == theme_id)
        & ~figures["suppressed"]
        & figures["positive_pct"].notna()
    ]
    return limits, homes[["home_id", "valid", "positive_pct"]].astype({"valid": float, "positive_pct": float})


# --- identity and wording --------------------------------------------------------------------------------

LOW_RESPONSE_PCT = 30.0  # below this a group's view is thin; sector surveys typically reach 36-48 %
DUE_SOON_DAYS = 14


def text_label(summary: dict) -> str:
    """What the framework calls a theme: 'Key line of enquiry', 'We statement' (singular, capitalised)."""
    return (summary.get("framework") or {}).get("text_label") or "Theme"


def plural_label(summary: dict) -> str:
    """'key lines of enquiry', 'we statements': the framework's word for its themes, in a sentence."""
    label = text_label(summary).lower()
    return label.replace("line of", "lines of") if "line of" in label else f"{label}s"


def judged_on(summary: dict) -> dt.date:
    """The day actions are judged on: the period's end, or ``as_of`` when earlier."""
    end = dt.date.fromisoformat(summary["period_end"])
    as_of = (summary.get("parameters") or {}).get("as_of")
    return min(end, dt.date.fromisoformat(as_of)) if as_of else end


def _long_date(day: str | dt.date) -> str:
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.day} {day:%B %Y}"


def report_title(summary: dict) -> Markdown:
    """Two paragraphs the renderer takes as the document title and subtitle (HTML title, PDF metadata)."""
    marked = "NOT FOR PUBLICATION: " if summary.get("not_for_publication") else ""
    return md(
        "{marked}{name}: Well-led governance report, {period}\n\n{framework}",
        marked=marked,
        name=summary["home_name"],
        period=summary["period"],
        framework=(summary.get("framework") or {}).get("name", ""),
    )


def identity(report: HomeReport) -> Markdown:
    """One line: quarter with its dates and the last day with data (the framework is the subtitle)."""
    s = report.summary
    warning = "**{notice}**\n\n" if s.get("not_for_publication") else ""
    return md(
        warning + "**Quarter** {period} ({start} to {end}) · **Data up to** {data_to}",
        notice=s.get("notice", ""),
        period=s["period"],
        start=_long_date(s["period_start"]),
        end=_long_date(s["period_end"]),
        data_to=_long_date(report.data_up_to) if report.data_up_to[:1].isdigit() else report.data_up_to,
    )


def evidence(theme: dict) -> dict:
    """The theme's evidence level and words; from the summary when it has them, else from the counts."""
    given = theme.get("evidence")
    if given:
        return given
    survey, audit = theme["survey"], theme["audit"]
    parts = []
    if not survey["suppressed"] and survey.get("respondents"):
        parts.append(f"{survey['valid']} answers from {survey['respondents']} questionnaires")
    if audit["items"]:
        parts.append(f"{audit['items']} audit items")
    level = "none" if theme["score"] is None else None
    return {"level": level, "words": "; ".join(parts) or "no survey or audit evidence this quarter"}


def evidence_word(theme: dict) -> str:
    level = evidence(theme).get("level")
    if level:
        return str(level).capitalize()
    survey, items = theme["survey"], theme["audit"]["items"]
    replies = "survey hidden" if survey["suppressed"] else f"{survey.get('respondents') or 0} replies"
    return f"{replies}, {items} audit items"


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
    return f"{shown} ({ci[0]:.0f}–{ci[1]:.0f})" if ci else shown


def _rating(theme: dict) -> str:
    words = (theme.get("rating_range") or {}).get("words")
    rating = words if words and words != theme["rating"] else theme["rating"]
    return rating + (" (capped)" if theme.get("rating_capped") else "")


def themes_table(summary: dict) -> pd.DataFrame:
    """Page one's table: one row per theme, its rating, score and the evidence, in the framework's words."""
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
    return pd.DataFrame(rows)


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


PAGE_ONE_LINES = 25.0  # lines of body text page one has for the theme table's rows and the attention list
SCORES_CHART_LINES = 15.0


def _item_lines(item: Attention) -> int:
    return -(-len(item.text) // 100)


def _table_lines(summary: dict) -> float:
    """Body lines the theme table's rows take: a label wraps at about 14 characters, in 8 pt type."""
    return sum(max(2, -(-len(t["label"]) // 14)) for t in summary["themes"]) * 0.75


def page_one_items(summary: dict, items: list[Attention]) -> int:
    """How many attention items fit on page one under the theme table (at least three, the rest counted)."""
    budget = PAGE_ONE_LINES - _table_lines(summary) - 2  # two lines for "And N more"
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


# --- the theme sections -----------------------------------------------------------------------------------


def themes_in_order(report: HomeReport) -> list[dict]:
    return report.themes


def rating_sentence(theme: dict) -> Markdown:
    ci = theme.get("score_ci95")
    template = "**Indicative rating: {rating}**"
    template += (
        " (capped at Requires improvement by an overdue high-priority action)" if theme.get("rating_capped") else ""
    )
    span = theme.get("rating_range") or {}
    if span.get("low") and span.get("high") and span["low"] != span["high"]:
        template += " (its 95 % range spans {low_rating} to {high_rating})"
    template += ". Score {score}" + (" (95 % range {low:.1f} to {high:.1f})" if ci else "") + ". {evidence}"
    return md(
        template,
        rating=theme["rating"],
        low_rating=span.get("low"),
        high_rating=span.get("high"),
        score="–" if theme["score"] is None else f"{theme['score']:.1f}",
        low=ci[0] if ci else None,
        high=ci[1] if ci else None,
        evidence=evidence(theme).get("words", "").rstrip(".") + ".",
    )


def _groups_phrase(theme: dict) -> str:
    """Which group is lowest: only said when at least two groups are shown and none is hidden."""
    by_group = theme["survey"]["by_group"]
    shown = [g for g in by_group if not g["suppressed"] and g["positive_pct"] is not None]
    hidden = [g for g in by_group if g["suppressed"]]
    if len(shown) >= 2 and not hidden:
        low = min(shown, key=lambda g: g["positive_pct"])
        return f"{low['respondent_group']} are lowest at {_pct(low['positive_pct'])}"
    if shown and hidden:
        listed = ", ".join(f"{g['respondent_group']} {_pct(g['positive_pct'])}" for g in shown)
        return f"groups shown: {listed} ({len(hidden)} hidden to protect small groups)"
    return ""


def narrative(theme: dict, summary: dict) -> Markdown:
    """A short factual paragraph from the figures: level, change over the year and quarter, groups, audit."""
    label, survey, audit = theme["label"], theme["survey"], theme["audit"]
    parts: list[str] = []
    if survey["suppressed"] or survey["positive_pct"] is None:
        parts.append(f"{label}: too few questionnaires this quarter to report the survey")
    else:
        parts.append(f"{label}: {_pct(survey['positive_pct'])} of survey answers positive")
        yoy = theme.get("year_on_year")
        if yoy and yoy.get("change_pct_points") is not None:
            moved = yoy["change_pct_points"]
            verdict = "significant (p < 0.05)" if yoy.get("significant") else "within chance"
            direction = "up" if moved > 0 else "down"
            parts.append(f"{direction} {abs(moved):.1f} points on {yoy['previous_period']}, {verdict}")
        else:
            shown = [p for p in theme["trend"] if not p["suppressed"] and p["positive_pct"] is not None]
            if len(shown) >= 2 and shown[0]["period"] != summary["period"]:
                parts.append(f"{_pct(shown[0]['positive_pct'])} in {shown[0]['period']}")
        phrase = charts.change_phrase(theme.get("change"), "last quarter")
        if phrase:
            parts.append(phrase)
        spc = theme.get("spc") or {}
        if spc.get("words"):
            parts.append(spc["words"].rstrip("."))
        groups = _groups_phrase(theme)
        if groups:
            parts.append(groups)
    sentence = "; ".join(parts) + "."
    combined = [g["respondent_group"] for g in survey["by_group"] if g.get("combined_from")]
    if combined:
        said = (summary.get("disclosure") or {}).get("words")
        fallback = f"{', '.join(combined)} are shown together because one group sent fewer than the minimum"
        sentence += f" {(said or fallback).rstrip('.')}."
    if audit["items"]:
        sentence += (
            f" Audit compliance {_pct(audit['compliance_pct'])} over "
            f"{audit['met'] + audit['partially_met'] + audit['not_met']} items "
            f"({audit['not_met']} not met, {audit['partially_met']} partially met)."
        )
    else:
        sentence += " No audit items this quarter."
    position = (theme.get("benchmark") or {}).get("funnel")
    if position:
        words = {"above": "above", "below": "below", "within": "within the range of"}[position]
        sentence += f" Against the provider's other homes: {words} them."
    return md("{text}", text=sentence)


def theme_comments(summary: dict, theme: dict, shown: int = 4) -> Markdown | None:
    """Up to ``shown`` distinct comments on this theme with counts, and where the rest are."""
    said = [c for c in summary["comments"] if theme["id"] in c["theme_ids"]]
    return _comment_list(said, "on this theme", shown)


def other_comments(summary: dict, shown: int = 4) -> Markdown | None:
    said = [c for c in summary["comments"] if not c["theme_ids"]]
    return _comment_list(said, "that match no theme", shown)


def _count(n: int, noun: str) -> str:
    """'1 comment', '3 comments'.

    >>> _count(1, "comment"), _count(3, "comment")
    ('1 comment', '3 comments')
    """
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _distinct(said: list[dict]) -> list[tuple[str, str, int]]:
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
    distinct = _distinct(said)
    lines = [
        md(
            "**What people said**: {n} {about} ({d} different; personal details removed).",
            n=_count(len(said), "comment"),
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
        lines += ["", md("The other {n} are in the appendix, All comments.", n=len(distinct) - shown).data]
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
        for text, groups, n in _distinct(summary["comments"])
    ]
    return pd.DataFrame(rows, columns=["Comment", "Who", "Times", text_label(summary)])


# --- response rates ----------------------------------------------------------------------------------------


def response_rates_table(summary: dict) -> pd.DataFrame:
    rows = []
    for group, rate in summary["response_rates"].items():
        rows.append(
            {
                "Group": group.capitalize(),
                "Questionnaires": "hidden" if rate.get("suppressed") else rate["responses"],
                "Eligible": rate["eligible"] if rate["eligible"] is not None else "–",
                "Response rate": _pct(rate["rate_pct"]) if not rate.get("suppressed") else "hidden",
            }
        )
    return pd.DataFrame(rows)


# --- the action plan ---------------------------------------------------------------------------------------

STATUS = {
    "overdue": Styled("●\u00a0Overdue", "status-overdue"),  # no-break spaces: a status never wraps
    "due-soon": Styled("◐\u00a0Due\u00a0soon", "status-soon"),
    "on-track": Styled("○\u00a0On\u00a0track", "status-ok"),
    "no-date": Styled("–\u00a0No\u00a0due\u00a0date", "status-none"),
}


def _status(item: dict, day: dt.date) -> Styled:
    if item["is_overdue"]:
        return STATUS["overdue"]
    if not item.get("due_on"):
        return STATUS["no-date"]
    return STATUS["due-soon" if (dt.date.fromisoformat(item["due_on"]) - day).days <= DUE_SOON_DAYS else "on-track"]


def _days(later: dt.date, earlier: str | None) -> int | None:
    return None if not earlier else (later - dt.date.fromisoformat(earlier)).days


def _action_words(item: dict) -> str:
    """The action, with its audit item in brackets unless the action already names it."""
    action, audited = str(item.get("action") or "").strip(), str(item.get("item") or "").strip()
    if not audited or audited.lower() in action.lower():
        return action or audited
    return f"{action} ({audited})"


def action_counts(summary: dict) -> Markdown:
    actions = summary["actions"]
    due = actions["due_in_period"]
    closed = (
        f"{actions['closed_on_time']} of the {due} actions due this quarter were closed on time "
        f"({_pct(actions['closed_on_time_pct'])})"
        if due
        else "no action fell due this quarter"
    )
    return md(
        "On {day}: **{open}** actions open, **{overdue}** overdue (**{high}** of them high priority); {closed}. "
        "Status: ● overdue, ◐ due within {soon} days, ○ on track.",
        day=_long_date(judged_on(summary)),
        open=actions["open"],
        overdue=actions["overdue"],
        high=actions["overdue_high_priority"],
        closed=closed,
        soon=DUE_SOON_DAYS,
    )


def open_actions(summary: dict) -> pd.DataFrame:
    """Every open action: item, action, owner, priority, due, days overdue, age, status word (and colour)."""
    day = judged_on(summary)
    rows = []
    for item in summary["actions"]["items"]:
        if not item["is_open"]:
            continue
        late = _days(day, item.get("due_on"))
        rows.append(
            {
                "Action (audit item)": _action_words(item),
                "Owner": item.get("action_owner"),
                "Priority": (item.get("priority") or "–").capitalize(),
                "Due": item.get("due_on"),
                "Overdue (days)": late if item["is_overdue"] else None,
                "Age (days)": _days(day, item.get("raised_on")),
                "Status": _status(item, day),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["Action (audit item)", "Owner", "Priority", "Due", "Overdue (days)", "Age (days)", "Status"]
    )
    return frame.astype({"Overdue (days)": "Int64", "Age (days)": "Int64"})


def closed_in_quarter(summary: dict) -> pd.DataFrame:
    """Actions closed in the quarter, on time or late (by how many days)."""
    start, end = dt.date.fromisoformat(summary["period_start"]), dt.date.fromisoformat(summary["period_end"])
    rows = []
    for item in summary["actions"]["items"]:
        closed = item.get("closed_on")
        if not closed or not start <= dt.date.fromisoformat(closed) <= end:
            continue
        late = _days(dt.date.fromisoformat(closed), item.get("due_on"))
        rows.append(
            {
                "Action (audit item)": _action_words(item),
                "Owner": item.get("action_owner"),
                "Due": item.get("due_on"),
                "Closed": closed,
                "Closed on time": "Yes" if late is None or late <= 0 else f"No, {late} day{'s' * (late > 1)} late",
            }
        )
    return pd.DataFrame(rows, columns=["Action (audit item)", "Owner", "Due", "Closed", "Closed on time"])


def _results_after(report: HomeReport, item_id: str, since: str) -> list[str]:
    audits = report.audits
    if audits is None or audits.empty:
        return []
    end = pd.Timestamp(report.summary["period_end"])
    rows = audits[(audits["item_id"] == item_id) & (audits["audit_date"] > pd.Timestamp(since))]
    rows = rows[rows["audit_date"] <= end].sort_values("audit_date")
    return [str(r) for r in rows["result"] if r != "N/A"]


def not_effective(report: HomeReport) -> pd.DataFrame:
    """Actions closed whose audit item was then not met again: closed, but not effective."""
    rows = []
    for item in report.summary["actions"]["items"]:
        closed = item.get("closed_on")
        if not closed:
            continue
        after = _results_after(report, item["item_id"], closed)
        if "Not met" in after:
            rows.append(
                {
                    "Action (audit item)": _action_words(item),
                    "Closed": closed,
                    "Audits since": len(after),
                    "Not met since": after.count("Not met"),
                }
            )
    return pd.DataFrame(rows, columns=["Action (audit item)", "Closed", "Audits since", "Not met since"])


def stale_actions(report: HomeReport) -> pd.DataFrame:
    """Open actions on an item met at every audit since the action was raised: listed for review."""
    summary = report.summary
    labels = {t["id"]: t for t in summary["themes"]}
    rows = []
    for item in summary["actions"]["items"]:
        if not item["is_open"] or not item.get("raised_on"):
            continue
        after = _results_after(report, item["item_id"], item["raised_on"])
        if not after or any(r != "Met" for r in after):
            continue
        theme = labels.get(item.get("theme_id"), {})
        caps = item["is_overdue"] and item.get("priority") == "high" and theme.get("rating_capped")
        rows.append(
            {
                "Action (audit item)": _action_words(item),
                "Raised": item["raised_on"],
                "Met since": f"{len(after)} of {len(after)} audits",
                "Effect on the rating": (
                    f"Caps {theme.get('label')} at Requires improvement (overdue, high priority)" if caps else "None"
                ),
            }
        )
    return pd.DataFrame(rows, columns=["Action (audit item)", "Raised", "Met since", "Effect on the rating"])


def stale_note(stale: pd.DataFrame) -> Markdown:
    if stale.empty:
        return md("No open action sits on an item that has been met at every audit since it was raised.")
    capping = int(stale["Effect on the rating"].ne("None").sum())
    cap = ""
    if capping:
        which = "it caps" if capping == 1 else "they cap"
        cap = (
            f" {capping} of them overdue and high priority, so {which} a rating at Requires improvement although "
            "the item is now met: close the action if the fix has held, or record why it stays open."
        )
    return md(
        "{n} open action(s) sit on an item met at every audit since they were raised: review whether each can "
        "be closed.{cap}",
        n=len(stale),
        cap=cap,
    )


def repeat_findings_table(summary: dict) -> pd.DataFrame:
    repeats = pd.DataFrame(summary["repeat_findings"])
    columns = {"item": "Audit item", "consecutive_not_met": "Audits running not met", "last_not_met_on": "Last"}
    if repeats.empty:
        return pd.DataFrame(columns=list(columns.values()))
    return repeats[list(columns)].rename(columns=columns)


def you_said_we_did(summary: dict) -> pd.DataFrame:
    """Per theme: what people said (distinct comments) next to the actions raised this quarter or still open."""
    start = summary["period_start"]
    rows = []
    for theme in summary["themes"]:
        said = [c for c in summary["comments"] if theme["id"] in c["theme_ids"]]
        actions = [
            a
            for a in summary["actions"]["items"]
            if a.get("theme_id") == theme["id"] and (a["is_open"] or (a.get("raised_on") or "") >= start)
        ]
        if not said and not actions:
            continue
        distinct = _distinct(said)
        example = f"“{distinct[0][0]}”" if distinct else ""
        distinct_actions = list(dict.fromkeys(a["action"] for a in actions))
        listed, more = "; ".join(distinct_actions[:3]), len(distinct_actions) - 3
        rows.append(
            {
                text_label(summary): theme["label"],
                "You said": f"{_count(len(said), 'comment')}; e.g. {example}" if said else "no comments",
                "We did": (listed + (f"; and {more} more in the action plan" if more > 0 else "")) or "no action",
            }
        )
    return pd.DataFrame(rows, columns=[text_label(summary), "You said", "We did"])


# --- appendix ------------------------------------------------------------------------------------------------


def suppressed_figures(summary: dict) -> pd.DataFrame:
    """Every figure hidden in this report, with the reason."""
    rows = []
    for theme in summary["themes"]:
        survey = theme["survey"]
        if survey["suppressed"]:
            rows.append((theme["label"], "all groups", "fewer respondents than the minimum"))
        for group in survey["by_group"]:
            if group["suppressed"]:
                reason = (
                    "secondary: hidden so a suppressed group cannot be worked out by subtraction"
                    if group.get("suppression") == "secondary"
                    else "fewer respondents than the minimum"
                )
                rows.append((theme["label"], group["respondent_group"], reason))
    return pd.DataFrame(rows, columns=[text_label(summary), "Group", "Reason"])


def data_quality(report: HomeReport) -> pd.DataFrame:
    """This home's quarantined rows, counted by file and rule."""
    q = report.quarantine
    if q.empty:
        return pd.DataFrame(columns=["File", "Column", "Rule", "Rows"])
    counts = q.groupby(["source_file", "column", "rule"], dropna=False).size().reset_index(name="rows")
    return counts.rename(columns={"source_file": "File", "column": "Column", "rule": "Rule", "rows": "Rows"})


def provenance(report: HomeReport) -> pd.DataFrame:
    rows = [("wellled version", __version__), *[(k, str(v)) for k, v in report.parameters.items()]]
    rows += [
        (f"input {item['name'] if 'name' in item else item.get('file')}", item["sha256"][:16] + "…")
        for item in report.summary["inputs"]
    ]
    return pd.DataFrame(rows, columns=["Item", "Value"])


def method_markdown(summary: dict) -> Markdown:
    """What a committee needs to read the figures; the full method is in the methodology (trusted text)."""
    params = summary.get("parameters") or {}
    n = params.get("min_respondents", 5)
    return Markdown(
        f"- **Survey**: percent of valid answers that are positive (top two boxes; *Don't know* left out), with a "
        f"95 % Wilson interval. Figures from fewer than {n} questionnaires are hidden, and a second group where "
        "the hidden one could be worked out by subtraction.\n"
        "- **Audit**: compliance is met plus half of partially met, over the items audited (N/A left out).\n"
        "- **Score and rating**: the survey and audit figures (0-100) weighted by how much evidence each has, "
        "banded into an indicative rating (90 Outstanding, 75 Good, 60 Requires improvement) with the range its "
        "95 % interval spans; an open, overdue, high-priority action caps a theme at Requires improvement. These "
        "are wellled's documented, configurable choices, modelled on CQC's published aggregation.\n"
        "- **Over time**: a statistical process control chart of the quarters (p-chart, Laney p′ when the data "
        "vary more than chance), read by the NHS Making Data Count rules: a point beyond the limits, or a run or "
        "trend of 6 quarters.\n"
        "- **Against other homes**: a funnel plot of this home against the other homes, with limits widened for "
        "the real variation between homes; outside the 99.8 % limits is unlikely to be chance.\n"
        "\nThe full method, with its sources, is in the methodology (`docs/methodology.md`, shipped with "
        "wellled); what each data column means is in the data dictionary (`docs/data-contract.md`)."
    )
