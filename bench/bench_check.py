"""Time `wellled check` on 1,000,000 answers (50,000 questionnaires x 20 questions) as a whole process.

Baseline in the same run: the floor of any import, a process that reads the same CSV with pandas and writes
it to Parquet. Prints wall time and peak memory of both, and the ratio. Usage: python bench/bench_check.py
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

QUESTIONNAIRES = 50_000
QUESTIONS = 20
HOMES = 200
TODAY = "2026-11-26"


def make_data(data: Path, bad_share: float = 0.0) -> Path:
    rng = np.random.default_rng(1)
    raw = data / "raw"
    (raw / "surveys").mkdir(parents=True)
    (raw / "audits").mkdir()
    homes = [f"home-{i:03d}" for i in range(HOMES)]
    pd.DataFrame(
        {"home_id": homes, "home_name": [h.title() for h in homes], "beds": 40, "staff_headcount": 300}
    ).to_csv(raw / "homes.csv", index=False)
    qids = [f"q{i:02d}" for i in range(1, QUESTIONS + 1)]
    pd.DataFrame(
        {
            "question_id": qids,
            "text": [f"Question {q}" for q in qids],
            "kloe": [f"W{1 + i % 5}" for i in range(QUESTIONS)],
            "respondent_groups": "staff;resident;family;professional",
            "reverse_scored": "false",
        }
    ).to_csv(raw / "questions.csv", index=False)
    start = dt.date(2026, 1, 1)
    days = rng.integers(0, 270, QUESTIONNAIRES)
    survey = pd.DataFrame(
        {
            "response_id": [f"R{i:07d}" for i in range(QUESTIONNAIRES)],
            "home_id": rng.choice(homes, QUESTIONNAIRES),
            "respondent_group": rng.choice(["staff", "resident", "family", "professional"], QUESTIONNAIRES),
            "submitted_on": [(start + dt.timedelta(days=int(d))).isoformat() for d in days],
        }
    )
    answers = rng.choice(
        np.array(["1", "2", "3", "4", "5", "Agree", "Strongly agree", "", "Don't know"], dtype=object),
        size=(QUESTIONNAIRES, QUESTIONS),
        p=[0.05, 0.08, 0.12, 0.3, 0.2, 0.1, 0.1, 0.03, 0.02],
    )
    answers[: int(bad_share * QUESTIONNAIRES)] = "Yes"  # not on the scale: every answer of these rows breaks a rule
    for i, q in enumerate(qids):
        survey[q] = answers[:, i]
    survey["comment"] = np.where(rng.random(QUESTIONNAIRES) < 0.2, "The manager listens and acts.", "")
    target = raw / "surveys" / "big.csv"
    survey.to_csv(target, index=False)
    return target


def timed(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak resident memory in MiB, and exit code of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    return elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> int:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, bad_share in (("clean", 0.0), ("10% bad rows", 0.1)):
            data = Path(folder) / name.replace(" ", "-").replace("%", "")
            survey = make_data(data, bad_share)
            if name == "clean":
                floor_code = (
                    f"import pandas as pd; pd.read_csv({str(survey)!r}, dtype=str, keep_default_na=False)"
                    f".to_parquet({str(Path(folder) / 'floor.parquet')!r})"
                )
                results["floor"] = timed([sys.executable, "-c", floor_code])
            results[name] = timed(
                [
                    sys.executable,
                    "-m",
                    "wellled.cli",
                    "check",
                    "--data",
                    str(data),
                    "--reports",
                    str(data / "reports"),
                    "--today",
                    TODAY,
                ]
            )
    floor = results["floor"]
    print(f"input: {QUESTIONNAIRES:,} questionnaires x {QUESTIONS} questions = {QUESTIONNAIRES * QUESTIONS:,} answers")
    print(f"floor (pandas read_csv + to_parquet): {floor[0]:6.2f} s wall, {floor[1]:7.0f} MiB peak")
    met = True
    for name in ("clean", "10% bad rows"):
        wall, memory, code = results[name]
        print(
            f"wellled check, {name:13s}:       {wall:6.2f} s wall, {memory:7.0f} MiB peak, exit {code}, "
            f"{wall / floor[0]:.1f}x the floor"
        )
        met = met and code == 0 and wall < 15 and memory < 2048
    print(f"target (< 15 s, < 2 GiB): {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
