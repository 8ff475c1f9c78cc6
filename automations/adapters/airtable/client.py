"""`AirtableClient`: pyairtable, within Airtable's limits, with every request counted.

pyairtable's own retry is off and its HTTP session is `session.PacedSession`, which keeps to
Airtable's rate limit, retries within a budget and counts every request in a `Usage`. This module
holds the client (the base's schema, reading and writing in the fewest requests, a refusal as one
sentence) and the comparison of stored records with wanted ones (`present`, `same`); `replies`
reads Airtable's errors, `writable` finds a write Airtable would refuse before it is sent.

Every write the stores make is an upsert on a key field, an update by record id or a delete by
id, so a retry after a lost reply cannot duplicate a record. The token goes in a header and
is never put into a message: errors name the table and Airtable's error type only.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import requests
from pyairtable import Api
from pyairtable.api.table import Table

from ...errors import StopRun
from ...ports import Usage
from .mirror import Mirrors, Watch, pages, server_time
from .replies import error_type, reply_of
from .schema import COMPUTED
from .session import AirtableSettings, PacedSession
from .writable import SELECTS, fix_of, options_of, unwritable_fields

PAGE = 100  # records per list page
BATCH = 10  # records one write request may carry (Airtable's limit)


class AirtableClient:
    """One base, one paced session, one `Usage`: shared by every Airtable adapter of a run."""

    def __init__(self, settings: AirtableSettings, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, pace_file: Path | None = None,
                 mirrors: Mirrors | None = None):
        """`pace_file`: the state file the base's request budget is kept in by every process of the machine
        (`files.pacing`); None keeps it in this client alone. `mirrors`: the tables kept on the machine (`mirror`)."""
        if not settings.token:
            raise StopRun(f"backend 'airtable' needs a personal access token in the environment variable "
                          f"{settings.token_env} (it is not set).")
        self.settings = settings
        self.usage = Usage("Airtable", write_batch=BATCH)
        kwargs: dict[str, Any] = {"timeout": (settings.timeout_seconds, settings.timeout_seconds),
                                  "retry_strategy": None}
        if settings.endpoint_url:
            kwargs["endpoint_url"] = settings.endpoint_url
        self.api = Api(settings.token, **kwargs)
        session = PacedSession(settings, self.usage, clock, sleep, pace_file)
        session.headers.update(self.api.session.headers)
        self.api.session = session
        self._session = session  # the same, typed as ours (`_create` switches its retries)
        self.base = self.api.base(settings.base_id)
        self._schema: dict[str, dict] | None = None  # read once per run, when first needed
        self._created = 0  # records `create` sent, for the usage's count of distinct records changed
        #: The tables kept on the machine and read for their changes only (`mirror`); None: every read is whole.
        self.mirrors = mirrors
        self._through_mirror: set[str] = set()  # the tables this run read through their mirror

    def mirror(self, name: str, decisions: Sequence[str] = ()) -> None:
        """Keep this table on the machine and read only what changed since the last run (`mirror`). `decisions`: the
        fields people decide in a table the program also writes (`mirror.Watch`); none: the program's own table."""
        if self.mirrors is not None:
            self.mirrors.keep(name, Watch(tuple(decisions)))

    def forget_mirror(self, name: str) -> None:
        """Before a writer that changes a table as a whole (`migrate`): the next run reads it whole."""
        if self.mirrors is not None:
            self.mirrors.forget(name)

    def reread(self, name: str) -> None:
        """The next read of a mirrored table in this run asks Airtable again (another process may have written)."""
        if self.mirrors is not None and name in self._through_mirror:
            self.mirrors.reread(name)

    def table(self, name: str) -> Table:
        return self.base.table(name)

    def refused(self, exc: requests.HTTPError, what: str) -> StopRun:
        """A refused request as one sentence a person can act on."""
        status = reply_of(exc).status_code
        kind = error_type(exc)
        if status == 401:
            return StopRun(f"Airtable refused the token in {self.settings.token_env} ({kind}): set a valid personal "
                           f"access token.")
        if status in (403, 404):
            return StopRun(f"Airtable: {what} cannot be reached with the token in {self.settings.token_env} ({kind}): "
                           f"check airtable.base_id, the table names and the token's scopes and access; "
                           f"`doctor` says which.")
        if status == 422:
            return StopRun(f"Airtable refused {what} ({kind}): run `doctor` to compare the base with the "
                           f"configuration.")
        return StopRun(f"Airtable refused {what} ({kind}).")

    # -- the base's schema: read once per run, and only by a run that needs it ------------------------
    def schema(self) -> dict[str, dict]:
        """The base's tables by name, each with its fields by name ("by_name"); one metadata request a run,
        shared by every adapter of the run (`forget_schema` after a change to the tables, fields or options)."""
        if self._schema is None:
            try:
                data = self.api.get(self.api.build_url(f"meta/bases/{self.settings.base_id}/tables"))
            except requests.HTTPError as exc:
                raise self.refused(exc, f"the base {self.settings.base_id}") from None
            self._schema = {t["name"]: {**t, "by_name": {f["name"]: f for f in t.get("fields", [])}}
                            for t in data["tables"]}
        return self._schema

    def forget_schema(self) -> None:
        """After the run changed the base's tables, fields or options: the next `schema()` reads it again."""
        self._schema = None

    def permission_level(self) -> str:
        """The token's user's level on this base (`GET meta/bases`): "create" may add select options and fields,
        "edit" (an Editor) may not; "" when the list does not name the base."""
        offset = None
        while True:
            try:
                data = self.api.get(self.api.build_url("meta/bases"), params={"offset": offset} if offset else None)
            except requests.HTTPError as exc:
                raise self.refused(exc, "the list of bases") from None
            for base in data.get("bases", []):
                if base.get("id") == self.settings.base_id:
                    return str(base.get("permissionLevel") or "")
            offset = data.get("offset")
            if not offset:
                return ""

    def table_named(self, table_id: str) -> dict | None:
        """A table of the schema by its id (where a linked-record field points)."""
        return next((t for t in self.schema().values() if t["id"] == table_id), None)

    def check_writable(self, name: str, rows: Iterable[dict], fixes: Mapping[str, str] | None = None,
                       new_options: bool = False) -> None:
        """Stop, before anything is sent, a write that Airtable would refuse or turn into something else: a
        select value that is not an option of its field (only a base's creator may add options; an Editor's
        token is refused, and the program never adds options to staff's fields), text into a linked-record
        field (typecast would create records in the linked table) or a value into a computed field. `fixes`:
        the end of the fix sentence for a field, by title (", or map ... with ambassadors.standing_values").
        `new_options`: a value a select field lacks is written as a new option (typecast): only `migrate`,
        whose plan named those options and checked that the token's user may add them."""
        table = self.schema().get(name)
        if table is None:
            return  # the write itself is refused, with the reason
        refused = unwritable_fields(table, rows, self.table_named, new_options)
        if refused:
            title, wrong, field = refused[0]
            raise StopRun(f"Airtable table '{name}' field '{title}' {wrong}; nothing was written: "
                          f"{fix_of(field, (fixes or {}).get(title, ''))}")

    # -- reading and writing in the fewest requests ---------------------------------------------------
    def all_records(self, name: str, fields: Sequence[str], optional: Sequence[str] = ()) -> list[dict]:
        """Every record of a table with only `fields`, in pages of 100 (the offset chain); for a mirrored table,
        the mirror brought up to date with what changed since its last read (`mirror`).

        `optional` fields are asked for too; if the table lacks one, it is read again without them.
        """
        wanted = list(dict.fromkeys([*fields, *optional]))
        # A read of every field (a person's data for export or erase) is not the store's: read whole, mirror untouched.
        mirrors = self.mirrors if self.mirrors is not None and name in self.mirrors.kept and wanted else None
        try:
            if mirrors is None:
                records = cast("list[dict]", self.table(name).all(fields=wanted, page_size=PAGE))
                self.usage.read_table(name, pages(len(records)))
            else:
                records = self._mirrored(mirrors, name, wanted)
        except requests.HTTPError as exc:
            if optional and reply_of(exc).status_code == 422 and "UNKNOWN_FIELD_NAME" in error_type(exc):
                return self.all_records(name, [f for f in fields if f not in optional])
            raise self.refused(exc, f"reading the table '{name}'") from None
        # pyairtable's RecordDict is a TypedDict, a plain dict at run time: the adapters read its cells as the
        # JSON they are.
        return records

    def _mirrored(self, mirrors: Mirrors, name: str, wanted: list[str]) -> list[dict]:
        """A mirrored table: as this run left it, or its changes since the cursor, or read whole. The mirror is the
        table's by its id (the schema, one request a run): a table deleted and made again starts a new one."""
        table = self.schema().get(name)
        if table is None:  # refused below, with the reason
            return cast("list[dict]", self.table(name).all(fields=wanted, page_size=PAGE))
        key = name
        self._through_mirror.add(name)
        now = mirrors.current(key, table["id"], wanted)
        if now is not None:
            return now
        by_name = table["by_name"]
        # Only a table none of whose fields read is computed now is read for its changes: a lookup changes with
        # another table, which no filter on this table's modifications sees.
        plain = all(f in by_name and by_name[f].get("type") not in COMPUTED for f in wanted)
        today = server_time(self._session.last_date)  # the schema's answer, or a later one: Airtable's day
        formula = mirrors.filter(key, table["id"], wanted, plain, today.date() if today else None)
        found: list[dict] = []
        first_date = None
        for page in self.table(name).iterate(fields=wanted, page_size=PAGE, formula=formula):
            if first_date is None:
                first_date = server_time(self._session.last_date)
            found += cast("list[dict]", page)
        if first_date is None:  # no page at all (an empty answer still has one): Airtable's clock, as last seen
            first_date = server_time(self._session.last_date)
        self.usage.read_table(name, pages(len(found)))
        if formula is not None:
            return mirrors.read_changes(key, found, first_date)
        return mirrors.read_whole(key, table["id"], wanted, found, first_date, plain)

    def upsert(self, name: str, records: Sequence[dict], key_field: str) -> None:
        """Create or update records matched on `key_field`, ten to a request (a rerun never duplicates)."""
        if records:
            self.check_writable(name, records)
        self.usage.change(name, (f[key_field] for f in records))
        self._write(name, records, lambda t, chunk: t.batch_upsert([{"fields": f} for f in chunk], [key_field],
                                                                   typecast=True), key_field=key_field)

    def update(self, name: str, records: Sequence[tuple[str, dict]], typecast: bool = True,
               fixes: Mapping[str, str] | None = None, new_options: bool = False) -> None:
        """Update records by id, ten to a request; fields not named are left alone. `typecast=False` for staff's
        tables, whose values are written exactly as the fields hold them. `new_options`: see `check_writable`
        (`migrate` only)."""
        if records:
            self.check_writable(name, (f for _, f in records), fixes, new_options)
        adds = new_options and typecast and self._adds_options(name, [f for _, f in records])
        self.usage.change(name, (i for i, _ in records))
        self._write(name, records, lambda t, chunk: t.batch_update([{"id": i, "fields": f} for i, f in chunk],
                                                                   typecast=typecast), ident=lambda item: item[0])
        if adds:
            self.forget_schema()  # typecast made the options: the schema read before no longer holds

    def create(self, name: str, records: Sequence[dict], key_fields: Sequence[str] = ()) -> None:
        """Create records, ten to a request. With `key_fields`, as upserts matched on them (a retry after a lost
        reply finds the records that landed); without, each request is sent once (a 429 apart), so a request
        left unanswered stops the run (`ServiceUnavailable`) rather than risking a second copy: the caller
        reads the table again on its next run and creates only what is missing."""
        self._created += len(records)
        self.usage.change(name, (("created", self._created - i) for i in range(len(records))))
        adds = self._adds_options(name, records)
        try:
            self._create(name, records, key_fields)
        finally:
            if adds:
                self.forget_schema()  # typecast made them (some, if the write failed): read the fields again

    def _adds_options(self, name: str, records: Sequence[dict]) -> bool:
        """Whether writing these records with typecast adds options to a select field of the schema read."""
        table = (self._schema or {}).get(name)
        if table is None:
            return False
        for fields in records:
            for title, value in fields.items():
                field = table["by_name"].get(title)
                if field is not None and field.get("type") in SELECTS:
                    have = set(options_of(field))
                    if any(isinstance(v, str) and v and v not in have
                           for v in (value if isinstance(value, list) else [value])):
                        return True
        return False

    def _create(self, name: str, records: Sequence[dict], key_fields: Sequence[str]) -> None:
        if key_fields:
            self._write(name, records, lambda t, chunk: t.batch_upsert([{"fields": f} for f in chunk],
                                                                       list(key_fields), typecast=True))
            return
        session = self._session

        def once(t: Table, chunk: Sequence) -> object:
            session.once = True
            try:
                return t.batch_create(list(chunk), typecast=True)
            finally:
                session.once = False

        self._write(name, records, once)

    def delete(self, name: str, record_ids: Sequence[str]) -> None:
        self.usage.change(name, record_ids)

        def one(t: Table, chunk: Sequence[str]) -> None:
            try:
                t.batch_delete(list(chunk))
            except requests.HTTPError as exc:
                # A record already gone (after a lost reply, the retry; or a person deleted it) refuses the whole
                # batch: each is then deleted alone, and one gone alone is done. Anything else is refused.
                if reply_of(exc).status_code != 404:
                    raise
                if len(chunk) > 1:
                    for record_id in chunk:
                        one(t, [record_id])
                elif self.mirrors is not None and name in self._through_mirror:
                    self.mirrors.distrust(name)  # a copy held a record that is gone: read it whole next run

        self._write(name, record_ids, one, deleting=True)

    def _write(self, name: str, items: Sequence, send: Callable[[Table, Sequence], object],
               deleting: bool = False, ident: Callable[[Any], str] | None = None, key_field: str = "") -> None:
        """Send `items` ten to a request; a mirrored table's mirror takes each answer (what Airtable now holds), and
        stays unsettled (read whole next run) if the writes stop part-way. An update (`ident`: an item's record id)
        of a mirrored record a person deleted since the last full read goes without it (`_gone`)."""
        if not items:
            return
        table = self.table(name)
        mirrors = self.mirrors if self.mirrors is not None and name in self._through_mirror else None
        key = name
        if mirrors is not None:
            mirrors.writing(key)
        for chunk in chunks(items, BATCH):
            try:
                answer = send(table, chunk)
            except requests.HTTPError as exc:
                if mirrors is None or ident is None:
                    raise self.refused(exc, f"a write to the table '{name}'") from None
                chunk, answer = self._gone(name, key, table, chunk, send, ident, exc)
            if mirrors is not None:
                at = server_time(self._session.last_date)
                if deleting:
                    mirrors.wrote(key, deleted=[str(i) for i in chunk], at=at)
                else:
                    created = answer.get("createdRecords", []) if isinstance(answer, dict) else []
                    if mirrors.wrote(key, _records_of(answer), at=at, created=created, key_field=key_field):
                        self.usage.notes.append(
                            f"Airtable table {name}: a record was deleted there since its last full read (it was "
                            f"made again); the table is read whole on the next run.")
        if mirrors is not None:
            mirrors.settle(key)

    def _gone(self, name: str, key: str, table: Table, chunk: Sequence, send: Callable[[Table, Sequence], object],
              ident: Callable[[Any], str], exc: requests.HTTPError) -> tuple[Sequence, object]:
        """An update refused because a record the mirror holds was deleted in Airtable meanwhile (a deletion no
        filter sees): the chunk goes again without it, the mirror forgets it and is read whole on the next run
        (other rows may be gone too), and the run says so. Any other refusal stops the run as before."""
        assert self.mirrors is not None
        while True:
            found = _GONE.search(str(reply_of(exc).text)) if reply_of(exc).status_code == 422 else None
            if "ROW_DOES_NOT_EXIST" not in error_type(exc) or found is None or \
                    found.group(1) not in {ident(i) for i in chunk}:
                raise self.refused(exc, f"a write to the table '{name}'") from None
            chunk = [i for i in chunk if ident(i) != found.group(1)]
            self.mirrors.wrote(key, deleted=[found.group(1)])
            self.mirrors.distrust(key)
            self.usage.notes.append(f"Airtable table {name}: a record was deleted there since its last full read (it "
                                    f"was not updated); the table is read whole on the next run.")
            if not chunk:
                return chunk, None
            try:
                return chunk, send(table, chunk)
            except requests.HTTPError as again:
                exc = again


_GONE = re.compile(r"\b(rec[A-Za-z0-9]{14})\b")


def _records_of(answer: object) -> list[dict]:
    """The records a write's answer holds (an upsert answers {"records": [...], ...}, the others a list)."""
    if isinstance(answer, dict):
        answer = answer.get("records", [])
    return [r for r in answer if isinstance(r, dict) and "id" in r] if isinstance(answer, list) else []


def chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def present(value: object) -> bool:
    """Airtable leaves empty cells out of a record: these values are the same as no value."""
    if value is None or value is False:  # 0 is a value: an event with 0 attendees reported them
        return False
    return not (isinstance(value, (str, list, tuple)) and len(value) == 0)


def same(stored: dict, wanted: dict, names: Iterable[str]) -> bool:
    """Whether a stored record already holds the wanted values (empty and missing are alike)."""
    for n in names:
        a, b = stored.get(n), wanted.get(n)
        if not present(a) and not present(b):
            continue
        if isinstance(a, list) or isinstance(b, list):  # a multiple select: its order is not data
            if sorted(map(str, a or [])) != sorted(map(str, b or [])):
                return False
        elif a != b:
            return False
    return True
