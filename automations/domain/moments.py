"""Dates and timestamps as Google Forms, Google Sheets and spreadsheet re-saves write them.

One reading for every shape a response file may hold: the Forms download's
`2022/11/30 10:39:41 PM GMT+1`, a linked sheet's CSV in any locale (`4/11/2026 12:33:18`,
`16/05/2025 14:11:48`, `07.02.2025 00:13:31`, `2025-02-07 00:13:31`), an Excel re-save without
seconds (`20/12/2025 07:53`), ISO 8601 with `T`, `Z` or an offset. Fields may be unpadded; the
separator may be `/`, `-` or `.`; the clock 12- or 24-hour; the seconds and a fraction optional.

A year written first settles itself (year, month, day). Otherwise the day and the month may come in
either order, and that order is decided once **per source, never per cell** (`DayOrder`): from what
the source says of itself (a spreadsheet's locale), else from the values (a day over 12 settles it),
else from `checkin_form.date_order`; when nothing settles it the run stops with one sentence naming
that key. A value that reads only in the other order than the one decided is a source written two
ways: that stops the run too, naming both values. One column is never read two ways.

An offset written in the value (`GMT+1`, `Z`, `+02:00`) is honoured; a zone abbreviation (`CET`,
`EST`) is read in the configured zone when it is that zone's abbreviation at that moment, and is
a problem of the cell otherwise; no suffix means wall-clock time in the configured zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from ..errors import InputError

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


def where_of(place) -> str:
    """A cell's place in words: given as text, or (cheaper for every cell of a big file) as (row, column)."""
    if isinstance(place, tuple):
        return f"row {place[0]}, column '{place[1]}'"
    return place


class Unsettled(Exception):
    """A value that reads in two orders, before the source's order is decided."""


@dataclass
class DayOrder:
    """The day/month order of one source, decided once for all its date and timestamp cells.

    `told`: what the source says of itself ("mdy" from an en_US spreadsheet's locale), with `told_by`
    (the words naming it). `configured`: `checkin_form.date_order` ("" when not set). `where`: the
    source, for messages. Until an order is decided, `observe` takes values one by one.

    The machine-written Timestamp column decides: its first value that reads in one order only settles
    the source (and must agree with `told` or `configured`); one that reads only the other way later is
    a source written two ways, and stops the run. Answers people type (the activity dates) follow the
    source's order: one that reads only the other way is a problem of its cell, never a reason to stop
    nor to read the timestamps another way. Only when no timestamp says anything of day and month (all
    written year first, as Google's download writes them) do the answers' own values decide, provided
    they agree with each other."""

    where: str
    told: str = ""
    told_by: str = ""
    configured: str = ""
    key: str = "checkin_form.date_order"
    order: str = ""
    evidence: str = ""  # the value (and its place) that decided the order
    ambiguous: str = ""  # the first timestamp seen that reads both ways (and its place)
    typed: dict = field(default_factory=dict)  # order -> the first typed answer reading only that way
    typed_count: dict = field(default_factory=dict)  # order -> how many typed answers read only that way
    typed_total: int = 0  # typed answers seen (that look like a date with day and month)
    typed_ambiguous: str = ""

    def __post_init__(self) -> None:
        if self.told:
            self.order = self.told
            self.evidence = self.told_by

    @property
    def settled(self) -> bool:
        return bool(self.order)

    def observe(self, raw: str, place: str, typed: bool = False) -> None:
        """Look at one value (a timestamp, or with `typed` an answer a person typed; `place` names its row and
        column)."""
        w = written(raw.strip()) if raw else None
        if w is None or w.year_first:
            return
        orders = w.orders()
        shown = f"'{raw.strip()}' ({place})"
        if typed:
            self.typed_total += 1
            if len(orders) == 2:
                self.typed_ambiguous = self.typed_ambiguous or shown
            elif len(orders) == 1:
                self.typed.setdefault(orders[0], shown)
                self.typed_count[orders[0]] = self.typed_count.get(orders[0], 0) + 1
            return
        if len(orders) == 2:
            self.ambiguous = self.ambiguous or shown
        elif len(orders) == 1:
            self.check(orders[0], raw, place)

    def check(self, only: str, raw: str, place) -> None:
        """A timestamp that reads in the order `only` and no other: it decides the order, or must agree with it."""
        shown = f"'{raw.strip()}' ({where_of(place)})"
        if not self.order:
            self._decide(only, shown)
            return
        if only != self.order:
            if self.told:
                raise InputError(
                    f"{shown} in {self.where} reads only {ORDER_WORDS[only]}, but the source writes dates "
                    f"{ORDER_WORDS[self.order]} ({self.told_by}): the file holds dates written two ways; nothing "
                    f"was read; make that cell agree with the others.")
            raise InputError(
                f"{self.where} holds dates written two ways: {self.evidence} reads only {ORDER_WORDS[self.order]}, "
                f"{shown} only {ORDER_WORDS[only]} (a file pasted together from two locales?); nothing was read; "
                f"make them one order.")

    def _decide(self, only: str, shown: str) -> None:
        if self.configured and self.configured != only:
            raise InputError(
                f"The dates in {self.where} are written {ORDER_WORDS[only]}, as {shown} shows, but {self.key} "
                f"says {self.configured}: nothing was read; set {self.key} to {only} (or leave it empty to "
                f"settle it from the data).")
        self.order = only
        self.evidence = shown

    def _typed_say(self) -> str:
        """The order the typed answers clearly write ("" when they do not): at least two of them, a fifth of
        all, read only that way, and next to none only the other way (a person or two typing otherwise)."""
        if not self.typed_count:
            return ""
        best = max(self.typed_count, key=self.typed_count.get)
        n = self.typed_count[best]
        other = sum(c for o, c in self.typed_count.items() if o != best)
        return best if n >= 2 and n >= 0.2 * self.typed_total and other <= 0.1 * n else ""

    def finish(self) -> None:
        """At the end of the values: decide from the typed answers (when no timestamp could), from
        configuration, or stop when nothing settles the order."""
        if self.order:
            return
        said = self._typed_say()
        if not self.ambiguous and said:
            self._decide(said, self.typed[said])
            return
        if self.configured:
            if said and said != self.configured:
                raise InputError(
                    f"The date answers in {self.where} are written {ORDER_WORDS[said]} ({self.typed_count[said]} "
                    f"of them read only that way, e.g. {self.typed[said]}), but {self.key} says {self.configured} "
                    f"and no timestamp tells otherwise: nothing was read; set {self.key} to {said}.")
            self.order = self.configured
            self.evidence = self.key
            return
        if self.ambiguous or self.typed_ambiguous:
            raise InputError(
                f"The dates in {self.where} can be read day first or month first (no day is over 12, e.g. "
                f"{self.ambiguous or self.typed_ambiguous}): nothing was read; set {self.key} to dmy or mdy "
                f"(the order the response sheet's locale writes).")
        if self.typed:
            shown = ", ".join(f"{v} reads only {ORDER_WORDS[o]}" for o, v in self.typed.items())
            raise InputError(
                f"The date answers in {self.where} do not say clearly how they are written ({shown}) and no "
                f"timestamp tells which order the source uses: nothing was read; set {self.key} to dmy or mdy.")

    def day_of(self, w: Written, raw: str, place, typed: bool = False) -> date:
        """The date a value means in this source's order (deciding it, or checking the value against it)."""
        if not EARLIEST_DATE.year <= (w.a if w.year_first else w.c) <= LATEST_DATE.year:
            raise ValueError(OUT_OF_RANGE)
        if w.year_first:
            if not w.orders():
                raise ValueError("is not a date that exists")
            return w.day("ymd")
        orders = w.orders()
        if not orders:
            raise ValueError("is not a date that exists")
        if len(orders) == 1 and orders[0] != self.order:
            if not typed or not self.order:
                if typed:
                    raise Unsettled(raw)
                self.check(orders[0], raw, place)
                return w.day(orders[0])
            if self.order == "ymd":
                raise ValueError(f"is not written year first (like 2026-08-14), as {self.key} (ymd) says")
            meant = w.day(orders[0])
            as_source = meant.strftime("%d/%m/%Y" if self.order == "dmy" else "%m/%d/%Y")
            raise ValueError(f"reads only {ORDER_WORDS[orders[0]]}, but this source writes dates "
                             f"{ORDER_WORDS[self.order]}: if {meant.isoformat()} is meant, write it as {as_source}")
        if not self.order:
            raise Unsettled(raw)
        return w.day(self.order)


T = TypeVar("T")


def settle(order: DayOrder, rows: Iterable[T], cells_of) -> Iterator[T]:
    """The rows, unchanged and in order, with `order` decided before any row is handed on: rows are held back
    only until a value settles the order (usually the first few), or to the end when none does (then
    `order.finish()` decides from configuration or stops). `cells_of(row)` gives (value, place, typed) of the
    row's timestamp and date cells (`typed`: an answer a person typed)."""
    held: list[T] = []
    for row in rows:
        if order.settled:
            if held:
                yield from held
                held = []
            yield row
            continue
        for raw, place, typed in cells_of(row):
            if raw:
                order.observe(raw, place, typed)
        held.append(row)
    if not order.settled:
        order.finish()
    yield from held


class MomentReader:
    """Reads a source's timestamps (as aware datetimes in `out_tz`) and dates, in its decided `order`.

    `zone`: the wall-clock zone of values without an offset (the response sheet's). `formats`: extra
    strptime formats staff configured, tried when a value has none of the built-in shapes."""

    def __init__(self, order: DayOrder, zone: ZoneInfo, out_tz: ZoneInfo, formats: Sequence[str] = (),
                 date_formats: Sequence[str] = ()):
        self.order = order
        self.zone = zone
        self.out_tz = out_tz
        self.formats = tuple(formats)
        self.date_formats = tuple(date_formats)
        self._dates: dict[str, date] = {}
        self.same_zone = zone is out_tz

    def timestamp(self, raw: str, place=("", "")) -> datetime:
        """`place`: where the cell is, as text or (row, column), said only if the value cannot be read."""
        text = raw.strip()
        order = self.order.order
        m = _COMMON.match(text) if order in ("dmy", "mdy") else None
        if m is not None:
            a, _, b, y, h, mi, sec = m.groups()
            if y[:2] in ("19", "20", "21"):
                day, month = (int(a), int(b)) if order == "dmy" else (int(b), int(a))
                try:
                    naive = datetime(int(y), month, day, int(h), int(mi), int(sec) if sec else 0, 0, self.zone)
                except ValueError:
                    pass  # not a date in this order: the full reading below says why (or that the file mixes orders)
                else:
                    return naive if self.same_zone else naive.astimezone(self.out_tz)
        elif len(text) >= 19 and text[4] == "-" and text[10] in " T":
            try:
                parsed = datetime.fromisoformat(text)  # ISO, as the Google sources hand it over
            except ValueError:
                pass
            else:
                if not 1900 <= parsed.year <= 2199:
                    raise ValueError("is not a date that exists")
                local = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=self.zone)
                return local if local.tzinfo is self.out_tz else local.astimezone(self.out_tz)
        w = written(text)
        if w is None or w.time is None:
            return self._by_format(text, w)
        if w.clock_error:
            raise ValueError(w.clock_error)
        day = self.order.day_of(w, text, place)
        h, mi, s, us = w.time
        naive = datetime(day.year, day.month, day.day, h, mi, s, us)
        if not w.zone:
            local = naive.replace(tzinfo=self.zone)
        elif w.zone == "UTC":
            local = naive.replace(tzinfo=UTC)
        elif w.zone[0] in "+-":
            local = naive.replace(tzinfo=_offset(w.zone))
        else:
            local = naive.replace(tzinfo=self.zone)
            if local.tzname() != w.zone:
                raise ValueError(f"is in the time zone '{w.zone}', which is not the response sheet's "
                                 f"({self.zone.key}, '{local.tzname()}' then): set checkin_form.timezone to the "
                                 f"form's time zone")
        return local.astimezone(self.out_tz)

    def _by_format(self, text: str, w: Written | None) -> datetime:
        for fmt in self.formats:
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=self.zone)
            return parsed.astimezone(self.out_tz)
        if w is not None:
            raise ValueError("has a date but no time of day (a spreadsheet re-save may have dropped it)")
        raise ValueError("is not a date and time the response sheet writes")

    def date(self, raw: str, place=("", "")) -> date:
        known = self._dates.get(raw)
        if known is not None:
            return known
        text = raw.strip()
        w = written(text)
        if w is not None and not w.clock_error:
            day = self.order.day_of(w, text, place, typed=True)
            if self.order.settled or w.year_first:
                self._dates[raw] = day  # the same answer reads the same way for the rest of the source
            return day
        for fmt in self.date_formats:
            try:
                day = datetime.strptime(text, fmt).date()
            except ValueError:
                continue
            return in_range(day)
        example = {"dmy": "14/08/2026", "mdy": "08/14/2026"}.get(self.order.order, "2026-08-14")
        raise ValueError(f"is not a date (expected a form like {example})")


def order_of_locale(locale: str) -> str:
    """The day/month order a spreadsheet locale ("en_US", "de_DE") writes short dates in ("" if unknown)."""
    if not locale:
        return ""
    from babel import Locale, UnknownLocaleError  # only a Google Sheet has a locale: not loaded otherwise

    try:
        pattern = Locale.parse(locale.replace("-", "_")).date_formats["short"].pattern
    except (UnknownLocaleError, ValueError, KeyError, TypeError):
        return ""
    letters = [c for c in pattern if c in "dMy"]
    firsts = "".join(dict.fromkeys(c.lower() for c in letters))
    return {"dmy": "dmy", "mdy": "mdy", "ymd": "ymd"}.get(firsts, "")
