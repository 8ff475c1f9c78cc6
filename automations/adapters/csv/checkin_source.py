"""`CsvCheckinSource`: the check-in responses as a CSV download of the form's response sheet.

The file is a person's (or Google's) and is never written. A form only ever appends responses,
so `read_new` can hand over just the rows after the ones read last time: its cursor is the
file's size then and a digest of those bytes. When the same bytes are still there, followed by
more, only the rest is parsed; when anything before changed (a row edited or deleted, a new
download with other content), everything is read again.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

from ...ports import NewRows
from .dialect import how_to_save, sniff
from .tables import csv_rows, stream_csv

_BLOCK = 1 << 20


def _digest(path: Path, size: int) -> tuple[hashlib._Hash, bool]:
    """The digest of the file's first `size` bytes (to go on with), and whether they end a line."""
    h = hashlib.sha1()
    left = size
    last = b""
    with path.open("rb") as fh:
        while left > 0:
            block = fh.read(min(_BLOCK, left))
            if not block:
                break
            h.update(block)
            left -= len(block)
            last = block
    return h, last.endswith(b"\n") or size == 0


def _headers(path: Path) -> list[str]:
    headers, rows = stream_csv(path, "check-in responses")
    for _ in rows:  # start the reader's generator so that closing it closes the file
        break
    rows.close()
    return headers


class CsvCheckinSource:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.where = str(self.path)

    def read(self) -> tuple[list[str], Iterator[list[str]]]:
        return stream_csv(self.path, "check-in responses")

    def read_new(self, cursor: tuple | None) -> NewRows:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return self._full(0)
        if cursor:
            old_size, old_digest, last_row = cursor
            if size >= old_size and old_size > 0:
                hasher, ends_line = _digest(self.path, old_size)
                if hasher.hexdigest() == old_digest and size == old_size:
                    return NewRows(_headers(self.path), iter(()), last_row + 1, "same", lambda: tuple(cursor))
                if hasher.hexdigest() == old_digest and ends_line:
                    return self._tail(old_size, size, last_row, hasher)
        return self._full(size)

    def _full(self, size: int) -> NewRows:
        digest = _digest(self.path, size)[0].hexdigest() if size else ""
        headers, rows = stream_csv(self.path, "check-in responses")
        counted = _Counting(rows)
        return NewRows(headers, counted, 2, "full", lambda: (size, digest, 1 + counted.n))

    def _tail(self, start: int, size: int, last_row: int, hasher) -> NewRows:
        headers = _headers(self.path)
        with self.path.open("rb") as fh:
            fh.seek(start)
            data = fh.read(size - start)
        hasher.update(data)
        digest = hasher.hexdigest()
        dialect = sniff(self.path, "check-in responses")
        try:
            text = data.decode(dialect.encoding)
        except UnicodeDecodeError:
            raise how_to_save(self.path, "check-in responses", f" after row {last_row}") from None
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter)
        counted = _Counting(csv_rows(reader, self.path, "check-in responses", start=last_row + 1))
        return NewRows(headers, counted, last_row + 1, "appended", lambda: (size, digest, last_row + counted.n))


class _Counting:
    """Rows passed through, counted (the cursor's last row is known once they are read)."""

    def __init__(self, rows: Iterator[list[str]]):
        self.rows = rows
        self.n = 0

    def __iter__(self) -> Iterator[list[str]]:
        for row in self.rows:
            self.n += 1
            yield row
