"""When a scheduled job runs: the cadence grammar of `schedule.jobs`, and the catch-up rule.

A cadence is one short English phrase, read case-insensitively:

    every day at 06:30          every monday at 07:00       (a time of day in schedule.timezone)
    every hour                  every hour at :15           every 2 hours
    every minute                every 15 minutes

Pure functions only: `parse` turns a phrase into a `Cadence` (or a `CadenceError` saying
what is wrong), `latest_slot` finds the last moment a fixed cadence fell due before a given time,
and `missed` applies the catch-up rule to what the scheduler recorded. The clock is always an
argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

EXAMPLES = "'every day at 06:30', 'every monday at 07:00', 'every hour at :15', 'every 2 hours', 'every 15 minutes'"

_AT_TIME = r"(?:\s+at\s+(?P<hh>\d{1,2}):(?P<mm>\d{2}))"
_PATTERNS = (
    re.compile(rf"every\s+(?P<day>day|{'|'.join(WEEKDAYS)}){_AT_TIME}?"),
    re.compile(r"every\s+hour(?:\s+at\s+:(?P<minute>\d{2}))?"),
    re.compile(r"every\s+(?P<n>\d+)\s+(?P<unit>hours|minutes)"),
    re.compile(r"every\s+minute"),
)


@dataclass(frozen=True)
class Cadence:
    """A parsed cadence. `unit` is `days`, `weeks`, `hours` or `minutes` (the `schedule` library's
    units); `weekday` is set for weekly cadences; `at` is the time of day (days, weeks) or the minute
    past the hour (hours, as `time(0, MM)`); `interval` counts units between runs."""

    text: str
    unit: str
    interval: int = 1
    weekday: str | None = None
    at: time | None = None

    @property
    def fixed(self) -> bool:
        """True when the cadence has slots on the clock (06:30, Mondays 07:00, :15 past each hour);
        False for a plain interval, which counts from the scheduler's start."""
        return self.at is not None

    @property
    def period(self) -> timedelta:
        return timedelta(**{self.unit: self.interval})


class CadenceError(ValueError):
    """A phrase that is not a cadence; `reason` completes "the cadence '...', which ..."."""

    def __init__(self, text: str, reason: str):
        super().__init__(f"{text!r} {reason}")
        self.text = text
        self.reason = reason


def parse(text: str) -> Cadence:
    """The cadence `text` names, or CadenceError saying why it is not one (the examples included)."""
    phrase = " ".join(str(text).strip().lower().split())
    for pattern in _PATTERNS:
        m = pattern.fullmatch(phrase)
        if m:
            return _build(str(text), phrase, m.groupdict())
    raise CadenceError(str(text), f"is not a cadence this version reads (write one like {EXAMPLES})")


def _build(text: str, phrase: str, g: dict[str, str | None]) -> Cadence:
    def part(name: str) -> str:
        """A group the matching pattern fills together with the one tested (None would be a bug in the pattern)."""
        value = g.get(name)
        if value is None:
            raise CadenceError(text, f"is not a cadence this version reads (its {name} is missing)")
        return value

    if g.get("day"):
        if g.get("hh") is None:
            raise CadenceError(text, f"needs a time of day, like '{phrase} at 06:30'")
        hh, mm = int(part("hh")), int(part("mm"))
        if hh > 23 or mm > 59:
            raise CadenceError(text, "names a time that does not exist (hours 00-23, minutes 00-59)")
        day = part("day")
        if day == "day":
            return Cadence(phrase, "days", at=time(hh, mm))
        return Cadence(phrase, "weeks", weekday=day, at=time(hh, mm))
    if g.get("minute") is not None:
        mm = int(part("minute"))
        if mm > 59:
            raise CadenceError(text, "names a minute past the hour that does not exist (00-59)")
        return Cadence(phrase, "hours", at=time(0, mm))
    if g.get("unit"):
        unit, n = part("unit"), int(part("n"))
        if n < 1:
            raise CadenceError(text, f"must count at least 1 {unit[:-1]}")
        return Cadence(phrase, unit, interval=n)
    return Cadence(phrase, "hours" if phrase.startswith("every hour") else "minutes")


def latest_slot(cadence: Cadence, now: datetime) -> datetime | None:
    """The last moment at or before `now` (an aware datetime in the schedule's zone) at which a fixed
    cadence fell due; None for an interval cadence, which has no slots on the clock."""
    at = cadence.at
    if at is None:
        return None
    if cadence.unit == "hours":
        slot = now.replace(minute=at.minute, second=0, microsecond=0)
        return slot if slot <= now else slot - timedelta(hours=1)
    day = now.date()
    if cadence.unit == "weeks":
        day -= timedelta(days=(day.weekday() - WEEKDAYS.index(cadence.weekday)) % 7)
    step = timedelta(days=7 if cadence.unit == "weeks" else 1)
    slot = datetime.combine(day, at, tzinfo=now.tzinfo)
    while slot > now:
        day -= step
        slot = datetime.combine(day, at, tzinfo=now.tzinfo)
    return slot


def missed(cadence: Cadence, last_start: datetime | None, now: datetime) -> bool:
    """The catch-up rule: did a run fall due while no run happened? A fixed cadence missed a run when
    its latest slot came after the last recorded start; an interval cadence when a whole interval
    has passed since it. A job with no recorded start (the scheduler's first start, or a job just
    added) missed nothing: it waits for its first slot."""
    if last_start is None:
        return False
    slot = latest_slot(cadence, now)
    if slot is None:
        return now - last_start >= cadence.period
    return slot > last_start
