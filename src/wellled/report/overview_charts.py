"""Charts of the provider overview: the ratings heat map and one funnel plot per theme, every home on it.

Same style and conventions as :mod:`wellled.report.charts` (Okabe-Ito colours, captions in words, no pyplot);
the heat map writes the rating in every cell, so colour is never the only carrier of meaning.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd
from matplotlib.figure import Figure

from wellled.analysis.ratings import GOOD, INADEQUATE, INSUFFICIENT, OUTSTANDING, REQUIRES_IMPROVEMENT
from wellled.report.charts import BLUE, SKY, VERMILLION, WIDTH_IN, Chart, draw_funnel_limits, literal, styled

CELL_COLOURS = {
    OUTSTANDING: "#0072B2",
    GOOD: "#56B4E9",
    REQUIRES_IMPROVEMENT: "#E69F00",
    INADEQUATE: "#D55E00",
    INSUFFICIENT: "#E6E6E6",
}
CELL_WORDS = {
    OUTSTANDING: "Outstanding",
    GOOD: "Good",
    REQUIRES_IMPROVEMENT: "Requires\nimprovement",
    INADEQUATE: "Inadequate",
    INSUFFICIENT: "Insufficient\nevidence",
}
DARK_CELLS = {OUTSTANDING, INADEQUATE}
ROW_IN, TOP_IN = 0.34, 0.4  # a heat map's line (home or region heading) and its column headings, in inches
# The most lines of one heat map: 22 make a figure 0.5 + 22 x 0.34 = 7.98 in tall, 8.5 in once scaled to the
# 6.69 in text width of an A4 page with 2 cm margins; of the page's 10.08 in of text height that leaves room for
# a caption naming every home of the map. A taller figure runs off the page in the PDF.
HEAT_MAP_LINES = 22


@styled
def heat_map(ratings: pd.DataFrame, themes: list[tuple[str, str]], title: str = "") -> Chart | None:
    """Homes (rows, under a heading per region) x themes and overall: the rating's word in each coloured cell.

    ``ratings``: rows of :func:`wellled.report.overview.home_ratings`; ``themes``: (id, label) in order.
    """
    if ratings.empty:
        return None
    columns = [*themes, ("overall", "Overall")]
    homes = ratings.sort_values(["region", "home_name"]).reset_index(drop=True)
    grouped = homes["region"].nunique() > 1 or bool(homes["region"].iloc[0])
    lines: list[tuple[str, dict | None]] = []  # (label, row) with row None for a region heading
    for region, part in homes.groupby("region", sort=True):
        if grouped:
            lines.append((region or "No region recorded", None))
        lines += [(name, row) for name, row in zip(part["home_name"], part.to_dict("records"), strict=True)]
    row_in, left_in, top_in = ROW_IN, 1.6, TOP_IN
    height = top_in + 0.1 + row_in * len(lines)
    fig = Figure(figsize=(WIDTH_IN, height))
    ax = fig.add_axes((left_in / WIDTH_IN, 0.1 / height, 1 - (left_in + 0.05) / WIDTH_IN, 1 - (top_in + 0.1) / height))
    labels = []
    for r, (label, row) in enumerate(lines):
        if row is None:
            labels.append(literal(textwrap.shorten(label, 26)))
            continue
        labels.append("  " + literal(textwrap.shorten(label, 24)))
        for c, (theme_id, _) in enumerate(columns):
            rating = row.get(theme_id)
            rating = INSUFFICIENT if rating is None or pd.isna(rating) else str(rating)
            bold = theme_id == "overall"
            edge, lw = ("black", 1.2) if bold else ("white", 1.0)
            ax.add_patch(_cell(c, r, CELL_COLOURS.get(rating, "#FFFFFF"), edge=edge, lw=lw))
            ax.text(
                c + 0.5,
                r + 0.5,
                CELL_WORDS.get(rating, rating),
                ha="center",
                va="center",
                fontsize=6.5,
                linespacing=0.95,
                color="white" if rating in DARK_CELLS else "black",
                fontweight="bold" if bold else "normal",
            )
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(lines), 0)
    ax.set_xticks([c + 0.5 for c in range(len(columns))])
    ax.set_xticklabels([textwrap.fill(literal(label), 12) for _, label in columns], fontsize=7.5)
    ax.xaxis.tick_top()
    ax.set_yticks([r + 0.5 for r in range(len(lines))])
    ax.set_yticklabels(labels, fontsize=7.5)
    for tick, (_, row) in zip(ax.get_yticklabels(), lines, strict=True):
        if row is None:
            tick.set_fontweight("bold")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    worst = homes[homes["overall"].isin([REQUIRES_IMPROVEMENT, INADEQUATE])]["home_name"].tolist()
    caption = (
        f"{title or 'Indicative ratings'}: each home's rating for every theme and overall, in words in each cell"
        + (", homes grouped by region. " if grouped else ". ")
        + (
            f"Rated requires improvement or inadequate overall: {', '.join(worst)}."
            if worst
            else "No home is rated requires improvement or inadequate overall."
        )
    )
    alt = f"Heat map of indicative ratings, homes by theme: {title or 'all homes'}"
    return Chart(f"heat-map-{title or 'all'}", fig, caption, alt)


def _cell(x: int, y: int, colour: str, edge: str, lw: float):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), 1, 1, facecolor=colour, edgecolor=edge, lw=lw)


@styled
def funnel(limits: pd.DataFrame, homes: pd.DataFrame, theme_id: str, theme_label: str) -> Chart | None:
    """Every home's percent positive against its answers, 95 % and 99.8 % limits, homes outside named."""
    if limits is None or limits.empty or len(homes) < 2:
        return None
    limits = limits[limits["valid"] >= max(5.0, float(homes["valid"].min()) / 2)]
    height = 2.9
    fig = Figure(figsize=(WIDTH_IN, height))
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.8 / WIDTH_IN, right=1 - 0.2 / WIDTH_IN, bottom=0.5 / height, top=1 - 0.35 / height)
    centre = draw_funnel_limits(ax, limits)
    side = homes["funnel"].astype("string").fillna("within")
    inside, outside = homes[side == "within"], homes[side != "within"]
    ax.scatter(inside["valid"], inside["positive_pct"], s=18, color=SKY, edgecolor="white", lw=0.5, label="Home")
    for name, marker, colour, words in (("above", "^", BLUE, "Above"), ("below", "v", VERMILLION, "Below")):
        points = outside[outside["funnel"].astype("string") == name]
        ax.scatter(
            points["valid"],
            points["positive_pct"],
            s=45,
            color=colour,
            marker=marker,
            edgecolor="black",
            lw=0.6,
            zorder=3,
            label=f"{words} 99.8% limits",
        )
    for row in outside.itertuples(index=False):
        ax.annotate(
            literal(str(row.home_name)),
            (row.valid, row.positive_pct),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=7,
        )
    ax.set_xlabel("Valid answers (denominator)")
    ax.set_ylabel("Positive answers (%)")
    low = max(0.0, math.floor(min(limits["lower998_pct"].min(), homes["positive_pct"].min()) / 10) * 10)
    ax.set_ylim(low, 100)
    fig.legend(loc="upper center", frameon=False, ncols=5, fontsize=7)
    above = sorted(outside.loc[outside["funnel"].astype("string") == "above", "home_name"].astype(str))
    below = sorted(outside.loc[outside["funnel"].astype("string") == "below", "home_name"].astype(str))
    parts = [f"above the limits: {', '.join(above)}" if above else "", f"below: {', '.join(below)}" if below else ""]
    named = "; ".join(w for w in parts if w) or "every home is within the 99.8% limits"
    caption = f"{theme_label}: {len(homes)} homes against a provider average of {centre:.0f}% positive; {named}."
    return Chart(f"overview-funnel-{theme_id}", fig, caption, f"Funnel plot of {theme_label}, every home")
