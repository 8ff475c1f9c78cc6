"""`CsvAttendeeSource`: event attendee lists as CSV files staff drop in a folder of `local.dir`.

One file per sprint or workshop, named `<YYYY-MM-DD> <event name>.csv` (the event's date and name,
as on its certificate), with a Name and an Email column (a sign-up sheet's export; other columns
are ignored). Optional Event and Date columns give a row's event and date instead, so one file may
also hold several events, in the shape of the Airtable table "Event attendees" (Event, Date, Name,
Email). A line without a usable email or date is a data problem naming its cell; nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ...domain.certificates import Attendee, event_id
from ...domain.model import Problem
from ...domain.values import clean_text, iso_date, normalize_email, parse_date, titled_rows
from .tables import read_csv

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_NAMED = re.compile(r"^(\d{4}-\d{2}-\d{2})[ _-]+(.+)$")
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


class CsvAttendeeSource:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.where = str(self.folder)

    def read(self) -> tuple[list[Attendee], list[Problem]]:
        if not self.folder.is_dir():
            return [], []  # no event lists yet
        attendees: list[Attendee] = []
        problems: list[Problem] = []
        for path in sorted(self.folder.glob("*.csv")):
            source = f"{self.folder.name}/{path.name}"
            named = _NAMED.match(path.stem)
            event_name, event_date = "", None
            if named:
                try:
                    event_date = iso_date(named.group(1))
                    event_name = clean_text(named.group(2))
                except ValueError:
                    pass
            headers, rows = read_csv(path, "event attendee list")
            found, bad = attendees_from_rows(headers, rows, source, event_name, event_date)
            if not named and not found and not bad and rows:
                bad = [Problem(source, 1, "(file name)", path.name, "does not start with the event's date "
                               "(\"2026-11-14 Mautic sprint.csv\") and the list has no Event and Date columns")]
            attendees += found
            problems += bad
        return attendees, problems
