"""Text people type, as fitbot stores it: whole, but without what would break storage or Slack."""

from __future__ import annotations

import unicodedata

KEPT_CONTROLS = "\n\t"
BROKEN = "This has a broken character (half of an emoji or symbol). Retype that part and try again."


def clean(text: str) -> str:
    """Control characters dropped (a NUL breaks PostgreSQL), ends trimmed, and nothing else touched.

    Format characters stay: the zero-width joiner that builds 👩🏽‍💻, variation selectors, and the
    right-to-left and left-to-right marks that keep a Hebrew or Arabic name readable.
    """
    return "".join(ch for ch in text if ch in KEPT_CONTROLS or unicodedata.category(ch) != "Cc").strip()


def is_broken(text: str) -> bool:
    """Whether `text` holds a lone surrogate: JSON can carry one, but no database or Slack can store it."""
    return any(unicodedata.category(ch) == "Cs" for ch in text)
