"""`CsvConductStore`: the conduct register as a CSV file staff keep (`conduct_register.csv`).

Staff write Email, Date, Step, Description and Recorded by. Only the `conduct` commands read it;
the only write is retention: rows past `conduct.retention_days` are deleted, every other row kept
as staff wrote it (the file re-read just before it is replaced, so a save made meanwhile is not lost).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from ...domain.conduct import COLUMNS, Incident
from ...domain.rows.conduct import incidents_from_rows
from ...errors import InputError
from ...ports import Written
from ..files.atomic import atomic_write
from .dialect import check_size, how_to_save, sniff_bytes
from .tables import csv_rows, read_csv


class CsvConductStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.where = str(self.path)

    def create(self, dry_run: bool = False) -> bool:
        """`init`: the file with its header row (False: it is there already)."""
        if self.path.exists():
            return False
        if not dry_run:
            atomic_write(self.path, ",".join(COLUMNS) + "\n", private=True)
        return True

    def read(self) -> tuple[list[Incident], list[str]]:
        if not self.path.exists():
            return [], []
        headers, rows = read_csv(self.path, "conduct register")
        return incidents_from_rows(headers, rows)

    def delete(self, keys: Sequence[str], dry_run: bool = False) -> Written:
        gone = set(keys)
        if not gone or not self.path.exists():
            return Written(unit="row", where=self.where)
        for _ in range(5):
            check_size(self.path.stat().st_size, self.path, "conduct register")
            raw = self.path.read_bytes()
            dialect = sniff_bytes(raw[:1 << 16], self.path, "conduct register")
            try:
                text = dialect.decode(raw)
            except UnicodeDecodeError:
                raise how_to_save(self.path, "conduct register") from None
            text = text[len(dialect.sep_line):]  # Excel's "sep=;" line, put back as it was
            newline = "\r\n" if "\r\n" in text else "\n"
            rows = list(csv_rows(csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter), self.path,
                                 "conduct register"))
            incidents, _ = incidents_from_rows(rows[0], rows[1:])
            drop = {i.row for i in incidents if i.key in gone}
            if dry_run or not drop:
                return Written(deleted=len(drop), unit="row", where=self.where)
            out = io.StringIO()
            writer = csv.writer(out, lineterminator=newline, delimiter=dialect.delimiter)
            writer.writerows(r for n, r in enumerate(rows, start=1) if n not in drop)
            data = dialect.encode(dialect.sep_line + out.getvalue())
            if self.path.read_bytes() != raw:  # staff saved meanwhile: start again from their version
                continue
            atomic_write(self.path, data, private=True)  # 0600 always: conduct entries
            return Written(deleted=len(drop), unit="row", where=self.where)
        raise InputError(f"{self.path} kept changing while old entries were being deleted: nothing was deleted; "
                         f"run again.")
