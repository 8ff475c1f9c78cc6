"""`AirtableLedger`: the ledger of side effects as a table staff can read and filter.

One record per key (upserted on `Key`): its job, recipient, status, attempts, last error,
Message-ID, the time of the last attempt and when it was sent. The outcome of each attempt
(`sent`, `failed`) is written before the next effect is applied, one request each, so a crash
can repeat at most the one effect in flight; the `sending` step is held and written only if
the batch ends without an outcome for it. Entries are read once per run and kept up to date
by what this run records; `refresh()` reads them again after another run held the send lock.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ..effects import SENDING, SENT
from ..ports import LedgerEntry
from .airtable_client import AirtableClient
from .airtable_schema import TableSpec


class AirtableLedger:
    def __init__(self, client: AirtableClient, spec: TableSpec):
        self.client = client
        self.spec = spec
        self.where = f"Airtable table {spec.name}"
        self._cache: dict[str, LedgerEntry] | None = None
        self._held: dict[str, LedgerEntry] = {}
        self._depth = 0

    def entries(self) -> dict[str, LedgerEntry]:
        if self._cache is None:
            n = self.spec.name_of
            out: dict[str, LedgerEntry] = {}
            for r in self.client.all_records(self.spec.name, [f.name for f in self.spec.fields]):
                f = r["fields"]
                key = f.get(n("key"))
                if key:
                    out[key] = LedgerEntry(key, f.get(n("job"), ""), f.get(n("recipient"), ""), f.get(n("status"), ""),
                                           int(f.get(n("attempts"), 0) or 0), f.get(n("error"), ""),
                                           f.get(n("reference"), ""), f.get(n("at"), ""))
            self._cache = out
        return dict(self._cache)

    def refresh(self) -> None:
        self._cache = None

    def _fields(self, e: LedgerEntry) -> dict:
        n = self.spec.name_of
        fields = {n("key"): e.key, n("job"): e.job, n("recipient"): e.recipient, n("status"): e.status,
                  n("attempts"): e.attempts, n("error"): e.error[:1000] or None, n("reference"): e.reference or None,
                  n("at"): e.at or None}
        if e.status == SENT:
            fields[n("sent_at")] = e.at
        return fields

    def record(self, entry: LedgerEntry) -> None:
        if self._cache is not None:
            self._cache[entry.key] = entry
        if entry.status == SENDING and self._depth:
            self._held[entry.key] = entry
            return
        self._held.pop(entry.key, None)
        self.client.upsert(self.spec.name, [self._fields(entry)], self.spec.key)

    @contextmanager
    def batch(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth and self._held:
                held, self._held = list(self._held.values()), {}
                self.client.upsert(self.spec.name, [self._fields(e) for e in held], self.spec.key)
