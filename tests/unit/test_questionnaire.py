import copy

import pytest
import yaml

from bot.triage import questionnaire
from bot.triage.questionnaire import QuestionnaireError, parse

RAW = yaml.safe_load(questionnaire.DEFAULT_PATH.read_text())
Q = questionnaire.load()


def broken(edit):
    raw = copy.deepcopy(RAW)
    edit(raw)
    with pytest.raises(QuestionnaireError) as info:
        parse(raw, source="questionnaire.yml")
    return info.value.problems


def question(raw, qid):
    return next(q for q in raw["questions"] if q["id"] == qid)


def test_shipped_file_is_valid_and_covers_the_framework():
    ids = [q.id for q in Q.questions]
    for dimension in ("company", "contact", "leadership", "need_shape", "skills", "onboarding", "work_definition",
                      "requirements_change", "collaboration", "timezone"):
        assert dimension in ids
    assert {o.value for o in Q.question("work_definition").options} == {"roadmap", "fixed_scope", "exploring"}


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda r: question(r, "leadership")["options"][0].update(label="x" * 76),
     "questions[2] (leadership).options[0].label: 76 characters, Slack allows 75"),
    (lambda r: question(r, "leadership")["options"][0]["scores"].update(hiring=2),
     "questions[2] (leadership).options[0]: unknown engagement model 'hiring'"),
    (lambda r: question(r, "timezone")["options"][0].update(value="Mars/Olympus"),
     "'Mars/Olympus' is not an IANA timezone"),
    (lambda r: question(r, "skills").update(required_when={"need_shape": "talent"}),
     "questions (skills).required_when: no option 'talent' in 'need_shape'"),
    (lambda r: question(r, "company").update(kind="choice"), "questions (company).kind: must be text"),
    (lambda r: question(r, "company").pop("max_length"), "questions[0] (company).max_length"),
    (lambda r: question(r, "onboarding")["options"][0].pop("reason"), "must say why"),
    (lambda r: r["questions"].append(copy.deepcopy(r["questions"][2])), "questions: ids must be unique"),
    (lambda r: question(r, "collaboration").update(colour="red"), "unknown field(s) colour"),
    (lambda r: r.pop("version"), "version: a non-empty string"),
    # The decision policy: nothing that argues against a model may go unexplained.
    (lambda r: question(r, "collaboration")["options"][0]["scores"].update(consulting_first=-1),
     "questions (collaboration).options (realtime): costs consulting_first points, so a condition of "
     "consulting_first must list it as weak or missing"),
    (lambda r: condition(r, "direction")["missing"]["nobody"].pop("instead"),
     "conditions[0] (direction).missing.nobody.instead: name the model the client needs first"),
    (lambda r: condition(r, "direction")["missing"].update(ceo={"because": "b", "fix": "f", "instead": "outsourcing"}),
     "conditions[0] (direction).missing: 'leadership' has no option 'ceo'"),
    (lambda r: condition(r, "realtime_overlap")["weak"].update(fix="Shortlist in {city}."),
     "conditions[6] (realtime_overlap).weak.fix: the only placeholders are {hours} and {region}"),
    (lambda r: condition(r, "touchpoint_overlap")["overlap"].update(whne={"collaboration": ["some"]}),
     "(touchpoint_overlap).overlap: unknown key whne (keys: when, weak_below, missing_below)"),
    (lambda r: condition(r, "stable_requirements")["missing"]["evolving"].update(instead="outsourcing"),
     "stable_requirements).missing.evolving.instead"),
    (lambda r: r["conditions"].append({
        "id": "loop", "model": "discovery_first", "title": "t", "question": "leadership",
        "missing": {"nobody": {"because": "b", "fix": "f", "instead": "staff_augmentation"}}}),
     "conditions: `instead` leads from"),
    (lambda r: question(r, "work_definition")["options"][0].pop("as_change"),
     "questions (work_definition).options (roadmap).as_change: needed"),
    (lambda r: r["contradictions"][0]["when"].update(work_definition="someday"),
     "contradictions[0].when.work_definition: no such question or option 'someday'"),
])
def test_problems_name_the_field(edit, expected):
    problems = broken(edit)
    assert any(expected in p for p in problems), problems


def condition(raw, cid):
    return next(c for c in raw["conditions"] if c["id"] == cid)


def test_conditions_are_read_as_the_policy():
    direction = next(c for c in Q.conditions if c.id == "direction")
    assert (direction.model, direction.question, direction.missing["nobody"].instead) == (
        "staff_augmentation", "leadership", "consulting_first")
    assert Q.rules_out("staff_augmentation", "work_definition", "exploring")
    assert not Q.rules_out("staff_augmentation", "onboarding", "contractor")  # it only weakens
    assert "refer_elsewhere" not in Q.ranked_models  # reached only as what a client needs instead


def test_all_problems_reported_at_once():
    def edit(raw):
        question(raw, "leadership")["label"] = ""
        question(raw, "timezone")["options"][1]["value"] = "Nowhere/Land"

    assert len(broken(edit)) == 2


def test_answers_checked_like_the_modal():
    errors = Q.check_answers({"company": "  ", "need_shape": "skills", "contact": "x" * 121, "leadership": "ceo"})
    assert errors["company"] == "This answer is required."
    assert errors["skills"].startswith("Fill this in: you answered \"As skills and a role to fill\"")
    assert errors["contact"] == "Keep this to 120 characters (it has 121)."
    assert errors["leadership"] == "Pick one of the listed options."
    assert "previous_engagement" not in errors  # optional
