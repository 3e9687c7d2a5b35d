"""`fitbot export triages|plans`: every row as CSV or JSON on standard output, for reporting.

Rows are written as they arrive from the database (storage.export streams them), so memory stays flat
whatever the number of rows. JSON is one array, written an element at a time.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TextIO


def write(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], fmt: str, out: TextIO) -> int:
    """Write `rows` (only `columns`, in that order) as csv or json; return how many were written."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(row[c]) for c in columns])
            count += 1
        return count
    out.write("[")
    for row in rows:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps({c: _json_value(row[c]) for c in columns}, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


# A spreadsheet runs a cell that starts with one of these as a formula: a company typed as
# `=HYPERLINK(…)` in Slack must open as text (OWASP's advice for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value: Any) -> Any:
    """Dates as ISO 8601, answers (a mapping) as JSON text, nothing as an empty field, and text that a
    spreadsheet would run as a formula behind a leading apostrophe."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else _json_value(value)
