"""Text people type, as fitbot stores it: whole, but without what would break storage or Slack."""

from __future__ import annotations

import unicodedata

KEPT_CONTROLS = "\n\t"
# Bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069) reorder the text around
# them: "Acme\u202egnp.exe" displays as "Acmeexe.png". The marks (U+200E, U+200F) only hint a direction.
REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
BROKEN = "This has a broken character (half of an emoji or symbol). Retype that part and try again."


def clean(text: str) -> str:
    """Control characters dropped (a NUL breaks PostgreSQL), and the bidirectional controls that reorder
    what is shown (REORDERING), ends trimmed, and nothing else touched.

    Other format characters stay: the zero-width joiner that builds 👩🏽‍💻, variation selectors, and the
    right-to-left and left-to-right marks that keep a Hebrew or Arabic name readable.
    """
    return "".join(ch for ch in text if ch in KEPT_CONTROLS
                   or (unicodedata.category(ch) != "Cc" and ch not in REORDERING)).strip()


def is_broken(text: str) -> bool:
    """Whether `text` holds a lone surrogate: JSON can carry one, but no database or Slack can store it."""
    return any(unicodedata.category(ch) == "Cs" for ch in text)
