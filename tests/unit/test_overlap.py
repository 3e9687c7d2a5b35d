from datetime import date

import pytest

from bot.triage.overlap import overlap_hours


@pytest.mark.parametrize(("client", "engineer", "day", "hours"), [
    ("America/New_York", "America/Bogota", date(2026, 11, 28), 8),   # Bogotá is UTC-5 all year
    ("America/New_York", "America/Bogota", date(2026, 7, 1), 7),     # New York on daylight time
    ("America/Chicago", "America/Sao_Paulo", date(2026, 1, 15), 5),
    ("America/Los_Angeles", "America/Argentina/Buenos_Aires", date(2026, 1, 15), 3),
    ("America/New_York", "Asia/Kolkata", date(2026, 11, 28), 0),
    ("Europe/London", "Asia/Kolkata", date(2026, 11, 28), 2.5),      # half-hour zone
    ("Pacific/Honolulu", "Asia/Manila", date(2026, 11, 28), 2),      # Manila's next calendar day
    ("America/Chicago", "America/Chicago", date(2026, 3, 8), 8),     # DST change day
])
def test_overlap_hours(client, engineer, day, hours):
    assert overlap_hours(client, engineer, day) == hours
