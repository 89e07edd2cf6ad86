"""What a home report shows, gathered in one call so the notebook stays thin.

:func:`load_home_report` reads the clean data once and builds the summary (the same JSON as
``wellled summary``), the theme figures of every home (for funnel plots), and this home's quarantine rows.
The other functions are pure: they turn that into the pieces a committee reads. This module holds the
identity, the per-theme narrative and the appendix; page one is :mod:`wellled.report.page_one`, the action plan
:mod:`wellled.report.action_plan`, comments :mod:`wellled.report.comment_list`. Sentences are built there; the notebook
decides what goes where, and data text is escaped with :mod:`wellled.report.present`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from wellled import __version__
from wellled.analysis.clean_data import load_clean
from wellled.analysis.framework import Framework, load_framework
from wellled.analysis.summary import build_summary, to_json
from wellled.analysis.themes import AnalysisParams, funnel_frame, theme_figures
from wellled.paths import Paths
from wellled.periods import period_bounds
from wellled.report import charts
from wellled.report.present import md
from wellled.report.present import pct as _pct


@dataclass(frozen=True)
class HomeReport:
    summary: dict
    figures: pd.DataFrame  # every home's theme figures in the report's quarter, for the funnel plots
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
        figures[figures["period"] == summary["period"]],
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
    figures = report.figures[report.figures["theme_id"] == theme_id]
    limits = funnel_frame(figures, report.summary["period"], theme_id, home_id=report.summary["home_id"])
    homes = figures[~figures["suppressed"] & figures["positive_pct"].notna()]
    return limits, homes[["home_id", "valid", "positive_pct"]].astype({"valid": float, "positive_pct": float})


# --- identity and wording --------------------------------------------------------------------------------


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


def long_date(day: str | dt.date) -> str:
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.day} {day:%B %Y}"


def report_title(summary: dict) -> Markdown:
    """Two paragraphs the renderer takes as the document title and subtitle (HTML title, PDF metadata)."""
    marked = "NOT FOR PUBLICATION: " if summary.get("not_for_publication") else ""
    return md(
        marked + "{name}: Well-led governance report, {period}\n\n{framework}",
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
        start=long_date(s["period_start"]),
        end=long_date(s["period_end"]),
        data_to=long_date(report.data_up_to) if report.data_up_to[:1].isdigit() else report.data_up_to,
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


# --- appendix ------------------------------------------------------------------------------------------------


def framework_questions(summary: dict) -> pd.DataFrame:
    """Each theme with the framework's own statement or question, for the appendix."""
    rows = [(t["label"], t.get("text") or "") for t in summary["themes"]]
    return pd.DataFrame(rows, columns=[text_label(summary), "What it asks"])


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


def provenance(report: HomeReport) -> Markdown:
    """The version, the parameters and each input's SHA-256 (first 16 hex digits), in one short paragraph."""
    settings = ", ".join(f"{k} {v}" for k, v in report.parameters.items())
    inputs = "; ".join(
        f"{item['name'] if 'name' in item else item.get('file')} {item['sha256'][:16]}…"
        for item in report.summary["inputs"]
    )
    return md(
        "Made by wellled {version} with {settings}. Inputs (SHA-256, first 16 digits): {inputs}.",
        version=__version__,
        settings=settings,
        inputs=inputs,
    )


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
