"""`AirtablePersonalTables`: the base's tables as tables to read and rewrite row by row.

Used by `export`, `erase` and `retention`. Every field of a record is read (staff's own extra fields
too: a Notes field may hold a person's data), as text under the field's name; a changed row is written
back by record id with only its changed fields, ten records to a request; a deleted row is deleted.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

from ..ports import Written
from .airtable_client import AirtableClient
from .airtable_roster_store import cell_text
from .airtable_schema import TableSpec


class AirtablePersonalTables:
    def __init__(self, client: AirtableClient, specs: Mapping[str, TableSpec]):
        self.client = client
        #: table name (as people see it, "Airtable table Ambassadors") -> its spec
        self.specs = {f"Airtable table {s.name}": s for s in specs.values()}
        self._records: dict[str, list[dict]] = {}

    def tables(self) -> list[str]:
        return list(self.specs)

    def _load(self, table: str) -> tuple[list[str], list[dict]]:
        spec = self.specs[table]
        if table not in self._records:
            self._records[table] = self.client.all_records(spec.name, ())
        records = self._records[table]
        names = [f.name for f in spec.fields]
        extra = sorted({n for r in records for n in r["fields"]} - set(names))
        return names + extra, records

    def read(self, table: str) -> tuple[list[str], Iterable[list[str]]]:
        headers, records = self._load(table)
        return headers, [[cell_text(r["fields"].get(h)) for h in headers] for r in records]

    def rewrite(self, table: str, change: Callable[[list[str], list[str]], list[str] | None],
                dry_run: bool = False) -> Written:
        headers, records = self._load(table)
        updates, deletes = [], []
        for r in records:
            seen = [cell_text(r["fields"].get(h)) for h in headers]
            new = change(list(headers), list(seen))
            if new is None:
                deletes.append(r["id"])
            elif new != seen:
                updates.append((r["id"], {h: (n or None) for h, s, n in zip(headers, seen, new) if n != s}))
        written = Written(updated=len(updates), deleted=len(deletes), where=table)
        if not dry_run and written.changed:
            name = self.specs[table].name
            self.client.update(name, updates)
            self.client.delete(name, deletes)
            self._records.pop(table, None)
        return written
