"""`AirtableBlogStore`: the blog proposals as an Airtable table people fill ("Blog reviews").

Read once per run with only its fields and checked by the same rules as the CSV file; the job
writes only Document and Stage history, by record id, where they change.
"""

from __future__ import annotations

from typing import Mapping

from ..domain.blog import Proposal, format_history
from ..domain.model import Problem
from ..ports import BlogUpdate, Written
from .airtable_client import AirtableClient, same
from .airtable_roster_store import cell_text
from .airtable_schema import TableSpec
from .csv_blog_store import PEOPLE_COLUMNS, proposals_from_rows


class AirtableBlogStore:
    def __init__(self, client: AirtableClient, spec: TableSpec):
        self.client = client
        self.spec = spec
        self.where = f"Airtable table {spec.name}"
        self.source = spec.name  # what its problems name
        self._records: list[dict] | None = None
        self._ids: dict[str, str] = {}

    def read(self) -> tuple[list[Proposal], list[Problem]]:
        names = [f.name for f in self.spec.fields]
        if self._records is None:  # read once per run
            self._records = self.client.all_records(self.spec.name, names)
        # The same text table the CSV file gives, under the CSV's column titles.
        titles = [*PEOPLE_COLUMNS, "Document", "Stage history"]
        rows = [[cell_text(r["fields"].get(n)) for n in names] for r in self._records]
        proposals, problems = proposals_from_rows(titles, rows, self.spec.name)
        self._ids = {p.key: self._records[p.row - 2]["id"] for p in proposals}
        return proposals, problems

    def record(self, updates: Mapping[str, BlogUpdate], dry_run: bool = False) -> Written:
        """Update Document and Stage history where they differ, by record id (with `dry_run`: only count)."""
        if self._records is None:
            self.read()
        n = self.spec.name_of
        by_id = {r["id"]: r for r in self._records or []}
        changes = []
        for key, u in updates.items():
            record_id = self._ids.get(key)
            if record_id is None:
                continue
            wanted = {n("document"): u.document or None, n("history"): format_history(u.history) or None}
            if not same(by_id[record_id]["fields"], wanted, wanted):
                changes.append((record_id, wanted))
        written = Written(updated=len(changes), where=self.where)
        if dry_run:
            return written
        self.client.update(self.spec.name, changes)
        for record_id, wanted in changes:
            by_id[record_id]["fields"].update(wanted)
        return written

