"""Working-hour overlap between the client's team and the regions engineers could work from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WORKDAY_START = time(9, 0)
WORKDAY_END = time(17, 0)


@dataclass(frozen=True)
class Region:
    name: str
    timezone: str
    nearshore: bool


REGIONS: tuple[Region, ...] = (
    Region("Mexico City", "America/Mexico_City", nearshore=True),
    Region("Bogotá", "America/Bogota", nearshore=True),
    Region("São Paulo", "America/Sao_Paulo", nearshore=True),
    Region("Buenos Aires", "America/Argentina/Buenos_Aires", nearshore=True),
    Region("Eastern Europe (Bucharest)", "Europe/Bucharest", nearshore=False),
    Region("India (Bengaluru)", "Asia/Kolkata", nearshore=False),
    Region("Southeast Asia (Manila)", "Asia/Manila", nearshore=False),
)


@dataclass(frozen=True)
class Overlap:
    region: str
    timezone: str
    nearshore: bool
    hours: float


def _workday_utc(zone: str, day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, WORKDAY_START, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day, WORKDAY_END, tzinfo=tz).astimezone(UTC)
    return start, end


def overlap_hours(client_zone: str, engineer_zone: str, day: date) -> float:
    """Hours both sides are inside 9:00-17:00 local on the client's `day`.

    The engineer's workday is taken on the neighbouring dates too, so a zone across the date line
    still counts the overlap that falls on its next or previous calendar day.
    """
    client_start, client_end = _workday_utc(client_zone, day)
    best = timedelta(0)
    for shift in (-1, 0, 1):
        eng_start, eng_end = _workday_utc(engineer_zone, day + timedelta(days=shift))
        best = max(best, min(client_end, eng_end) - max(client_start, eng_start))
    return round(best.total_seconds() / 3600, 1)


def overlaps(client_zone: str, day: date) -> list[Overlap]:
    return [Overlap(r.name, r.timezone, r.nearshore, overlap_hours(client_zone, r.timezone, day)) for r in REGIONS]
