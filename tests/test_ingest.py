"""Turning form response rows into activities: mapping by position, and every kind of mess."""

from __future__ import annotations

from typing import ClassVar

import pytest

from automations.bootstrap import form_layout
from automations.config import DEFAULT_ACTIVITY_COLUMNS, Config
from automations.domain.checkins import RosterLayout, ingest, map_columns, parse_roster
from automations.errors import InputError

# These rows are written day first, as a UK sheet writes them; few of them settle it by themselves.
LAYOUT = form_layout(Config.model_validate({"checkin_form": {"date_order": "dmy"}}), "checkin_responses.csv")
FIELDS = list(DEFAULT_ACTIVITY_COLUMNS)
HEADERS = ["Timestamp", "Email Address", "Which quarter are you reporting on?"] + [
    title.replace("{n}", str(n)) for n in (1, 2, 3) for title in DEFAULT_ACTIVITY_COLUMNS.values()
]
KIND_LABEL = {"talk": "Giving a talk", "event": "Organizing an event (user group, MautiCamp, sprint, workshop)"}
KNOWN = {"ana@example.org": 1, "bo@example.org": 1}


def response_row(ts: str, email: str, sections: list[dict], quarter: str = "2026 Q3") -> list[str]:
    row = [ts, email, quarter]
    for n in range(3):
        s = sections[n] if n < len(sections) else {}
        row += [str(s.get(f, "")) for f in FIELDS]
    return row


def talk(**over):
    base = dict(kind="Giving a talk", title="Intro to Mautic", date="14/08/2026", goal="Show Mautic",
                registrations="40", attendees="35", hours="3")
    base.update(over)
    return base


def test_duplicate_titles_map_by_position():
    """Repeated question titles belong to sections in order: the n-th 'Views' is section n's."""
    cols = map_columns(HEADERS, LAYOUT)
    views = [dict(s)["views"] for s in cols.sections]
    assert [HEADERS[i] for i in views] == ["Views"] * 3 and views == sorted(views) and len(set(views)) == 3


def test_missing_header_is_named():
    """A renamed question stops the run with the missing title in the message."""
    headers = [h if h != "Activity 2: Title" else "Activity 2: Name" for h in HEADERS]
    with pytest.raises(InputError, match="'Activity 2: Title'"):
        map_columns(headers, LAYOUT)


def test_too_few_repeats_is_named():
    """A section whose repeated question was deleted is named, with its section."""
    i = len(HEADERS) - 1 - HEADERS[::-1].index("Reshares")
    with pytest.raises(InputError, match="no column 'Reshares' in activity section 3"):
        map_columns(HEADERS[:i] + HEADERS[i + 1:], LAYOUT)


def test_sections_become_activities():
    """Each filled section is one activity; the empty ones are ignored."""
    rows = [response_row("03/10/2026 10:00:00", "ana@example.org", [talk(), talk(title="Second", date="01/09/2026")])]
    got = ingest(HEADERS, rows, LAYOUT, KNOWN)
    assert [(a.title, a.section, a.kind, a.attendees) for a in got.activities] == [
        ("Intro to Mautic", 1, "talk", 35), ("Second", 2, "talk", 35)]
    assert got.problems == [] and got.checkins[0].activities == 2


def test_email_case_and_spaces_match():
    """' Ana@Example.org ' is ana@example.org."""
    got = ingest(HEADERS, [response_row("03/10/2026 10:00:00", " Ana@Example.ORG ", [talk()])], LAYOUT, KNOWN)
    assert got.activities[0].email == "ana@example.org"


def test_unknown_email_reported_with_row():
    """An email that matches nobody is reported with its row, column and value; nothing is stored."""
    got = ingest(HEADERS, [response_row("03/10/2026 10:00:00", "ana@example.org", [talk()]),
                           response_row("03/10/2026 11:00:00", "who@example.net", [talk()])], LAYOUT, KNOWN)
    assert len(got.activities) == 1
    (p,) = got.problems
    assert (p.row, p.column, p.value) == (3, "Email Address", "who@example.net") and "no ambassador" in p.reason


def test_bad_number_reported_and_left_empty():
    """'lots' in a number column is reported; the activity stays, without that value."""
    got = ingest(HEADERS, [response_row("03/10/2026 10:00:00", "ana@example.org", [{}, talk(attendees="lots")])],
                 LAYOUT, KNOWN)
    (a,) = got.activities
    (p,) = got.problems
    assert a.attendees is None and (p.row, p.column, p.value) == (2, "Number of attendees", "lots")
    assert "activity 2" in p.reason


@pytest.mark.parametrize("over,column,needle", [
    (dict(kind="Podcast guest"), "Activity 1: What kind of activity was it?", "not one of the form's"),
    (dict(date="sometime in August"), "Activity 1: When did it take place?", "not a date"),
    (dict(date=""), "Activity 1: When did it take place?", "is empty"),
    (dict(title=""), "Activity 1: Title", "is empty"),
    (dict(date="01/12/2026"), "Activity 1: When did it take place?", "after the response was sent"),
])
def test_unusable_section_reported(over, column, needle):
    """A section that cannot be used is reported with row, column, value and reason."""
    got = ingest(HEADERS, [response_row("03/10/2026 10:00:00", "ana@example.org", [talk(**over)])], LAYOUT, KNOWN)
    assert got.activities == []
    first = got.problems[0]
    assert (first.row, first.column) == (2, column) and needle in first.reason


def test_empty_response_reported_but_counts_as_checkin():
    """A response with no activities is reported; the check-in itself is kept."""
    got = ingest(HEADERS, [response_row("03/10/2026 10:00:00", "ana@example.org", [])], LAYOUT, KNOWN)
    assert got.activities == [] and got.checkins[0].activities == 0
    assert "no activity" in got.problems[0].reason


def test_bad_timestamp_reported():
    """A timestamp the sheet does not write is reported and the row skipped."""
    got = ingest(HEADERS, [response_row("yesterday", "ana@example.org", [talk()])], LAYOUT, KNOWN)
    assert got.activities == [] and got.problems[0].column == "Timestamp"


def test_timestamp_in_sheet_zone():
    """The timestamp is the sheet's wall-clock time in its zone (BST in summer)."""
    got = ingest(HEADERS, [response_row("30/09/2026 23:30:00", "ana@example.org", [talk(date="30/09/2026")])],
                 LAYOUT, KNOWN)
    ts = got.activities[0].received_at
    assert (ts.isoformat(), ts.utcoffset().total_seconds()) == ("2026-09-30T23:30:00+01:00", 3600)


def test_short_rows_are_padded():
    """A CSV row with trailing cells cut off still reads."""
    row = response_row("03/10/2026 10:00:00", "ana@example.org", [talk()])[:12]
    assert len(ingest(HEADERS, [row], LAYOUT, KNOWN).activities) == 1


class TestRoster:
    LAYOUT = RosterLayout("ambassadors.csv", Config().ambassadors.fields)
    HEAD: ClassVar[list[str]] = ["Name", "Email", "Country", "Start date", "Status", "Languages"]

    def test_rows_read(self):
        """Statuses are read case-insensitively; languages split on ';' or ','."""
        ambs, problems = parse_roster(self.HEAD, [["Ana", "Ana@example.org ", "BR", "2024-01-02", "Active", "pt; en"]],
                                      self.LAYOUT)
        assert problems == [] and (ambs[0].email, ambs[0].status, ambs[0].languages) == (
            "ana@example.org", "active", ("pt", "en"))

    @pytest.mark.parametrize("row,column", [
        (["A", "not-an-email", "BR", "2024-01-02", "active", ""], "Email"),
        (["A", "a@example.org", "BR", "soon", "active", ""], "Start date"),
        (["A", "a@example.org", "BR", "2024-01-02", "retired", ""], "Status"),
    ])
    def test_bad_rows_reported(self, row, column):
        """A roster row that cannot be used is reported with its column; the rest are read."""
        good = ["B", "b@example.org", "BR", "2024-01-02", "active", ""]
        ambs, problems = parse_roster(self.HEAD, [row, good], self.LAYOUT)
        assert [a.email for a in ambs] == ["b@example.org"]
        assert (problems[0].row, problems[0].column) == (2, column)

    def test_duplicate_email_reported(self):
        """The same email twice: the second row is reported and skipped."""
        r = ["A", "a@example.org", "BR", "2024-01-02", "active", ""]
        ambs, problems = parse_roster(self.HEAD, [r, r], self.LAYOUT)
        assert len(ambs) == 1 and "already on row 2" in problems[0].reason


def test_metric_order_matches_activity_fields():
    """Ingestion builds activities positionally: ACTIVITY_METRIC_ORDER must follow Activity's fields."""
    from dataclasses import fields

    from automations.domain.model import ACTIVITY_METRIC_ORDER, Activity

    assert tuple(f.name for f in fields(Activity))[9:] == ACTIVITY_METRIC_ORDER
