"""The domain's records as plain tuples (str, int, float, None), for the work cache.

`marshal` turns lists of these into bytes and back in C, many times faster than pickling the
dataclasses; dates are ordinals and instants POSIX timestamps, rebuilt in the program's zone.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .model import Activity, Checkin, Problem

#: A record as a plain tuple for marshal: its fields in the record's order, of the record's own field types (so
#: a row is as varied as its record; the record built from it is what is typed).
Row = tuple[Any, ...]


def activity_row(a: Activity) -> Row:
    return (a.id, a.email, a.kind, a.title, a.date.toordinal(), a.received_at.timestamp(), a.row, a.section,
            a.reported_quarter, a.link, a.goal, a.audience, a.description, a.registrations, a.attendees, a.views,
            a.engagements, a.reshares, a.hours)


class Decoder:
    """Rebuilds records; dates and instants repeat a lot, so each is made once."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz
        self._days: dict[int, date] = {}
        self._instants: dict[float, datetime] = {}

    def day(self, ordinal: int) -> date:
        d = self._days.get(ordinal)
        if d is None:
            d = self._days[ordinal] = date.fromordinal(ordinal)
        return d

    def instant(self, ts: float) -> datetime:
        d = self._instants.get(ts)
        if d is None:
            d = self._instants[ts] = datetime.fromtimestamp(ts, self.tz)
        return d

    def activity(self, t: Row) -> Activity:
        return Activity(t[0], t[1], t[2], t[3], self.day(t[4]), self.instant(t[5]), *t[6:])

    def checkin(self, t: Row) -> Checkin:
        return Checkin(t[0], self.instant(t[1]), t[2], t[3], t[4])


def checkin_row(c: Checkin) -> Row:
    return (c.email, c.received_at.timestamp(), c.row, c.reported_quarter, c.activities)


def problem_row(p: Problem) -> Row:
    return (p.source, p.row, p.column, p.value, p.reason, p.email)


def problem(t: Row) -> Problem:
    return Problem(*t)


def pack(value: Any) -> bytes:  # anything marshal takes (typeshed names that type privately)
    return marshal.dumps(value)


def unpack(data: bytes | None, default: Any = None) -> Any:
    if data is None:
        return default
    try:
        return marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return default


def problems_of(rows: Iterable[Row]) -> list[Problem]:
    return [Problem(*t) for t in rows]
