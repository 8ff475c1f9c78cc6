"""`AirtableLedger`: the ledger of side effects as a table staff can read and filter.

One record per key (upserted on `Key`): its job, recipient, status, attempts, last error,
Message-ID, the time of the last attempt and when it was sent. A batch's `sending` steps are
written ten to a request before anything is applied (a table that refuses them stops the batch
before a message goes); each outcome (`sent`, `failed`) is written right after its effect, one
request each, so a crash can repeat at most the one effect in flight. Entries are read once per
run and kept up to date by what this run records; `refresh()` reads them again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ...effects import SENT
from ...ports import LedgerEntry
from .client import AirtableClient
from .schema import TableSpec


class AirtableLedger:
    def __init__(self, client: AirtableClient, spec: TableSpec):
        self.client = client
        self.spec = spec
        self.where = f"Airtable table {spec.name}"
        self._cache: dict[str, LedgerEntry] | None = None
        client.mirror(spec.name)  # read on every run: only its changes are asked for

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
        self.client.reread(self.spec.name)  # another process may have written to it

    def _fields(self, e: LedgerEntry) -> dict:
        n = self.spec.name_of
        return {n("key"): e.key, n("job"): e.job, n("recipient"): e.recipient, n("status"): e.status,
                n("attempts"): e.attempts, n("error"): e.error[:1000] or None, n("reference"): e.reference or None,
                n("at"): e.at or None, n("sent_at"): e.at if e.status == SENT else None}

    def _write(self, entries: Sequence[LedgerEntry]) -> None:
        self.client.upsert(self.spec.name, [self._fields(e) for e in entries], self.spec.key)
        if self._cache is not None:
            self._cache.update({e.key: e for e in entries})

    def begin(self, entries: Sequence[LedgerEntry]) -> None:
        self._write(entries)

    def record(self, entry: LedgerEntry) -> None:
        self._write([entry])

    @contextmanager
    def batch(self) -> Iterator[None]:
        yield  # every step is written as it is recorded
