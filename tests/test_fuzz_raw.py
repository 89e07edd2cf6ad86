"""Fuzz `wellled check` with random bytes and random CSV and XLSX structures dropped into raw/surveys/.

Whatever arrives: no traceback, exit 0, 1 or 2, every file's rows reconciled (read = clean + quarantined),
clean/ either exactly as before or wholly new, and the memory under a bound. The check runs through the CLI's
entry point in the test process (a separate process per example cost seconds of imports each): its peak memory
is then within the peak of this process, which the bound covers.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.check_helpers import SURVEY_HEADER, TODAY, write_raw
from wellled import cli

MEMORY_BOUND_KIB = 2 * 1024 * 1024  # 2 GiB of resident memory for a few kilobytes of input
CELLS = st.one_of(
    st.sampled_from(["", "4", "Agree", "oak-house", "staff", "2026-07-01", '"', '""', "\n", "\r", ",", "=1+1", "\x00"]),
    st.text(max_size=12),
)


@st.composite
def csv_bytes(draw) -> bytes:
    header = draw(st.one_of(st.just(SURVEY_HEADER.strip()), st.text(max_size=40)))
    rows = draw(st.lists(st.lists(CELLS, max_size=10), max_size=8))
    text = header + "\n" + "\n".join(",".join(row) for row in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


@st.composite
def xlsx_bytes(draw) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    sheet = book.active
    header = draw(st.one_of(st.just(SURVEY_HEADER.strip().split(",")), st.lists(st.text(max_size=8), max_size=6)))
    sheet.append([h for h in header if not ILLEGAL_CHARACTERS_RE.search(h)] or ["x"])  # openpyxl refuses those
    cell = st.one_of(st.integers(-10, 10), st.sampled_from(["4", "Agree", "", "oak-house", "2026-07-01"]))
    for row in draw(st.lists(st.lists(cell, max_size=9), max_size=6)):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if draw(st.booleans()):  # a damaged zip
        cut = draw(st.integers(0, len(data)))
        data = data[:cut]
    return data


RAW_FILES = st.one_of(
    st.tuples(st.just("fuzz.csv"), st.binary(max_size=300)),
    st.tuples(st.just("fuzz.csv"), csv_bytes()),
    st.tuples(st.just("fuzz.xlsx"), xlsx_bytes()),
    st.tuples(st.just("fuzz.xlsx"), st.binary(max_size=200)),
)


@pytest.fixture(scope="module")
def checked_base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-base")
    write_raw(root / "data")
    done = _check(root / "data", root / "reports")
    assert done.returncode == 0, done.stdout + done.stderr
    return root


@dataclass(frozen=True)
class Checked:
    returncode: int
    stdout: str
    stderr: str


def _check(data: Path, reports: Path) -> Checked:
    """`wellled check` through the CLI's entry point, as the command line calls it, in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["check", "--data", str(data), "--reports", str(reports), "--today", TODAY])
    return Checked(code, out.getvalue(), err.getvalue())


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw_file=RAW_FILES)
def test_random_raw_files_never_break_the_check(checked_base, raw_file):
    name, content = raw_file
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(checked_base, root, dirs_exist_ok=True)
        data, reports = root / "data", root / "reports"
        before = {p.relative_to(data / "clean"): p.read_bytes() for p in (data / "clean").rglob("*") if p.is_file()}
        (data / "raw" / "surveys" / name).write_bytes(content)
        done = _check(data, reports)
        assert done.returncode in (0, 1, 2), done.stderr
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr[-2000:]
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < MEMORY_BOUND_KIB
        if done.returncode == 2:
            return
        quality = json.loads((reports / "data-quality" / "data-quality.json").read_text(encoding="utf-8"))
        for entry in quality["files"]:
            assert entry["rows_read"] == entry["rows_clean"] + entry["rows_quarantined"], entry
        after = {p.relative_to(data / "clean"): p.read_bytes() for p in (data / "clean").rglob("*") if p.is_file()}
        if done.returncode == 0:
            manifest = json.loads(after[Path("manifest.json")])
            assert any(i["file"].endswith(name) for i in manifest["inputs"]), "clean/ is not this run's"
        else:
            assert after == before, "a failed check changed clean/"
        assert not list(data.glob(".clean-*"))
