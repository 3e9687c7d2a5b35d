import copy

import pytest
import yaml

from bot.onboarding import checklist
from bot.onboarding.checklist import ChecklistError, parse

RAW = yaml.safe_load(checklist.DEFAULT_PATH.read_text())
C = checklist.load()


def test_template_covers_every_phase_with_owners():
    phases = {i.phase for i in C.items}
    assert phases == {"before_day_1", "day_1", "first_weeks", "day_30", "day_60", "day_90"}
    assert {i.owner for i in C.items} == {"manager", "buddy", "engineer", "firm"}
    assert [i.offset for i in C.items_for({})] == sorted(i.offset for i in C.items)


def test_triage_answers_add_items():
    plain = {i.key for i in C.items_for({"onboarding": "new_hire", "leadership": "head_of_engineering"})}
    contractor = {i.key for i in C.items_for({"onboarding": "contractor", "leadership": "senior_engineer",
                                               "previous_engagement": "augmentation_no_direction"})}
    assert contractor - plain == {"context_session", "feedback_week_2", "direction", "weekly_one_on_one"}
    assert {i.key for i in C.items_for(None)} == plain


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda r: r["phases"][0]["items"][0].update(owner="cto"),
     "phases[0] (before_day_1).items[0] (access).owner: must be one of manager, buddy, engineer, firm"),
    (lambda r: r["phases"][0]["items"][0].update(offset="soon"), "(access).offset: a whole number of days"),
    (lambda r: r["phases"][0]["items"][0].update(text="Hi {client}"), "unknown placeholder(s) client"),
    (lambda r: r["phases"][1]["items"].append(copy.deepcopy(r["phases"][0]["items"][0])),
     "ids must be unique across phases and extras (access)"),
    (lambda r: r["extras"][0].update(phase="week_7"), "extras[0].phase: 'week_7' is not one of the phases"),
    (lambda r: r["extras"][0].update(when={"onboarding": "contractor"}), "extras[0].when: a mapping"),
])
def test_problems_name_the_field(edit, expected):
    raw = copy.deepcopy(RAW)
    edit(raw)
    with pytest.raises(ChecklistError) as info:
        parse(raw)
    assert any(expected in p for p in info.value.problems), info.value.problems


def test_extras_must_name_real_triage_answers():
    from bot.triage import questionnaire

    raw = copy.deepcopy(RAW)
    raw["extras"][0]["when"] = {"onboarding": ["contractor", "freelance"], "budget": ["low"]}
    with pytest.raises(ChecklistError) as info:
        checklist.check_against(parse(raw), questionnaire.load())
    assert info.value.problems == ["extras[0].when.onboarding: no option(s) 'freelance'",
                                   "extras[0].when: 'budget' is not a question in the questionnaire"]
    checklist.check_against(C, questionnaire.load())  # the shipped files agree


def test_extras_tied_to_answers_that_rule_out_a_placement_are_refused():
    from bot.triage import questionnaire

    raw = copy.deepcopy(RAW)
    raw["extras"][0]["when"] = {"leadership": ["nobody"]}  # that answer excludes staff augmentation
    with pytest.raises(ChecklistError) as info:
        checklist.check_against(parse(raw), questionnaire.load())
    assert info.value.problems == ["extras[0].when.leadership: 'nobody' rules out staff_augmentation, so no plan "
                                   "would ever get these items"]
