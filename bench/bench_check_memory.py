"""Peak memory of `wellled check` on one large survey export (CSV), against pandas reading the same file.

Builds a survey CSV of about SIZE megabytes (default 200) with bench_check's shape (20 questions, comments),
runs `wellled check` and the floor (pandas read_csv + to_parquet) as whole processes in the same run, and
prints the peak resident memory of both. Usage: python bench/bench_check_memory.py [SIZE_MB]

``--rows N`` instead builds a survey CSV of N questionnaires with 4 questions each (about 49 bytes a row: the
5-million-row case of the hardening issue is ``--rows 5000000``, 233 MB).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_check
import numpy as np
import pandas as pd

LIMIT_MIB = 2048


ROW_QUESTIONS = 4


def write_rows(data: Path, rows: int) -> Path:
    """A survey CSV of ``rows`` questionnaires and 4 questions, written a block at a time."""
    survey = bench_check.make_data(data)
    questions = data / "raw" / "questions.csv"
    bank = pd.read_csv(questions).head(ROW_QUESTIONS)
    bank.to_csv(questions, index=False)
    rng = np.random.default_rng(2)
    homes = [f"home-{i:03d}" for i in range(bench_check.HOMES)]
    labels = np.array(["1", "2", "3", "4", "5", "Agree", ""], dtype=object)
    start = np.datetime64("2026-01-01")
    with survey.open("w") as out:
        out.write(",".join(["response_id", "home_id", "respondent_group", "submitted_on", *bank["question_id"]]))
        out.write(",comment\n")
        for first in range(0, rows, 500_000):
            n = min(500_000, rows - first)
            block = pd.DataFrame(
                {
                    "response_id": np.char.add("R", np.arange(first, first + n).astype(str)),
                    "home_id": rng.choice(homes, n),
                    "respondent_group": rng.choice(["staff", "resident", "family", "professional"], n),
                    "submitted_on": (start + rng.integers(0, 270, n)).astype(str),
                }
            )
            for q in bank["question_id"]:
                block[q] = rng.choice(labels, n)
            block["comment"] = np.where(rng.random(n) < 0.05, "Kind staff.", "")
            block.to_csv(out, index=False, header=False)
    return survey


def main(size_mb: float = 200.0, rows: int | None = None) -> int:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        if rows:
            survey = write_rows(data, rows)
            copies, per_copy = 1, rows * ROW_QUESTIONS
        else:
            survey = bench_check.make_data(data)
            one = survey.stat().st_size
            copies = max(1, round(size_mb * 2**20 / one))
            per_copy = bench_check.QUESTIONNAIRES * bench_check.QUESTIONS
            header, *lines = survey.read_text().splitlines(keepends=True)
            with survey.open("w") as out:
                out.write(header)
                for copy in range(copies):
                    out.writelines(f"C{copy}-{row}" for row in lines)
        megabytes = survey.stat().st_size / 2**20
        floor_code = (
            f"import pandas as pd; pd.read_csv({str(survey)!r}, dtype=str, keep_default_na=False)"
            f".to_parquet({str(Path(folder) / 'floor.parquet')!r})"
        )
        floor = bench_check.timed([sys.executable, "-c", floor_code])
        command = [sys.executable, "-m", "wellled.cli", "check", "--data", str(data), "--reports"]
        check = bench_check.timed([*command, str(data / "reports"), "--today", bench_check.TODAY])
    answers = copies * per_copy
    shape = f"{rows:,} rows, " if rows else ""
    print(f"input: {megabytes:,.0f} MB survey CSV, {shape}{answers:,} answers")
    print(f"floor (pandas read_csv + to_parquet): {floor[0]:6.1f} s wall, {floor[1]:7.0f} MiB peak")
    print(f"wellled check: {check[0]:6.1f} s wall, {check[1]:7.0f} MiB peak, exit {check[2]}")
    met = check[2] == 0 and check[1] < LIMIT_MIB
    print(f"target (< {LIMIT_MIB} MiB): {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--rows":
        sys.exit(main(rows=int(sys.argv[2])))
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 200.0))
