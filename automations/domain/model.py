"""The program's nouns: ambassadors, activities, check-ins and the problems found in input.

Plain frozen dataclasses, no I/O. Adapters turn rows and records into these; the rules in
`quarters`, `reports` and `compliance` work only on these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

ACTIVITY_KINDS = ("networking", "content", "documentation", "event", "talk", "advocacy", "community_support")

#: The report fields an activity may carry; which make a report "full" is configuration.
TEXT_FIELDS = ("link", "goal", "audience", "description")
COUNT_FIELDS = ("registrations", "attendees", "views", "engagements", "reshares")
DECIMAL_FIELDS = ("hours",)
METRIC_FIELDS = ("link", "goal", "registrations", "attendees", "hours", "audience", "views", "engagements",
                 "reshares", "description")

#: The order of the report fields in Activity, after its nine identifying fields.
ACTIVITY_METRIC_ORDER = ("link", "goal", "audience", "description", "registrations", "attendees", "views",
                         "engagements", "reshares", "hours")

ROSTER_STATUSES = ("active", "paused", "alumni", "removed")
#: What compliance writes on the roster: an ambassador's standing, and the perks it earns.
STANDINGS = ("good", "warned", "under_review", "paused", "alumni", "removed")
PERKS = ("free_event_access", "conference_funding")


@dataclass(frozen=True, slots=True)
class Ambassador:
    email: str  # normalized: stripped and lower-cased
    name: str
    country: str
    region: str
    university: str
    languages: tuple[str, ...]
    start_date: date
    status: str  # one of ROSTER_STATUSES: the status today
    row: int  # where a person wrote it (header = row 1)
    # Dated status changes staff recorded ("Status history"), ascending by date, at most one a day.
    # Empty: the status above holds for all time. See `compliance.status_spans` for how they are read.
    status_history: tuple[tuple[date, str], ...] = ()
    # Handles on the forum and the chat, for the staff's welcome checklist. They decide no record, so they
    # stay out of repr (which keys the work cache's reused records).
    forum_handle: str = field(default="", repr=False)
    chat_handle: str = field(default="", repr=False)
    # The RSS or Atom feeds the ambassador declared (`ambassadors.fields.feeds`), read by `discover`; out of repr
    # for the same reason.
    feeds: tuple[str, ...] = field(default=(), repr=False)
    # The name mail greets them by ("Preferred name"); empty: the whole name. Out of repr like the handles.
    preferred_name: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Activity:
    """One filled section of one check-in response.

    `id` is the activity's identity (ambassador, kind, title, date): two copies of the same
    activity share it. `row` and `section` say where this copy was written.
    """

    id: str
    email: str
    kind: str
    title: str
    date: date
    # Aware, in the program's time zone, so its wall-clock date is the local date of arrival.
    received_at: datetime
    row: int
    section: int
    reported_quarter: str = ""
    link: str = ""
    goal: str = ""
    audience: str = ""
    description: str = ""
    registrations: int | None = None
    attendees: int | None = None
    views: int | None = None
    engagements: int | None = None
    reshares: int | None = None
    hours: float | None = None

    def has(self, name: str) -> bool:
        v = getattr(self, name)
        return v is not None and v != ""

    def metrics(self) -> tuple[object, ...]:
        """The reported content, used to tell a plain duplicate from a correction."""
        return (self.title, self.reported_quarter, self.link, self.goal, self.audience, self.description,
                self.registrations, self.attendees, self.views, self.engagements, self.reshares, self.hours)

    @property
    def reach(self) -> int:
        """People reached: attendees of organized activities plus views of content."""
        return (self.attendees or 0) + (self.views or 0)


@dataclass(frozen=True, slots=True)
class Checkin:
    """One check-in response row (with or without activities)."""

    email: str
    received_at: datetime
    row: int
    reported_quarter: str
    activities: int


@dataclass(frozen=True, slots=True)
class Problem:
    """A row, section or cell that could not be used, and why. Reported, never dropped."""

    source: str
    row: int
    column: str
    value: str
    reason: str
    email: str = field(default="", compare=False)

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        return f"{self.source} row {self.row}, column '{self.column}': {shown!r} {self.reason}"
