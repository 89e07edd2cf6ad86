"""wellled.present and the renderer's settings: data text stays text, tables stay tables, options merge."""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import pandas as pd
import pypandoc
import pytest

from wellled.errors import UsageError
from wellled.paths import QUARTO_CONFIG
from wellled.report import present, render

HOSTILE = [
    "<script>alert(1)</script>",
    "<b>x</b>",
    "**bold**",
    "#set page(width: 1cm)",
    "$x$",
    "@ref",
    "// comment",
    "[link](https://example.invalid)",
    "`code`",
    "~sub~ ^sup^",
    "a | b",
    "\\emph{x}",
    "1. not a list",
    "- not a list",
    "> not a quote",
    "::: not a div",
    "&amp; &#60;",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
]


def _pandoc(markdown: str, to: str) -> str:
    done = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown", "-t", to],
        input=markdown,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("value", HOSTILE)
def test_text_reads_back_as_the_same_literal_text(value):
    # pandoc's plain-text writer shows what a reader sees: exactly the data, no markup taken from it
    assert _pandoc(present.text(value), "plain").strip() == value


def test_text_flattens_whitespace_and_drops_control_characters():
    assert present.text("  two\n\nparagraphs\tand\x00 a NUL ") == "two paragraphs and a NUL"
    assert present.text(None) == present.text(float("nan")) == present.text(pd.NA) == ""


def test_md_escapes_fields_but_keeps_the_template_markdown():
    shown = _pandoc(present.md("**{home}** scored {score:.0%}", home="<b>Oak</b> *House*", score=0.8).data, "html")
    assert "<strong>&lt;b&gt;Oak&lt;/b&gt; *House*</strong> scored 80%" in shown


def test_table_is_a_real_table_with_escaped_cells_and_numbers_right_aligned():
    frame = pd.DataFrame(
        {"Home <b>": ["Oak | House", "**Elm**", None], "Score": [0.25, 0.5, None], "Count": [1200, 3, 4]}
    )
    markdown = present.table(frame, "Scores *by* home", label="tbl-scores", formats={"Score": ".0%"}).data
    ast = json.loads(_pandoc(markdown, "json"))
    table = ast["blocks"][0]
    assert table["t"] == "Table"
    assert table["c"][0][0] == "tbl-scores"
    html = _pandoc(markdown, "html")
    assert '<th style="text-align: left;">Home &lt;b&gt;</th>' in html
    assert '<td style="text-align: left;">Oak | House</td>' in html
    assert "**Elm**" in html and "<strong>" not in html
    assert '<td style="text-align: right;">25%</td>' in html and '<td style="text-align: right;">1,200</td>' in html
    assert "Scores *by* home" in html  # the caption is data too
    assert html.count(present.MISSING) == 2


def test_settings_merge_front_matter_over_quarto_yml(tmp_path):
    project = tmp_path / "_quarto.yml"
    project.write_text(
        "lang: en-GB\nexecute: {echo: false}\nformat:\n  typst: {papersize: a4, fontsize: 11pt}\n  html: {toc: true}\n"
    )
    notebook = {
        "cells": [
            {
                "cell_type": "raw",
                "source": "---\ntitle: T\ndate: 2026-05-01\nformat:\n  typst:\n"
                "    fontsize: 12pt\n    margin: {x: 1cm}\n---\n",
            }
        ]
    }
    settings = render.settings(notebook, project)
    assert settings.meta["title"] == "T" and settings.meta["date"] == "1 May 2026"
    assert settings.meta["execute"] == {"echo": False}
    assert render.typst_variables(settings.options("typst")) == {
        "wl-papersize": "a4",
        "wl-margin": "(x: 1cm)",
        "wl-fontsize": "12pt",
        "wl-lang": "en",
        "wl-region": "GB",
    }
    assert settings.options("html")["toc"] is True
    assert (
        render.settings({"cells": [{"cell_type": "raw", "source": "---\ndate: today\n---"}]}, None).meta["date"]
        == f"{dt.date.today().day} {dt.date.today():%B %Y}"
    )


def test_project_quarto_yml_sets_a4_self_contained_html_with_a_toc():
    import yaml

    config = yaml.safe_load(QUARTO_CONFIG.read_text())
    assert config["format"]["html"]["embed-resources"] is True and config["format"]["html"]["toc"] is True
    assert config["format"]["typst"]["papersize"] == "a4"
    assert config["execute"]["enabled"] is False


def test_formats_and_renderers_are_checked(monkeypatch):
    assert render.parse_formats("pdf") == ("pdf",)
    for bad in ("docx", "", "html,,docx"):
        with pytest.raises(UsageError, match="format"):
            render.parse_formats(bad)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert render.resolve_renderer("auto") == "builtin"
    with pytest.raises(UsageError, match="quarto is not on PATH"):
        render.resolve_renderer("quarto")
    with pytest.raises(UsageError, match="unknown renderer"):
        render.resolve_renderer("latex")


SHARED_QUARTO = QUARTO_CONFIG.parent.parent / "shared" / "quarto"


@pytest.mark.skipif(
    not (SHARED_QUARTO / "check_quarto_yml.py").is_file(),
    reason="Quarto's option schema (shared/quarto) is not beside the checkout",
)
def test_quarto_yml_uses_only_options_quarto_knows():
    import sys

    done = subprocess.run(
        [
            sys.executable,
            str(SHARED_QUARTO / "check_quarto_yml.py"),
            str(SHARED_QUARTO / "yaml-intelligence-resources.json"),
            str(QUARTO_CONFIG),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and done.stdout.strip() == "OK", done.stdout + done.stderr
