"""`ErasedResponses`: a check-in source whose rows from erased people arrive already erased.

The software cannot change a live form's responses (Google Sheets, the Forms API): after `erase EMAIL`
the person's rows are still there until staff delete them in the form. Wrapped around such a source,
each row whose address belongs to someone erased (the ledger's `erase` steps hold their keyed hashes,
never the address) is erased the same way `erase` erased the local copy, before any job sees it: the
activities keep counting for the pseudonym and the address never reaches a table, a problem or a log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from ..domain.privacy import ERASE_JOB, Erasure, Pseudonyms, TableRule
from ..ports import CheckinSource, NewRows

__all__ = ["ERASE_JOB", "ErasedResponses"]


class ErasedResponses:
    def __init__(self, source: CheckinSource, rule: TableRule, names: Pseudonyms,
                 erased: Callable[[], set[str]]):
        self.source = source
        self.rule = rule
        self.names = names
        self._erased = erased

    @property
    def where(self) -> str:  # the source's own, which may name its tab only once it has read it
        return self.source.where

    def __getattr__(self, name):  # everything else (doctor's checks, usage) is the source's own
        return getattr(self.source, name)

    def _clean(self, headers: list[str], rows: Iterable[list[str]]) -> Iterator[list[str]]:
        erased = self._erased()
        if not erased:
            yield from rows
            return
        column = next((i for i, h in enumerate(headers) if h in self.rule.match), None)
        for row in rows:
            address = row[column].strip().lower() if column is not None and column < len(row) else ""
            if address and self.names.address(address) in erased:
                kept = Erasure(address, None, self.names, {}).row(self.rule, headers, row)
                if kept is None:  # a rule that deletes the person's rows: this one is not read
                    continue
                row = kept
            yield row

    def read(self) -> tuple[list[str], Iterator[list[str]]]:
        headers, rows = self.source.read()
        return headers, self._clean(headers, rows)

    def read_new(self, cursor: tuple | None) -> NewRows:
        new = self.source.read_new(cursor)
        return replace(new, rows=self._clean(new.headers, new.rows))
