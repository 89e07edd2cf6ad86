"""Files as the survey tools and Excel write them: nothing guessed, nothing lost silently."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.check_helpers import AUDIT_HEADER, GOOD_ROWS, SURVEY_HEADER, survey
from wellled import cli

SHORTFALLS = [
    "a1,oak-house,2026-07-10,W2,W2-01,Governance meeting,Met,,,,,",
    "a1,oak-house,2026-07-10,W2,W2-02,Notifications,Not met,Send them,Manager,urgent,soon,",
    "a1,oak-house,2026-07-10,W4,W4-01,Learning,Partially met,Review,Deputy,Red,23/06/2026,",
]


@pytest.mark.slow  # several whole checks: the fast tier keeps a minute
def test_a_bad_optional_value_is_dropped_and_the_shortfall_and_rating_survive(check, capsys):
    run = check(audits={"a.csv": AUDIT_HEADER + "\n".join(SHORTFALLS) + "\n"})
    assert run.code == 0
    assert run.rule_ids() == [(3, "action_due", "audits.action_due_is_date"), (3, "priority", "audits.priority_in_set")]
    assert set(run.quarantine["outcome"]) == {"value dropped, row kept"}
    assert "[priorities]" in run.quarantine.set_index("column").loc["priority", "rule"], "names the config key"
    assert run.file("audits/a.csv")["rows_clean"] == 3 and run.file("audits/a.csv")["rows_quarantined"] == 0
    assert any(f["kind"] == "values-dropped" for f in run.dq["flags"])
    audits = run.table("audits").set_index("item_id")
    assert audits["result"].to_dict() == {"W2-01": "Met", "W2-02": "Not met", "W4-01": "Partially met"}
    assert audits.loc["W2-02", "priority"] is pd.NA and pd.isna(audits.loc["W2-02", "action_due"])
    assert audits.loc["W4-01", "priority"] == "high", "Red is mapped by the default [priorities]"
    assert audits.loc["W4-01", "action_due"] == pd.Timestamp("2026-06-23"), "UK day-first date"
    code = cli.main(["summary", "oak-house", "--data", str(run.data), "--period", "2026-Q3"])
    summary = json.loads(capsys.readouterr().out)
    assert code in (0, None)
    audit = {t["id"]: t["audit"] for t in summary["themes"]}
    assert sum(a["not_met"] for a in audit.values()) == 1 and sum(a["partially_met"] for a in audit.values()) == 1
    assert summary["overall_rating"] != "Outstanding"


DATES = [
    ("2026-07-03", "2026-07-03"),
    ("2026-07-03T16:51:00Z", "2026-07-03"),
    ("2026-07-03 16:51", "2026-07-03"),
    ("03/07/2026", "2026-07-03"),
    ("3/7/2026", "2026-07-03"),
    ("24/07/2026 16:51", "2026-07-24"),
    ("2026/07/24 4:51:23 PM GMT+1", "2026-07-24"),
    ("46206", "2026-07-03"),
]


@pytest.mark.slow  # several whole checks: the fast tier keeps a minute
def test_dates_as_people_and_tools_write_them(check):
    # one check for every way of writing: each in a file of its own, so each file's date reading is its own
    files = {
        f"d{i}.csv": SURVEY_HEADER + f'd{i},oak-house,staff,"{written}",4,4,,\n' for i, (written, _) in enumerate(DATES)
    }
    run = check(surveys={**survey(), **files})
    assert run.code == 0 and run.quarantine.empty
    submitted = run.table("responses").set_index("response_id")["submitted_on"]
    for i, (written, day) in enumerate(DATES):
        assert submitted[f"d{i}"] == pd.Timestamp(day), written


def test_a_file_whose_dates_can_only_be_month_first_is_rejected_never_swapped(check):
    run = check(surveys=survey("r5,oak-house,staff,07/24/2026,4,4,,"))
    assert run.code == 1
    error = run.file("surveys/s.csv")["blocking_error"]
    assert "'07/24/2026' on line 6 can only be a month-first date" in error and "date_order: month-first" in error


def test_a_sidecar_declares_month_first(check, tmp_path):
    (tmp_path / "data" / "raw" / "surveys").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "surveys" / "s.csv.yml").write_text("date_order: month-first\n")
    run = check(surveys=survey("r5,oak-house,staff,07/24/2026,4,4,,"))
    assert run.code == 0
    assert run.table("responses").set_index("response_id").loc["r5", "submitted_on"] == pd.Timestamp("2026-07-24")


def _excel_style(text: str) -> str:
    return text.replace(",", ";")


@pytest.mark.parametrize(
    ("encoding", "delimiter", "note"),
    [
        ("utf-8-sig", ",", None),
        ("utf-16", ",", "read as UTF-16 text"),
        ("cp1252", ";", "read as Windows-1252 text (it is not UTF-8)"),
        ("utf-8", "\t", "tab-separated"),
    ],
)
def test_encodings_and_delimiters_are_detected_and_said(check, encoding, delimiter, note):
    text = SURVEY_HEADER + "\n".join(GOOD_ROWS) + "\n" + "r5,oak-house,staff,2026-07-05,4,4,,Café – très bien\n"
    data = text.replace(",", delimiter).encode(encoding)
    run = check(surveys={"s.csv": data})
    assert run.code == 0 and run.file("surveys/s.csv")["rows_clean"] == 5
    comment = run.table("responses").set_index("response_id").loc["r5", "comment"]
    assert comment == "Café – très bien"
    notes = {f["message"] for f in run.dq["flags"] if f["kind"] == "read-as"}
    assert (note in notes) if note else not notes


def test_title_rows_aliases_spacer_columns_and_question_text_headers(check):
    header = "Response ID,Home ID,Respondent group,Submitted,,Recommend,Worried to speak up?,“Kept informed”,Comments\n"
    rows = [
        "r1,Oak House,Staff member,03/07/2026,,4 - Agree,2.0,,Fine",
        "r2,OAK-HOUSE,Relative / friend,04/07/2026,,Neither agree or disagree,,,",
        "r3,elm grove,Resident,05/07/2026,,Not applicable,,Strongly agree,",
    ]
    text = "Staff and family survey 2026\nExported 2026-07-31\n\n" + header + "\n".join(rows) + "\n"
    questions = (
        "question_id,text,kloe,respondent_groups,reverse_scored\n"
        "q1,Recommend,W1,staff;resident;family,false\n"
        "q2,Worried to speak up,W1,staff,true\n"
        "q3,Kept informed,W3,resident,false\n"
    )
    run = check(questions=questions, surveys={"s.csv": text})
    assert run.code == 0, run.dq
    assert run.quarantine.empty
    responses = run.table("responses").set_index("response_id")
    assert responses["home_id"].to_dict() == {"r1": "oak-house", "r2": "oak-house", "r3": "elm-grove"}
    assert responses["respondent_group"].to_dict() == {"r1": "staff", "r2": "family", "r3": "resident"}
    scores = run.table("answers").set_index(["response_id", "question_id"])["score"]
    assert scores[("r1", "q1")] == 4 and scores[("r1", "q2")] == 2 and scores[("r2", "q1")] == 3
    assert scores[("r3", "q1")] is pd.NA and scores[("r3", "q3")] == 5
    notes = [f["message"] for f in run.dq["flags"] if f["kind"] == "read-as"]
    assert any(n.startswith("header on line 4") for n in notes)


def test_a_question_header_that_matches_nothing_lists_the_closest_questions(check):
    text = "response_id,home_id,respondent_group,submitted_on,Would you recommend this home?,q2\n"
    run = check(surveys={"s.csv": text + "r1,oak-house,staff,2026-07-01,4,2\n"})
    assert run.code == 1
    error = run.file("surveys/s.csv")["blocking_error"]
    assert error.startswith("columns that are not questions in questions.csv: Would you recommend this home?")
    assert "(closest to the first: q1," in error


def test_unknown_identity_and_metadata_columns_are_dropped_with_a_flag(check):
    header = "Id,Start time,Completion time,Email,Name,Home ID,Respondent group,Department,q1,q2\n"
    row = "17,2026-07-01 10:00:00,2026-07-01 10:05:00,jo@example.com,Jo Bloggs,oak-house,staff,Kitchen,4,2\n"
    run = check(surveys={"ms.csv": header + row})
    assert run.code == 0, run.dq
    kinds = {f["kind"] for f in run.dq["flags"]}
    assert {"identity-columns-dropped", "metadata-columns-dropped", "ignored-columns", "source"} <= kinds
    responses = run.table("responses")
    assert list(responses["response_id"]) == ["17"]
    assert responses["submitted_on"].iloc[0] == pd.Timestamp("2026-07-01")
    everything = "".join(p.read_text(errors="ignore") for p in (run.reports).rglob("*") if p.is_file())
    assert "jo@example.com" not in everything and "Jo Bloggs" not in everything


def test_email_response_ids_are_replaced_by_a_keyed_hash(check):
    rows = [f"person{i}@example.com,oak-house,staff,2026-07-0{i + 1},4,2,,\n" for i in range(3)]
    run = check(surveys={"s.csv": SURVEY_HEADER + "".join(rows)})
    assert run.code == 0
    ids = list(run.table("responses")["response_id"])
    assert all(i.startswith("id-") for i in ids) and len(set(ids)) == 3
    assert any(f["kind"] == "personal-ids-hashed" for f in run.dq["flags"])
    for path in [*run.data.joinpath("clean").rglob("*"), *run.reports.rglob("*")]:
        if path.is_file():
            assert b"@example.com" not in path.read_bytes(), path


def test_cumulative_re_exports_and_twins_are_counted_once(check, tmp_path):
    first = SURVEY_HEADER + "\n".join(GOOD_ROWS[:2]) + "\n"
    second = SURVEY_HEADER + "\n".join(GOOD_ROWS) + "\n"
    frame = pd.read_csv(pd.io.common.StringIO(second), dtype=str)
    twin = tmp_path / "twin.xlsx"
    frame.to_excel(twin, index=False)
    run = check(surveys={"a.csv": first, "b.csv": second, "c.xlsx": twin.read_bytes()})
    assert run.code == 0
    assert len(run.table("responses")) == 4
    copies = run.quarantine[run.quarantine["rule_id"] == "surveys.duplicate_copy"]
    assert len(copies) == 2 + 4 and set(copies["outcome"]) == {"copy, counted once"}
    assert copies["rule"].str.contains("first at surveys/").all()


def test_same_response_id_with_different_answers_names_both_files_and_lines(check):
    other = SURVEY_HEADER + "r1,oak-house,staff,2026-07-01,1,5,,\nr8,oak-house,staff,2026-07-01,1,5,,\n"
    other += "r9,oak-house,staff,2026-07-01,2,5,,\n"
    run = check(surveys={"s.csv": SURVEY_HEADER + "\n".join(GOOD_ROWS) + "\n", "t.csv": other})
    [entry] = run.quarantine[run.quarantine["rule_id"] == "surveys.response_id_unique"].to_dict("records")
    assert entry["source_file"] == "surveys/t.csv" and entry["source_line"] == "2"
    assert entry["rule"].endswith("first at surveys/s.csv line 2")


def test_audit_vocabularies_and_config_mapping(check, tmp_path):
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "wellled.toml").write_text('[audit_results]\n"sort of" = "Partially met"\n')
    rows = [
        "a1,Oak House,2026-07-10,W2,W2-01,Governance meeting,Compliant,,,,,",
        "a1,oak-house,2026-07-10,W2,W2-02,Notifications,Non-compliant,Fix,Manager,Amber,2026-08-10,",
        "a1,oak-house,2026-07-10,W2,W2-03,Meds,sort of,,,,,",
        "a1,oak-house,2026-07-10,W2,W2-04,Complaints,Maybe,,,,,",
    ]
    run = check(audits={"a.csv": AUDIT_HEADER + "\n".join(rows) + "\n"})
    audits = run.table("audits").set_index("item_id")
    assert audits["result"].to_dict() == {"W2-01": "Met", "W2-02": "Not met", "W2-03": "Partially met"}
    assert audits.loc["W2-02", "priority"] == "medium"
    [entry] = run.quarantine.to_dict("records")
    assert entry["rule_id"] == "audits.result_in_set" and "[audit_results] in wellled.toml" in entry["rule"]


def test_files_in_subfolders_are_read_and_links_are_not_followed(check, tmp_path):
    raw = tmp_path / "data" / "raw"
    (raw / "surveys" / "2026").mkdir(parents=True)
    outside = tmp_path / "outside.csv"
    outside.write_text(SURVEY_HEADER + "x1,oak-house,staff,2026-07-01,4,2,,\n")
    (raw / "surveys" / "link.csv").symlink_to(outside)
    (raw / "surveys" / "2026" / "q3.csv").write_text(SURVEY_HEADER + "n1,oak-house,staff,2026-07-09,4,2,,\n")
    run = check()
    assert run.file("surveys/2026/q3.csv")["rows_clean"] == 1
    assert {"file": "surveys/link.csv", "kind": "symlink-not-followed"}.items() <= next(
        f for f in run.dq["flags"] if f["file"] == "surveys/link.csv"
    ).items()
    assert "x1" not in set(run.table("responses")["response_id"])


def test_a_header_only_export_is_accepted_with_a_flag(check):
    run = check(surveys={"s.csv": SURVEY_HEADER + "\n".join(GOOD_ROWS) + "\n", "empty.csv": SURVEY_HEADER})
    assert run.code == 0
    assert any(f["kind"] == "no-responses" and f["file"] == "surveys/empty.csv" for f in run.dq["flags"])


def test_a_file_whose_answers_are_mostly_off_the_scale_is_rejected(check):
    rows = [f"y{i},oak-house,staff,2026-07-0{i + 1},Yes,No,," for i in range(6)]
    run = check(surveys=survey(*rows))
    assert run.code == 1
    assert "answers are not on the answer scale (more than half)" in run.file("surveys/s.csv")["blocking_error"]
