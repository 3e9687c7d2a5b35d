"""Editing a triage: the form it starts from (old questionnaire versions included), edits that raced, and
what a revision says changed."""

from __future__ import annotations

import copy

import pytest
import yaml

from bot.presentation.triage import QuestionnaireModal
from bot.triage import questionnaire
from bot.triage.questionnaire import QuestionnaireError, parse
from bot.triage.revisions import Change, changes, in_current_terms, merge, prefill

RAW = yaml.safe_load(questionnaire.DEFAULT_PATH.read_text())
Q = questionnaire.load()
BASE = {"company": "Umbrella", "contact": None, "leadership": "head_of_engineering", "need_shape": "mixed",
        "skills": None, "onboarding": "new_hire", "work_definition": "exploring", "requirements_change": "unknown",
        "collaboration": "realtime", "timezone": "America/Denver", "previous_engagement": None}


def _renamed() -> questionnaire.Questionnaire:
    """The shipped questionnaire with 'exploring' renamed 'still_deciding' (it used to be 'exploring')."""
    raw = copy.deepcopy(RAW)
    option = next(o for q in raw["questions"] if q["id"] == "work_definition" for o in q["options"]
                  if o["value"] == "exploring")
    option.update(value="still_deciding", formerly=["exploring"])
    for condition in raw["conditions"]:
        for verdicts in (condition.get("weak") or {}, condition.get("missing") or {}):
            if "exploring" in verdicts:
                verdicts["still_deciding"] = verdicts.pop("exploring")
    for contradiction in raw.get("contradictions") or []:
        if contradiction["when"].get("work_definition") == "exploring":
            contradiction["when"]["work_definition"] = "still_deciding"
    return parse(raw)


def test_prefill_keeps_current_answers_maps_renamed_options_and_flags_vanished_ones():
    stored = {**BASE, "timezone": "Antarctica/Troll", "retired_question": "x"}
    form = prefill(_renamed(), stored)
    assert form.answers["work_definition"] == "still_deciding"  # answered 'exploring' under the older version
    assert form.answers["company"] == "Umbrella"
    assert form.flagged == {"timezone": "Antarctica/Troll"}  # no option stands for it: asked again
    assert "timezone" not in form.answers and "retired_question" not in form.answers
    assert "contact" not in form.answers  # unanswered stays unanswered


def test_in_current_terms_keeps_a_vanished_answer_so_what_changed_can_name_it():
    now = in_current_terms(_renamed(), {**BASE, "timezone": "Antarctica/Troll"})
    assert (now["work_definition"], now["timezone"]) == ("still_deciding", "Antarctica/Troll")
    (change,) = changes(Q, {**BASE, "timezone": "Antarctica/Troll"}, BASE)
    assert change == Change(Q.question("timezone").label, "Antarctica/Troll (no longer an option)",
                            Q.question("timezone").option("America/Denver").label)


def test_an_earlier_value_may_stand_for_one_option_only():
    raw = copy.deepcopy(RAW)
    options = next(q for q in raw["questions"] if q["id"] == "leadership")["options"]
    options[0]["formerly"] = ["cto"]
    options[1]["formerly"] = ["cto"]
    with pytest.raises(QuestionnaireError) as info:
        parse(raw, source="questionnaire.yml")
    assert any("an earlier value (formerly) may stand for one option only" in p for p in info.value.problems)
    options[1]["formerly"] = "cto"
    with pytest.raises(QuestionnaireError) as info:
        parse(raw, source="questionnaire.yml")
    assert any(p.endswith(".formerly: a list of earlier option values is required") for p in info.value.problems)


def test_without_a_race_the_edit_is_what_was_submitted():
    submitted = {**BASE, "work_definition": "roadmap"}
    assert merge(Q, BASE, BASE, submitted) == submitted


def test_an_edit_that_raced_keeps_the_other_edits_changes_and_its_own():
    theirs = {**BASE, "contact": "Kim Lee, CTO", "onboarding": "partial"}
    mine = {**BASE, "work_definition": "roadmap", "onboarding": "contractor"}
    merged = merge(Q, BASE, theirs, mine)
    assert merged["contact"] == "Kim Lee, CTO"  # theirs, untouched by me
    assert merged["work_definition"] == "roadmap"  # mine
    assert merged["onboarding"] == "contractor"  # both changed it: the later edit wins


def test_a_merge_that_would_be_invalid_keeps_the_submitted_answers_whole():
    theirs = {**BASE, "need_shape": "skills", "skills": "Rails"}  # skills are required with need_shape=skills
    mine = {**BASE, "skills": None, "need_shape": "skills"}
    mine_cleared = {**BASE, "need_shape": "mixed", "skills": None}
    assert not Q.check_answers(mine_cleared)
    assert merge(Q, {**BASE, "need_shape": "skills", "skills": "Rails"}, theirs, mine_cleared) == mine_cleared
    assert merge(Q, BASE, theirs, mine)["skills"] == "Rails"


def test_changes_are_listed_in_question_order_as_the_form_shows_them():
    after = {**BASE, "work_definition": "roadmap", "contact": "x" * 80, "company": "Umbrella"}
    listed = changes(Q, BASE, after)
    wd = Q.question("work_definition")
    assert listed == [Change(Q.question("contact").label, "no answer", "“" + "x" * 60 + "…”"),
                      Change(wd.label, wd.option("exploring").label, wd.option("roadmap").label)]
    assert changes(Q, BASE, {**BASE, "contact": ""}) == []  # empty and unanswered are the same


def test_the_edit_form_preselects_exact_options_and_flags_what_no_longer_exists():
    form = prefill(Q, {**BASE, "timezone": "Antarctica/Troll"})
    view = QuestionnaireModal(Q).render_edit(prefill=form, flagged_labels=form.flagged, company="<!channel> Co",
                                             metadata={"triage_id": 3, "base": 2})
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    element = blocks["work_definition"]["element"]
    assert element["initial_option"] == next(o for o in element["options"] if o["value"] == "exploring")
    assert "initial_option" not in blocks["timezone"]["element"]
    assert blocks["timezone"]["hint"]["text"] == ("Answered “Antarctica/Troll” before, which is no longer an "
                                                  "option: choose again.")
    assert "&lt;!channel&gt; Co" in view["blocks"][0]["elements"][0]["text"]  # escaped: no ping
    assert view["private_metadata"] == '{"triage_id":3,"base":2}'
