"""`wellled check` reads and checks files in chunks: the outcome is the same as in one piece, and nothing in
clean/ changes unless the whole run, data-quality page and log included, succeeds."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.check_helpers import AUDIT_HEADER, SURVEY_HEADER, TODAY, write_raw
from wellled import cli

ANSWERS = ["1", "2", "3", "4", "5", "Agree", "Strongly agree", "", "Yes"]
DATES = ["2026-07-01", "03/07/2026", "2026-08-15", "31/02/2026", "2027-01-01"]
HOMES = ["oak-house", "elm-grove", "Oak House", "nowhere"]
GROUPS = ["staff", "resident", "Staff member", "visitor"]

survey_row = st.tuples(
    st.integers(1, 12),
    st.sampled_from(HOMES[:3] * 4 + HOMES[3:]),
    st.sampled_from(GROUPS[:3] * 4 + GROUPS[3:]),
    st.sampled_from(DATES[:3] * 4 + DATES[3:]),
    st.sampled_from(ANSWERS),
    st.sampled_from(ANSWERS),
    st.sampled_from(ANSWERS),
    st.booleans(),
)
audit_row = st.tuples(
    st.sampled_from(["a1", "a2"]),
    st.sampled_from(["W2-01", "W2-02", "W4-01"]),
    st.sampled_from(["Met", "Not met", "Partially met", "Compliant", "maybe"]),
    st.sampled_from(["", "high", "Red", "urgent"]),
    st.sampled_from(["", "2026-08-10", "23/08/2026", "not a date"]),
)


def _survey_csv(rows) -> str:
    lines = [
        f"r{rid},{home},{group},{date},{a1},{a2},{a3},{'Thanks' if comment else ''}"
        for rid, home, group, date, a1, a2, a3, comment in rows
    ]
    return SURVEY_HEADER + "\n".join(lines) + "\n"


def _audit_csv(rows) -> str:
    lines = [
        f"{audit},oak-house,2026-07-10,W2,{item},Item {item},{result},Do it,Manager,{priority},{due},"
        for audit, item, result, priority, due in rows
    ]
    return AUDIT_HEADER + "\n".join(lines) + "\n"


def _xlsx(text: str, title: bool = False) -> bytes:
    """The CSV text as a workbook of text cells (a title row above the header when asked)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if title:
        sheet.append(["Staff survey export"])
    for line in text.splitlines():
        sheet.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _check(root: Path, surveys: dict[str, str | bytes], audits: dict[str, str], chunk_rows: int | None) -> dict:
    data, reports = root / "data", root / "reports"
    write_raw(data, surveys=surveys, audits=audits)
    if chunk_rows:
        (data / "raw" / "wellled.toml").write_text(f"[limits]\nchunk_rows = {chunk_rows}\n")
    code = cli.main(["check", "--data", str(data), "--reports", str(reports), "--today", TODAY])
    dq = json.loads((reports / "data-quality" / "data-quality.json").read_text())
    listing = pd.read_csv(reports / "data-quality" / "quarantine.csv", dtype=str, keep_default_na=False)
    out = {
        "code": code,
        "files": dq["files"],
        "flags": sorted(json.dumps(f, sort_keys=True) for f in dq["flags"]),
        "quarantine": sorted(map(tuple, listing.to_numpy().tolist())),
    }
    if code == 0:
        for name in ("responses", "answers", "audits"):
            out[name] = pd.read_parquet(data / "clean" / f"{name}.parquet")
    return out


@pytest.mark.slow  # eight GX-checked runs; the fast tier keeps the worked many-small-chunks case
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.lists(survey_row, min_size=4, max_size=10),
    second=st.lists(survey_row, min_size=0, max_size=4),
    audits=st.lists(audit_row, min_size=3, max_size=6),
    cumulative=st.booleans(),
    size=st.integers(2, 4),
    xlsx=st.booleans(),
)
def test_chunked_and_whole_give_the_same_clean_tables_and_quarantine(
    tmp_path_factory, first, second, audits, cumulative, size, xlsx
):
    surveys: dict[str, str | bytes] = {"b.csv": _survey_csv((first if cumulative else []) + second)}
    surveys |= {"a.xlsx": _xlsx(_survey_csv(first), title=True)} if xlsx else {"a.csv": _survey_csv(first)}
    if not second and not cumulative:
        surveys.pop("b.csv")
    audit_files = {"a.csv": _audit_csv(audits)}
    whole = _check(tmp_path_factory.mktemp("whole"), surveys, audit_files, None)
    chunked = _check(tmp_path_factory.mktemp("chunked"), surveys, audit_files, size)
    read = sum(f["rows_read"] for f in whole["files"] if f["dataset"] in ("surveys", "audits"))
    assert read > size, "the files spanned more than one chunk"
    assert whole["quarantine"] or whole["code"] == 0, "something was checked"
    for key in ("code", "files", "flags", "quarantine"):
        assert chunked[key] == whole[key], key
    if whole["code"] == 0:
        for name in ("responses", "answers", "audits"):
            pd.testing.assert_frame_equal(chunked[name], whole[name])


@pytest.mark.slow  # several whole checks: the fast tier keeps a minute
def test_an_xlsx_sheet_read_a_chunk_at_a_time_gives_what_it_gives_whole(tmp_path_factory):
    """A workbook with a title row, an empty second sheet, copies, a repeat, a bad answer and a wide row."""
    rows = [
        "r1,oak-house,staff,2026-07-01,4,2,,Fine",
        "r2,oak-house,resident,2026-07-02,Agree,,Strongly agree,",
        "r1,oak-house,staff,2026-07-01,4,2,,Fine",
        "r3,elm-grove,staff,03/07/2026,5,1,,",
        "r2,oak-house,resident,2026-07-02,Disagree,,Strongly agree,",
        "r5,elm-grove,resident,2026-07-04,3,,Yes,",
        "r6,elm-grove,resident,2026-07-04,3,,2,,extra",
        "r7,oak-house,staff,2026-07-05,4,4,,",
    ]
    workbook = _xlsx(SURVEY_HEADER + "\n".join(rows), title=True)
    surveys = {"s.xlsx": workbook, "t.csv": SURVEY_HEADER + rows[0] + "\n"}
    whole = _check(tmp_path_factory.mktemp("whole"), surveys, {}, None)
    chunked = _check(tmp_path_factory.mktemp("chunked"), surveys, {}, 2)
    assert whole["code"] == 0
    counts = next(f for f in whole["files"] if f["file"] == "surveys/s.xlsx")
    assert (counts["rows_read"], counts["rows_clean"], counts["rows_quarantined"]) == (8, 5, 3)
    for key in ("code", "files", "flags", "quarantine"):
        assert chunked[key] == whole[key], key
    for name in ("responses", "answers"):
        pd.testing.assert_frame_equal(chunked[name], whole[name])


@pytest.mark.slow  # several whole checks: the fast tier keeps a minute
def test_many_small_chunks_keep_every_outcome(check, tmp_path):
    """Copies, repeats, field-level values, a re-export and a wide row, each in a different chunk."""
    rows = [
        "r1,oak-house,staff,2026-07-01,4,2,,Fine",
        "r2,oak-house,resident,2026-07-02,Agree,,Strongly agree,",
        "r3,elm-grove,staff,2026-07-03,5,1,,",
        "r1,oak-house,staff,2026-07-01,4,2,,Fine",
        "r2,oak-house,resident,2026-07-02,Disagree,,Strongly agree,",
        "r5,elm-grove,resident,2026-07-04,3,,Yes,",
        "r6,elm-grove,resident,2026-07-04,3,,2,,extra",
        "r7,oak-house,staff,2026-07-05,4,4,,",
    ]
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "wellled.toml").write_text("[limits]\nchunk_rows = 2\n")
    run = check(surveys={"s.csv": SURVEY_HEADER + "\n".join(rows) + "\n", "t.csv": SURVEY_HEADER + rows[0] + "\n"})
    assert run.code == 0, run.out + run.err
    counts = run.file("surveys/s.csv")
    assert (counts["rows_read"], counts["rows_clean"], counts["rows_quarantined"]) == (8, 5, 3)
    rules = run.rule_ids()
    assert (5, "response_id", "surveys.duplicate_copy") in rules
    assert (6, "response_id", "surveys.response_id_unique") in rules
    assert (7, "q3", "surveys.answer_in_scale") in rules
    assert (8, "", "file.row_width") in rules
    assert (2, "response_id", "surveys.duplicate_copy") in rules, "t.csv's r1 is a copy of s.csv's"
    assert sorted(run.table("responses")["response_id"]) == ["r1", "r2", "r3", "r5", "r7"]


def test_a_data_quality_page_that_cannot_be_written_leaves_clean_alone(tmp_path, capsys):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_raw(data)
    assert cli.main(["check", "--data", str(data), "--reports", str(reports), "--today", TODAY]) == 0
    before = {p.relative_to(data / "clean"): p.read_bytes() for p in (data / "clean").rglob("*") if p.is_file()}
    survey = data / "raw" / "surveys" / "s.csv"
    survey.write_text(survey.read_text() + "r9,elm-grove,staff,2026-07-09,4,4,,\n")
    page = reports / "data-quality" / "data-quality.html"
    page.unlink()
    page.mkdir()  # a folder where the page goes: the folder is writable, the page is not
    capsys.readouterr()
    code = cli.main(["check", "--data", str(data), "--reports", str(reports), "--today", TODAY])
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "internal error" not in err, err
    assert str(page) in err, err
    after = {p.relative_to(data / "clean"): p.read_bytes() for p in (data / "clean").rglob("*") if p.is_file()}
    assert after == before
    assert not list(data.glob(".clean-*"))
