"""`Mirrors`: the tables a run reads often, kept on the machine and read from Airtable only for what changed.

Airtable has no cheap way to ask "what changed": a table is read in pages of 100 records, five pages a
second. A program of 1,000 ambassadors re-read its Activities and Check-ins every day, some 160
requests, to learn that nothing had changed. So the tables whose records the program reads on every run
(its own Activities, Check-ins, Data problems and Mail ledger, and the Ambassadors table staff keep) are
mirrored in the work cache, and a run asks Airtable only for the records created or modified since the
last read:

    OR(IS_AFTER(LAST_MODIFIED_TIME(<fields>), DATETIME_PARSE('<cursor>')),
       IS_AFTER(CREATED_TIME(), DATETIME_PARSE('<cursor>')))

(Airtable's API cannot add a "Last modified time" field to a table, but its formulas can compute it for
a filter.) What comes back replaces the mirror's copy of the record, and a new record is added; a quiet
day costs one request per table. The program's writes update the mirror from Airtable's answers, so the
mirror holds what Airtable holds.

What a filter watches (`Watch`): in the program's own tables (Activities, Check-ins, Mail ledger) every
field, and after the run writes to such a table the cursor moves past its writes (the end of the second
of its last write's answer), so nothing it wrote is read again. In a table where people decide (the
roster's fields staff keep; a problem's Status), only those fields, and the cursor stays at the run's
read: a decision taken while the run writes is read by the next run, and the program's own writes to the
other fields (standings) never come back. The cursor is Airtable's own clock, never this machine's: the
`Date` of the first page's answer, less a margin of `MARGIN` seconds (the header counts whole seconds,
and a page is listed before it is answered). A table read again in the same run (`reread`: another
process may have sent mail) asks from the run's first read, not from after its writes.

What a filter cannot see, and how it is still seen:

- a record deleted in Airtable's interface: every `full_read_days` (the `airtable.full_read_days`
  setting, 7 by default, counted in run days and in Airtable's days alike) the table is read whole and the
  mirror replaced;
- a change a person makes to the program's own table while this run is writing to it (from its read
  to the second after its last write there): read at that full read at the latest (a quiet day's run,
  which writes nothing, has no such window); the program writes those records back anyway;
- a record deleted meanwhile that the run writes to or deletes: Airtable refuses it (an update, a batch
  delete) or makes the key's record again (an upsert); the run goes on, the mirror forgets the record,
  and the next run reads that table whole (the run says so after its request count);
- a computed field (a lookup, formula, rollup) whose value changes with another table: a table whose
  read fields include one is read whole on every run (decided from the schema, read on every run).

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

VERSION = 2
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


@dataclass(frozen=True)
class Watch:
    """What a mirrored table's filter looks at.

    `fields` empty: the program's own table (Activities, Check-ins, Mail ledger), whose every field is the program's;
    a change to any field is read, and after the run writes to it the cursor moves past its writes. `fields` named:
    a table where those fields are people's decisions (the roster's fields staff keep, a problem's Status); only a
    change to them is read (the program's own writes to the other fields never come back), and the cursor stays at
    the run's read, so a decision taken while the run writes is read by the next run."""

    fields: tuple[str, ...] = ()

    def formula(self, cursor: str) -> str:
        at = f"DATETIME_PARSE('{cursor}')"
        named = ",".join(f"{{{f}}}" for f in self.fields) if all("{" not in f and "}" not in f for f in self.fields) \
            else ""
        return f"OR(IS_AFTER(LAST_MODIFIED_TIME({named}), {at}), IS_AFTER(CREATED_TIME(), {at}))"


@dataclass
class _Table:
    """One mirrored table in this run: its records by id (each with its place in the table's order)."""

    table_id: str  # the table's id: a table deleted and made again under its name is another table
    fields: tuple[str, ...]
    records: dict[str, tuple[int, dict]]
    cursor: str  # what the next run asks for: changes after this moment
    full: tuple[str, str]  # the run day and Airtable's day of the last whole read
    plain: bool  # nothing seen that a filter would miss (a computed field, a record deleted meanwhile)
    read: bool = False  # read from Airtable in this run
    read_cursor: str = ""  # this run's read of it, less the margin: a read again in this run asks from here
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
        self.kept: dict[str, Watch] = {}  # the tables the stores asked to mirror, and what their filter watches
        self.tables: dict[str, _Table] = {}

    def keep(self, name: str, watch: Watch) -> None:
        if self.full_read_days > 0 and self.as_of is not None:
            self.kept[name] = watch

    def _key(self, name: str) -> str:
        return f"airtable:{self.base_id}:{name}"

    # -- what the run knows -------------------------------------------------------------------------------
    def current(self, name: str, table_id: str, fields: Sequence[str]) -> list[dict] | None:
        """The table as this run last read and wrote it, when nothing needs asking (None: ask Airtable)."""
        t = self.tables.get(name)
        if t is None or not t.read or t.reread or t.fields != tuple(fields) or t.table_id != table_id:
            return None
        return t.listing()

    def filter(self, name: str, table_id: str, fields: Sequence[str], plain: bool, today: date | None) -> str | None:
        """The filter that reads what changed since the last read (None: read the table whole). `plain`: no field
        read is computed now; `today`: Airtable's day, as its last answer said."""
        if not plain:
            return None
        t = self.tables.get(name)
        if t is not None and t.read and t.fields == tuple(fields) and t.table_id == table_id:
            return self.kept[name].formula(t.read_cursor) if t.plain and t.read_cursor else None  # again, this run
        kept = unpack(self.cache.get(self._key(name)), {})
        if not isinstance(kept, dict) or kept.get("v") != VERSION or tuple(kept.get("fields", ())) != tuple(fields):
            return None
        if kept.get("table") != table_id or kept.get("unsettled") or not kept.get("plain") or not kept.get("cursor"):
            return None
        if not self._fresh(kept.get("full"), today):
            return None
        records = {}
        for record_id, value in self.cache.rows(self._key(name)).items():
            place, fields_of = unpack(value, (None, None))
            if not isinstance(place, int) or not isinstance(fields_of, dict):
                return None
            records[record_id] = (place, fields_of)
        if len(records) != kept.get("count"):
            return None  # the cache lost entries (erase cleared it meanwhile, another process wrote): read it whole
        self.tables[name] = _Table(table_id, tuple(fields), records, kept["cursor"], tuple(kept["full"]), True)
        return self.kept[name].formula(kept["cursor"])

    def _fresh(self, full: object, today: date | None) -> bool:
        """Whether the last whole read is recent enough, in run days (the `--as-of` day) and in Airtable's days (a
        program replayed on one `--as-of` day still reads whole every `full_read_days`)."""
        if not isinstance(full, list | tuple) or len(full) != 2:
            return False
        try:
            run_day, base_day = date.fromisoformat(full[0]), date.fromisoformat(full[1])
        except (TypeError, ValueError):
            return False
        days = timedelta(days=self.full_read_days)
        if self.as_of is None or not run_day <= self.as_of < run_day + days:
            return False
        return today is None or base_day <= today < base_day + days

    # -- what Airtable answered -----------------------------------------------------------------------------
    def read_whole(self, name: str, table_id: str, fields: Sequence[str], records: Iterable[dict],
                   at: datetime | None, plain: bool) -> list[dict]:
        base_day = (at or datetime.min.replace(tzinfo=UTC)).date().isoformat()
        t = _Table(table_id, tuple(fields), {}, "", ((self.as_of or date.min).isoformat(), base_day), plain, read=True)
        for r in records:
            t.put(r)
        t.changed = dict(t.records)
        self.tables[name] = t
        self._read(name, t, at, replace=True)
        return t.listing()

    def read_changes(self, name: str, records: Iterable[dict], at: datetime | None) -> list[dict]:
        t = self.tables[name]
        for r in records:
            t.put(r)
        t.reread = False
        self._read(name, t, at)
        return t.listing()

    def reread(self, name: str) -> None:
        """The next read of this table in this run asks Airtable for what changed since this run read it (another
        process may have written to it meanwhile)."""
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

    def wrote(self, name: str, records: Iterable[dict] = (), deleted: Iterable[str] = (), at: datetime | None = None,
              created: Iterable[str] = (), key_field: str = "") -> int:
        """Airtable answered a write: its records (as stored), the ids it deleted, and, for an upsert, the ids it
        created on `key_field`. A record created for a key means no record held that key any more: a copy the
        mirror still holds with that key was deleted by a person meanwhile, and is forgotten (the count is
        returned; the table is then read whole next run, other records may be gone too)."""
        t = self.tables.get(name)
        if t is None or not t.read:
            return 0
        records = list(records)
        for r in records:
            t.put(r)
        for record_id in deleted:
            t.drop(record_id)
        dead = 0
        made = set(created)
        if made and key_field:
            keys = {r["fields"].get(key_field) for r in records if r["id"] in made} - {None, ""}
            for record_id, (_, fields) in list(t.records.items()):
                if record_id not in made and fields.get(key_field) in keys:
                    t.drop(record_id)
                    dead += 1
            if dead:
                t.plain = False
        if at is not None:
            t.wrote_until = at if t.wrote_until is None else max(t.wrote_until, at)
        return dead

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
        """After the run's writes to a table: keep the mirror. A table of the program's own: the cursor moves to the
        end of the second of its last write's answer (nothing it wrote is read again); a table with people's
        decisions in it: the cursor stays at the run's read (a decision taken meanwhile is read next run)."""
        t = self.tables.get(name)
        if t is None or not t.read:
            return
        if not self.kept[name].fields and t.wrote_until is not None:
            t.cursor = max(t.cursor, _iso(t.wrote_until + timedelta(seconds=1)))
        self._keep(name, t)

    def _read(self, name: str, t: _Table, at: datetime | None, replace: bool = False) -> None:
        """A read answered (`at`: its first page's Date): what changed before `at` less the margin is in the mirror."""
        t.read = True
        if at is not None:
            t.read_cursor = _iso(at - MARGIN)
            t.cursor = max(t.cursor, t.read_cursor)
        self._keep(name, t, replace)

    def _keep(self, name: str, t: _Table, replace: bool = False) -> None:
        if not t.cursor:  # no Date in the answer: nothing safe to read from next time
            self.cache.write({self._key(name): None}, {self._key(name): {}}, replace=(self._key(name),))
            return
        state = {"v": VERSION, "table": t.table_id, "fields": list(t.fields), "cursor": t.cursor, "full": list(t.full),
                 "count": len(t.records), "plain": t.plain, "unsettled": False}
        entries = {i: (None if v is None else pack(v)) for i, v in t.changed.items()}
        self.cache.write({self._key(name): pack(state)}, {self._key(name): entries},
                         replace=(self._key(name),) if replace else ())
        t.changed = {}


def pages(count: int) -> int:
    return max(1, math.ceil(count / 100))
