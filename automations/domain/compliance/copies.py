"""The verdict and standing words, the rules (`Rules`), and which copy of an activity counts (`resolve_copies`:
current, duplicate, superseded or late)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from ..codec import Row, activity_fields
from ..model import Activity
from ..quarters import Quarter

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
    return [Resolved(a, resolution, winner) for a, (resolution, winner)
            in zip(activities, resolve_fields([activity_fields(a) for a in activities], rules))]


def resolve_fields(copies: Sequence[Row], rules: Rules) -> list[tuple[str, int]]:
    """`resolve_copies` over copies given as their records' fields (`codec.activity_fields`): each copy's
    resolution and winner row (0 for a current or late copy), in the input's order, the records not built."""
    closes: dict[date, date] = {}
    window_days = rules.window_days
    in_window = []
    for f in copies:
        day = f[4]
        last_day = closes.get(day)
        if last_day is None:
            last_day = closes[day] = Quarter.of(day).window_closes(window_days)
        in_window.append(f[5].date() <= last_day)  # `in_window`
    return _resolved(copies, in_window)


def resolve_rows(rows: Sequence[Row], received: Sequence[int], day: Callable[[int], date],
                 rules: Rules) -> list[tuple[str, int]]:
    """`resolve_fields` over copies given as their work-cache rows (`codec.activity_row`: the date an ordinal, the
    received time a POSIX time) with the date each was received (`received`: ordinals of `received_at.date()`);
    `day` makes a date of an ordinal. The records and their times are not built."""
    closes: dict[int, int] = {}
    window_days = rules.window_days
    in_window = []
    for t, got in zip(rows, received):
        last_day = closes.get(t[4])
        if last_day is None:
            last_day = closes[t[4]] = Quarter.of(day(t[4])).window_closes(window_days).toordinal()
        in_window.append(got <= last_day)
    return _resolved(rows, in_window)


def _resolved(copies: Sequence[Row], in_window: Sequence[bool]) -> list[tuple[str, int]]:
    """Each copy's (resolution, winner row) given which arrived in their window. A copy is its record's fields or
    its row: both hold the id, title, row, section, reported quarter and report fields at their record's places,
    and the received time (a time or a POSIX time: either orders the copies as the instants they name) at 5."""
    groups: dict[str, list[int]] = defaultdict(list)
    out: list[tuple[str, int]] = [(LATE, 0)] * len(copies)
    for i, f in enumerate(copies):
        if in_window[i]:
            groups[f[0]].append(i)
    current = (CURRENT, 0)
    for indices in groups.values():
        if len(indices) == 1:  # most activities have one copy
            out[indices[0]] = current
            continue
        indices.sort(key=lambda i: (copies[i][5], copies[i][6], copies[i][7]))
        winner = copies[indices[-1]]
        out[indices[-1]] = current
        # `Activity.metrics`: the title, then the reported quarter and every report field (the fields from 8 on).
        title, reported = winner[3], winner[8:]
        for i in indices[:-1]:
            f = copies[i]
            out[i] = (DUPLICATE if f[3] == title and f[8:] == reported else SUPERSEDED, winner[6])
    return out
