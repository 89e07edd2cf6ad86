"""What the provider overview shows: every home's published summary of one quarter, compared.

:func:`load_overview` gathers the per-home ``summary.json`` files, the run's theme figures (for the funnel
plots), the quarantine and the import flags. The other functions are pure: they turn that into the tables a
quality committee reads first (ratings, homes to look at first, action backlog, data quality, missing
reports) and the JSON saved as ``overview.json``. Only figures the home reports show are used: no
suppressed figure, and no comment text.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pandas as pd
from IPython.display import Markdown

from wellled.analysis.clean_data import CleanData, load_clean
from wellled.analysis.framework import Framework, load_framework
from wellled.analysis.ratings import GOOD, INADEQUATE, INSUFFICIENT, OUTSTANDING, REQUIRES_IMPROVEMENT, overall_rating
from wellled.analysis.scope import known_homes
from wellled.analysis.themes import AnalysisParams, funnel_frame, theme_figures
from wellled.paths import REPORT_STEM, RESERVED_HOME_IDS, Paths, reserved_home_message
from wellled.periods import parse_period, period_bounds, shift_period
from wellled.report import present
from wellled.report.flags import flag_counts
from wellled.report.home_names import display_names

RANK = {INADEQUATE: 0, REQUIRES_IMPROVEMENT: 1, GOOD: 2, OUTSTANDING: 3}
SHORT = {
    OUTSTANDING: "Outstanding",
    GOOD: "Good",
    REQUIRES_IMPROVEMENT: "Req. improv.",
    INADEQUATE: "Inadequate",
    INSUFFICIENT: "Insufficient",
}
LOW_RESPONSE_PCT = 20.0
NO_DATA = "no questionnaires or audits in "  # the start of the reason a home without data in the quarter has
NO_DATA_WEIGHT = 4  # as heavy as an overall rating that fell last quarter: a home gone quiet is looked at


@dataclass(frozen=True)
class Overview:
    period: str
    framework: Framework
    homes: pd.DataFrame  # home_id, home_name, region, in display order
    summaries: dict[str, dict]
    missing: pd.DataFrame  # home_id, home_name, region, reason
    figures: pd.DataFrame
    quarantined: dict[str, int]
    flags: dict[str, int]
    latest_data: dict[str, str]
    links: dict[str, str]  # home id -> report HTML (else PDF) relative to the overview's folder
    generated_on: str
    params: AnalysisParams = field(default_factory=AnalysisParams)


def _home_table(clean: CleanData) -> pd.DataFrame:
    homes = clean.homes.copy()
    homes["region"] = homes["region"].fillna("").astype(str) if "region" in homes else ""
    homes["home_name"] = homes["home_name"].astype(str)
    homes["home_id"] = homes["home_id"].astype(str)
    return homes[["home_id", "home_name", "region"]].sort_values(["region", "home_name", "home_id"], ignore_index=True)


def shown_names(overview: Overview) -> dict[str, str]:
    """home id -> the name every table, chart and link of the overview shows (see :mod:`home_names`)."""
    return display_names(zip(overview.homes["home_id"], overview.homes["home_name"], strict=True))


def _run_failures(run_file: str) -> dict[str, str]:
    if not run_file or not Path(run_file).is_file():
        return {}
    outcomes = json.loads(Path(run_file).read_text(encoding="utf-8"))
    return {o["home_id"]: o.get("error") or "failed" for o in outcomes if o.get("status") == "failed"}


def _latest_dates(clean: CleanData, period: str) -> dict[str, str]:
    end = pd.Timestamp(period_bounds(period)[1])
    dates = pd.concat(
        [
            clean.responses[["home_id", "submitted_on"]].rename(columns={"submitted_on": "on"}),
            clean.audits[["home_id", "audit_date"]].rename(columns={"audit_date": "on"}),
        ]
    )
    dates = dates[pd.to_datetime(dates["on"]) <= end]
    latest = dates.groupby(dates["home_id"].astype(str))["on"].max()
    return {home: pd.Timestamp(on).date().isoformat() for home, on in latest.items()}


def other_settings(summary: dict, params: AnalysisParams) -> str | None:
    """Why a home's published summary cannot be shown beside figures made with ``params``, or None.

    A report made with other analysis settings (another ``--min-respondents``, perhaps below the floor, for an
    internal review) is not comparable, and may show figures this overview must not.
    """
    made = dict(summary.get("parameters") or {})
    wanted = params.as_dict()
    made.pop("allow_small_numbers", None), wanted.pop("allow_small_numbers")  # min_respondents decides
    if made == wanted:
        return None
    if made.get("min_respondents") != wanted["min_respondents"]:
        return (
            f"its report was made with --min-respondents {made.get('min_respondents')}, this overview with "
            f"{wanted['min_respondents']}: run wellled reports for this home with the same settings"
        )
    return "its report was made with other analysis settings: run wellled reports for this home again"


def _homes_with_data(clean: CleanData, period: str) -> set[str]:
    """Homes with any questionnaire or audit in ``period``, in one pass over each table."""
    return {
        str(home)
        for table in (clean.responses, clean.audits)
        for home in table.loc[table["period"].astype(str) == period, "home_id"].dropna()
    }


def load_overview(
    period: str,
    framework: str,
    data_dir: str | Path,
    reports_dir: str | Path,
    params: AnalysisParams | None = None,
    figures_file: str = "",
    run_file: str = "",
) -> Overview:
    """Everything the overview shows for ``period`` (default: the latest quarter with data)."""
    paths = Paths.from_options(data_dir, reports_dir)
    params = params or AnalysisParams()
    clean = load_clean(paths)
    chosen = load_framework(framework)
    figures = (
        pd.read_parquet(figures_file)
        if figures_file and Path(figures_file).is_file()
        else theme_figures(clean, chosen, params)
    )
    if not period:
        period = max(figures["period"].astype(str), key=parse_period)
    homes = _home_table(clean)
    failures = _run_failures(run_file)
    here = paths.overview_dir(period, chosen.id)
    summaries, links, missing = {}, {}, []
    active = _homes_with_data(clean, period)
    for home in homes.itertuples(index=False):
        if home.home_id in RESERVED_HOME_IDS:
            missing.append((home.home_id, home.home_name, home.region, reserved_home_message(home.home_id)))
            continue
        folder = paths.report_dir(home.home_id, period, chosen.id)
        if home.home_id not in active:  # before this run's failures: they may be of the home's own latest quarter
            missing.append((home.home_id, home.home_name, home.region, f"{NO_DATA}{period}"))
            continue
        if home.home_id in failures:
            missing.append((home.home_id, home.home_name, home.region, f"report failed: {failures[home.home_id]}"))
            continue
        try:
            summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            missing.append((home.home_id, home.home_name, home.region, "no report for this quarter yet"))
            continue
        other = other_settings(summary, params)
        if other:
            missing.append((home.home_id, home.home_name, home.region, other))
            continue
        summaries[home.home_id] = summary
        report = next((r for r in (folder / f"{REPORT_STEM}.{fmt}" for fmt in ("html", "pdf")) if r.is_file()), None)
        if report is not None:  # the HTML, or the PDF of a run with --format pdf
            links[home.home_id] = quote(Path(os.path.relpath(report, here)).as_posix())
    quarantine_file = paths.quarantine_dir / "quarantine.parquet"
    quarantine = pd.read_parquet(quarantine_file) if quarantine_file.is_file() else pd.DataFrame()
    quarantined = quarantine["home_id"].astype(str).value_counts().to_dict() if "home_id" in quarantine else {}
    return Overview(
        period,
        chosen,
        homes,
        summaries,
        pd.DataFrame(missing, columns=["home_id", "home_name", "region", "reason"]),
        figures[figures["home_id"].astype(str).isin(set(known_homes(clean)))],
        {str(k): int(v) for k, v in quarantined.items()},
        flag_counts(paths, clean, homes),
        _latest_dates(clean, period),
        links,
        dt.date.today().isoformat(),
        params,
    )


def title(overview: Overview) -> Markdown:
    """Title and subtitle paragraphs (the renderer's document title), marked when small numbers are shown."""
    marked = "NOT FOR PUBLICATION: " if overview.params.not_for_publication else ""  # template text, not data
    return present.md(
        marked + "Well-led provider overview, {period}\n\n"
        "Every home compared: indicative ratings from the provider's own surveys and audits",
        period=overview.period,
    )


def notice(overview: Overview) -> str:
    """The line under the cover table: the summaries' notice, with the warning first when it applies."""
    from wellled.analysis.summary import NOT_FOR_PUBLICATION, NOTICE

    return (NOT_FOR_PUBLICATION if overview.params.not_for_publication else "") + NOTICE


# --- ratings ------------------------------------------------------------------------------------------


def _rating_at(summary: dict, period: str, insufficient_limit: int) -> str | None:
    """The overall rating a home had in ``period``, from its themes' trend; None without that quarter."""
    ratings = []
    for theme in summary["themes"]:
        point = next((p for p in theme.get("trend", []) if p["period"] == period), None)
        ratings.append(point["rating"] if point and point.get("rating") else INSUFFICIENT)
    if all(r == INSUFFICIENT for r in ratings):
        return None
    return overall_rating(ratings, insufficient_limit)


def rating_change(now: str, before: str | None) -> str:
    """'↓ from Good', '↑ from Requires improvement', '→ no change', or '–' without a comparison.

    >>> rating_change("Requires improvement", "Good"), rating_change("Good", "Good"), rating_change("Good", None)
    ('↓ from Good', '→ no change', '–')
    """
    if before is None or now not in RANK or before not in RANK:
        return present.MISSING if before is None or now == before else f"from {before}"
    if RANK[now] == RANK[before]:
        return "→ no change"
    return f"{'↑' if RANK[now] > RANK[before] else '↓'} from {before}"


def _limit(summary: dict) -> int:
    return int((summary.get("parameters") or {}).get("insufficient_limit", 3))


def home_ratings(overview: Overview) -> pd.DataFrame:
    """One row per home with a report: region, name, each theme's rating, overall, and its changes."""
    quarter_before, year_before = shift_period(overview.period, -1), shift_period(overview.period, -4)
    rows, shown = [], shown_names(overview)
    for home in overview.homes.itertuples(index=False):
        summary = overview.summaries.get(home.home_id)
        if summary is None:
            continue
        row = {"region": home.region, "home_id": home.home_id, "home_name": home.home_name}
        row["display_name"] = shown[home.home_id]
        row |= {theme["id"]: theme["rating"] for theme in summary["themes"]}
        overall = summary["overall_rating"]
        row["overall"] = overall
        row["previous_quarter"] = _rating_at(summary, quarter_before, _limit(summary))
        row["previous_year"] = _rating_at(summary, year_before, _limit(summary))
        row["vs_last_quarter"] = rating_change(overall, row["previous_quarter"])
        row["vs_last_year"] = rating_change(overall, row["previous_year"])
        rows.append(row)
    return pd.DataFrame(rows)


# The most lines (homes and region headings) of one heat map: 20 make a figure 0.5 + 20 x 0.34 = 7.3 in tall
# (overview_charts.heat_map), 7.75 in once scaled to the 6.69 in text width of an A4 page with 2 cm margins, or
# 8.4 in when the headers read upwards (the 2024 framework's eight statements); of the page's 10.08 in of text
# height that leaves room for the caption. tests/test_heat_map_pages.py renders the worst case and checks it.
HEAT_MAP_LINES = 20


def heat_map_parts(ratings: pd.DataFrame, most: int = HEAT_MAP_LINES) -> list[tuple[str, pd.DataFrame]]:
    """The heat map as (title, rows) parts of at most ``most`` lines (homes, and a heading for each region the
    part shows), so that each fits a PDF page whole; a region is split only when it alone is longer.

    >>> rows = pd.DataFrame({"region": ["N"] * 3 + ["S"] * 4, "home_name": list("abcdefg")})
    >>> [(title, "".join(part["home_name"])) for title, part in heat_map_parts(rows, most=5)]
    [('Indicative ratings, part 1 of 2', 'abc'), ('Indicative ratings, part 2 of 2', 'defg')]
    >>> ["".join(part["home_name"]) for _, part in heat_map_parts(rows, most=4)]
    ['abc', 'def', 'g']
    """
    if ratings.empty:
        return []
    rows = ratings.sort_values([c for c in ("region", "home_name", "home_id") if c in ratings], ignore_index=True)
    heading = int(rows["region"].nunique() > 1 or bool(rows["region"].iloc[0]))  # as the heat map draws them
    parts: list[pd.DataFrame] = []
    lines = 0
    for _, region in rows.groupby("region", sort=True):
        for start in range(0, len(region), most - heading):
            piece = region.iloc[start : start + most - heading]
            if parts and lines + heading + len(piece) <= most:
                parts[-1] = pd.concat([parts[-1], piece])
                lines += heading + len(piece)
            else:
                parts.append(piece)
                lines = heading + len(piece)
    if len(parts) == 1:
        return [("All homes", parts[0])]
    return [(f"Indicative ratings, part {i} of {len(parts)}", part) for i, part in enumerate(parts, 1)]


def ratings_table(overview: Overview) -> pd.DataFrame:
    """The overall rating of each home and how it moved, grouped by region, for the report table."""
    ratings = home_ratings(overview)
    if ratings.empty:
        return pd.DataFrame(columns=["Region", "Home", "Overall", "Last quarter", "Last year"])
    return ratings.rename(
        columns={
            "region": "Region",
            "display_name": "Home",
            "overall": "Overall",
            "vs_last_quarter": "Last quarter",
            "vs_last_year": "Last year",
        }
    )[["Region", "Home", "Overall", "Last quarter", "Last year"]]


def rating_counts(overview: Overview) -> dict[str, int]:
    ratings = home_ratings(overview)
    counts = ratings["overall"].value_counts().to_dict() if not ratings.empty else {}
    return {rating: int(counts.get(rating, 0)) for rating in SHORT if counts.get(rating)}


# --- homes to look at first -----------------------------------------------------------------------------


def _overdue_high(summary: dict) -> tuple[int, int | None]:
    """Overdue high-priority actions and the days the oldest is past its due date (at the quarter's end)."""
    end = dt.date.fromisoformat(summary["period_end"])
    actions = summary.get("actions") or {}
    days = [
        (end - dt.date.fromisoformat(item["due_on"])).days
        for item in actions.get("items", [])
        if item.get("is_overdue") and item.get("priority") == "high" and item.get("due_on")
    ]
    return int(actions.get("overdue_high_priority", 0)), (max(days) if days else None)


def _oldest_overdue(summary: dict) -> int | None:
    end = dt.date.fromisoformat(summary["period_end"])
    days = [
        (end - dt.date.fromisoformat(item["due_on"])).days
        for item in (summary.get("actions") or {}).get("items", [])
        if item.get("is_overdue") and item.get("due_on")
    ]
    return max(days) if days else None


def _listed(weight: int, words: str, themes: list[str]) -> list[tuple[int, str]]:
    return [(weight * len(themes), f"{words}: {', '.join(themes)}")] if themes else []


def concerns(summary: dict, ratings_row: dict | None = None) -> list[tuple[int, str]]:
    """(weight, words) for each reason to look at a home first, themes of one kind in one phrase; an empty
    list when nothing stands out."""
    found: list[tuple[int, str]] = []
    row = ratings_row or {}
    if str(row.get("vs_last_quarter", "")).startswith("↓"):
        found.append((4, f"overall rating fell {row['vs_last_quarter']} last quarter"))
    elif str(row.get("vs_last_year", "")).startswith("↓"):
        found.append((3, f"overall rating fell {row['vs_last_year']} a year ago"))
    fell, signal, drop, below, thin = [], [], [], [], []
    for theme in summary["themes"]:
        label = theme["label"]
        previous = (theme.get("change") or {}).get("previous_rating")
        if previous in RANK and theme["rating"] in RANK and RANK[theme["rating"]] < RANK[previous]:
            fell.append(f"{label} ({previous} to {theme['rating']})")
        if (theme.get("spc") or {}).get("signal") == "concern":
            signal.append(label)
        elif (theme.get("change") or {}).get("direction") == "down":
            drop.append(label)
        if (theme.get("benchmark") or {}).get("funnel") == "below":
            below.append(label)
        if (theme.get("evidence") or {}).get("level") in ("limited", "none"):
            thin.append(label)
    found += _listed(2, "theme ratings fell", fell)
    found += _listed(3, "statistical signal of decline", signal)
    found += _listed(2, "real fall in positive answers on last quarter", drop)
    found += _listed(2, "below the other homes on the funnel plot", below)
    count, oldest = _overdue_high(summary)
    if count:
        since = f", oldest {oldest} days overdue" if oldest is not None else ""
        found.append((3 + min(count, 5), f"{count} overdue high-priority action{'s' if count > 1 else ''}{since}"))
    repeats = summary.get("repeat_findings") or []
    if repeats:
        items = f"{len(repeats)} audit item{'s' if len(repeats) > 1 else ''}"
        found.append((2 + len(repeats), f"{items} not met twice running"))
    low = [
        f"{group} {present.pct(rate['rate_pct'])}"
        for group, rate in (summary.get("response_rates") or {}).items()
        if rate.get("rate_pct") is not None and rate["rate_pct"] < LOW_RESPONSE_PCT
    ]
    found += _listed(1, "response rate under 20%", low)
    found += _listed(1, "thin evidence", thin)
    return found


def look_first(overview: Overview, limit: int = 10) -> pd.DataFrame:
    """Homes ranked by the weight of their concerns, heaviest first (a home with no data in the quarter among
    them); homes with none are left out."""
    ratings = {row["home_id"]: row for row in home_ratings(overview).to_dict("records")}
    rows, shown = [], shown_names(overview)
    for home in overview.homes.itertuples(index=False):
        summary = overview.summaries.get(home.home_id)
        if summary is None:
            continue
        found = concerns(summary, ratings.get(home.home_id))
        if found:
            found.sort(key=lambda c: -c[0])
            weight = sum(w for w, _ in found)
            rows.append((home.home_id, shown[home.home_id], summary["overall_rating"], weight, found))
    for home in overview.missing.itertuples(index=False):
        if str(home.reason).startswith(NO_DATA):
            latest = overview.latest_data.get(home.home_id)
            since = f"latest data {latest}" if latest else "no data yet"
            words = f"no questionnaires or audits this quarter ({since})"
            name = shown.get(home.home_id, home.home_name)
            rows.append((home.home_id, name, None, NO_DATA_WEIGHT, [(NO_DATA_WEIGHT, words)]))
    rows.sort(key=lambda r: (-r[3], r[1], r[0]))
    return pd.DataFrame(
        [
            {
                "Rank": rank,
                "home_id": home_id,
                "Home": name,
                "Overall": overall,
                "Why": "; ".join(words for _, words in found),
            }
            for rank, (home_id, name, overall, _, found) in enumerate(rows[:limit], 1)
        ],
        columns=["Rank", "home_id", "Home", "Overall", "Why"],
    )


# --- actions and data quality ------------------------------------------------------------------------------


def action_backlog(overview: Overview) -> pd.DataFrame:
    """Open, overdue and closed-on-time actions per home, with a total row."""
    rows, shown = [], shown_names(overview)
    for home in overview.homes.itertuples(index=False):
        summary = overview.summaries.get(home.home_id)
        if summary is None:
            continue
        actions = summary.get("actions") or {}
        count, _ = _overdue_high(summary)
        rows.append(
            {
                "Home": shown[home.home_id],
                "Open": int(actions.get("open", 0)),
                "Overdue": int(actions.get("overdue", 0)),
                "Overdue, high priority": count,
                "Oldest overdue (days)": _oldest_overdue(summary),  # none overdue: a dash, never 0 days
                "Due this quarter": int(actions.get("due_in_period", 0)),
                "Closed on time": int(actions.get("closed_on_time", 0)),
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    oldest = frame["Oldest overdue (days)"].astype("Int64")
    total: dict[str, object] = {column: int(frame[column].sum()) for column in frame.columns[1:]}
    total |= {"Home": "All homes", "Oldest overdue (days)": oldest.max()}
    frame = pd.concat([frame.assign(**{"Oldest overdue (days)": oldest}), pd.DataFrame([total])], ignore_index=True)
    return frame.astype({"Oldest overdue (days)": "Int64"})


def data_quality(overview: Overview) -> pd.DataFrame:
    """Rows the checks held back, import flags naming the home, and the date of its latest data."""
    shown = shown_names(overview)
    rows = [
        {
            "Home": shown[home.home_id],
            "Rows quarantined": overview.quarantined.get(home.home_id, 0),
            "Import flags": overview.flags.get(home.home_id, 0),
            "Latest data": overview.latest_data.get(home.home_id, present.MISSING),
        }
        for home in overview.homes.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=["Home", "Rows quarantined", "Import flags", "Latest data"])


def missing_reports(overview: Overview) -> pd.DataFrame:
    names = overview.missing["home_id"].map(shown_names(overview)).fillna(overview.missing["home_name"])
    missing = overview.missing.assign(home_name=names)
    return missing.rename(columns={"home_name": "Home", "region": "Region", "reason": "Why no report"})[
        ["Home", "Region", "Why no report"]
    ]


# --- funnel plots -------------------------------------------------------------------------------------------


def funnel_data(overview: Overview, theme_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(limits, homes) for one theme's funnel plot; suppressed homes are left out, names attached.

    Each home's position is its own report's verdict, against the other homes. The lines are drawn around the
    homes within the limits: drawn around every home, an outlier widened them (τ²) until it sat inside the
    very lines it was named outside of.
    """
    figures = overview.figures
    figures = figures[(figures["period"] == overview.period) & (figures["theme_id"] == theme_id)]
    within = figures[figures["funnel"].astype("string").fillna("") == "within"]
    limits = funnel_frame(within if len(within) >= 2 else figures, overview.period, theme_id)
    homes = figures[~figures["suppressed"].astype(bool) & figures["positive_pct"].notna()]
    names = shown_names(overview)
    homes = homes[["home_id", "valid", "positive_pct", "funnel"]].astype({"valid": float, "positive_pct": float})
    return limits, homes.assign(home_name=homes["home_id"].map(names)).reset_index(drop=True)


def outside_limits(homes: pd.DataFrame) -> dict[str, list[str]]:
    """Names of the homes above and below the 99.8 % limits."""
    return {
        side: sorted(homes.loc[homes["funnel"].astype("string") == side, "home_name"].astype(str))
        for side in ("above", "below")
    }


# --- links and JSON -----------------------------------------------------------------------------------------


def report_links(overview: Overview) -> Markdown:
    """A list of every home's report by region, as relative links (they work from disk and when copied)."""
    lines, shown = [], shown_names(overview)
    for region, homes in overview.homes.groupby("region", sort=True):
        lines.append(f"**{present.text(region) or 'No region recorded'}**\n")
        for home in homes.itertuples(index=False):
            summary = overview.summaries.get(home.home_id)
            if home.home_id in overview.links:
                rating = present.text(summary["overall_rating"]) if summary else ""
                lines.append(f"- [{present.text(shown[home.home_id])}]({overview.links[home.home_id]}): {rating}")
            else:
                lines.append(f"- {present.text(shown[home.home_id])}: no report for this quarter")
        lines.append("")
    return Markdown("\n".join(lines))


def overview_json(overview: Overview) -> dict:
    """The overview as data, saved beside it as ``overview.json``."""
    ratings = home_ratings(overview)
    first = look_first(overview, limit=len(overview.homes))
    funnels = {}
    for theme in overview.framework.themes:
        _, homes = funnel_data(overview, theme.id)
        funnels[theme.id] = outside_limits(homes) if homes["funnel"].notna().any() else None  # no verdicts
    from wellled import __version__

    return {
        "generated_by": f"wellled {__version__}",
        "not_for_publication": overview.params.not_for_publication,
        "period": overview.period,
        "framework": {"id": overview.framework.id, "name": overview.framework.name},
        "homes": [
            {
                "home_id": row["home_id"],
                "home_name": row["home_name"],
                "region": row["region"] or None,
                "overall_rating": row["overall"],
                "previous_quarter_rating": row["previous_quarter"],
                "previous_year_rating": row["previous_year"],
                "themes": {theme.id: row.get(theme.id) for theme in overview.framework.themes},
                "report": overview.links.get(row["home_id"]),
            }
            for row in ratings.to_dict("records")
        ],
        "look_first": [
            {"rank": int(r["Rank"]), "home_id": r["home_id"], "reasons": r["Why"].split("; ")}
            for r in first.to_dict("records")
        ],
        "funnel_outside": funnels,
        "actions": action_backlog(overview).to_dict("records"),
        "data_quality": data_quality(overview).to_dict("records"),
        "without_report": overview.missing[["home_id", "reason"]].to_dict("records"),
    }


def write_overview_json(overview: Overview, folder: Path = Path(".")) -> None:
    data = overview_json(overview)
    (folder / "overview.json").write_text(json.dumps(data, indent=2, ensure_ascii=False, default=_plain) + "\n")


def _plain(value):
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else str(value)
