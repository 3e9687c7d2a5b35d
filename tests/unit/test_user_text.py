"""Names and answers are kept whole: only control characters, and the controls that reorder text, go."""

from bot.triage import questionnaire
from bot.user_text import BROKEN, clean, is_broken

Q = questionnaire.load()


def test_control_characters_go_and_everything_else_stays():
    assert clean("  Dana\x00 Ruiz\x1b  ") == "Dana Ruiz"
    assert clean("line one\nline\ttwo") == "line one\nline\ttwo"
    coder = "\U0001F469\U0001F3FD\u200d\U0001F4BB"  # woman technologist, medium skin tone: three parts and a ZWJ
    assert clean(f"{coder} Labs") == f"{coder} Labs"
    assert clean("\u2764\ufe0f Co") == "\u2764\ufe0f Co"  # heart with its emoji variation selector
    assert clean("\u200fשלום\u200e Ltd") == "\u200fשלום\u200e Ltd"  # right-to-left and left-to-right marks


def test_bidirectional_overrides_that_disguise_a_name_go():
    assert clean("Acme\u202egnp.exe") == "Acmegnp.exe"  # would display as "Acmeexe.png"
    assert clean("\u2066Globex\u2069 \u202aInc\u202c") == "Globex Inc"


def test_a_lone_surrogate_is_refused_inline_not_dropped():
    broken = "Acme \ud83d"
    assert is_broken(broken) and not is_broken("Acme \U0001F600")
    assert Q.check_answers({"company": broken})["company"] == BROKEN
