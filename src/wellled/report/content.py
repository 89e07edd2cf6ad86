"""What a home report shows, gathered in one call so the notebook stays thin.

:func:`load_home_report` reads the clean data once and builds the summary (the same JSON as
``wellled summary``), the theme figures of every home (for funnel plots), and this home's quarantine rows.
The other functions are pure: they turn that into the pieces a committee reads (attention items, the
suppression list, provenance) as plain text; the notebook escapes data text with :mod:`wellled.report.present`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
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
from wellled.check import contract
from wellled.paths import METHODOLOGY_FILE, Paths
from wellled.periods import period_bounds
from wellled.report import charts
from wellled.report.present import md, table
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

    @property
    def themes(self) -> list[dict]:
        return self.summary["themes"]


def load_home_report(
    home_id: str, period: str | None, framework: str, data_dir: str | Path, params: AnalysisParams | None = None
) -> HomeReport:
    """Everything one home's report needs, from ``DATA/clean``."""
    paths = Paths.from_options(data_dir)
    params = params or AnalysisParams()
    clean = load_clean(paths)
    chosen = load_framework(framework)
    figures = theme_figures(clean, chosen, params)
    summary = build_summary(clean, home_id, period or None, chosen, params, figures=figures)
    quarantine_file = paths.quarantine_dir / "quarantine.parquet"
    quarantine = pd.read_parquet(quarantine_file) if quarantine_file.exists() else pd.DataFrame()
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
    )


def write_summary(report: HomeReport, folder: Path = Path(".")) -> None:
    """Save the summary this report shows as ``summary.json`` (the same JSON as ``wellled summary``)."""
    (folder / "summary.json").write_text(to_json(report.summary), encoding="utf-8")


def funnel_data(report: HomeReport, theme_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(limits, homes) for the funnel plot of one theme in the report's period; suppressed homes left out."""
    period = report.summary["period"]
    limits = funnel_frame(report.figures, period, theme_id)
    figures = report.figures
    homes = figures[
        (figures["period"] == period)
        & (figures["theme_id"] == theme_id)
        & ~figures["suppressed"]
        & figures["positive_pct"].notna()
    ]
    return limits, homes[["home_id", "valid", "positive_pct"]].astype({"valid": float, "positive_pct": float})


def arrow(change: dict | None) -> str:
    """↑ or ↓ for a significant change against last quarter, → for none, blank without a comparison."""
    if not change or change.get("change_pct_points") is None:
        return ""
    if not change.get("significant"):
        return "→"
    return "↑" if change["change_pct_points"] > 0 else "↓"


def funnel_word(position: str | None) -> str:
    return {"above": "↑ above", "below": "↓ below", "within": "→ within"}.get(position or "", "–")


def attention_items(summary: dict, limit: int = 3) -> list[str]:
    """The things most needing the committee's attention, most serious first (plain text)."""
    found: list[tuple[float, float, str]] = []
    for theme in summary["themes"]:
        rating, score = theme["rating"], theme["score"]
        if rating in ("Inadequate", "Requires improvement"):
            reason = " (capped: an overdue high-priority action)" if theme.get("rating_capped") else ""
            found.append(
                (
                    RATING_ORDER[rating],
                    score or 0,
                    f"{theme['label']} is rated {rating}{reason}, score {score:.1f}."
                    if score is not None
                    else f"{theme['label']} is rated {rating}{reason}.",
                )
            )
        change = theme.get("change") or {}
        if change.get("significant") and (change.get("change_pct_points") or 0) < 0:
            found.append(
                (
                    2,
                    change["change_pct_points"],
                    f"{theme['label']}: positive answers fell "
                    f"{abs(change['change_pct_points']):.0f} points since {change['previous_period']}.",
                )
            )
        if theme.get("benchmark", {}).get("funnel") == "below":
            found.append((2, 50, f"{theme['label']}: below the provider's 99.8% funnel limit."))
    actions = summary["actions"]
    if actions.get("overdue_high_priority"):
        found.append((0.5, 0, f"{actions['overdue_high_priority']} high-priority action(s) overdue."))
    for finding in summary["repeat_findings"]:
        found.append(
            (
                1.5,
                -finding.get("consecutive_not_met", 2),
                f"Repeat finding: '{finding['item']}' not met in {finding.get('consecutive_not_met', 2)} "
                "audits in a row.",
            )
        )
    found.sort(key=lambda item: (item[0], item[1]))
    return [text for _, _, text in found[:limit]]


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
    return pd.DataFrame(rows, columns=["Theme", "Group", "Reason"])


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
        (f"input {item['name'] if 'name' in item else item.get('file')}", item["sha256"])
        for item in report.summary["inputs"]
    ]
    return pd.DataFrame(rows, columns=["Item", "Value"])


def _nest(markdown: str, top: int) -> str:
    r"""Move headings so the highest one is at level ``top``, keeping their relative depth.

    >>> _nest("## A\n#### B", 3)
    '### A\n##### B'
    """
    levels = [len(m) for m in re.findall(r"^(#+)\s", markdown, flags=re.MULTILINE)]
    shift = top - min(levels) if levels else 0
    return re.sub(r"^(#+)(?=\s)", lambda m: "#" * min(len(m.group(1)) + shift, 6), markdown, flags=re.MULTILINE)


def methodology_markdown(top: int = 3) -> str:
    """docs/methodology.md without its title, its headings nested under the report's appendix (trusted text)."""
    text = METHODOLOGY_FILE.read_text(encoding="utf-8")
    body = re.sub(r"\A#\s[^\n]*\n", "", text.lstrip())
    return _nest(body, top)


def data_dictionary_markdown(top: int = 3) -> str:
    return _nest(contract.data_dictionary_markdown(), top)


def themes_table(summary: dict) -> pd.DataFrame:
    """One row per theme: rating, score, the survey and audit figures behind it, and the two comparisons."""
    rows = []
    for t in summary["themes"]:
        survey, audit = t["survey"], t["audit"]
        rows.append(
            {
                "Theme": t["label"],
                "Rating": t["rating"] + (" (capped)" if t.get("rating_capped") else ""),
                "Score": None if t["score"] is None else f"{t['score']:.1f}",
                "Survey": "suppressed" if survey["suppressed"] else _pct(survey["positive_pct"]),
                "Audit": _pct(audit["compliance_pct"]),
                "Quarter": arrow(t.get("change")) or "–",
                "Homes": funnel_word(t.get("benchmark", {}).get("funnel")),
            }
        )
    return pd.DataFrame(rows)


def _survey_sentence(theme: dict) -> Markdown:
    survey = theme["survey"]
    if survey["suppressed"] or survey["positive_pct"] is None:
        return md("Survey: too few questionnaires this quarter to report (fewer than the minimum).")
    low, high = survey["ci95"]
    change = theme.get("change") or {}
    phrase = charts.change_phrase(change, f"in {change.get('previous_period')}")
    trend = f"That is {phrase}." if phrase else "There is no figure for last quarter to compare with."
    return md(
        "Survey: **{pct}** of {valid} answers from {n} questionnaires were positive (95% interval {low} to "
        "{high}). {trend}",
        pct=_pct(survey["positive_pct"]),
        valid=survey["valid"],
        n=survey["respondents"],
        low=_pct(low),
        high=_pct(high),
        trend=trend,
    )


def _audit_sentence(theme: dict) -> Markdown:
    audit = theme["audit"]
    if not audit["items"]:
        return md("Audit: no items audited for this theme this quarter.")
    return md(
        "Audit: **{pct}** compliance over {n} items ({met} met, {partial} partially met, {not_met} not met).",
        pct=_pct(audit["compliance_pct"]),
        n=audit["met"] + audit["partially_met"] + audit["not_met"],
        met=audit["met"],
        partial=audit["partially_met"],
        not_met=audit["not_met"],
    )


def theme_section(report: HomeReport, theme: dict, comments_shown: int = 6) -> Iterator[Markdown]:
    """The blocks of one theme's section: heading, figures, charts, comments."""
    summary = report.summary
    home_id = summary["home_id"]
    yield md("## {label}", label=theme["label"])
    yield md("*{question}*", question=theme["text"])
    yield md(
        "**Indicative rating: {rating}**{capped} (score {score}).",
        rating=theme["rating"],
        capped=" (capped at Requires improvement: an overdue high-priority action)"
        if theme.get("rating_capped")
        else "",
        score="–" if theme["score"] is None else f"{theme['score']:.1f}",
    )
    yield _survey_sentence(theme)
    yield _audit_sentence(theme)
    for chart in (charts.groups_chart(theme, home_id), charts.trend_chart(theme, home_id)):
        if chart:
            yield charts.place(chart)
    limits, homes = funnel_data(report, theme["id"])
    funnel = charts.funnel_chart(
        limits, homes, home_id, theme["id"], theme["label"], theme.get("benchmark", {}).get("funnel")
    )
    if funnel:
        yield charts.place(funnel)
    said = [c for c in summary["comments"] if theme["id"] in c["theme_ids"]]
    yield from _comment_blocks(said, "on this theme", comments_shown)


def _comment_blocks(said: list[dict], about: str, shown: int) -> Iterator[Markdown]:
    if not said:
        return
    yield md("**What people said** ({n} comment(s) {about}; personal details removed)", n=len(said), about=about)
    lines = [md("- “{text}” ({group})", text=c["text"], group=c["respondent_group"]).data for c in said[:shown]]
    more = [md("- and {n} more.", n=len(said) - shown).data] if len(said) > shown else []
    yield Markdown("\n".join(lines + more))


def other_comments(summary: dict, comments_shown: int = 10) -> Iterator[Markdown]:
    """Comments that speak to no theme of the framework, so none is lost."""
    said = [c for c in summary["comments"] if not c["theme_ids"]]
    if said:
        yield md("## Other comments")
        yield from _comment_blocks(said, "that match no theme", comments_shown)


def response_rates_table(summary: dict) -> pd.DataFrame:
    rows = []
    for group, rate in summary["response_rates"].items():
        rows.append(
            {
                "Group": group.capitalize(),
                "Questionnaires": "suppressed" if rate.get("suppressed") else rate["responses"],
                "Eligible": rate["eligible"] if rate["eligible"] is not None else "–",
                "Response rate": _pct(rate["rate_pct"]) if not rate.get("suppressed") else "suppressed",
            }
        )
    return pd.DataFrame(rows)


def action_section(summary: dict) -> Iterator[Markdown]:
    """Counts, overdue high-priority actions, every open action, and repeat findings."""
    actions = summary["actions"]
    yield md(
        "At the end of {period}: **{open}** actions open, **{overdue}** overdue (**{high}** of them high "
        "priority); {on_time} of the {due} actions due this quarter were closed on time.",
        period=actions["as_at"],
        open=actions["open"],
        overdue=actions["overdue"],
        high=actions["overdue_high_priority"],
        on_time=_pct(actions["closed_on_time_pct"]),
        due=actions["due_in_period"],
    )
    items = pd.DataFrame(actions["items"])
    columns = {
        "item": "Audit item",
        "action": "Action",
        "action_owner": "Owner",
        "priority": "Priority",
        "due_on": "Due",
    }
    if not items.empty:
        urgent = items[items["is_overdue"] & items["priority"].eq("high")]
        yield md("## Overdue high-priority actions")
        yield (
            table(urgent[list(columns)].rename(columns=columns), caption="Overdue high-priority actions")
            if len(urgent)
            else md("None.")
        )
        still_open = items[items["is_open"]]
        yield md("## All open actions")
        yield (
            table(
                still_open[[*columns, "is_overdue"]].rename(columns={**columns, "is_overdue": "Overdue"}),
                caption="Open actions, most urgent first",
                formats={"Overdue": lambda v: "yes" if v else "no"},
            )
            if len(still_open)
            else md("None.")
        )
    yield md("## Repeat findings")
    repeats = pd.DataFrame(summary["repeat_findings"])
    yield (
        table(
            repeats[["item", "consecutive_not_met", "last_not_met_on"]].rename(
                columns={
                    "item": "Audit item",
                    "consecutive_not_met": "Audits in a row not met",
                    "last_not_met_on": "Last",
                }
            ),
            caption="Items not met in this audit and the one before",
        )
        if len(repeats)
        else md("No item failed both this audit and the one before.")
    )
