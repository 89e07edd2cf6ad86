"""Tiny raw data sets and a runner for `wellled check`, shared by the check tests (the `check` fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from wellled import cli

TODAY = "2026-11-26"
HOMES = "home_id,home_name,beds,staff_headcount\noak-house,Oak House,40,50\nelm-grove,Elm Grove,20,25\n"
QUESTIONS = (
    "question_id,text,kloe,respondent_groups,reverse_scored\n"
    "q1,Recommend,W1,staff;resident,false\n"
    "q2,Worried to speak up,W1,staff,true\n"
    "q3,Kept informed,W3,resident,false\n"
)
SURVEY_HEADER = "response_id,home_id,respondent_group,submitted_on,q1,q2,q3,comment\n"
GOOD_ROWS = [
    "r1,oak-house,staff,2026-07-01,4,2,,Fine",
    "r2,oak-house,resident,2026-07-02,Agree,,Strongly agree,",
    "r3,elm-grove,staff,2026-07-03,5,1,,",
    "r4,elm-grove,resident,2026-07-04,3,,Disagree,",
]
AUDIT_HEADER = (
    "audit_id,home_id,audit_date,kloe,item_id,item,result,action,action_owner,priority,action_due,action_closed\n"
)
AUDIT_ROWS = [
    "a1,oak-house,2026-07-10,W2,W2-01,Governance meeting,Met,,,,,",
    "a1,oak-house,2026-07-10,W2,W2-02,Notifications,Not met,Send them,Manager,high,2026-08-10,2026-08-01",
    "a1,oak-house,2026-07-10,W4,W4-01,Learning,Partially met,Review,Deputy,low,2026-08-10,",
]


def write_raw(
    data: Path,
    surveys: dict[str, str] | None = None,
    audits: dict[str, str] | None = None,
    homes: str = HOMES,
    questions: str = QUESTIONS,
) -> None:
    raw = data / "raw"
    (raw / "surveys").mkdir(parents=True, exist_ok=True)
    (raw / "audits").mkdir(parents=True, exist_ok=True)
    (raw / "homes.csv").write_text(homes)
    (raw / "questions.csv").write_text(questions)
    surveys = {"s.csv": SURVEY_HEADER + "\n".join(GOOD_ROWS) + "\n"} if surveys is None else surveys
    audits = {"a.csv": AUDIT_HEADER + "\n".join(AUDIT_ROWS) + "\n"} if audits is None else audits
    for name, text in surveys.items():
        (raw / "surveys" / name).write_text(text) if isinstance(text, str) else (raw / "surveys" / name).write_bytes(
            text
        )
    for name, text in audits.items():
        (raw / "audits" / name).write_text(text)


def survey(*rows: str, header: str = SURVEY_HEADER) -> dict[str, str]:
    return {"s.csv": header + "\n".join([*GOOD_ROWS, *rows]) + "\n"}


class Run:
    def __init__(self, tmp_path: Path, capsys, *extra: str):
        self.data, self.reports = tmp_path / "data", tmp_path / "reports"
        self.code = cli.main(
            ["check", "--data", str(self.data), "--reports", str(self.reports), "--today", TODAY, *extra]
        )
        captured = capsys.readouterr()
        self.out, self.err = captured.out, captured.err
        self.dq = json.loads((self.reports / "data-quality" / "data-quality.json").read_text())

    @property
    def quarantine(self) -> pd.DataFrame:
        return pd.read_csv(self.data / "clean" / "quarantine" / "quarantine.csv", dtype=str, keep_default_na=False)

    def rows(self) -> list[tuple[int, str, str]]:
        q = self.quarantine
        return sorted(zip(q["source_line"].astype(int), q["column"], q["rule"], strict=True))

    def rule_ids(self) -> list[tuple[int, str, str]]:
        q = self.quarantine
        return sorted(zip(q["source_line"].astype(int), q["column"], q["rule_id"], strict=True))

    def file(self, name: str) -> dict:
        return next(f for f in self.dq["files"] if f["file"] == name)

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.data / "clean" / f"{name}.parquet")
