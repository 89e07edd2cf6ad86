"""`wellled check` holds one chunk, not the file: its peak memory barely moves when the file grows eightfold, a
line of millions of commas is refused before it is held, and the quarantine list is written a part at a time."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.check_helpers import SURVEY_HEADER, TODAY, write_raw
from wellled.check import quality_report, store
from wellled.check.outcome import FileOutcome
from wellled.check.quarantine import Parts
from wellled.check.rules import Violation
from wellled.paths import Paths

CHUNK = 2_000
COMMENT = 2_500  # characters of comment a row: the 8-chunk file is about 40 MB
COMMAS = 30_000_000

CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from wellled import cli

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    out = []
    for data, reports in zip(sys.argv[1::2], sys.argv[2::2]):
        code = cli.main(["check", "--data", data, "--reports", reports, "--today", "{today}"])
        out.append({{"code": code, "peak": peak()}})
    print(json.dumps(out))
    """
).format(today=TODAY)


def _survey(data: Path, rows: int) -> int:
    write_raw(data, surveys={})
    (data / "raw" / "wellled.toml").write_text(f"[limits]\nchunk_rows = {CHUNK}\n")
    path = data / "raw" / "surveys" / "s.csv"
    with path.open("w") as out:
        out.write(SURVEY_HEADER)
        for i in range(rows):
            home = ("oak-house", "elm-grove")[i % 2]
            out.write(f"r{i},{home},staff,2026-07-01,{i % 5 + 1},{i // 5 % 5 + 1},,{'x' * COMMENT}{i}\n")
    return path.stat().st_size


@pytest.mark.slow
def test_peak_memory_grows_with_a_chunk_not_the_file_and_a_line_of_commas_is_refused(tmp_path):
    small, large, commas = tmp_path / "small", tmp_path / "large", tmp_path / "commas"
    _survey(small / "data", CHUNK)
    size = _survey(large / "data", 8 * CHUNK)
    write_raw(commas / "data", surveys={"s.csv": SURVEY_HEADER + "r1,oak-house,staff,2026-07-01,4,2,,ok\n"})
    with (commas / "data" / "raw" / "surveys" / "s.csv").open("a") as out:
        out.write("," * COMMAS + "\n")
    args = [str(p) for run in (small, large, commas) for p in (run / "data", run / "reports")]
    child = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, timeout=600, check=False
    )
    assert child.returncode == 0, child.stderr
    first, second, third = json.loads(child.stdout.splitlines()[-1])
    grown = second["peak"] - first["peak"]
    assert grown < size / 2, f"the {size >> 20} MB file in 8 chunks added {grown >> 20} MiB to the peak"
    grown = third["peak"] - second["peak"]
    assert grown < COMMAS, f"a line of {COMMAS:,} commas added {grown >> 20} MiB to the peak"
    assert (first["code"], second["code"], third["code"]) == (0, 0, 1), child.stderr
    report = json.loads((large / "reports" / "data-quality" / "data-quality.json").read_text())
    assert [f["rows_clean"] for f in report["files"] if f["dataset"] == "surveys"] == [8 * CHUNK]
    refusal = [line for line in child.stdout.splitlines() if "s.csv" in line and "line 3 is longer" in line]
    assert refusal and "REJECTED: file too large" in refusal[0], child.stdout
    assert "max_line_characters" in refusal[0]


def _write_quarantine(root: Path, parts: int, per_part: int) -> tuple[int, Path, Path]:
    """(peak traced bytes, the page, the sealed quarantine folder) of writing ``parts`` parts of entries."""
    paths = Paths(root / "data", root / "reports")
    paths.data.mkdir(parents=True)
    quarantine = Parts(root / "parts")
    for part in range(parts):
        rule = f"rule {part % 3}"
        lines = range(per_part * part, per_part * (part + 1))
        quarantine.add([Violation("surveys/s.csv", line, "q1", rule, "Agre", "oak-house") for line in lines])
        quarantine.end_file(keep=True)
    entries = parts * per_part
    files = [FileOutcome("surveys/s.csv", "surveys", entries, 0, entries)]
    staging = root / "staging"
    staging.mkdir()
    tracemalloc.start()
    try:
        page = quality_report.write(paths, files, [], quarantine, shown=50)
        store.seal(paths, staging, quarantine, {})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, page, staging / paths.quarantine_dir.name


@pytest.mark.slow  # several whole checks: the fast tier keeps a minute
def test_the_quarantine_list_is_written_a_part_at_a_time_and_the_page_shows_the_first_entries(tmp_path):
    """Eight parts of entries are written holding about what one part takes, and all of them are written."""
    one, _, _ = _write_quarantine(tmp_path / "one", 1, 1_500)
    peak, page, clean = _write_quarantine(tmp_path / "eight", 8, 1_500)
    assert peak < 2 * one, f"8 parts held {peak >> 10} KiB at the peak, one part {one >> 10} KiB"
    text = page.read_text()
    assert "Quarantined rows: the first 50 of 12,000" in text and "page_quarantine_entries" in text
    assert text.count("<td><code>Agre</code></td>") == 50
    assert ">4500</td>" in text, "every entry is counted by rule"
    with (page.parent / quality_report.QUARANTINE_NAME).open() as handle:
        assert sum(1 for _ in handle) == 12_001
    assert pq.ParquetFile(clean / "quarantine.parquet").metadata.num_rows == 12_000
    with (clean / "quarantine.csv").open() as handle:
        assert sum(1 for _ in handle) == 12_001
