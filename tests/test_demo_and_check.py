"""`wellled demo` then `wellled check` as a user runs them, plus the guarantees around clean/."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import DEMO_END, DEMO_TODAY, run_cli
from wellled import cli
from wellled.check import contract


@pytest.mark.slow
def test_every_demo_file_reconciles_and_the_demo_has_its_stories(demo_data):
    files = demo_data.data_quality["files"]
    assert len(files) == 2 + 8 * 4 + 8
    assert all(f["blocking_error"] is None for f in files)
    assert all(f["rows_read"] == f["rows_clean"] + f["rows_quarantined"] for f in files)
    # four realistic slips: a misspelt home and a copied row hold a row back, a typo'd label drops one answer,
    # and a UK date is read as the provider's day-first date
    assert sum(f["rows_quarantined"] for f in files) == 2
    quarantine = pd.read_csv(demo_data.data / "clean" / "quarantine" / "quarantine.csv", dtype=str)
    assert sorted(quarantine["rule_id"]) == [
        "surveys.answer_in_scale",
        "surveys.duplicate_copy",
        "surveys.home_id_known",
    ]
    responses = demo_data.table("responses")
    homes = demo_data.table("homes")
    assert list(homes.home_id) == ["oak-house", "willow-court", "birch-lodge", "elm-grove", "maple-view", "cedar-house"]
    family = responses[responses.respondent_group == "family"].groupby(["home_id", "period"]).size()
    assert family["elm-grove"].max() < 5 and family.drop("elm-grove").min() >= 5
    staff_rate = responses[responses.respondent_group == "staff"].groupby("home_id").size() / 8
    rate = staff_rate / homes.set_index("home_id").staff_headcount
    assert rate.between(0.35, 0.65).all(), rate
    assert sorted(responses.period.unique()) == [
        f"{y}-Q{q}" for y, q in [(2024, 4), (2025, 1), (2025, 2), (2025, 3), (2025, 4), (2026, 1), (2026, 2), (2026, 3)]
    ]
    comments = responses.comment.dropna()
    assert comments.str.contains("@example.com").any() and comments.str.contains("07700 900123").any()
    assert comments.str.contains("<script>").any()
    assert demo_data.table("questions").reverse_scored.sum() == 1
    audits = demo_data.table("audits")
    assert (audits.priority == "high").any() and audits.action_closed.isna().any()
    assert set(audits.period) == set(responses.period)


@pytest.mark.slow
def test_demo_is_deterministic_and_refuses_foreign_data(tmp_path, capsys):
    for name in ("a", "b"):  # two processes: a per-process hash seed must not change the files
        assert (
            run_cli("demo", "--data", str(tmp_path / name), "--end", DEMO_END, "--homes", "2", "--quarters", "2").code
            == 0
        )
    digest = {
        n: {
            p.relative_to(tmp_path / n): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (tmp_path / n).rglob("*.csv")
        }
        for n in ("a", "b")
    }
    assert digest["a"] == digest["b"] and len(digest["a"]) > 4
    foreign = tmp_path / "real" / "raw"
    foreign.mkdir(parents=True)
    (foreign / "homes.csv").write_text("home_id\nmy-home\n")
    code = cli.main(["demo", "--data", str(tmp_path / "real")])  # the CLI's entry point in this process
    err = capsys.readouterr().err
    assert code == 2 and "did not write" in err and "Traceback" not in err
    assert (foreign / "homes.csv").read_text() == "home_id\nmy-home\n"
    assert cli.main(["demo", "--data", str(tmp_path / "real"), "--force", "--homes", "1", "--quarters", "1"]) == 0


@pytest.mark.slow
def test_data_quality_report_lists_files_and_quarantine(demo_data):
    page = (demo_data.reports / "data-quality" / "data-quality.html").read_text()
    assert "surveys/2026-Q3-staff.csv" in page and "unknown home_id (not an id or name in homes.csv" in page
    assert "<script" not in page.replace("<script>", "")  # no script element of our own
    assert "src=" not in page and "http" not in page


@pytest.mark.slow
def test_clean_outputs_match_the_manifest(demo_data):
    manifest = json.loads((demo_data.data / "clean" / "manifest.json").read_text())
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((demo_data.data / "clean" / name).read_bytes()).hexdigest() == digest
    assert {i["file"] for i in manifest["inputs"]} >= {"homes.csv", "questions.csv", "surveys/2026-Q3-staff.csv"}


@pytest.mark.slow
def test_two_checks_at_once_leave_one_consistent_clean(tmp_path):
    data = tmp_path / "data"  # a smaller demo: the two runs still overlap from start to end
    made = run_cli("demo", "--data", str(data), "--end", DEMO_END, "--homes", "3", "--quarters", "2")
    assert made.code == 0, made.stderr
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "wellled.cli",
                "check",
                "--data",
                str(data),
                "--reports",
                str(tmp_path / f"r{i}"),
                "--today",
                DEMO_TODAY,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(2)
    ]
    assert [r.wait(timeout=300) for r in runs] == [0, 0]
    manifest = json.loads((data / "clean" / "manifest.json").read_text())
    assert len(manifest["inputs"]) > 10 and manifest["outputs"]
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((data / "clean" / name).read_bytes()).hexdigest() == digest
    assert not list(data.glob(".clean-*")), "no staging or retired folder is left behind"


@pytest.mark.slow
def test_answers_are_long_with_scores_on_the_scale(demo_data):
    answers = demo_data.table("answers")
    assert list(answers.columns) == ["response_id", "home_id", "respondent_group", "period", "question_id", "score"]
    assert answers.score.dropna().between(1, 5).all() and answers.score.isna().any()
    per_response = answers.groupby("response_id").size()
    responses = demo_data.table("responses")
    assert set(per_response.index) == set(responses.response_id)


def test_suites_load_in_great_expectations_and_the_docs_match_them():
    import great_expectations as gx

    for dataset in contract.datasets():
        suite = gx.ExpectationSuite(**{k: v for k, v in dataset.suite.items()})
        assert len(suite.expectations) == len(dataset.suite["expectations"])
    doc = (Path(__file__).parents[1] / "docs" / "data-contract.md").read_text()
    assert contract.data_dictionary_markdown() in doc, "run `make docs` to regenerate docs/data-contract.md"


@pytest.mark.slow
def test_clean_tables_have_the_documented_columns(demo_data):
    for name in ("homes", "questions"):
        assert list(demo_data.table(name).columns) == contract.load_dataset(name).known_columns
    assert pd.api.types.is_bool_dtype(demo_data.table("questions").reverse_scored)
