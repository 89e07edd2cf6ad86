"""Report charts with matplotlib: colour-blind-safe (Okabe-Ito), legible at A4, one message per chart.

Each ``*_chart`` function takes plain data (a summary dict or a frame) and returns a :class:`Chart`: the
figure, a caption that states what the figure shows in words (the description), and a short ``alt`` naming
the chart. :func:`place` saves it as SVG beside the notebook and returns Markdown for a captioned figure, so
HTML and PDF both carry the caption. No chart is drawn for a suppressed figure; suppressed quarters are gaps.
Every series is at least 3:1 against white, text is at least 8 pt at A4, legends sit outside the data.
"""

from __future__ import annotations

import functools
import math
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ParamSpec, TypeVar

import matplotlib
import pandas as pd
from IPython.display import Markdown
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from wellled.analysis.ratings import RatingThresholds, rating_bands
from wellled.report import present
from wellled.report.present import pct as _pct

# Okabe-Ito hues, darkened where needed so each is at least 3:1 against white (and the rating bands).
BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, GREY = (
    "#0072B2",
    "#A86500",
    "#008060",
    "#C85A00",
    "#3A7DB5",
    "#AD4F82",
    "#767676",
)
GROUP_COLOURS = {"staff": BLUE, "resident": ORANGE, "family": GREEN, "professional": PURPLE, "all": "#333333"}
RATING_BANDS = rating_bands(RatingThresholds())
BAND_SHADES = ("#fbe3d6", "#fdf1d6", "#e3f1e7", "#d9ecf7")
WIDTH_IN = 6.3  # the text width of an A4 page with 2 cm margins
HALF_WIDTH_IN = 3.1  # one of two charts side by side
SCORE_LABEL_IN = 0.45  # the width of a theme score written beside its dot, "100.0" at 9 pt, with its offset
VALUE_LABEL_IN = 1.0  # the width of a bar's value label, "100.0%  (n=123)" at 8 pt, with its offset
PHONE_WIDTH_IN = 3.5  # a full-width chart redrawn for a phone: 336 CSS px, shown at its own size at 390 px
FIGURES_DIR = Path("figures")
P = ParamSpec("P")
R = TypeVar("R")

STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",  # text stays text: half the drawing time, searchable, and typst sets it in DejaVu
    "figure.dpi": 100,
    "svg.hashsalt": "wellled",
}


def styled(draw: Callable[P, R]) -> Callable[P, R]:
    """Draw inside the report style, leaving matplotlib's global settings as they were."""

    @functools.wraps(draw)
    def inside_style(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
            return draw(*args, **kwargs)

    return inside_style


@dataclass(frozen=True)
class Chart:
    """A drawn chart. ``phone``: draws it again at :data:`PHONE_WIDTH_IN`, called by :func:`place` once the
    full-width copy is saved (it may re-lay the same figure rather than draw a new one)."""

    name: str
    figure: Figure
    caption: str
    alt: str = "Chart"
    phone: Callable[[], Chart] | None = field(default=None, compare=False, repr=False)


def points(moved: float) -> str:
    """'3 points higher', '1 point lower', 'no different'.

    >>> points(-1.2), points(0.2), points(3.4)
    ('1 point lower', 'no different', '3 points higher')
    """
    size = round(abs(moved))
    if size == 0:
        return "no different"
    return f"{size} point{'s' if size > 1 else ''} {'higher' if moved > 0 else 'lower'}"


def change_phrase(change: dict | None, compared_with: str = "last quarter") -> str | None:
    """How percent positive moved, and whether that is more than chance; None without a comparison.

    >>> change_phrase({"change_pct_points": -6.2, "significant": True}, "in 2026-Q2")
    '6 points lower than in 2026-Q2, significant (p < 0.05)'
    """
    change = change or {}
    moved = change.get("change_pct_points")
    if moved is None:
        return None
    verdict = "significant (p < 0.05)" if change.get("significant") else "within chance variation"
    return f"{points(moved)} than {compared_with}, {verdict}"


def place_pair(first: Chart | None, second: Chart | None, folder: Path = FIGURES_DIR) -> Markdown | None:
    """Two half-width charts side by side (one under the other on a phone); either may be None."""
    shown = [place(chart, folder).data for chart in (first, second) if chart]
    if not shown:
        return None
    return Markdown("::: {.chart-pair}\n" + "\n".join(shown) + "\n:::\n")


def _save(chart: Chart, folder: Path, suffix: str = "") -> tuple[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9-]+", "-", chart.name.lower()).strip("-") + suffix
    path = folder / f"{slug}.svg"
    copy = 1
    while path.exists():  # two names that slug alike (non-Latin labels, ids differing in case) stay apart
        copy += 1
        path = folder / f"{slug}-{copy}.svg"
    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        chart.figure.savefig(path, format="svg", metadata={"Date": None})
    return path.stem, path


def place(chart: Chart, folder: Path = FIGURES_DIR) -> Markdown:
    """Save the chart as SVG under ``folder`` and return a captioned Markdown figure for it.

    A chart with a ``phone`` copy gets it saved too (``NAME-phone.svg``); the HTML shows it instead at phone
    width.
    """
    slug, path = _save(chart, folder)
    narrow = f' phone="{_save(chart.phone(), folder, "-phone")[1].as_posix()}"' if chart.phone else ""
    return Markdown(
        f'![{present.text(chart.caption)}]({path.as_posix()}){{#fig-{slug} alt="{present.text(chart.alt)}"{narrow}}}\n'
    )


def literal(text: str) -> str:
    r"""Text from data as matplotlib shows it literally: ``$`` would otherwise start mathtext.

    >>> literal("Improve $x^2$")
    'Improve \\$x^2\\$'
    """
    return text.replace("$", r"\$")


def _wrap(labels: list[str], width: int = 24) -> tuple[list[str], float]:
    """Labels wrapped to ``width`` characters, and the left margin (inches) the longest line needs at 8 pt."""
    wrapped = [textwrap.fill(literal(label), width) for label in labels]
    longest = max((len(line) for label in wrapped for line in label.splitlines()), default=0)
    return wrapped, max(1.0, 0.2 + 0.068 * longest)


def _figure(
    height_in: float, left_in: float = 1.0, width_in: float = WIDTH_IN, top_in: float = 0.12, right_in: float = 0.2
) -> tuple[Figure, Axes]:
    """A figure with fixed margins (in inches), so every chart lines up and is drawn only once.

    Figures are built without pyplot: no global state, so charts can be drawn in parallel runs.
    """
    fig = Figure(figsize=(width_in, height_in))
    ax = fig.add_subplot()
    fig.subplots_adjust(
        left=left_in / width_in, right=1 - right_in / width_in, bottom=0.5 / height_in, top=1 - top_in / height_in
    )
    return fig, ax


def _quarter_labels(periods: list[str], narrow: bool) -> list[str]:
    """'2026-Q3', or on a narrow chart 'Q3' with the year under the first quarter of each year.

    >>> _quarter_labels(["2025-Q4", "2026-Q1", "2026-Q2"], narrow=True)
    ['Q4\\n2025', 'Q1\\n2026', 'Q2']
    """
    if not narrow:
        return periods
    labels, last_year = [], None
    for period in periods:
        year, quarter = period.split("-", 1)
        labels.append(f"{quarter}\n{year}" if year != last_year else quarter)
        last_year = year
    return labels


def _rating_bands(ax, vertical: bool = False) -> None:
    for (low, high, _), shade in zip(RATING_BANDS, BAND_SHADES, strict=True):
        (ax.axhspan if vertical else ax.axvspan)(low, high, color=shade, zorder=0, lw=0)


@styled
def themes_chart(summary: dict, width_in: float = WIDTH_IN) -> Chart:
    """Each theme's score against the indicative rating bands."""
    themes = summary["themes"]
    narrow = width_in < WIDTH_IN
    labels, left_in = _wrap([t["label"] for t in themes][::-1], 14 if narrow else 24)
    lines = max(label.count("\n") + 1 for label in labels)
    tall = 1 + 0.35 * (lines - 1) if narrow else 1.35 if lines > 1 else 1
    height_in = 0.3 * len(themes) * tall + 0.85 + 0.3 * narrow
    # room right of the axes for a score of 100 written beside its dot, "100.0" at 9 pt
    fig, ax = _figure(height_in, left_in, width_in, 0.5 if narrow else 0.12, right_in=SCORE_LABEL_IN)
    _rating_bands(ax)
    scores = [t["score"] for t in themes][::-1]
    scored = [(y, score) for y, score in enumerate(scores) if score is not None]
    if scored:
        ys, values = zip(*scored, strict=True)
        ax.hlines(ys, 0, values, color=GREY, lw=1, zorder=1)
        ax.plot(values, ys, "o", color=BLUE, ms=7, zorder=2)
    for y, score in scored:
        ax.annotate(f"{score:.1f}", (score, y), xytext=(6, 0), textcoords="offset points", va="center")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Theme score (0-100)")
    if narrow:  # on a phone the bands are too narrow for their names: a key above the axes
        keys = [Patch(facecolor=shade, edgecolor=GREY, lw=0.5) for shade in BAND_SHADES]
        names = [name for _, _, name in RATING_BANDS]
        fig.legend(keys, names, ncol=2, loc="upper left", bbox_to_anchor=(0, 1), frameon=False, fontsize=8)
    for low, high, name in RATING_BANDS if not narrow else ():
        ax.text(
            (low + high) / 2,
            len(labels) - 0.45,
            name.replace("Requires ", "Requires\n"),
            ha="center",
            va="bottom",
            fontsize=8,
            color="#333",
            linespacing=0.9,
        )
    ax.set_ylim(-0.6, len(labels) - (0.4 if narrow else -0.75))
    rated = [t for t in themes if t["score"] is not None]
    best = max(rated, key=lambda t: t["score"]) if rated else None
    worst = min(rated, key=lambda t: t["score"]) if rated else None
    caption = (
        f"Theme scores for {summary['period']}: strongest {best['label']} ({best['score']:.1f}), weakest "
        f"{worst['label']} ({worst['score']:.1f}). Shaded bands show the indicative rating thresholds."
        if best and worst
        else "No theme has enough evidence for a score this quarter."
    )
    chart = Chart(f"themes-{summary['home_id']}", fig, caption, "Chart of theme scores against rating bands")
    return replace(chart, phone=lambda: themes_chart(summary, PHONE_WIDTH_IN)) if not narrow else chart


@styled
def groups_chart(theme: dict, home_id: str, width_in: float = WIDTH_IN) -> Chart | None:
    """Percent positive by respondent group with 95 % intervals; suppressed groups are not drawn."""
    survey = theme["survey"]
    shown = [g for g in survey["by_group"] if not g["suppressed"] and g["positive_pct"] is not None]
    if survey["suppressed"] or survey["positive_pct"] is None or not shown:
        return None
    rows = [
        *shown,
        {
            "respondent_group": "all",
            "positive_pct": survey["positive_pct"],
            "ci95": survey["ci95"],
            "respondents": survey["respondents"],
        },
    ]
    labels, left_in = _wrap([r["respondent_group"].capitalize() for r in reversed(rows)], 14)
    row_in = 0.3 if any("\n" in label for label in labels) else 0.22
    height_in = row_in * len(rows) + 0.55
    fig, ax = _figure(height_in, left_in=left_in, width_in=width_in)
    ordered = rows[::-1]
    ys = range(len(ordered))
    values = [row["positive_pct"] for row in ordered]
    lows, highs = zip(*(row["ci95"] for row in ordered), strict=True)
    colours = [GROUP_COLOURS.get(row["respondent_group"], GREY) for row in ordered]
    ax.barh(ys, values, color=colours, alpha=0.85, height=0.6)
    errors = [
        [value - low for value, low in zip(values, lows, strict=True)],
        [h - v for v, h in zip(values, highs, strict=True)],
    ]
    ax.errorbar(values, ys, xerr=errors, fmt="none", ecolor="#222", capsize=3, lw=1)
    for y, row, high in zip(ys, ordered, highs, strict=True):
        ax.annotate(
            f"{_pct(row['positive_pct'])}  (n={row['respondents']})",
            (high, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(range(len(rows)), labels)
    _groups_width(fig, ax, width_in, height_in, left_in)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("Positive answers (%), with 95% interval")
    hidden = [g["respondent_group"] for g in survey["by_group"] if g["suppressed"]]
    lowest = min(shown, key=lambda g: g["positive_pct"])
    if len(shown) >= 2 and not hidden:
        which = f"lowest among {lowest['respondent_group']} respondents ({_pct(lowest['positive_pct'])})"
    else:
        which = ", ".join(f"{g['respondent_group']} {_pct(g['positive_pct'])}" for g in shown)
    caption = f"{theme['label']}: {_pct(survey['positive_pct'])} of answers positive overall; {which}." + (
        f" Not shown, to protect small groups: {', '.join(hidden)}." if hidden else ""
    )
    chart = Chart(f"groups-{home_id}-{theme['id']}", fig, caption, f"Bar chart of {theme['label']} by group")
    if width_in < WIDTH_IN:
        return chart

    def for_phone() -> Chart:  # the same bars, re-laid on a narrower figure: no second drawing
        _groups_width(fig, ax, PHONE_WIDTH_IN, height_in, left_in)
        return replace(chart, phone=None)

    return replace(chart, phone=for_phone)


def _groups_width(fig: Figure, ax: Axes, width_in: float, height_in: float, left_in: float) -> None:
    """Size and margins of a groups chart at ``width_in``, with room right of 100 % for "100.0%  (n=123)" at
    8 pt (about an inch), however narrow the chart."""
    fig.set_size_inches(width_in, height_in)
    fig.subplots_adjust(left=left_in / width_in, right=1 - 0.2 / width_in)
    ax.set_xlim(0, max(115.0, 100 / (1 - VALUE_LABEL_IN / (width_in - left_in - 0.2))))


@styled
def trend_chart(theme: dict, home_id: str, width_in: float = WIDTH_IN) -> Chart | None:
    """Percent positive (with interval) and audit compliance over up to eight quarters; hidden quarters are gaps."""
    trend = theme["trend"]
    survey = [None if t["suppressed"] or t["positive_pct"] is None else t for t in trend]
    audit = [t.get("compliance_pct") for t in trend]
    if sum(p is not None for p in survey) + sum(a is not None for a in audit) < 2:
        return None
    narrow = width_in < WIDTH_IN
    fig, ax = _figure(1.95, 0.5, width_in, top_in=0.35)
    _rating_bands(ax, vertical=True)
    xs = list(range(len(trend)))
    nan = float("nan")
    if any(p is not None for p in survey):
        ax.fill_between(
            xs,
            [p["ci95"][0] if p else nan for p in survey],
            [p["ci95"][1] if p else nan for p in survey],
            color=BLUE,
            alpha=0.15,
            lw=0,
        )
        ax.plot(
            xs, [p["positive_pct"] if p else nan for p in survey], "-o", color=BLUE, ms=4, label="Survey % positive"
        )
        for x, p in zip(xs, survey, strict=True):
            if p is None:
                ax.text(x, 4, "hidden", ha="center", va="bottom", fontsize=8, color="#333")
    spc = theme.get("spc") or {}
    limits = {point["period"]: point for point in spc.get("points") or [] if point.get("lower_pct") is not None}
    if len(limits) >= 2:
        for edge, label in (("upper_pct", "SPC limits"), ("lower_pct", None)):
            shown = [limits[t["period"]][edge] if t["period"] in limits else nan for t in trend]
            ax.plot(xs, shown, ":", color="#444", lw=1, drawstyle="steps-mid", label=label)
    if any(a is not None for a in audit):
        ax.plot(xs, [nan if a is None else a for a in audit], "--s", color=VERMILLION, ms=4, label="Audit % compliance")
    ax.set_xticks(xs, _quarter_labels([t["period"] for t in trend], narrow))
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(-0.1, 1.0),
        frameon=False,
        ncols=2 if narrow else 3,
        borderaxespad=0.1,
        columnspacing=0.8,
        handlelength=1.6,
    )
    movement = change_phrase(theme.get("change")) or "no comparison with last quarter"
    gaps = sum(p is None for p in survey)
    hidden = f" {gaps} quarter(s) hidden to protect small groups are gaps." if gaps else ""
    signal = f" Over time: {spc['words'].rstrip('.')}." if spc.get("words") else ""
    caption = f"{theme['label']} over {len(trend)} quarters: {movement}.{signal}{hidden}"
    return Chart(f"trend-{home_id}-{theme['id']}", fig, caption, f"Line chart of {theme['label']} over time")


def draw_funnel_limits(ax: Axes, limits: pd.DataFrame) -> float:
    """The 95 % and 99.8 % funnel limits and the centre line; returns the centre (percent positive)."""
    ax.plot(limits["valid"], limits["upper998_pct"], color=GREY, lw=1, ls="--", label="99.8% limits")
    ax.plot(limits["valid"], limits["lower998_pct"], color=GREY, lw=1, ls="--")
    ax.plot(limits["valid"], limits["upper95_pct"], color=GREY, lw=1, ls=":", label="95% limits")
    ax.plot(limits["valid"], limits["lower95_pct"], color=GREY, lw=1, ls=":")
    centre = float(limits["group_positive_pct"].iloc[0])
    ax.axhline(centre, color="#555", lw=0.8)
    return centre


@styled
def funnel_chart(
    limits, homes, home_id: str, theme_id: str, theme_label: str, position: str | None, width_in: float = WIDTH_IN
) -> Chart | None:
    """Funnel plot: every home's percent positive against its number of answers, with 95 % and 99.8 % limits.

    ``limits`` has columns ``valid``, ``lower95_pct``, ``upper95_pct``, ``lower998_pct``, ``upper998_pct`` and
    ``group_positive_pct``; ``homes`` has ``home_id``, ``valid``, ``positive_pct`` for unsuppressed homes.
    """
    if limits is None or homes is None or len(homes) < 2 or home_id not in set(homes["home_id"]):
        return None
    limits = limits[limits["valid"] >= max(5.0, float(homes["valid"].min()) / 2)]
    if limits.empty or limits["group_positive_pct"].isna().all():
        return None  # too few other homes to compare with: no funnel, no verdict
    narrow = width_in < WIDTH_IN
    fig, ax = _figure(1.95, 0.65, width_in, top_in=0.55 if narrow else 0.35)
    centre = draw_funnel_limits(ax, limits)
    others = homes[homes["home_id"] != home_id]
    this = homes[homes["home_id"] == home_id]
    ax.scatter(others["valid"], others["positive_pct"], s=18, color=SKY, edgecolor="white", lw=0.5, label="Other homes")
    ax.scatter(
        this["valid"],
        this["positive_pct"],
        s=60,
        color=VERMILLION,
        edgecolor="black",
        lw=0.6,
        zorder=3,
        label="This home",
    )
    ax.set_xlabel("Valid answers")
    ax.set_ylabel("Positive answers (%)")
    low = max(0.0, math.floor(min(limits["lower998_pct"].min(), homes["positive_pct"].min()) / 10) * 10)
    ax.set_ylim(low, 100)
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(-0.12, 1.0),
        frameon=False,
        ncols=2 if narrow else 4,
        borderaxespad=0.1,
        columnspacing=0.8,
        handlelength=1.6,
    )
    words = {
        "above": "above the upper 99.8% limit: better than chance alone would explain",
        "below": "below the lower 99.8% limit: worse than chance alone would explain",
        "within": "within the limits: not distinguishable from the provider average",
    }
    caption = (
        f"{theme_label}: this home sits {words.get(position or '', 'on the chart')}, against a provider "
        f"average of {_pct(centre)} positive."
    )
    return Chart(f"funnel-{home_id}-{theme_id}", fig, caption, f"Funnel plot of {theme_label} against other homes")
