"""What the home report says, from hand-made summaries: page one's attention list, the two comparison
vocabularies, group wording, comment counts and the action plan's lists (pure functions, no rendering)."""

from __future__ import annotations

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg

from wellled.report import action_plan, charts, comment_list, content, page_one
from wellled.report.present import pct


def _theme(theme_id: str, label: str, rating: str = "Good", score: float | None = 80.0, **extra) -> dict:
    groups = extra.pop("by_group", [])
    theme = {
        "id": theme_id,
        "label": label,
        "text": "Question?",
        "survey": {
            "suppressed": False,
            "positive_pct": 80.0,
            "ci95": [70.0, 88.0],
            "valid": 100,
            "respondents": 30,
            "by_group": groups,
        },
        "audit": {"items": 4, "met": 3, "partially_met": 1, "not_met": 0, "not_applicable": 0, "compliance_pct": 87.5},
        "score": score,
        "rating": rating,
        "rating_capped": False,
        "trend": [],
        "change": {"previous_period": "2026-Q2", "change_pct_points": None, "significant": None},
        "benchmark": {"funnel": "within"},
    }
    theme.update(extra)
    return theme


def _summary(
    themes: list[dict],
    items: list[dict] | None = None,
    repeats: list[dict] | None = None,
    comments: list[dict] | None = None,
    text_label: str = "Key line of enquiry",
) -> dict:
    return {
        "home_id": "h",
        "home_name": "Home",
        "period": "2026-Q3",
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
        "framework": {"id": "f", "name": "F", "text_label": text_label},
        "parameters": {"min_respondents": 5, "as_of": None},
        "themes": themes,
        "overall_rating": "Requires improvement",
        "actions": {
            "as_at": "2026-Q3",
            "open": 0,
            "overdue": 0,
            "overdue_high_priority": 0,
            "due_in_period": 0,
            "closed_on_time": 0,
            "closed_on_time_pct": None,
            "items": items or [],
        },
        "repeat_findings": repeats or [],
        "response_rates": {"staff": {"responses": 6, "eligible": 40, "rate_pct": 15.0, "suppressed": False}},
        "comments": comments or [],
        "inputs": [],
    }


def _action(item: str, **extra) -> dict:
    action = {
        "audit_id": "a",
        "item_id": item,
        "item": item,
        "theme_id": "W2",
        "result": "Not met",
        "action": f"Fix {item}",
        "action_owner": "Manager",
        "priority": "high",
        "raised_on": "2026-04-01",
        "due_on": "2026-09-01",
        "closed_on": None,
        "is_open": True,
        "is_overdue": True,
    }
    action.update(extra)
    return action


def _plain(markdown: str) -> str:
    return markdown.replace("\\", "")


def _report(summary: dict, audits: pd.DataFrame | None = None) -> content.HomeReport:
    return content.HomeReport(summary, pd.DataFrame(), None, pd.DataFrame(), {}, "2026-11-26", "2026-09-30", audits)


def test_every_attention_item_is_ranked_and_the_rest_are_counted_by_section():
    themes = [
        _theme("W1", "Culture", "Inadequate", 40.0, benchmark={"funnel": "below"}),
        _theme(
            "W2",
            "Governance",
            "Requires improvement",
            65.0,
            change={"previous_period": "2026-Q2", "change_pct_points": -12.0, "significant": True},
        ),
        _theme("W3", "Involvement", survey={"suppressed": True, "positive_pct": None, "by_group": []}),
    ]
    summary = _summary(themes, [_action("Medication")], [{"item": "Falls", "consecutive_not_met": 3}])
    items = page_one.attention(_report(summary))
    texts = [item.text for item in items]
    assert texts[0] == "Culture (40.0) is rated Inadequate."
    assert texts[1] == "Overdue high-priority action on 'Medication', owner Manager: 29 days overdue."
    assert any("'Falls' not met at 3 audits running" in t for t in texts)
    assert any("fell 12.0 points since 2026-Q2" in t for t in texts)
    assert any("Below the provider's other homes" in t and "Culture" in t for t in texts)
    assert "Low response rate, staff: 15.0% (6 of 40)." in texts
    assert any(t.startswith("Involvement: thin evidence") for t in texts)
    shown = page_one.attention_markdown(items, shown=3).data
    assert "\n3. " in shown and "\n4. " not in shown
    assert f"And {len(items) - 3} more: " in shown and "in section" in shown


def test_themes_with_the_same_low_rating_are_one_item_naming_each():
    themes = [_theme("W1", "Culture", "Inadequate", 40.0), _theme("W2", "Governance", "Inadequate", 30.0)]
    first = page_one.attention(_report(_summary(themes)))[0]
    assert first.text == "2 key lines of enquiry rated Inadequate: Governance (30.0); Culture (40.0)."
    assert first.section == "Governance"


def test_change_over_time_and_position_among_homes_never_share_a_symbol():
    time_symbols = {word.split()[0] for word in page_one.OVER_TIME.values()}
    home_symbols = {word.split()[0] for word in page_one.AGAINST_HOMES.values()}
    assert time_symbols and home_symbols and not time_symbols & home_symbols
    rising = _theme("W1", "Culture", change={"previous_period": "Q", "change_pct_points": 9.0, "significant": True})
    assert page_one.over_time(rising) == "↑ up" and page_one.against_homes(rising) == "● within"
    assert page_one.over_time(_theme("W1", "C", spc={"signal": "concern"})) == "↓ concern"


def test_lowest_is_said_only_among_every_group_shown():
    shown = [
        {
            "respondent_group": "staff",
            "positive_pct": 62.0,
            "suppressed": False,
            "ci95": [50.0, 70.0],
            "respondents": 20,
        },
        {
            "respondent_group": "family",
            "positive_pct": 81.0,
            "suppressed": False,
            "ci95": [70.0, 90.0],
            "respondents": 9,
        },
    ]
    hidden = {"respondent_group": "resident", "positive_pct": None, "suppressed": True}
    complete = _theme("W1", "Culture", by_group=shown)
    assert "staff are lowest at 62.0%" in _plain(content.narrative(complete, _summary([complete])).data)
    partial = _theme("W1", "Culture", by_group=[shown[0], hidden])
    said = _plain(content.narrative(partial, _summary([partial])).data) + charts.groups_chart(partial, "h").caption
    assert "lowest" not in said and "1 hidden" in said


def test_a_percentage_is_shown_as_the_summary_holds_it():
    assert pct(56.5) == "56.5%" and pct(56.46) == "56.5%" and pct(None) == "–"


def test_identical_comments_show_once_with_a_count_and_all_are_in_the_appendix():
    said = [{"respondent_group": "family", "text": "Too hot", "theme_ids": ["W1"]}] * 3 + [
        {"respondent_group": "staff", "text": f"Note {i}", "theme_ids": ["W1"]} for i in range(6)
    ]
    summary = _summary([_theme("W1", "Culture")], comments=said)
    block = comment_list.theme_comments(summary, summary["themes"][0], shown=4).data
    assert block.count("Too hot") == 1 and "3 times" in block and "The other 3 are in the appendix" in block
    everything = comment_list.all_comments(summary)
    assert len(everything) == 7 and everything["Times"].sum() == len(said)


def test_closed_but_failed_again_and_stale_actions_are_found_from_the_audits():
    items = [
        _action("Medication", closed_on="2026-07-10", is_open=False, is_overdue=False),
        _action("Fire doors", raised_on="2026-01-10"),
    ]
    audits = pd.DataFrame(
        {
            "item_id": ["Medication", "Medication", "Fire doors", "Fire doors", "Fire doors"],
            "audit_date": pd.to_datetime(["2026-07-01", "2026-08-01", "2026-01-10", "2026-04-10", "2026-07-10"]),
            "result": ["Not met", "Not met", "Not met", "Met", "Met"],
        }
    )
    themes = [_theme("W2", "Governance", "Requires improvement", 85.0, rating_capped=True)]
    report = _report(_summary(themes, items), audits)
    failed = action_plan.not_effective(report)
    assert list(failed["Action (audit item)"]) == ["Fix Medication"]
    stale = action_plan.stale_actions(report)
    assert list(stale["Met since"]) == ["2 of 2 audits"]
    assert stale["Effect on the rating"].iloc[0].startswith("Caps Governance at Requires improvement")
    assert "caps a rating at Requires improvement" in _plain(action_plan.stale_note(stale).data)
    status = action_plan.open_actions(report.summary)["Status"].iloc[0]
    assert str(status) == "●\u00a0Overdue" and status.style == "status-overdue"


def test_wording_comes_from_the_framework():
    saf = _summary([_theme("a", "Freedom to speak up")], text_label="We statement")
    assert content.plural_label(saf) == "we statements"
    assert page_one.themes_table(saf).columns[0] == "We statement"
    assert content.plural_label(_summary([])) == "key lines of enquiry"
    limited = _theme("W1", "Culture", evidence={"level": "limited", "words": "Limited evidence: 8 answers"})
    assert content.evidence_word(limited) == "Limited"


def test_page_one_lists_every_item_when_they_fit_and_counts_the_rest_when_not():
    summary = _summary([_theme(f"K{i}", f"Theme {i}") for i in range(5)])
    room = page_one.PAGE_ONE_LINES - page_one._table_lines(summary)
    one_line = [page_one.Attention(4, "x" * 90, "Theme 1") for _ in range(int(room))]
    assert page_one.page_one_items(summary, one_line) == len(one_line), "all fit: no 'And N more' line"
    too_many = [*one_line, page_one.Attention(4, "y" * 90, "Action plan")]
    shown = page_one.page_one_items(summary, too_many)
    assert 3 <= shown < len(too_many) and shown <= room - 2, "the rest are counted in the two lines kept for it"


def test_the_evidence_column_shows_only_when_the_levels_differ():
    same = [_theme(f"K{i}", f"T{i}", evidence={"level": "sufficient", "words": "w"}) for i in range(2)]
    assert "Evidence" not in page_one.themes_table(_summary(same)).columns
    assert "2 sufficient" in page_one.overall_sentence(_summary(same)).data, "the sentence above says it instead"
    mixed = [*same, _theme("K9", "T9", evidence={"level": "limited", "words": "w"})]
    assert list(page_one.themes_table(_summary(mixed))["Evidence"]) == ["Sufficient", "Sufficient", "Limited"]


def test_every_label_of_the_groups_chart_is_inside_the_figure_at_a4_and_phone_width():
    """A combined group's long name and a full bar's value label are drawn whole, not cut at the figure's edge."""
    groups = [
        {
            "respondent_group": "staff",
            "suppressed": False,
            "positive_pct": 89.5,
            "ci95": [80.0, 95.0],
            "respondents": 29,
        },
        {
            "respondent_group": "resident",
            "suppressed": False,
            "positive_pct": 100.0,
            "ci95": [76.0, 100.0],
            "respondents": 12,
        },
        {
            "respondent_group": "family and professional",
            "suppressed": False,
            "positive_pct": 85.7,
            "ci95": [72.0, 93.0],
            "respondents": 123,
            "combined_from": ["family", "professional"],
        },
    ]
    checked = 0
    full = charts.groups_chart(_theme("W2", "Governance", by_group=groups), "h")
    for chart in (full, full.phone):  # the phone copy is made after the full-width one is judged, as when saved
        chart = chart() if callable(chart) else chart
        figure = chart.figure
        renderer = FigureCanvasAgg(figure).get_renderer()
        frame = figure.bbox
        ax = figure.axes[0]
        for text in [*ax.get_yticklabels(), *ax.texts]:
            box = text.get_window_extent(renderer)
            width = figure.get_figwidth()
            assert frame.x0 <= box.x0 and box.x1 <= frame.x1, f"{text.get_text()!r} is cut at {width} in"
            checked += 1
    assert checked == 2 * (4 + 4) and figure.get_figwidth() == charts.PHONE_WIDTH_IN
