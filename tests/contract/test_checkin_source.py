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
