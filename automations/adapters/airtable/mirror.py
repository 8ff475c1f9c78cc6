"""`Mirrors`: the tables a run reads often, kept on the machine and read from Airtable only for what changed.

Airtable has no cheap way to ask "what changed": a table is read in pages of 100 records, five pages a
second. A program of 1,000 ambassadors re-read its Activities and Check-ins every day, some 160
requests, to learn that nothing had changed. So the tables whose records the program reads on every run
(its own Activities, Check-ins, Data problems and Mail ledger, and the Ambassadors table staff keep) are
mirrored in the work cache, and a run asks Airtable only for the records created or modified since the
last read:

    OR(IS_AFTER(LAST_MODIFIED_TIME(), DATETIME_PARSE('<cursor>')),
       IS_AFTER(CREATED_TIME(), DATETIME_PARSE('<cursor>')))

(Airtable's API cannot add a "Last modified time" field to a table, but its formulas can compute it for
a filter.) What comes back replaces the mirror's copy of the record, and a new record is added; a quiet
day costs one request per table.

The cursor is Airtable's own clock, never this machine's: the `Date` of the first page's answer when the
table was read, less a margin of `MARGIN` seconds (the header counts whole seconds, and a page is listed
before it is answered); or, when the run wrote to the table, the end of the second of its last write's
answer. The program's writes update the mirror from Airtable's answers, so the mirror holds what
Airtable holds and nothing the run wrote is read again.

What a filter cannot see, and how it is still seen:

- a record deleted in Airtable's interface: every `full_read_days` (the `airtable.full_read_days`
  setting, 7 by default, counted in run days) the table is read whole and the mirror replaced;
- a change a person makes to a table while this run is writing to that same table (from its read to
  the second after its last write there; seconds): it is read at that full read at the latest (a quiet
  day's run, which writes nothing, has no such window);
- a computed field (a lookup, formula, rollup) whose value changes with another table: a table whose
  read fields include one is never mirrored, only read whole (decided from the schema at the full read).

Nothing is trusted that a crash could have left wrong: before the run writes to a table, its mirror is
marked unsettled, and only Airtable's answer settles it again; a run killed or refused in between leaves
the mark, and the next run reads that table whole. A mirror whose fields, base, or record count do not
match what was kept is read whole too. `erase` clears the work cache, mirrors included.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

from ...domain.codec import pack, unpack
from ...ports import WorkCache

VERSION = 1
MARGIN = timedelta(seconds=2)  # the Date header counts whole seconds; a page is listed before it is answered


def _iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def server_time(header: str | None) -> datetime | None:
    """An HTTP `Date` header as a moment (None: none, or not a date)."""
    if not header:
        return None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def changed_since(cursor: str) -> str:
    """The filter that lists the records created or modified after `cursor` (ISO, UTC)."""
    at = f"DATETIME_PARSE('{cursor}')"
    return f"OR(IS_AFTER(LAST_MODIFIED_TIME(), {at}), IS_AFTER(CREATED_TIME(), {at}))"


@dataclass
class _Table:
    """One mirrored table in this run: its records by id (each with its place in the table's order)."""

    table_id: str  # the table's id: a table deleted and made again under its name is another table
    fields: tuple[str, ...]
    records: dict[str, tuple[int, dict]]
    cursor: str  # what the next read asks for: changes after this moment
    full_at: str  # the run day of the last whole read
    plain: bool  # no computed field among those read
    read: bool = False  # read from Airtable in this run
    changed: dict[str, tuple[int, dict] | None] = field(default_factory=dict)  # to keep: by id (None: gone)
    reread: bool = False  # asked to read the changes again (another process may have written)
    wrote_until: datetime | None = None  # the answer's Date of this run's last write to it

    def listing(self) -> list[dict]:
        return [{"id": i, "fields": dict(f)} for i, (_, f) in sorted(self.records.items(), key=lambda kv: kv[1][0])]

    def put(self, record: dict) -> None:
        known = self.records.get(record["id"])
        place = known[0] if known else (max((p for p, _ in self.records.values()), default=-1) + 1)
        fields = {k: v for k, v in record.get("fields", {}).items() if k in self.fields}
        if known is None or known[1] != fields:
            self.records[record["id"]] = self.changed[record["id"]] = (place, fields)

    def drop(self, record_id: str) -> None:
        if self.records.pop(record_id, None) is not None:
            self.changed[record_id] = None


class Mirrors:
    """The mirrored tables of one base, kept in the work cache. `full_read_days` 0: every read is whole."""

    def __init__(self, cache: WorkCache, base_id: str, as_of: date | None, full_read_days: int):
        """`as_of` None: a writer of whole tables (`migrate`), which reads nothing through the mirrors and only makes
        the next run read the tables it changes whole (`forget`)."""
        self.cache = cache
        self.base_id = base_id
        self.as_of = as_of
        self.full_read_days = full_read_days
        self.kept: set[str] = set()  # the tables the stores asked to mirror
        self.tables: dict[str, _Table] = {}

    def keep(self, name: str) -> None:
        if self.full_read_days > 0 and self.as_of is not None:
            self.kept.add(name)

    def _key(self, name: str) -> str:
        return f"airtable:{self.base_id}:{name}"

    # -- what the run knows -------------------------------------------------------------------------------
    def current(self, name: str, table_id: str, fields: Sequence[str]) -> list[dict] | None:
        """The table as this run last read and wrote it, when nothing needs asking (None: ask Airtable)."""
        t = self.tables.get(name)
        if t is None or not t.read or t.reread or t.fields != tuple(fields) or t.table_id != table_id:
            return None
        return t.listing()

    def cursor(self, name: str, table_id: str, fields: Sequence[str]) -> str | None:
        """The moment to read changes after (None: read the table whole)."""
        t = self.tables.get(name)
        if t is not None and t.read and t.fields == tuple(fields) and t.table_id == table_id:
            return t.cursor if t.plain else None  # read again in this run: only the changes
        kept = unpack(self.cache.get(self._key(name)), {})
        if not isinstance(kept, dict) or kept.get("v") != VERSION or tuple(kept.get("fields", ())) != tuple(fields):
            return None
        if kept.get("table") != table_id:
            return None
        if kept.get("unsettled") or not kept.get("plain") or not kept.get("cursor"):
            return None
        try:
            full_at = date.fromisoformat(kept["full_at"])
        except (KeyError, TypeError, ValueError):
            return None
        if self.as_of is None or not full_at <= self.as_of < full_at + timedelta(days=self.full_read_days):
            return None
        rows = self.cache.rows(self._key(name))
        records = {}
        for record_id, value in rows.items():
            place, fields_of = unpack(value, (None, None))
            if not isinstance(place, int) or not isinstance(fields_of, dict):
                return None
            records[record_id] = (place, fields_of)
        if len(records) != kept.get("count"):
            return None  # the cache lost entries (erase cleared it meanwhile): read it whole
        self.tables[name] = _Table(table_id, tuple(fields), records, kept["cursor"], kept["full_at"], True)
        return kept["cursor"]

    # -- what Airtable answered -----------------------------------------------------------------------------
    def read_whole(self, name: str, table_id: str, fields: Sequence[str], records: Iterable[dict],
                   at: datetime | None, plain: bool) -> list[dict]:
        t = _Table(table_id, tuple(fields), {}, "", (self.as_of or date.min).isoformat(), plain, read=True)
        for r in records:
            t.put(r)
        t.changed = dict(t.records)
        self.tables[name] = t
        self._settle(name, t, at, replace=True)
        return t.listing()

    def read_changes(self, name: str, records: Iterable[dict], at: datetime | None) -> list[dict]:
        t = self.tables[name]
        for r in records:
            t.put(r)
        t.read, t.reread = True, False
        self._settle(name, t, at)
        return t.listing()

    def reread(self, name: str) -> None:
        """The next read of this table in this run asks Airtable for what changed (another process may have
        written to it)."""
        t = self.tables.get(name)
        if t is not None:
            t.reread = True

    def writing(self, name: str) -> None:
        """Before a write: the kept mirror is unsettled until Airtable's answer is applied."""
        t = self.tables.get(name)
        if t is None or not t.read:
            return
        state = unpack(self.cache.get(self._key(name)), {})
        if isinstance(state, dict) and state and not state.get("unsettled"):
            self.cache.write({self._key(name): pack(dict(state, unsettled=True))}, {})

    def wrote(self, name: str, records: Iterable[dict] = (), deleted: Iterable[str] = (),
              at: datetime | None = None) -> None:
        """Airtable answered a write: its records (as stored) and the ids it deleted."""
        t = self.tables.get(name)
        if t is None or not t.read:
            return
        for r in records:
            t.put(r)
        for record_id in deleted:
            t.drop(record_id)
        if at is not None:
            t.wrote_until = at if t.wrote_until is None else max(t.wrote_until, at)

    def forget(self, name: str) -> None:
        """Another writer (`migrate`) is about to change the table as a whole: the next run reads it whole."""
        self.tables.pop(name, None)
        self.cache.write({self._key(name): None}, {self._key(name): {}}, replace=(self._key(name),))

    def distrust(self, name: str) -> None:
        """A deletion no filter saw came to light: the next run reads this table whole."""
        t = self.tables.get(name)
        if t is not None:
            t.plain = False

    def settle(self, name: str) -> None:
        """After the run's writes to a table: keep the mirror, with the cursor at the end of the second of the last
        write's answer (the mirror holds what this run wrote: nothing of it is read again)."""
        t = self.tables.get(name)
        if t is None or not t.read:
            return
        self._settle(name, t, t.wrote_until + timedelta(seconds=1) if t.wrote_until else None, margin=timedelta())

    def _settle(self, name: str, t: _Table, at: datetime | None, replace: bool = False,
                margin: timedelta = MARGIN) -> None:
        if at is not None:
            t.cursor = max(t.cursor, _iso(at - margin)) if t.cursor else _iso(at - margin)
        if not t.cursor:  # no Date in the answer: nothing safe to read from next time
            self.cache.write({self._key(name): None}, {self._key(name): {}}, replace=(self._key(name),))
            return
        state = {"v": VERSION, "table": t.table_id, "fields": list(t.fields), "cursor": t.cursor, "full_at": t.full_at,
                 "count": len(t.records), "plain": t.plain, "unsettled": False}
        entries = {i: (None if v is None else pack(v)) for i, v in t.changed.items()}
        self.cache.write({self._key(name): pack(state)}, {self._key(name): entries},
                         replace=(self._key(name),) if replace else ())
        t.changed = {}


def pages(count: int) -> int:
    return max(1, math.ceil(count / 100))
