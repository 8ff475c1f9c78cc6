"""`AirtableReferralStore`: the referral inquiries as an Airtable table staff fill ("Referral inquiries").

Read once per run with only its fields and checked by the same rules as the CSV file; the job
writes only its own fields (Inquiry ID, Referral status, Current candidate, Offered at, Recommended
ambassador, Referral history), by record id, where they change.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...domain.model import Problem
from ...domain.referrals import JOB_COLUMNS, PEOPLE_COLUMNS, Inquiry, inquiries_from_rows, job_cells
from ...ports import Written
from .staff_table import StaffStore


class AirtableReferralStore(StaffStore):
    def read(self) -> tuple[list[Inquiry], list[Problem]]:
        # The same text table the CSV file gives, under the CSV's column titles.
        inquiries, problems = inquiries_from_rows([*PEOPLE_COLUMNS, *JOB_COLUMNS], self.table.rows(), self.spec.name)
        self._ids = {i.id: self.table.record_id(i.row) for i in inquiries}
        return inquiries, problems

    def record(self, inquiries: Sequence[Inquiry], dry_run: bool = False) -> Written:
        """Update the job's fields where they differ, by record id (with `dry_run`: only count)."""
        if not self._ids:
            self.read()
        names = [f.name for f in self.spec.fields][len(PEOPLE_COLUMNS):]
        return self.table.write({self._ids[i.id]: {name: (value or None) for name, value in zip(names, job_cells(i).values())}
                                 for i in inquiries if i.id in self._ids}, dry_run)
