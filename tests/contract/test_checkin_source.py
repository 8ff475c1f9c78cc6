"""The CheckinSource contract: titles in form order (duplicates kept) and rows as written."""

from __future__ import annotations

import pytest

from automations.adapters.csv_checkin_source import CsvCheckinSource
from tests.fakes import FakeCheckinSource

HEADERS = ["Timestamp", "Email Address", "Views", "Views"]
ROWS = [["01/07/2026 10:00:00", "ana@example.org", "0123", "1,200"], ["02/07/2026 11:00:00", "bo@example.org", "", ""]]


@pytest.fixture(params=["csv", "memory"])
def source(request, tmp_path):
    if request.param == "csv":
        path = tmp_path / "responses.csv"
        lines = [",".join(HEADERS)] + [",".join(f'"{c}"' for c in r) for r in ROWS]
        path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
        return CsvCheckinSource(path)
    return FakeCheckinSource(HEADERS, ROWS)


def test_titles_and_rows_as_written(source):
    """Repeated titles stay, text stays text ("0123"), empty cells stay empty."""
    headers, rows = source.read()
    assert headers == HEADERS and list(rows) == ROWS


def test_read_twice_gives_the_same(source):
    """The source is never consumed or changed by reading."""
    first = [list(r) for r in source.read()[1]]
    assert [list(r) for r in source.read()[1]] == first


def _rewrite(source, rows) -> None:
    """What the form (or a person) does to the responses: the source now holds these rows."""
    if isinstance(source, CsvCheckinSource):
        lines = [",".join(HEADERS)] + [",".join(f'"{c}"' for c in r) for r in rows]
        source.path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    else:
        source.rows = [list(r) for r in rows]


def _take(new):
    return new.mode, new.first_row, [list(r) for r in new.rows], new.cursor()


def test_read_new_gives_only_the_rows_after_the_cursor(source):
    """No cursor: every row. The same rows again: nothing. Rows appended: only those, numbered on."""
    mode, first, rows, cursor = _take(source.read_new(None))
    assert (mode, first, rows) == ("full", 2, ROWS)
    mode, first, rows, same = _take(source.read_new(cursor))
    assert (mode, rows) == ("same", []) and same == cursor
    extra = [["03/07/2026 09:00:00", "cy@example.org", "5", ""], ["03/07/2026 10:00:00", "di@example.org", "", "7"]]
    _rewrite(source, ROWS + extra)
    mode, first, rows, later = _take(source.read_new(cursor))
    assert (mode, first, rows) == ("appended", 4, extra) and later != cursor
    assert _take(source.read_new(later))[0] == "same"


def test_read_new_reads_everything_when_an_earlier_row_changed(source):
    """An edited or deleted row before the cursor: the cursor is no good, every row comes again."""
    cursor = _take(source.read_new(None))[3]
    edited = [ROWS[0], ["02/07/2026 11:00:00", "bo@example.org", "9", ""]]
    _rewrite(source, edited)
    mode, first, rows, _ = _take(source.read_new(cursor))
    assert (mode, first, rows) == ("full", 2, edited)
    _rewrite(source, ROWS[:1])
    assert _take(source.read_new(cursor))[:3] == ("full", 2, ROWS[:1])
