"""What `/fit …` asks for: a subcommand, a near miss of one, or a company to triage.

Pure, so the rules are table-tested: subcommands match as people type them (`onboarding`, `plan`,
`help me`); one word that is close to a subcommand but not one gets a "did you mean"; anything else,
and anything in quotes, is a company name.
"""

from __future__ import annotations

from dataclasses import dataclass

TRIAGE, DIAGNOSE, ONBOARD, PLANS, HISTORY, HELP = "triage", "diagnose", "onboard", "plans", "history", "help"
DID_YOU_MEAN = "did_you_mean"
# The words each subcommand answers to, the first being the one to suggest.
WORDS = {
    DIAGNOSE: ("diagnose", "diagnosis"),
    ONBOARD: ("onboard", "onboarding"),
    PLANS: ("plans", "plan"),
    HISTORY: ("history",),
    HELP: ("help", "?", "-h", "--help"),
}
# Subcommands that take the rest of the text as a company name; the others stand alone.
TAKES_COMPANY = {DIAGNOSE, ONBOARD, HISTORY}
QUOTES = {'"': '"', "“": "”", "'": "'", "‘": "’"}
SHORTEST_TYPO = 5  # shorter words ("Helm", "Plat") are too often real names to second-guess


@dataclass(frozen=True)
class Command:
    action: str
    company: str = ""
    suggestion: str | None = None  # for DID_YOU_MEAN: the subcommand word the user probably meant


def parse(text: str) -> Command:
    text = text.strip()
    if len(text) >= 2 and QUOTES.get(text[0]) == text[-1]:
        return Command(TRIAGE, text[1:-1].strip())
    first, _, rest = text.partition(" ")
    word, rest = first.lower(), rest.strip()
    for action, words in WORDS.items():
        if word in words:
            if action == HELP:
                return Command(HELP)
            if action in TAKES_COMPANY or not rest:
                return Command(action, _unquoted(rest))
            return Command(TRIAGE, text)  # "Plan B Consulting" is a company
    if not rest and word.isalpha() and len(word) >= SHORTEST_TYPO:
        allowed = 2 if len(word) >= 8 else 1
        for words in WORDS.values():
            if any(_typos(word, w) <= allowed for w in words if w.isalpha()):
                return Command(DID_YOU_MEAN, text, suggestion=words[0])
    return Command(TRIAGE, text)


def _unquoted(text: str) -> str:
    return text[1:-1].strip() if len(text) >= 2 and QUOTES.get(text[0]) == text[-1] else text


def _typos(a: str, b: str) -> int:
    """Edits between two words, a swap of neighbouring letters counting as one (optimal string alignment)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]
