"""Working out the report's figures from compliance's standings, the referral inquiries, the blog proposals and
the funding requests (`build_report` puts them together)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from ..blog import Proposal
from ..compliance import (
    CONFERENCE_FUNDING,
    EXEMPT,
    FREE_EVENT_ACCESS,
    MET,
    MISSED,
    PENDING,
    Standing,
    Track,
    anniversary,
    status_on,
)
from ..compliance.copies import GOOD, UNDER_REVIEW, WARNED
from ..compliance.verdicts import ACTIVE
from ..funding import FUNDED, FundingRequest, FundingSettings, budgets, period_of
from ..model import ACTIVITY_KINDS, Activity
from ..privacy import forgotten
from ..quarters import Quarter
from ..referrals import NEEDS, Inquiry
from ..values import shown as readable  # a person's text as written into the report: no bidi trick
from .history import cohorts, histories, records_from
from .model import (
    ATTENDANCE,
    CONTENT,
    KIND_LABELS,
    STANDINGS,
    AmbassadorLine,
    AreaReach,
    Concentration,
    CountryReach,
    CoverageLine,
    FundingLine,
    KindFigures,
    PerkHolder,
    ProgramReport,
    PublishedPost,
    ReferralServed,
    ReportSettings,
    ScoredActivity,
    StatusCounts,
    Summary,
    name_key,
)


def web_link(text: str) -> str:
    """The address if it is an http(s) link a reader can follow, else "" (a `javascript:` or a note is no link)."""
    t = text.strip()
    return t if t.lower().startswith(("https://", "http://")) and " " not in t and len(t) > 8 else ""


def engagement_score(a: Activity) -> tuple[str, float, str] | None:
    """(family, score, what it is made of), or None for an activity without one (see the module docstring)."""
    if a.kind in ("event", "talk") and a.registrations and a.attendees is not None:
        return ATTENDANCE, a.attendees / a.registrations, f"{a.attendees:,} attended of {a.registrations:,} registered"
    if a.kind == "content" and a.views and (a.engagements is not None or a.reshares is not None):
        reacted = (a.engagements or 0) + (a.reshares or 0)
        return CONTENT, reacted / a.views, f"{reacted:,} engagements and reshares on {a.views:,} views"
    return None


def audience(a: Activity) -> int:
    return (a.registrations or 0) if a.kind in ("event", "talk") else (a.views or 0)


def quarter_activities(standings: Sequence[Standing]) -> list[tuple[Standing, Activity]]:
    """The quarter's activities (compliance's current copies dated in it), with whose they are."""
    return [(s, a) for s in standings for a in (*s.record.verdict.counted, *s.record.verdict.incomplete)]


def standing_after(s: Standing, quarter: Quarter) -> str:
    """The standing an ambassador had after `quarter`: their status on its last day when not active (the roster's
    Status history, read as compliance reads it), else the ladder compliance climbs (good, warned, under review).
    Compliance's own record gives anyone not active today their status of today for every quarter: right for
    its verdicts' reader, not for a history of standings."""
    status = status_on(s.ambassador, quarter.end)
    if status != ACTIVE:
        return status
    r = s.record
    if s.ambassador.status == ACTIVE:
        return r.standing
    return GOOD if r.missed_in_row == 0 else WARNED if r.missed_in_row == 1 else UNDER_REVIEW


def status_counts(quarter: Quarter, standings: Sequence[Standing], final: bool) -> StatusCounts:
    verdicts = Counter(s.record.verdict.status for s in standings)
    held = Counter(standing_after(s, quarter) for s in standings)
    order = [*STANDINGS, *sorted(set(held) - set(STANDINGS))]
    return StatusCounts(str(quarter), final, verdicts[MET], verdicts[MISSED], verdicts[EXEMPT], verdicts[PENDING],
                        tuple((k, held[k]) for k in order if held[k]))


def ambassador_lines(standings: Sequence[Standing]) -> tuple[AmbassadorLine, ...]:
    out = []
    for s in standings:
        v, a = s.record.verdict, s.ambassador
        out.append(AmbassadorLine(a.email, readable(a.name), a.country, a.region, v.status, v.full_reports, v.activities,
                                  s.record.standing, s.record.streak, tuple(s.perks), v.reach, v.engagements))
    return tuple(out)


def reach_by_area(standings: Sequence[Standing]) -> tuple[CountryReach, ...]:
    """Each country with the ambassadors who had started by the quarter's end, by reach (then activities, name)."""
    people: dict[tuple[str, str], set[str]] = defaultdict(set)
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for s in standings:
        v, amb = s.record.verdict, s.ambassador
        country = amb.country.strip() or "(no country)"
        for area in ((country, ""), (country, amb.region.strip())) if amb.region.strip() else ((country, ""),):
            people[area].add(amb.email)
            t = sums[area]
            t[0] += v.activities
            t[1] += v.reach
            t[2] += v.engagements

    def line(area: tuple[str, str]) -> AreaReach:
        n, reach, eng = sums[area]
        return AreaReach(area[0], area[1], len(people[area]), n, reach, eng)

    def rank(r: AreaReach) -> tuple[int, int, str, str]:
        return (-r.reach, -r.activities, r.country.casefold(), r.region.casefold())

    countries = []
    for country in {c for c, _ in sums}:
        regions = sorted((line(a) for a in sums if a[0] == country and a[1]), key=rank)
        countries.append(CountryReach(line((country, "")), tuple(regions)))
    return tuple(sorted(countries, key=lambda c: rank(c.total)))


def by_kind(standings: Sequence[Standing]) -> tuple[KindFigures, ...]:
    sums: dict[str, list[int]] = {k: [0, 0, 0, 0] for k in ACTIVITY_KINDS}
    for s, a in quarter_activities(standings):
        t = sums.setdefault(a.kind, [0, 0, 0, 0])
        t[0] += 1
        t[1] += a in s.record.verdict.counted
        t[2] += a.reach
        t[3] += (a.engagements or 0) + (a.reshares or 0)
    rows = [KindFigures(k, KIND_LABELS.get(k, k), *t) for k, t in sums.items()]
    return tuple(sorted(rows, key=lambda r: (-r.activities, -r.reach, r.label)))


def rankings(standings: Sequence[Standing], settings: ReportSettings
             ) -> tuple[tuple[tuple[str, tuple[ScoredActivity, ...]], ...], dict[str, int]]:
    """The top activities of each family by score (then reach, date, title), and how many had a score."""
    scored: dict[str, list[ScoredActivity]] = {ATTENDANCE: [], CONTENT: []}
    counted: Counter[str] = Counter()
    for s, a in quarter_activities(standings):
        score = engagement_score(a)
        if score is None:
            continue
        family, value, basis = score
        counted[family] += 1
        if audience(a) < settings.min_audience or forgotten(a.email, a.title, a.link, s.ambassador.name):
            continue  # not ranked; an erased person's activity is scored (counted above) and never named
        scored[family].append(ScoredActivity(family, value, basis, readable(a.title), a.kind, a.date,
                                             readable(s.ambassador.name),
                                             a.email, s.ambassador.country, web_link(a.link), a.reach,
                                             (a.engagements or 0) + (a.reshares or 0)))
    out = []
    for family, rows in scored.items():
        rows.sort(key=lambda r: (-r.score, -r.reach, r.day, r.title.casefold(), r.email))
        out.append((family, tuple(rows[:settings.top_activities])))
    return tuple(out), {f: counted[f] for f in scored}


def perk_holders(standings: Sequence[Standing], quarter: Quarter) -> tuple[PerkHolder, ...]:
    """Who holds a perk (compliance's, read on the report's date), by name. A perk is new this quarter when
    the quarter earned it: free event access when this final quarter made the second met one in a row,
    conference funding when the first anniversary fell in it."""
    held = []
    for s in standings:
        if not s.perks:
            continue
        new = []
        v = s.record.verdict
        if FREE_EVENT_ACCESS in s.perks and v.final and v.status == MET and s.record.streak == 2:
            new.append(FREE_EVENT_ACCESS)
        if CONFERENCE_FUNDING in s.perks and quarter.start <= anniversary(s.ambassador.start_date, 1) <= quarter.end:
            new.append(CONFERENCE_FUNDING)
        held.append(PerkHolder(readable(s.ambassador.name), s.ambassador.email, s.ambassador.country, tuple(s.perks),
                               tuple(new)))
    return tuple(sorted(held, key=lambda h: (name_key(h.name), h.email)))


def referrals_served(inquiries: Sequence[Inquiry], quarter: Quarter, names: Mapping[str, str], as_of: date
                     ) -> tuple[ReferralServed, ...]:
    """The inquiries offered or accepted in the quarter, each with its state on `as_of` (steps dated after
    it have not happened yet for a replay)."""
    out = []
    for i in inquiries:
        i = replace(i, history=tuple(h for h in i.history if h[0] <= as_of))
        inside = [(d, ev, who) for d, ev, who in i.history
                  if quarter.start <= d <= quarter.end and ev in ("offered", "accepted")]
        if not inside:
            continue
        offered = tuple(dict.fromkeys(names.get(w, w) for _, ev, w in inside
                                      if ev == "offered" and not forgotten(w, names.get(w, ""))))
        status = i.status
        outcome = {"accepted": "accepted", "exhausted": "no candidate left", "offered": "waiting for an answer"
                   }.get(status, status)
        out.append(ReferralServed(i.id, NEEDS.get(i.need, i.need), i.country, i.region,
                                  sum(1 for _, ev, _ in inside if ev == "offered"), outcome, offered,
                                  "" if forgotten(i.recommended, names.get(i.recommended, ""))
                                  else names.get(i.recommended, i.recommended)))
    return tuple(sorted(out, key=lambda r: (r.country.casefold(), r.region.casefold(), r.inquiry)))


def published_day(p: Proposal) -> date | None:
    if p.stage != "published":
        return None
    return p.published_on or next((d for stage, d in p.history if stage == "published"), None)


def posts_published(proposals: Sequence[Proposal], quarter: Quarter, names: Mapping[str, str], as_of: date
                    ) -> tuple[PublishedPost, ...]:
    out = []
    for p in proposals:
        day = published_day(p)
        if day is not None and quarter.start <= day <= min(quarter.end, as_of):
            out.append(PublishedPost(p.title, names.get(p.author, p.author), web_link(p.published_url), day))
    return tuple(sorted(out, key=lambda p: (p.published_on, p.title.casefold())))


@dataclass
class _Sums:
    """One currency's sums: approved and requested in the budget period, funded in the quarter, funded events."""

    approved: Decimal = Decimal(0)
    quarter: Decimal = Decimal(0)
    requested: Decimal = Decimal(0)
    events: int = 0


def funding_lines(requests: Sequence[FundingRequest], quarter: Quarter, settings: FundingSettings | None
                  ) -> tuple[str, tuple[FundingLine, ...]]:
    """The budget period holding the quarter, and each currency's approved amounts in it (budget or not)."""
    if settings is None:
        return str(quarter), ()
    period = period_of(quarter.start, settings.budget_period)
    tracked = {b.currency: b for b in budgets(requests, settings) if b.period == period}
    sums = {c: _Sums(b.approved, Decimal(0), b.requested) for c, b in tracked.items()}
    for r in requests:
        if r.status == "rejected" or period_of(r.event_date, settings.budget_period) != period:
            continue
        s = sums.setdefault(r.currency, _Sums())
        funded = r.status in FUNDED
        if r.currency not in tracked:  # a currency with no budget: added up here, as `budgets` would
            if funded:
                s.approved += r.funded
            else:
                s.requested += r.amount
        if funded and quarter.start <= r.event_date <= quarter.end:
            s.quarter += r.funded
            s.events += 1
    for c in settings.budgets:
        sums.setdefault(c, _Sums())
    lines = [FundingLine(c, period, settings.budgets.get(c), s.approved, s.quarter, s.requested, s.events)
             for c, s in sums.items()]
    return period, tuple(sorted(lines, key=lambda f: (f.budget is None, f.currency)))


def summarize(counts: StatusCounts, counted: Sequence[AmbassadorLine], referrals: int, posts: int) -> Summary:
    """The headline numbers (see `Summary` for what each counts), from the quarter's verdicts and every
    ambassador with one (the erased too)."""
    countries = {a.country.strip() for a in counted if a.country.strip()}
    active = {a.country.strip() for a in counted if a.country.strip() and a.activities}
    return Summary(ambassadors=len(counted), met=counts.met, missed=counts.missed, exempt=counts.exempt,
                   pending=counts.pending, activities=sum(a.activities for a in counted),
                   full_reports=sum(a.full_reports for a in counted), reach=sum(a.reach for a in counted),
                   engagements=sum(a.engagements for a in counted), countries=len(countries),
                   countries_active=len(active), referrals=referrals, posts=posts)


def concentration(counted: Sequence[AmbassadorLine], top: int = 3) -> Concentration:
    """The reach of the `top` ambassadors who reached most, of the quarter's whole reach (`Summary.reach`)."""
    best = sorted((a.reach for a in counted), reverse=True)[:top]
    return Concentration(top, sum(best), sum(a.reach for a in counted), len(counted))


def _languages(text: str) -> set[str]:
    return {w.strip().casefold() for w in text.replace(";", ",").split(",") if w.strip()}


def coverage(standings: Sequence[Standing], inquiries: Sequence[Inquiry]) -> tuple[CoverageLine, ...]:
    """Each country with an ambassador (with a verdict for the quarter) or a referral inquiry on record:
    ambassadors and their languages against the inquiries and theirs. Countries match whatever their
    capitals; by inquiries, then ambassadors, then name."""
    shown: dict[str, str] = {}
    people: dict[str, int] = Counter()
    spoken: dict[str, set[str]] = defaultdict(set)
    asked: dict[str, set[str]] = defaultdict(set)
    demand: dict[str, int] = Counter()
    for s in standings:
        name = s.ambassador.country.strip()
        if not name:
            continue
        key = shown.setdefault(name.casefold(), name).casefold()
        people[key] += 1
        for lang in s.ambassador.languages:
            spoken[key] |= _languages(lang)
    for i in inquiries:
        name = i.country.strip()
        if not name:
            continue
        key = shown.setdefault(name.casefold(), name).casefold()
        demand[key] += 1
        asked[key] |= _languages(i.language)
    rows = [CoverageLine(shown[k], people[k], tuple(sorted(spoken[k])), demand[k], tuple(sorted(asked[k])),
                         tuple(sorted(asked[k] - spoken[k]))) for k in shown]
    return tuple(sorted(rows, key=lambda r: (-r.inquiries, -r.ambassadors, r.country.casefold())))


def build_report(program: str, quarter: Quarter, as_of: date, window_days: int,
                 by_quarter: Mapping[Quarter, Sequence[Standing]], inquiries: Sequence[Inquiry],
                 proposals: Sequence[Proposal], requests: Sequence[FundingRequest],
                 funding_settings: FundingSettings | None, settings: ReportSettings,
                 tracks: Sequence[Track] = ()) -> ProgramReport:
    """The report of `quarter` as of `as_of`. `by_quarter` holds compliance's standings of `quarter` and of
    the quarters before it to show (missing ones are shown empty); `tracks`, compliance's whole records, give the
    cohorts and the ambassadors' pages over the years (`history`)."""
    standings = by_quarter.get(quarter, ())
    closes = quarter.window_closes(window_days)
    shown = [quarter]
    while len(shown) < settings.quarters_shown:
        shown.insert(0, shown[0].prev())
    history = tuple(status_counts(q, by_quarter.get(q, ()), as_of > q.window_closes(window_days)) for q in shown)
    names = {s.ambassador.email: readable(s.ambassador.name) for q in by_quarter.values() for s in q}
    top, scored = rankings(standings, settings)
    period, funding = funding_lines(requests, quarter, funding_settings)
    everyone, holders = ambassador_lines(standings), perk_holders(standings, quarter)
    posts = posts_published(proposals, quarter, names, as_of)
    served = referrals_served(inquiries, quarter, names, as_of)
    since = records_from(tracks, quarter)  # where the cohorts' and the pages' records begin
    return ProgramReport(
        program=program, quarter=str(quarter), start=quarter.start, end=quarter.end, as_of=as_of,
        final=as_of > closes, window_closes=closes, counts=history[-1], history=history,
        ambassadors=tuple(a for a in everyone if not forgotten(a.email, a.name)), counted=everyone,
        countries=reach_by_area(standings), kinds=by_kind(standings), rankings=top, scored=scored,
        perk_holders=tuple(h for h in holders if not forgotten(h.email, h.name)),
        perks_held=dict(Counter(p for h in holders for p in h.perks)),
        referrals=served,
        posts=tuple(p for p in posts if not forgotten(p.author, p.author, p.title, p.url)), posts_published=len(posts),
        funding=funding, funding_period=period, settings=settings,
        summary=summarize(history[-1], everyone, len(served), len(posts)),
        concentration=concentration(everyone), coverage=coverage(standings, inquiries),
        cohorts=cohorts(tracks, quarter, as_of, since), records_since=str(since) if tracks else "",
        # The pages name people as the appendix does: a report made to go beyond staff (no appendix) has none.
        histories=histories(tracks, quarter, as_of, inquiries, requests, since)
        if settings.ambassador_pages and settings.ambassador_table else ())
