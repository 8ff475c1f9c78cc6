"""Event attendee lists: staff's rows (a CSV file per event or the Airtable table) into `Attendee` values, each
problem a row's."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from ..certificates import Attendee, event_id
from ..model import Problem
from ..values import clean_text, normalize_email, parse_date, titled_rows

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def attendees_from_rows(headers: list[str], rows: list[list[str]], source: str, event_name: str = "",
                        event_date: date | None = None) -> tuple[list[Attendee], list[Problem]]:
    """The usable attendee lines of a table of text cells (a file's, or the Airtable table's)."""
    out: list[Attendee] = []
    problems: list[Problem] = []
    for row_no, get in titled_rows(headers, rows):

        email = normalize_email(get("Email"))

        # This row's number, getter and address are bound now (a closure would see the loop's latest).
        def bad(title: str, reason: str, *, row_no: int = row_no, get: Callable[[str], str] = get,
                email: str = email) -> None:
            problems.append(Problem(source, row_no, title, get(title), reason, email))

        name = clean_text(get("Name"))
        event = clean_text(get("Event")) or event_name
        if not _EMAIL.match(email):
            bad("Email", "is not an email address; no certificate is sent for this line")
            continue
        if not event:
            bad("Event", "is empty: the line names no event; no certificate is sent for it")
            continue
        day = event_date
        if get("Date").strip() or day is None:
            try:
                day = parse_date(get("Date"), DATE_FORMATS)
            except ValueError as exc:
                bad("Date", f"{exc}; no certificate is sent for this line")
                continue
        out.append(Attendee(event_id(event, day), event, day, name, email, row_no, source))
    return out, problems
