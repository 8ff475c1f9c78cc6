"""`AirtablePersonalTables`: the base's tables as tables to read and rewrite row by row.

Used by `export`, `erase` and `retention`. Every field of a record is read (staff's own extra fields
too: a Notes field may hold a person's data), as text under the field's name, as the roster store reads
it: a linked record as the linked record's primary field (never `recXXXX`), a collaborator as its email
in an email field and its name elsewhere. A changed row is written back by record id with only its
changed fields, ten records to a request; a deleted row is deleted. Every write is checked against the
base's schema first (`AirtableClient.check_writable`), in a dry run too, so a caller that tries every
table dry first stops before its first write.

Only text fields can take what erasing writes (a keyed hash, a token): `fixed` names every other field
of a table (a lookup, a formula, a rollup, a linked record, a collaborator, an attachment, a number, a
select...) with where its value really lives, for staff to erase a person's data there by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ...ports import Written
from .cells import Reading, linked_tables, read_cell
from .client import AirtableClient
from .schema import COMPUTED, LINK, PEOPLE, TEXT, TableSpec

#: The field types that take any text: what erasing writes (an address's keyed hash, a token, an inert link).
TAKES_TEXT = (*TEXT, "email", "url", "phoneNumber")
#: Computed fields that hold nothing of the person a record is about (times, numbers, and the accounts of whoever
#: made or last changed the record): left as they are without a word.
IMPERSONAL = ("createdTime", "lastModifiedTime", "autoNumber", "count", "button", "createdBy", "lastModifiedBy")


class AirtablePersonalTables:
    def __init__(self, client: AirtableClient, specs: Mapping[str, TableSpec]):
        self.client = client
        #: table name (as people see it, "Airtable table Ambassadors") -> its spec
        self.specs = {f"Airtable table {s.name}": s for s in specs.values()}
        self._records: dict[str, list[dict]] = {}
        self._texts: dict[str, list[list[str]]] = {}

    def tables(self) -> list[str]:
        return list(self.specs)

    def _load(self, table: str) -> tuple[list[str], list[dict], list[list[str]]]:
        """The table's titles (its spec's, then staff's own), its records, and each record's cells as text."""
        spec = self.specs[table]
        if table not in self._records:
            self._records[table] = self.client.all_records(spec.name, ())
            self._texts.pop(table, None)
        records = self._records[table]
        names = [f.name for f in spec.fields]
        headers = names + sorted({n for r in records for n in r["fields"]} - set(names))
        if table not in self._texts:
            emails = {f.name for f in spec.fields if f.role == "email"}
            links = linked_tables(self.client, spec.name, headers, records)
            # As text, whatever the roster would say of it (a formula's error, two countries): erase and export
            # look for a person's data in what the cell shows.
            self._texts[table] = [[_shown(read_cell(r["fields"].get(h), "email" if h in emails else "",
                                                    linked=links.get(h))) for h in headers] for r in records]
        return headers, records, self._texts[table]

    def read(self, table: str) -> tuple[list[str], Iterable[list[str]]]:
        headers, _, texts = self._load(table)
        return headers, [list(t) for t in texts]

    def fixed(self, table: str) -> dict[str, str]:
        """The fields of the table that are not text, each with where its value lives (the base's schema: the
        run's one metadata request)."""
        have = self.client.schema().get(self.specs[table].name)
        if have is None:
            return {}
        return {name: elsewhere(field, have, self.client.table_named) for name, field in have["by_name"].items()
                if field.get("type") not in TAKES_TEXT}

    def rewrite(self, table: str, change: Callable[[list[str], list[str]], list[str] | None],
                dry_run: bool = False) -> Written:
        headers, records, texts = self._load(table)
        updates, deletes = [], []
        for r, seen in zip(records, texts):
            new = change(list(headers), list(seen))
            if new is None:
                deletes.append(r["id"])
            elif new != seen:
                updates.append((r["id"], {h: (n or None) for h, s, n in zip(headers, seen, new) if n != s}))
        written = Written(updated=len(updates), deleted=len(deletes), where=table)
        name = self.specs[table].name
        if updates:
            self.client.check_writable(name, (f for _, f in updates))
        if not dry_run and written.changed:
            self.client.update(name, updates)
            self.client.delete(name, deletes)
            self._records.pop(table, None)
        return written


def elsewhere(field: dict, table: dict, table_named: Callable[[str], dict | None]) -> str:
    """Where the value of a field that is not text lives, for a person to erase it there ("" for a field that
    holds nothing of a person)."""
    kind = field.get("type", "")
    options = field.get("options") or {}

    def name_in(fields: list[dict], field_id: str) -> str:
        return next((f["name"] for f in fields if f.get("id") == field_id), "?")

    if kind == LINK:
        target = table_named(options.get("linkedTableId", "")) or {}
        return f"a linked record: the person's data is in the linked record of the table '{target.get('name', '?')}'"
    if kind in ("multipleLookupValues", "rollup") and options.get("recordLinkFieldId"):
        link: dict[str, Any] = next((f for f in table.get("fields", []) if f.get("id") == options["recordLinkFieldId"]),
                                    {})
        target = table_named((link.get("options") or {}).get("linkedTableId", "")) or {}
        what = "a lookup" if kind == "multipleLookupValues" else "a rollup"
        return (f"{what} of '{name_in(target.get('fields', []), options.get('fieldIdInLinkedTable', ''))}' in the "
                f"table '{target.get('name', '?')}' through '{link.get('name', '?')}': the person's data is there")
    if kind == "formula":
        refs = ", ".join(f"'{name_in(table.get('fields', []), i)}'" for i in options.get("referencedFieldIds") or [])
        return (f"a formula of {refs}: it gives what those fields hold" if refs else
                "a formula: it gives what the fields it names hold")
    if kind in IMPERSONAL:
        return ""
    if kind in PEOPLE:
        return "a collaborator: the person's Airtable account; take them out of the field in Airtable"
    if kind == "multipleAttachments":
        return "attachments: files Airtable keeps; delete them in Airtable"
    if kind in COMPUTED:
        return f"a {kind} field, which Airtable computes"
    return f"a {kind} field, which takes no token: clear it in Airtable"


def _shown(reading: Reading) -> str:
    """A cell as text for export and erase: what the roster reads, or, where the roster finds it unusable (two
    addresses, a formula's error), what a person sees in it."""
    return reading.flaw.value if reading.flaw is not None else reading.text
