"""Check-in response rows into activities, check-ins and problems (`ingest`), and the late activities' problems."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from ..codec import PackedActivities, PackedCheckins, Row
from ..form_layout import ColumnMap, FormLayout, Merger, fit_rows, map_columns
from ..model import ACTIVITY_METRIC_ORDER, COUNT_FIELDS, DECIMAL_FIELDS, TEXT_FIELDS, Activity, Checkin, Problem
from ..moments import DayOrder, MomentReader, Unsettled, settle
from ..quarters import parse_quarter
from ..values import clean_text, norm_header, normalize_email, normalize_title, parse_count, parse_decimal, visible

if TYPE_CHECKING:  # compliance imports this module: its names only for the annotations
    from ..compliance import Resolved


def activity_id(email: str, kind: str, title: str, day: date) -> str:
    return _id_of(email, kind, normalize_title(title), day)


def _id_of(email: str, kind: str, title_key: str, day: date) -> str:
    """`activity_id` given the title as `normalize_title` gives it."""
    key = f"{email}\x1f{kind}\x1f{title_key}\x1f{day.isoformat()}"
    return "a-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:14]


@dataclass
class Ingested:
    activities: Sequence[Activity]  # a list, or what `ingest` was given to keep them in (`codec.PackedActivities`)
    checkins: Sequence[Checkin]
    problems: list[Problem]
    last_row: int = 1  # the sheet row number of the last row read (1: the header alone)
    order: str = ""  # the day/month order the source's dates were read in ("" when none needed deciding)
    unusable_rows: set[int] = field(default_factory=set)  # rows skipped whole (no check-in from them)
    unreadable_rows: set[int] = field(default_factory=set)  # ... of them, those whose timestamp could not be read
    empty_rows: set[int] = field(default_factory=set)  # rows with a check-in but no activity that could be used


#: Where `ingest` keeps the activities and check-ins it reads: lists, or compact sequences of them.
ActivitySink = list[Activity] | PackedActivities
CheckinSink = list[Checkin] | PackedCheckins


@lru_cache(maxsize=1024)
def _reported_quarter(raw: str) -> str:
    q = parse_quarter(raw)
    return sys.intern(str(q)) if q is not None else ""


def day_order(layout: FormLayout, where: str, told: tuple[str, str] = ("", ""), known: str = "") -> DayOrder:
    """The source's day/month order: `told` by the source itself (a spreadsheet's locale), else `known` from the
    earlier rows of the same source (kept by the last run), else settled from the values or configuration."""
    order, by = told
    if order in ("dmy", "mdy"):
        return DayOrder(where, told=order, told_by=by, configured=layout.date_order)
    if known in ("dmy", "mdy"):
        return DayOrder(where, told=known, told_by="the earlier rows of the same source",
                        configured=layout.date_order)
    return DayOrder(where, configured=layout.date_order)


NOT_ON_ROSTER = "matches no ambassador on the roster; the row was skipped"


def on_an_unusable_row(problems: Sequence[Problem], roster_problems: Sequence[Problem], known: Mapping[str, object],
                       roster: str) -> list[Problem]:
    """The responses' problems, where an address "matches no ambassador" only because its roster row could not be
    used (a status word that means nothing, say): said so, naming the roster's row, rather than "not on the roster"."""
    skipped = {p.email: p.row for p in roster_problems if p.email and p.email not in known}
    if not skipped:
        return list(problems)
    return [replace(p, reason=f"is the address of row {skipped[p.email]} of the roster ({roster}), which could not be "
                              f"used (the roster's problem says why); the row was skipped")
            if p.reason == NOT_ON_ROSTER and p.email in skipped else p for p in problems]


def ingest(headers: Sequence[str], rows: Iterable[Sequence[str]], layout: FormLayout,
           known_emails: Mapping[str, object], first_row: int = 2, order: DayOrder | None = None,
           into: tuple[PackedActivities, PackedCheckins] | None = None) -> Ingested:
    """Read every response row; every unusable row, section or cell becomes a Problem.

    `rows` are the data rows in sheet order; the first is spreadsheet row `first_row` (2: the row after
    the header; more when only the rows after those already read are given). `order`: the source's
    day/month order so far (see `day_order`); it is decided from the rows before any is read, or the
    run stops with one sentence (`InputError`). `into`: where to keep the activities and check-ins as they
    are read, packed (a whole program's: `codec.PackedActivities`, `codec.PackedCheckins`); lists by default.
    """
    cols = map_columns(headers, layout)
    if cols.needs_rows():  # a form edit the header alone cannot place: the rows say what it is
        rows = list(rows)
        cols = fit_rows(cols, rows, headers, layout.source)
    order = order or day_order(layout, layout.source)
    reader = _ResponseReader(headers, layout, cols, order, known_emails, *(into or ([], [])))
    row_no = first_row - 1
    for row_no, row in settle(order, enumerate(rows, start=first_row), reader.dated_cells):
        reader.read(row_no, row)
    return Ingested(reader.activities, reader.checkins, reader.problems, row_no, order.order, reader.unusable,
                    reader.unreadable, reader.empty)


class _Section(NamedTuple):
    """One repeated section of the form, worked out once: where each question is and how its answer is read."""

    number: int
    cells_of: Callable[[Sequence[str]], str | tuple[str, ...]]  # the section's cells (a string when it has one)
    kind: int
    title: int
    date: int
    metrics: tuple[tuple[str, int, Callable[[str], object], int], ...]  # (field, column, parser, slot)


_PARSERS: dict[str, Callable[[str], object]] = {**{f: clean_text for f in TEXT_FIELDS},
                                                **{f: parse_count for f in COUNT_FIELDS},
                                                **{f: parse_decimal for f in DECIMAL_FIELDS}}
# Where each report field sits in Activity's constructor, after its first nine arguments.
_SLOT = {f: i for i, f in enumerate(ACTIVITY_METRIC_ORDER)}
_BLANK = tuple("" if f in TEXT_FIELDS else None for f in ACTIVITY_METRIC_ORDER)


def _sections(cols: ColumnMap) -> list[_Section]:
    out = []
    for n, section in zip(cols.numbers, cols.sections):
        where = dict(section)
        metrics = tuple((f, i, _PARSERS[f], _SLOT[f]) for f, i in section if f in _PARSERS)
        out.append(_Section(n, itemgetter(*(i for _, i in section)), where["kind"], where["title"], where["date"],
                            metrics))
    return out


class _ResponseReader:
    """Reads response rows one at a time into activities, check-ins and problems, in the order `ingest` gives
    them: the row's sender first (timestamp, address), then each section's activity, then its check-in."""

    def __init__(self, headers: Sequence[str], layout: FormLayout, cols: ColumnMap, order: DayOrder,
                 known_emails: Mapping[str, object], activities: ActivitySink, checkins: CheckinSink) -> None:
        self.src = layout.source
        self.cols = cols
        self.known_emails = known_emails
        # Columns as problems name them: the header's titles, less invisible characters pasted in with them.
        self.title_of = [visible(h) for h in headers] + [visible(headers[sources[0]]) for _, sources in cols.merged]
        self.moments = MomentReader(order, layout.sheet_tz, layout.program_tz, layout.timestamp_formats,
                                    layout.date_formats)
        self.kinds_exact = dict(layout.kinds)
        self.kinds_loose = {norm_header(k): v for k, v in layout.kinds.items()}
        self.width = len(headers)
        self.merge = Merger(cols, headers) if cols.needs_merge() else None
        self.sections = _sections(cols)
        self.date_cols = [cols.timestamp] + [s.date for s in self.sections]
        self.emails: dict[str, str] = {}
        self.activities = activities
        self.checkins = checkins
        # A record is kept from its fields: packed ones as a row straight away, without building the record.
        if isinstance(activities, PackedActivities):
            self.keep_activity: Callable[[Row], None] = activities.append_fields
        else:
            self.keep_activity = lambda fields: activities.append(Activity(*fields))
        if isinstance(checkins, PackedCheckins):
            self.keep_checkin: Callable[[Row], None] = checkins.append_fields
        else:
            self.keep_checkin = lambda fields: checkins.append(Checkin(*fields))
        self.problems: list[Problem] = []
        self.unusable: set[int] = set()
        self.unreadable: set[int] = set()
        self.empty: set[int] = set()

    def problem(self, row_no: int, row: Sequence[str], column: int, reason: str, email: str = "") -> None:
        self.problems.append(Problem(self.src, row_no, self.title_of[column], row[column], reason, email))

    def dated_cells(self, item: tuple[int, Sequence[str]]) -> list[tuple[str, str, bool]]:
        """The date cells of a row, for settling the day/month order before any row is read."""
        row_no, row = item
        if self.merge is not None:
            row = self.merge(list(row) + [""] * (self.width - len(row)))[0]
        return [(row[i], f"row {row_no}, column '{self.title_of[i]}'", i != self.cols.timestamp)
                for i in self.date_cols if i < len(row)]

    def read(self, row_no: int, row: Sequence[str]) -> None:
        """One response row: who sent it and when, each section's activity, and the check-in itself."""
        if len(row) < self.width:
            row = list(row) + [""] * (self.width - len(row))
        if not "".join(row).strip():
            return
        if self.merge is not None:
            row, clashes = self.merge(list(row))
            for column, reason in clashes:
                self.problem(row_no, row, column, reason, normalize_email(row[self.cols.email]))
        sender = self._sender(row_no, row)
        if sender is None:
            return
        received, email = sender
        reported = _reported_quarter(row[self.cols.quarter]) if self.cols.quarter is not None else ""
        count = 0
        for section in self.sections:
            fields = self._activity(row_no, row, section, email, received, reported)
            if fields is not None:
                self.keep_activity(fields)
                count += 1
        if count == 0:
            self.empty.add(row_no)
            first = self.cols.sections[0][0][1]
            self.problems.append(Problem(self.src, row_no, self.title_of[first], row[first],
                                         "(and every other section): no activity in this response could be used; "
                                         "the check-in itself is recorded", email))
        self.keep_checkin((email, received, row_no, reported, count))

    def _sender(self, row_no: int, row: Sequence[str]) -> tuple[datetime, str] | None:
        """When the response was sent and the ambassador's address, or None (the row skipped, said why)."""
        cols = self.cols
        try:
            received = self.moments.timestamp(row[cols.timestamp], (row_no, self.title_of[cols.timestamp]))
        except (ValueError, Unsettled) as exc:
            self.problem(row_no, row, cols.timestamp, f"{exc}; the row was skipped")
            self.unusable.add(row_no)
            self.unreadable.add(row_no)
            return None
        raw_email = row[cols.email]
        email = self.emails.get(raw_email)
        if email is None:
            email = self.emails[raw_email] = sys.intern(normalize_email(raw_email))
        if not email:
            self.problem(row_no, row, cols.email, "is empty: the response cannot be matched to an ambassador")
            self.unusable.add(row_no)
            return None
        if email not in self.known_emails:
            self.problem(row_no, row, cols.email, NOT_ON_ROSTER, email)
            self.unusable.add(row_no)
            return None
        return received, email

    def _activity(self, row_no: int, row: Sequence[str], section: _Section, email: str, received: datetime,
                  reported: str) -> Row | None:
        """The section's activity as the fields of an `Activity`, in order, or None: a blank section, or one whose
        kind, title or date cannot be used (a problem says which)."""
        if not "".join(section.cells_of(row)).strip():
            return None
        n = section.number
        label = row[section.kind].strip()
        kind = self.kinds_exact.get(label) or self.kinds_loose.get(norm_header(label))
        if kind is None:
            reason = "is empty" if not label else "is not one of the form's activity choices"
            self.problem(row_no, row, section.kind, f"{reason}; activity {n} was skipped", email)
            return None
        title = clean_text(row[section.title])
        if not title:
            self.problem(row_no, row, section.title, f"is empty; activity {n} was skipped (a title is needed)", email)
            return None
        day = self._day(row_no, row, section, email, title, received.date())
        if day is None:
            return None
        # The title is `clean_text`'s already: `normalize_title` of it is its casefold.
        return (_id_of(email, kind, title.casefold(), day), email, kind, title, day, received, row_no, n, reported,
                *self._metrics(row_no, row, section, email, title))

    def _day(self, row_no: int, row: Sequence[str], section: _Section, email: str, title: str,
             received_day: date) -> date | None:
        """The activity's date, or None when it is empty, unreadable or after the response was sent."""
        n, date_i = section.number, section.date
        raw_date = row[date_i]
        if not raw_date.strip():
            self.problem(row_no, row, date_i, f"is empty; activity {n} ('{title}') was skipped", email)
            return None
        try:
            day = self.moments.date(raw_date, (row_no, self.title_of[date_i]))
        except (ValueError, Unsettled) as exc:
            self.problem(row_no, row, date_i, f"{exc}; activity {n} ('{title}') was skipped", email)
            return None
        if day > received_day:
            self.problem(row_no, row, date_i, f"is after the response was sent on {received_day.isoformat()}; "
                                              f"activity {n} ('{title}') was skipped", email)
            return None
        return day

    # Any: each slot holds its own field's type (str, int | None or float | None), as its parser gives it.
    def _metrics(self, row_no: int, row: Sequence[str], section: _Section, email: str, title: str) -> list[Any]:
        """The report fields in Activity's order; a value that cannot be read is left empty, with a problem."""
        values: list[Any] = list(_BLANK)
        for _field, i, parser, at in section.metrics:
            raw = row[i]
            if not raw:
                continue
            try:
                values[at] = parser(raw)
            except ValueError as exc:
                self.problem(row_no, row, i, f"{exc}; left empty for activity {section.number} ('{title}')", email)
        return values


PROBLEM_DATE = "%d/%m/%Y"  # how a late activity's date is shown in its problem (and so in its problem's id)


def late_problems(resolved: Iterable[Resolved], layout: FormLayout, window_days: int) -> list[Problem]:
    """Activities that arrived after their quarter's window: staff see them with the unusable rows."""
    from ..compliance import LATE, activity_quarter, received_on

    date_title = layout.activity_columns["date"]
    out = []
    for r in resolved:
        if r.resolution != LATE:
            continue
        a = r.activity
        q = activity_quarter(a)
        out.append(Problem(layout.source, a.row, date_title.replace("{n}", str(a.section)),
                           a.date.strftime(PROBLEM_DATE),
                           f"dates activity {a.section} ('{a.title}') in {q}, but the response arrived "
                           f"{received_on(a).isoformat()}, after the {q} window closed on "
                           f"{q.window_closes(window_days).isoformat()}; it counts for nothing", a.email))
    return out
