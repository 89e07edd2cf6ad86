"""Comment redaction (e-mail, phone, NHS number, postcode, listed names), theme tags, and the group threshold."""

from __future__ import annotations

import pandas as pd
import pytest

from wellled.analysis.clean_data import read_redact_names
from wellled.analysis.comments import comment_table, is_valid_nhs_number, redact, tag_themes
from wellled.analysis.framework import load_framework
from wellled.paths import Paths

KLOE = load_framework("cqc-kloe-2017")


@pytest.mark.parametrize(
    "email", ["jo@example.org", "jo.bloggs+care@example.co.uk", "J_O'Neil@mail.nhs.net", "a1@sub-domain.example.com"]
)
def test_email_addresses_are_removed(email):
    assert redact(f"Write to {email}, please.").text == "Write to [email removed], please."


@pytest.mark.parametrize(
    "phone",
    [
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)20 7946 0958",
        "(0161) 496 0000",
        "020-7946-0958",
        "0161 496 0000",
        "0044 20 7946 0958",
        "01632 960123",
        "0800 123 4567",
    ],
)
def test_uk_phone_numbers_are_removed(phone):
    result = redact(f"Ring {phone} today")
    assert result.text == "Ring [phone removed] today"
    assert result.removed == ("phone",)


@pytest.mark.parametrize(
    "text",
    [
        "We have 12 residents and 2026 plans.",
        "Visit on 14/03/2026 at 10:30.",
        "Room 12, ext. 4021.",
        "W1 and W2 were good at 3am.",
        "Reference 12345678901234 in the log.",
        "Case 943 476 5918 is not an NHS number.",
    ],
)
def test_ordinary_numbers_and_words_stay(text):
    assert redact(text).text == text


def test_nhs_number_checksum():
    # 943 476 591: 9x10 + 4x9 + 3x8 + 4x7 + 7x6 + 6x5 + 5x4 + 9x3 + 1x2 = 299; 299 mod 11 = 2; 11 - 2 = 9 -> valid
    assert is_valid_nhs_number("9434765919")
    assert not is_valid_nhs_number("9434765918")
    # 401 023 213: 4x10 + 0 + 1x8 + 0 + 2x6 + 3x5 + 2x4 + 1x3 + 3x2 = 92; 92 mod 11 = 4; 11 - 4 = 7 -> 4010232137
    assert is_valid_nhs_number("4010232137")
    # 100 000 001: 1x10 + 1x2 = 12; 12 mod 11 = 1; 11 - 1 = 10, which no check digit can be
    assert not is_valid_nhs_number("1000000010")
    assert not is_valid_nhs_number("943476591") and not is_valid_nhs_number("94347659a9")


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5919", "NHS no: 4010232137."])
def test_valid_nhs_numbers_are_removed(number):
    result = redact(f"Mum is {number}")
    assert "[NHS number removed]" in result.text and "5919" not in result.text and "2137" not in result.text
    assert result.removed == ("nhs_number",)


@pytest.mark.parametrize("postcode", ["SW1A 1AA", "m1 1ae", "B33 8TH", "CR2 6XH", "DN55 1PT", "EC1A1BB"])
def test_postcodes_are_removed(postcode):
    assert redact(f"I live at {postcode} now").text == "I live at [postcode removed] now"


def test_listed_names_whole_word_any_case():
    names = ["Doreen", "Jane Doe", "O'Brien"]
    result = redact("DOREEN's shift with jane  doe and Mrs o'brien; Doreenville is a town.", names)
    assert result.text == "[name removed]'s shift with [name removed] and Mrs [name removed]; Doreenville is a town."
    assert result.removed == ("name", "name", "name")
    assert redact("Nothing to see", ["", "  "]).text == "Nothing to see"


def test_markup_is_kept_as_text():
    text = "<script>alert('x')</script> <b>Best</b> #set page(width: 1cm) **ever** $5 & more"
    assert redact(text).text == text


def test_everything_together():
    result = redact("Doreen (doreen@home.org, 07700 900123, 943 476 5919) moved to LS1 4AP.", ["Doreen"])
    assert result.text == (
        "[name removed] ([email removed], [phone removed], [NHS number removed]) moved to [postcode removed]."
    )
    assert sorted(result.removed) == ["email", "name", "nhs_number", "phone", "postcode"]


def test_theme_tags_from_the_framework_lexicon():
    assert tag_themes("The MANAGER listened to our feedback.", KLOE) == ("W1", "W3")
    assert tag_themes("Great links with the local school and the GP.", KLOE) == ("W5",)
    assert tag_themes("Training has improved a lot", KLOE) == ("W4",)
    assert tag_themes("Care plans are never up to date", KLOE) == ("W2",)
    assert tag_themes("The food is lovely", KLOE) == ()
    saf = load_framework("cqc-saf-2024")
    assert "freedom-to-speak-up" in tag_themes("I am afraid to speak up", saf)


def test_comment_table_hides_small_groups_and_redacts():
    rows = [("staff", f"Manager is great, call 07700 90012{i}") for i in range(5)]
    rows += [("family", "Doreen is lovely")] * 4  # only 4 family questionnaires: not shown
    rows += [("staff", None), ("staff", "   ")]
    responses = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(len(rows))],
            "home_id": "h-a",
            "period": "2026-Q3",
            "respondent_group": [g for g, _ in rows],
            "comment": pd.array([c for _, c in rows], "string"),
            "submitted_on": pd.Timestamp("2026-08-01"),
        }
    )
    table = comment_table(responses, KLOE, "h-a", "2026-Q3", names=["Doreen"])
    assert table["respondent_group"].unique().tolist() == ["staff"]
    assert table["text"].tolist() == ["Manager is great, call [phone removed]"]  # five the same after redaction
    assert table["theme_ids"].iloc[0] == ("W1",) and table["removed"].iloc[0] == ("phone",)
    shown = comment_table(responses, KLOE, "h-a", "2026-Q3", min_respondents=4, names=["Doreen"])
    assert "[name removed] is lovely" in shown["text"].tolist()
    assert comment_table(responses, KLOE, "h-a", "2026-Q2").empty


def test_redact_names_file(tmp_path):
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    assert read_redact_names(paths) == ()
    paths.raw.mkdir(parents=True)
    paths.redact_names_file.write_text("# staff and residents\nDoreen\n\n  Jane Doe  \n", encoding="utf-8")
    assert read_redact_names(paths) == ("Doreen", "Jane Doe")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ring 07700\n900123", "phone"),
        ("ring 07700\u00a0900124", "phone"),
        ("ring 07700.900.123", "phone"),
        ("ring 07700-900-123", "phone"),
        ("ring +44 7700 900123", "phone"),
        ("NHS 943\t476\t5919", "nhs_number"),
        ("NHS 943 476-5919", "nhs_number"),
        ("visit M1\n1AE", "postcode"),
        ("visit M1  1AE", "postcode"),
        ("visit m1-1ae", "postcode"),
        ("visit GIR 0AA", "postcode"),
        ("mail jane(at)example.org", "email"),
        ("mail JANE.DOE@EXAMPLE.COM", "email"),
    ],
)
def test_spacing_and_separator_variants_are_redacted(text, kind):
    redacted = redact(text)
    assert redacted.removed == (kind,), redacted.text
    assert not any(ch.isdigit() for ch in redacted.text.split("removed]")[-1])


def test_a_listed_name_is_redacted_when_hyphenated_or_possessive():
    assert redact("Jane-Doe said Doreen's room is cold", ["Jane Doe", "Doreen"]).text == (
        "[name removed] said [name removed]'s room is cold"
    )
