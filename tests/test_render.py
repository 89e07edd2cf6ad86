"""The fixture notebook executed by real Papermill in the wellled kernel, rendered by the built-in renderer,
then read the way a person reads it: in headless Chromium with the network blocked, and through poppler."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.browser import chromium_path, open_page
from wellled.report import execute

pytestmark = pytest.mark.slow  # executes and renders the fixture notebook, drives the browser

FIXTURE = Path(__file__).parent / "fixtures" / "report-fixture.ipynb"
HOSTILE = [
    "<script>alert(1)</script>",
    "<b>x</b>",
    "**bold**",
    "#set page(width: 1cm)",
    "$x$",
    "@ref",
    "// not-a-comment",
    "[link](https://example.invalid/x.png)",
    "~tilde~",
    "<script>alert(2)</script>",
]
HIDDEN = [
    "HIDDEN-CODE-MARKER",
    "home_id =",
    "INCLUDE-FALSE-MARKER",
    "WARNING-MARKER",
    "fixture-home",
    "import matplotlib",
    "papermill",
]
SHOWN = [
    "injected-home",
    "2026-Q2",
    "STDOUT-MARKER",
    "ECHO-TRUE-MARKER",
    "Figure 1",
    "Staff scores rose in each of the last four quarters.",
    "Table 1: Open actions, oldest first.",
    "Table 2: A DataFrame displayed as it is.",
    "A-080",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> execute.Report:
    out = tmp_path_factory.mktemp("reports") / "fixture-home" / "2026-Q2"
    return execute.execute(FIXTURE, out, {"home_id": "injected-home", "period": "2026-Q2"}, renderer="builtin")


def _urls(html: str) -> list[str]:
    """Every src/href/srcset/poster attribute of every element: what a browser would fetch or follow."""
    found: list[str] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(value or "" for name, value in attrs if name in ("src", "href", "srcset", "poster"))

    Collector().feed(html)
    return found


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_report_folder_holds_exactly_the_executed_notebook_html_and_pdf(report):
    names = sorted(path.name for path in report.directory.iterdir())
    assert names == ["governance-report.html", "governance-report.ipynb", "governance-report.pdf"]
    assert report.outputs["pdf"].read_bytes().startswith(b"%PDF")


def test_the_html_is_one_self_contained_file_without_scripts(report):
    html = report.outputs["html"].read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert [url for url in _urls(html) if not url.startswith(("data:", "#"))] == []
    assert "<link" not in html and "@import" not in html and "@font-face" not in html
    assert any(url.startswith("data:image/png;base64,") for url in _urls(html)), "the chart is embedded"
    assert "thead {" in html.replace("\n", " ") and "display: table-header-group" in html


@pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (Debian package 'chromium')")
def test_chromium_shows_the_report_with_no_request_to_any_other_host(report, tmp_path):
    page = open_page(report.outputs["html"], tmp_path / "report.png")
    assert page.screenshot.stat().st_size > 20_000, "screenshot saved for inspection"
    assert page.external_requests() == []
    assert page.console_errors == [] and page.dialogs == []
    text = _flat(page.text)
    assert "Fixture report: Café Ünïcode House" in text
    for literal in HOSTILE + SHOWN:
        assert literal in text, literal
    for absent in HIDDEN:
        assert absent not in text, absent
    facts = page.facts
    assert facts["scripts"] == 0 and facts["bold_elements"] == []
    assert facts["tables"] == 2 and facts["theads"] == 2
    assert facts["figures"] == 1 and facts["images_loaded"]
    assert facts["toc_links"] >= 4
    assert facts["width"] <= 1280, "no horizontal scrolling at desktop width"


needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
    reason="poppler-utils (pdftotext, pdfinfo) is not installed",
)


def _pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return text.stdout.split("\f")


@needs_poppler
def test_the_pdf_is_a4_with_page_numbers_and_the_data_shown_literally(report, tmp_path):
    info = subprocess.run(["pdfinfo", str(report.outputs["pdf"])], capture_output=True, text=True, check=True)
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info.stdout), info.stdout
    pages = _pdf_pages(report.outputs["pdf"])
    pages = [page for page in pages if page.strip()]
    text = _flat(" ".join(pages))
    assert "Fixture report: Café Ünïcode House" in text
    for literal in HOSTILE + SHOWN:
        assert literal in text, literal
    for absent in HIDDEN:
        assert absent not in text, absent
    assert f"Page 1 of {len(pages)}" in _flat(pages[0]) and f"Page {len(pages)} of {len(pages)}" in _flat(pages[-1])
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(report.outputs["pdf"]), str(tmp_path / "page")],
            check=True,
        )


@needs_poppler
def test_the_long_table_runs_over_pages_with_its_header_repeated(report):
    pages = _pdf_pages(report.outputs["pdf"])
    with_rows = [page for page in pages if re.search(r"\bA-0\d\d\b", page)]
    assert len(with_rows) >= 2, "the 80-row table spans a page break"
    for page in with_rows:
        header = page.index("Action ref")
        assert header < page.index(re.search(r"\bA-0\d\d\b", page).group()), "header above the rows"
        assert "Owner" in page and "Action text" in page


def test_the_executed_notebook_keeps_the_injected_parameters(report):
    import nbformat

    cells = nbformat.read(report.notebook, as_version=4).cells
    injected = [cell for cell in cells if "injected-parameters" in cell.metadata.get("tags", [])]
    assert len(injected) == 1 and 'home_id = "injected-home"' in injected[0].source
