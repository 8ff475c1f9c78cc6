"""The calendar renderer: a message's deadlines as an iCalendar file (RFC 5545), drawn with `icalendar`.

One VCALENDAR published to its reader (METHOD:PUBLISH: no invitation, no reply expected), with the program's time
zone as a VTIMEZONE always in it (made from the zone database by `icalendar.Timezone.from_tzid`, covering the
year before the first deadline to the year after the last), and one VEVENT per deadline:

- a deadline (the check-in window's close, an invoice's due day, a referral's answer-by day, a blog stage's due
  day) is the last hour of its day in the program's zone (23:00 to midnight, with the zone's TZID). The program
  counts a response received at any time of that day, in its zone, and not one after it: an all-day entry would
  float to the reader's own day, which in the Americas ends hours after the window has closed. The hour shows
  in each reader's zone, on the day the mail names where they live near the program;
- an event (a funding request's event day) is a whole day (VALUE=DATE): no time of it is known.

Entries are TRANSPARENT (they block no time); each alarm (VALARM, DISPLAY) rings at 09:00 in the program's zone so
many days before. Text goes in as values: icalendar escapes line breaks, commas and semicolons, and folds long
lines, so a title holding `BEGIN:VEVENT` or a line break stays inside its SUMMARY; invisible format characters
(bidi overrides, zero-width characters) are taken out first. A link becomes the URL property only when it is one
token of URI characters; it is in the DESCRIPTION, as text, either way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone

from ...domain.calendar import CalendarEntry
from ...domain.values import shown

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[!#$%&'()*+,./0-9:;=?@A-Z\[\]_a-z~-]+")
_ALARM_HOUR = 9
_DEADLINE_HOUR = 23


@lru_cache(maxsize=32)
def _timezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The zone's VTIMEZONE over these years (slow to make: kept per run and process)."""
    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year, 12, 31))


class IcsCalendarRenderer:
    name = "icalendar"
    content_type = "text/calendar; charset=utf-8; method=PUBLISH"

    def __init__(self, tzid: str, program: str):
        self.tzid = tzid
        self.zone = ZoneInfo(tzid)
        # PRODID names the program; "//" separates PRODID's parts, so the name holds none.
        self.prodid = f"-//{shown(program).replace('/', ' ') or 'Ambassador Program'}//automations//EN"

    def render(self, entries: Sequence[CalendarEntry], stamp: datetime) -> bytes:
        if not entries:
            raise ValueError("a calendar file needs at least one entry")
        cal = Calendar()
        cal.add("prodid", self.prodid)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        days = [e.deadline.day for e in entries]
        cal.add_component(_timezone(self.tzid, min(days).year - 1, max(days).year + 1))
        for e in entries:
            cal.add_component(self._event(e, stamp.astimezone(UTC)))
        return cal.to_ical()

    def _event(self, entry: CalendarEntry, stamp: datetime) -> Event:
        d = entry.deadline
        ev = Event()
        ev.add("uid", entry.uid)
        ev.add("sequence", entry.sequence)
        ev.add("dtstamp", stamp)
        if d.all_day:
            ev.add("dtstart", d.day)
            ev.add("dtend", d.day + timedelta(days=1))
            start_hour = 0
        else:
            ev.add("dtstart", datetime.combine(d.day, time(_DEADLINE_HOUR), self.zone))
            ev.add("dtend", datetime.combine(d.day + timedelta(days=1), time(0), self.zone))
            start_hour = _DEADLINE_HOUR
        summary = shown(entry.summary)
        ev.add("summary", summary)
        link = shown(d.link)
        ev.add("description", "\n\n".join(p for p in (shown(entry.description, lines=True), link) if p))
        if link and _URI.fullmatch(link):
            ev.add("url", link)
        ev.add("transp", "TRANSPARENT")
        for days in sorted(set(d.alarm_days), reverse=True):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            # Relative to the start: 09:00 in the program's zone, `days` days before the deadline's day.
            alarm.add("trigger", -timedelta(days=days, hours=start_hour - _ALARM_HOUR))
            ev.add_component(alarm)
        return ev
