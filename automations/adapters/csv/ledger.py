"""`CsvLedger`: the ledger of side effects as an append-only CSV file (`mail_ledger.csv`).

Each step is a line handed to the operating system before the next step (so a killed process
loses nothing it recorded), and the file is synced to disk at the end of each batch. The latest
line of a key is its state. A cell a spreadsheet would run as a formula (an error text, a recipient
such as `@evil`) is written with a leading apostrophe and read back without it (`safe_cells`).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from ... import file_modes
from ...errors import StopRun
from ...ports import LedgerEntry
from ..files.atomic import csv_line
from .safe_cells import escape_row, unescape_row
from .tables import csv_rows

COLUMNS = ["Key", "Job", "Recipient", "Status", "Attempts", "Error", "Message-ID", "At"]


class CsvLedger:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.where = str(self.path)
        self._fh: TextIO | None = None

    def entries(self) -> dict[str, LedgerEntry]:
        if not self.path.exists():
            return {}
        out: dict[str, LedgerEntry] = {}
        with self.path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            rows = csv_rows(reader, self.path, "mail ledger")
            next(rows, None)
            for row in rows:
                if len(row) < len(COLUMNS):
                    continue  # a line cut short by a crash mid-write
                row = unescape_row(row)
                try:
                    attempts = int(row[4] or 0)
                except ValueError:
                    raise StopRun(f"The ledger {self.path} line {reader.line_num} has '{row[4]}' as its "
                                  f"attempts, not a number: put the number back; nothing was sent.") from None
                out[row[0]] = LedgerEntry(row[0], row[1], row[2], row[3], attempts, row[5], row[6], row[7])
        return out

    def refresh(self) -> None:
        """Nothing is cached: every `entries()` reads the file."""

    def begin(self, entries) -> None:
        with self.batch():
            for e in entries:
                self.record(e)

    def record(self, entry: LedgerEntry) -> None:
        if self._fh is None:
            with self.batch():
                self.record(entry)
            return
        row = [entry.key, entry.job, entry.recipient, entry.status, entry.attempts,
               entry.error.replace("\n", " ")[:500], entry.reference, entry.at]
        self._fh.write(csv_line(escape_row(row)))
        self._fh.flush()

    @contextmanager
    def batch(self) -> Iterator[None]:
        if self._fh is not None:
            yield
            return
        file_modes.make_dirs(self.path.parent)
        new = not self.path.exists() or self.path.stat().st_size == 0
        fh = self._fh = self.path.open("a", encoding="utf-8", newline="")
        try:
            if new:
                csv.writer(fh, lineterminator="\n").writerow(COLUMNS)
            yield
        finally:
            self._fh = None
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
