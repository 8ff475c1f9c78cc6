"""Small builders for domain objects, so each test states only what matters to its rule."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from automations.bootstrap import rules_from
from automations.config import Config
from automations.domain.checkins import activity_id
from automations.domain.model import Activity, Ambassador

LONDON = ZoneInfo("Europe/London")
RULES = rules_from(Config())


def ambassador(email: str = "ana@example.org", start: date = date(2024, 1, 10), status: str = "active",
               name: str = "Ana", row: int = 2) -> Ambassador:
    return Ambassador(email=email, name=name, country="Brazil", region="", university="", languages=("pt", "en"),
                      start_date=start, status=status, row=row)


FULL_EVENT = dict(goal="Grow the user group", registrations=40, attendees=30, hours=6.0)


def activity(day: date, received: datetime | None = None, email: str = "ana@example.org", kind: str = "event",
             title: str = "Meetup", row: int = 2, section: int = 1, reported_quarter: str = "",
             **metrics) -> Activity:
    if received is None:
        received = datetime(day.year, day.month, day.day, 18, 0, tzinfo=LONDON)
    values = dict(FULL_EVENT) if kind in ("event", "talk") and not metrics else metrics
    return Activity(id=activity_id(email, kind, title, day), email=email, kind=kind, title=title, date=day,
                    received_at=received, row=row, section=section, reported_quarter=reported_quarter, **values)


def at(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)
