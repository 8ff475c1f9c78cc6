"""The AttendeeSource contract on every adapter (CSV lists in a folder, the Airtable table "Event attendees"):
attendee lines read by the same rules (address normalised, the event's id from its name and date), a line that
cannot be used a Problem naming its cell, nothing written.

Both hold the same lines in the table's shape (Event, Date, Name, Email): the CSV folder as one list with Event and
Date columns, which a folder may hold beside lists named after their event."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest

from automations.domain.certificates import event_id
from tests.airtable_env import BASE
from tests.contract.conftest import airtable_client, init_base, spec

TITLES = ["Event", "Date", "Name", "Email"]
LINES = [["Mautic sprint", "2026-11-14", "Ana Lima", " Ana.Lima@Example.org "],
         ["Mautic sprint", "2026-11-14", "Олег Петров", "oleg@example.org"],
         ["Mautic sprint", "2026-11-14", "No Address", "not-an-address"],
         ["Workshop: Segments", "2026-11-20", "  Priya   N. ", "priya@example.org"],
         ["", "2026-11-20", "No Event", "x@example.org"]]


@dataclass
class Harness:
    make: Callable[[], object]
    footprint: Callable[[], object]


class AttendeeSourceContract:
    @pytest.fixture
    def harness(self):
        raise NotImplementedError

    def test_usable_lines(self, harness):
        """Each usable line once, in order: the event's id from its name and date, the address normalised, the
        name tidied; the row staff find it on."""
        attendees, _ = harness.make().read()
        sprint, workshop = event_id("Mautic sprint", date(2026, 11, 14)), event_id("Workshop: Segments",
                                                                                   date(2026, 11, 20))
        assert [(a.event, a.event_name, a.event_date, a.name, a.email, a.row) for a in attendees] == [
            (sprint, "Mautic sprint", date(2026, 11, 14), "Ana Lima", "ana.lima@example.org", 2),
            (sprint, "Mautic sprint", date(2026, 11, 14), "Олег Петров", "oleg@example.org", 3),
            (workshop, "Workshop: Segments", date(2026, 11, 20), "Priya N.", "priya@example.org", 5)]

    def test_unusable_lines_are_problems(self, harness):
        """No address, no event: a Problem naming the row, the column and the value; never dropped in silence."""
        _, problems = harness.make().read()
        assert [(p.row, p.column, p.value.strip()) for p in problems] == [(4, "Email", "not-an-address"),
                                                                          (6, "Event", "")]

    def test_reading_writes_nothing(self, harness):
        before = harness.footprint()
        first = harness.make().read()
        assert harness.make().read() == first and harness.footprint() == before

    def test_it_names_where(self, harness):
        assert harness.make().where


class TestCsvAttendeeSource(AttendeeSourceContract):
    @pytest.fixture
    def harness(self, tmp_path):
        from automations.adapters.csv.attendee_source import CsvAttendeeSource

        folder = tmp_path / "event_attendees"
        folder.mkdir()
        with (folder / "attendees.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([TITLES, *LINES])
        return Harness(lambda: CsvAttendeeSource(folder),
                       lambda: {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()})

    def test_a_list_named_after_its_event(self, harness, tmp_path):
        """A sign-up sheet's export named "<date> <event>.csv" gives its lines that event and date."""
        folder = tmp_path / "event_attendees"
        (folder / "attendees.csv").unlink()
        with (folder / "2026-11-14 Mautic sprint.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([["Name", "Email", "T-shirt"], ["Ana Lima", "ana@example.org", "M"]])
        (a,), problems = harness.make().read()
        assert (a.event, a.event_name, a.event_date, a.email, problems) == (
            event_id("Mautic sprint", date(2026, 11, 14)), "Mautic sprint", date(2026, 11, 14), "ana@example.org", [])


class TestAirtableAttendeeSource(AttendeeSourceContract):
    """The table as `init` makes it: Date a date field (ISO text in the API), Email an email field."""

    @pytest.fixture
    def harness(self, airtable_base):
        from automations.adapters.airtable.attendee_source import AirtableAttendeeSource

        fake, clock = airtable_base
        init_base(fake, clock)
        table = spec()["event_attendees"]
        fake.insert(BASE, table.name, [{t: v for t, v in zip(TITLES, line) if v} for line in LINES])
        return Harness(lambda: AirtableAttendeeSource(airtable_client(fake, clock), table),
                       lambda: ([r for r in fake.requests if r.kind == "write"], fake.records(BASE, table.name)))
