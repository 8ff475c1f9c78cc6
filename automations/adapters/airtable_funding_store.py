"""`AirtableFundingStore`: the funding and swag requests as an Airtable table staff keep ("Funding requests").

Read once per run with only its fields and checked by the same rules as the CSV file; the job
writes only First seen, Flags and Reminders sent, by record id, where they change.
"""

from __future__ import annotations

from typing import Mapping

from ..domain.funding import FundingRequest
from ..domain.model import Problem
from ..ports import FundingUpdate, Written
from .airtable_client import AirtableClient, same
from .airtable_roster_store import cell_text as _cell_text
from .airtable_schema import TableSpec
from .csv_funding_store import JOB_COLUMNS, STAFF_COLUMNS, job_cells, requests_from_rows


def cell_text(value: object) -> str:
    """A cell as text; an attachment (an invoice uploaded to the record) as its file name or link."""
    if isinstance(value, list) and value and all(isinstance(v, dict) and "url" in v for v in value):
        return "; ".join(str(v.get("filename") or v["url"]) for v in value)
    return _cell_text(value)


class AirtableFundingStore:
    def __init__(self, client: AirtableClient, spec: TableSpec):
        self.client = client
        self.spec = spec
        self.where = f"Airtable table {spec.name}"
        self.source = spec.name
        self._records: list[dict] | None = None
        self._ids: dict[str, str] = {}

    def read(self) -> tuple[list[FundingRequest], list[Problem]]:
        names = [f.name for f in self.spec.fields]
        if self._records is None:  # read once per run
            self._records = self.client.all_records(self.spec.name, names)
        rows = [[cell_text(r["fields"].get(n)) for n in names] for r in self._records]
        requests, problems = requests_from_rows([*STAFF_COLUMNS, *JOB_COLUMNS], rows, self.spec.name)
        self._ids = {r.key: self._records[r.row - 2]["id"] for r in requests}
        return requests, problems

    def record(self, updates: Mapping[str, FundingUpdate], dry_run: bool = False) -> Written:
        """Update the job's three fields where they differ, by record id (with `dry_run`: only count)."""
        if self._records is None:
            self.read()
        n = self.spec.name_of
        by_id = {r["id"]: r for r in self._records or []}
        changes = []
        for key, u in updates.items():
            record_id = self._ids.get(key)
            if record_id is None:
                continue
            cells = job_cells(u)
            wanted = {n("first_seen"): cells["First seen"] or None, n("flags"): cells["Flags"] or None,
                      n("reminders"): cells["Reminders sent"] or None}
            if not same(by_id[record_id]["fields"], wanted, wanted):
                changes.append((record_id, wanted))
        written = Written(updated=len(changes), where=self.where)
        if dry_run:
            return written
        self.client.update(self.spec.name, changes)
        for record_id, wanted in changes:
            by_id[record_id]["fields"].update(wanted)
        return written
