"""Edge cases a real export brings, each found by review and each once wrong: the fix is pinned here."""

from __future__ import annotations

import pytest

from tests.check_helpers import GOOD_ROWS, HOMES, QUESTIONS, SURVEY_HEADER, survey, write_raw
from wellled import cli

pytestmark = pytest.mark.slow  # each test runs the whole `wellled check` command through the real GX suites

RULE_ANSWER = "surveys.answer_in_scale"


def test_trailing_empty_cells_are_tolerated_and_never_shift_columns(check):
    rows = ["r1,oak-house,staff,2026-07-01,4,2,,Call Jane on 07700 900123,", "r2,oak-house,staff,2026-07-02,5,3,,,"]
    run = check(surveys={"s.csv": SURVEY_HEADER + "\n".join(rows) + "\n"})
    assert run.code == 0 and run.quarantine.empty
    answers = run.table("answers").set_index(["response_id", "question_id"])["score"]
    assert answers[("r1", "q1")] == 4 and answers[("r2", "q2")] == 3
    page = (run.reports / "data-quality" / "data-quality.html").read_text()
    assert "07700" not in page and "Jane" not in page


def test_a_row_with_more_filled_cells_than_the_header_is_quarantined_not_the_file(check):
    run = check(surveys=survey("r5,oak-house,staff,2026-07-01,4,2,,hello,extra"))
    assert run.code == 0 and run.rule_ids() == [(6, "", "file.row_width")]
    assert run.file("surveys/s.csv")["rows_quarantined"] == 1 and run.file("surveys/s.csv")["rows_clean"] == 4


def test_most_rows_wider_than_the_header_reject_the_file(check):
    run = check(surveys={"s.csv": SURVEY_HEADER + "r1,oak-house,staff,2026-07-01,4,2,,hello,extra\n"})
    assert run.code == 1
    assert run.file("surveys/s.csv")["blocking_error"].startswith(
        "1 of 1 rows have more cells than the header's 8 columns (the first, line 2, has 9)"
    )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_repeated_column_name_is_caught_before_anything_renames_it(check, tmp_path, suffix):
    header = "response_id,home_id,respondent_group,submitted_on,q1,q2,q1\n"
    text = header + "r1,oak-house,staff,2026-07-01,1,2,5\n"
    if suffix == ".xlsx":
        import pandas as pd

        rows = [line.split(",") for line in text.strip().splitlines()]
        target = tmp_path / "s.xlsx"
        pd.DataFrame(rows[1:]).T.reset_index(drop=True).T.to_excel(target, index=False, header=rows[0])
        files = {"s.xlsx": target.read_bytes()}
    else:
        files = {"s.csv": text}
    run = check(surveys=files)
    assert run.code == 1
    assert run.file(f"surveys/s{suffix}")["blocking_error"] == "line 1: column 'q1' appears twice in the header row"


def test_answers_from_a_group_no_question_is_asked_of_are_quarantined_not_dropped(check):
    run = check(surveys=survey("r5,oak-house,family,2026-07-05,4,,5,"))
    assert run.rule_ids() == [
        (6, "q1", "surveys.question_asked_of_group"),
        (6, "q3", "surveys.question_asked_of_group"),
    ]
    assert run.quarantine["outcome"].eq("value dropped, row kept").all()


def test_blank_after_trimming_counts_as_missing(check):
    homes = (
        "home_id,home_name,beds,staff_headcount,residents\n"
        "oak-house,Oak House,40,50,36\nelm-grove,Elm Grove,20,25,\nash,   ,10,10,\n"
        "beech,Beech,5,5,  \nbirch,Birch,5,5,4\nfir,Fir,5,5,4\n"
    )
    run = check(homes=homes, surveys=survey("  ,oak-house,staff,2026-07-05,4,4,,"))
    assert (4, "home_name", "required value missing") in run.rows()
    assert (6, "response_id", "required value missing") in run.rows()
    assert "beech" in set(run.table("homes").home_id), "a blank optional cell is fine"


def test_old_mac_line_endings_are_read_with_right_line_numbers(check):
    text = (SURVEY_HEADER + "\n".join([*GOOD_ROWS, "r9,oak-house,staff,2026-07-01,9,2,,"]) + "\n").replace("\n", "\r")
    run = check(surveys={"s.csv": text})
    assert run.code == 0 and run.rule_ids() == [(6, "q1", RULE_ANSWER)]


def test_quoted_line_breaks_and_empty_quoted_rows_keep_line_numbers(check):
    text = SURVEY_HEADER + 'r1,oak-house,staff,2026-07-01,4,2,,"two\nlines"\n""\nr2,oak-house,staff,2026-07-02,9,3,,\n'
    run = check(surveys={"s.csv": text})
    assert run.code == 0 and run.rule_ids() == [(5, "q1", RULE_ANSWER)]


def test_an_absurd_number_is_quarantined_not_a_crash(check):
    run = check(homes=HOMES + "big,Big,99999999999999999999,50\n" + "".join(f"h-{i},H,1,1\n" for i in range(3)))
    assert run.code == 0 and (4, "beds", "not a whole number from 0 to 999999") in run.rows()


def test_dates_that_do_not_exist_or_are_not_dates_are_quarantined(check):
    run = check(surveys=survey("r5,oak-house,staff,2026-7-5x,4,4,,", "r6,oak-house,staff,2026-02-30,4,4,,"))
    assert run.rule_ids() == [
        (6, "submitted_on", "surveys.submitted_on_is_date"),
        (7, "submitted_on", "surveys.submitted_on_is_date"),
    ]


def test_a_home_that_drops_to_no_questionnaires_is_flagged(check):
    rows = [f"p{i},oak-house,staff,2026-04-{10 + i},4,4,," for i in range(6)]
    rows += [f"e{i},elm-grove,staff,2026-04-{10 + i},4,4,," for i in range(3)]
    header = SURVEY_HEADER
    run = check(
        surveys={
            "s.csv": header
            + "\n".join([*rows, "x1,elm-grove,staff,2026-07-01,4,4,,", "x2,elm-grove,staff,2026-07-02,4,4,,"])
            + "\n"
        }
    )
    messages = [f["message"] for f in run.dq["flags"] if f["kind"] == "response-volume"]
    assert any(
        m.startswith("oak-house: 0 questionnaires in 2026-Q3 against 6 questionnaires the quarter before")
        for m in messages
    )


def test_four_identical_answers_are_straight_lined(check):
    header = "response_id,home_id,respondent_group,submitted_on,q1,q2,qa,qb\n"
    questions = QUESTIONS + "qa,Extra a,W2,staff,false\nqb,Extra b,W2,staff,false\n"
    run = check(questions=questions, surveys={"s.csv": header + "r1,oak-house,staff,2026-07-01,5,5,5,5\n"})
    assert any(f["kind"] == "straight-lined" for f in run.dq["flags"])


def test_a_survey_column_whose_question_was_quarantined_says_so(check):
    run = check(questions=QUESTIONS.replace("q3,Kept informed,W3", "q3,Kept informed,W9"))
    assert run.code == 1
    assert run.file("surveys/s.csv")["blocking_error"] == (
        "columns whose row in questions.csv is quarantined: q3; fix those questions first"
    )


def test_files_wellled_cannot_read_and_unknown_columns_are_flagged(check, tmp_path):
    (tmp_path / "data" / "raw" / "surveys").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "surveys" / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    run = check(
        homes=HOMES.replace("staff_headcount\n", "staff_headcount,manager_email\n")
        .replace("40,50\n", "40,50,boss@example.com\n")
        .replace("20,25\n", "20,25,\n")
    )
    kinds = {(f["file"], f["kind"]) for f in run.dq["flags"]}
    assert ("surveys/old.xls", "unsupported-file") in kinds and ("homes.csv", "ignored-columns") in kinds
    assert "manager_email" not in run.table("homes").columns


def test_a_bad_today_is_bad_usage(tmp_path, capsys):
    write_raw(tmp_path / "data")
    code = cli.main(
        ["check", "--data", str(tmp_path / "data"), "--reports", str(tmp_path / "r"), "--today", "2026-13-01"]
    )
    assert code == 2 and "not a date written YYYY-MM-DD" in capsys.readouterr().err
