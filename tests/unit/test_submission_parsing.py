"""A view_submission reaching a listener without the HTTP gate (Socket Mode): odd shapes read as unanswered."""

from bot.presentation.triage import parse_submission
from bot.triage import questionnaire

Q = questionnaire.load()


def test_blocks_and_options_of_the_wrong_type_are_unanswered():
    values = {
        "company": "Acme",
        "contact": {"answer": "Dana"},
        "leadership": {"answer": {"type": "radio_buttons", "selected_option": "nobody"}},
        "timezone": {"answer": {"type": "static_select", "selected_option": {"value": "America/Denver"}}},
    }
    answers = parse_submission(Q, values)
    assert (answers["company"], answers["contact"], answers["leadership"]) == (None, None, None)
    assert answers["timezone"] == "America/Denver"
