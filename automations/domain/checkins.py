"""Turning check-in response rows into activities, and the roster's rows into ambassadors.

Pure functions over header lists and rows of strings, so the same code serves the CSV
download, the live Google Sheet and the tests. Headers are mapped by position: forms with
repeated sections have the same question title several times.
"""

from __future__ import annotations

import hashlib
import re
import sys
from operator import itemgetter
from functools import lru_cache
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence
from zoneinfo import ZoneInfo

from ..errors import InputError
from .model import ACTIVITY_METRIC_ORDER, COUNT_FIELDS, DECIMAL_FIELDS, TEXT_FIELDS, Activity, Ambassador, Checkin, \
    Problem
from .words import OUR_WORDS, RosterWords
from .quarters import parse_quarter
from .values import looks_like_address
from .form_layout import ColumnMap, FormLayout, Merger, fit_rows, map_columns
from .moments import DayOrder, MomentReader, Unsettled, settle
from .values import OUT_OF_RANGE, clean_text, norm_header, normalize_email, normalize_title, parse_count, parse_date, \
    parse_decimal, visible


def activity_id(email: str, kind: str, title: str, day: date) -> str:
    key = f"{email}\x1f{kind}\x1f{normalize_title(title)}\x1f{day.isoformat()}"
    return "a-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:14]


@dataclass
class Ingested:
    activities: list[Activity]
    checkins: list[Checkin]
    problems: list[Problem]
    last_row: int = 1  # the sheet row number of the last row read (1: the header alone)
    order: str = ""  # the day/month order the source's dates were read in ("" when none needed deciding)
    unusable_rows: set[int] = field(default_factory=set)  # rows skipped whole (no check-in from them)
    unreadable_rows: set[int] = field(default_factory=set)  # ... of them, those whose timestamp could not be read
    empty_rows: set[int] = field(default_factory=set)  # rows with a check-in but no activity that could be used


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
           known_emails: Mapping[str, object], first_row: int = 2, order: DayOrder | None = None) -> Ingested:
    """Read every response row; every unusable row, section or cell becomes a Problem.

    `rows` are the data rows in sheet order; the first is spreadsheet row `first_row` (2: the row after
    the header; more when only the rows after those already read are given). `order`: the source's
    day/month order so far (see `day_order`); it is decided from the rows before any is read, or the
    run stops with one sentence (`InputError`).
    """
    cols = map_columns(headers, layout)
    if cols.needs_rows():  # a form edit the header alone cannot place: the rows say what it is
        rows = list(rows)
        cols = fit_rows(cols, rows, headers, layout.source)
    order = order or day_order(layout, layout.source)
    reader = _ResponseReader(headers, layout, cols, order, known_emails)
    row_no = first_row - 1
    for row_no, row in settle(order, enumerate(rows, start=first_row), reader.dated_cells):
        reader.read(row_no, row)
    return Ingested(reader.activities, reader.checkins, reader.problems, row_no, order.order, reader.unusable,
                    reader.unreadable, reader.empty)


class _Section(NamedTuple):
    """One repeated section of the form, worked out once: where each question is and how its answer is read."""

    number: int
    cells_of: Callable[[Sequence[str]], object]  # the section's cells of a row (one string when it has one)
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
                 known_emails: Mapping[str, object]) -> None:
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
        self.activities: list[Activity] = []
        self.checkins: list[Checkin] = []
        self.problems: list[Problem] = []
        self.unusable: set[int] = set()
        self.unreadable: set[int] = set()
        self.empty: set[int] = set()

    def problem(self, row_no: int, row: Sequence[str], column: int, reason: str, email: str = "") -> None:
        self.problems.append(Problem(self.src, row_no, self.title_of[column], row[column], reason, email))

    def dated_cells(self, item):
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
            activity = self._activity(row_no, row, section, email, received, reported)
            if activity is not None:
                self.activities.append(activity)
                count += 1
        if count == 0:
            self.empty.add(row_no)
            first = self.cols.sections[0][0][1]
            self.problems.append(Problem(self.src, row_no, self.title_of[first], row[first],
                                         "(and every other section): no activity in this response could be used; "
                                         "the check-in itself is recorded", email))
        self.checkins.append(Checkin(email, received, row_no, reported, count))

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
                  reported: str) -> Activity | None:
        """The section's activity, or None: a blank section, or one whose kind, title or date cannot be used
        (a problem says which)."""
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
        return Activity(activity_id(email, kind, title, day), email, kind, title, day, received, row_no, n, reported,
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

    def _metrics(self, row_no: int, row: Sequence[str], section: _Section, email: str, title: str) -> list:
        """The report fields in Activity's order; a value that cannot be read is left empty, with a problem."""
        values = list(_BLANK)
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


def late_problems(resolved, layout: FormLayout, window_days: int) -> list[Problem]:
    """Activities that arrived after their quarter's window: staff see them with the unusable rows."""
    from .compliance import LATE, activity_quarter, received_on

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


@dataclass(frozen=True)
class CellFlaw:
    """A roster cell its source could not give as text (a formula's error in Airtable, a checkbox where a name
    belongs...): the row's problem shows `value` and says `what` is wrong and the `fix`; the cell is read as
    empty. The CSV roster has none: its cells are text."""

    value: str  # the cell as a person sees it ("#ERROR!")
    what: str  # what is wrong, as the rest of a sentence about the value ("is the error ...")
    fix: str  # what staff do about it ("correct the formula in Airtable")


#: The fields the roster must have a column for.
ROSTER_REQUIRED = ("name", "email", "start_date", "status")


@dataclass(frozen=True)
class RosterLayout:
    source: str
    fields: Mapping[str, str]  # field -> column title
    date_order: str = ""  # ambassadors.date_order: dmy, mdy, ymd, or "" (settled from the roster's own dates)
    words: RosterWords = OUR_WORDS  # staff's status words (ambassadors.status_values)


def _roster_dates(rows: Sequence[Sequence[str]], layout: RosterLayout, cols: Mapping[str, int | None]
                  ) -> MomentReader:
    """A reader of the roster's dates (start dates, status history), in one order for the whole file: a
    roster re-saved by a spreadsheet writes `02.10.2023` or `10/2/2023`, never both. `cols`: where each
    field is, as `parse_roster` found it."""
    order = DayOrder(layout.source, configured=layout.date_order, key="ambassadors.date_order")
    dated = [(f, cols[f]) for f in ("start_date", "status_history") if cols.get(f) is not None]
    for n, row in enumerate(rows, start=2):
        for f, i in dated:
            if i >= len(row) or not row[i].strip():
                continue
            cells = [row[i]] if f == "start_date" else [day for _, day, _ in _history_entries(row[i])]
            for cell in cells:
                order.observe(cell, f"row {n}, column '{layout.fields[f]}'", typed=True)
    order.finish()
    return MomentReader(order, ZoneInfo("UTC"), ZoneInfo("UTC"))


def parse_roster(headers: Sequence[str], rows: Iterable[Sequence[str]], layout: RosterLayout,
                 flaws: Mapping[tuple[int, str], CellFlaw] | None = None) -> tuple[list[Ambassador], list[Problem]]:
    """The roster's usable rows; each row that cannot be used becomes a Problem.

    `flaws`: the cells the source could not give as text, by (row number, field), each given as "" in `rows`:
    each is a problem of its row; one in the email, status or start date skips the ambassador, any other is read
    as empty and the row goes on. A row blank but for its flaws is a blank record (a formula errs on one), and
    skipped as blank rows are."""
    index = {norm_header(h): i for i, h in reversed(list(enumerate(headers)))}
    cols: dict[str, int | None] = {}
    for field, title in layout.fields.items():
        cols[field] = index.get(norm_header(title))
        if cols[field] is None and field in ROSTER_REQUIRED:
            raise InputError(f"The roster {layout.source} has no column '{title}' "
                             f"(ambassadors.fields.{field} in config.yaml).")
    out: list[Ambassador] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    words = layout.words
    rows = list(rows)
    dates = _roster_dates(rows, layout, cols)

    def read_date(text: str) -> date:
        try:
            return dates.date(text)
        except Unsettled:
            raise ValueError("can be read day first or month first: set ambassadors.date_order") from None

    for row_no, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue

        def get(field: str) -> str:
            i = cols.get(field)
            return row[i] if i is not None and i < len(row) else ""

        def bad(field: str, reason: str) -> None:
            problems.append(Problem(layout.source, row_no, layout.fields[field], get(field), reason,
                                    normalize_email(get("email"))))

        def flawed(field: str, then: str) -> bool:
            """Report the field's flaw, if it has one (`then`: what became of the row or the cell)."""
            flaw = flaws.get((row_no, field)) if flaws else None
            if flaw is not None:
                problems.append(Problem(layout.source, row_no, layout.fields[field], flaw.value,
                                        f"{flaw.what}; {then}: {flaw.fix}", normalize_email(get("email"))))
            return flaw is not None

        for field in layout.fields:
            if field not in ("email", "start_date", "status"):
                flawed(field, f"the {field.replace('_', ' ')} {'were' if field == 'languages' else 'was'} read "
                              f"as empty")
        if flawed("email", "the ambassador was skipped"):
            continue
        email = normalize_email(get("email"))
        several = _addresses(email)
        if len(several) > 1:
            bad("email", f"holds {len(several)} addresses ({', '.join(several)}): the roster needs one address "
                         f"per ambassador; the ambassador was skipped")
            continue
        email = several[0] if several else email
        if not looks_like_address(email):
            bad("email", "is not an email address; the ambassador was skipped")
            continue
        if email in seen:
            bad("email", f"is already on row {seen[email]}; this row was skipped")
            continue
        if flawed("status", "the ambassador was skipped"):
            continue
        typed = get("status").strip()
        status = words.status(typed)
        if status is None:
            bad("status", f"{'is empty' if not typed else words.unknown_status()}; the ambassador was skipped")
            continue
        if flawed("start_date", "the ambassador was skipped"):
            continue
        try:
            start = read_date(get("start_date"))
        except ValueError as exc:
            bad("start_date", f"{exc}; the ambassador was skipped")
            continue
        seen[email] = row_no
        languages = tuple(x.strip().lower() for x in get("languages").replace(",", ";").split(";") if x.strip())
        changes: tuple[tuple[date, str], ...] = ()
        if "status_history" in layout.fields and get("status_history").strip():
            try:
                changes = parse_status_history(get("status_history"), read_date, words)
            except ValueError as exc:
                bad("status_history", f"{exc}; the status history was ignored: the Status column "
                                      f"('{typed}') holds for all time")
            else:
                last_day, last_status = changes[-1]
                if last_status != status:
                    said = words.status_word(last_status)
                    bad("status_history", f"ends with '{said}' on {last_day.isoformat()}, but the Status "
                                          f"column says '{typed}': add the date it became '{typed}'; until "
                                          f"then '{typed}' is taken to hold from {last_day.isoformat()} on")
        out.append(Ambassador(
            email=email, name=clean_text(get("name")) or email, country=clean_text(get("country")),
            region=clean_text(get("region")), university=clean_text(get("university")), languages=languages,
            start_date=start, status=status, row=row_no, status_history=changes,
            forum_handle=clean_text(get("forum_handle")), chat_handle=clean_text(get("chat_handle")),
        ))
    return out, problems


def _addresses(cell: str) -> list[str]:
    """The distinct addresses of an email cell that holds several (a lookup of two records, "a@x; b@y")."""
    parts = [p.strip() for p in re.split(r"[;,]", cell) if p.strip()]
    return list(dict.fromkeys(parts)) if len(parts) > 1 else parts


HISTORY_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")  # as the start date, when no roster order is given


def _history_entries(text: str) -> Iterator[tuple[str, str, str]]:
    """Each entry of a status history: (the entry as shown, its date's text, the rest)."""
    for raw in re.split(r"[;\n\r]+", text):
        entry = raw.strip()
        if entry:
            parts = entry.split(None, 1)
            yield " ".join(entry.split()), parts[0].rstrip(":,"), parts[1] if len(parts) > 1 else ""


def parse_status_history(text: str, read_date=None, words: RosterWords = OUR_WORDS) -> tuple[tuple[date, str], ...]:
    """Staff's "Status history": dated changes such as `2026-10-05 paused; 2027-01-10 active`.

    Entries are separated by `;` or line breaks, each a date (ISO or d/m/Y, like the start date)
    then a status; a colon or dash between them and a note in brackets after the status are
    allowed ("2026-05-04 paused (parental leave)"); a status is any of the roster's status words (`words`:
    staff's, `ambassadors.status_values`), returned as ours. Returned ascending by date. Raise
    ValueError naming the first entry that cannot be read, or two differing entries on one day.
    """
    by_day: dict[date, str] = {}
    for shown, raw_day, rest in _history_entries(text):
        if not rest:
            raise ValueError(f"has the entry '{shown}', which is not a date and a status (like 2026-10-05 paused)")
        typed = re.sub(r"\s*\([^()]*\)$", "", rest.strip().lstrip(":-–—,").strip())
        try:
            day = read_date(raw_day) if read_date is not None else parse_date(raw_day, HISTORY_DATE_FORMATS)
        except ValueError as exc:
            if str(exc) == OUT_OF_RANGE:
                raise ValueError(f"has the entry '{shown}', whose date '{raw_day}' {exc}") from None
            raise ValueError(f"has the entry '{shown}', whose date '{raw_day}' is not a date like 2026-10-05 "
                             f"or 05/10/2026") from None
        status = words.status(typed)
        if status is None:
            raise ValueError(f"has the entry '{shown}', whose status '{typed}' {words.unknown_status()}")
        if by_day.get(day, status) != status:
            raise ValueError(f"has two statuses on {day.isoformat()} ('{words.status_word(by_day[day])}' and "
                             f"'{typed}')")
        by_day[day] = status
    if not by_day:
        raise ValueError("has no dated status in it (like 2026-10-05 paused)")
    return tuple(sorted(by_day.items()))
