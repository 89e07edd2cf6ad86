"""Small numbers stay hidden across the whole summary, not just within one table."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow  # summaries of the whole demo data, each a separate process


def test_no_hidden_group_count_can_be_recovered_by_subtraction(demo_data):
    for home in ("elm-grove", "oak-house", "birch-lodge"):
        summary = json.loads(run_cli("summary", home, "--data", str(demo_data.data)).stdout)
        rates = summary["response_rates"]
        hidden_overall = [g for g, r in rates.items() if r["suppressed"]]
        assert len(hidden_overall) != 1, f"{home}: one lone hidden group in response_rates: {hidden_overall}"
        for theme in summary["themes"]:
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


def test_elm_grove_family_count_is_never_shown_alone(demo_data):
    shown_alone = json.loads(run_cli("summary", "elm-grove", "--data", str(demo_data.data)).stdout)["response_rates"]
    assert "family" not in shown_alone
    family = next(r for r in shown_alone.values() if "family" in r.get("combined_from", []))
    assert family["suppressed"] or family["responses"] >= 5
    hidden = sorted(g for g, r in shown_alone.items() if r["suppressed"])
    assert len(hidden) != 1
    assert all(shown_alone[g]["rate_pct"] is None and shown_alone[g]["responses"] is None for g in hidden)
    assert not shown_alone["staff"]["suppressed"] and shown_alone["staff"]["rate_pct"] is not None


def test_hidden_groups_are_the_same_in_every_theme_and_never_alone(demo_data):
    for framework in ("cqc-kloe-2017", "cqc-saf-2024"):
        for home in ("elm-grove", "oak-house", "maple-view"):
            summary = json.loads(
                run_cli("summary", home, "--framework", framework, "--data", str(demo_data.data)).stdout
            )
            hidden_anywhere = {
                g["respondent_group"] for t in summary["themes"] for g in t["survey"]["by_group"] if g["suppressed"]
            }
            for theme in summary["themes"]:
                if theme["survey"]["suppressed"]:
                    continue
                present = {g["respondent_group"]: g for g in theme["survey"]["by_group"]}
                shown = {g for g, figures in present.items() if not figures["suppressed"]}
                assert not (shown & hidden_anywhere), f"{home} {theme['id']}: shows {shown & hidden_anywhere}"
                hidden_here = set(present) - shown
                assert len(hidden_here) != 1, f"{home} {theme['id']}: {hidden_here} = total - shown groups"
