"""How `/fit …` is read: subcommands as people type them, near misses, and everything else a company."""

import pytest

from bot.command_words import DIAGNOSE, DID_YOU_MEAN, HELP, HISTORY, ONBOARD, PLANS, TRIAGE, Command, parse


@pytest.mark.parametrize(("text", "expected"), [
    ("Acme Corp", Command(TRIAGE, "Acme Corp")),
    ("", Command(TRIAGE, "")),
    ("help", Command(HELP)),
    ("help me", Command(HELP)),
    ("HELP", Command(HELP)),
    ("?", Command(HELP)),
    ("onboard", Command(ONBOARD)),
    ("onboarding", Command(ONBOARD)),
    ("Onboard Acme Corp", Command(ONBOARD, "Acme Corp")),
    ("plan", Command(PLANS)),
    ("plans", Command(PLANS)),
    # A subcommand that stands alone followed by more words is a company's name.
    ("Plan B Consulting", Command(TRIAGE, "Plan B Consulting")),
    ("diagnose", Command(DIAGNOSE)),
    ("diagnosis Globex", Command(DIAGNOSE, "Globex")),
    ('diagnose "Plan B"', Command(DIAGNOSE, "Plan B")),
    ("history", Command(HISTORY)),
    ("History Café Ñandú", Command(HISTORY, "Café Ñandú")),
    # One word close to a subcommand: probably a typo.
    ("onbord", Command(DID_YOU_MEAN, "onbord", "onboard")),
    ("plnas", Command(DID_YOU_MEAN, "plnas", "plans")),
    ("daignose", Command(DID_YOU_MEAN, "daignose", "diagnose")),
    ("histroy", Command(DID_YOU_MEAN, "histroy", "history")),
    # Not close enough, or more than one word: a company.
    ("Helm", Command(TRIAGE, "Helm")),
    ("hlep", Command(TRIAGE, "hlep")),  # too short to second-guess
    ("Plaid", Command(TRIAGE, "Plaid")),
    ("Plant", Command(DID_YOU_MEAN, "Plant", "plans")),
    ("Planet", Command(TRIAGE, "Planet")),
    ("onbord labs", Command(TRIAGE, "onbord labs")),
    # Quotes make anything a company, even a subcommand's word.
    ('"Plans"', Command(TRIAGE, "Plans")),
    ("“Help Scout”", Command(TRIAGE, "Help Scout")),
])
def test_what_fit_is_asked(text, expected):
    assert parse(text) == expected
