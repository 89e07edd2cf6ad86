"""Every word and number of every chart of every demo home lies inside the chart, at desktop and phone width:
a label cut at the edge of the picture ("94.€") is a figure the committee cannot read."""

from __future__ import annotations

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from tests.conftest import DEMO_END
from wellled.analysis.themes import AnalysisParams
from wellled.report import charts
from wellled.report import content as report

HOMES = ("birch-lodge", "cedar-house", "elm-grove", "maple-view", "oak-house", "willow-court")


def _texts(figure) -> list[Text]:
    """Every text the chart draws: titles, axis labels, tick labels of ticks in view, annotations, legends."""
    texts = list(figure.texts)
    for legend in figure.legends:
        texts += legend.get_texts()
    for ax in figure.axes:
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        if ax.get_legend():
            texts += ax.get_legend().get_texts()
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            texts += [tick.label1 for tick in axis.get_major_ticks() if low - 1e-9 <= tick.get_loc() <= high + 1e-9]
    return [text for text in texts if text.get_visible() and text.get_text().strip()]


def _outside(chart: charts.Chart) -> list[str]:
    """The texts of a chart that reach beyond its picture, each with how far (pixels)."""
    figure = chart.figure
    with matplotlib.rc_context(charts.STYLE):  # type: ignore[arg-type]
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        renderer = canvas.get_renderer()
        width, height = figure.bbox.width, figure.bbox.height
        cut = []
        for text in _texts(figure):
            box = text.get_window_extent(renderer)
            beyond = max(-box.x0, box.x1 - width, -box.y0, box.y1 - height)
            if beyond > 0.5:
                cut.append(f"{text.get_text()!r} by {beyond:.0f} px")
    return cut


@pytest.mark.slow  # the demo's six homes, built and checked
@pytest.mark.parametrize("home_id", HOMES)
def test_no_chart_text_reaches_beyond_the_chart(demo_data, home_id):
    home = report.load_home_report(home_id, DEMO_END, "cqc-kloe-2017", demo_data.data, AnalysisParams())
    drawn = {}

    def judge(chart: charts.Chart | None) -> None:
        if chart:
            drawn[f"{chart.name} at {chart.figure.get_figwidth()} in"] = _outside(chart)

    for full in [charts.themes_chart(home.summary), *(charts.groups_chart(theme, home_id) for theme in home.themes)]:
        judge(full)  # before its phone copy, which may re-lay the same figure
        judge(full.phone() if full and full.phone else None)
    for theme in home.themes:  # the pairs of half-width charts, one copy for every screen
        limits, homes = report.funnel_data(home, theme["id"])
        position = (theme.get("benchmark") or {}).get("funnel")
        half = charts.HALF_WIDTH_IN
        judge(charts.trend_chart(theme, home_id, width_in=half))
        judge(charts.funnel_chart(limits, homes, home_id, theme["id"], theme["label"], position, half))
    phones = [name for name in drawn if name.endswith(f" at {charts.PHONE_WIDTH_IN} in")]
    assert len(drawn) >= 2 * 4 and len(phones) >= 2, "too few charts were drawn to judge"
    cut = {name: beyond for name, beyond in drawn.items() if beyond}
    assert not cut, f"text cut at the edge of the chart: {cut}"
