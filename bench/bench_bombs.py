"""Peak memory and time of `wellled check` and `wellled summary` on hostile files dropped into demo data.

Cases, each a whole `wellled check` process on a copy of the demo data with one file added to raw/surveys/,
against the floor (`wellled check` on the demo data alone) in the same run:

- ``dimension``: a 30 KB XLSX of 1,000 questionnaires whose sheet declares the dimension ``A1:XFD1001``
  (16,384 columns);
- ``expansion``: an XLSX whose sheet expands to about 2 GB of XML (its size on disk does not matter to the reader);
- ``small-expansion``: the same with every row alike, so the file is about 8.7 MB (the hardening issue's 7.7 MB);
- ``big-xlsx``: a well-formed survey workbook of 200,000 questionnaires (streamed, checked in chunks);
- ``long-comment``: a CSV questionnaire whose comment is 100,000 characters without a space (then also
  `wellled summary` of that home, which redacts the comment).

Usage: python bench/bench_bombs.py [CASE ...]
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HEADER = ["response_id", "home_id", "respondent_group", "submitted_on", "q01", "q03", "q04", "comment"]
WELLLED = [sys.executable, "-m", "wellled.cli"]


def timed(command: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system), peak resident memory in MiB and exit code of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def dimension_bomb(target: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for i in range(1000):
        sheet.append([f"B{i:05d}", "oak-house", "staff", "2026-07-01", 4, 5, 3, ""])
    buffer = io.BytesIO()
    book.save(buffer)
    source, out = zipfile.ZipFile(buffer), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                start = body.index(b"<dimension ref=")
                end = body.index(b"/>", start) + 2
                body = body[:start] + b'<dimension ref="A1:XFD1001"/>' + body[end:]
            bomb.writestr(item, body)
    target.write_bytes(out.getvalue())


def expansion_bomb(target: Path, expanded: int = 2 * 10**9, varied: bool = True) -> None:
    """A workbook whose sheet XML is ``expanded`` bytes of rows (written streaming, never held in memory); with
    ``varied`` False every row is the same (no cell references, which are optional), so it compresses about 230
    to 1: about 8.7 MB on disk for 2 GB, like the issue's 7.7 MB file."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(HEADER)
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in source.infolist():
            if not item.filename.endswith("sheet1.xml"):
                bomb.writestr(item, source.read(item.filename))
                continue
            with bomb.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                            b'spreadsheetml/2006/main"><sheetData>')  # fmt: skip
                written, row = 0, 1
                block = []
                same = "<row>" + "".join(f'<c t="inlineStr"><is><t>{i}</t></is></c>' for i in range(8)) + "</row>"
                while written < expanded:
                    if varied:
                        cells = "".join(
                            f'<c r="{col}{row}" t="inlineStr"><is><t>{row * 7 + i}</t></is></c>'
                            for i, col in enumerate("ABCDEFGH")
                        )
                        block.append(f'<row r="{row}">{cells}</row>')
                    else:
                        block.append(same)
                    row += 1
                    if len(block) == 10_000:
                        data = "".join(block).encode()
                        sheet.write(data)
                        written += len(data)
                        block = []
                sheet.write(b"</sheetData></worksheet>")


def long_comment(target: Path) -> None:
    comment = ("abcdefghij" * 10_000)[:100_000]
    rows = [",".join(HEADER), f"L00001,oak-house,staff,2026-07-01,4,5,3,{comment}"]
    target.write_text("\n".join(rows) + "\n", encoding="utf-8")


def big_workbook(target: Path, rows: int = 200_000) -> None:
    """A well-formed survey workbook of ``rows`` questionnaires (read in chunks like a CSV, not held whole)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for i in range(rows):
        sheet.append([f"X{i:07d}", "oak-house", "staff", "2026-07-01", i % 5 + 1, (i // 5) % 5 + 1, 3, ""])
    book.save(target)


def small_expansion_bomb(target: Path) -> None:
    expansion_bomb(target, varied=False)


CASES = {"dimension": ("dimension.xlsx", dimension_bomb), "expansion": ("expansion.xlsx", expansion_bomb),
         "small-expansion": ("small-expansion.xlsx", small_expansion_bomb),
         "big-xlsx": ("big.xlsx", big_workbook),
         "long-comment": ("long-comment.csv", long_comment)}  # fmt: skip


def _check(data: Path) -> tuple[float, float, float, int]:
    return timed([*WELLLED, "check", "--data", str(data), "--reports", str(data / "reports")])


def _row(name: str, size: str, result: tuple[float, float, float, int]) -> str:
    wall, cpu, peak, code = result
    return f"| {name} | {size} | {wall:.1f} s | {cpu:.1f} s | {peak:,.0f} MiB | {code} |"


def main(names: list[str]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo"
        subprocess.run([*WELLLED, "demo", "--data", str(demo)], check=True, capture_output=True)
        print("| case | file | wall | CPU | peak memory | exit |\n|---|---|---|---|---|---|")
        print(_row("floor: `wellled check` on the demo data", "", _check(demo)))
        for name in names or list(CASES):
            data = Path(folder) / name
            shutil.copytree(demo, data)
            file_name, build = CASES[name]
            target = data / "raw" / "surveys" / file_name
            build(target)
            size = f"{target.stat().st_size / 1024:,.0f} KB"
            if target.suffix == ".xlsx":
                with zipfile.ZipFile(target) as archive:
                    expanded = sum(item.file_size for item in archive.infolist())
                size += f", expands to {expanded / 2**20:,.1f} MiB"
            print(_row(f"`wellled check` + {name}", size, _check(data)), flush=True)
            if name == "long-comment":
                summary = timed([*WELLLED, "summary", "oak-house", "--period", "2026-Q3", "--data", str(data)])
                print(_row("`wellled summary oak-house` with that comment", "", summary), flush=True)
            shutil.rmtree(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
