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
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from ..errors import InputError
from .model import ACTIVITY_METRIC_ORDER, COUNT_FIELDS, DECIMAL_FIELDS, ROSTER_STATUSES, TEXT_FIELDS, Activity, \
    Ambassador, Checkin, Problem
from .quarters import parse_quarter
from .values import looks_like_address
from .values import TimestampParser, clean_text, norm_header, normalize_email, normalize_title, parse_count, parse_date, \
    parse_decimal


@dataclass(frozen=True)
class FormLayout:
    """What the check-in form looks like, from configuration."""

    source: str
    timestamp: str
    email: str
    quarter: str
    sections: int
    activity_columns: Mapping[str, str]  # field -> title, "{n}" for the section number
    kinds: Mapping[str, str]  # the form's choice label -> canonical kind
    timestamp_formats: tuple[str, ...]
    date_formats: tuple[str, ...]
    sheet_tz: ZoneInfo
    program_tz: ZoneInfo


@dataclass(frozen=True)
class ColumnMap:
    timestamp: int
    email: int
    quarter: int | None
    sections: tuple[tuple[tuple[str, int], ...], ...]  # per section: (field, column index)


def map_columns(headers: Sequence[str], layout: FormLayout) -> ColumnMap:
    """Find every configured question in the header row, or say which one is missing."""
    positions: dict[str, list[int]] = {}
    for i, title in enumerate(headers):
        positions.setdefault(norm_header(title), []).append(i)

    def find(title: str, occurrence: int = 0) -> int:
        found = positions.get(norm_header(title), [])
        if len(found) <= occurrence:
            have = f"only {len(found)} column(s)" if found else "no column"
            raise InputError(
                f"The check-in responses in {layout.source} have {have} titled '{title}'"
                f"{f' (needed {occurrence + 1})' if found else ''}: the form may have been edited; "
                f"update checkin_form in config.yaml to the form's current question titles."
            )
        return found[occurrence]

    timestamp = find(layout.timestamp)
    email = find(layout.email)
    quarter = positions.get(norm_header(layout.quarter), [None])[0] if layout.quarter else None
    sections = []
    for n in range(1, layout.sections + 1):
        cols = []
        for field, title in layout.activity_columns.items():
            if "{n}" in title:
                cols.append((field, find(title.replace("{n}", str(n)))))
            else:
                cols.append((field, find(title, n - 1)))
        sections.append(tuple(cols))
    return ColumnMap(timestamp, email, quarter, tuple(sections))


def activity_id(email: str, kind: str, title: str, day: date) -> str:
    key = f"{email}\x1f{kind}\x1f{normalize_title(title)}\x1f{day.isoformat()}"
    return "a-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:14]


@dataclass
class Ingested:
    activities: list[Activity]
    checkins: list[Checkin]
    problems: list[Problem]
    last_row: int = 1  # the sheet row number of the last row read (1: the header alone)


@lru_cache(maxsize=1024)
def _reported_quarter(raw: str) -> str:
    q = parse_quarter(raw)
    return sys.intern(str(q)) if q is not None else ""


def ingest(headers: Sequence[str], rows: Iterable[Sequence[str]], layout: FormLayout,
           known_emails: Mapping[str, object], first_row: int = 2) -> Ingested:
    """Read every response row; every unusable row, section or cell becomes a Problem.

    `rows` are the data rows in sheet order; the first is spreadsheet row `first_row` (2: the row after
    the header; more when only the rows after those already read are given).
    """
    cols = map_columns(headers, layout)
    src = layout.source
    title_of = list(headers)
    parse_ts = TimestampParser(layout.timestamp_formats, layout.sheet_tz, layout.program_tz)
    kinds_exact = dict(layout.kinds)
    kinds_loose = {norm_header(k): v for k, v in layout.kinds.items()}
    date_formats = layout.date_formats
    activities: list[Activity] = []
    checkins: list[Checkin] = []
    problems: list[Problem] = []
    width = len(headers)
    parsers = {**{f: clean_text for f in TEXT_FIELDS}, **{f: parse_count for f in COUNT_FIELDS},
               **{f: parse_decimal for f in DECIMAL_FIELDS}}
    # Where each report field sits in Activity's constructor, after its first nine arguments.
    slot = {f: i for i, f in enumerate(ACTIVITY_METRIC_ORDER)}
    blank = tuple("" if f in TEXT_FIELDS else None for f in ACTIVITY_METRIC_ORDER)
    # Per section, worked out once: where each question is and how its answer is read.
    plans = []
    for n, section in enumerate(cols.sections, start=1):
        where = dict(section)
        metrics = tuple((f, i, parsers[f], slot[f]) for f, i in section if f in parsers)
        plans.append((n, where, itemgetter(*(i for _, i in section)), where["kind"], where["title"], where["date"],
                      metrics))
    emails: dict[str, str] = {}

    def problem(row_no: int, row: Sequence[str], column: int, reason: str, email: str = "") -> None:
        problems.append(Problem(src, row_no, title_of[column], row[column], reason, email))

    row_no = first_row - 1
    for row_no, row in enumerate(rows, start=first_row):
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        if not "".join(row).strip():
            continue
        raw_ts = row[cols.timestamp]
        try:
            received = parse_ts(raw_ts)
        except ValueError as exc:
            problem(row_no, row, cols.timestamp, f"{exc}; the row was skipped")
            continue
        raw_email = row[cols.email]
        email = emails.get(raw_email)
        if email is None:
            email = emails[raw_email] = sys.intern(normalize_email(raw_email))
        if not email:
            problem(row_no, row, cols.email, "is empty: the response cannot be matched to an ambassador")
            continue
        if email not in known_emails:
            problem(row_no, row, cols.email, "matches no ambassador on the roster; the row was skipped", email)
            continue
        reported = _reported_quarter(row[cols.quarter]) if cols.quarter is not None else ""
        received_day = received.date()
        count = 0
        for n, where, cells_of, kind_i, title_i, date_i, metrics in plans:
            if not "".join(cells_of(row)).strip():
                continue
            label = row[kind_i].strip()
            kind = kinds_exact.get(label) or kinds_loose.get(norm_header(label))
            if kind is None:
                reason = "is empty" if not label else "is not one of the form's activity choices"
                problem(row_no, row, kind_i, f"{reason}; activity {n} was skipped", email)
                continue
            title = clean_text(row[title_i])
            if not title:
                problem(row_no, row, title_i, f"is empty; activity {n} was skipped (a title is needed)", email)
                continue
            raw_date = row[date_i]
            if not raw_date.strip():
                problem(row_no, row, date_i, f"is empty; activity {n} ('{title}') was skipped", email)
                continue
            try:
                day = parse_date(raw_date, date_formats)
            except ValueError as exc:
                problem(row_no, row, date_i, f"{exc}; activity {n} ('{title}') was skipped", email)
                continue
            if day > received_day:
                problem(row_no, row, date_i, f"is after the response was sent on {received_day.isoformat()}; "
                                             f"activity {n} ('{title}') was skipped", email)
                continue
            values = list(blank)
            for field, i, parser, at in metrics:
                raw = row[i]
                if not raw:
                    continue
                try:
                    values[at] = parser(raw)
                except ValueError as exc:
                    problem(row_no, row, i, f"{exc}; left empty for activity {n} ('{title}')", email)
            activities.append(Activity(activity_id(email, kind, title, day), email, kind, title, day, received,
                                       row_no, n, reported, *values))
            count += 1
        if count == 0:
            first = cols.sections[0][0][1]
            problems.append(Problem(src, row_no, title_of[first], row[first],
                                    "(and every other section): no activity in this response could be used; "
                                    "the check-in itself is recorded", email))
        checkins.append(Checkin(email, received, row_no, reported, count))
    return Ingested(activities, checkins, problems, row_no)


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
                           a.date.strftime(layout.date_formats[0]),
                           f"dates activity {a.section} ('{a.title}') in {q}, but the response arrived "
                           f"{received_on(a).isoformat()}, after the {q} window closed on "
                           f"{q.window_closes(window_days).isoformat()}; it counts for nothing", a.email))
    return out


@dataclass(frozen=True)
class RosterLayout:
    source: str
    fields: Mapping[str, str]  # field -> column title


def parse_roster(headers: Sequence[str], rows: Iterable[Sequence[str]], layout: RosterLayout
                 ) -> tuple[list[Ambassador], list[Problem]]:
    """The roster's usable rows; each row that cannot be used becomes a Problem."""
    index = {norm_header(h): i for i, h in reversed(list(enumerate(headers)))}
    required = ("name", "email", "start_date", "status")
    cols: dict[str, int | None] = {}
    for field, title in layout.fields.items():
        cols[field] = index.get(norm_header(title))
        if cols[field] is None and field in required:
            raise InputError(f"The roster {layout.source} has no column '{title}' "
                             f"(ambassadors.fields.{field} in config.yaml).")
    out: list[Ambassador] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}

    for row_no, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue

        def get(field: str) -> str:
            i = cols.get(field)
            return row[i] if i is not None and i < len(row) else ""

        def bad(field: str, reason: str) -> None:
            problems.append(Problem(layout.source, row_no, layout.fields[field], get(field), reason,
                                    normalize_email(get("email"))))

        email = normalize_email(get("email"))
        if not looks_like_address(email):
            bad("email", "is not an email address; the ambassador was skipped")
            continue
        if email in seen:
            bad("email", f"is already on row {seen[email]}; this row was skipped")
            continue
        status = get("status").strip().lower()
        if status not in ROSTER_STATUSES:
            bad("status", f"is not one of {', '.join(ROSTER_STATUSES)}; the ambassador was skipped")
            continue
        try:
            start = parse_date(get("start_date"), ("%Y-%m-%d", "%d/%m/%Y"))
        except ValueError as exc:
            bad("start_date", f"{exc}; the ambassador was skipped")
            continue
        seen[email] = row_no
        languages = tuple(x.strip().lower() for x in get("languages").replace(",", ";").split(";") if x.strip())
        changes: tuple[tuple[date, str], ...] = ()
        if "status_history" in layout.fields and get("status_history").strip():
            try:
                changes = parse_status_history(get("status_history"))
            except ValueError as exc:
                bad("status_history", f"{exc}; the status history was ignored: the Status column "
                                      f"('{status}') holds for all time")
            else:
                last_day, last_status = changes[-1]
                if last_status != status:
                    bad("status_history", f"ends with '{last_status}' on {last_day.isoformat()}, but the Status "
                                          f"column says '{status}': add the date it became '{status}'; until "
                                          f"then '{status}' is taken to hold from {last_day.isoformat()} on")
        out.append(Ambassador(
            email=email, name=clean_text(get("name")) or email, country=clean_text(get("country")),
            region=clean_text(get("region")), university=clean_text(get("university")), languages=languages,
            start_date=start, status=status, row=row_no, status_history=changes,
            forum_handle=clean_text(get("forum_handle")), chat_handle=clean_text(get("chat_handle")),
        ))
    return out, problems


HISTORY_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")  # as the start date


def parse_status_history(text: str) -> tuple[tuple[date, str], ...]:
    """Staff's "Status history": dated changes such as `2026-10-05 paused; 2027-01-10 active`.

    Entries are separated by `;` or line breaks, each a date (ISO or d/m/Y, like the start date)
    then a status; a colon or dash between them and a note in brackets after the status are
    allowed ("2026-05-04 paused (parental leave)"). Returned ascending by date. Raise
    ValueError naming the first entry that cannot be read, or two differing entries on one day.
    """
    by_day: dict[date, str] = {}
    for raw in re.split(r"[;\n\r]+", text):
        entry = raw.strip()
        if not entry:
            continue
        parts = entry.split(None, 1)
        shown = " ".join(entry.split())
        if len(parts) < 2:
            raise ValueError(f"has the entry '{shown}', which is not a date and a status (like 2026-10-05 paused)")
        raw_day = parts[0].rstrip(":,")
        raw_status = re.sub(r"\s*\([^()]*\)$", "", parts[1].strip().lstrip(":-–—,").strip()).lower()
        try:
            day = parse_date(raw_day, HISTORY_DATE_FORMATS)
        except ValueError:
            raise ValueError(f"has the entry '{shown}', whose date '{raw_day}' is not a date like 2026-10-05 "
                             f"or 05/10/2026") from None
        if raw_status not in ROSTER_STATUSES:
            raise ValueError(f"has the entry '{shown}', whose status '{raw_status}' is not one of "
                             f"{', '.join(ROSTER_STATUSES)}")
        if by_day.get(day, raw_status) != raw_status:
            raise ValueError(f"has two statuses on {day.isoformat()} ('{by_day[day]}' and '{raw_status}')")
        by_day[day] = raw_status
    if not by_day:
        raise ValueError("has no dated status in it (like 2026-10-05 paused)")
    return tuple(sorted(by_day.items()))
