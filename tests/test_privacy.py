"""Small numbers stay hidden across the whole summary, not just within one table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.check_helpers import SURVEY_HEADER, write_raw
from tests.conftest import run_cli
from wellled import cli

pytestmark = pytest.mark.slow  # summaries of the whole demo data, a check and a report


def summary(capsys, *args: str) -> dict:
    """What `wellled summary ARGS` prints, run through the CLI's entry point in this process."""
    code = cli.main(["summary", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_no_hidden_group_count_can_be_recovered_by_subtraction(demo_data, capsys):
    for home in ("elm-grove", "oak-house", "birch-lodge"):
        printed = summary(capsys, home, "--data", str(demo_data.data))
        rates = printed["response_rates"]
        hidden_overall = [g for g, r in rates.items() if r["suppressed"]]
        assert len(hidden_overall) != 1, f"{home}: one lone hidden group in response_rates: {hidden_overall}"
        for theme in printed["themes"]:
            survey = theme["survey"]
            if survey["suppressed"]:
                continue
            groups = {g["respondent_group"]: g for g in survey["by_group"]}
            hidden = [g for g, figures in groups.items() if figures["suppressed"]]
            known = {g: f["respondents"] for g, f in groups.items() if not f["suppressed"]}
            known.update({g: r["responses"] for g, r in rates.items() if g in hidden and not r["suppressed"]})
            unknown = [g for g in hidden if g not in known]
            assert len(unknown) != 1, (
                f"{home} {theme['id']}: {unknown[0]} = {survey['respondents']} - {sum(known.values())} by subtraction"
            )


def test_elm_grove_family_count_is_never_shown_alone(demo_data, capsys):
    shown_alone = summary(capsys, "elm-grove", "--data", str(demo_data.data))["response_rates"]
    assert "family" not in shown_alone
    family = next(r for r in shown_alone.values() if "family" in r.get("combined_from", []))
    assert family["suppressed"] or family["responses"] >= 5
    hidden = sorted(g for g, r in shown_alone.items() if r["suppressed"])
    assert len(hidden) != 1
    assert all(shown_alone[g]["rate_pct"] is None and shown_alone[g]["responses"] is None for g in hidden)
    assert not shown_alone["staff"]["suppressed"] and shown_alone["staff"]["rate_pct"] is not None


def test_hidden_groups_are_the_same_in_every_theme_and_never_alone(demo_data, capsys):
    for framework in ("cqc-kloe-2017", "cqc-saf-2024"):
        for home in ("elm-grove", "oak-house", "maple-view"):
            printed = summary(capsys, home, "--framework", framework, "--data", str(demo_data.data))
            hidden_anywhere = {
                g["respondent_group"] for t in printed["themes"] for g in t["survey"]["by_group"] if g["suppressed"]
            }
            for theme in printed["themes"]:
                if theme["survey"]["suppressed"]:
                    continue
                present = {g["respondent_group"]: g for g in theme["survey"]["by_group"]}
                shown = {g for g, figures in present.items() if not figures["suppressed"]}
                assert not (shown & hidden_anywhere), f"{home} {theme['id']}: shows {shown & hidden_anywhere}"
                hidden_here = set(present) - shown
                assert len(hidden_here) != 1, f"{home} {theme['id']}: {hidden_here} = total - shown groups"


def _planted(seed: int) -> list[dict[str, str]]:
    """People with random names, e-mail addresses and (Ofcom drama range) phone numbers, new every run."""
    import random

    rng = random.Random(seed)

    def word() -> str:
        return "Zq" + "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(6))

    people = []
    for _ in range(6):
        first, last = word(), word()
        people.append(
            {
                "name": f"{first} {last}",
                "first": first,
                "last": last,
                "email": f"{first.lower()}.{last.lower()}@example.com",
                "phone": f"07700 900{rng.randrange(1000):03d}",
                "note_email": f"{last.lower()}{rng.randrange(100)}@example.org",
                "note_phone": f"01632 960{rng.randrange(1000):03d}",
            }
        )
    return people


def test_no_planted_identity_value_reaches_any_output_a_user_sees(tmp_path, capsys):
    """Identity columns, e-mail response ids, and personal data typed into answer and comment cells of one
    home's raw survey: none of it in quarantine.csv, the data-quality page, the log, or the rendered report
    (summary.json, the notebook, the HTML, the text of the PDF); nothing but the comments' own text in clean/
    (comments are stored as written and redacted when a summary is built). On the tiny raw files of
    ``check_helpers`` (the demo's check cost half a minute; every path the planted values take is the same).
    The check runs through the CLI's entry point in this process, its printed output kept as an output; the
    report is a process of its own (a real kernel, HTML and PDF)."""
    import random
    import subprocess

    seed = random.SystemRandom().randrange(10**9)
    people = _planted(seed)
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_raw(data)
    header = SURVEY_HEADER.strip().split(",")
    questions = [c for c in header if c.startswith("q")]
    rows = [["Email", "Name", "Phone", *header]]
    for i, person in enumerate(people):
        answers = ["4"] * len(questions)
        if i == 0:
            answers[1] = f"call {person['name']} on {person['phone']}"  # not an answer: quarantined
        if i == 1:
            answers[2] = person["email"]
        comment = f"Ask {person['note_email']} or ring {person['note_phone']}, thanks"
        rows.append([person["email"], person["name"], person["phone"], person["email"], "oak-house", "staff",
                     f"2026-08-{10 + i:02d}", *answers, comment])  # fmt: skip
    lines = [",".join(f'"{cell}"' for cell in row) for row in rows]
    (data / "raw" / "surveys" / "2026-Q3-staff-identified.csv").write_text("\n".join(lines) + "\n")

    code = cli.main(["check", "--data", str(data), "--reports", str(reports), "--today", "2026-11-26"])
    checked = capsys.readouterr()
    assert code == 0, checked.out + checked.err
    report = run_cli("report", "oak-house", "--period", "2026-Q3", "--data", str(data), "--reports", str(reports))
    assert report.code == 0, report.stdout + report.stderr

    folder = reports / "oak-house" / "2026-Q3"
    pdf_text = subprocess.run(
        ["pdftotext", str(folder / "governance-report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    outputs = {"governance-report.pdf (text)": pdf_text, "wellled check (printed)": checked.out + checked.err}
    for path in [*data.joinpath("clean").rglob("*"), *reports.rglob("*")]:
        if path.is_file() and path.suffix != ".pdf":
            text = pd.read_parquet(path).astype(str).to_csv() if path.suffix == ".parquet" else None
            outputs[str(path.relative_to(tmp_path))] = text or path.read_bytes().decode("utf-8", "ignore")
    quarantine = pd.read_csv(data / "clean" / "quarantine" / "quarantine.csv", dtype=str)
    planted_quarantined = quarantine[quarantine["source_file"].str.endswith("staff-identified.csv")]
    assert len(planted_quarantined) >= 2, "the answer cells holding a name, a phone number and an e-mail address"
    responses = pd.read_parquet(data / "clean" / "responses.parquet")
    assert (responses["response_id"].str.startswith("id-")).sum() >= len(people), "the planted rows were imported"
    written = json.loads((folder / "summary.json").read_text())
    assert "[email removed]" in json.dumps(written), "the planted comments are in the summary, redacted"
    names = {"summary.json", "governance-report.html", "governance-report.ipynb", "quarantine.csv"}
    assert names <= {Path(name).name for name in outputs} and any("data-quality" in name for name in outputs)
    for person in people:
        for kind in ("name", "first", "last", "email", "phone", "note_email", "note_phone"):
            value = person[kind]
            digits = value.replace(" ", "")
            for name, text in outputs.items():
                if kind.startswith("note") and name.endswith("clean/responses.parquet"):
                    continue
                assert value not in text and (not kind.endswith("phone") or digits not in text), (
                    f"{kind} {value!r} (seed {seed}) in {name}"
                )
