"""The quarterly rule: which activities count, each quarter's verdict, standing, streak, perks.

Everything here is a pure function of the roster, the activities and `as_of` (the run's
"today"). Two runs over the same input on the same `as_of` reach the same verdicts.

Decisions the program rules leave open, made here once:
- Copies of one activity (same ambassador, kind, title and date) are resolved among the
  copies that arrived inside the activity's quarter window and on or before `as_of`: the latest
  wins; an identical earlier copy is a `duplicate`, a differing one is `superseded`. A copy that
  arrived after the window is `late` and changes nothing.
- A response that arrives after `as_of` does not exist yet for that run (replays are exact).
- Status changes have dates (the roster's "Status history", `status_spans`): before the first
  recorded change an ambassador was `active` (the start date begins the membership as active);
  each change holds from its date until the next; the Status column is the status from the last
  recorded change on (it wins over a last entry that disagrees, which the roster reports as a
  problem). With no history the Status column holds for all time. An unreadable history is
  reported and ignored (the Status column for all time).
- A quarter follows the statuses the ambassador had in it: `exempt` when they were paused,
  alumni or removed on more than half of the quarter's days they were an ambassador (from the
  start date on); otherwise it is judged as an active quarter (exactly half: judged). So pausing
  someone today, with its date, never rewrites their past quarters.
- The standing shown for someone paused, alumni or removed *today* is that status, whatever
  their quarters were; perks are only for ambassadors active today, and only they get mail.
- The start date is the start of the current membership: someone who rejoins gets a new start
  date from staff, and quarters before it are not evaluated.
- Only final quarters move standing and streak. A quarter met while its window is still open
  shows `met`, but a later correction could still replace a full report with a less complete
  one, so the standing and streak shown with it are those of the quarters before it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from .model import Activity, Ambassador
from .quarters import Quarter, latest_final, parse_quarter, quarters_between

MET, MISSED, EXEMPT, PENDING = "met", "missed", "exempt", "pending"
GOOD, WARNED, UNDER_REVIEW = "good", "warned", "under_review"
FREE_EVENT_ACCESS, CONFERENCE_FUNDING = "free_event_access", "conference_funding"

# How each copy of an activity was resolved.
CURRENT, DUPLICATE, SUPERSEDED, LATE = "current", "duplicate", "superseded", "late"


@dataclass(frozen=True, slots=True)
class Rules:
    """The rule parameters, taken from configuration once."""

    tz: ZoneInfo
    min_full_reports: int = 2
    window_days: int = 21
    late_joiner_fraction: float = 0.5
    # kind -> tuple of requirements; a requirement is a tuple of alternative field names.
    full_report_fields: Mapping[str, tuple[tuple[str, ...], ...]] | None = None

    def requirements(self, kind: str) -> tuple[tuple[str, ...], ...]:
        return (self.full_report_fields or {}).get(kind, ())


@dataclass(frozen=True, slots=True)
class Resolved:
    """A copy of an activity and what became of it."""

    activity: Activity
    resolution: str  # CURRENT, DUPLICATE, SUPERSEDED or LATE
    winner_row: int = 0  # for duplicates and superseded copies: the row of the copy that won


def missing_fields(activity: Activity, rules: Rules) -> list[str]:
    """The report fields this activity still lacks for a full report (empty when full)."""
    missing = []
    for alternatives in rules.requirements(activity.kind):
        if not any(activity.has(name) for name in alternatives):
            missing.append(" or ".join(alternatives))
    return missing


def is_full(activity: Activity, rules: Rules) -> bool:
    # The same test as `missing_fields`, without building the list: it runs for every activity.
    for alternatives in rules.requirements(activity.kind):
        for name in alternatives:
            value = getattr(activity, name)
            if value is not None and value != "":
                break
        else:
            return False
    return True


def activity_quarter(activity: Activity) -> Quarter:
    return Quarter.of(activity.date)


def received_on(activity: Activity) -> date:
    """The local date the copy arrived (received_at is kept in the program's time zone)."""
    return activity.received_at.date()


def in_window(activity: Activity, rules: Rules) -> bool:
    """Whether this copy arrived before its quarter's check-in window closed."""
    return received_on(activity) <= activity_quarter(activity).window_closes(rules.window_days)


def resolve_copies(activities: Iterable[Activity], rules: Rules) -> list[Resolved]:
    """Resolve every copy of every activity; the output keeps the input's order."""
    activities = list(activities)
    groups: dict[str, list[int]] = defaultdict(list)
    out: list[Resolved | None] = [None] * len(activities)
    for i, a in enumerate(activities):
        if in_window(a, rules):
            groups[a.id].append(i)
        else:
            out[i] = Resolved(a, LATE)
    for indices in groups.values():
        indices.sort(key=lambda i: (activities[i].received_at, activities[i].row, activities[i].section))
        winner = activities[indices[-1]]
        out[indices[-1]] = Resolved(winner, CURRENT)
        for i in indices[:-1]:
            a = activities[i]
            kind = DUPLICATE if a.metrics() == winner.metrics() else SUPERSEDED
            out[i] = Resolved(a, kind, winner.row)
    return out  # type: ignore[return-value]


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
    if not (quarter.start <= amb.start_date <= quarter.end):
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
    needed = rules.min_full_reports
    away = absence(amb, quarter) if amb.status_history or amb.status != ACTIVE else None
    if away is not None and away.mostly:
        status, note = EXEMPT, away.describe() if amb.status_history else f"{amb.status} on the roster"
    elif late_joiner_exempt(amb, quarter, rules):
        status, note = EXEMPT, f"joined {amb.start_date.isoformat()}, with less than " \
                               f"{rules.late_joiner_fraction:.0%} of the quarter left"
    elif len(counted) >= needed:
        status, note = MET, ""
    elif not final:
        status, note = PENDING, f"{len(counted)} of {needed} full reports so far; " \
                                f"the window closes on {closes.isoformat()}"
    else:
        status, note = MISSED, f"{len(counted)} of {needed} full reports"
    if status != EXEMPT and away is not None and away.days:
        judged = f"{away.describe()}, judged as active"
        note = f"{note}; {judged}" if note else judged
    return QuarterVerdict(amb.email, quarter, status, final, tuple(counted), tuple(incomplete), tuple(excluded),
                          note)


def history(amb: Ambassador, activities: Sequence[Activity], rules: Rules, as_of: date,
            through: Quarter) -> list[Record]:
    """Every quarter from the one the ambassador started in to `through`, with standing.

    `activities` are this ambassador's copies (any order); those received after `as_of` are
    ignored. Standing climbs down `good -> warned -> under_review` with each missed quarter in a
    row and returns to `good` with a met one; exempt quarters and quarters that are not final yet
    change nothing.
    """
    received = [a for a in activities if received_on(a) <= as_of]
    resolved = resolve_copies(received, rules)
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
        if not verdict.final:
            pass  # pending, or met but still open to corrections: no standing changes yet
        elif verdict.status == MET:
            standing, streak, missed_in_row = GOOD, streak + 1, 0
        elif verdict.status == MISSED:
            missed_in_row += 1
            streak = 0
            standing = WARNED if missed_in_row == 1 else UNDER_REVIEW
        shown = standing if amb.status == ACTIVE else amb.status  # the status today, for those not active
        records.append(Record(verdict, shown, streak, missed_in_row))
    return records


def perks(amb: Ambassador, records: Sequence[Record], as_of: date, rules: Rules) -> list[str]:
    """Perks read at the run's date, from the quarters that are final on that date."""
    if amb.status != ACTIVE:
        return []
    out = []
    last_final = latest_final(as_of, rules.window_days)
    final_streak = 0
    for rec in records:
        if rec.verdict.quarter > last_final:
            break
        if rec.verdict.status == MET:
            final_streak += 1
        elif rec.verdict.status == MISSED:
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
