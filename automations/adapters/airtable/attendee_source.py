"""`AirtableAttendeeSource`: the attendees of sprints and workshops as the Airtable table staff fill
("Event attendees": Event, Date, Name, Email; one record per attendee and event). Read once per
run, checked by the same rules as the CSV lists; nothing is written to it."""

from __future__ import annotations

from ...domain.certificates import Attendee
from ...domain.model import Problem
from ...domain.rows.attendees import attendees_from_rows
from .cells import cell_text
from .client import AirtableClient
from .schema import TableSpec


class AirtableAttendeeSource:
    def __init__(self, client: AirtableClient, spec: TableSpec):
        self.client = client
        self.spec = spec
        self.where = f"Airtable table {spec.name}"
        self._records: list[dict] | None = None

    def read(self) -> tuple[list[Attendee], list[Problem]]:
        names = [f.name for f in self.spec.fields]
        if self._records is None:
            self._records = self.client.all_records(self.spec.name, names)
        titles = ["Name", "Event", "Date", "Email"]
        rows = [[cell_text(r["fields"].get(self.spec.name_of(role))) for role in ("name", "event", "date", "email")]
                for r in self._records]
        return attendees_from_rows(titles, rows, self.spec.name)
