"""How company names are matched: "Café Ñandú", "cafe nandu" and "CAFÉ  ÑANDÚ" are one company.

Every row that names a company stores this key next to the name as typed, so finding a company's
history is an indexed lookup however many rows are stored.
"""

from __future__ import annotations

import unicodedata

KEY_LENGTH = 200


def company_key(name: str) -> str:
    """Accents and case dropped, runs of spaces made one; letters without a plain form (ß, ø) case-folded."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())[:KEY_LENGTH]
