"""`StaffTable`: a table staff keep in the base, as the jobs that read it and own a few of its fields see it.

Read once per run (only the table's own fields) as rows of text under the CSV file's column titles,
so the same rules read both backends; written back only in the job's own fields, by record id, and
only where they differ. Blog proposals, funding requests and referral inquiries all work this way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ...ports import Written
from .cells import cell_text
from .client import AirtableClient, same
from .schema import TableSpec


class StaffTable:
    def __init__(self, client: AirtableClient, spec: TableSpec, cell: Callable[[object], str] = cell_text):
        self.client = client
        self.spec = spec
        self.cell = cell
        self.where = f"Airtable table {spec.name}"
        self._records: list[dict] | None = None

    def rows(self) -> list[list[str]]:
        """Every record as a row of text, in the table's field order (row 2 is the first record)."""
        names = [f.name for f in self.spec.fields]
        if self._records is None:
            self._records = self.client.all_records(self.spec.name, names)
        return [[self.cell(r["fields"].get(n)) for n in names] for r in self._records]

    def record_id(self, row: int) -> str:
        """The id of the record a row number (as `rows` numbered them) stands for."""
        assert self._records is not None
        return self._records[row - 2]["id"]

    def write(self, wanted: Mapping[str, dict], dry_run: bool = False) -> Written:
        """Set these fields (record id -> field name -> value, None empties) where they differ; with `dry_run`,
        only count."""
        if self._records is None:
            self.rows()
        by_id = {r["id"]: r for r in self._records or []}
        changes = [(rid, fields) for rid, fields in wanted.items() if not same(by_id[rid]["fields"], fields, fields)]
        written = Written(updated=len(changes), where=self.where)
        if dry_run:
            return written
        self.client.update(self.spec.name, changes)
        for rid, fields in changes:
            by_id[rid]["fields"].update(fields)
        return written


class StaffStore:
    """What a store over one of staff's tables holds: the table, its spec, where it is and what its problems
    name, and the record id of each row the job wrote (by its key)."""

    def __init__(self, client: AirtableClient, spec: TableSpec):
        self.table = StaffTable(client, spec)
        self.spec = spec
        self.where = self.table.where
        self.source = spec.name  # what its problems name
        self._ids: dict[str, str] = {}
