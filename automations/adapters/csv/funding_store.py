"""`CsvFundingStore`: the funding and swag requests as a CSV file staff keep (`funding_requests.csv`).

Staff write Ambassador email, What, Kind, Amount, Currency, Event date, Region, Status, Approved
amount, Invoice, Invoice received, Evidence and Requested on; the `funding` job adds and writes only
First seen, Flags and Reminders sent, on rows whose values change (`csv_tables.update_rows`: a save
staff make meanwhile is kept). Those three are written safe for spreadsheets and read back as they
were; staff's cells are read as they are.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from ...domain.funding import FundingRequest, row_key
from ...domain.model import Problem
from ...domain.rows.funding import JOB_COLUMNS, STAFF_COLUMNS, job_cells, requests_from_rows
from ...domain.values import norm_header
from ...ports import FundingUpdate, Written
from ..files.atomic import atomic_write
from .safe_cells import unescape
from .tables import read_csv, update_rows


class CsvFundingStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.where = str(self.path)
        self.source = self.path.name  # what its problems name

    def exists(self) -> bool:
        return self.path.exists()

    def create(self, dry_run: bool = False) -> bool:
        """`init`: the file with its header row, for staff to fill (False: it is there already)."""
        if self.path.exists():
            return False
        if not dry_run:
            atomic_write(self.path, ",".join([*STAFF_COLUMNS, *JOB_COLUMNS]) + "\n")
        return True

    def read(self, roster: Collection[str] | None = None) -> tuple[list[FundingRequest], list[Problem]]:
        if not self.path.exists():
            return [], []
        headers, rows = read_csv(self.path, "funding requests")
        own = {norm_header(t) for t in JOB_COLUMNS}
        for i in [i for i, h in enumerate(headers) if norm_header(h) in own]:
            for row in rows:
                if i < len(row):
                    row[i] = unescape(row[i])
        return requests_from_rows(headers, rows, self.path.name, roster)

    def record(self, updates: Mapping[str, FundingUpdate], dry_run: bool = False) -> Written:
        if not updates:
            return Written(unit="row", where=self.where)
        cells = {k: job_cells(u) for k, u in updates.items()}

        def key(row: list[str], col: dict[str, int]) -> str:
            def get(title: str) -> str:
                i = col.get(norm_header(title))
                return row[i] if i is not None and i < len(row) else ""
            return row_key(get)

        return Written(updated=update_rows(self.path, key, cells, list(JOB_COLUMNS), dry_run=dry_run), unit="row",
                       where=self.where)
