"""Build the import corpus: survey and audit exports shaped as each tool writes them, and a set of bad files.

Run ``python tests/data/imports/generate.py`` to rewrite ``good/`` and ``bad/`` here; the tests call
:func:`good_cases` and :func:`bad_cases` to build the same files in a temporary folder. Workbooks are written
with openpyxl, never edited by hand. Each good case lists the clean rows it must give; each bad case the exit
code and a fragment of its one-line message.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

HOMES = "home_id,home_name,beds,staff_headcount\noak-house,Oak House,40,50\nelm-grove,Elm Grove,20,25\n"
QUESTIONS = (
    "question_id,text,kloe,respondent_groups,reverse_scored\n"
    "q1,I would recommend this home to a friend,W1,staff;resident;family,false\n"
    '"q2","I feel able to raise concerns, and they are acted on",W1,staff;family,false\n'
    "q3,I am kept informed about changes,W3,resident;family,false\n"
)
Q1, Q2, Q3 = (
    "I would recommend this home to a friend",
    "I feel able to raise concerns, and they are acted on",
    "I am kept informed about changes",
)


@dataclass
class Person:
    """Identity values a tool collects; none may reach any output."""

    first: str = "Jo"
    last: str = "Bloggs"
    email: str = "jo.bloggs@example.com"

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass
class Case:
    """One file (and its sidecar) under raw/, with what the check must make of it."""

    name: str
    path: str
    build: Callable[[list[Person]], bytes]
    expected: dict[str, dict] = field(default_factory=dict)
    sidecar: str | None = None
    config: str | None = None
    code: int = 0
    message: str = ""


ANSWERS = [
    # (home as written, group as written, day, q1, q2, q3, comment): the same questionnaires in every shape
    ("Oak House", "Staff member", 3, "Agree", "4 - Agree", "", "Good team"),
    ("oak-house", "Relative / friend", 4, "Strongly agree", "Neither agree or disagree", "Agree", ""),
    ("Elm Grove", "Resident", 5, "Disagree", "", "Not applicable", "Lovely garden 🌷"),
]
SCORES = {"Agree": 4, "4 - Agree": 4, "Strongly agree": 5, "Neither agree or disagree": 3, "Disagree": 2}


def _expected(prefix: str, ids: list[str]) -> dict[str, dict]:
    homes = {"Oak House": "oak-house", "oak-house": "oak-house", "Elm Grove": "elm-grove"}
    groups = {"Staff member": "staff", "Relative / friend": "family", "Resident": "resident"}
    out = {}
    for rid, (home, group, day, q1, q2, q3, _) in zip(ids, ANSWERS, strict=True):
        scores = {q: SCORES[v] for q, v in (("q1", q1), ("q2", q2), ("q3", q3)) if v in SCORES}
        out[rid] = {
            "home_id": homes[home],
            "respondent_group": groups[group],
            "submitted_on": f"2026-07-{day:02d}",
            "scores": scores,
        }
    return out


def _csv(rows: list[list[object]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def _xlsx(sheets: dict[str, list[list[object]]], merge: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if merge:
            sheet.merge_cells(merge)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _people(people: list[Person]) -> list[Person]:
    return ([*people, Person(), Person("Sam", "Smith", "sam@example.org"), Person("Ali", "Khan", "ali@example.net")])[
        :3
    ]


def ms_forms(people: list[Person], as_csv: bool = False) -> bytes:
    header = ["Id", "Start time", "Completion time", "Email", "Name", "Last modified time", "Care home",
              "Who are you?", Q1, Q2, Q3, "Any other comments"]  # fmt: skip
    rows: list[list[object]] = [header]
    for i, (person, a) in enumerate(zip(_people(people), ANSWERS, strict=True), start=1):
        done = dt.datetime(2026, 7, a[2], 16, 51, 2)
        rows.append([i, done - dt.timedelta(minutes=5), done, person.email, person.name, None, a[0], a[1],
                     a[3], a[4], a[5] or None, a[6] or None])  # fmt: skip
    return _csv(rows) if as_csv else _xlsx({"Sheet1": rows})


def google_forms(people: list[Person], as_xlsx: bool = False) -> bytes:
    header = ["Timestamp", "Email address", "Home", "Respondent group", Q1, Q2, Q3, "Comments"]
    rows: list[list[object]] = [header]
    for person, a in zip(_people(people), ANSWERS, strict=True):
        stamp = f"2026/07/{a[2]:02d} 4:51:23 PM GMT+1" if not as_xlsx else dt.datetime(2026, 7, a[2], 16, 51, 23)
        rows.append([stamp, person.email, a[0], a[1], a[3], a[4], a[5], a[6]])
    return _xlsx({"Form responses 1": rows}) if as_xlsx else _csv(rows)


def surveymonkey(people: list[Person], as_xlsx: bool = False) -> bytes:
    first = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
             "Last Name", "Custom Data 1", "Home", "Respondent group", Q1, Q2, Q3, "Comments"]  # fmt: skip
    second = [""] * 9 + ["Response"] * 5 + ["Open-Ended Response"]
    rows: list[list[object]] = [first, second]
    for i, (person, a) in enumerate(zip(_people(people), ANSWERS, strict=True)):
        end = f"07/{a[2]:02d}/2026 04:51:23 PM"
        rows.append([11400000 + i, 4200, end, end, "192.0.2.1", person.email, person.first, person.last, "",
                     a[0], a[1], a[3], a[4], a[5], a[6]])  # fmt: skip
    return _xlsx({"Sheet": rows}) if as_xlsx else _csv(rows)


def spreadsheet_excel_windows(people: list[Person]) -> bytes:
    """Keyed by hand in Excel on Windows: a title row, Windows-1252, semicolons, UK dates, a spacer column."""
    rows: list[list[object]] = [["Résident and family survey – July 2026"], [],
            ["Response ID", "Home ID", "Respondent group", "Submitted", "", "q1", "q2", "q3", "Comment"]]  # fmt: skip
    for i, a in enumerate(ANSWERS, start=1):
        rows.append([f"p{i}", a[0], a[1], f"{a[2]:02d}/07/2026", "", a[3], a[4], a[5], a[6].replace("🌷", "")])
    return _csv(rows, ";", "cp1252")


def spreadsheet_two_sheets(people: list[Person]) -> bytes:
    rows: list[list[object]] = [["Survey results"], ["response_id", "home_id", "respondent_group", "submitted_on",
                                 "q1", "q2", "q3", "comment"]]  # fmt: skip
    for i, a in enumerate(ANSWERS, start=1):
        rows.append([f"x{i}", a[0], a[1], dt.datetime(2026, 7, a[2]), a[3], a[4], a[5], a[6]])
    return _xlsx({"Instructions": [["Fill in one row per questionnaire"], ["Do not change the headers"]],
                  "Data": rows})  # fmt: skip


AUDIT_ROWS = [
    ["a1", "Oak House", "10/07/2026", "W2", "W2-01", "Governance meeting", "Compliant", "", "", "", "", ""],
    [
        "a1",
        "oak-house",
        "10/07/2026",
        "W2",
        "W2-02",
        "Notifications",
        "Non-compliant",
        "Send them",
        "Manager",
        "Red",
        "23/08/2026",
        "",
    ],
    [
        "a1",
        "oak-house",
        "10/07/2026",
        "W4",
        "W4-01",
        "Learning",
        "Partial",
        "Review",
        "Deputy",
        "Amber",
        "not yet",
        "",
    ],
]


def audit_sheet(people: list[Person]) -> bytes:
    header = ["Audit ID", "Home", "Audit date", "KLOE", "Item ID", "Item", "Result", "Action", "Action owner",
              "Priority", "Due date", "Date closed"]  # fmt: skip
    return _xlsx({"Audit": [["Quarterly governance audit"], header, *AUDIT_ROWS]})


MS_FORMS_CONFIG = '[columns]\n"who are you?" = "respondent_group"\n'


def good_cases() -> list[Case]:
    tools = [
        ("ms-forms.xlsx", ms_forms, ["1", "2", "3"], None),
        ("ms-forms-saved-as.csv", lambda p: ms_forms(p, as_csv=True), ["1", "2", "3"], None),
        ("google-forms.csv", google_forms, None, None),
        ("google-forms.xlsx", lambda p: google_forms(p, as_xlsx=True), None, None),
        ("surveymonkey.csv", surveymonkey, ["11400000", "11400001", "11400002"], "date_order: month-first\n"),
        (
            "surveymonkey.xlsx",
            lambda p: surveymonkey(p, as_xlsx=True),
            ["11400000", "11400001", "11400002"],
            "date_order: month-first\n",
        ),
        ("excel-windows.csv", spreadsheet_excel_windows, ["p1", "p2", "p3"], None),
        ("two-sheets.xlsx", spreadsheet_two_sheets, ["x1", "x2", "x3"], None),
    ]
    cases = []
    for name, build, ids, side in tools:
        expected = _expected(name, ids) if ids else {"<made>": {"count": 3}}
        config = MS_FORMS_CONFIG if name.startswith("ms-forms") else None
        cases.append(Case(name, f"surveys/{name}", build, expected, side, config))
    cases.append(Case("audit.xlsx", "audits/audit.xlsx", audit_sheet, {"audits": {"count": 3}}))
    return cases


def _zip_bomb() -> bytes:
    """10 MB that expand to 2.2 GB (the fastest compression: the default level took 12 s of CPU to build it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"0" * (1 << 20)
            for _ in range(2200):
                member.write(block)
    return buffer.getvalue()


def _survey_rows(extra: list[str], header: str | None = None) -> bytes:
    header = header or "response_id,home_id,respondent_group,submitted_on,q1,q2,q3,comment"
    good = ["g1,oak-house,staff,2026-07-01,4,4,,", "g2,oak-house,family,2026-07-02,5,3,4,"]
    return ("\n".join([header, *good, *extra]) + "\n").encode()


def _declared_dimension_bomb(rows: int = 600) -> bytes:
    """A small workbook whose sheet declares 16,384 columns: padded to that width, its 600 rows would be
    9.8 million cells, over the cell limit; read over the cells really present, it is 3,000."""
    header = ["response_id", "home_id", "respondent_group", "submitted_on", "q1"]
    data = _xlsx({"Sheet1": [header, *([f"d{i}", "oak-house", "staff", "2026-07-01", 4] for i in range(rows))]})
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                wide = f'<dimension ref="A1:XFD{rows + 1}"/>'.encode()
                body, found = re.subn(rb'<dimension ref="[^"]*" ?/>', wide, body)
                assert found == 1
            target.writestr(item, body)
    return out.getvalue()


def bad_cases() -> list[Case]:
    good = ms_forms([])
    long_comment = "x" * 100_000
    swallowing = _survey_rows(['s1,oak-house,staff,2026-07-03,4,4,,"he said fine and left', *[
        f"s{i},oak-house,staff,2026-07-03,4,4,," for i in range(2, 80)]])  # fmt: skip
    return [
        Case(
            "truncated.xlsx",
            "surveys/truncated.xlsx",
            lambda p: good[: len(good) // 2],
            code=1,
            message="not a readable XLSX workbook",
        ),
        Case("truncated.csv", "surveys/truncated.csv", lambda p: _survey_rows([])[:-30], code=0),
        Case(
            "pdf.csv",
            "surveys/report.csv",
            lambda p: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
            code=1,
            message="this is a PDF document, not a CSV file",
        ),
        Case(
            "png.csv",
            "surveys/photo.csv",
            lambda p: b"\x89PNG\r\n\x1a\n" + bytes(64),
            code=1,
            message="this is a PNG image, not a CSV file",
        ),
        Case(
            "pdf.xlsx",
            "surveys/report.xlsx",
            lambda p: b"%PDF-1.7\n",
            code=1,
            message="this is a PDF document, not a readable XLSX workbook",
        ),
        Case(
            "xls.xlsx",
            "surveys/old.xlsx",
            lambda p: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
            code=1,
            message="an old Excel .xls workbook",
        ),
        Case(
            "merged-header.xlsx",
            "surveys/merged.xlsx",
            lambda p: _xlsx(
                {
                    "S": [
                        ["response_id", "home_id", "respondent_group", "submitted_on", "q1", None, "q3"],
                        ["m1", "oak-house", "family", "2026-07-01", 4, 5, 4],
                    ]
                },
                merge="E1:F1",
            ),
            code=1,
            message="has data but no name in the header row (merged header cells?)",
        ),
        Case(
            "formulas.xlsx",
            "surveys/formulas.xlsx",
            lambda p: _xlsx(
                {
                    "S": [
                        ["response_id", "home_id", "respondent_group", "submitted_on", "q1", "q2"],
                        ["f1", "oak-house", "staff", "2026-07-01", "=2+2", '=HYPERLINK("http://x")'],
                        ["f2", "oak-house", "staff", "2026-07-01", 4, 4],
                    ]
                }
            ),
            code=0,
        ),
        Case(
            "duplicate-columns.csv",
            "surveys/dupes.csv",
            lambda p: b"response_id,home_id,respondent_group,submitted_on,q1,Q1\nr,oak-house,staff,2026-07-01,4,4\n",
            code=1,
            message="appears twice in the header row",
        ),
        Case(
            "long-comment.csv",
            "surveys/long.csv",
            lambda p: _survey_rows([f"l1,oak-house,staff,2026-07-03,4,4,,{long_comment}"]),
            code=0,
        ),
        Case(
            "huge-cell.csv",
            "surveys/huge.csv",
            lambda p: _survey_rows(["h1,oak-house,staff,2026-07-03,4,4,," + "y" * 1_000_001]),
            code=1,
            message="file too large for wellled to read",
        ),
        Case(
            "control-characters.csv",
            "surveys/ctl\x1b[32mOK\x1b[0m.csv",
            lambda p: _survey_rows(["c1,oak-house,staff,2026-07-03,4\x07,4,,bell\x07 and \x1b[31mred\x1b[0m"]),
            code=0,
        ),
        Case(
            "rtl-emoji.csv",
            "surveys/rtl.csv",
            lambda p: _survey_rows(["e1,oak-house,staff,2026-07-03,4,4,,\u202eolleh مرحبا 😀👍🏽"]),
            code=0,
        ),
        Case(
            "formula-injection.csv",
            "surveys/inject.csv",
            lambda p: _survey_rows(
                [
                    'i1,oak-house,staff,2026-07-03,"=HYPERLINK(""http://evil"",""x"")",4,,"=1+2"',
                    "i2,oak-house,staff,2026-07-03,+cmd,4,,@SUM(A1)",
                    "i3,oak-house,staff,2026-07-03,@SUM(1),-2,,",
                    "i4,oak-house,staff,2026-07-03,4,4,,",
                ]
            ),
            code=0,
        ),
        Case(
            "zip-bomb.xlsx",
            "surveys/bomb.xlsx",
            lambda p: _zip_bomb(),
            code=1,
            message="file too large for wellled to read: it expands to",
        ),
        Case("declared-dimension.xlsx", "surveys/dimension.xlsx", lambda p: _declared_dimension_bomb(), code=0),
        Case("empty.csv", "surveys/empty.csv", lambda p: b"", code=1, message="the file is empty"),
        Case("blank.csv", "surveys/blank.csv", lambda p: b"\r\n  \r\n", code=1, message="the file is empty"),
        Case(
            "random-bytes.csv",
            "surveys/random.csv",
            lambda p: bytes(range(256)) * 4,
            code=1,
            message="the file is not UTF-8 or Windows-1252 text",
        ),
        Case(
            "unbalanced-quote.csv",
            "surveys/quote.csv",
            lambda p: swallowing,
            code=1,
            message="a quoted field opened on line 4",
        ),
        Case(
            "many-sheets.xlsx",
            "surveys/sheets.xlsx",
            lambda p: _xlsx({"A": [["x", "y"]], "B": [["z", "w"]]}),
            code=1,
            message="the workbook has several sheets",
        ),
        Case(
            "month-first.csv",
            "surveys/us.csv",
            lambda p: _survey_rows(["u1,oak-house,staff,07/24/2026,4,4,,"]),
            code=1,
            message="can only be a month-first date",
        ),
        Case(
            "wide-rows.csv",
            "surveys/wide.csv",
            lambda p: _survey_rows(
                [
                    "w1,oak-house,staff,2026-07-03,4,4,,ok,extra",
                    "w2,oak-house,staff,2026-07-03,4,4,,ok,extra",
                    "w3,oak-house,staff,2026-07-03,4,4,,ok,extra",
                ]
            ),
            code=1,
            message="rows have more cells than the header",
        ),
        Case(
            "unknown-question.csv",
            "surveys/unknown.csv",
            lambda p: _survey_rows(
                [], "response_id,home_id,respondent_group,submitted_on,q1,q2,q3,How was lunch today?"
            ),
            code=1,
            message="columns that are not questions in questions.csv: How was lunch today?",
        ),
        Case("not-a-survey.docx", "surveys/notes.docx", lambda p: b"PK\x03\x04", code=0),
        Case("stray-file.csv", "stray.csv", lambda p: _survey_rows([]), code=0),
        Case("lock-file.xlsx", "surveys/~$ms-forms.xlsx", lambda p: b"lock", code=0),
        Case("utf16-no-bom.csv", "surveys/utf16.csv", lambda p: _survey_rows([]).decode().encode("utf-16-le"), code=0),
    ]


def write(folder: Path, cases: list[Case], people: list[Person] | None = None) -> None:
    """Write each case's file (and sidecar) under ``folder/NAME/raw`` beside the shared homes and questions."""
    for case in cases:
        raw = folder / case.name / "raw"
        (raw / "surveys").mkdir(parents=True, exist_ok=True)
        (raw / "audits").mkdir(parents=True, exist_ok=True)
        (raw / "homes.csv").write_text(HOMES, encoding="utf-8")
        (raw / "questions.csv").write_text(QUESTIONS, encoding="utf-8")
        target = raw / case.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(case.build(people or []))
        if case.config:
            (raw / "wellled.toml").write_text(case.config, encoding="utf-8")
        if case.sidecar:
            target.with_name(target.name + ".yml").write_text(case.sidecar, encoding="utf-8")


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    write(here / "good", good_cases())
    write(here / "bad", bad_cases())
    sys.stdout.write(f"wrote {len(good_cases())} good and {len(bad_cases())} bad cases under {here}\n")
