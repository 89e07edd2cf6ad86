"""The home report as a committee, a phone and a screen reader meet it: page one alone, the PDF's identity and
page count, captions beside their tables, axe-core in headless Chromium, a phone-width layout, framework words."""

from __future__ import annotations

import ast
import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from tests.browser import chromium_path, open_page
from tests.conftest import run_cli
from wellled.paths import HOME_REPORT_NOTEBOOK
from wellled.report.options import ReportOptions, notebook_parameters

ROOT = Path(__file__).resolve().parents[1]
AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed")
needs_axe = pytest.mark.skipif(not AXE.is_file(), reason="axe-core is not installed: run `make test-deps`")
WEAKEST = "birch-lodge"
SAF = "cqc-saf-2024"
MAX_PAGES = 12


@pytest.fixture(scope="module")
def reports(demo_data, tmp_path_factory) -> Path:
    """The weakest demo home (most to show) in the default framework, a strong one in the SAF, then the weakest
    home in the SAF too (eight themes: the longest page one), into the same folder as its default report."""
    folder = tmp_path_factory.mktemp("layout")
    for args in (
        (WEAKEST,),
        ("oak-house", "--framework", SAF, "--format", "html"),
        (WEAKEST, "--framework", SAF),
    ):
        done = run_cli("report", *args, "--data", str(demo_data.data), "--reports", str(folder))
        assert done.code == 0, done.stdout + done.stderr
    return folder


def _report(reports: Path, home: str, suffix: str, framework: str | None = None) -> Path:
    """The one report file of ``home`` in the default framework's folder, or in ``framework``'s."""
    pattern = f"*/{framework}/governance-report.{suffix}" if framework else f"*/governance-report.{suffix}"
    found = sorted(p for p in (reports / home).glob(pattern) if ".versions" not in str(p))
    assert len(found) == 1, f"one {suffix} for {home} ({framework or 'default framework'}): {found}"
    return found[0]


def _summary(reports: Path, home: str) -> dict:
    return json.loads(_report(reports, home, "html").with_name("summary.json").read_text())


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
@needs_poppler
def test_pdf_names_the_home_and_quarter_is_tagged_and_fits_twelve_pages(reports):
    pdf = _report(reports, WEAKEST, "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Title:\s+Birch Lodge: Well-led governance report, 2026-Q3$", info, re.MULTILINE), info
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    assert 2 <= pages <= MAX_PAGES
    body = pdf.read_bytes()
    assert b"/Lang(en-GB)" in body
    summary = _summary(reports, WEAKEST)
    for theme in summary["themes"]:
        assert f"/Alt(Funnel plot of {theme['label']} against other homes)".encode() in body
    running_headers = [page for page in _pages(pdf)[1:] if "Birch Lodge: Well-led governance report, 2026-Q3" in page]
    assert len(running_headers) == pages - 1, "every page after the first names the home and quarter"


@pytest.mark.slow
@needs_poppler
def test_page_one_alone_gives_rating_evidence_and_everything_needing_attention(reports):
    summary = _summary(reports, WEAKEST)
    first = _flat(_pages(_report(reports, WEAKEST, "pdf"))[0])
    assert "Birch Lodge" in first and "2026-Q3" in first and summary["framework"]["name"] in first
    assert "Data up to" in first and "Evidence" in first
    assert f"Indicative overall rating for Well-led: {summary['overall_rating']}." in first
    for theme in summary["themes"]:
        assert theme["label"] in first and theme["rating"] in first
    assert "Key line of" in first and "Against other" in first and "Needing attention" in first
    overdue_high = [a for a in summary["actions"]["items"] if a["is_overdue"] and a["priority"] == "high"]
    assert overdue_high and "days overdue" in first
    for finding in summary["repeat_findings"]:
        assert f"'{finding['item']}' not met at {finding['consecutive_not_met']} audits running" in first
    attention = first[first.index("Needing attention") :]
    for theme in summary["themes"]:
        if theme["rating"] in ("Inadequate", "Requires improvement"):
            assert f"{theme['label']} (" in attention, theme["label"]
    below = [t["label"] for t in summary["themes"] if t["benchmark"]["funnel"] == "below"]
    assert below and all(label in attention for label in below)


@pytest.mark.slow
@needs_poppler
def test_the_longest_page_one_saf_still_ends_its_attention_list_on_page_one(reports):
    pdf = _report(reports, WEAKEST, "pdf", SAF)
    summary = json.loads(pdf.with_name("summary.json").read_text())
    pages = _pages(pdf)
    assert len(summary["themes"]) == 8 and 2 <= len(pages) <= MAX_PAGES
    first = _flat(pages[0])
    for theme in summary["themes"]:
        assert theme["label"] in first and theme["rating"] in first
    attention = first[first.index("Needing attention") :]
    assert "days overdue" in attention
    assert re.search(r"And \d+ more: \d+ in section ", attention), "what does not fit is counted on page one"
    assert "Needing attention" not in _flat(pages[1]) and "And " not in _flat(pages[1])[:120]


@pytest.mark.slow
@needs_poppler
def test_no_table_caption_is_left_at_the_foot_of_a_page(reports):
    checked = 0
    for page in _pages(_report(reports, WEAKEST, "pdf")):
        lines = [line for line in page.splitlines() if line.strip()]
        body = [line for line in lines if not re.search(r"Page \d+ of \d+|^\s*wellled \d", line)]
        for i, line in enumerate(body):
            if re.match(r"\s*Table \d+: ", line):
                checked += 1
                assert len(body) - i - 1 >= 2, f"caption without its table below it: {line.strip()}"
    assert checked >= 5


@pytest.mark.slow
@needs_chromium
@needs_axe
def test_axe_core_finds_no_serious_or_critical_violation(reports, tmp_path):
    run = """(async () => {
      const result = await axe.run(document, {resultTypes: ['violations']});
      return result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}));
    })()"""
    for home, framework in ((WEAKEST, None), ("oak-house", SAF)):
        html = _report(reports, home, "html", framework)
        page = open_page(html, tmp_path / f"{home}.png", scripts=(AXE.read_text(), run))
        violations = page.results[1]
        assert isinstance(violations, list)
        assert [v for v in violations if v["impact"] in ("serious", "critical")] == [], violations


HEADINGS = """(() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => Number(h.tagName[1])))()"""
LAYOUT = """(() => ({
  viewport: document.documentElement.clientWidth,
  page: document.documentElement.scrollWidth,
  tables: [...document.querySelectorAll('main table')].map(t => {
    const box = t.closest('.table-scroll');
    const r = (box || t).getBoundingClientRect();
    return {boxed: !!box, right: r.right, focusable: box ? box.tabIndex === 0 : false};
  }),
  images: [...document.querySelectorAll('main figure img')].map(i => ({
    alt: i.getAttribute('alt'), label: i.getAttribute('aria-label'),
    caption: (i.closest('figure').querySelector('figcaption') || {}).textContent || ''})),
}))()"""


@pytest.mark.slow
@needs_chromium
def test_at_phone_width_no_table_overflows_and_headings_and_alt_text_read_right(reports, tmp_path):
    page = open_page(_report(reports, WEAKEST, "html"), tmp_path / "phone.png", width=390, scripts=(LAYOUT, HEADINGS))
    layout, levels = page.results
    assert layout["viewport"] == 390 and layout["page"] <= 390, "nothing pushes the page sideways"
    assert len(layout["tables"]) >= 5
    for table in layout["tables"]:
        assert table["boxed"] and table["focusable"] and table["right"] <= 390
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    assert len(layout["images"]) >= 10
    for image in layout["images"]:
        # pandoc's embedding of an SVG repeats the alt as aria-label: the same short name, read once
        assert image["alt"] and image["label"] in (None, image["alt"]) and len(image["alt"]) < 80
        assert image["alt"] not in image["caption"], "the caption describes; the alt names the chart"
    assert "Birch Lodge" in page.facts["title"] and "2026-Q3" in page.facts["title"]


CHART_TEXT_PT = 8  # the smallest text a chart is drawn with (charts.STYLE)
CHARTS = """(() => [...document.querySelectorAll('main figure img')]
  .filter(i => getComputedStyle(i).display !== 'none' && i.getBoundingClientRect().width > 0)
  .map(i => ({alt: i.getAttribute('alt'), shown: i.getBoundingClientRect().width, drawn: i.naturalWidth,
              right: i.getBoundingClientRect().right})))()"""


@pytest.mark.slow
@needs_chromium
def test_at_phone_width_every_chart_shows_its_text_at_a_legible_size(reports, tmp_path):
    """At 390 px no chart is scaled down so far that its smallest text drops below 9 CSS px (about 7 pt)."""
    for width in (390, 1366):
        page = open_page(_report(reports, WEAKEST, "html"), tmp_path / f"{width}.png", width=width, scripts=(CHARTS,))
        charts = page.results[0]
        assert len(charts) >= 10, "one shown image per chart"
        alts = [c["alt"] for c in charts]
        assert len(alts) == len(set(alts)), "each chart shown once"
        for chart in charts:
            text_px = CHART_TEXT_PT * 96 / 72 * chart["shown"] / chart["drawn"]
            assert text_px >= 9, f"{chart['alt']} at {width} px: its text is {text_px:.1f} px"
            assert chart["right"] <= width


@pytest.mark.slow
@needs_chromium
def test_a_saf_report_speaks_the_framework_words(reports, tmp_path):
    html = _report(reports, "oak-house", "html", SAF)
    page = open_page(html, tmp_path / "saf.png")
    text = page.text
    assert "We statement" in text and "We statements" in text
    for kloe_word in (
        "Key line of enquiry",
        "key lines of enquiry",
        "Involvement: response rates",
        "framework framework",
    ):
        assert kloe_word not in text, kloe_word
    assert "\tTheme\t" not in text and "Theme\n" not in text


@pytest.mark.slow
def test_the_notebook_declares_exactly_the_parameters_the_runner_sends(reports):
    import papermill  # imported here: collecting the fast tier need not load it

    declared = set(papermill.inspect_notebook(str(HOME_REPORT_NOTEBOOK)))
    executed = nbformat.read(_report(reports, WEAKEST, "ipynb"), as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    sent = {node.targets[0].id for node in ast.parse(injected[0].source).body if isinstance(node, ast.Assign)}
    assert sent <= declared, f"sent but not declared: {sent - declared}"
    everything = ReportOptions(min_respondents=3, allow_small_numbers=True)
    possible = set(notebook_parameters("h", "2026-Q1", "cqc-kloe-2017", Path("data"), everything, Path("f.parquet")))
    assert declared == possible, f"never sent: {declared - possible}; sendable but not declared: {possible - declared}"


def test_committed_notebooks_hold_no_outputs_or_execution_counts():
    notebooks = [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("tests/fixtures/*.ipynb")]
    assert notebooks
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear outputs before commit"


@pytest.mark.slow
def test_the_saf_and_kloe_reports_of_one_home_coexist(reports):
    """The weakest home's SAF report, written after its default (KLOE) report into the same folder."""
    [quarter] = [path for path in (reports / WEAKEST).iterdir() if not path.name.startswith(".")]
    assert sorted(p for p in (reports / WEAKEST).rglob("governance-report.html") if ".versions" not in str(p)) == [
        quarter / SAF / "governance-report.html",
        quarter / "governance-report.html",
    ], "the default framework in the quarter's folder, any other in a folder of its own"
    kloe, saf = quarter / "governance-report.html", quarter / SAF / "governance-report.html"
    assert "We statement" in saf.read_text(encoding="utf-8")
    assert "We statement" not in kloe.read_text(encoding="utf-8")
    assert json.loads(kloe.with_name("summary.json").read_text())["framework"]["id"] == "cqc-kloe-2017"
    assert json.loads(saf.with_name("summary.json").read_text())["framework"]["id"] == SAF
