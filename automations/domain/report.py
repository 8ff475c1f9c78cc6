"""The quarterly program report's figures: reach, activities, engagement, compliance, perks, referrals,
blog posts and funding, for one quarter.

Pure functions over what the other jobs already work out: the compliance `Standing`s of the quarter
(and of the quarters before it), the referral inquiries, the blog proposals and the funding requests.
Nothing is judged here: every verdict, standing, streak and perk is compliance's own (the same objects
`compliance --format json` prints), so the report's counts are compliance's counts.

Decisions made here once:
- An activity of the quarter is one of compliance's current copies dated in it (counted or not full
  yet), of an ambassador who had started by the quarter's end: what `activities` counts in the JSON.
- Reach is attendees plus views (`Activity.reach`), by the ambassador's country and region.
- The **engagement score** compares what happened with who could have taken part:
  events and talks: attendees / registrations; content: (engagements + reshares) / views; other kinds
  have no score. Attendance rates (tens of percent) and engagement rates (a few percent) are not
  comparable, so each has its own ranking. An activity with fewer than `min_audience` registrations
  (or views) is not ranked: three people of three registered is no headline.
- A referral is served in the quarter when one of its offers was made or accepted in it; its outcome
  is the inquiry's state on the report's date.
- A blog post is published in the quarter when its "Published on" date is in it (else the day the
  blog-reviews job first saw it published).
- The final report goes to staff once per quarter by mail (`report_messages`, key
  `quarterly_report:<quarter>:<staff>`), the page attached; a provisional one goes to no one.
- Someone erased (`erase`: their address a pseudonym, their name and texts tokens) still counts in every
  number, as before the erase, and is named nowhere: the lists that name people (the rankings and so the
  highlights, "met the quarter", perk holders, the referrals' ambassadors, blog posts, the appendix) leave
  them out (`forgotten`), and the figures those lists gave are kept beside them (`counted`, `perks_held`,
  `posts_published`), so a report made again after an erase has the same numbers and no token.
- Funding spent is what was approved or paid (the approved amount, else the amount asked) for events in
  the budget period that holds the quarter (its quarter or its year), against `funding.budgets`, as the
  funding job adds it up; the quarter's own share is shown beside it.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Mapping, Sequence

from .values import shown as readable  # a person's text as written into the report: no bidi trick
from .blog import Proposal
from .charts import Bar, Series, Stack
from .compliance import CONFERENCE_FUNDING, EXEMPT, FREE_EVENT_ACCESS, MET, MISSED, PENDING, Standing, anniversary
from .messages import Attachment, PlannedMessage
from .funding import FUNDED, FundingRequest, FundingSettings, budgets, period_of
from .model import ACTIVITY_KINDS, Activity
from .privacy import forgotten
from .quarters import Quarter
from .referrals import NEEDS, Inquiry

STATUSES = (MET, MISSED, EXEMPT, PENDING)
STANDINGS = ("good", "warned", "under_review", "paused", "alumni", "removed")
PERKS = ("free_event_access", "conference_funding")

KIND_LABELS = {"networking": "Networking", "content": "Content", "documentation": "Documentation",
               "event": "Events", "talk": "Talks", "advocacy": "Advocacy", "community_support": "Community support"}
STANDING_LABELS = {"good": "good standing", "warned": "warned", "under_review": "under review", "paused": "paused",
                   "alumni": "alumni", "removed": "removed"}
PERK_LABELS = {"free_event_access": "free access to official events",
               "conference_funding": "eligible for conference funding"}
ATTENDANCE, CONTENT = "attendance", "content"
#: What each score is, in the words the report prints.
SCORE_DEFINITIONS = {
    ATTENDANCE: "Events and talks: attendees divided by registrations (people who came, of those who signed up).",
    CONTENT: "Content: engagements plus reshares divided by views (people who reacted or passed it on, of those "
             "who saw it).",
}


@dataclass(frozen=True)
class ReportSettings:
    quarters_shown: int = 4  # the compliance history: this quarter and the ones before it
    top_activities: int = 10  # rows of each engagement ranking
    min_audience: int = 20  # fewer registrations (events, talks) or views (content): not ranked
    ambassador_table: bool = True  # the appendix listing every ambassador's quarter
    newsletter_highlights: int = 6  # activities the newsletter credits, taken from the top of both rankings
    email_staff: bool = True  # the final report to staff by mail, once per quarter


@dataclass(frozen=True)
class StatusCounts:
    """One quarter in compliance's words: its verdicts and the standings they left."""

    quarter: str
    final: bool
    met: int
    missed: int
    exempt: int
    pending: int
    standings: tuple[tuple[str, int], ...]  # (standing, ambassadors), in STANDINGS order, zeros left out

    @property
    def total(self) -> int:
        return self.met + self.missed + self.exempt + self.pending

    @property
    def judged(self) -> int:
        return self.met + self.missed

    @property
    def met_share(self) -> float | None:
        """Met of the quarters judged (exempt and pending left out)."""
        return self.met / self.judged if self.judged else None

    def count(self, status: str) -> int:
        return getattr(self, status)


@dataclass(frozen=True)
class AmbassadorLine:
    """One ambassador's quarter, as `compliance --format json` prints it."""

    email: str
    name: str
    country: str
    region: str
    status: str
    full_reports: int
    activities: int
    standing: str
    streak: int
    perks: tuple[str, ...]
    reach: int
    engagements: int


@dataclass(frozen=True)
class AreaReach:
    """Reach of one country (region "") or of one region within it."""

    country: str
    region: str
    ambassadors: int
    activities: int
    reach: int
    engagements: int


@dataclass(frozen=True)
class CountryReach:
    total: AreaReach
    regions: tuple[AreaReach, ...]  # the named regions, by reach; ambassadors with no region are in the total only


@dataclass(frozen=True)
class KindFigures:
    kind: str
    label: str
    activities: int
    full_reports: int
    reach: int
    engagements: int


@dataclass(frozen=True)
class ScoredActivity:
    """An activity with its engagement score and what the score is made of."""

    family: str  # ATTENDANCE or CONTENT
    score: float
    basis: str  # "84 attended of 120 registered"
    title: str
    kind: str
    day: date
    ambassador: str  # the name, as on the roster
    email: str
    country: str
    link: str  # "" unless an http(s) address
    reach: int
    engagements: int


@dataclass(frozen=True)
class PerkHolder:
    name: str
    email: str
    country: str
    perks: tuple[str, ...]  # held on the report's date, as compliance reads them
    new: tuple[str, ...] = ()  # of those, the ones this quarter earned (see `perk_holders`)


@dataclass(frozen=True)
class ReferralServed:
    inquiry: str
    need: str
    country: str
    region: str
    offers: int  # offers made in the quarter
    outcome: str  # "accepted", "waiting for an answer", "no candidate left"
    ambassadors: tuple[str, ...]  # the names of those offered it in the quarter
    recommended: str  # the name of the ambassador who accepted ("" when none)


@dataclass(frozen=True)
class PublishedPost:
    title: str
    author: str  # the name (the address when not on the roster)
    url: str  # "" unless an http(s) address
    published_on: date


@dataclass(frozen=True)
class FundingLine:
    """One currency in the budget period that holds the quarter."""

    currency: str
    period: str
    budget: Decimal | None  # None: no budget set for this currency
    approved: Decimal  # approved or paid for events in the period
    in_quarter: Decimal  # of which for events in the quarter
    waiting: Decimal  # asked for events in the period, not decided yet
    requests: int  # approved or paid requests in the quarter

    @property
    def share(self) -> float | None:
        return float(self.approved / self.budget) if self.budget else None


@dataclass(frozen=True)
class ProgramReport:
    """Every figure of one quarter's report."""

    program: str
    quarter: str
    start: date
    end: date
    as_of: date
    final: bool
    window_closes: date
    counts: StatusCounts
    history: tuple[StatusCounts, ...]  # oldest first, ending with this quarter
    ambassadors: tuple[AmbassadorLine, ...]  # in compliance's order, the erased left out (`forgotten`)
    counted: tuple[AmbassadorLine, ...]  # every ambassador with a verdict, the erased too: what the totals add up
    countries: tuple[CountryReach, ...]  # by reach
    kinds: tuple[KindFigures, ...]  # by activities
    rankings: tuple[tuple[str, tuple[ScoredActivity, ...]], ...]  # (family, top activities)
    scored: Mapping[str, int]  # family -> activities with a score (ranked or not)
    perk_holders: tuple[PerkHolder, ...]  # the erased left out
    perks_held: Mapping[str, int]  # perk -> ambassadors holding it, the erased too
    referrals: tuple[ReferralServed, ...]
    posts: tuple[PublishedPost, ...]  # the erased's left out
    posts_published: int  # posts published in the quarter, the erased's too
    funding: tuple[FundingLine, ...]
    funding_period: str
    settings: ReportSettings

    @property
    def activities(self) -> int:
        return sum(a.activities for a in self.counted)

    @property
    def full_reports(self) -> int:
        return sum(a.full_reports for a in self.counted)

    @property
    def reach(self) -> int:
        return sum(a.reach for a in self.counted)

    @property
    def engagements(self) -> int:
        return sum(a.engagements for a in self.counted)

    @property
    def provisional(self) -> bool:
        return not self.final

    def perk_count(self, perk: str) -> int:
        return self.perks_held.get(perk, 0)

    def holders(self, perk: str) -> tuple[PerkHolder, ...]:
        return tuple(h for h in self.perk_holders if perk in h.perks)

    @property
    def countries_active(self) -> int:
        """Countries with at least one activity this quarter."""
        return sum(1 for c in self.countries if c.total.activities)

    @property
    def met_names(self) -> tuple[str, ...]:
        """The ambassadors who met the quarter, by name."""
        return tuple(sorted((a.name for a in self.ambassadors if a.status == MET), key=name_key))

    @property
    def highlights(self) -> tuple[ScoredActivity, ...]:
        """The newsletter's picks: the top of each ranking taken in turn (the best attendance, the best
        engagement, the second best of each, ...), `newsletter_highlights` of them."""
        lists = [list(top) for _, top in self.rankings]
        out: list[ScoredActivity] = []
        while any(lists) and len(out) < self.settings.newsletter_highlights:
            for top in lists:
                if top and len(out) < self.settings.newsletter_highlights:
                    out.append(top.pop(0))
        return tuple(out)


def web_link(text: str) -> str:
    """The address if it is an http(s) link a reader can follow, else "" (a `javascript:` or a note is no link)."""
    t = text.strip()
    return t if t.lower().startswith(("https://", "http://")) and " " not in t and len(t) > 8 else ""


def engagement_score(a: Activity) -> tuple[str, float, str] | None:
    """(family, score, what it is made of), or None for an activity without one (see the module docstring)."""
    if a.kind in ("event", "talk"):
        if a.registrations and a.attendees is not None:
            return ATTENDANCE, a.attendees / a.registrations, f"{a.attendees:,} attended of {a.registrations:,} registered"
    elif a.kind == "content":
        if a.views and (a.engagements is not None or a.reshares is not None):
            reacted = (a.engagements or 0) + (a.reshares or 0)
            return CONTENT, reacted / a.views, f"{reacted:,} engagements and reshares on {a.views:,} views"
    return None


def audience(a: Activity) -> int:
    return (a.registrations or 0) if a.kind in ("event", "talk") else (a.views or 0)


def quarter_activities(standings: Sequence[Standing]) -> list[tuple[Standing, Activity]]:
    """The quarter's activities (compliance's current copies dated in it), with whose they are."""
    return [(s, a) for s in standings for a in (*s.record.verdict.counted, *s.record.verdict.incomplete)]


def status_counts(quarter: Quarter, standings: Sequence[Standing], final: bool) -> StatusCounts:
    verdicts = Counter(s.record.verdict.status for s in standings)
    held = Counter(s.record.standing for s in standings)
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

    def rank(r: AreaReach):
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
    counted = Counter()
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


# Letters that Unicode does not decompose into a base letter and a mark, for sorting names by their look.
_BASE_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"})


def name_key(name: str) -> str:
    """A name as a sort key: Łukasz sorts with the Ls and Émile with the Es, not after Z."""
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_BASE_LETTERS))
    return "".join(c for c in folded if not unicodedata.combining(c))


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


def funding_lines(requests: Sequence[FundingRequest], quarter: Quarter, settings: FundingSettings | None
                  ) -> tuple[str, tuple[FundingLine, ...]]:
    """The budget period holding the quarter, and each currency's approved amounts in it (budget or not)."""
    if settings is None:
        return str(quarter), ()
    period = period_of(quarter.start, settings.budget_period)
    tracked = {b.currency: b for b in budgets(requests, settings) if b.period == period}
    sums: dict[str, list] = {c: [b.approved, Decimal(0), b.requested, 0] for c, b in tracked.items()}
    for r in requests:
        if r.status == "rejected" or period_of(r.event_date, settings.budget_period) != period:
            continue
        s = sums.setdefault(r.currency, [Decimal(0), Decimal(0), Decimal(0), 0])
        funded = r.status in FUNDED
        if r.currency not in tracked:  # a currency with no budget: added up here, as `budgets` would
            if funded:
                s[0] += r.funded
            else:
                s[2] += r.amount
        if funded and quarter.start <= r.event_date <= quarter.end:
            s[1] += r.funded
            s[3] += 1
    for c in settings.budgets:
        sums.setdefault(c, [Decimal(0), Decimal(0), Decimal(0), 0])
    lines = [FundingLine(c, period, settings.budgets.get(c), a, q, w, n) for c, (a, q, w, n) in sums.items()]
    return period, tuple(sorted(lines, key=lambda f: (f.budget is None, f.currency)))


def build_report(program: str, quarter: Quarter, as_of: date, window_days: int,
                 by_quarter: Mapping[Quarter, Sequence[Standing]], inquiries: Sequence[Inquiry],
                 proposals: Sequence[Proposal], requests: Sequence[FundingRequest],
                 funding_settings: FundingSettings | None, settings: ReportSettings) -> ProgramReport:
    """The report of `quarter` as of `as_of`. `by_quarter` holds compliance's standings of `quarter` and of
    the quarters before it to show (missing ones are shown empty)."""
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
    return ProgramReport(
        program=program, quarter=str(quarter), start=quarter.start, end=quarter.end, as_of=as_of,
        final=as_of > closes, window_closes=closes, counts=history[-1], history=history,
        ambassadors=tuple(a for a in everyone if not forgotten(a.email, a.name)), counted=everyone,
        countries=reach_by_area(standings), kinds=by_kind(standings), rankings=top, scored=scored,
        perk_holders=tuple(h for h in holders if not forgotten(h.email, h.name)),
        perks_held=dict(Counter(p for h in holders for p in h.perks)),
        referrals=referrals_served(inquiries, quarter, names, as_of),
        posts=tuple(p for p in posts if not forgotten(p.author, p.author, p.title, p.url)), posts_published=len(posts),
        funding=funding, funding_period=period, settings=settings)


# The charts' rows: the same for the HTML page (SVG) and the PDF (drawn directly).

STATUS_SERIES = (Series(MET, "met", "#2f8f5b"), Series(MISSED, "missed", "#c0504d"),
                 Series(EXEMPT, "exempt", "#9aa5b1"), Series(PENDING, "pending", "#d9a441"))


def reach_bars(report: ProgramReport, limit: int = 12) -> list[Bar]:
    """Reach by country, ranked; the countries past `limit` summed as one last bar. Countries that reached no
    one are left to the table."""
    rows = [c.total for c in report.countries if c.total.reach > 0]
    bars = [Bar(r.country, r.reach, f"{r.reach:,}") for r in rows[:limit]]
    rest = rows[limit:]
    if rest:
        total = sum(r.reach for r in rest)
        bars.append(Bar(f"{len(rest)} other countries", total, f"{total:,}"))
    return bars


def kind_bars(report: ProgramReport) -> list[Bar]:
    return [Bar(k.label, k.activities, f"{k.activities:,}") for k in report.kinds]


def compliance_stacks(report: ProgramReport) -> list[Stack]:
    return [Stack(h.quarter, tuple(h.count(s.key) for s in STATUS_SERIES), "" if h.final else "provisional")
            for h in report.history]


def score_text(score: float) -> str:
    """A score as a percentage: whole percents, one decimal under 10% (content rates are a few percent)."""
    pct = score * 100
    return f"{pct:.1f}%" if pct < 10 else f"{pct:.0f}%"


REPORT_JOB = "quarterly_report"


def report_messages(report: ProgramReport, staff: Sequence[str], html: bytes | None) -> list[PlannedMessage]:
    """The final report to each staff address, once per quarter (`quarterly_report:<quarter>:<staff>`), the
    page attached (`html`: None in a dry run, which attaches nothing). A provisional report goes to no one:
    its numbers still change."""
    if not report.final:
        return []
    c = report.counts
    context = {
        "first_name": "team", "quarter": report.quarter, "start": report.start.isoformat(),
        "end": report.end.isoformat(), "met": c.met, "missed": c.missed, "exempt": c.exempt, "pending": c.pending,
        "activities": report.activities, "reach": report.reach, "engagements": report.engagements,
        "countries": report.countries_active, "referrals": len(report.referrals), "posts": report.posts_published,
        "highlights": [{"title": a.title, "ambassador": a.ambassador, "score": score_text(a.score), "basis": a.basis}
                       for a in report.highlights[:3]],
        "filename": f"report-{report.quarter}.html",
    }
    attachments = (Attachment(context["filename"], "text/html", html),) if html is not None else ()
    return [PlannedMessage(key=f"{REPORT_JOB}:{report.quarter}:{who}", job=REPORT_JOB, to_email=who, to_name="",
                           context=context, obligation=False, attachments=attachments) for who in staff]
