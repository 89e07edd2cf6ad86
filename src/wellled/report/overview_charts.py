"""Charts of the provider overview: the ratings heat map and one funnel plot per theme, every home on it.

Same style and conventions as :mod:`wellled.report.charts` (Okabe-Ito colours, captions in words, no pyplot);
the heat map writes the rating in every cell, so colour is never the only carrier of meaning.
"""

from __future__ import annotations

import math
import textwrap
import unicodedata

import pandas as pd
from matplotlib.figure import Figure

from wellled.analysis.ratings import GOOD, INADEQUATE, INSUFFICIENT, OUTSTANDING, REQUIRES_IMPROVEMENT
from wellled.report.charts import BLUE, SKY, VERMILLION, WIDTH_IN, Chart, draw_funnel_limits, literal, styled
from wellled.report.present import plain

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
LABEL_PT = 7.5  # the homes' names
CAPTION_NAMES = 8  # a heat map's caption names the homes rated requires improvement or inadequate up to this many


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _width(text: str, width: int) -> int:
    """``width`` in characters, halved for text mostly of wide characters (two columns each)."""
    return width // 2 if sum(unicodedata.east_asian_width(c) in "WF" for c in text) * 2 > len(text) else width


def _middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, keeping its start and its end around an ellipsis."""
    if len(text) <= width:
        return text
    start = (width - 1) // 2
    return text[:start] + "…" + text[len(text) - (width - 1 - start) :]


def label(name: str, width: int = 24, tag: str = "") -> str:
    r"""A home's or region's name for a chart, literally, in at most two lines of about ``width`` characters; a
    longer name keeps its start and, after an ellipsis, its end. With a ``tag`` (the home id that tells two
    homes of one name apart), the name takes the first line and the tag, whole or around an ellipsis, the second.

    >>> label("Barchester Healthcare - Ashgrove Care Home and Nursing Centre")
    'Barchester Healthcare -\n…and Nursing Centre'
    >>> label("Oak" + chr(0x202E) + " $x$")
    'Oak \\$x\\$'
    >>> label("Barchester Healthcare - Ashgrove Care Home", 20, tag="(barchester-ashgrove-2)")
    'Barchester Healthca…\n(barchest…shgrove-2)'
    """
    text = plain(name)
    width = _width(text, width)
    if tag:
        return literal(f"{_cut(text, width)}\n{_middle(plain(tag), width)}")
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > 2:
        tail = text[-(width - 1) :]
        lines = [lines[0], "…" + (tail.split(" ", 1)[-1] if " " in tail[1:] else tail)]
    return literal("\n".join(lines))


def labels(names: list[str], width: int = 24, tags: list[str] | None = None) -> list[str]:
    """:func:`label` of each name (and its tag); names whose labels would coincide show, after their start, the
    words from where they differ, and tags cut to the same text show whole, so that no two rows of a chart read
    the same unless their names and tags do."""
    tags = tags or [""] * len(names)
    out = [label(name, width, tag) for name, tag in zip(names, tags, strict=True)]
    for shared in {text for text in out if out.count(text) > 1}:
        group = [i for i, text in enumerate(out) if text == shared]
        if all(tags[i] for i in group):
            for i in group:
                out[i] = literal(f"{_cut(plain(names[i]), _width(plain(names[i]), width))}\n{plain(tags[i])}")
            continue
        words = [plain(names[i]).split() for i in group]
        same = 0
        while all(len(w) > same for w in words) and len({w[same] for w in words}) == 1:
            same += 1
        if all(len(w) == same for w in words):
            continue  # the same name: the same label
        for i, w in zip(group, words, strict=True):
            wide = _width(" ".join(w), width)
            first = textwrap.wrap(" ".join(w), wide)[0]
            out[i] = literal(f"{first}\n…{_cut(' '.join(w[same:]), wide - 1)}")
    return out


@styled
def heat_map(ratings: pd.DataFrame, themes: list[tuple[str, str]], title: str = "") -> Chart | None:
    """Homes (rows, under a heading per region) x themes and overall: the rating's word in each coloured cell.

    ``ratings``: rows of :func:`wellled.report.overview.home_ratings`; ``themes``: (id, label) in order.
    """
    if ratings.empty:
        return None
    columns = [*themes, ("overall", "Overall")]
    homes = ratings.sort_values([c for c in ("region", "home_name", "home_id") if c in ratings])
    homes = homes.reset_index(drop=True)
    displayed = homes["display_name"] if "display_name" in homes else homes["home_name"]  # Name (id) if shared
    homes["tag"] = [  # the id that tells homes of one name apart, on a line of its own
        "" if d == n else f"({i})"
        for d, n, i in zip(displayed, homes["home_name"], homes.get("home_id", displayed), strict=True)
    ]
    grouped = homes["region"].nunique() > 1 or bool(homes["region"].iloc[0])
    lines: list[tuple[str, dict | None]] = []  # (label, row) with row None for a region heading
    for region, part in homes.groupby("region", sort=True):
        if grouped:
            lines.append((region or "No region recorded", None))
        lines += [(name, row) for name, row in zip(part["home_name"], part.to_dict("records"), strict=True)]
    row_in, left_in = 0.34, 1.6 if len(columns) <= 6 else 1.3
    cell_in = (WIDTH_IN - left_in - 0.05) / len(columns)
    words_pt = min(6.5, cell_in * 72 / 8.4)  # "Outstanding" in bold fits the cell, however many themes
    header_pt = 7.5 if len(columns) <= 6 else 6.5
    names = [plain(name) for _, name in columns]
    chars = int(cell_in * 72 / (0.6 * header_pt) + 0.01)  # of a header line across a cell
    upright = max(len(word) for name in names for word in name.split()) <= chars
    if not upright:  # the words are wider than a cell: headers read upwards, in as many lines as fit across it
        across = max(1, int(cell_in * 72 / (header_pt * 1.3)))
        chars = max(12, *(math.ceil(len(name) / across) for name in names))
    headers = [textwrap.fill(literal(name), chars) for name in names]
    longest = max(len(line) for header in headers for line in header.split("\n"))
    lines_high = max(header.count("\n") + 1 for header in headers)
    top_in = 0.15 + (lines_high * 1.3 if upright else longest * 0.62) * header_pt / 72
    height = top_in + 0.1 + row_in * len(lines)
    fig = Figure(figsize=(WIDTH_IN, height))
    ax = fig.add_axes((left_in / WIDTH_IN, 0.1 / height, 1 - (left_in + 0.05) / WIDTH_IN, 1 - (top_in + 0.1) / height))
    width = int((left_in - 0.1) * 72 / (0.62 * LABEL_PT))  # characters of a label line within the margin
    rows = labels(
        [name for name, row in lines if row is not None], width - 2, [r["tag"] for _, r in lines if r is not None]
    )
    shown = []
    for r, (name, row) in enumerate(lines):
        if row is None:
            shown.append(label(name, width))
            continue
        shown.append("\n".join("  " + line for line in rows.pop(0).split("\n")))
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
                fontsize=words_pt,
                linespacing=0.95,
                color="white" if rating in DARK_CELLS else "black",
                fontweight="bold" if bold else "normal",
            )
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(lines), 0)
    ax.set_xticks([c + 0.5 for c in range(len(columns))])
    ax.set_xticklabels(headers, fontsize=header_pt, linespacing=1.0, rotation=0 if upright else 90)
    ax.xaxis.tick_top()
    ax.set_yticks([r + 0.5 for r in range(len(lines))])
    ax.set_yticklabels(shown, fontsize=LABEL_PT, linespacing=1.0)
    for tick, (_, row) in zip(ax.get_yticklabels(), lines, strict=True):
        if row is None:
            tick.set_fontweight("bold")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    worst = displayed[homes["overall"].isin([REQUIRES_IMPROVEMENT, INADEQUATE])].map(plain).tolist()
    if not worst:
        named = "No home is rated requires improvement or inadequate overall."
    elif len(worst) <= CAPTION_NAMES:
        named = f"Rated requires improvement or inadequate overall: {', '.join(worst)}."
    else:  # the names are in the last column; a caption naming 20 homes would not fit the page beside the map
        named = f"{len(worst)} of the {len(homes)} homes here are rated requires improvement or inadequate overall."
    caption = (
        f"{title or 'Indicative ratings'}: each home's rating for every theme and overall, in words in each cell"
        + (", homes grouped by region. " if grouped else ". ")
        + named
    )
    part = title.removeprefix("Indicative ratings, ") if title and title != "All homes" else ""
    alt = "Heat map of indicative ratings, homes by theme" + (f", {part}" if part else "")
    return Chart(f"heat-map-{title or 'all'}", fig, caption, alt)


def _cell(x: int, y: int, colour: str, edge: str, lw: float):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), 1, 1, facecolor=colour, edgecolor=edge, lw=lw)


@styled
def funnel(limits: pd.DataFrame, homes: pd.DataFrame, theme_id: str, theme_label: str) -> Chart | None:
    """Every home's percent positive against its answers, 95 % and 99.8 % limits, homes outside named."""
    if limits is None or limits.empty or len(homes) < 2 or homes["funnel"].isna().all():
        return None  # no home has a verdict (too few others to compare with): the home reports draw no funnel
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
            label(str(row.home_name), 40).replace("\n", " "),
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
    caption = (
        f"{theme_label}: {len(homes)} homes; the limits are drawn around {centre:.0f}% positive, the average of the "
        f"homes within them; {named}."
    )
    return Chart(f"overview-funnel-{theme_id}", fig, caption, f"Funnel plot of {plain(theme_label)}, every home")
