"""`AirtableProgramTables`: a program's Airtable base as whole tables to copy from or into (`migrate`).

Reading asks for every field of a table (staff's own too), pages of 100, and turns each record into
canonical text by field role (`domain.migration`): numbers, dates, date-times, lists, collaborators
(their email) and attachments (their link) as the other store would hold them. Fields are found by
the titles this configuration gives each role, so two bases (or a base and a folder) that title a
field differently are still compared field by field.

This module reads, fits rows to the base (`fit`: what it would hold, with notes and problems),
adds the fields staff's own columns need, names what the base would refuse while planning, and
writes. What each value becomes in its field (a number rounded as the field keeps it, a date as ISO,
a date-time in UTC, a select as one of its options or a new one through typecast, a link as record
ids of the linked table, a collaborator as {"email"}) is `program_values.FieldValues`; a column of
staff's own that the table lacks becomes a long text field of that name. Each value is compared as
`read` reads it back, so a second migration writes nothing. A value no field of that type can take
stops the migration before it writes anything, naming the table, row, field and value.

Records are created ten to a request as upserts on the table's natural key where its fields allow it
(a retry after a lost reply finds what landed), otherwise sent once each (a request left unanswered
stops the run and the next run finds what landed); updated by record id; deleted by id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import requests

from ...domain.migration import (
    EXTRA,
    SHAPE,
    Held,
    Row,
    TablePlan,
    canonical,
    clean,
    identity,
)
from ...domain.values import HIDDEN, plainly
from ...errors import StopRun
from ..program_tables import kind_of, kinds, tables
from .cells import linked_tables, read_cell, result_type
from .client import AirtableClient
from .program_values import BY_EMAIL, MAX_TEXT, FieldValues, Refused, cut
from .replies import error_type, reply_of
from .schema import COMPUTED, OWN_TABLES, BaseSpec
from .writable import unwritable_fields

_MERGEABLE = {"singleLineText", "email", "url", "phoneNumber", "number"}  # what an upsert matches records on

#: The field types whose cells are read as the jobs read them (`airtable.cells.read_cell`), not as values.
_READ_AS_JOBS = {"multipleRecordLinks", "singleCollaborator", "multipleCollaborators", "multipleLookupValues",
                 "lookup", "rollup", "createdBy", "lastModifiedBy"}


class AirtableProgramTables:
    def __init__(self, client: AirtableClient, spec: BaseSpec, store_id: str):
        self.client = client
        self.specs = tables(spec)
        self.where = f"Airtable base {client.settings.base_id}"
        self.store_id = store_id
        self._new_fields: dict[str, list[str]] = {}
        self._permission: str | None = None
        self.values = FieldValues(client)  # what each field takes (`program_values`)

    def _level(self) -> str:
        """The token's level on the base, asked once (only when a value would need a new option)."""
        if self._permission is None:
            self._permission = self.client.permission_level()
        return self._permission

    # -- where things are ---------------------------------------------------------------------------------------
    def named(self, role: str) -> str:
        return f"Airtable table {self.specs[role].name}"

    def titles(self, role: str) -> dict[str, str]:
        return {f.role: f.name for f in self.specs[role].fields}

    def place_of(self, role: str, index: int) -> tuple[str, int] | None:
        """Where the store's data problems place the record at `index` (in the order the table lists them)."""
        if role in OWN_TABLES or role == "conduct_register":
            return None
        return self.specs[role].name, index + 2

    def _tables(self) -> dict[str, dict]:
        """The base's tables by name, each with its fields by name (the client's: one metadata request per run)."""
        return self.client.schema()

    def exists(self, role: str) -> bool:
        return self.specs[role].name in self._tables()

    def _table(self, role: str) -> dict:
        table = self._tables().get(self.specs[role].name)
        if table is None:
            raise StopRun(f"{self.where} has no table '{self.specs[role].name}' ({SHAPE[role].what}): run `init` with "
                          f"this configuration first, then migrate again; nothing was written.")
        return table

    # -- reading ------------------------------------------------------------------------------------------------
    def read(self, role: str) -> list[Held]:
        """Every record with every field, in the order the table lists them."""
        spec = self.specs[role]
        by_name = self._table(role)["by_name"]
        role_of = {f.name: f.role for f in spec.fields}
        kind = kinds(spec)
        out = []
        records = self.client.all_records(spec.name, ())
        # Links, collaborators and lookups as the jobs read them (`airtable.cells.read_cell`): a linked
        # record by its table's primary field, never its record id; a collaborator by email in an email field,
        # else by name; a lookup as its distinct values.
        people = {n for n, f in by_name.items() if result_type(f) in _READ_AS_JOBS or f.get("type") in _READ_AS_JOBS}
        linked = linked_tables(self.client, spec.name, people, records) if people else {}
        for i, record in enumerate(records):
            row = {}
            for name, value in record["fields"].items():
                r = role_of.get(name, EXTRA + name)
                k = kind.get(r) or kind_of(by_name.get(name, {}).get("type", ""))
                if name in people:
                    said = "email" if by_name[name].get("type") == "email" or r in BY_EMAIL else ""
                    cell = read_cell(value, said, linked=linked.get(name))
                    row[r] = cell.text if cell.flaw is None else cell.flaw.value
                    continue
                row[r] = canonical(k, value)
            out.append(Held(record["id"], clean(row), (spec.name, i + 2)))
        return out

    # -- what it would hold -------------------------------------------------------------------------------------
    def fit(self, role: str, rows: Sequence[Row]) -> tuple[list[Row], list[str], list[str]]:
        """The rows as this base would hold them once written, notes on what that changes or adds (options, a
        field, a rounding), and one sentence per value no field here can take."""
        spec = self.specs[role]
        table = self._table(role)
        by_name = table["by_name"]
        folded = {n.casefold(): n for n in by_name}
        title = self.titles(role)
        kind = kinds(spec)
        notes: dict[tuple[str, str], set[str]] = {}
        problems: list[str] = []
        new_fields: list[str] = []
        out = []
        for n, row in enumerate(rows, start=2):
            if role == "mail_ledger" and row.get("status") == "sent" and row.get("at") and "sent_at" not in row:
                row = dict(row, sent_at=row["at"])  # as the ledger writes a step that went
            fitted: Row = {}
            for r, text in row.items():
                name = title.get(r) or r.removeprefix(EXTRA)
                field = by_name.get(name) or (by_name.get(folded.get(name.casefold(), "")) if r.startswith(EXTRA)
                                              else None)
                if field is None and r.startswith(EXTRA):
                    if HIDDEN.search(name) or len(name) > 200:
                        problems.append(f"{self.named(role)}: the column '{plainly(name)}' cannot become a field "
                                        f"name here (rename it in the source)")
                    elif name not in new_fields:
                        new_fields.append(name)
                    if len(text) > MAX_TEXT:  # the long text field it becomes holds no more
                        problems.append(f"{self.named(role)}, row {n} ({SHAPE[role].what}), field '{name}': "
                                        f"'{cut(text)}' is {len(text):,} characters long, more than the "
                                        f"{MAX_TEXT:,} an Airtable text field holds (shorten it in the source)")
                    fitted[r] = text
                    continue
                if field is None:
                    problems.append(f"{self.named(role)} has no field '{name}' ({r}): run `init` to add it")
                    continue
                try:
                    _, back, note = self.values.convert(field, kind.get(r) or kind_of(field["type"]), text, r)
                except Refused as exc:
                    problems.append(f"{self.named(role)}, row {n} ({SHAPE[role].what}), field '{field['name']}': "
                                    f"'{cut(text)}' {exc}")
                    continue
                for what, said in note:
                    notes.setdefault((field["name"], what), set()).add(said)
                fitted[r] = back
            out.append(clean(fitted))
        self._new_fields[role] = new_fields
        options = sorted({(name, v) for (name, what), said in notes.items() if what == "option" for v in said})
        if options and self._level() not in ("create", "owner"):
            name, value = options[0]
            problems.append(f"{self.named(role)}, field '{name}': {value} is not one of its options, and the token in "
                            f"{self.client.settings.token_env} may not add options (its user is not the base's "
                            f"creator): add the option{'s' if len(options) > 1 else ''} "
                            f"{', '.join(f'{v} ({n})' for n, v in options)} in Airtable")
            notes = {k: v for k, v in notes.items() if k[1] != "option"}
        lines = [f"{self.named(role)}: adds the field '{n}' (long text) for staff's own column" for n in new_fields]
        for (name, what), told in sorted(notes.items()):
            values = ", ".join(sorted(told))
            lines.append(f"{self.named(role)}, field '{name}': " + (
                f"adds the option{'s' if len(told) > 1 else ''} {values} (typecast)" if what == "option" else
                f"{values} written as the field's own option{'s' if len(told) > 1 else ''}" if what == "case" else
                f"{values} (the field keeps fewer decimals)"))
        return out, lines, problems

    # -- writing ------------------------------------------------------------------------------------------------
    def prepare(self, plans: Sequence[TablePlan], dry_run: bool) -> list[str]:
        """Add the fields staff's own columns need (before any record is written)."""
        done = []
        for plan in plans:
            role = plan.shape.role
            names = self._missing_fields(role, plan)
            if not names:
                continue
            table = self._table(role)
            for name in names:
                done.append(f"{'would add' if dry_run else 'added'} the field '{name}' (long text) to "
                            f"{self.named(role)}")
                if dry_run:
                    continue
                api = self.client.api
                try:
                    field = api.post(api.build_url(f"meta/bases/{self.client.settings.base_id}/tables/"
                                                   f"{table['id']}/fields"), json={"name": name, "type": "multilineText"})
                except requests.HTTPError as exc:
                    if reply_of(exc).status_code != 422 or "DUPLICATE" not in error_type(exc):
                        raise self.client.refused(exc, f"adding the field '{name}' to '{table['name']}'") from None
                    self.client.forget_schema()  # made by the try whose answer was lost: read it back
                    table = self._table(role)
                    continue
                table["by_name"][name] = field
        return done

    def _found(self, role: str, r: str) -> dict | None:
        """The base's field of a role (or of staff's own column, whatever its case there), if it has one."""
        by_name = self._table(role)["by_name"]
        name = self.titles(role).get(r) or r.removeprefix(EXTRA)
        return by_name.get(name) or by_name.get({n.casefold(): n for n in by_name}.get(name.casefold(), ""))

    def _field(self, role: str, r: str) -> dict:
        field = self._found(role, r)
        if field is None:  # fit found it (or prepare made it): someone removed it meanwhile
            name = self.titles(role).get(r) or r.removeprefix(EXTRA)
            raise StopRun(f"{self.named(role)} has no field '{name}' any more: run `init` (and migrate again).")
        return field

    def _fields(self, role: str, row: Row) -> dict:
        kind = kinds(self.specs[role])
        out = {}
        for r, text in row.items():
            field = self._field(role, r)
            value, _, _ = self.values.convert(field, kind.get(r) or kind_of(field["type"]), text, r)
            out[field["name"]] = value
        return out

    # -- what writing would be refused (asked while planning, before anything is written) --------------------------
    def refusals(self, role: str, plan: TablePlan) -> list[str]:
        """What the base would refuse of this plan's writes, one sentence each: a field for staff's own column when
        the token's user may not change the schema (an Editor), and every value, as it would be sent, that
        `AirtableClient.check_writable` refuses (anything but record ids into a linked-record field, anything into
        a computed one) but a new select option, which `fit` announced (and refused already for an Editor)."""
        out = []
        missing = self._missing_fields(role, plan)
        if missing and self._level() not in ("create", "owner"):
            many = len(missing) > 1
            names = ", ".join(f"'{n}'" for n in missing)
            out.append(f"{self.named(role)}: staff's own column{'s' if many else ''} "
                       f"{names} need{'' if many else 's'} a field here, and the token "
                       f"in {self.client.settings.token_env} may not add fields (its user is not the base's "
                       f"creator): add {'them' if many else 'it'} (long text) in Airtable")

        # Each value the plan sends, by the field it goes into (None: a value emptied). A field `prepare` has yet
        # to add is a long text field: it takes any text.
        values: list[tuple[str, str | None]] = [(r, text) for row in plan.create for r, text in row.items()]
        for _, new, old in plan.update:
            values += [(r, text) for r, text in new.items() if old.get(r) != text]
            values += [(r, None) for r in set(old) - set(new)]
        sent = [(r, f, text) for r, text in values if (f := self._found(role, r)) is not None]
        kind = kinds(self.specs[role])
        converted: list[dict] = []
        done: set[str] = set()
        for r, f, text in sent:
            if text is None:
                converted.append({f["name"]: None})
                continue
            try:  # checked as it is sent: a link as record ids, a collaborator as {email}
                value, _, _ = self.values.convert(f, kind.get(r) or kind_of(f["type"]), text, r)
            except Refused as exc:  # `fit` refuses such a value first; named here too, should one slip past it
                if f.get("type") in COMPUTED:  # named below, as `check_writable` would name it
                    converted.append({f["name"]: text})
                elif f["name"] not in done:
                    out.append(f"{self.named(role)}, field '{f['name']}': '{cut(text)}' {exc}")
                    done.add(f["name"])
                continue
            converted.append({f["name"]: value})
        tables = {t["id"]: t for t in self._tables().values()}
        refused = unwritable_fields(self._table(role), converted, tables.get, new_options=True)
        out += [f"{self.named(role)}, field '{title}' {wrong}" for title, wrong, _ in refused if title not in done]
        return out

    def _missing_fields(self, role: str, plan: TablePlan) -> list[str]:
        """The fields `prepare` adds for this plan: staff's own columns its rows hold that the table lacks."""
        if not plan.changed:
            return []
        return [n for n in self._new_fields.get(role, []) if any(EXTRA + n in s.row for s in plan.final)]

    def _updates(self, role: str, plan: TablePlan) -> list[tuple[str, dict]]:
        """(record id, the fields to send) of each update: the values that changed, and None for each emptied."""
        out = []
        for ref, new, old in plan.update:
            fields = self._fields(role, {r: v for r, v in new.items() if old.get(r) != v})
            for r in set(old) - set(new):  # emptied in the source
                fields[self._field(role, r)["name"]] = None
            out.append((str(ref), fields))
        return out

    def write(self, role: str, plan: TablePlan) -> None:
        """Create, update and delete as planned: new records first, in the plan's order (the table then lists
        them as the plan placed them, which is where `place_of` says its data problems find them), then changes,
        deletions last. New select options the plan named are added on the way (typecast)."""
        spec, by_name = self.specs[role], self._table(role)["by_name"]
        name = spec.name
        self.client.forget_mirror(name)  # the runs' copy of it no longer holds: their next read is whole
        keys = [spec.name_of(r) for r in plan.shape.identity]
        mergeable = all(by_name.get(k, {}).get("type") in _MERGEABLE for k in keys)
        # A row may be upserted on its key only when no other row of the table (new or held) has that key; the
        # others are sent once. Consecutive rows of one kind go together, so the records land in order.
        held = Counter(identity(plan.shape, s.row) for s in plan.final)
        runs: list[tuple[bool, list[dict]]] = []
        for row in plan.create:
            f = self._fields(role, row)
            keyed = mergeable and held[identity(plan.shape, row)] == 1 and all(f.get(k) not in (None, "")
                                                                                 for k in keys)
            if runs and runs[-1][0] == keyed:
                runs[-1][1].append(f)
            else:
                runs.append((keyed, [f]))
        for keyed, records in runs:
            self.client.create(name, records, keys if keyed else ())
        self.client.update(name, self._updates(role, plan), new_options=True)
        self.client.delete(name, [str(ref) for ref in plan.delete])
