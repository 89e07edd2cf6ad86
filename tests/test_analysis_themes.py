"""theme_figures on a tiny world of two homes: score, rating, the overdue-action cap, change, benchmark, funnel."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.clean_tables import clean_frame
from wellled.analysis.clean_data import CleanData
from wellled.analysis.framework import load_framework
from wellled.analysis.themes import AnalysisParams, funnel_frame, theme_figures
from wellled.periods import period_bounds

KLOE = load_framework("cqc-kloe-2017")
QUESTIONS = clean_frame(
    "questions",
    {
        "question_id": ["q1", "q2"],
        "text": ["Leaders are visible.", "Records are accurate."],
        "kloe": ["W1", "W2"],
        "respondent_groups": ["staff", "staff"],
        "reverse_scored": [False, False],
    },
)
HOMES = clean_frame(
    "homes",
    {
        "home_id": ["h-a", "h-b"],
        "home_name": ["Home A", "Home B"],
        "beds": [40, 30],
        "staff_headcount": [50, 40],
        "residents": [36, None],
    },
)


class World:
    """Builds clean tables: each questionnaire scores 5 (positive) or 2 on the questions it answers."""

    def __init__(self) -> None:
        self.responses: list[dict] = []
        self.answers: list[dict] = []
        self.audits: list[dict] = []

    def questionnaires(self, home, period, group, count, positives: dict[str, int]) -> None:
        for i in range(count):
            response_id = f"{home}-{period}-{group}-{i}"
            self.responses.append(
                {
                    "response_id": response_id,
                    "home_id": home,
                    "respondent_group": group,
                    "submitted_on": pd.Timestamp(period_bounds(period)[0]) + pd.Timedelta(days=10),
                    "period": period,
                    "comment": None,
                    "source_file": "s.csv",
                    "source_line": i + 2,
                }
            )
            for question, positive in positives.items():
                self.answers.append(
                    {
                        "response_id": response_id,
                        "home_id": home,
                        "respondent_group": group,
                        "period": period,
                        "question_id": question,
                        "score": 5 if i < positive else 2,
                    }
                )

    def audit(self, home, on, kloe, item_id, result, action=None, priority=None, due=None, closed=None) -> None:
        day = pd.Timestamp(on)
        self.audits.append(
            {
                "audit_id": f"{home}-{on}",
                "home_id": home,
                "audit_date": day,
                "period": f"{day.year}-Q{(day.month - 1) // 3 + 1}",
                "kloe": kloe,
                "item_id": item_id,
                "item": item_id,
                "result": result,
                "action": action,
                "action_owner": "Manager" if action else None,
                "priority": priority,
                "action_due": pd.Timestamp(due) if due else pd.NaT,
                "action_closed": pd.Timestamp(closed) if closed else pd.NaT,
                "quality_statement": None,
                "source_file": "a.csv",
                "source_line": 2,
            }
        )

    def clean(self) -> CleanData:
        responses, answers = clean_frame("responses", self.responses), clean_frame("answers", self.answers)
        audits = clean_frame("audits", self.audits)
        return CleanData(HOMES, QUESTIONS, responses, answers, audits, {"answers.parquet": "0" * 64})


@pytest.fixture(scope="module")
def world() -> CleanData:
    w = World()
    w.questionnaires("h-a", "2026-Q2", "staff", 40, {"q1": 24})  # W1 60 %
    w.questionnaires("h-a", "2026-Q3", "staff", 40, {"q1": 38, "q2": 36})  # W1 95 %, W2 90 %
    w.questionnaires("h-b", "2026-Q2", "staff", 3, {"q1": 3})  # suppressed
    w.questionnaires("h-b", "2026-Q3", "staff", 40, {"q1": 20})  # W1 50 %
    w.audit("h-a", "2026-07-10", "W1", "W1-01", "Met")
    for item, result in [("W2-01", "Met"), ("W2-02", "Met"), ("W2-03", "Partially met")]:
        w.audit("h-a", "2026-07-10", "W2", item, result)
    w.audit("h-a", "2026-07-10", "W2", "W2-04", "Not met", action="Fix it", priority="high", due="2026-08-01")
    return w.clean()


@pytest.fixture(scope="module")
def figures(world) -> pd.DataFrame:
    return theme_figures(world, KLOE).set_index(["home_id", "period", "theme_id"])


def test_grid_has_every_theme_for_every_home_period_with_data(figures):
    assert len(figures) == 2 * 2 * 5
    assert figures.loc[("h-a", "2026-Q3", "W3"), "rating"] == "Insufficient evidence"
    assert pd.isna(figures.loc[("h-a", "2026-Q3", "W3"), "score"])


def test_score_weights_survey_and_audit_by_their_evidence(figures):
    w1 = figures.loc[("h-a", "2026-Q3", "W1")]
    # survey 38/40 = 95 % from 40 answers and 40 questionnaires: weight 1 (at least 30 and 10);
    # audit 1 Met = 100 % from 1 item: weight 1/5 = 0.2; score (95 + 0.2 x 100) / 1.2 = 95.833 (plain mean 97.5)
    assert (w1.positive_pct, w1.compliance_pct, w1.survey_weight, w1.audit_weight) == (95.0, 100.0, 1.0, 0.2)
    assert (w1.score, w1.rating) == (pytest.approx(95.8333, abs=1e-4), "Outstanding")
    assert w1.evidence_level == "sufficient"


def test_overdue_high_priority_action_caps_the_rating(figures):
    w2 = figures.loc[("h-a", "2026-Q3", "W2")]
    # survey 36/40 = 90 % (weight 1); audit (2 + 0.5) / 4 = 62.5 % from 4 items (weight 0.8);
    # score (90 + 0.8 x 62.5) / 1.8 = 77.78 would be Good, but W2-04's high-priority
    # action was due 2026-08-01 and is still open at 2026-09-30: at most Requires improvement
    assert (w2.positive_pct, w2.compliance_pct, w2.score) == (90.0, 62.5, pytest.approx(77.7778, abs=1e-4))
    assert (w2.overdue_high_priority, w2.is_capped, w2.rating) == (1, True, "Requires improvement")


def test_cap_depends_on_the_action_being_open_at_the_period_end():
    w = World()
    w.questionnaires("h-a", "2026-Q3", "staff", 10, {"q2": 10})
    w.audit(
        "h-a",
        "2026-07-10",
        "W2",
        "W2-04",
        "Not met",
        action="Fix",
        priority="high",
        due="2026-08-01",
        closed="2026-09-30",
    )
    w2 = theme_figures(w.clean(), KLOE).set_index("theme_id").loc["W2"]
    # closed on the last day of the quarter: not open at its end, so no cap. Survey 100 % from 10 answers
    # (weight min(10/30, 10/10) = 1/3), audit 0 % from 1 item (weight 0.2): (100 / 3) / (1/3 + 0.2) = 62.5
    assert (w2.overdue_high_priority, w2.is_capped, w2.score) == (0, False, pytest.approx(62.5))
    assert (w2.rating, w2.evidence_level) == ("Requires improvement", "limited")


def test_as_of_judges_actions_at_an_earlier_date(world):
    figures = theme_figures(world, KLOE, AnalysisParams(as_of=dt.date(2026, 7, 31)))
    w2 = figures.set_index(["home_id", "period", "theme_id"]).loc[("h-a", "2026-Q3", "W2")]
    assert (w2.overdue_high_priority, w2.rating) == (0, "Good")  # not yet due on 31 July


def test_change_against_previous_quarter(figures):
    w1 = figures.loc[("h-a", "2026-Q3", "W1")]
    # 24/40 -> 38/40: pooled 62/80 = 0.775; se = sqrt(0.775 * 0.225 * (1/40 + 1/40)) = 0.093374; z = 0.35 / se
    assert w1.previous_period == "2026-Q2" and w1.previous_positive_pct == 60.0
    assert w1.change_pct_points == pytest.approx(35.0)
    assert w1.change_z == pytest.approx(3.7484, abs=1e-4)
    assert w1.change_p_value == pytest.approx(0.000178, abs=1e-5)
    assert (w1.is_significant, w1.direction) == (True, "up")
    assert w1.previous_rating == "Requires improvement"  # 60 % survey alone


def test_no_change_test_against_a_suppressed_quarter(figures):
    w1 = figures.loc[("h-b", "2026-Q3", "W1")]
    assert figures.loc[("h-b", "2026-Q2", "W1"), "suppressed"]
    assert pd.isna(w1.change_p_value) and pd.isna(w1.direction) and pd.isna(w1.previous_positive_pct)


def test_small_change_is_not_significant():
    w = World()
    w.questionnaires("h-a", "2026-Q2", "staff", 20, {"q1": 12})
    w.questionnaires("h-a", "2026-Q3", "staff", 20, {"q1": 14})
    w1 = theme_figures(w.clean(), KLOE).set_index(["period", "theme_id"]).loc[("2026-Q3", "W1")]
    # 12/20 -> 14/20: pooled 0.65, se = 0.15083, z = 0.663, p = 0.507
    assert w1.change_p_value == pytest.approx(0.5073, abs=1e-4)
    assert (w1.is_significant, w1.direction) == (False, "no significant change")


def test_benchmark_and_funnel_positions(figures):
    # each home against the other: h-a (38/40 = 95 %) against h-b (20/40 = 50 %) and the other way round;
    # one other home is fewer than 5, so no funnel position by default
    a, b = figures.loc[("h-a", "2026-Q3", "W1")], figures.loc[("h-b", "2026-Q3", "W1")]
    assert (a.group_positive_pct, b.group_positive_pct) == (50.0, 95.0)
    assert (a.pool_homes, b.pool_homes) == (1, 1)
    assert pd.isna(a.funnel) and pd.isna(b.funnel) and pd.isna(a.funnel_lower_pct)


def test_funnel_positions_against_the_other_home_when_allowed(world):
    figures = theme_figures(world, KLOE, AnalysisParams(funnel_min_homes=1)).set_index(
        ["home_id", "period", "theme_id"]
    )
    a, b = figures.loc[("h-a", "2026-Q3", "W1")], figures.loc[("h-b", "2026-Q3", "W1")]
    # one other home is exactly on its own pool: z = 0, phi = 0, tau2 = 0 (plain binomial limits)
    # h-a: p0 = 0.5, n = 40: 3.090232 * sqrt(0.25 / 40) = 0.244305 -> 25.569 .. 74.431 %; 95 % is above
    assert (a.funnel_phi, a.funnel_tau2) == (0.0, 0.0)
    assert (a.funnel_lower_pct, a.funnel_upper_pct) == pytest.approx((25.569, 74.431), abs=1e-3)
    # h-b: p0 = 0.95: 3.090232 * sqrt(0.95 * 0.05 / 40) = 0.106491 -> 84.351 .. 100 %; 50 % is below
    assert (b.funnel_lower_pct, b.funnel_upper_pct) == pytest.approx((84.351, 100.0), abs=1e-3)
    assert (a.funnel, b.funnel) == ("above", "below")


def test_group_figure_and_funnel_are_hidden_when_too_small(figures):
    # 2026-Q2 W1: h-a 40 + h-b 3 questionnaires. h-b is suppressed, so it is left out of every pool (else a
    # pool less the shown homes would give its figures): h-a has no other home to compare with
    assert pd.isna(figures.loc[("h-a", "2026-Q2", "W1"), "group_positive_pct"])
    assert figures.loc[("h-a", "2026-Q2", "W1"), "pool_homes"] == 0
    for home in ("h-a", "h-b"):
        assert pd.isna(figures.loc[(home, "2026-Q2", "W1"), "funnel"])
    w = World()
    w.questionnaires("h-a", "2026-Q3", "staff", 4, {"q1": 2})
    lonely = theme_figures(w.clean(), KLOE).set_index("theme_id").loc["W1"]
    assert pd.isna(lonely.group_positive_pct) and pd.isna(lonely.funnel)


def test_funnel_frame_draws_overdispersed_limits_around_the_group(figures):
    frame = funnel_frame(figures.reset_index(), period="2026-Q3", theme_id="W1")
    # all shown homes: 58 / 80 = 72.5 %; s^2 = 0.725 * 0.275 / 40 = 0.004984375; z^2 = 0.225^2 / s^2 = 10.15677;
    # winsorised at the 10 % and 90 % quantiles of two values, z shrinks by 0.8: phi = 0.64 * 10.15677 = 6.50033;
    # tau2 = (2 phi - 1) / (2w - w) = 12.00067 * s^2 = 0.0598156
    assert set(frame["group_positive_pct"]) == {72.5}
    assert frame["tau2"].iloc[0] == pytest.approx(0.0598156, abs=1e-6)
    assert frame["valid"].min() == 1 and frame["valid"].max() == 48  # up to 1.2 x the largest home's 40 answers
    for row in frame.itertuples():
        spread = 3.090232 * (0.725 * 0.275 / row.valid + 0.0598156) ** 0.5
        assert row.lower998_pct == pytest.approx(100 * max(0.0, 0.725 - spread), abs=1e-3)
        assert row.upper998_pct == pytest.approx(100 * min(1.0, 0.725 + spread), abs=1e-3)
        assert row.lower998_pct <= row.lower95_pct <= row.upper95_pct <= row.upper998_pct
    assert funnel_frame(figures.reset_index(), period="2026-Q1").empty
    # for one home: around its own pool (the other homes), as its verdict; none when it has no verdict
    assert funnel_frame(figures.reset_index(), period="2026-Q3", theme_id="W1", home_id="h-a").empty


def test_a_suppressed_home_is_left_out_of_the_pool_so_it_cannot_be_subtracted_back_out():
    w = World()
    w.questionnaires("h-a", "2026-Q3", "staff", 10, {"q1": 4})
    w.questionnaires("h-b", "2026-Q3", "staff", 8, {"q1": 2})
    w.questionnaires("h-c", "2026-Q3", "staff", 3, {"q1": 5})
    figures = theme_figures(w.clean(), KLOE).set_index(["home_id", "theme_id"])
    shown = figures.loc[[("h-b", "W1")]]  # the other homes of h-a whose figure is shown
    assert figures.loc[("h-c", "W1"), "suppressed"]
    assert figures.loc[("h-a", "W1"), "group_valid"] == shown["valid"].sum()
    assert figures.loc[("h-a", "W1"), "group_positive_pct"] == pytest.approx(
        100 * shown["positive"].sum() / shown["valid"].sum()
    )
