"""When nudges go out: a due day from the start date, a local time of day, working days only.

All times are computed in the plan's timezone on the actual date, so a nudge set for 09:30 is at
09:30 local on both sides of a DST change, and stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SATURDAY = 5
FOLLOW_UP_AFTER = 2  # working days after a nudge with the item still open
ESCALATE_AFTER = 2  # further working days before the manager hears about it directly


def is_working_day(day: date) -> bool:
    return day.weekday() < SATURDAY


def due_day(start: date, offset: int) -> date:
    """start + offset days; a weekend moves to Monday, or to Friday for items due before day 1
    (so preparation never lands on the engineer's first day)."""
    day = start + timedelta(days=offset)
    step = timedelta(days=-1 if offset < 0 else 1)
    while not is_working_day(day):
        day += step
    return day


def add_working_days(day: date, count: int) -> date:
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def next_working_day(day: date) -> date:
    return add_working_days(day, 1)


def at_local(day: date, at: time, zone: str) -> datetime:
    """`at` on `day` in `zone`, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def nudge_at(start: date, offset: int, at: time, zone: str) -> datetime:
    return at_local(due_day(start, offset), at, zone)


def follow_up_at(nudged_day: date, at: time, zone: str) -> datetime:
    return at_local(add_working_days(nudged_day, FOLLOW_UP_AFTER), at, zone)


def escalate_at(nudged_day: date, at: time, zone: str) -> datetime:
    return at_local(add_working_days(nudged_day, FOLLOW_UP_AFTER + ESCALATE_AFTER), at, zone)


def snoozed_until(now: datetime, choice: str, at: time, zone: str) -> datetime:
    """'day': the next working day; 'week': seven days on (then the next working day); at the nudge time."""
    today = local_day(now, zone)
    if choice == "week":
        day = today + timedelta(days=7)
        while not is_working_day(day):
            day += timedelta(days=1)
    else:
        day = next_working_day(today)
    return at_local(day, at, zone)


def digest_days(start: date, last_offset: int) -> list[date]:
    """Mondays from the first week of the plan until a week after its last item."""
    first = start + timedelta(days=(7 - start.weekday()) % 7 or 7)
    end = start + timedelta(days=last_offset + 7)
    days = []
    while first <= end:
        days.append(first)
        first += timedelta(days=7)
    return days


def earliest_follow_up(nudged_at: datetime | None, now: datetime, at: time, zone: str) -> datetime:
    """A reminder goes out no sooner than FOLLOW_UP_AFTER working days after its nudge really went out
    (counting from today while the nudge hasn't): after downtime, an overdue nudge and its overdue
    reminder must not arrive together."""
    return follow_up_at(local_day(nudged_at or now, zone), at, zone)


def earliest_escalation(nudged_at: datetime | None, reminded_at: datetime | None, now: datetime, at: time,
                        zone: str) -> datetime:
    """The manager hears about an item no sooner than ESCALATE_AFTER working days after its reminder
    (and FOLLOW_UP_AFTER + ESCALATE_AFTER after its nudge)."""
    after_reminder = at_local(add_working_days(local_day(reminded_at or now, zone), ESCALATE_AFTER), at, zone)
    return max(escalate_at(local_day(nudged_at or now, zone), at, zone), after_reminder)
