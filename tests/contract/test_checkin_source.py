"""The CheckinSource contract: titles in form order (duplicates kept), rows as the form wrote them, oldest first,
never written to, and no response lost between reads.

One set of responses as each source holds it: the form's CSV download (`CsvCheckinSource`), the form's linked
response sheet (`SheetsCheckinSource`: real gspread over HTTP against the fake Google, timestamps and dates as the
serial numbers Sheets keeps, a number typed as text kept as text), the Forms API (`FormsCheckinSource`:
google-api-python-client against the fake, a form made by `FormsBuilder` and answered at the same instants) and the
in-memory fake. Every source gives the same titles and the same rows, in the text ingestion reads (ISO dates,
timestamps as wall-clock time in the configured zone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from automations.adapters.csv.checkin_source import CsvCheckinSource
from tests.fakes import FakeCheckinSource

LONDON = ZoneInfo("Europe/London")
#: Two activity sections whose questions repeat their titles (as a form without "{n}" in them writes them).
HEADERS = ["Timestamp", "Email Address", "Quarter", "Activity type", "Activity date", "Views", "Activity type",
           "Activity date", "Views"]
ROWS = [["2026-07-01 10:00:00", "ana@example.org", "2026Q3", "Talk", "2026-06-20", "0123", "Workshop", "2026-06-25",
         "1,200"],
        ["2026-07-02 11:00:00", "bo@example.org", "2026Q3", "Talk", "2026-06-30", "", "", "", ""]]
LATER = ["2026-07-03 09:00:00", "cy@example.org", "2026Q3", "Workshop", "2026-07-01", "5", "", "", ""]


@dataclass
class Harness:
    source: object
    add: Callable[[list[str]], None]  # a respondent submits the form (or a row is appended to the download)
    writes: Callable[[], int]  # changes made to the form's responses since the harness was made


class CheckinSourceContract:
    """A subclass gives `harness`: the source over `HEADERS` and `ROWS`."""

    @pytest.fixture
    def harness(self):
        raise NotImplementedError

    def test_titles_and_rows_as_written(self, harness):
        """Repeated titles stay, text stays text ("0123", "1,200"), empty answers are empty cells, a row has a
        cell under every title, and the rows come oldest first."""
        headers, rows = harness.source.read()
        assert headers == HEADERS and [list(r) for r in rows] == ROWS

    def test_reading_twice_gives_the_same_and_writes_nothing(self, harness):
        """The source is never consumed or changed by reading."""
        first = [list(r) for r in harness.source.read()[1]]
        assert [list(r) for r in harness.source.read()[1]] == first
        assert harness.writes() == 0

    def test_read_new_without_a_cursor_is_every_row(self, harness):
        new = harness.source.read_new(None)
        assert (new.mode, new.first_row, new.headers, [list(r) for r in new.rows]) == ("full", 2, HEADERS, ROWS)

    def test_a_response_after_the_cursor_is_never_lost(self, harness):
        """What comes after a cursor holds the new response: only it (appended, numbered on) or every row."""
        first = harness.source.read_new(None)
        list(first.rows)
        harness.add(LATER)
        new = harness.source.read_new(first.cursor())
        rows = [list(r) for r in new.rows]
        assert (new.mode, new.first_row, rows) in (("appended", 4, [LATER]), ("full", 2, [*ROWS, LATER]))

    def test_it_names_where_it_reads(self, harness):
        assert harness.source.where


class CursorCheckinSourceContract(CheckinSourceContract):
    """A source that can tell what is new since a cursor (a file, memory) promises more: only the rows after it,
    and every row again when one before it changed. A subclass also gives `rewrite(rows)`: the source now holds
    these rows (a person edited the download)."""

    @pytest.fixture
    def rewrite(self):
        raise NotImplementedError

    @staticmethod
    def _take(new):
        return new.mode, new.first_row, [list(r) for r in new.rows], new.cursor()

    def test_read_new_gives_only_the_rows_after_the_cursor(self, harness, rewrite):
        """No cursor: every row. The same rows again: nothing. Rows appended: only those, numbered on."""
        mode, first, rows, cursor = self._take(harness.source.read_new(None))
        assert (mode, first, rows) == ("full", 2, ROWS)
        mode, first, rows, same = self._take(harness.source.read_new(cursor))
        assert (mode, rows) == ("same", []) and same == cursor
        extra = [LATER, ["2026-07-03 10:00:00", "di@example.org", "2026Q3", "", "", "", "", "", "7"]]
        rewrite(ROWS + extra)
        mode, first, rows, later = self._take(harness.source.read_new(cursor))
        assert (mode, first, rows) == ("appended", 4, extra) and later != cursor
        assert self._take(harness.source.read_new(later))[0] == "same"

    def test_read_new_reads_everything_when_an_earlier_row_changed(self, harness, rewrite):
        """An edited or deleted row before the cursor: the cursor is no good, every row comes again."""
        cursor = self._take(harness.source.read_new(None))[3]
        edited = [ROWS[0], [*ROWS[1][:5], "9", *ROWS[1][6:]]]
        rewrite(edited)
        mode, first, rows, _ = self._take(harness.source.read_new(cursor))
        assert (mode, first, rows) == ("full", 2, edited)
        rewrite(ROWS[:1])
        assert self._take(harness.source.read_new(cursor))[:3] == ("full", 2, ROWS[:1])


def _download(path, rows) -> None:
    """The form's CSV download as Google writes it: a BOM, every cell quoted, CRLF line ends."""
    lines = [",".join(f'"{c}"' for c in r) for r in [HEADERS, *rows]]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")


class TestCsvCheckinSource(CursorCheckinSourceContract):
    @pytest.fixture
    def rewrite(self, tmp_path):
        return lambda rows: _download(tmp_path / "responses.csv", rows)

    @pytest.fixture
    def harness(self, tmp_path, rewrite):
        path = tmp_path / "responses.csv"
        rewrite(ROWS)
        before = path.read_bytes()
        held = [list(r) for r in ROWS]

        def add(row):
            held.append(row)
            rewrite(held)

        return Harness(CsvCheckinSource(path), add, lambda: int(path.read_bytes() != before))


class TestFakeCheckinSource(CursorCheckinSourceContract):
    @pytest.fixture
    def harness(self):
        source = FakeCheckinSource(HEADERS, ROWS)
        return Harness(source, lambda row: source.rows.append(list(row)), lambda: int(source.rows != ROWS))

    @pytest.fixture
    def rewrite(self, harness):
        def to(rows):
            harness.source.rows = [list(r) for r in rows]

        return to


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


class TestSheetsCheckinSource(CheckinSourceContract):
    """The form's linked sheet in London time (en_GB), as Sheets holds it: timestamps and dates are serial
    numbers, the views typed as text ("0123", "1,200") are strings."""

    SHEET = "1CheckinSheet"

    @staticmethod
    def cells(rows):
        from tests.fake_google import DateTime

        dated = {i for i, h in enumerate(HEADERS) if h == "Activity date"}

        def cell(i, value):
            if i == 0:
                return DateTime(datetime.fromisoformat(value))
            if i in dated and value:
                return DateTime(datetime.fromisoformat(value))
            return value

        return [HEADERS] + [[cell(i, v) for i, v in enumerate(r)] for r in rows]

    @pytest.fixture
    def harness(self, google_env):
        from automations.adapters.google.sheets_checkin_source import SheetsCheckinSource
        from tests.contract.conftest import SERVICE_ACCOUNT

        fake = google_env.fake
        fake.add_spreadsheet(self.SHEET, time_zone="Europe/London", locale="en_GB",
                             tabs={"Form Responses 1": self.cells(ROWS)}, share_with=(SERVICE_ACCOUNT,))
        fake.reset_log()
        held = [list(r) for r in ROWS]

        def add(row):
            held.append(row)
            fake.set_values(self.SHEET, "Form Responses 1", self.cells(held))

        return Harness(SheetsCheckinSource(google_env.access, self.SHEET, "Form Responses 1", "Timestamp",
                                           ["Activity date"], LONDON), add, google_env.writes)


class TestFormsCheckinSource(CheckinSourceContract):
    """The form made by `init --form` (`FormsBuilder`, two sections), its responses submitted through the fake at
    the rows' instants (London time), read through the Forms API."""

    @pytest.fixture
    def harness(self, google_env, tmp_path):
        import json

        from automations.adapters.google.forms_checkin_source import (
            FormsBuilder,
            FormsCheckinSource,
            FormShape,
        )

        shape = FormShape("Timestamp", "Email Address", "Quarter", 2,
                          {"kind": "Activity type", "date": "Activity date", "views": "Views"}, ("Talk", "Workshop"))
        state = tmp_path / "form_questions.json"
        form_id, _ = FormsBuilder(google_env.access, shape, "Check-in", state).create()
        slots = json.loads(state.read_text(encoding="utf-8"))["questions"]
        order = [slot for slot, _, _ in shape.slots()]

        def add(row):
            answers = {slots[s]: [v] for s, v in zip(order, row[1:]) if v}
            google_env.fake.add_response(form_id, answers, _moment(row[0]))

        for row in ROWS:
            add(row)
        google_env.fake.reset_log()
        return Harness(FormsCheckinSource(google_env.access, form_id, shape, LONDON, state), add, google_env.writes)
