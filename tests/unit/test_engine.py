"""Every scenario the framework describes, as a table: answers in, model, confidence and risks out."""

from datetime import date

import pytest

from bot.triage import questionnaire
from bot.triage.engine import recommend

Q = questionnaire.load()
DAY = date(2026, 11, 28)

IDEAL_AUGMENTATION = {
    "company": "Acme", "leadership": "head_of_engineering", "need_shape": "skills",
    "skills": "Senior Rails engineer to own the API", "onboarding": "new_hire", "work_definition": "roadmap",
    "requirements_change": "evolving", "collaboration": "realtime", "timezone": "America/Chicago",
}


def answers(**changes):
    return {**IDEAL_AUGMENTATION, **changes}


SCENARIOS = [
    # id, answers, model, confidence, risk keys
    ("embedded engineer, ready team", answers(), "staff_augmentation", "high", set()),
    ("tech lead directs, roadmap", answers(leadership="senior_engineer"), "staff_augmentation", "high", set()),
    ("well-specified fixed project, async", answers(
        leadership="senior_engineer", need_shape="mixed", onboarding="contractor", work_definition="fixed_scope",
        requirements_change="stable", collaboration="async"), "outsourcing", "high", {"handoff"}),
    ("no leader, only outcomes", answers(
        leadership="nobody", need_shape="outcomes", onboarding="partial", work_definition="exploring",
        requirements_change="unknown"), "consulting_first", "medium", {"no_direction"}),
    ("leader in place, still exploring", answers(
        need_shape="mixed", work_definition="exploring", requirements_change="unknown"),
     "discovery_first", "medium", set()),
    # Mixed cases: the winner holds, the weak answer shows up as a risk and, when it argues hard
    # against the winner, costs confidence.
    ("strong leadership, contractor-style onboarding", answers(onboarding="contractor"),
     "staff_augmentation", "medium", {"contractor_onboarding"}),
    ("ready team that has not decided what to build", answers(
        work_definition="exploring", previous_engagement="outsourcing_changing_scope"),
     "staff_augmentation", "medium", {"undefined_work"}),
    ("fixed scope, requirements will move", answers(work_definition="fixed_scope"),
     "staff_augmentation", "high", {"changing_requirements"}),
    ("no leader, but a settled spec to hand over", answers(
        leadership="nobody", onboarding="contractor", work_definition="fixed_scope", requirements_change="stable",
        collaboration="async"), "outsourcing", "high", {"no_direction", "handoff"}),
    ("fixed scope, but the team works in real time", answers(
        leadership="senior_engineer", need_shape="mixed", onboarding="contractor", work_definition="fixed_scope",
        requirements_change="stable", collaboration="realtime"), "outsourcing", "medium", {"handoff", "timezone_gap"}),
    ("fixed scope yet daily live contact", answers(
        need_shape="mixed", onboarding="contractor", work_definition="fixed_scope", requirements_change="stable",
        collaboration="some"), "outsourcing", "high", {"handoff", "timezone_gap"}),
    ("outsourcing failed on changing requirements", answers(
        need_shape="mixed", onboarding="partial", collaboration="some",
        previous_engagement="outsourcing_changing_scope"), "staff_augmentation", "high", {"contractor_onboarding"}),
    ("last placement lacked direction, still no leader", answers(
        leadership="nobody", previous_engagement="augmentation_no_direction"),
     "consulting_first", "medium", {"no_direction", "repeat_management_gap"}),
    # The modal offers North American and European zones; the engine takes any IANA zone.
    ("real-time team far from Latin America", answers(timezone="Asia/Singapore"),
     "staff_augmentation", "high", {"thin_overlap"}),
]


@pytest.mark.parametrize(("case", "given", "model", "confidence", "risks"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_scenarios(case, given, model, confidence, risks):
    r = recommend(Q, given, DAY)
    assert (r.model, r.confidence) == (model, confidence), dict(r.scores)
    assert {k.key for k in r.risks} == risks


@pytest.mark.parametrize(("case", "given", "model", "confidence", "risks"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_every_reason_backs_the_recommended_model(case, given, model, confidence, risks):
    r = recommend(Q, given, DAY)
    backing = {o.reason for q in Q.questions for o in q.options if o.scores.get(r.model, 0) > 0}
    against = {o.reason for q in Q.questions for o in q.options if o.scores.get(r.model, 0) <= 0}
    for reason in r.reasons:
        assert reason in backing or reason.startswith("Latin American engineers share"), reason
        assert reason not in against


def test_each_reason_comes_from_an_answer_that_backed_the_model():
    r = recommend(Q, answers(onboarding="contractor"), DAY)
    reasons = set(r.reasons)
    assert Q.question("leadership").option("head_of_engineering").reason in reasons
    assert Q.question("work_definition").option("roadmap").reason in reasons
    # Contractor-style onboarding argued against augmentation, so it is a risk, not a reason.
    assert Q.question("onboarding").option("contractor").reason not in reasons
    assert any("Latin American engineers share up to 8 working hours" in reason for reason in reasons)


def test_no_leadership_rules_out_augmentation_whatever_the_points():
    r = recommend(Q, answers(leadership="nobody"), DAY)
    assert r.scores["staff_augmentation"] > r.scores["consulting_first"]
    assert r.model != "staff_augmentation"


def test_deterministic_and_ordered_next_steps():
    first, second = recommend(Q, answers(), DAY), recommend(Q, answers(), DAY)
    assert first == second
    assert first.next_steps[0].startswith("Write the role")


def test_overlap_is_reported_for_every_region():
    r = recommend(Q, answers(timezone="America/New_York"), DAY)
    hours = {o.region: o.hours for o in r.overlap}
    assert hours["Bogotá"] == 8
    assert hours["India (Bengaluru)"] == 0
