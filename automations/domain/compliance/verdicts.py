"""Each quarter's verdict (`evaluate_quarter`) from the resolved copies, the roster's status history and
absences; the record over the quarters (`history`), perks and anniversaries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ..model import Activity, Ambassador
from ..quarters import Quarter, latest_final, parse_quarter, quarters_between
from .copies import (
    CONFERENCE_FUNDING,
    CURRENT,
    DUPLICATE,
    EXEMPT,
    FREE_EVENT_ACCESS,
    GOOD,
    LATE,
    MET,
    MISSED,
    PENDING,
    SUPERSEDED,
    UNDER_REVIEW,
    WARNED,
    Resolved,
    Rules,
    activity_quarter,
    is_full,
    received_on,
    resolve_copies,
)


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An activity of this ambassador that did not count for the quarter, and why."""

    activity: Activity
    reason: str


@dataclass(frozen=True, slots=True)
class QuarterVerdict:
    email: str
    quarter: Quarter
    status: str  # MET, MISSED, EXEMPT or PENDING
    final: bool
    counted: tuple[Activity, ...]  # full reports that count
    incomplete: tuple[Activity, ...]  # current activities of the quarter without a full report
    excluded: tuple[Exclusion, ...]
    note: str = ""  # why exempt, or what is missing

    @property
    def activities(self) -> int:
        return len(self.counted) + len(self.incomplete)

    @property
    def full_reports(self) -> int:
        return len(self.counted)

    @property
    def reach(self) -> int:
        return sum(a.reach for a in self.counted) + sum(a.reach for a in self.incomplete)

    @property
    def engagements(self) -> int:
        return sum((a.engagements or 0) + (a.reshares or 0) for a in (*self.counted, *self.incomplete))

    @property
    def clustered(self) -> bool:
        """All counted reports fell in the same month: worth showing staff, not a failure."""
        months = {(a.date.year, a.date.month) for a in self.counted}
        return len(self.counted) >= 2 and len(months) == 1


@dataclass(frozen=True, slots=True)
class Record:
    """An ambassador's verdict for one quarter and where it leaves them."""

    verdict: QuarterVerdict
    standing: str
    streak: int
    missed_in_row: int


def late_joiner_exempt(amb: Ambassador, quarter: Quarter, rules: Rules) -> bool:
    if Quarter.of(amb.start_date) != quarter:  # not started in this quarter
        return False
    days_left = (quarter.end - amb.start_date).days + 1
    return days_left < rules.late_joiner_fraction * quarter.days


ACTIVE = "active"


def status_spans(amb: Ambassador) -> tuple[tuple[date, str], ...]:
    """When each of the ambassador's statuses began, ascending: (first day, status).

    The first span starts at `date.min`. With no recorded history the Status column holds for
    all time; otherwise the ambassador was active before the first recorded change, each change
    holds until the next, and the Status column holds from the last change's date on.
    """
    changes = amb.status_history
    if not changes:
        return ((date.min, amb.status),)
    return ((date.min, ACTIVE), *changes[:-1], (changes[-1][0], amb.status))


def status_on(amb: Ambassador, day: date) -> str:
    """The status in effect on `day`: the latest change dated on or before it."""
    current = ACTIVE
    for first, status in status_spans(amb):
        if first > day:
            break
        current = status
    return current


@dataclass(frozen=True, slots=True)
class Absence:
    """The days of a quarter an ambassador was not active, out of the days they were one."""

    days: int  # paused, alumni or removed
    of: int  # the quarter's days from the start date on
    spans: tuple[tuple[str, date, date | None], ...]  # (status, its first day, its last day or None)

    @property
    def mostly(self) -> bool:
        return self.days * 2 > self.of

    def describe(self) -> str:
        parts = [f"{status} from {first.isoformat()}" + (f" to {last.isoformat()}" if last else "")
                 for status, first, last in self.spans]
        how = "the whole quarter" if self.days == self.of else f"on {self.days} of {self.of} days"
        return f"{', '.join(parts)}: not active {how}"


def absence(amb: Ambassador, quarter: Quarter) -> Absence:
    """How much of `quarter` the ambassador spent paused, alumni or removed (from the start date on)."""
    # A quarter wholly before the start date (not evaluated by `history`) counts all its days.
    first_day = max(quarter.start, amb.start_date) if amb.start_date <= quarter.end else quarter.start
    of = (quarter.end - first_day).days + 1
    spans = status_spans(amb)
    days = 0
    shown = []
    for i, (begins, status) in enumerate(spans):
        ends = spans[i + 1][0] - timedelta(days=1) if i + 1 < len(spans) else None
        if status == ACTIVE or begins > quarter.end or (ends is not None and ends < first_day):
            continue
        lo, hi = max(begins, first_day), min(ends or quarter.end, quarter.end)
        days += (hi - lo).days + 1
        shown.append((status, begins, ends if ends is not None and ends <= quarter.end else None))
    return Absence(days, of, tuple(shown))


def evaluate_quarter(amb: Ambassador, quarter: Quarter, resolved: Sequence[Resolved], rules: Rules,
                     as_of: date) -> QuarterVerdict:
    """The verdict for one quarter, given this ambassador's resolved copies as of `as_of`."""
    closes = quarter.window_closes(rules.window_days)
    final = as_of > closes
    counted: list[Activity] = []
    incomplete: list[Activity] = []
    excluded: list[Exclusion] = []
    label = str(quarter) if resolved else ""
    for r in resolved:
        a = r.activity
        q = activity_quarter(a)
        if q != quarter:
            if a.reported_quarter == label:
                where = f"counts for {q}" if r.resolution == CURRENT else f"belongs to {q}"
                excluded.append(Exclusion(a, f"dated {a.date.isoformat()}, another quarter: {where}"))
            continue
        if a.date < amb.start_date:
            excluded.append(Exclusion(a, f"dated before the start date {amb.start_date.isoformat()}"))
        elif r.resolution == LATE:
            excluded.append(Exclusion(a, f"arrived {received_on(a).isoformat()}, "
                                         f"after the {quarter} window closed on {closes.isoformat()}"))
        elif r.resolution == DUPLICATE:
            excluded.append(Exclusion(a, f"duplicate of the copy in row {r.winner_row}"))
        elif r.resolution == SUPERSEDED:
            excluded.append(Exclusion(a, f"superseded by the corrected copy in row {r.winner_row}"))
        elif is_full(a, rules):
            counted.append(a)
        else:
            incomplete.append(a)
    status, note = quarter_status(amb, quarter, len(counted), rules, final, closes)
    return QuarterVerdict(amb.email, quarter, status, final, tuple(counted), tuple(incomplete), tuple(excluded),
                          note)


def quarter_status(amb: Ambassador, quarter: Quarter, full_reports: int, rules: Rules, final: bool,
                   closes: date) -> tuple[str, str]:
    """A quarter's status and note, from how many full reports count in it (`evaluate_quarter`'s verdict; its
    brief form, `summary.brief_history`, the same way)."""
    needed = rules.min_full_reports
    away = absence(amb, quarter) if amb.status_history or amb.status != ACTIVE else None
    if away is not None and away.mostly:
        status, note = EXEMPT, away.describe() if amb.status_history else f"{amb.status} on the roster"
    elif late_joiner_exempt(amb, quarter, rules):
        status, note = EXEMPT, f"joined {amb.start_date.isoformat()}, with less than " \
                               f"{rules.late_joiner_fraction:.0%} of the quarter left"
    elif full_reports >= needed:
        status, note = MET, ""
    elif not final:
        status, note = PENDING, f"{full_reports} of {needed} full reports so far; " \
                                f"the window closes on {closes.isoformat()}"
    else:
        status, note = MISSED, f"{full_reports} of {needed} full reports"
    if status != EXEMPT and away is not None and away.days:
        judged = f"{away.describe()}, judged as active"
        note = f"{note}; {judged}" if note else judged
    return status, note


def history(amb: Ambassador, activities: Sequence[Activity], rules: Rules, as_of: date,
            through: Quarter) -> list[Record]:
    """Every quarter from the one the ambassador started in to `through`, with standing.

    `activities` are this ambassador's copies (any order); those received after `as_of` are
    ignored. Standing climbs down `good -> warned -> under_review` with each missed quarter in a
    row and returns to `good` with a met one; exempt quarters and quarters that are not final yet
    change nothing.
    """
    received = [a for a in activities if received_on(a) <= as_of]
    return history_of(amb, resolve_copies(received, rules), rules, as_of, through)


def history_of(amb: Ambassador, resolved: Sequence[Resolved], rules: Rules, as_of: date,
               through: Quarter) -> list[Record]:
    """`history` from this ambassador's copies already resolved, every one received on or before `as_of`
    (what sync-checkins resolved, so that a run resolves each ambassador once)."""
    by_quarter: dict[Quarter, list[Resolved]] = defaultdict(list)
    for r in resolved:
        q = activity_quarter(r.activity)
        by_quarter[q].append(r)
        if r.activity.reported_quarter:
            reported = parse_quarter(r.activity.reported_quarter)
            if reported is not None and reported != q:
                by_quarter[reported].append(r)
    records: list[Record] = []
    standing, streak, missed_in_row = GOOD, 0, 0
    for quarter in quarters_between(Quarter.of(amb.start_date), through):
        verdict = evaluate_quarter(amb, quarter, by_quarter.get(quarter, ()), rules, as_of)
        standing, streak, missed_in_row = next_standing(verdict.final, verdict.status, standing, streak,
                                                        missed_in_row)
        shown = standing if amb.status == ACTIVE else amb.status  # the status today, for those not active
        records.append(Record(verdict, shown, streak, missed_in_row))
    return records


def next_standing(final: bool, status: str, standing: str, streak: int, missed_in_row: int) -> tuple[str, int, int]:
    """Standing, streak and missed quarters in a row after a quarter with this verdict (`history`)."""
    if not final:
        pass  # pending, or met but still open to corrections: no standing changes yet
    elif status == MET:
        standing, streak, missed_in_row = GOOD, streak + 1, 0
    elif status == MISSED:
        missed_in_row += 1
        streak = 0
        standing = WARNED if missed_in_row == 1 else UNDER_REVIEW
    return standing, streak, missed_in_row


def perks(amb: Ambassador, records: Sequence[Record], as_of: date, rules: Rules) -> list[str]:
    """Perks read at the run's date, from the quarters that are final on that date."""
    return perks_of(amb, ((rec.verdict.quarter, rec.verdict.status) for rec in records), as_of, rules)


def perks_of(amb: Ambassador, verdicts: Iterable[tuple[Quarter, str]], as_of: date, rules: Rules) -> list[str]:
    """`perks` from each record's (quarter, status), in order."""
    if amb.status != ACTIVE:
        return []
    out = []
    last_final = latest_final(as_of, rules.window_days)
    final_streak = 0
    for quarter, status in verdicts:
        if quarter > last_final:
            break
        if status == MET:
            final_streak += 1
        elif status == MISSED:
            final_streak = 0
    if final_streak >= 2:
        out.append(FREE_EVENT_ACCESS)
    if as_of >= anniversary(amb.start_date, 1):
        out.append(CONFERENCE_FUNDING)
    return out


def anniversary(start: date, years: int) -> date:
    """The date `years` after `start`; 29 February falls on 28 February in common years."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)
