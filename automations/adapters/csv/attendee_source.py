"""`CsvAttendeeSource`: event attendee lists as CSV files staff drop in a folder of `local.dir`.

One file per sprint or workshop, named `<YYYY-MM-DD> <event name>.csv` (the event's date and name,
as on its certificate), with a Name and an Email column (a sign-up sheet's export; other columns
are ignored). Optional Event and Date columns give a row's event and date instead, so one file may
also hold several events, in the shape of the Airtable table "Event attendees" (Event, Date, Name,
Email). A line without a usable email or date is a data problem naming its cell; nothing is written.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...domain.certificates import Attendee
from ...domain.model import Problem
from ...domain.rows.attendees import attendees_from_rows
from ...domain.values import clean_text, iso_date
from .tables import read_csv

_NAMED = re.compile(r"^(\d{4}-\d{2}-\d{2})[ _-]+(.+)$")  # a file named by its event's day and name

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
