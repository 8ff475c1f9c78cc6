"""The report's values: the labels it prints, its settings and the frozen figures of one quarter."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ..compliance import EXEMPT, MET, MISSED, PENDING

if TYPE_CHECKING:
    from .history import AmbassadorHistory, Cohort

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
    ambassador_pages: bool = True  # a page per ambassador over the years (`history`); only with ambassador_table


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
        value = getattr(self, status)
        if not isinstance(value, int):
            raise TypeError(f"{status!r} is not a count of quarters")
        return value


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


#: The headline numbers, in the order they are shown, each with the words every file prints beside it
#: (the page's and the PDF's tiles, the newsletter's "In numbers"): one definition each (`Summary`).
SUMMARY_LABELS = {
    "ambassadors": "ambassadors with a verdict",
    "met": "met the quarter",
    "missed": "missed the quarter",
    "activities": "activities reported",
    "full_reports": "full reports",
    "reach": "people reached",
    "engagements": "engagements and reshares",
    "countries": "countries with ambassadors",
    "countries_active": "countries with an activity",
}


@dataclass(frozen=True)
class Summary:
    """The quarter's headline numbers, worked out once (`figures.summarize`) and read by every renderer, the
    job's summary line and the staff mail, so a number means the same everywhere.

    - ambassadors: those with a verdict for the quarter (met, missed, exempt or pending), the erased too:
      the `ambassadors` of `compliance --quarter Q --format json`;
    - met, missed, exempt, pending: those verdicts;
    - activities, full_reports, reach, engagements: the sums of those ambassadors' `activities`,
      `full_reports`, `reach` (attendees plus views) and `engagements` (engagements plus reshares) in the JSON;
    - countries: the distinct countries (as written on the roster, empty left out) of those ambassadors;
    - countries_active: of those, the ones where at least one ambassador reported an activity in the quarter;
    - referrals: inquiries served in the quarter (`ReferralServed`); posts: blog posts published in it.
    """

    ambassadors: int
    met: int
    missed: int
    exempt: int
    pending: int
    activities: int
    full_reports: int
    reach: int
    engagements: int
    countries: int
    countries_active: int
    referrals: int
    posts: int

    def items(self) -> tuple[tuple[str, int, str], ...]:
        """(name, value, label) of the headline numbers, in `SUMMARY_LABELS` order."""
        return tuple((k, getattr(self, k), label) for k, label in SUMMARY_LABELS.items())


@dataclass(frozen=True)
class Concentration:
    """How much of the quarter's reach came from its `top` best-reaching ambassadors (the erased counted,
    never named): `top_reach` of `reach`, among `ambassadors` with a verdict."""

    top: int
    top_reach: int
    reach: int
    ambassadors: int

    @property
    def share(self) -> float | None:
        return self.top_reach / self.reach if self.reach else None


@dataclass(frozen=True)
class CoverageLine:
    """One country: its ambassadors with a verdict for the quarter and the languages they speak, against
    the referral inquiries on record from it and the languages those asked for."""

    country: str
    ambassadors: int
    languages: tuple[str, ...]  # spoken by those ambassadors, lower-cased, sorted
    inquiries: int
    asked: tuple[str, ...]  # the inquiries' languages, lower-cased, sorted
    uncovered: tuple[str, ...]  # asked for, spoken by none of the country's ambassadors


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
    summary: Summary  # the headline numbers, defined once
    concentration: Concentration | None = None  # the quarter's reach from its top three ambassadors
    coverage: tuple[CoverageLine, ...] = ()  # by country: ambassadors and languages against inquiries
    cohorts: tuple[Cohort, ...] = ()  # by the quarter people joined: retention, time to a first activity
    histories: tuple[AmbassadorHistory, ...] = ()  # a page each, by name (none when `ambassador_pages` is off)
    records_since: str = ""  # the quarter the records begin with (`history.records_from`), "" without tracks

    @property
    def activities(self) -> int:
        return self.summary.activities

    @property
    def full_reports(self) -> int:
        return self.summary.full_reports

    @property
    def reach(self) -> int:
        return self.summary.reach

    @property
    def engagements(self) -> int:
        return self.summary.engagements

    @property
    def retention_day(self) -> date:
        """The day "active now" is read on: the quarter's last day, or the report's date before it."""
        return min(self.end, self.as_of)

    @property
    def provisional(self) -> bool:
        return not self.final

    def perk_count(self, perk: str) -> int:
        return self.perks_held.get(perk, 0)

    def holders(self, perk: str) -> tuple[PerkHolder, ...]:
        return tuple(h for h in self.perk_holders if perk in h.perks)

    @property
    def countries_active(self) -> int:
        """Countries with at least one activity this quarter (`Summary.countries_active`)."""
        return self.summary.countries_active

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


# Letters that Unicode does not decompose into a base letter and a mark, for sorting names by their look.
_BASE_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"})


def name_key(name: str) -> str:
    """A name as a sort key: Łukasz sorts with the Ls and Émile with the Es, not after Z."""
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_BASE_LETTERS))
    return "".join(c for c in folded if not unicodedata.combining(c))
