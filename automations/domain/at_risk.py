"""Who is at risk of missing the quarter that is under way, while it can still be saved (`at-risk`, the digest).

From week `digest.at_risk_from_week` of a quarter (week 1 is the quarter's first seven days, counted from its
first day: 1 July is in week 1 of Q3, 24 August in week 8), staff see every active ambassador whose record for
the quarter does not yet hold `program.min_full_reports` full reports: what they have (full reports, all
reports), how many full reports are still missing, and what each incomplete report lacks. The verdicts are the
compliance rule's own (`domain.compliance`): an ambassador the rule exempts for the quarter (a late joiner, a
quarter mostly paused) or who already met it is not at risk.

Order, "newest silence first": the ambassador whose last check-in (of any quarter) is the most recent comes
first, down to the one silent longest; those who never checked in come last. Someone who went quiet lately is
the likeliest to answer a nudge; ties go by name, then address, so the list is the same on every run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from .compliance import EXEMPT, Rules, Track, missing_fields
from .privacy import forgotten
from .quarters import Quarter


@dataclass(frozen=True, slots=True)
class Incomplete:
    """A report of the quarter that is not full yet, and the fields it lacks."""

    title: str
    date: date
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AtRisk:
    """One active ambassador short of the quarter's full reports."""

    email: str
    name: str
    full_reports: int
    activities: int  # every current report of the quarter, full or not
    needed: int
    last_checkin: date | None
    incomplete: tuple[Incomplete, ...]

    @property
    def missing(self) -> int:
        """Full reports still missing to meet the quarter."""
        return max(0, self.needed - self.full_reports)


def week_of(quarter: Quarter, day: date) -> int:
    """The week of `quarter` that `day` falls in: 1 for its first seven days, counted from its first day."""
    return (day - quarter.start).days // 7 + 1


def at_risk(tracks: Sequence[Track], rules: Rules, quarter: Quarter, last_checkins: Mapping[str, date]
            ) -> list[AtRisk]:
    """The active ambassadors whose record of `quarter` holds fewer full reports than the rule needs, newest
    silence first. `tracks` must reach `quarter` (`compliance.tracks(..., through=quarter)`); someone with no
    record of it (started after it) is not listed, nor anyone erased (`forgotten`)."""
    out = []
    for t in tracks:
        amb = t.ambassador
        record = t.at(quarter)
        if amb.status != "active" or record is None or forgotten(amb.email, amb.name):
            continue
        v = record.verdict
        if v.status == EXEMPT or v.full_reports >= rules.min_full_reports:
            continue
        incomplete = tuple(Incomplete(a.title, a.date, tuple(missing_fields(a, rules)))
                           for a in sorted(v.incomplete, key=lambda a: (a.date, a.title)))
        out.append(AtRisk(amb.email, amb.name, v.full_reports, v.activities, rules.min_full_reports,
                          last_checkins.get(amb.email), incomplete))
    # Newest silence first; never checked in last; then by name and address.
    out.sort(key=lambda r: (r.last_checkin is None, -(r.last_checkin.toordinal() if r.last_checkin else 0),
                            r.name.casefold(), r.email))
    return out


def as_dict(r: AtRisk) -> dict[str, object]:
    """One entry as plain data: the JSON output's and the digest template's shape."""
    return {"email": r.email, "name": r.name, "full_reports": r.full_reports, "activities": r.activities,
            "needed": r.needed, "missing": r.missing,
            "last_checkin": r.last_checkin.isoformat() if r.last_checkin else None,
            "incomplete": [{"title": i.title, "date": i.date.isoformat(), "missing": list(i.missing)}
                           for i in r.incomplete]}
