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
- The first activity: the earliest of those activities (activities dated before the start date never count, as
  in compliance); the days from the start date to it.
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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..compliance import EXEMPT, MET, MISSED, PENDING, Record, Track, status_on
from ..compliance.verdicts import ACTIVE
from ..funding import FUNDED, FundingRequest
from ..privacy import forgotten
from ..quarters import Quarter
from ..referrals import Inquiry
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
    quarters: tuple[tuple[str, str], ...]  # (quarter, verdict), oldest first, ending with the report's
    years: tuple[YearLine, ...]  # oldest first
    mix: tuple[tuple[str, int], ...]  # (kind label, activities), most first
    first_activity: date | None

    @property
    def days_to_first(self) -> int | None:
        return None if self.first_activity is None else (self.first_activity - self.start_date).days

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
    median_days: float | None  # from the start date to the first activity, of those with one

    @property
    def without_activity(self) -> int:
        return self.joined - self.with_activity


def _records(track: Track, quarter: Quarter) -> list[Record]:
    return [r for r in track.records if r.verdict.quarter <= quarter]


def first_activity(track: Track, quarter: Quarter) -> date | None:
    days = [a.date for r in _records(track, quarter) for a in (*r.verdict.counted, *r.verdict.incomplete)]
    return min(days, default=None)


def ambassador_history(track: Track, quarter: Quarter, as_of: date, inquiries: Sequence[Inquiry],
                       requests: Sequence[FundingRequest]) -> AmbassadorHistory:
    """One ambassador's page: their quarters up to `quarter`, year by year (see the module docstring)."""
    amb, records = track.ambassador, _records(track, quarter)
    until = min(quarter.end, as_of)
    taken: Counter[int] = Counter(d.year for i in inquiries for d, ev, who in i.history
                                  if ev == "accepted" and who == amb.email and d <= until)
    funded: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for req in requests:
        if req.ambassador == amb.email and req.status in FUNDED and req.event_date <= quarter.end:
            funded[req.event_date.year][req.currency] += req.funded
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
    years = tuple(YearLine(year, s[MET], s[MISSED], s[EXEMPT], s[PENDING], sums[0], sums[1], sums[2], sums[3], taken[year],
                           tuple(sorted(funded[year].items())))
                  for year, (s, sums) in sorted(per_year.items()))
    mix = tuple((KIND_LABELS.get(k, k), n) for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    return AmbassadorHistory(amb.email, readable(amb.name), amb.country, amb.start_date, amb.status,
                             records[-1].standing if records else "", tuple((str(r.verdict.quarter), r.verdict.status)
                                                                             for r in records),
                             years, mix, first_activity(track, quarter))


def histories(tracks: Sequence[Track], quarter: Quarter, as_of: date, inquiries: Sequence[Inquiry],
              requests: Sequence[FundingRequest]) -> tuple[AmbassadorHistory, ...]:
    """The pages: every ambassador with a verdict for `quarter` who is not erased, by name."""
    out = [ambassador_history(t, quarter, as_of, inquiries, requests) for t in tracks
           if t.at(quarter) is not None and not forgotten(t.ambassador.email, t.ambassador.name)]
    return tuple(sorted(out, key=lambda h: (name_key(h.name), h.email)))


def _active(track: Track, day: date) -> bool:
    return status_on(track.ambassador, day) == ACTIVE


def cohorts(tracks: Sequence[Track], quarter: Quarter, as_of: date) -> tuple[Cohort, ...]:
    """Every quarter someone who had started by `quarter`'s end joined in, oldest first."""
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
        out.append(Cohort(str(q), len(group), tuple(retained), sum(_active(t, now) for t in group), len(firsts),
                          statistics.median(firsts) if firsts else None))
    return tuple(out)
