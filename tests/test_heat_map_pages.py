"""The provider overview's heat map fits the PDF's pages however many homes a provider has: every home is named
exactly once, and no heat map or caption runs into the page's bottom margin or off the page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from wellled.analysis.framework import load_framework
from wellled.report import charts, overview, overview_charts, render

THEMES = [(theme.id, theme.label) for theme in load_framework("cqc-kloe-2017").themes]
RATINGS = ["Good", "Requires improvement", "Inadequate", "Outstanding"]
REGIONS = {"West Midlands": 50, "East": 3, "": 2}  # one region longer than a page, homes with no region
BOTTOM_MARGIN_PT = 2 / 2.54 * 72  # _quarto.yml: typst margin bottom 2cm


def _ratings(themes: list[tuple[str, str]] = THEMES) -> pd.DataFrame:
    """Every home rated requires improvement overall, so that each caption names every home of its map."""
    rows = []
    for region, count in REGIONS.items():
        for i in range(count):
            name = f"{region.split()[0] if region else 'Lone'} Home {i + 1:02d} Residential Care"
            row = {"region": region, "home_id": name.lower().replace(" ", "-"), "home_name": name}
            row |= {theme: RATINGS[(i + j) % len(RATINGS)] for j, (theme, _) in enumerate(themes)}
            rows.append(row | {"overall": "Requires improvement"})
    return pd.DataFrame(rows)


def test_every_home_is_in_exactly_one_part_and_no_part_is_taller_than_a_page():
    ratings = _ratings()
    parts = overview.heat_map_parts(ratings)
    assert len(parts) >= 3  # the long region was split
    names = [name for _, part in parts for name in part["home_name"]]
    assert sorted(names) == sorted(ratings["home_name"]) and len(set(names)) == len(names)
    assert len({title for title, _ in parts}) == len(parts)
    for _, part in parts:
        assert len(part) + part["region"].nunique() <= overview.HEAT_MAP_LINES  # homes and region headings
    few = overview.heat_map_parts(ratings.head(15))
    assert [title for title, _ in few] == ["All homes"]


def _words(pdf: Path) -> list[tuple[int, float, float, str]]:
    """(page, top, bottom, word) of every word in the PDF, in points from each page's top."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words, page, heights = [], 0, []
    for line in out.splitlines():
        if line.lstrip().startswith("<page "):
            page += 1
            heights.append(float(re.search(r'height="([\d.]+)"', line).group(1)))
        found = re.search(r'<word xMin="[\d.]+" yMin="([\d.-]+)" xMax="[\d.]+" yMax="([\d.-]+)">(.*)</word>', line)
        if found:
            words.append((page, float(found.group(1)), float(found.group(2)), found.group(3)))
    return [(p, top, bottom, word) for p, top, bottom, word in words if p] + [(0, heights[0], 0.0, "")]


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["cqc-kloe-2017", "cqc-saf-2024"])
def test_the_heat_maps_of_many_homes_stay_inside_the_pdf_pages(tmp_path, framework):
    themes = [(theme.id, theme.label) for theme in load_framework(framework).themes]
    ratings = _ratings(themes)
    book = nbformat.v4.new_notebook()
    for title, part in overview.heat_map_parts(ratings):
        placed = charts.place(overview_charts.heat_map(part, themes, title), tmp_path / "figures")
        cell = nbformat.v4.new_code_cell("heat map")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": placed.data})]
        book.cells.append(cell)
    executed = tmp_path / "governance-report.ipynb"
    nbformat.write(book, executed)
    pdf = render.render(executed, ("pdf",), "builtin")["pdf"]

    *words, (_, page_height, _, _) = _words(pdf)
    text = " ".join(word for *_, word in words)
    for name in ratings["home_name"]:
        assert text.count(name) >= 1, f"{name} is not on any page"
    footer_top = {page: top for page, top, _, word in words if word == "Page"}  # "Page N of M", in the margin
    limit = page_height - BOTTOM_MARGIN_PT + 1
    low = [(page, top, word) for page, top, bottom, word in words if bottom > limit]
    footers: dict[int, list[str]] = {}
    for page, top, word in low:
        if abs(top - footer_top.get(page, -99)) < 1:
            footers.setdefault(page, []).append(word)
    beyond = [(page, word) for page, top, word in low if abs(top - footer_top.get(page, -99)) >= 1]
    assert not beyond, f"text in the bottom margin or off the page ({page_height:.0f} pt high): {beyond[:8]}"
    for page, footer in footers.items():
        assert re.fullmatch(r"(wellled \S+ )?Page \d+ of \d+", " ".join(footer)), (
            f"page {page}: the footer shares its line: {footer}"
        )
    assert max(page for page, *_ in words) >= 3  # the maps took several pages: there was something to check


@pytest.mark.parametrize("framework", ["cqc-kloe-2017", "cqc-saf-2024"])
def test_every_name_and_heading_of_a_heat_map_is_inside_its_figure(framework):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    themes = [(theme.id, theme.label) for theme in load_framework(framework).themes]
    title, part = overview.heat_map_parts(_ratings(themes))[1]
    chart = overview_charts.heat_map(part, themes, title)
    canvas = FigureCanvasAgg(chart.figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    width, height = chart.figure.bbox.width, chart.figure.bbox.height
    ax = chart.figure.axes[0]
    texts = [t for t in [*ax.get_yticklabels(), *ax.get_xticklabels()] if t.get_text()]
    assert len(texts) > len(themes) + 10
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height, (text.get_text(), box)
