"""The import corpus (tests/data/imports/generate.py): every tool's export in every shape, and the bad files."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wellled import cli

_SPEC = importlib.util.spec_from_file_location(
    "imports_corpus", Path(__file__).parent / "data" / "imports" / "generate.py"
)
corpus = importlib.util.module_from_spec(_SPEC)
sys.modules["imports_corpus"] = corpus
_SPEC.loader.exec_module(corpus)
TODAY = "2026-11-26"
GOOD = {case.name: case for case in corpus.good_cases()}
BAD = {case.name: case for case in corpus.bad_cases()}


class Checked:
    def __init__(self, root: Path, capsys):
        self.data, self.reports = root, root.parent / f"{root.name}-reports"
        self.code = cli.main(["check", "--data", str(self.data), "--reports", str(self.reports), "--today", TODAY])
        captured = capsys.readouterr()
        self.out, self.err = captured.out, captured.err
        self.dq = json.loads((self.reports / "data-quality" / "data-quality.json").read_text())

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.data / "clean" / f"{name}.parquet")

    def outputs(self) -> list[Path]:
        folders = [self.data / "clean", self.reports]
        return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


def _run(tmp_path: Path, case, capsys, people=None) -> Checked:
    corpus.write(tmp_path, [case], people)
    return Checked(tmp_path / case.name, capsys)


def _assert_reconciled(run: Checked) -> None:
    for f in run.dq["files"]:
        assert f["rows_read"] == f["rows_clean"] + f["rows_quarantined"], f


def _assert_no_identity(run: Checked, people) -> None:
    secrets = {v for p in people for v in (p.email, p.first, p.last, p.name)}
    checked = 0
    for path in run.outputs():
        if path.suffix == ".parquet":
            text = pd.read_parquet(path).astype(str).to_csv()
        else:
            text = path.read_bytes().decode("utf-8", errors="ignore")
        checked += 1
        for secret in secrets:
            assert secret not in text, (secret, path)
    assert checked >= 5, "the outputs were there to search"


def _survey_values(run: Checked) -> dict[str, dict]:
    responses = run.table("responses")
    answers = run.table("answers").dropna(subset=["score"])
    out = {}
    for row in responses.itertuples():
        scores = answers[answers.response_id == row.response_id].set_index("question_id")["score"]
        out[row.response_id] = {
            "home_id": row.home_id,
            "respondent_group": row.respondent_group,
            "submitted_on": row.submitted_on.date().isoformat(),
            "scores": {q: int(s) for q, s in scores.items()},
        }
    return out


@pytest.mark.parametrize("name", sorted(GOOD))
def test_each_tool_export_imports_with_the_right_values(tmp_path, capsys, name):
    case = GOOD[name]
    run = _run(tmp_path, case, capsys)
    assert run.code == 0, run.dq
    _assert_reconciled(run)
    _assert_no_identity(run, corpus._people([]))
    if "audits" in case.expected:
        audits = run.table("audits").set_index("item_id")
        assert audits["result"].to_dict() == {"W2-01": "Met", "W2-02": "Not met", "W4-01": "Partially met"}
        assert audits["priority"].fillna("-").to_dict() == {"W2-01": "-", "W2-02": "high", "W4-01": "medium"}
        assert set(audits["home_id"]) == {"oak-house"}
        return
    got = _survey_values(run)
    if "<made>" in case.expected:
        expected = corpus._expected(name, ["a", "b", "c"])
        assert sorted(map(json.dumps, got.values())) == sorted(map(json.dumps, expected.values()))
    else:
        assert got == case.expected


@pytest.mark.parametrize(
    "name",
    [  # the bomb takes seconds to build and refuse: the slow tier
        pytest.param(name, marks=pytest.mark.slow) if name == "zip-bomb.xlsx" else name for name in sorted(BAD)
    ],
)
def test_each_bad_file_gives_a_clear_message_and_the_right_exit_code(tmp_path, capsys, name):
    case = BAD[name]
    run = _run(tmp_path, case, capsys)
    assert run.code == case.code, (run.out, run.err)
    assert "Traceback" not in run.out + run.err and "internal error" not in run.out + run.err
    _assert_reconciled(run)
    if case.message:
        assert case.message in run.out, run.out
    assert "\x1b" not in run.out + run.err, "escape sequences from a file name or cell never reach the terminal"
    for path in run.outputs():
        if path.suffix == ".csv":
            for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
                assert not any(cell[:1] in ("=", "+", "@") for cell in row), (path, row)
        if path.suffix == ".log" or path.suffix == ".html":
            assert "\x1b" not in path.read_text(encoding="utf-8")


def _xlsx_cells(data: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c]


_name = st.text(st.characters(whitelist_categories=("Lu", "Ll")), min_size=4, max_size=10).map(str.capitalize)


@pytest.mark.slow  # six checks; each shape with fixed people is checked in the fast tier above
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    shape=st.sampled_from(sorted(n for n in GOOD if n != "audit.xlsx")),
    firsts=st.lists(_name, min_size=3, max_size=3, unique=True),
    lasts=st.lists(_name, min_size=3, max_size=3, unique=True),
)
def test_any_shape_with_any_identity_reconciles_and_leaks_nothing(tmp_path_factory, capsys, shape, firsts, lasts):
    people = [
        corpus.Person(f"Zq{f}", f"Xv{last}", f"{f.lower()}.{last.lower()}@example.com")
        for f, last in zip(firsts, lasts, strict=True)
    ]
    run = _run(tmp_path_factory.mktemp("shape"), GOOD[shape], capsys, people)
    assert run.code == 0
    _assert_reconciled(run)
    read = sum(f["rows_read"] for f in run.dq["files"] if f["dataset"] == "surveys")
    assert read == 3 and len(run.table("responses")) == 3
    _assert_no_identity(run, people)
