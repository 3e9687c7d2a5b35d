from datetime import UTC, date, datetime, time

import pytest

from bot.onboarding import schedule

NINE_THIRTY = time(9, 30)


@pytest.mark.parametrize(("start", "offset", "expected"), [
    (date(2026, 12, 7), 0, date(2026, 12, 7)),     # Monday start, day 1
    (date(2026, 12, 7), 2, date(2026, 12, 9)),
    (date(2026, 12, 7), 5, date(2026, 12, 14)),    # Saturday -> Monday
    (date(2026, 12, 7), 6, date(2026, 12, 14)),    # Sunday -> Monday
    (date(2026, 12, 7), -1, date(2026, 12, 4)),    # Sunday before day 1 -> Friday, never day 1 itself
    (date(2026, 12, 7), -2, date(2026, 12, 4)),
    (date(2026, 12, 7), -3, date(2026, 12, 4)),
    (date(2026, 12, 7), -5, date(2026, 12, 2)),
    (date(2026, 12, 9), 30, date(2027, 1, 8)),
])
def test_due_day_offsets_and_weekends(start, offset, expected):
    assert schedule.due_day(start, offset) == expected


@pytest.mark.parametrize(("zone", "day", "utc_hour"), [
    ("America/Chicago", date(2027, 3, 12), 15),    # CST, UTC-6, Friday before the change
    ("America/Chicago", date(2027, 3, 15), 14),    # CDT, UTC-5, Monday after
    ("America/Chicago", date(2026, 11, 2), 15),    # back on CST the day after fall-back
    ("America/Sao_Paulo", date(2018, 10, 15), 12),  # UTC-3 before Brazil's last daylight time began
    ("America/Sao_Paulo", date(2018, 11, 15), 11),  # UTC-2 during it (it began on 4 Nov 2018)
    ("America/Sao_Paulo", date(2027, 1, 15), 12),   # UTC-3 all year since 2019
])
def test_local_time_is_kept_across_dst(zone, day, utc_hour):
    moment = schedule.at_local(day, NINE_THIRTY, zone)
    assert (moment.tzinfo, moment.hour, moment.minute) == (UTC, utc_hour, 30)


def test_a_plan_spanning_the_spring_change_keeps_nine_thirty_local():
    start = date(2027, 3, 1)  # Chicago switches to daylight time on 14 March 2027
    before, after = (schedule.nudge_at(start, offset, NINE_THIRTY, "America/Chicago") for offset in (10, 30))
    assert (before.hour, after.hour) == (15, 14)


def test_follow_up_and_escalation_count_working_days():
    friday = date(2026, 12, 11)
    assert schedule.follow_up_at(friday, NINE_THIRTY, "America/Chicago").date() == date(2026, 12, 15)
    assert schedule.escalate_at(friday, NINE_THIRTY, "America/Chicago").date() == date(2026, 12, 17)


def test_after_downtime_a_reminder_waits_for_its_nudge_to_have_been_out_two_working_days():
    zone, monday = "America/Chicago", datetime(2026, 12, 14, 16, 0, tzinfo=UTC)  # 10:00 in Chicago
    nudged_last_week = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
    # Sent long enough ago: the overdue reminder may go now.
    assert schedule.earliest_follow_up(nudged_last_week, monday, NINE_THIRTY, zone) < monday
    # The nudge only goes out now (it was due during the downtime): the reminder waits until Wednesday.
    assert schedule.earliest_follow_up(None, monday, NINE_THIRTY, zone) == datetime(2026, 12, 16, 15, 30, tzinfo=UTC)
    # The manager hears two working days after the reminder, however long ago the nudge was.
    reminded_now = monday
    assert schedule.earliest_escalation(nudged_last_week, reminded_now, monday, NINE_THIRTY, zone) == \
        datetime(2026, 12, 16, 15, 30, tzinfo=UTC)
    assert schedule.earliest_escalation(None, None, monday, NINE_THIRTY, zone) == \
        datetime(2026, 12, 18, 15, 30, tzinfo=UTC)


def test_a_plan_spanning_sao_paulos_2018_change_keeps_nine_thirty_local():
    start = date(2018, 10, 22)
    before, after = (schedule.nudge_at(start, offset, NINE_THIRTY, "America/Sao_Paulo") for offset in (0, 30))
    assert (before.hour, after.hour) == (12, 11)


def test_moving_the_start_date_moves_every_due_day():
    items = [-5, 0, 2, 30, 90]
    old = [schedule.due_day(date(2026, 12, 7), o) for o in items]
    new = [schedule.due_day(date(2026, 12, 14), o) for o in items]
    assert [(n - o).days for o, n in zip(old, new, strict=True)] == [7, 7, 7, 7, 7]


@pytest.mark.parametrize(("now", "choice", "expected"), [
    (datetime(2026, 12, 11, 16, 0, tzinfo=UTC), "day", datetime(2026, 12, 14, 15, 30, tzinfo=UTC)),   # Fri -> Mon
    (datetime(2026, 12, 9, 16, 0, tzinfo=UTC), "day", datetime(2026, 12, 10, 15, 30, tzinfo=UTC)),
    (datetime(2026, 12, 9, 16, 0, tzinfo=UTC), "week", datetime(2026, 12, 16, 15, 30, tzinfo=UTC)),
    (datetime(2026, 12, 12, 16, 0, tzinfo=UTC), "week", datetime(2026, 12, 21, 15, 30, tzinfo=UTC)),  # Sat+7 -> Mon
    # 04:00 UTC on Tuesday is still Monday evening in Chicago: "tomorrow" is Tuesday.
    (datetime(2026, 12, 8, 4, 0, tzinfo=UTC), "day", datetime(2026, 12, 8, 15, 30, tzinfo=UTC)),
])
def test_snooze(now, choice, expected):
    assert schedule.snoozed_until(now, choice, NINE_THIRTY, "America/Chicago") == expected


def test_digest_mondays_cover_the_plan():
    days = schedule.digest_days(date(2026, 12, 9), 90)
    assert days[0] == date(2026, 12, 14)
    assert all(d.weekday() == 0 for d in days)
    assert days[-1] <= date(2026, 12, 9) + schedule.timedelta(days=97) < days[-1] + schedule.timedelta(days=7)
