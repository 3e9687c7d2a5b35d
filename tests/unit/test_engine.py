"""The decision policy as a table: every situation the framework describes, answers in, call out.

Each row says which model the framework argues for, how sure fitbot should be, and what decides it:
the conditions that rule a better fit out ("ruled out"), the answers that argue against the call
("against"), and the failure modes to name ("risks"). The comment above each row is the idea it tests.
"""

import json
from datetime import date

import pytest

from bot.presentation.triage import recommendation_message
from bot.terminal import render
from bot.triage import questionnaire
from bot.triage.engine import recommend

Q = questionnaire.load()
DAY = date(2026, 11, 28)  # winter in the north: London is UTC+0, Berlin UTC+1

READY_TEAM = {
    "company": "Acme", "leadership": "head_of_engineering", "need_shape": "skills",
    "skills": "Senior Rails engineer to own the API", "onboarding": "new_hire", "work_definition": "roadmap",
    "requirements_change": "evolving", "collaboration": "realtime", "timezone": "America/Chicago",
    "previous_engagement": "none",
}
# A client that wants a delivery, not a teammate.
VENDOR_SETUP = {"leadership": "senior_engineer", "need_shape": "mixed", "onboarding": "contractor",
                "work_definition": "fixed_scope", "requirements_change": "stable", "collaboration": "async"}


def answers(**changes):
    return {**READY_TEAM, **changes}


AUG, OUT, CONSULT, DISCOVER, REFER = (
    "staff_augmentation", "outsourcing", "consulting_first", "discovery_first", "refer_elsewhere")

SCENARIOS = [
    # name, answers, model, confidence, ruled out, against, risks

    # Leadership, a skills brief, new-hire onboarding, a roadmap and overlapping hours: augmentation fits.
    ("ready team", answers(), AUG, "high", set(), set(), set()),
    # A strong senior engineer counts as the leadership augmentation needs.
    ("tech lead directs", answers(leadership="senior_engineer"), AUG, "high", set(), set(), set()),

    # --- Each prerequisite failing alone, everything else strong: a missing one is never outvoted.
    # Without anyone to direct and give feedback, technical leadership comes before headcount.
    ("no engineering leader", answers(leadership="nobody"), CONSULT, "high", {"direction"}, set(), {"no_direction"}),
    # A need stated only as outcomes must be turned into roles first (consulting / role shaping).
    ("only outcomes", answers(need_shape="outcomes"), CONSULT, "high", {"skills_described"}, set(), set()),
    # Still working out what to build: a consultative discovery before adding headcount.
    ("still exploring", answers(work_definition="exploring"), DISCOVER, "high", {"defined_work"}, set(), set()),
    # Contractor-style onboarding doesn't rule augmentation out, but it is the biggest predictor of
    # contractor-level results: shown against the call, with the fix.
    ("contractor onboarding", answers(onboarding="contractor"), AUG, "medium", set(), {"new_hire_onboarding"},
     {"contractor_onboarding"}),
    # Access without ramp time or feedback is half of a new-hire onboarding.
    ("partial onboarding", answers(onboarding="partial"), AUG, "medium", set(), {"new_hire_onboarding"},
     {"contractor_onboarding"}),
    # Nobody asked yet how the engineer would be onboarded: the predictor is unknown.
    ("onboarding not discussed", answers(onboarding="not_discussed"), AUG, "medium", set(), {"new_hire_onboarding"},
     {"contractor_onboarding"}),
    # A rough role framed by goals is a start; write the role before searching.
    ("rough role", answers(need_shape="mixed"), AUG, "medium", set(), {"skills_described"}, set()),

    # --- Two prerequisites failing together: the one to settle first decides.
    # Direction comes before discovery: someone must lead the discovery and the engineers after it.
    ("no leader, still exploring", answers(leadership="nobody", work_definition="exploring"), CONSULT, "high",
     {"direction", "defined_work"}, set(), {"no_direction"}),
    # No leader and only outcomes: one consulting engagement covers both.
    ("no leader, only outcomes", answers(leadership="nobody", need_shape="outcomes"), CONSULT, "high",
     {"direction", "skills_described"}, set(), {"no_direction"}),
    # Undecided work and an outcomes-only need: the roles follow from the roadmap, so discovery leads
    # (the conditions' order decides, not the points the two consultative models get).
    ("exploring, only outcomes", answers(work_definition="exploring", need_shape="outcomes"), DISCOVER, "high",
     {"defined_work", "skills_described"}, set(), set()),
    # The same with a past placement that lacked direction: that history adds points to consulting, but a
    # client whose leader is in place needs the discovery first, not a fractional CTO.
    ("exploring, only outcomes, placement lacked direction",
     answers(work_definition="exploring", need_shape="outcomes", previous_engagement="augmentation_no_direction"),
     DISCOVER, "high", {"defined_work", "skills_described"}, set(), {"repeat_management_gap"}),
    # Two weak prerequisites stay weak, but confidence drops to low.
    ("contractor onboarding, rough role", answers(onboarding="contractor", need_shape="mixed"), AUG, "low", set(),
     {"new_hire_onboarding", "skills_described"}, {"contractor_onboarding"}),

    # --- Outsourcing: a defined scope, a spec that holds, an intentional handoff.
    # An intentional async handoff against a settled spec is what outsourcing is for.
    ("intentional async handoff", answers(**VENDOR_SETUP), OUT, "high", set(), set(), {"handoff"}),
    # The same handoff offshore: the timezone gap doesn't matter when the process is built around it.
    ("async handoff, offshore hours", answers(**VENDOR_SETUP, timezone="America/Los_Angeles"), OUT, "high",
     set(), set(), {"handoff"}),
    # No leader, but a settled spec to hand over: outsourcing, with someone named to accept and own the code
    # (and the message says why augmentation is out).
    ("no leader, settled spec", answers(**{**VENDOR_SETUP, "leadership": "nobody"}), OUT, "medium", {"direction"},
     {"code_ownership"}, {"no_direction", "handoff"}),
    # A fixed, settled spec but a team that wants daily live contact: still a delivery, with the
    # offshore gap named.
    ("settled spec, real-time team", answers(**{**VENDOR_SETUP, "collaboration": "realtime"}), OUT, "medium",
     set(), {"handoff_collaboration"}, {"handoff", "timezone_gap"}),
    # A spec nobody can yet call settled weakens a delivery contract.
    ("spec may move", answers(**{**VENDOR_SETUP, "requirements_change": "unknown"}), OUT, "medium", set(),
     {"stable_requirements"}, {"handoff", "changing_requirements"}),
    # An outsourcing ask on an ongoing roadmap: carve a project out of it or keep it in the team.
    ("roadmap handed to a vendor", answers(**{**VENDOR_SETUP, "work_definition": "roadmap"}), OUT, "medium", set(),
     {"specified_scope"}, {"handoff"}),

    # --- Fixed scope with evolving requirements: outsourcing breaks down when requirements move.
    # A ready team asking for a fixed scope that will keep changing: embed engineers instead.
    ("fixed scope, requirements move", answers(work_definition="fixed_scope"), AUG, "medium", set(), set(),
     {"changing_requirements"}),
    # A vendor-style ask whose requirements will move: outsourcing is ruled out, augmentation with conditions.
    ("vendor setup, requirements move", answers(**{**VENDOR_SETUP, "requirements_change": "evolving"}), AUG, "low",
     {"stable_requirements"}, {"skills_described", "new_hire_onboarding", "close_collaboration"},
     {"contractor_onboarding", "changing_requirements"}),

    # --- Real-time work needs overlapping hours; how much Latin America shares depends on the client's zone.
    # U.S. Pacific: Mexico and Colombia share most of the day.
    ("real time, U.S. Pacific", answers(timezone="America/Los_Angeles"), AUG, "high", set(), set(), set()),
    # U.K. in winter: Brazil and Argentina share five hours.
    ("real time, London", answers(timezone="Europe/London"), AUG, "high", set(), set(), set()),
    # Central Europe: four hours at best, so agree core hours and shortlist the Southern Cone.
    ("real time, Berlin", answers(timezone="Europe/Berlin"), AUG, "medium", set(), {"realtime_overlap"}, set()),
    # Hawaii: only Mexico reaches four hours.
    ("real time, Hawaii", answers(timezone="Pacific/Honolulu"), AUG, "medium", set(), {"realtime_overlap"}, set()),
    # Singapore: no shared workday at all; stand-ups and pairing can't happen, so not a nearshore placement.
    ("real time, Singapore", answers(timezone="Asia/Singapore"), REFER, "high", {"team_overlap"}, set(),
     {"thin_overlap"}),
    # Sydney: an hour with Latin America, far too little for real-time work.
    ("real time, Sydney", answers(timezone="Australia/Sydney"), REFER, "high", {"realtime_overlap"}, set(),
     {"thin_overlap"}),
    # An embedded engineer joins the team's stand-ups and reviews however independent the work, so a team
    # that shares no hours with Latin America is not a nearshore placement even for a few touchpoints ...
    ("touchpoints, Singapore", answers(timezone="Asia/Singapore", collaboration="some"), REFER, "high",
     {"team_overlap"}, set(), set()),
    # ... nor for an ongoing roadmap handed over asynchronously ...
    ("async roadmap, Singapore", answers(timezone="Asia/Singapore", collaboration="async"), REFER, "high",
     {"team_overlap"}, set(), set()),
    # ... while a settled spec handed over asynchronously is the offshore handoff the process is built for.
    ("async handoff, Singapore", answers(**VENDOR_SETUP, timezone="Asia/Singapore"), OUT, "high", {"team_overlap"},
     set(), {"handoff"}),
    # Asynchronous work from Sydney: an embedded engineer still joins the team's stand-ups and reviews, and
    # an hour a day leaves little room for them; it argues against the placement, next to the handoff itself.
    ("async, Sydney", answers(timezone="Australia/Sydney", collaboration="async"), AUG, "low", set(),
     {"close_collaboration", "ritual_overlap"}, set()),
    # An hour of overlap is enough for a few fixed touchpoints a week, if their times are agreed up front.
    ("touchpoints, Sydney", answers(timezone="Australia/Sydney", collaboration="some"), AUG, "medium", set(),
     {"touchpoint_overlap"}, set()),

    # --- The wrong-model stories.
    # Outsourcing stalled because requirements kept changing: the model was wrong; embed engineers.
    ("outsourcing stalled on change", answers(previous_engagement="outsourcing_changing_scope"), AUG, "high",
     set(), set(), set()),
    # The same client asking to outsource a fixed scope again: possible, but the history argues against it.
    ("stalled before, fixed scope again", answers(**VENDOR_SETUP, previous_engagement="outsourcing_changing_scope"),
     OUT, "medium", set(), {"outsourcing_history"}, {"handoff"}),
    # A vendor left code the team couldn't own: engineers who build inside the team keep the knowledge.
    ("outsourcing left unmaintainable code", answers(previous_engagement="outsourcing_unmaintainable"), AUG, "high",
     set(), set(), set()),
    # Augmentation failed for lack of direction, and there is still no leader: fix management first.
    ("placement lacked direction, no leader", answers(leadership="nobody",
                                                      previous_engagement="augmentation_no_direction"),
     CONSULT, "high", {"direction"}, set(), {"no_direction", "repeat_management_gap"}),
    # The same story with a leader now in place: augmentation, once the management gap is shown closed.
    ("placement lacked direction, leader now", answers(previous_engagement="augmentation_no_direction"), AUG,
     "medium", set(), {"management_history"}, {"repeat_management_gap"}),

    # --- Near ties and doubts.
    # A ready team with a settled, fixed project and weekly touchpoints could take either model:
    # augmentation by a point, and the message says outsourcing is close behind.
    ("near tie, augmentation ahead", answers(work_definition="fixed_scope", requirements_change="stable",
                                             collaboration="some"), AUG, "medium", set(), set(), set()),
    # The same project run as an asynchronous handoff tips it to outsourcing, two points ahead.
    ("near tie, outsourcing ahead", answers(work_definition="fixed_scope", requirements_change="stable",
                                            collaboration="async"), OUT, "medium", set(), set(), {"handoff"}),
    # "Too early to say" lowers confidence even when everything else is clear.
    ("requirements too early to say", answers(requirements_change="unknown"), AUG, "medium", set(), set(), set()),
    # An unanswered optional question lowers confidence.
    ("history not answered", answers(previous_engagement=None), AUG, "medium", set(), set(), set()),
    # Still exploring yet the spec is called settled: a contradiction costs confidence.
    ("exploring yet settled spec", answers(work_definition="exploring", requirements_change="stable"), DISCOVER,
     "medium", {"defined_work"}, set(), set()),
]


@pytest.mark.parametrize(("case", "given", "model", "confidence", "ruled_out", "against", "risks"), SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_scenarios(case, given, model, confidence, ruled_out, against, risks):
    r = recommend(Q, given, DAY)
    assert (r.model, r.confidence) == (model, confidence), (dict(r.scores), r.confidence_notes)
    assert {f.condition for o in r.ruled_out for f in o.missing} == ruled_out
    assert {f.condition for f in r.against} == against
    assert {k.key for k in r.risks} == risks
    assert (len(r.confidence_notes), r.confidence) in ((0, "high"), (1, "medium")) or (
        len(r.confidence_notes) >= 2 and r.confidence == "low")


@pytest.mark.parametrize(("case", "given", "model", "confidence", "ruled_out", "against", "risks"), SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_what_decides_the_call_reaches_slack_and_the_terminal(case, given, model, confidence, ruled_out, against,
                                                              risks):
    r = recommend(Q, given, DAY)
    message = recommendation_message(company="Acme", contact=None, skills=None, requested_by="U1",
                                     timezone_label="zone", recommendation=r, triage_id=1, questionnaire_version="v")
    slack_text = "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
    text, as_json = render("Acme", r), json.loads(render("Acme", r, as_json=True))
    deciding = [f for o in r.ruled_out for f in o.missing] + list(r.against)
    for f in deciding:
        assert f.because.replace("&", "&amp;") in slack_text
        assert f.because in text
        assert f.because in [g["because"] for g in as_json["against"] + [m for o in as_json["ruled_out"]
                                                                          for m in o["missing"]]]
    for f in r.against:  # each with what to do about it
        assert f.fix.replace("&", "&amp;") in slack_text and f.fix in text
    for step in r.next_steps:  # the fixes of what ruled a better fit out come first among them
        assert step.replace("&", "&amp;") in slack_text and step in text and step in as_json["next_steps"]
    for reason in r.reasons:
        assert reason.replace("&", "&amp;") in slack_text and reason in text and reason in as_json["reasons"]
    for risk in r.risks:
        assert risk.title in slack_text and risk.title in text
    for w in r.what_if:
        assert w.sentence in text and w.sentence in [x["sentence"] for x in as_json["what_if"]]


def test_a_missing_prerequisite_is_never_outvoted():
    r = recommend(Q, answers(work_definition="exploring"), DAY)
    assert r.scores[AUG] > r.scores[DISCOVER]
    assert r.model == DISCOVER
    (out,) = r.ruled_out
    assert out.model == AUG
    assert out.missing[0].because.startswith("The client is still deciding what to build")
    assert r.next_steps[0].startswith("Settle what to build before the search starts")


def test_the_prerequisite_settled_first_decides_what_comes_first():
    r = recommend(Q, answers(leadership="nobody", work_definition="exploring"), DAY)
    assert [f.condition for f in r.ruled_out[0].missing] == ["direction", "defined_work"]
    assert r.next_steps[:2] == tuple(f.fix for f in r.ruled_out[0].missing)


def test_reasons_back_the_call_and_never_repeat_an_answer_against_it():
    r = recommend(Q, answers(need_shape="mixed"), DAY)
    mixed = Q.question("need_shape").option("mixed")
    assert mixed.reason not in r.reasons
    assert Q.question("leadership").option("head_of_engineering").reason in r.reasons
    assert any("Latin American engineers share up to 8 working hours" in reason for reason in r.reasons)
    assert r.against[0].fix.startswith("Write the role with the client's engineering leader")


def test_overlap_findings_name_the_hours_and_the_best_region():
    r = recommend(Q, answers(timezone="Europe/Berlin"), DAY)
    (f,) = r.against
    assert f.answer_label == "Central Europe (Berlin): 4 h shared with Latin America"
    assert "at most 4 h of the working day" in f.because
    assert "São Paulo" in f.fix


def test_confidence_says_why_it_is_not_high():
    r = recommend(Q, answers(requirements_change="unknown", previous_engagement=None), DAY)
    assert r.confidence == "low"
    assert r.confidence_notes == (
        "“Too early to say” for “How will the requirements change while the work is under way?” leaves part of "
        "the picture open.",
        "Not answered: “Has the client tried another model that did not work out?”",
    )
    near = recommend(Q, answers(work_definition="fixed_scope", requirements_change="stable", collaboration="some"), DAY)
    assert near.confidence_notes == ("Project outsourcing is close behind on points (9 to 8).",)


def test_what_would_change_the_answer():
    ready = recommend(Q, answers(), DAY)
    assert [w.sentence for w in ready.what_if] == [
        "Fractional CTO / consulting first if nobody technical directs the work.",
        "Discovery first if the client is still working out what to build.",
    ]
    exploring = recommend(Q, answers(work_definition="exploring"), DAY)
    assert exploring.what_if[0].sentence == (
        "Nearshore staff augmentation if the client settles a roadmap and a sprint process.")
    # No single change reaches outsourcing from a ready team that wants a fixed scope; two do.
    fixed = recommend(Q, answers(work_definition="fixed_scope"), DAY)
    assert fixed.what_if[0].sentence == (
        "Project outsourcing if the spec is settled and will hold, and the work runs as an asynchronous handoff.")
    # Where the team sits and what happened before are facts, never suggested changes.
    assert not any(c.question in ("timezone", "previous_engagement") for w in fixed.what_if for c in w.changes)
    near = recommend(Q, answers(timezone="Australia/Sydney"), DAY)
    assert [w.sentence for w in near.what_if if w.model == AUG] == [
        "Nearshore staff augmentation if a few touchpoints a week are enough."]
    far = recommend(Q, answers(timezone="Asia/Singapore", collaboration="async"), DAY)  # no hours: no change of
    assert AUG not in {w.model for w in far.what_if}  # how the team works makes it a nearshore placement


def test_every_what_if_really_changes_the_call():
    for _, given, model, *_ in SCENARIOS:
        for w in recommend(Q, given, DAY).what_if:
            changed = {**given, **{c.question: c.answer for c in w.changes}}
            assert recommend(Q, changed, DAY).model == w.model != model


def test_same_answers_same_day_same_output_byte_for_byte():
    for _, given, *_ in SCENARIOS:
        first, second = recommend(Q, dict(given), DAY), recommend(Q, dict(given), DAY)
        assert first == second
        assert render("Acme", first, as_json=True) == render("Acme", second, as_json=True)


def test_overlap_is_reported_for_every_region():
    r = recommend(Q, answers(timezone="America/New_York"), DAY)
    hours = {o.region: o.hours for o in r.overlap}
    assert hours["Bogotá"] == 8
    assert hours["India (Bengaluru)"] == 0


def test_when_the_prerequisites_decide_why_says_so():
    r = recommend(Q, answers(need_shape="outcomes"), DAY)
    assert r.reasons == ("Nearshore staff augmentation is ruled out for want of: a need described as skills, "
                         "not only outcomes (see Why not).",)
    # Two missing conditions are both named.
    r = recommend(Q, answers(leadership="nobody", work_definition="exploring"), DAY)
    assert r.model == CONSULT
    assert r.reasons[0] == ("Nearshore staff augmentation is ruled out for want of: engineering leadership to direct "
                            "the work; work defined enough to start (see Why not).")
    # It comes first, before the answers that gave the call its points.
    r = recommend(Q, answers(work_definition="exploring"), DAY)
    assert r.model == DISCOVER and len(r.reasons) == 2
    assert r.reasons[0].startswith("Nearshore staff augmentation is ruled out for want of: work defined enough")
    # Outsourcing led on points and was ruled out: it is the one named, not augmentation, listed only to say why.
    r = recommend(Q, answers(**{**VENDOR_SETUP, "work_definition": "exploring"}), DAY)
    assert r.model == DISCOVER and [o.model for o in r.ruled_out] == [AUG, OUT]
    assert r.reasons[0] == "Project outsourcing is ruled out for want of: a scope that can be specified (see Why not)."


def test_a_model_ruled_out_only_to_explain_it_adds_no_next_step():
    r = recommend(Q, answers(**VENDOR_SETUP, timezone="Asia/Singapore"), DAY)
    assert r.model == OUT and r.ruled_out[0].model == AUG
    assert r.next_steps == recommend(Q, answers(**VENDOR_SETUP), DAY).next_steps


def test_a_missing_verdict_is_never_hidden_by_a_weak_one_on_the_same_answer():
    import yaml

    raw = yaml.safe_load(questionnaire.DEFAULT_PATH.read_text())
    # A weak-only condition on the leadership answer, placed before the prerequisite that rules it missing.
    raw["conditions"].insert(0, {"id": "thin_leadership", "model": AUG, "title": "t", "question": "leadership",
                                 "weak": {"nobody": {"because": "b", "fix": "f"}}})
    r = recommend(questionnaire.parse(raw), answers(leadership="nobody"), DAY)
    assert r.model == CONSULT
    assert [f.condition for f in r.ruled_out[0].missing] == ["direction"]
