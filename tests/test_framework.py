"""Frameworks are data: the built-in files, custom files, and a clear exit-2 error for every kind of fault."""

from __future__ import annotations

import json
import tomllib

import pandas as pd
import pytest

from wellled.analysis.framework import assign_themes, load_framework
from wellled.cli import main
from wellled.errors import UsageError
from wellled.paths import FRAMEWORKS_DIR

SAF_IDS = [
    "shared-direction-and-culture",
    "capable-compassionate-inclusive-leaders",
    "freedom-to-speak-up",
    "workforce-edi",
    "governance-management-sustainability",
    "partnerships-and-communities",
    "learning-improvement-innovation",
    "environmental-sustainability",
]


def test_kloe_framework_is_the_five_key_lines():
    framework = load_framework("cqc-kloe-2017")
    assert framework.theme_source == "kloe"
    assert [(t.id, t.label) for t in framework.themes] == [
        ("W1", "Culture"),
        ("W2", "Governance"),
        ("W3", "Involvement"),
        ("W4", "Improvement"),
        ("W5", "Partnerships"),
    ]
    assert framework.theme("W3").text == (
        "How are the people who use the service, the public and staff engaged and involved?"
    )
    assert all(t.good and t.outstanding and t.keywords for t in framework.themes)
    assert len(framework.sha256) == 64


def test_saf_framework_is_the_eight_quality_statements():
    framework = load_framework("cqc-saf-2024")
    assert list(framework.theme_ids) == SAF_IDS
    assert framework.theme("freedom-to-speak-up").text == (
        "We foster a positive culture where people feel that they can speak up and that their voice will be heard."
    )
    assert dict(framework.kloe_fallback) == {
        "W1": "shared-direction-and-culture",
        "W2": "governance-management-sustainability",
        "W3": "freedom-to-speak-up",
        "W4": "learning-improvement-innovation",
        "W5": "partnerships-and-communities",
    }


def test_unknown_theme_lookup_names_the_known_ones():
    with pytest.raises(UsageError, match="no theme 'W9'; its themes are W1, W2, W3, W4, W5"):
        load_framework().theme("W9")


def test_a_framework_file_as_json_by_path(tmp_path):
    raw = tomllib.loads((FRAMEWORKS_DIR / "cqc-kloe-2017.toml").read_text())
    raw["id"] = "my-kloes"
    raw["themes"] = raw["themes"][:2]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(raw))
    framework = load_framework(str(path))
    assert framework.id == "my-kloes" and framework.theme_ids == ("W1", "W2")


def _write_variant(tmp_path, change) -> str:
    raw = tomllib.loads((FRAMEWORKS_DIR / "cqc-saf-2024.toml").read_text())
    change(raw)
    path = tmp_path / "variant.json"
    path.write_text(json.dumps(raw))
    return str(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw.pop("themes"), "`themes` must be a non-empty list"),
        (lambda raw: raw.update(theme_source="kloes"), "theme_source must be one of kloe, quality_statement"),
        (lambda raw: raw.update(colour="blue"), "unknown key 'colour'"),
        (lambda raw: raw["themes"][0].pop("label"), "`label` must be a non-empty string"),
        (lambda raw: raw["themes"][1].update(id="shared-direction-and-culture"), "appears more than once"),
        (lambda raw: raw["kloe_fallback"].update(W3="speaking-up"), "kloe_fallback W3 names unknown theme 'speaking-"),
        (lambda raw: raw["kloe_fallback"].pop("W5"), "kloe_fallback has no theme for W5"),
        (lambda raw: raw["themes"][2].update(keywords="speak up"), "keywords must be a list"),
        (lambda raw: raw.update(theme_source="kloe", kloe_fallback={}), "is not a key line of enquiry"),
    ],
)
def test_malformed_framework_is_a_usage_error(tmp_path, change, message):
    path = _write_variant(tmp_path, change)
    with pytest.raises(UsageError, match=message) as caught:
        load_framework(path)
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value) and path in str(caught.value)


def test_invalid_toml_and_unknown_name(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("id = 'x\n")
    with pytest.raises(UsageError, match="framework file is not valid TOML"):
        load_framework(str(broken))
    with pytest.raises(UsageError, match=r"unknown framework 'cqc-2099'.*cqc-kloe-2017, cqc-saf-2024"):
        load_framework("cqc-2099")


def test_cli_exits_2_on_a_bad_framework(tmp_path, capsys):
    broken = tmp_path / "broken.toml"
    broken.write_text("id = 'x'\n")
    code = main(["summary", "oak-house", "--data", str(tmp_path), "--framework", str(broken)])
    assert code == 2
    assert "`theme_source` must be a non-empty string" in capsys.readouterr().err


def test_assign_themes_by_kloe_and_by_statement_with_fallback():
    bank = pd.DataFrame(
        {
            "question_id": ["q1", "q2", "q3"],
            "kloe": ["W1", "W3", "W5"],
            "quality_statement": pd.array([None, "workforce-edi", ""], dtype="string"),
        }
    )
    assert assign_themes(bank, load_framework("cqc-kloe-2017"), "question_id").tolist() == ["W1", "W3", "W5"]
    assert assign_themes(bank, load_framework("cqc-saf-2024"), "question_id").tolist() == [
        "shared-direction-and-culture",
        "workforce-edi",
        "partnerships-and-communities",
    ]
    no_column = bank.drop(columns="quality_statement")
    assert assign_themes(no_column, load_framework("cqc-saf-2024"), "question_id").tolist()[1] == "freedom-to-speak-up"


def test_assign_themes_rejects_a_statement_the_framework_lacks():
    bank = pd.DataFrame({"item_id": ["a1"], "kloe": ["W2"], "quality_statement": ["safe-systems"]})
    with pytest.raises(UsageError, match="item_id 'a1' maps to theme 'safe-systems', which framework cqc-saf-2024"):
        assign_themes(bank, load_framework("cqc-saf-2024"), "item_id")
