"""Years of history in the report: a page per ambassador for renewal conversations, and the cohorts (the quarter
people joined) with their retention and their time from the start to a first activity. Pure.

Everything is read from compliance's own records (`Track`: every quarter from the one the ambassador started in),
cut at the report's quarter, so a report made again for an old quarter says what it said then:

- A year's verdicts are the quarters' verdicts (met, missed, exempt, pending) of that calendar year; its
  activities, full reports, reach and engagements are the sums of those quarters' figures as
  `compliance --quarter Q --format json` prints them (`QuarterVerdict.activities` and the like), so a quarter's
  line on a person's page and the quarter's totals in the report are the same numbers.
- The activity mix is the kinds of those activities (compliance's current copies, each counted once).
- Referrals taken: the inquiries the ambassador accepted (an "accepted" step naming them), by the step's date, up
  to the report's quarter end and its date.
- Funding used: approved or paid requests (the approved amount, else the amount asked), by the event's date, per
  currency, up to the quarter's end.
- The records begin with the earliest quarter in which anyone has an activity (`records_from`): compliance judges
  every quarter from a start date on, so someone who started before the program's first check-in on record has
  "missed" quarters no one could have reported. A page shows the quarters from the records' first (and says so
  when the start is earlier), and its years add those quarters up; referrals and funding come from their own
  tables and count whatever their year.
- The first activity: the earliest of those activities (activities dated before the start date never count, as
  in compliance); the days from the start date to it, for those who started in or after the records' first
  quarter (for the others the first activity on record need not be the first: no days, and their cohort has no
  median).
- A cohort is the ambassadors who started in one quarter, among those who had started by the report quarter's end.
  Retained after k quarters: active (the roster's status, read through its status history, `status_on`) on the
  last day of the k-th quarter after the one they joined in; None where that quarter ends after the report's
  quarter (not known yet). "Active now": active on the report quarter's last day (or the report's date, when the
  quarter has not ended). A roster with no status history holds today's status for all time (as compliance
  reads it), so someone now an alumnus counts as not retained from the start.
- The erased count in the cohorts (as in every number) and get no page.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..compliance import EXEMPT, MET, MISSED, PENDING, Record, Track, status_on
from ..compliance.verdicts import ACTIVE
from ..funding import FUNDED, FundingRequest
from ..privacy import forgotten
from ..quarters import Quarter
from ..referrals import Inquiry
from ..values import normalize_email
from ..values import shown as readable
from .model import KIND_LABELS, name_key

#: Retention is read this many quarters after the one people joined in.
RETENTION_AFTER = (1, 2, 4)


@dataclass(frozen=True)
class YearLine:
    """One calendar year of one ambassador: its quarters' verdicts and figures."""

    year: int
    met: int
    missed: int
    exempt: int
    pending: int
    activities: int
    full_reports: int
    reach: int
    engagements: int
    referrals: int  # inquiries accepted in the year
    funding: tuple[tuple[str, Decimal], ...]  # (currency, approved or paid) for events in the year

    @property
    def quarters(self) -> int:
        return self.met + self.missed + self.exempt + self.pending


@dataclass(frozen=True)
class AmbassadorHistory:
    """One ambassador's years, for their page of the report."""

    email: str
    name: str
    country: str
    start_date: date
    status: str  # the roster's status today
    standing: str  # after the report's quarter
    quarters: tuple[tuple[str, str], ...]  # (quarter, verdict) from the records' first, ending with the report's
    years: tuple[YearLine, ...]  # oldest first
    mix: tuple[tuple[str, int], ...]  # (kind label, activities), most first
    first_activity: date | None
    since: str = ""  # the quarter the program's records begin with (`records_from`)
    before_records: bool = False  # started before the records begin: their earlier quarters are not shown

    @property
    def days_to_first(self) -> int | None:
        """Days from the start date to the first activity; None without one, or when the start predates the records
        (the first activity on record need not be the first)."""
        if self.first_activity is None or self.before_records:
            return None
        return (self.first_activity - self.start_date).days

    @property
    def total(self) -> YearLine:
        """Every year added up (year 0)."""
        funding: dict[str, Decimal] = defaultdict(Decimal)
        for y in self.years:
            for currency, amount in y.funding:
                funding[currency] += amount
        def total(name: str) -> int:
            return sum(getattr(y, name) for y in self.years)

        return YearLine(0, total("met"), total("missed"), total("exempt"), total("pending"), total("activities"),
                        total("full_reports"), total("reach"), total("engagements"), total("referrals"),
                        tuple(sorted(funding.items())))

    def grid(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The quarters as a year-by-quarter grid: (year, four verdicts, "" before the start or after the report)."""
        by_year: dict[str, list[str]] = {}
        for quarter, status in self.quarters:
            year, q = quarter[:4], int(quarter[-1])
            by_year.setdefault(year, ["", "", "", ""])[q - 1] = status
        return tuple((y, tuple(v)) for y, v in by_year.items())


@dataclass(frozen=True)
class Cohort:
    """The ambassadors who joined in one quarter."""

    quarter: str
    joined: int
    retained: tuple[int | None, ...]  # active k quarters later, k in RETENTION_AFTER (None: not known yet)
    active_now: int
    with_activity: int  # reported an activity by the report's quarter end
    median_days: float | None  # from the start date to the first activity, of those with one (None: none, or
    # the cohort joined before the records begin)
    recorded: bool = True  # joined in or after the quarter the records begin with


def _records(track: Track, quarter: Quarter, since: Quarter | None = None) -> list[Record]:
    return [r for r in track.records if r.verdict.quarter <= quarter and (since is None or r.verdict.quarter >= since)]


def first_activity(track: Track, quarter: Quarter) -> date | None:
    days = [a.date for r in _records(track, quarter) for a in (*r.verdict.counted, *r.verdict.incomplete)]
    return min(days, default=None)


def records_from(tracks: Sequence[Track], quarter: Quarter) -> Quarter:
    """The quarter the program's records begin with: the earliest, up to `quarter`, in which anyone has an activity
    (compliance's current copies); `quarter` itself when no one has one. Compliance judges every quarter from a
    start date on, so someone who started before the program's first check-in has "missed" quarters no one could
    have reported: the pages and the time to a first activity begin with the records instead."""
    found = [r.verdict.quarter for t in tracks for r in t.records
             if r.verdict.quarter <= quarter and (r.verdict.counted or r.verdict.incomplete)]
    return min(found, default=quarter)


@dataclass(frozen=True)
class _Taken:
    """Referral inquiries accepted and funding used, by ambassador and year: read once for every page."""

    referrals: Mapping[str, Counter[int]]
    funding: Mapping[str, Mapping[int, Mapping[str, Decimal]]]


def _taken(inquiries: Sequence[Inquiry], requests: Sequence[FundingRequest], quarter: Quarter, as_of: date) -> _Taken:
    until = min(quarter.end, as_of)
    referrals: dict[str, Counter[int]] = defaultdict(Counter)
    for i in inquiries:
        for d, ev, who in i.history:
            if ev == "accepted" and d <= until:
                referrals[normalize_email(who)][d.year] += 1
    funding: dict[str, dict[int, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(Decimal)))
    for req in requests:
        if req.status in FUNDED and req.event_date <= quarter.end:
            funding[req.ambassador][req.event_date.year][req.currency] += req.funded
    return _Taken(referrals, funding)


def ambassador_history(track: Track, quarter: Quarter, since: Quarter, taken: _Taken) -> AmbassadorHistory:
    """One ambassador's page: their quarters from `since` (the records' first, `records_from`) up to `quarter`, year
    by year, with the referrals and funding of `taken` (see the module docstring)."""
    amb, records = track.ambassador, _records(track, quarter, since)
    referrals = taken.referrals.get(amb.email, Counter())
    funded = taken.funding.get(amb.email, {})
    per_year: dict[int, tuple[Counter[str], list[int]]] = {}
    kinds: Counter[str] = Counter()
    for rec in records:
        v = rec.verdict
        verdicts, sums = per_year.setdefault(v.quarter.year, (Counter(), [0, 0, 0, 0]))
        verdicts[v.status] += 1
        sums[0] += v.activities
        sums[1] += v.full_reports
        sums[2] += v.reach
        sums[3] += v.engagements
        kinds.update(a.kind for a in (*v.counted, *v.incomplete))
    years = []
    for year in sorted({*per_year, *referrals, *funded}):  # a year with only a referral or funding has its row too
        s, sums = per_year.get(year, (Counter(), [0, 0, 0, 0]))
        years.append(YearLine(year, s[MET], s[MISSED], s[EXEMPT], s[PENDING], sums[0], sums[1], sums[2], sums[3],
                              referrals[year], tuple(sorted(funded.get(year, {}).items()))))
    mix = tuple((KIND_LABELS.get(k, k), n) for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    now = track.at(quarter)
    return AmbassadorHistory(amb.email, readable(amb.name), readable(amb.country), amb.start_date, amb.status,
                             now.standing if now else "",
                             tuple((str(r.verdict.quarter), r.verdict.status) for r in records),
                             tuple(years), mix, first_activity(track, quarter), str(since),
                             Quarter.of(amb.start_date) < since)


def histories(tracks: Sequence[Track], quarter: Quarter, as_of: date, inquiries: Sequence[Inquiry],
              requests: Sequence[FundingRequest], since: Quarter) -> tuple[AmbassadorHistory, ...]:
    """The pages: every ambassador with a verdict for `quarter` who is not erased, by name, from `since` (the
    records' first quarter, `records_from`)."""
    taken = _taken(inquiries, requests, quarter, as_of)
    out = [ambassador_history(t, quarter, since, taken) for t in tracks
           if t.at(quarter) is not None and not forgotten(t.ambassador.email, t.ambassador.name)]
    return tuple(sorted(out, key=lambda h: (name_key(h.name), h.email)))


def _active(track: Track, day: date) -> bool:
    return status_on(track.ambassador, day) == ACTIVE


def cohorts(tracks: Sequence[Track], quarter: Quarter, as_of: date, since: Quarter) -> tuple[Cohort, ...]:
    """Every quarter someone who had started by `quarter`'s end joined in, oldest first; `since`: the records'
    first quarter (`records_from`)."""
    joined: dict[Quarter, list[Track]] = defaultdict(list)
    for t in tracks:
        if t.at(quarter) is not None:
            joined[Quarter.of(t.ambassador.start_date)].append(t)
    now = min(quarter.end, as_of)
    out = []
    for q, group in sorted(joined.items()):
        retained: list[int | None] = []
        for k in RETENTION_AFTER:
            later = q
            for _ in range(k):
                later = later.next()
            retained.append(None if later.end > now else sum(_active(t, later.end) for t in group))
        firsts = [(d - t.ambassador.start_date).days for t in group
                  if (d := first_activity(t, quarter)) is not None]
        recorded = q >= since  # joined before the records: their first activity on record need not be the first
        out.append(Cohort(str(q), len(group), tuple(retained), sum(_active(t, now) for t in group), len(firsts),
                          statistics.median(firsts) if firsts and recorded else None, recorded))
    return tuple(out)
