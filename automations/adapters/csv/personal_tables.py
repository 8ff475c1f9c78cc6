"""`CsvPersonalTables`: the CSV files of the local folder as tables to read and rewrite row by row.

Used by `export`, `erase` and `retention`, which look at every table a person may appear in. Rows are
streamed (a program's activities file holds hundreds of thousands of rows; none is held in memory).
Cells are read as the jobs read them (without the apostrophe `safe_cells` adds to a formula-looking
cell); a row that changes is written with its changed cells escaped and every other cell exactly as it
was, in one atomic replace of the file, made only when some row changes. A file that does not exist is
not a table yet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from ...ports import Written
from ..files.atomic import atomic_write_with
from .dialect import how_to_save, open_text, sniff
from .safe_cells import escape, unescape
from .tables import csv_rows


class CsvPersonalTables:
    def __init__(self, files: Mapping[str, Path], private: Iterable[str] = ()):
        #: table name (as people see it, e.g. "data/ambassadors.csv") -> file
        self.files = dict(files)
        #: the tables that are 0600 once rewritten, whatever their mode was (the conduct register: `file_modes`)
        self.private = frozenset(private)

    def tables(self) -> list[str]:
        return [name for name, path in self.files.items() if path.is_file()]

    def fixed(self, table: str) -> dict[str, str]:
        return {}  # every cell of a CSV file is text

    def _raw(self, table: str) -> Iterator[list[str]]:
        path = self.files[table]
        if not path.is_file():
            return
        fh, dialect = open_text(path, "personal data")
        reader = csv.reader(fh, delimiter=dialect.delimiter)
        with fh:
            try:  # the limits every reader of staff files shares (`csv_tables.CELL_LIMIT`): one sentence, not a crash
                yield from csv_rows(reader, path, "personal data", own=True)
            except UnicodeDecodeError:
                raise how_to_save(path, "personal data", f" after row {reader.line_num}") from None

    def _newline(self, table: str) -> str:
        with self.files[table].open("rb") as fh:
            head = fh.read(1 << 16)
        return "\r\n" if b"\r\n" in head or b"\r\x00\n\x00" in head or b"\x00\r\x00\n" in head else "\n"

    def read(self, table: str) -> tuple[list[str], Iterator[list[str]]]:
        raw = self._raw(table)
        headers = next(raw, [])

        def rows() -> Iterator[list[str]]:
            for r in raw:
                if any(c.strip() for c in r):
                    yield [unescape(c) for c in r] + [""] * (len(headers) - len(r))
        return headers, rows()

    def _changed(self, table: str, change: Callable[[list[str], list[str]], list[str] | None]
                 ) -> Iterator[tuple[list[str] | None, int]]:
        """Each raw row as it is to be written (None: deleted), with 0 (kept), 1 (updated) or 2 (deleted)."""
        raw = self._raw(table)
        headers = next(raw, None)
        if headers is None:
            return
        yield headers, 0
        for r in raw:
            if not any(c.strip() for c in r):
                yield r, 0
                continue
            padded = r + [""] * (len(headers) - len(r))
            seen = [unescape(c) for c in padded]
            new = change(list(headers), list(seen))
            if new is None:
                yield None, 2
            elif new == seen:
                yield r, 0
            else:
                yield [x if n == s else escape(n) for x, s, n in zip(padded, seen, new)], 1

    def rewrite(self, table: str, change: Callable[[list[str], list[str]], list[str] | None],
                dry_run: bool = False) -> Written:
        updated = deleted = 0
        for _row, what in self._changed(table, change):  # first pass: only counts, nothing held
            updated += what == 1
            deleted += what == 2
        written = Written(updated=updated, deleted=deleted, unit="row", where=table)
        if written.changed and not dry_run:
            newline = self._newline(table)

            dialect = sniff(self.files[table], "personal data")  # a person's file keeps its encoding and separator

            def fill(fh: BinaryIO) -> None:
                fh.write(dialect.bom)
                text = io.TextIOWrapper(fh, encoding=dialect.encoding, newline="")
                text.write(dialect.sep_line)
                out = csv.writer(text, lineterminator=newline, delimiter=dialect.delimiter)
                out.writerows(row for row, _what in self._changed(table, change) if row is not None)
                text.flush()
                text.detach()

            atomic_write_with(self.files[table], fill, private=table in self.private)
        return written
