"""Peak memory of `wellled check` on one large survey export (CSV), against pandas reading the same file.

Builds a survey CSV of about SIZE megabytes (default 200) with bench_check's shape (20 questions, comments),
runs `wellled check` and the floor (pandas read_csv + to_parquet) as whole processes in the same run, and
prints the peak resident memory of both. Usage: python bench/bench_check_memory.py [SIZE_MB]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_check

LIMIT_MIB = 2048


def main(size_mb: float = 200.0) -> int:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        survey = bench_check.make_data(data)
        one = survey.stat().st_size
        copies = max(1, round(size_mb * 2**20 / one))
        header, *rows = survey.read_text().splitlines(keepends=True)
        with survey.open("w") as out:
            out.write(header)
            for copy in range(copies):
                out.writelines(f"C{copy}-{row}" for row in rows)
        megabytes = survey.stat().st_size / 2**20
        floor_code = (
            f"import pandas as pd; pd.read_csv({str(survey)!r}, dtype=str, keep_default_na=False)"
            f".to_parquet({str(Path(folder) / 'floor.parquet')!r})"
        )
        floor = bench_check.timed([sys.executable, "-c", floor_code])
        command = [sys.executable, "-m", "wellled.cli", "check", "--data", str(data), "--reports"]
        check = bench_check.timed([*command, str(data / "reports"), "--today", bench_check.TODAY])
    answers = copies * bench_check.QUESTIONNAIRES * bench_check.QUESTIONS
    print(f"input: {megabytes:,.0f} MB survey CSV, {answers:,} answers")
    print(f"floor (pandas read_csv + to_parquet): {floor[0]:6.1f} s wall, {floor[1]:7.0f} MiB peak")
    print(f"wellled check: {check[0]:6.1f} s wall, {check[1]:7.0f} MiB peak, exit {check[2]}")
    met = check[2] == 0 and check[1] < LIMIT_MIB
    print(f"target (< {LIMIT_MIB} MiB): {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 200.0))
