"""The 30/60/90 pulse's file and its rule: which answers are signs of contractor-style treatment, and
when they add up to an early warning."""

from __future__ import annotations

import copy

import pytest
import yaml

from bot.onboarding import pulse
from bot.onboarding.pulse import PulseError, parse, signs, warrants_warning

RAW = yaml.safe_load(pulse.DEFAULT_PATH.read_text())
P = pulse.load()


def test_the_shipped_file_asks_both_people_at_30_60_and_90_days():
    assert P.checkpoints == (30, 60, 90)
    assert [q.id for q in P.questions["manager"]] == ["feedback", "ceremonies", "real_work"]
    assert [q.id for q in P.questions["engineer"]] == ["feedback", "ceremonies", "one_of_us"]
    assert set(P.signals) == {"no_feedback", "tickets_only", "outside_ceremonies", "not_one_of_us"}


@pytest.mark.parametrize(("answers", "seen", "warn"), [
    ({"manager": {"feedback": "yes", "ceremonies": "yes", "real_work": "owns"}}, [], False),
    # One sign alone is worth watching, not yet a warning.
    ({"manager": {"feedback": "no"}}, [("no_feedback", ("manager",))], False),
    # The same sign from both sides is still one sign.
    ({"manager": {"feedback": "no"}, "engineer": {"feedback": "no"}},
     [("no_feedback", ("manager", "engineer"))], False),
    # Two different signs, from either person: the pattern of contractor-style treatment.
    ({"manager": {"real_work": "tickets"}, "engineer": {"ceremonies": "no"}},
     [("tickets_only", ("manager",)), ("outside_ceremonies", ("engineer",))], True),
    # Middle answers ("partly", "a mix") are no sign; unknown answers are ignored.
    ({"manager": {"feedback": "partly", "real_work": "mixed"}, "engineer": {"one_of_us": "maybe"}}, [], False),
])
def test_signs_and_the_warning(answers, seen, warn):
    found = signs(P, answers)
    assert [(s.signal.id, s.roles) for s in found] == seen
    assert warrants_warning(P, found) is warn


def _broken(edit) -> list[str]:
    raw = copy.deepcopy(RAW)
    edit(raw)
    with pytest.raises(PulseError) as info:
        parse(raw, source="pulse.yml")
    return info.value.problems


def test_problems_name_the_field():
    assert _broken(lambda r: r.update(checkpoints=[60, 30])) == [
        "checkpoints: increasing whole numbers of days after the first day are required"]
    assert _broken(lambda r: r["questions"]["manager"][0]["options"][2].update(signal="lazy")) == [
        "questions.manager[0].options[2].signal: unknown signal 'lazy' (known: no_feedback, tickets_only, "
        "outside_ceremonies, not_one_of_us)"]
    assert _broken(lambda r: r.update(warn_at=9)) == [
        "warn_at: a whole number between 1 and the number of signals (4) is required"]
    assert _broken(lambda r: r["questions"]["engineer"][0]["options"][0].update(label="x" * 80)) == [
        "questions.engineer[0].options[0].label: 80 characters, a Slack button allows 75"]
    assert _broken(lambda r: r["questions"]["engineer"][1].update(id="feedback")) == [
        "questions.engineer: question ids must be unique"]
    assert _broken(lambda r: r["questions"]["manager"][0].update(id="feed:back")) == [
        "questions.manager[0].id: letters, digits and _ only (it travels in a button's value)"]


def test_a_file_of_the_wrong_shape_is_named_not_a_traceback():
    problems = _broken(lambda r: r.update(signals=["no_feedback"]))
    assert problems[0] == "signals: a mapping of the signs to look for is required"
    assert "questions: a mapping from manager and engineer to their questions is required" in _broken(
        lambda r: r.update(questions=["feedback"]))
