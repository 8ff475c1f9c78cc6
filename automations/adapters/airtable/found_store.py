"""`AirtableFoundStore`: the found activities as a table of the program's own in the base ("Found activities",
made by `init`).

Read once per run (only its changes, through the client's mirror) and added to by upserts on `Key`, ten to
a request: a run repeated after a lost answer finds the records that landed and adds nothing twice. A record
without the program's key (a person added it) is not a found activity and is left alone. A base made before
`discover` existed has no such table: nothing is found there, and adding stops the run asking for `init`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ...domain.discovery import FoundActivity, not_stored
from ...domain.ownership import program_key
from ...errors import StopRun
from ...ports import Written
from ..csv.found_store import found_of
from .cells import cell_text
from .client import AirtableClient
from .schema import TableSpec


class AirtableFoundStore:
    def __init__(self, client: AirtableClient, spec: TableSpec):
        self.client = client
        self.spec = spec
        self.where = f"Airtable table {spec.name}"
        self._cache: dict[str, FoundActivity] | None = None
        self.missing = False  # the base has no such table yet
        self._ids: dict[str, str] = {}  # record id by key, of the records read
        client.mirror(spec.name)

    def read(self) -> list[FoundActivity]:
        if self._cache is None and self.spec.name not in self.client.schema():
            self._cache = {}  # a base from before `discover` (run `init`): nothing found yet; `add` says so
            self.missing = True
        if self._cache is None:
            fields = self.spec.fields
            titles = {f.role: f.name for f in fields}
            by_csv = {"Email": titles["email"], "Source": titles["source"], "Item ID": titles["item_id"],
                      "Kind": titles["kind"], "Title": titles["title"], "Date": titles["date"],
                      "Link": titles["link"], "First seen": titles["first_seen"]}
            out: dict[str, FoundActivity] = {}
            for r in self.client.all_records(self.spec.name, [f.name for f in fields]):
                cells = r["fields"]
                if not program_key("found_activities", cells.get(titles["key"])):
                    continue
                f = found_of({csv_title: cell_text(cells.get(title)) for csv_title, title in by_csv.items()})
                if f is not None:
                    out[f.key] = f
                    self._ids[f.key] = r["id"]
            self._cache = out
        return list(self._cache.values())

    def forget_before(self, day: date, dry_run: bool = False) -> Written:
        old = [f.key for f in self.read() if f.date < day]
        written = Written(deleted=len(old), where=self.where)
        if old and not dry_run:
            self.client.delete(self.spec.name, [self._ids[k] for k in old if k in self._ids])
            assert self._cache is not None
            for k in old:
                self._cache.pop(k, None)
        return written

    def add(self, found: Sequence[FoundActivity], dry_run: bool = False) -> Written:
        new = not_stored(found, self.read())
        written = Written(created=len(new), where=self.where)
        if new and self.missing:
            raise StopRun(f"The base has no table '{self.spec.name}' for the activities discover found: run `init` "
                          f"to make it (docs/airtable.md); nothing was stored.")
        if dry_run or not new:
            return written
        n = self.spec.name_of
        self.client.upsert(self.spec.name, [
            {n("key"): f.key, n("email"): f.email, n("source"): f.source, n("item_id"): f.item_id, n("kind"): f.kind,
             n("title"): f.title, n("date"): f.date.isoformat(), n("link"): f.link or None,
             n("first_seen"): f.first_seen.isoformat()} for f in new], self.spec.key)
        assert self._cache is not None
        self._cache.update((f.key, f) for f in new)
        return written
