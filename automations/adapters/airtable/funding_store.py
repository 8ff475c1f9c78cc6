"""`AirtableFundingStore`: the funding and swag requests as an Airtable table staff keep ("Funding requests").

Read once per run with only its fields and checked by the same rules as the CSV file; the job
writes only First seen, Flags and Reminders sent, by record id, where they change.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ...domain.funding import FundingRequest
from ...domain.model import Problem
from ...domain.rows.funding import JOB_COLUMNS, STAFF_COLUMNS, job_cells, requests_from_rows
from ...ports import FundingUpdate, Written
from .cells import cell_text as _cell_text
from .client import AirtableClient
from .schema import TableSpec
from .staff_table import StaffTable


def cell_text(value: object) -> str:
    """A cell as text; an attachment (an invoice uploaded to the record) as its file name or link."""
    if isinstance(value, list) and value and all(isinstance(v, dict) and "url" in v for v in value):
        return "; ".join(str(v.get("filename") or v["url"]) for v in value)
    return _cell_text(value)


class AirtableFundingStore:
    def __init__(self, client: AirtableClient, spec: TableSpec):
        self.table = StaffTable(client, spec, cell_text)
        self.spec = spec
        self.where = self.table.where
        self.source = spec.name
        self._ids: dict[str, str] = {}

    def read(self, roster: Collection[str] | None = None) -> tuple[list[FundingRequest], list[Problem]]:
        requests, problems = requests_from_rows([*STAFF_COLUMNS, *JOB_COLUMNS], self.table.rows(), self.spec.name,
                                                roster)
        self._ids = {r.key: self.table.record_id(r.row) for r in requests}
        return requests, problems

    def record(self, updates: Mapping[str, FundingUpdate], dry_run: bool = False) -> Written:
        """Update the job's three fields where they differ, by record id (with `dry_run`: only count)."""
        if not self._ids:
            self.read()
        n = self.spec.name_of
        wanted = {}
        for key, u in updates.items():
            if key in self._ids:
                cells = job_cells(u)
                wanted[self._ids[key]] = {n("first_seen"): cells["First seen"] or None, n("flags"): cells["Flags"] or None,
                                          n("reminders"): cells["Reminders sent"] or None}
        return self.table.write(wanted, dry_run)
