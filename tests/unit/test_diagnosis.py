"""Diagnosing an engagement that went wrong: the model or the setup, what to change, what to use now."""

import copy
from datetime import date

import pytest
import yaml

from bot.presentation.diagnosis import lesson_message
from bot.terminal_diagnosis import render
from bot.triage import diagnosis, questionnaire
from bot.triage.questionnaire import QuestionnaireError

Q = questionnaire.load()
POLICY = diagnosis.load()
DAY = date(2026, 11, 28)
NOW_READY = {"leadership": "head_of_engineering", "need_shape": "skills", "onboarding": "new_hire",
             "work_definition": "roadmap", "requirements_change": "evolving", "collaboration": "realtime",
             "timezone": "America/Chicago"}
AUG, OUT, CONSULT = "staff_augmentation", "outsourcing", "consulting_first"


def run(model_used, *symptoms, answers=None, other=None):
    return diagnosis.diagnose(POLICY, Q, model_used=model_used, symptoms=symptoms, other=other,
                              answers=answers or {}, on=DAY)


@pytest.mark.parametrize(("model_used", "symptom", "wrong", "use_now"), [
    # Outsourcing that failed on changing requirements: the wrong model for iterative work; embed engineers.
    (OUT, "requirements_changed", "model", AUG),
    # The handoff problem: code the team can't own; build inside the team.
    (OUT, "unmaintainable_code", "model", AUG),
    # Work that needed steering from the client needed engineers the client directs.
    (OUT, "little_direction", "model", AUG),
    (OUT, "treated_as_contractor", "model", AUG),
    # Offshore outsourcing is workable when the handoff is designed around the gap: the setup failed.
    (OUT, "timezone", "setup", OUT),
    # Augmentation without direction or feedback: the client's management failed, not the engineers.
    (AUG, "little_direction", "setup", AUG),
    (AUG, "treated_as_contractor", "setup", AUG),
    (AUG, "requirements_changed", "setup", AUG),
    (AUG, "unmaintainable_code", "setup", AUG),
    (AUG, "timezone", "setup", AUG),
    (AUG, "other", "unclear", None),
])
def test_each_story_names_whether_the_model_or_the_setup_was_wrong(model_used, symptom, wrong, use_now):
    d = run(model_used, symptom, other="It just didn't work")
    assert (d.wrong, d.use_now) == (wrong, use_now)
    assert d.verdict == diagnosis.VERDICTS[wrong]
    (lesson,) = d.lessons
    assert lesson.lesson and lesson.change


def test_the_wrong_lesson_is_always_named_and_no_lesson_blames_a_category_of_engineers():
    for lesson in POLICY.lessons.values():
        d = run(lesson.model, lesson.symptom, other="x")
        assert d.not_the_lesson.startswith("The wrong lesson is that outsourcing, contractors, or engineers")
        text = " ".join([d.verdict, *(x.lesson for x in d.lessons), *(x.change for x in d.lessons)]).lower()
        for blame in ("underperform", "latam engineers", "offshore engineers", "contractors are", "bad engineers"):
            assert blame not in text


def test_a_model_mismatch_outweighs_a_setup_problem():
    d = run(OUT, "timezone", "requirements_changed")
    assert (d.wrong, d.use_now) == ("model", AUG)
    assert [s.value for s in d.symptoms] == ["requirements_changed", "timezone"]  # the file's order


def test_missing_direction_now_means_a_fractional_cto_first():
    # The setup lesson says augmentation, but nobody can direct the work yet: that comes first.
    d = run(AUG, "little_direction", answers={"leadership": "nobody"})
    assert d.use_now == CONSULT
    assert d.ruled_out[0].missing[0].condition == "direction"
    assert d.recommendation is None  # only some of the current answers were given


def test_full_current_answers_get_a_full_recommendation_with_the_failure_as_history():
    d = run(OUT, "requirements_changed", answers=NOW_READY)
    assert d.use_now == AUG
    assert d.recommendation is not None
    reason = Q.question("previous_engagement").option("outsourcing_changing_scope").reason
    assert reason in d.recommendation.reasons


def test_inputs_are_checked_field_by_field():
    assert POLICY.check(None, [], None) == {"model_used": "Pick the model the client used.",
                                            "symptoms": "Pick at least one way the engagement underperformed."}
    assert POLICY.check(OUT, ["other"], "  ") == {
        "other": "Say in a sentence what went wrong: you ticked \"Something else\"."}
    assert POLICY.check(OUT, ["boredom"], None) == {"symptoms": "Pick from the listed options."}
    assert POLICY.check(AUG, ["timezone"], None) == {}


def test_the_file_is_validated_naming_the_field():
    raw = yaml.safe_load(diagnosis.DEFAULT_PATH.read_text())
    broken = copy.deepcopy(raw)
    broken["lessons"] = [x for x in broken["lessons"] if (x["model"], x["symptom"]) != (OUT, "timezone")]
    broken["models"].append({"value": "hiring", "label": "In-house hiring"})
    with pytest.raises(QuestionnaireError) as info:
        diagnosis.parse(broken)
    assert "lessons: none for outsourcing / timezone" in info.value.problems
    assert any(p.startswith("models (hiring): not an engagement model") for p in info.value.problems)
    diagnosis.check_against(POLICY, Q)  # the shipped histories are questionnaire answers


def test_the_verdict_never_contradicts_the_model_to_use_now():
    # The timezone hurt an outsourcing project (its setup), but the work now moves and needs live contact.
    d = run(OUT, "timezone", answers={"collaboration": "realtime", "requirements_change": "evolving",
                                      "work_definition": "roadmap"})
    assert (d.wrong, d.use_now) == ("setup", AUG)
    assert d.verdict == diagnosis.VERDICTS["setup"] + (
        " As things stand now, though, Nearshore staff augmentation fits better: see Use now.")
    # Changing requirements sank an outsourcing project, but the work is now a settled, fixed scope.
    d = run(OUT, "requirements_changed", answers={**NOW_READY, "leadership": "senior_engineer",
                                                  "need_shape": "mixed", "onboarding": "contractor",
                                                  "work_definition": "fixed_scope", "requirements_change": "stable",
                                                  "collaboration": "async"})
    assert (d.wrong, d.use_now) == ("model", OUT)
    assert d.verdict.endswith(" As things stand now, though, Project outsourcing can fit: the work has changed since.")


def test_a_team_sharing_no_hours_with_latin_america_is_not_told_to_place_engineers_again():
    # Augmentation hurt by the timezone, the team in Singapore: the setup lesson's augmentation can't be had.
    d = run(AUG, "timezone", answers={"timezone": "Asia/Singapore"})
    assert d.use_now == "refer_elsewhere"
    assert d.ruled_out[0].missing[0].condition == "team_overlap"
    assert "fits better" in d.verdict


def test_known_answers_that_argue_against_the_model_to_use_now_are_shown():
    # The vendor's team was treated like contractors: embed engineers, but the client still plans contractor
    # onboarding, the biggest predictor of contractor-level results.
    d = run(OUT, "treated_as_contractor", answers={"onboarding": "contractor"})
    assert d.use_now == AUG
    (f,) = d.watch_out
    assert (f.condition, f.answer) == ("new_hire_onboarding", "contractor")
    assert f"Watch out: {f.answer_label}: {f.because}\n    -> {f.fix}" in render("Initech", d)
    slack = str(lesson_message(company="Initech", diagnosis=d, diagnosed_by="U1", diagnosis_id=1, triage_id=None))
    assert f"Watch out: *{f.answer_label}*: {f.because} → {f.fix}" in slack
    # Outsourcing hurt by the timezone, and the work still wants live contact: said, with what to agree.
    d = run(OUT, "timezone", answers={"collaboration": "realtime", "timezone": "America/New_York"})
    assert [f.condition for f in d.watch_out] == ["handoff_collaboration"]
    # Full answers: the recommendation's own Against.
    d = run(AUG, "treated_as_contractor", answers={**NOW_READY, "onboarding": "partial"})
    assert d.watch_out == d.recommendation.against and d.watch_out
