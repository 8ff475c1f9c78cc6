"""`AirtableBlogStore`: the blog proposals as an Airtable table people fill ("Blog reviews").

Read once per run with only its fields and checked by the same rules as the CSV file; the job
writes only Document and Stage history, by record id, where they change.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...domain.blog import Proposal, format_history
from ...domain.model import Problem
from ...domain.rows.blog import PEOPLE_COLUMNS, proposals_from_rows
from ...ports import BlogUpdate, Written
from .staff_table import StaffStore


class AirtableBlogStore(StaffStore):
    def read(self) -> tuple[list[Proposal], list[Problem]]:
        # The same text table the CSV file gives, under the CSV's column titles.
        titles = [*PEOPLE_COLUMNS, "Document", "Stage history"]
        proposals, problems = proposals_from_rows(titles, self.table.rows(), self.spec.name)
        self._ids = {p.key: self.table.record_id(p.row) for p in proposals}
        return proposals, problems

    def record(self, updates: Mapping[str, BlogUpdate], dry_run: bool = False) -> Written:
        """Update Document and Stage history where they differ, by record id (with `dry_run`: only count)."""
        if not self._ids:
            self.read()
        n = self.spec.name_of
        return self.table.write({self._ids[key]: {n("document"): u.document or None,
                                                  n("history"): format_history(u.history) or None}
                                 for key, u in updates.items() if key in self._ids}, dry_run)
