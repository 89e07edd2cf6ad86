"""Each row rule, file rule and flag of `wellled check`, on tiny files written by the test."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.check_helpers import (
    AUDIT_HEADER,
    AUDIT_ROWS,
    GOOD_ROWS,
    HOMES,
    QUESTIONS,
    SURVEY_HEADER,
    Run,
    survey,
    write_raw,
)
from wellled import cli

pytestmark = pytest.mark.slow  # each test runs the whole `wellled check` command through the real GX suites


def test_clean_files_pass_and_reconcile(check):
    run = check()
    assert run.code == 0
    assert run.file("surveys/s.csv") == {
        "file": "surveys/s.csv",
        "dataset": "surveys",
        "rows_read": 4,
        "rows_clean": 4,
        "rows_quarantined": 0,
        "blocking_error": None,
    }
    assert "surveys/s.csv (surveys sha256" in run.out and "read 4 = clean 4 + quarantined 0" in run.out
    answers = run.table("answers")
    r2 = answers[answers.response_id == "r2"].set_index("question_id")["score"]
    assert r2.to_dict() == {"q1": 4, "q3": 5}  # labels mapped; q2 is not asked of residents, so no row
    r1 = answers[answers.response_id == "r1"].set_index("question_id")["score"]
    assert r1["q2"] == 2, "the raw answer is stored; reverse scoring is the analysis' job"
    assert run.table("responses").set_index("response_id").loc["r1", "period"] == "2026-Q3"


def test_non_answers_are_missing_not_errors(check):
    run = check(
        surveys=survey(
            "r5,oak-house,staff,2026-07-05, N/A ,Don't know,,",
            "r6,oak-house,resident,2026-07-06,,,DON’T KNOW,",
            "r7,oak-house,resident,2026-07-06,  strongly AGREE ,,n/a,",
        )
    )
    assert run.code == 0 and run.quarantine.empty
    scores = run.table("answers").set_index(["response_id", "question_id"])["score"]
    assert scores.loc[("r5", "q1")] is pd.NA and scores.loc[("r6", "q3")] is pd.NA
    assert scores.loc[("r7", "q1")] == 5


@pytest.mark.parametrize(
    ("row", "line", "column", "rule"),
    [
        (",oak-house,staff,2026-07-05,4,4,,", 6, "response_id", "surveys.response_id_required"),
        ("r5,oak-hose,staff,2026-07-05,4,4,,", 6, "home_id", "surveys.home_id_known"),
        ("r5,oak-house,visitor,2026-07-05,4,4,,", 6, "respondent_group", "surveys.respondent_group_in_set"),
        ("r5,oak-house,staff,2026-12-01,4,4,,", 6, "submitted_on", "surveys.submitted_on_not_future"),
        ("r5,oak-house,staff,05/13/2026x,4,4,,", 6, "submitted_on", "surveys.submitted_on_is_date"),
        ("r1,oak-house,staff,2026-07-05,4,4,,", 6, "response_id", "surveys.response_id_unique"),
    ],
)
def test_each_survey_row_rule_quarantines_the_row(check, row, line, column, rule):
    run = check(surveys=survey(row))
    assert run.code == 0
    assert run.rule_ids() == [(line, column, rule)]
    assert run.file("surveys/s.csv")["rows_quarantined"] == 1 and run.file("surveys/s.csv")["rows_clean"] == 4
    assert "r1" in set(run.table("responses").response_id), "the first copy of a repeated id stays clean"


@pytest.mark.parametrize(
    ("row", "column", "rule"),
    [
        ("r5,oak-house,staff,2026-07-05,6,4,,", "q1", "surveys.answer_in_scale"),
        ("r5,oak-house,staff,2026-07-05,Agre,4,,", "q1", "surveys.answer_in_scale"),
        ("r5,oak-house,resident,2026-07-05,4,4,,", "q2", "surveys.question_asked_of_group"),
    ],
)
def test_a_bad_answer_drops_the_answer_and_keeps_the_questionnaire(check, row, column, rule):
    run = check(surveys=survey(row))
    assert run.code == 0
    assert run.rule_ids() == [(6, column, rule)]
    assert run.file("surveys/s.csv")["rows_clean"] == 5
    answers = run.table("answers").set_index(["response_id", "question_id"])["score"]
    assert ("r5", column) not in answers.dropna().index and ("r5", "q1" if column != "q1" else "q2") in answers.index


def test_quarantine_names_value_but_never_the_comment(check):
    run = check(surveys=survey('r5,oak-house,staff,2026-07-05,Agre,4,,"call Jane on 07700 900123"'))
    assert run.quarantine.loc[0, "value"] == "Agre"
    text = (run.data / "clean" / "quarantine" / "quarantine.csv").read_text()
    assert "07700" not in text and "Jane" not in text


def test_line_numbers_follow_the_file_with_multiline_comments_and_blank_lines(check):
    header = SURVEY_HEADER
    text = (
        header
        + 'r1,oak-house,staff,2026-07-01,4,2,,"first line\nsecond line"\n\n'
        + "\n".join(GOOD_ROWS[1:])
        + "\nr9,oak-house,staff,2026-07-01,9,2,,\n"
    )
    run = check(surveys={"s.csv": text})
    assert run.rule_ids() == [(8, "q1", "surveys.answer_in_scale")]


@pytest.mark.parametrize(
    ("row", "column", "rule"),
    [
        ("a2,oak-house,2026-07-10,W2,W2-03,Meds,Maybe,,,,,", "result", "unknown result"),
        ("a2,oak-house,2026-07-10,W9,W2-03,Meds,Met,,,,,", "kloe", "kloe is not one of W1..W5"),
        ("a2,oak-house,2027-01-10,W2,W2-03,Meds,Met,,,,,", "audit_date", "date in the future"),
        ("a2,oak-house,2026-07-10,W2,W2-03,,Met,,,,,", "item", "required value missing"),
    ],
)
def test_each_audit_row_rule_quarantines_the_row(check, row, column, rule):
    run = check(audits={"a.csv": AUDIT_HEADER + "\n".join([*AUDIT_ROWS, row]) + "\n"})
    assert run.code == 0
    [(line, got_column, got_rule)] = run.rows()
    assert (line, got_column) == (5, column) and got_rule.startswith(rule)
    audits = run.table("audits")
    assert len(audits) == 3 and set(audits.result) == {"Met", "Not met", "Partially met"}


def _clean_before(check) -> tuple[Run, str]:
    first = check()
    assert first.code == 0
    return first, (first.data / "clean" / "manifest.json").read_text()


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"s.csv": ""}, "the file is empty"),
        ({"s.csv": b"response_id,home_id\n\x81\x8d,oak\n"}, "line 2: the file is not UTF-8 or Windows-1252 text"),
        ({"s.xlsx": b"PK\x03\x04 this is no workbook"}, "not a readable XLSX workbook"),
        (
            {"s.csv": AUDIT_HEADER + AUDIT_ROWS[0] + "\n"},
            "required columns missing: response_id, respondent_group, submitted_on (it looks like an audits file)",
        ),
        (
            {"s.csv": SURVEY_HEADER.replace(",comment", ",q99,comment") + "r1,oak-house,staff,2026-07-01,4,2,,5,\n"},
            "columns that are not questions in questions.csv: q99",
        ),
        (
            {"s.csv": SURVEY_HEADER + "\n".join(["x1,nowhere,staff,2026-07-01,4,4,,"] * 3 + GOOD_ROWS[:2]) + "\n"},
            "3 of 5 rows broke a rule (more than half)",
        ),
    ],
)
def test_file_rules_reject_the_file_and_keep_clean_as_it_was(check, tmp_path, capsys, files, expected):
    _, manifest = _clean_before(check)
    for old in (tmp_path / "data" / "raw" / "surveys").iterdir():
        old.unlink()
    write_raw(tmp_path / "data", surveys=files)
    run = Run(tmp_path, capsys)
    assert run.code == 1
    [rejected] = [f for f in run.dq["files"] if f["blocking_error"]]
    assert expected in rejected["blocking_error"]
    assert rejected["rows_read"] == rejected["rows_clean"] + rejected["rows_quarantined"]
    assert (tmp_path / "data" / "clean" / "manifest.json").read_text() == manifest
    assert "Traceback" not in run.out + run.err


def test_missing_homes_file_blocks_and_skips_the_rest(check, tmp_path, capsys):
    write_raw(tmp_path / "data")
    (tmp_path / "data" / "raw" / "homes.csv").unlink()
    run = Run(tmp_path, capsys)
    assert run.code == 1
    assert run.file("homes.csv")["blocking_error"].startswith("file not found")
    assert run.file("surveys/s.csv")["blocking_error"] == "not checked: homes.csv could not be used"


def test_same_file_twice_is_flagged_and_imported_once(check):
    text = SURVEY_HEADER + "\n".join(GOOD_ROWS) + "\n"
    run = check(surveys={"s.csv": text, "t.csv": text})
    assert run.code == 0
    assert {
        "file": "surveys/t.csv",
        "kind": "duplicate-file",
        "message": "same content as surveys/s.csv: its rows were imported once",
    } in run.dq["flags"]
    assert run.file("surveys/t.csv")["rows_quarantined"] == 4
    assert len(run.table("responses")) == 4


def test_strict_turns_flags_into_a_failure(check):
    text = SURVEY_HEADER + "\n".join(GOOD_ROWS) + "\n"
    run = check("--strict", surveys={"s.csv": text, "t.csv": text})
    assert run.code == 1 and not (run.data / "clean" / "manifest.json").exists()


def test_response_volume_moving_more_than_threefold_is_flagged(check):
    rows = [f"v{i},oak-house,staff,2026-04-0{1 + i % 5},4,4,," for i in range(2)]
    rows += [f"w{i},oak-house,staff,2026-07-{10 + i},4,3,," for i in range(7)]
    run = check(surveys=survey(*rows))
    [flag] = [f for f in run.dq["flags"] if f["kind"] == "response-volume"]
    assert flag["message"].startswith(
        "oak-house: 9 questionnaires in 2026-Q3 against fewer than 5 questionnaires the quarter before"
    )
    assert " 2 " not in flag["message"], "a count the reports hide is printed"


def test_straight_lined_questionnaire_is_flagged(check):
    header = "response_id,home_id,respondent_group,submitted_on,q1,q2,qa,qb,qc\n"
    questions = QUESTIONS + "".join(f"q{x},Extra {x},W2,staff,false\n" for x in "abc")
    run = check(
        questions=questions,
        surveys={
            "s.csv": header + "r1,oak-house,staff,2026-07-01,5,5,5,5,5\nr2,oak-house,staff,2026-07-01,5,4,5,5,5\n"
        },
    )
    [flag] = [f for f in run.dq["flags"] if f["kind"] == "straight-lined"]
    assert flag == {
        "file": "surveys/s.csv",
        "kind": "straight-lined",
        "message": "1 questionnaire(s) give the same answer to every question (line 2)",
    }


def test_identity_columns_are_dropped_at_import(check):
    header = "response_id,Email,home_id,respondent_group,submitted_on,q1,Name\n"
    run = check(surveys={"s.csv": header + "r1,jo@example.com,oak-house,staff,2026-07-01,4,Jo Bloggs\n"})
    assert run.code == 0
    assert any(f["kind"] == "identity-columns-dropped" for f in run.dq["flags"])
    for name in ("responses", "answers"):
        table = run.table(name)
        assert "Email" not in table.columns and not table.astype(str).isin(["jo@example.com", "Jo Bloggs"]).any().any()


def test_bad_home_rows_are_quarantined_too(check):
    more = "".join(f"home-{i},Home {i},10,10\n" for i in range(3))
    run = check(homes=HOMES + more + "Bad Id,Bad,10,10\nbeech,Beech,ten,5\nfir,Fir,48.0,40 \n")
    assert run.code == 0
    assert run.rule_ids() == [(7, "home_id", "homes.home_id_format"), (8, "beds", "homes.beds_format")]
    homes = run.table("homes").set_index("home_id")
    assert list(homes.index) == ["oak-house", "elm-grove", "home-0", "home-1", "home-2", "fir"]
    assert (homes.loc["fir", "beds"], homes.loc["fir", "staff_headcount"]) == (48, 40)


def test_a_home_named_twice_rejects_homes_csv_naming_both_lines(check, tmp_path, capsys):
    run = check(homes=HOMES + "oak-house,Again,5,5\n")
    assert run.code == 1
    assert run.file("homes.csv")["blocking_error"] == (
        "home_id 'oak-house' appears on lines 2 and 4: one care home named twice would merge two sets of data"
    )
    assert run.file("surveys/s.csv")["blocking_error"] is None, "unrelated files are still checked"


def test_xlsx_survey_line_numbers_are_spreadsheet_rows(check, tmp_path):
    frame = pd.read_csv(
        pd.io.common.StringIO(SURVEY_HEADER + "\n".join(GOOD_ROWS) + "\nr5,oak-house,staff,2026-07-05,7,4,,\n"),
        dtype=str,
    )
    target = tmp_path / "s.xlsx"
    frame.to_excel(target, index=False)
    run = check(surveys={"s.xlsx": target.read_bytes()})
    assert run.rule_ids() == [(6, "q1", "surveys.answer_in_scale")]


def test_data_quality_html_escapes_values_from_data(check):
    run = check(surveys=survey("r5,<script>alert(1)</script>,staff,2026-07-05,4,4,,"))
    page = (run.reports / "data-quality" / "data-quality.html").read_text()
    assert "<script>" not in page and "[text, 25 characters]" in page, "shown masked, never as written"
    assert "http://" not in page and "https://" not in page


def test_every_run_is_logged(check):
    run = check()
    [log] = (run.reports / "logs").glob("check-*.log")
    text = log.read_text()
    assert "sha256" in text and "read 4 = clean 4 + quarantined 0" in text and "timings:" in text


def test_missing_raw_folder_is_bad_usage(tmp_path, capsys):
    code = cli.main(["check", "--data", str(tmp_path / "nowhere"), "--reports", str(tmp_path / "r")])
    assert code == 2 and "no raw data folder" in capsys.readouterr().err
