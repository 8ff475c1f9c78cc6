"""An ambassador's record in brief, and how long it stays true: what a rerun reuses.

`history` (in `compliance`) works out every quarter from the activity copies; a `RecordSummary`
keeps the numbers of it that tables, JSON, standing write-back and most mail planning read,
without the activities. `valid_until` says from which day the record could read differently
with the same input: a quarter ends, a window closes, the first anniversary passes, a copy or a
check-in already sent arrives in the replayed timeline. Until then, and while the ambassador's
roster entry and copies are the same, the summary is the record.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, cast, overload

from .codec import Row
from .compliance import CURRENT, Record, Rules, Track, anniversary
from .compliance.copies import GOOD
from .compliance.verdicts import ACTIVE, next_standing, perks_of, quarter_status
from .model import Activity, Ambassador
from .quarters import Quarter, latest_ended, latest_final, quarters_between


@dataclass(frozen=True, slots=True)
class VerdictSummary:
    email: str
    quarter: Quarter
    status: str
    final: bool
    full_reports: int
    activities: int
    reach: int
    engagements: int
    clustered: bool
    note: str


@dataclass(frozen=True, slots=True)
class RecordSummary:
    verdict: VerdictSummary
    standing: str
    streak: int
    missed_in_row: int


def summarize(track: Track) -> Track:
    """The same track with its records in brief (no activities)."""
    # A brief track stands in for a full one: a RecordSummary has every attribute its readers use (`is_brief`
    # tells the two apart where it matters), so the records are cast, not converted.
    records = cast("tuple[Record, ...]", tuple(brief(r) for r in track.records))
    return Track(track.ambassador, records, track.perks)


def brief(r: Record) -> RecordSummary:
    v = r.verdict
    return RecordSummary(VerdictSummary(v.email, v.quarter, v.status, v.final, len(v.counted), v.activities, v.reach,
                                        v.engagements, v.clustered, v.note), r.standing, r.streak, r.missed_in_row)


def is_brief(track: Track) -> bool:
    return bool(track.records) and isinstance(track.records[0], RecordSummary)


def valid_until(amb: Ambassador, received: Iterable[date], rules: Rules, as_of: date) -> date:
    """The first day after `as_of` on which this ambassador's record, perks or last check-in could differ
    with the same roster entry, copies and check-ins (`received`: the local days they arrived)."""
    ended = latest_ended(as_of)
    days = [ended.next().end + timedelta(days=1),
            latest_final(as_of, rules.window_days).next().window_closes(rules.window_days) + timedelta(days=1)]
    first_year = anniversary(amb.start_date, 1)
    if first_year > as_of:
        days.append(first_year)
    later = [d for d in received if d > as_of]
    if later:
        days.append(min(later))
    return min(days)


#: A brief record as a plain tuple: quarter, status, final, full reports, activities, reach, engagements,
#: clustered, note, standing, streak, missed in a row.
BriefRow = tuple[str, str, bool, int, int, int, int, bool, str, str, int, int]


def as_rows(track: Track) -> tuple[tuple[BriefRow, ...], tuple[str, ...]]:
    """A brief track as plain tuples, for the work cache (and, after a full read, for the track itself: the quarter
    labels and notes, which repeat across ambassadors, are shared)."""
    intern = sys.intern
    return (tuple((intern(str(r.verdict.quarter)), r.verdict.status, r.verdict.final, r.verdict.full_reports,
                   r.verdict.activities, r.verdict.reach, r.verdict.engagements, r.verdict.clustered,
                   intern(r.verdict.note), r.standing, r.streak, r.missed_in_row) for r in track.records),
            tuple(track.perks))


_QUARTERS: dict[str, Quarter] = {}

# Where each field of an `Activity` sits among its fields (`codec.Decoder.activity_fields`, `codec.activity_fields`).
_AT = {f.name: i for i, f in enumerate(fields(Activity))}
_KIND = _AT["kind"]
_ATTENDEES, _VIEWS, _ENGAGEMENTS, _RESHARES = _AT["attendees"], _AT["views"], _AT["engagements"], _AT["reshares"]


@lru_cache(maxsize=1024)
def _quarters(first: Quarter, last: Quarter, window_days: int) -> tuple[tuple[Quarter, str, date], ...]:
    """Every quarter from `first` to `last`, with its label (interned) and the day its window closes: the same few
    for every ambassador."""
    return tuple((q, sys.intern(str(q)), q.window_closes(window_days)) for q in quarters_between(first, last))


def brief_history(amb: Ambassador, copies: Iterable[tuple[date, Row, str]], rules: Rules, as_of: date,
                  through: Quarter, kept: dict[BriefRow, BriefRow] | None = None
                  ) -> tuple[tuple[BriefRow, ...], tuple[str, ...]]:
    """`as_rows(summarize(track))` of the track `history_of` and `perks` make of this ambassador's copies, worked
    out from each copy's date, fields and resolution, every one received on or before `as_of`, without building
    the records: a brief record needs only the copies that count in their own quarter (current, dated from the
    start date on), how many are full reports, and their reach and engagements. A copy's fields are its record's
    (`codec.activity_fields`) or its work-cache row (`codec.activity_row`): only the kind and the report fields are
    read, at the same places in both. `kept`, shared by the calls of one run, holds the rows of quarters with no
    activity once for every ambassador (equal rows of interned strings and small numbers are interchangeable)."""
    wanted: dict[str, tuple[tuple[int, ...], ...]] = {}
    # By quarter (year * 4 + quarter - 1), of the copies that count there: the full reports, all of them, their
    # reach and engagements, the months of the full reports.
    counts: dict[int, list[Any]] = {}
    start = amb.start_date
    for day, f, resolution in copies:
        if resolution != CURRENT or day < start:
            continue  # excluded from its quarter (and only ever excluded from another)
        kind = f[_KIND]
        needs = wanted.get(kind)
        if needs is None:
            needs = wanted[kind] = tuple(tuple(_AT[name] for name in alternatives)
                                         for alternatives in rules.requirements(kind))
        full = True  # `is_full`
        for alternatives in needs:
            for i in alternatives:
                if f[i] is not None and f[i] != "":
                    break
            else:
                full = False
                break
        key = day.year * 4 + (day.month - 1) // 3
        c = counts.get(key)
        if c is None:
            c = counts[key] = [0, 0, 0, 0, set()]
        c[1] += 1
        c[2] += (f[_ATTENDEES] or 0) + (f[_VIEWS] or 0)
        c[3] += (f[_ENGAGEMENTS] or 0) + (f[_RESHARES] or 0)
        if full:
            c[0] += 1
            c[4].add((day.year, day.month))
    intern = sys.intern
    rows: list[BriefRow] = []
    verdicts: list[tuple[Quarter, str]] = []
    standing, streak, missed_in_row = GOOD, 0, 0
    none: list[Any] = [0, 0, 0, 0, ()]
    window_days, shown_status = rules.window_days, amb.status != ACTIVE
    for quarter, label, closes in _quarters(Quarter.of(start), through, window_days):
        final = as_of > closes
        counted, n, reach, engagements, months = counts.get(quarter.year * 4 + quarter.q - 1, none)
        status, note = quarter_status(amb, quarter, counted, rules, final, closes)
        standing, streak, missed_in_row = next_standing(final, status, standing, streak, missed_in_row)
        # The verdict's sums (`QuarterVerdict.reach`, `.engagements`): whole numbers, in any order the same.
        row = (label, status, final, counted, n, reach, engagements,
               counted >= 2 and len(months) == 1, intern(note), amb.status if shown_status else standing,
               streak, missed_in_row)
        if not n and kept is not None:  # no activity: the same few rows for thousands of ambassadors, kept once
            row = kept.setdefault(row, row)
        rows.append(row)
        verdicts.append((quarter, status))
    return tuple(rows), tuple(perks_of(amb, verdicts, as_of, rules))


class BriefRecords(Sequence[RecordSummary]):
    """A brief track's records, each made from its tuple only when read: a rerun that looks at one or two
    quarters of every ambassador does not build forty records for each."""

    __slots__ = ("_made", "email", "rows")

    def __init__(self, email: str, rows: Sequence[BriefRow]):
        self.email, self.rows = email, rows
        self._made: dict[int, RecordSummary] = {}

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> RecordSummary: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[RecordSummary, ...]: ...

    def __getitem__(self, i: int | slice) -> RecordSummary | tuple[RecordSummary, ...]:
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self.rows))))
        if i < 0:
            i += len(self.rows)
        made = self._made.get(i)
        if made is None:
            q, status, final, full, acts, reach, eng, clustered, note, standing, streak, missed = self.rows[i]
            quarter = _QUARTERS.get(q) or _QUARTERS.setdefault(q, Quarter.parse(q))
            made = self._made[i] = RecordSummary(VerdictSummary(self.email, quarter, status, final, full, acts, reach,
                                                                eng, clustered, note), standing, streak, missed)
        return made

    def __eq__(self, other: object) -> bool:
        # Compared as a sequence: tuple() raises for anything else, as it always has.
        return tuple(self) == tuple(cast("Iterable[object]", other))


def from_rows(amb: Ambassador, rows: tuple[Sequence[BriefRow], Sequence[str]]) -> Track:
    records, perks = rows
    # A brief track's records stand in for full ones (see `summarize`): a Sequence read like the tuple it replaces.
    return Track(amb, cast("tuple[Record, ...]", BriefRecords(amb.email, records)), tuple(perks))
