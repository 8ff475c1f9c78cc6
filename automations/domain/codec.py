"""The domain's records as plain tuples (str, int, float, None), for the work cache.

`marshal` turns lists of these into bytes and back in C, many times faster than pickling the
dataclasses; dates are ordinals and instants POSIX timestamps, rebuilt in the program's zone.
"""

from __future__ import annotations

import marshal
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from datetime import date, datetime
from typing import Any, TypeVar, overload
from zoneinfo import ZoneInfo

from .model import Activity, Checkin, Problem

#: A record as a plain tuple for marshal: its fields in the record's order, of the record's own field types (so
#: a row is as varied as its record; the record built from it is what is typed).
Row = tuple[Any, ...]
T = TypeVar("T")


def activity_row(a: Activity) -> Row:
    return (a.id, a.email, a.kind, a.title, a.date.toordinal(), a.received_at.timestamp(), a.row, a.section,
            a.reported_quarter, a.link, a.goal, a.audience, a.description, a.registrations, a.attendees, a.views,
            a.engagements, a.reshares, a.hours)


def _slot_setters(cls: type) -> tuple[Any, ...]:
    """The setters of a slotted dataclass's fields, in the order of its fields (and of `activity_row`)."""
    names = tuple(f.name for f in fields(cls))
    assert getattr(cls, "__slots__", ()) == names, f"{cls.__name__}'s slots are not its fields in order"
    return tuple(getattr(cls, name).__set__ for name in names)


_new = object.__new__
(_a0, _a1, _a2, _a3, _a4, _a5, _a6, _a7, _a8, _a9, _a10, _a11, _a12, _a13, _a14, _a15, _a16, _a17,
 _a18) = _slot_setters(Activity)
_c0, _c1, _c2, _c3, _c4 = _slot_setters(Checkin)

#: How many instants a Decoder keeps: a pass over a large program forgets the older ones, so what it rebuilds
#: stays transient (the copies of one response, read together, share theirs).
_INSTANTS = 65536


class Decoder:
    """Rebuilds records; dates and instants repeat a lot, so each is made once (the latest instants only)."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz
        self._days: dict[int, date] = {}
        self._instants: dict[float, datetime] = {}
        self._received: tuple[datetime | None, tuple[float, int, bool]] = (None, (0.0, 0, False))

    def received(self, instant: datetime) -> tuple[float, int, bool]:
        """A received time as packed records keep it: its POSIX time, its own date's ordinal, and whether `instant`
        rebuilds it otherwise (then it is kept as read). The last one is remembered: a response's copies and its
        check-in, packed one after the other, share it."""
        seen, got = self._received
        if instant is not seen:
            ts = instant.timestamp()
            rebuilt = datetime.fromtimestamp(ts, self.tz)
            got = (ts, instant.toordinal(), rebuilt.hour != instant.hour or rebuilt.minute != instant.minute
                   or rebuilt.tzinfo is not instant.tzinfo)
            self._received = (instant, got)
        return got

    def day(self, ordinal: int) -> date:
        d = self._days.get(ordinal)
        if d is None:
            d = self._days[ordinal] = date.fromordinal(ordinal)
        return d

    def instant(self, ts: float) -> datetime:
        d = self._instants.get(ts)
        if d is None:
            if len(self._instants) >= _INSTANTS:
                self._instants.clear()
            d = self._instants[ts] = datetime.fromtimestamp(ts, self.tz)
        return d

    def activity(self, t: Row, instant: datetime | None = None) -> Activity:
        """`instant`: the received time as it was read, when the POSIX time alone would rebuild it otherwise."""
        day = self._days.get(t[4]) or self.day(t[4])  # the lookups inline: every copy of a read may pass here
        if instant is None:
            instant = self._instants.get(t[5]) or self.instant(t[5])
        # Each field set through its slot, as the frozen class's __init__ does one `object.__setattr__` at a time
        # (half the cost: a row is what `activity_row` made of a record, so there is nothing to check again).
        a = _new(Activity)
        _a0(a, t[0]); _a1(a, t[1]); _a2(a, t[2]); _a3(a, t[3]); _a4(a, day); _a5(a, instant)  # noqa: E702
        _a6(a, t[6]); _a7(a, t[7]); _a8(a, t[8]); _a9(a, t[9]); _a10(a, t[10]); _a11(a, t[11])  # noqa: E702
        _a12(a, t[12]); _a13(a, t[13]); _a14(a, t[14]); _a15(a, t[15]); _a16(a, t[16]); _a17(a, t[17])  # noqa: E702
        _a18(a, t[18])
        return a

    def activity_fields(self, t: Row, instant: datetime | None = None) -> Row:
        """The fields `activity` would give the record, in its order, without building it (a store writing cells
        from them: `ReportStore.save`)."""
        if instant is None:
            instant = self._instants.get(t[5]) or self.instant(t[5])
        return (t[0], t[1], t[2], t[3], self._days.get(t[4]) or self.day(t[4]), instant, *t[6:])

    def checkin_fields(self, t: Row, instant: datetime | None = None) -> Row:
        """The fields `checkin` would give the record, in its order, without building it."""
        if instant is None:
            instant = self._instants.get(t[1]) or self.instant(t[1])
        return (t[0], instant, t[2], t[3], t[4])

    def checkin(self, t: Row, instant: datetime | None = None) -> Checkin:
        if instant is None:
            instant = self._instants.get(t[1]) or self.instant(t[1])
        c = _new(Checkin)  # through its slots, as `activity`
        _c0(c, t[0]); _c1(c, instant); _c2(c, t[2]); _c3(c, t[3]); _c4(c, t[4])  # noqa: E702
        return c


def activity_fields(a: Activity) -> Row:
    """A record's fields, in its order (what `Decoder.activity_fields` gives without the record)."""
    return (a.id, a.email, a.kind, a.title, a.date, a.received_at, a.row, a.section, a.reported_quarter, a.link,
            a.goal, a.audience, a.description, a.registrations, a.attendees, a.views, a.engagements, a.reshares,
            a.hours)


def checkin_fields(c: Checkin) -> Row:
    return (c.email, c.received_at, c.row, c.reported_quarter, c.activities)


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


class _Packed(Sequence[T]):
    """Records kept as their rows marshalled end to end in one buffer, in the order appended (a sheet's order),
    each rebuilt when read: about a third of the memory the records take, and one object instead of a few
    dozen a record. `row(i)` is the work cache's row of record `i`; `emails` each record's ambassador."""

    def __init__(self, decoder: Decoder):
        self.decoder = decoder
        self._buf = bytearray()
        self._ends = array("Q")
        self.emails: list[str] = []  # the interned address: a pointer a record
        # The received times the decoder would not rebuild as they were read: a wall-clock time in the hour a
        # clock change skips (a sheet's own timestamp) names the same instant as the rebuilt one, but is written
        # otherwise. Kept as read, by record, so what is written from the records is what a list of them writes.
        self.as_read: dict[int, datetime] = {}
        # Each record's received time's own date (`received_at.date()` of the record rebuilt), as an ordinal: what
        # resolving and judging read of it, without rebuilding the time (4 bytes a record).
        self.days = array("I")
        self._seen: datetime | None = None
        self._ts = 0.0
        self._day = 0
        self._odd = False

    def _posix(self, instant: datetime) -> float:
        """The POSIX time of a received time, noting its day and whether the decoder would rebuild it otherwise
        (the records of one response share theirs: each is looked at once, by the decoder the packed copies and
        check-ins of a read share)."""
        if instant is not self._seen:
            self._ts, self._day, self._odd = self.decoder.received(instant)
            self._seen = instant
        return self._ts

    def _add(self, row: Row, email: str, instant: datetime) -> None:
        if instant is not self._seen:
            self._posix(instant)
        if self._odd:
            self.as_read[len(self._ends)] = instant
        self._buf += marshal.dumps(row)
        self._ends.append(len(self._buf))
        self.emails.append(email)
        self.days.append(self._day)

    def row(self, i: int) -> Row:
        row: Row = marshal.loads(self._buf[self._ends[i - 1] if i else 0:self._ends[i]])
        return row

    def rows(self, indexes: Iterable[int] | None = None) -> Iterator[Row]:
        """The rows at `indexes` (all, in order, by default)."""
        buf, ends, loads = self._buf, self._ends, marshal.loads
        for i in range(len(ends)) if indexes is None else indexes:
            yield loads(buf[ends[i - 1] if i else 0:ends[i]])

    def _make(self, row: Row, instant: datetime | None) -> T:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._make(self.row(i), self.as_read.get(i))

    def __iter__(self) -> Iterator[T]:
        as_read, make = self.as_read, self._make
        for i, row in enumerate(self.rows()):
            yield make(row, as_read.get(i))


class PackedActivities(_Packed[Activity]):
    """Activities packed (`_Packed`): what a full read of every response holds until each ambassador is worked
    out, the store is written and compliance has read them."""

    def __init__(self, decoder: Decoder):
        super().__init__(decoder)
        self.id_keys = bytearray()  # each copy's id as `source_guard.tally` digests it, without rebuilding it
        self.in_sheet_order = True  # appended by (row, section) ascending, as `ingest` reads them
        self._last = (0, 0)

    def append(self, a: Activity) -> None:
        self.append_fields(activity_fields(a))

    def append_fields(self, f: Row) -> None:
        """An activity given as the fields of an `Activity`, in order (as `ingest` reads them): packed as its row
        (`activity_row`) without the record being built."""
        instant = f[5]  # `_add`, inline: every copy of a full read passes here
        if instant is not self._seen:
            self._posix(instant)
        if self._odd:
            self.as_read[len(self._ends)] = instant
        buf = self._buf
        buf += marshal.dumps((f[0], f[1], f[2], f[3], f[4].toordinal(), self._ts, *f[6:]))
        self._ends.append(len(buf))
        self.emails.append(f[1])
        self.days.append(self._day)
        self.id_keys += bytes.fromhex(f[0][2:10])
        place = (f[6], f[7])
        if self.in_sheet_order and not place > self._last:
            self.in_sheet_order = False
        self._last = place

    def _make(self, row: Row, instant: datetime | None) -> Activity:
        return self.decoder.activity(row, instant)


class PackedCheckins(_Packed[Checkin]):
    """Check-ins packed (`_Packed`), beside the activities of the same full read."""

    def __init__(self, decoder: Decoder):
        super().__init__(decoder)
        self.in_sheet_order = True  # appended by row ascending, as `ingest` reads them
        self._last = 0

    def append(self, c: Checkin) -> None:
        self.append_fields(checkin_fields(c))

    def append_fields(self, f: Row) -> None:
        """A check-in given as the fields of a `Checkin`, in order: packed as its row (`checkin_row`)."""
        self._add((f[0], self._posix(f[1]), f[2], f[3], f[4]), f[0], f[1])
        self.in_sheet_order = self.in_sheet_order and f[2] > self._last
        self._last = f[2]

    def _make(self, row: Row, instant: datetime | None) -> Checkin:
        return self.decoder.checkin(row, instant)

    def as_fields(self) -> Iterator[Row]:
        """Every check-in's fields, in order, without building the records (`ReportStore.save`)."""
        as_read, fields = self.as_read, self.decoder.checkin_fields
        for i, row in enumerate(self.rows()):
            yield fields(row, as_read.get(i))
