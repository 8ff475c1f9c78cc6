"""Every ambassador's track (records and perks) and their standing in one quarter, as the jobs and the report
read them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ..model import Activity, Ambassador
from ..quarters import Quarter, latest_final
from .copies import Rules
from .verdicts import Record, history, perks


@dataclass(frozen=True, slots=True)
class Standing:
    """What the compliance job reports for one ambassador and one quarter."""

    ambassador: Ambassador
    record: Record
    perks: tuple[str, ...]
    last_checkin: datetime | None


@dataclass(frozen=True, slots=True)
class Track:
    """One ambassador's whole record: every quarter since the start, and the perks on `as_of`."""

    ambassador: Ambassador
    records: tuple[Record, ...]
    perks: tuple[str, ...]

    def at(self, quarter: Quarter) -> Record | None:
        if not self.records or quarter < self.records[0].verdict.quarter:
            return None
        i = (quarter.year - self.records[0].verdict.quarter.year) * 4 + quarter.q - self.records[0].verdict.quarter.q
        return self.records[i] if i < len(self.records) else None


def tracks(roster: Sequence[Ambassador], activities: Iterable[Activity], rules: Rules, as_of: date,
           through: Quarter) -> list[Track]:
    """Every ambassador's record up to `through` (at least up to the latest final quarter)."""
    by_email: dict[str, list[Activity]] = defaultdict(list)
    for a in activities:
        by_email[a.email].append(a)
    through = max(through, latest_final(as_of, rules.window_days))
    out = []
    for amb in roster:
        records = history(amb, by_email.get(amb.email, ()), rules, as_of, through)
        out.append(Track(amb, tuple(records), tuple(perks(amb, records, as_of, rules))))
    return out


def standings(all_tracks: Sequence[Track], quarter: Quarter,
              last_checkins: Mapping[str, datetime] | None = None) -> list[Standing]:
    """Every ambassador who had started by the end of `quarter`, with that quarter's record.

    Perks and the last check-in are read at the run's date, whatever quarter is asked for.
    """
    out = []
    for t in all_tracks:
        record = t.at(quarter)
        if record is not None:
            out.append(Standing(t.ambassador, record, t.perks, (last_checkins or {}).get(t.ambassador.email)))
    return out


def evaluate(roster: Sequence[Ambassador], activities: Iterable[Activity], rules: Rules, as_of: date,
             quarter: Quarter, last_checkins: Mapping[str, datetime] | None = None) -> list[Standing]:
    """Shorthand: the standings of one quarter."""
    return standings(tracks(roster, activities, rules, as_of, quarter), quarter, last_checkins)
