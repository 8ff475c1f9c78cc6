"""How a date or timestamp is written (`written`, `Written`), before its day/month order is known; the dates the
program reads at all (`in_range`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta, timezone
from functools import lru_cache

ORDER_WORDS = {"dmy": "day first (31/12/2026)", "mdy": "month first (12/31/2026)", "ymd": "year first (2026-12-31)"}

_MOMENT = re.compile(r"""
    ^\s*(?P<a>\d{1,4})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})\.?
    (?:(?:\s+|T|,\s*)
       (?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?
       (?:\s*(?P<ampm>[AaPp])\.?\s?[Mm]\.?)?
       (?:\s*(?P<zone>Z|[+\-\u2212]\d{2}:?\d{2}|(?:GMT|UTC)(?:\s?[+\-\u2212]\d{1,2}(?::?\d{2})?)?|[A-Z]{2,5}))?
    )?\s*$""", re.VERBOSE)
# The shapes nearly every row of a sheet has, read without building a `Written` (a form has one timestamp a row):
# "20/12/2025 07:53:01", "4/11/2026 12:33:18", "07.02.2025 00:13:31", "20/12/2025 07:53".
_COMMON = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})[ ](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_OFFSET = re.compile(r"^(?:GMT|UTC)?\s?([+\-\u2212])(\d{1,2})(?::?(\d{2}))?$")


@dataclass(frozen=True, slots=True)
class Written:
    """A date (and maybe a time) as written, before the day/month order is known."""

    a: int
    b: int
    c: int
    year_first: bool
    time: tuple[int, int, int, int] | None  # hour (24 h), minute, second, microsecond
    zone: str  # "" (none), "UTC", an offset "+01:00", or an abbreviation ("CET")
    clock_error: str = ""  # a time that cannot be (25:00, 13 PM), said as the end of a sentence

    def orders(self) -> tuple[str, ...]:
        """The orders in which this value is a real date (`c` is the year, two-digit years already widened)."""
        if self.year_first:
            return ("ymd",) if _valid(self.a, self.b, self.c) else ()
        out = []
        if _valid(self.c, self.b, self.a):
            out.append("dmy")
        if _valid(self.c, self.a, self.b):
            out.append("mdy")
        return tuple(out)

    def day(self, order: str) -> date:
        if self.year_first:
            return date(self.a, self.b, self.c)
        if order not in ("dmy", "mdy"):
            raise ValueError("is not written year first (like 2026-08-14), as checkin_form.date_order (ymd) says")
        return date(self.c, self.b, self.a) if order == "dmy" else date(self.c, self.a, self.b)


#: The dates the program reads in people's and staff's data (docs/commands.md, "Dates the program reads"): a year-9999 or
#: year-1 date is a data problem of its row, never a crash of the date arithmetic that follows.
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2199, 12, 31)
OUT_OF_RANGE = f"is outside the dates the program reads ({EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()})"


def in_range(day: date) -> date:
    """`day`, or ValueError (OUT_OF_RANGE) when it lies outside EARLIEST_DATE .. LATEST_DATE."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(OUT_OF_RANGE)
    return day


def _valid(y: int, m: int, d: int) -> bool:
    if not EARLIEST_DATE.year <= y <= LATEST_DATE.year:  # "0026" is a typing slip, not the year 26
        return False
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=65536)
def written(text: str) -> Written | None:
    """The parts of a date or timestamp in any shape this module reads; None if it is none of them."""
    m = _MOMENT.match(text)
    if not m:
        return None
    g = m.group
    a_text = g("a")
    year_first = len(a_text) == 4
    c_text = g("c")
    if not year_first and len(c_text) not in (2, 4):
        return None
    if year_first and len(c_text) > 2:
        return None
    # A two-digit year (Excel's short dates) is this century's; a four-digit one is as written (0026 is no year).
    year = 2000 + int(c_text) if not year_first and len(c_text) == 2 else int(c_text)
    clock = None
    error = ""
    if g("h") is not None:
        hour, minute = int(g("h")), int(g("mi"))
        second = int(g("s") or 0)
        micro = int((g("f") or "0")[:6].ljust(6, "0"))
        ampm = (g("ampm") or "").lower()
        if ampm:
            if not 1 <= hour <= 12:
                error = f"has the hour {hour} on a 12-hour clock"
            hour = hour % 12 + (12 if ampm == "p" else 0)
        if not error and (hour > 23 or minute > 59 or second > 59):
            error = "has a time of day that does not exist"
        clock = (hour, minute, second, micro) if not error else (0, 0, 0, 0)
    zone = _zone(g("zone") or "")
    if zone == "?":
        error = error or "has a time zone offset that does not exist"
    return Written(int(a_text), int(g("b")), year, year_first, clock, zone, error)


def _zone(raw: str) -> str:
    if not raw:
        return ""
    if raw in ("Z", "GMT", "UTC"):
        return "UTC"
    m = _OFFSET.match(raw)
    if m:
        sign = "-" if m.group(1) in "-\u2212" else "+"
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes > 59:
            return "?"  # no place on Earth is that far from UTC
        return f"{sign}{hours:02d}:{minutes:02d}"
    return raw  # an abbreviation


def _offset(zone: str) -> timezone:
    sign = -1 if zone[0] == "-" else 1
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
