"""`AirtableConductStore`: the conduct register as an Airtable table staff keep ("Conduct register").

Read only by the `conduct` commands (restrict who may see the table in Airtable, too); the only
write deletes the records past retention, by record id.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...domain.conduct import COLUMNS, Incident
from ...domain.rows.conduct import incidents_from_rows
from ...ports import Written
from .cells import cell_text
from .client import AirtableClient
from .schema import TableSpec


class AirtableConductStore:
    def __init__(self, client: AirtableClient, spec: TableSpec):
        self.client = client
        self.spec = spec
        self.where = f"Airtable table {spec.name}"
        self._records: list[dict] | None = None
        self._ids: dict[str, str] = {}

    def read(self) -> tuple[list[Incident], list[str]]:
        names = [f.name for f in self.spec.fields]
        if self._records is None:
            self._records = self.client.all_records(self.spec.name, names)
        rows = [[cell_text(r["fields"].get(n)) for n in names] for r in self._records]
        incidents, unreadable = incidents_from_rows(list(COLUMNS), rows)
        self._ids = {i.key: self._records[i.row - 2]["id"] for i in incidents}
        return incidents, unreadable

    def delete(self, keys: Sequence[str], dry_run: bool = False) -> Written:
        if self._records is None:
            self.read()
        ids = list(dict.fromkeys(self._ids[k] for k in keys if k in self._ids))
        if ids and not dry_run:
            self.client.delete(self.spec.name, ids)
            self._records = [r for r in self._records or [] if r["id"] not in set(ids)]
        return Written(deleted=len(ids), where=self.where)
