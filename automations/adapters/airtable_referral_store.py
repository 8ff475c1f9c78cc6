"""`AirtableReferralStore`: the referral inquiries as an Airtable table staff fill ("Referral inquiries").

Read once per run with only its fields and checked by the same rules as the CSV file; the job
writes only its own fields (Inquiry ID, Referral status, Current candidate, Offered at, Recommended
ambassador, Referral history), by record id, where they change.
"""

from __future__ import annotations

from typing import Sequence

from ..domain.model import Problem
from ..domain.referrals import JOB_COLUMNS, PEOPLE_COLUMNS, Inquiry, inquiries_from_rows, job_cells
from ..ports import Written
from .airtable_client import AirtableClient, same
from .airtable_roster_store import cell_text
from .airtable_schema import TableSpec


class AirtableReferralStore:
    def __init__(self, client: AirtableClient, spec: TableSpec):
        self.client = client
        self.spec = spec
        self.where = f"Airtable table {spec.name}"
        self.source = spec.name  # what its problems name
        self._records: list[dict] | None = None
        self._ids: dict[str, str] = {}

    def read(self) -> tuple[list[Inquiry], list[Problem]]:
        names = [f.name for f in self.spec.fields]
        if self._records is None:  # read once per run
            self._records = self.client.all_records(self.spec.name, names)
        # The same text table the CSV file gives, under the CSV's column titles.
        rows = [[cell_text(r["fields"].get(n)) for n in names] for r in self._records]
        inquiries, problems = inquiries_from_rows([*PEOPLE_COLUMNS, *JOB_COLUMNS], rows, self.spec.name)
        self._ids = {i.id: self._records[i.row - 2]["id"] for i in inquiries}
        return inquiries, problems

    def record(self, inquiries: Sequence[Inquiry], dry_run: bool = False) -> Written:
        """Update the job's fields where they differ, by record id (with `dry_run`: only count)."""
        if self._records is None:
            self.read()
        by_id = {r["id"]: r for r in self._records or []}
        names = [f.name for f in self.spec.fields][len(PEOPLE_COLUMNS):]
        changes = []
        for i in inquiries:
            record_id = self._ids.get(i.id)
            if record_id is None:
                continue
            wanted = {name: (value or None) for name, value in zip(names, job_cells(i).values())}
            if not same(by_id[record_id]["fields"], wanted, wanted):
                changes.append((record_id, wanted))
        written = Written(updated=len(changes), where=self.where)
        if dry_run:
            return written
        self.client.update(self.spec.name, changes)
        for record_id, wanted in changes:
            by_id[record_id]["fields"].update(wanted)
        return written
