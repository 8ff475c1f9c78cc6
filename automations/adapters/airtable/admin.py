"""`AirtableAdmin`: `init` and `doctor` for the Airtable backend, through the metadata API.

`init` creates the tables and fields of `airtable_schema` that the base lacks, with their
types, and leaves every existing table and field (staff's included) alone. `check` compares
the base with the specs and says, one finding a line, what is missing or of the wrong type.

The program's own tables (activities, check-ins, data problems, the mail ledger) are known as its
own by their description, which `init` writes when it makes one (`DESCRIPTIONS`: "Made and kept by
the ambassador program's automations ..."), or, for a base an earlier `init` made, by its primary
field `Key` holding the program's records (a Key of the program's shape, `domain.ownership`). A
table of one of those names that holds records the program did not make, and is neither, is someone
else's: `init` refuses to take it over (it says how to rename either table, and changes nothing)
and `doctor` fails on it. One that is empty, or holds only the program's records, is taken over, and
says so in its description. Records in the program's tables that the program did not make are named
by `doctor`; the jobs never change them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import requests

from ...domain.ownership import KEY_SAYINGS, program_key
from ...domain.words import quoted, word_key
from ...errors import StopRun
from ...ports import Finding
from .client import AirtableClient, present
from .replies import error_type, reply_of
from .schema import COMPUTED, LINK, BaseSpec, FieldSpec, TableSpec
from .writable import SELECTS, options_of

# What the jobs need of a personal access token (init also needs schema.bases:write).
SCOPES = ("data.records:read", "data.records:write", "schema.bases:read")

# The description `init` gives each table it makes or takes over; a table whose description holds MARK
# is the program's. Airtable shows it under the table's name.
MARK = "Made and kept by the ambassador program's automations"
DESCRIPTIONS = {
    "activities": f"{MARK}: every activity the check-in responses report, rewritten by sync-checkins on every "
                  f"run. Do not edit or add records (a record without the program's Key is left alone).",
    "checkins": f"{MARK}: one record per check-in response, rewritten by sync-checkins on every run. Do not edit "
                f"or add records (a record without the program's Key is left alone).",
    "problems": f"{MARK}: the data problems the jobs found. Set a problem's Status (open, fixed, ignored); the "
                f"jobs rewrite everything else on every run. Do not add records.",
    "found_activities": f"{MARK}: the items discover found in the feeds and forum posts ambassadors declared, "
                        f"listed in their check-in mail; never counted. Do not edit or add records.",
    "mail_ledger": f"{MARK}: one record per message sent or step taken, read by the jobs so that nothing is done "
                   f"twice. Do not edit or add records.",
}
SHOWN = 5  # records named in a finding


@dataclass(frozen=True)
class Ownership:
    """Whose one of the program's tables is: its description, and its records the program did not make."""

    marked: bool  # its description says the program keeps it
    records: int  # how many it holds (not counted for a marked table when init asks)
    foreign: tuple[dict, ...] = ()  # the records without a key of the program's shape
    key_primary: bool = False  # its primary field is the program's Key, as `init` makes it
    read: tuple[str, ...] = ()  # the fields read (the primary first): what names a record for a person

    @property
    def someone_elses(self) -> bool:
        """Not the program's: no description of the program's, records it did not make, and not a table an
        earlier `init` made (with Key as its primary field, holding the program's records beside them)."""
        earlier_init = self.key_primary and self.records > len(self.foreign)
        return not self.marked and bool(self.foreign) and not earlier_init


def _short(value) -> str:
    text = " ".join(str(value if not isinstance(value, list) else ", ".join(map(str, value))).split())
    return text if len(text) <= 40 else text[:39] + "…"


def named(records, fields) -> str:
    """A few records as a person finds them in Airtable: the id, and the first of `fields` they fill."""
    shown = []
    for r in records[:SHOWN]:
        first = next((r["fields"][f] for f in fields if present(r["fields"].get(f))), None)
        shown.append(f"{r['id']} ('{_short(first)}')" if first is not None else r["id"])
    more = f" and {len(records) - SHOWN} more" if len(records) > SHOWN else ""
    return ", ".join(shown) + more


def _plural(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def rename_hint(spec: TableSpec) -> str:
    """How to keep both tables: the program's table names are configurable, staff's table can be renamed."""
    return (f"keep it and give the program's table another name (set airtable.tables.{spec.role} in config.yaml, "
            f"e.g. to 'Program {spec.name.lower()}', then run `init`), or rename this table in Airtable and run "
            f"`init`")


class AirtableAdmin:
    def __init__(self, client: AirtableClient, spec: BaseSpec):
        self.client = client
        self.spec = spec

    def token(self) -> list[Finding]:
        """The token is accepted; where Airtable lists its scopes, the jobs' scopes are among them."""
        try:
            me = self.client.api.whoami()
        except requests.HTTPError as exc:
            raise self.client.refused(exc, "the token check") from None
        env = self.client.settings.token_env
        out = [Finding(True, f"Airtable token in {env} accepted (user {me.get('id', '?')}).")]
        scopes = me.get("scopes")
        if isinstance(scopes, list):
            missing = [s for s in SCOPES if s not in scopes]
            if missing:
                out.append(Finding(False, f"the token in {env} lacks the scopes {', '.join(missing)}: add them to "
                                          f"the token."))
            if "schema.bases:write" not in scopes:
                out.append(Finding(True, f"the token in {env} cannot create tables (no schema.bases:write): `init` "
                                         f"needs it, the jobs do not."))
        return out

    @staticmethod
    def _field_finding(table: TableSpec, f: FieldSpec, fields: dict[str, dict],
                       tables: dict[str, dict] | None = None) -> Finding | None:
        have = fields.get(f.name)
        if have is None:
            near = next((n for n in fields if n.casefold() == f.name.casefold()), None)
            if near is not None:
                return Finding(False, f"table '{table.name}' has '{near}' where the configuration says '{f.name}' "
                                      f"({f.role}): Airtable matches field names exactly; rename one of them.")
            if f.optional:
                return Finding(True, f"table '{table.name}' has no field '{f.name}' ({f.role}, {f.type}, optional): "
                                     f"the jobs run without it; run `init` to add it.")
            return Finding(False, f"table '{table.name}' has no field '{f.name}' ({f.role}, {f.type}): run `init` "
                                  f"to add it.")
        if not f.allows(have["type"]):
            return Finding(False, _wrong_type(table, f, have, tables or {}))
        computed = _computed_finding(table, f, have)
        if computed is not None:
            return computed
        precision = (f.options or {}).get("precision")
        if precision is not None and have["type"] == "number" and \
                (have.get("options") or {}).get("precision", precision) < precision:
            return Finding(False, f"table '{table.name}' field '{f.name}' keeps "
                                  f"{have['options']['precision']} decimals, {precision} are needed: a rounded value "
                                  f"would be rewritten on every run; change its precision in Airtable.")
        return _options_finding(table, f, have)

    @staticmethod
    def _find(tables: dict[str, dict], spec: TableSpec) -> tuple[dict | None, str | None]:
        """The base's table of a spec, or else the name of one differing only in case (Airtable keeps table
        names unique whatever their case, so `init` cannot make the configured one beside it)."""
        table = tables.get(spec.name)
        near = None if table is not None else next((n for n in tables if n.casefold() == spec.name.casefold()), None)
        return table, near

    def ownership(self, spec: TableSpec, table: dict, count: bool = True) -> Ownership:
        """Whose one of the program's tables is: its description, and (reading only its key field) its records
        the program did not make. With `count` False, a table whose description says it is the program's is
        not read."""
        marked = MARK in (table.get("description") or "")
        if marked and not count:
            return Ownership(True, 0)
        key = spec.key if spec.key in table["by_name"] else None
        primary = next((f["name"] for f in table.get("fields", []) if f["id"] == table.get("primaryFieldId")), None)
        read = tuple(dict.fromkeys(f for f in (primary, key) if f))
        records = self.client.all_records(spec.name, list(read))
        foreign = tuple(r for r in records if key is None or not program_key(spec.role, r["fields"].get(key)))
        return Ownership(marked, len(records), foreign, key is not None and key == primary, read)

    @staticmethod
    def _ownership_findings(spec: TableSpec, own: Ownership) -> list[Finding]:
        out = []
        if not own.marked and not own.records:
            out.append(Finding(True, f"table '{spec.name}' is empty and was not made by `init`: `init` takes it over "
                                     f"(and says so in its description)."))
        elif not own.marked:
            out.append(Finding(True, f"table '{spec.name}' holds the program's records, but its description does not "
                                     f"say the program keeps it: run `init` to say so."))
        if own.foreign:
            n = len(own.foreign)
            them = "them" if n != 1 else "it"
            out.append(Finding(False, f"table '{spec.name}' holds {_plural(n, 'record')} the program did not make (no "
                                      f"key of its shape, {KEY_SAYINGS[spec.role]}): {named(own.foreign, own.read)}. "
                                      f"The jobs never change or delete {them}; move {them} to a table of staff's own.",
                               blocking=False))
        return out

    def check(self) -> list[Finding]:
        out = self.token()
        tables = self.client.schema()
        out.append(Finding(True, f"Airtable base {self.client.settings.base_id} reachable: {len(tables)} tables."))
        for spec in self.spec.tables.values():
            table, near = self._find(tables, spec)
            if table is None:
                out.append(Finding(False, f"the base has a table '{near}' where the configuration says '{spec.name}' "
                                          f"({spec.role}): Airtable table names are unique whatever their case; "
                                          f"rename one of them (airtable.tables.{spec.role} in config.yaml, or the "
                                          f"table in Airtable).") if near is not None else
                           Finding(False, f"table '{spec.name}' ({spec.role}) is missing: run `init` to create it."))
                continue
            own = self.ownership(spec, table) if spec.role in DESCRIPTIONS else None
            if own is not None and own.someone_elses:
                out.append(Finding(False, f"table '{spec.name}' ({spec.role}) was not made by `init` and holds "
                                          f"{_plural(len(own.foreign), 'record')} that are not the program's "
                                          f"({named(own.foreign, own.read)}): the jobs must not write into it; "
                                          f"{rename_hint(spec)}."))
                continue
            wrong = [w for f in spec.fields
                     if (w := self._field_finding(spec, f, table["by_name"], tables)) is not None]
            if spec.owned and spec.fields[0].name in table["by_name"] and \
                    table.get("primaryFieldId") != table["by_name"][spec.fields[0].name]["id"]:
                wrong.append(Finding(False, f"table '{spec.name}': '{spec.key}' must be the primary field "
                                            f"(the record's key).", blocking=False))
            out += wrong if any(not w.ok for w in wrong) else [
                Finding(True, f"table '{spec.name}': all {len(spec.fields) - len(wrong)} fields present with "
                              f"their types."), *wrong]
            if own is not None:
                out += self._ownership_findings(spec, own)
        return out

    def lacks(self, roles: Sequence[str]) -> list[str]:
        """The tables of these roles the base does not have under their configured names (the schema `check`
        read: no further request)."""
        tables = self.client.schema()
        return [f"table '{self.spec[r].name}'" for r in roles if r in self.spec.tables and
                self.spec[r].name not in tables]

    def init(self, dry_run: bool) -> list[str]:
        """Create what is missing; return one line per table or field created (or that would be). A table of
        the program's names that is someone else's stops it before anything is changed."""
        tables = self.client.schema()
        owners: dict[str, Ownership] = {}
        refused = []
        for spec in self.spec.tables.values():
            table, near = self._find(tables, spec)
            if near is not None:
                refused.append(f"the base has a table '{near}' where the configuration says '{spec.name}', and "
                               f"Airtable table names are unique whatever their case: rename one of them "
                               f"(airtable.tables.{spec.role} in config.yaml, or the table in Airtable)")
            elif table is not None and spec.role in DESCRIPTIONS:
                own = owners[spec.role] = self.ownership(spec, table, count=False)
                if own.someone_elses:
                    refused.append(f"the base already has a table '{spec.name}' ({_plural(own.records, 'record')}) "
                                   f"that `init` did not make and whose records are not the program's; "
                                   f"{rename_hint(spec)}")
        if refused:
            raise StopRun(f"init changed nothing (no table, field or record): {'; '.join(refused)}.")
        done: list[str] = []
        verb = "would create" if dry_run else "created"
        for spec in self.spec.tables.values():
            table = tables.get(spec.name)
            if table is None:
                done.append(f"{verb} table '{spec.name}' with {len(spec.fields)} fields "
                            f"({', '.join(f.name for f in spec.fields)})")
                if not dry_run:
                    self._create_table(spec)
                continue
            known = owners.get(spec.role)
            if known is not None and not known.marked:
                if known.records:
                    done.append(f"{'would mark' if dry_run else 'marked'} table '{spec.name}' as the program's in "
                                f"its description (the records it holds are the program's)")
                else:
                    done.append(f"{'would take' if dry_run else 'took'} over the empty table '{spec.name}' (not "
                                f"made by `init`): its description {'would say' if dry_run else 'now says'} the "
                                f"program keeps it")
                if not dry_run:
                    self._describe(spec, table)
            names = {n.casefold() for n in table["by_name"]}
            for f in spec.fields:
                if f.name.casefold() not in names:  # one differing only in case is doctor's to report
                    done.append(f"{verb} field '{f.name}' ({f.type}) in table '{spec.name}'")
                    if not dry_run:
                        self._create(f"meta/bases/{self.client.settings.base_id}/tables/{table['id']}/fields",
                                     f.create_body(), f"the field '{f.name}' in '{spec.name}'")
        return done

    def _describe(self, spec: TableSpec, table: dict) -> None:
        """Say in a table's description that the program keeps it (an update by id: a retry is harmless)."""
        self.client.forget_schema()  # the next look at the base reads the description as it now is
        try:
            self.client.api.patch(self.client.api.build_url(
                f"meta/bases/{self.client.settings.base_id}/tables/{table['id']}"),
                json={"description": DESCRIPTIONS[spec.role]})
        except requests.HTTPError as exc:
            what = f"describing the table '{spec.name}'"
            if reply_of(exc).status_code in (401, 403):
                what += " (the token needs schema.bases:write)"
            raise self.client.refused(exc, what) from None

    def _create_table(self, spec: TableSpec) -> None:
        body = {"name": spec.name, "fields": [f.create_body() for f in spec.fields]}
        if spec.role in DESCRIPTIONS:
            body["description"] = DESCRIPTIONS[spec.role]
        self._create(f"meta/bases/{self.client.settings.base_id}/tables", body, f"the table '{spec.name}'")

    def _create(self, path: str, body: dict, what: str) -> None:
        """Create a table or a field. A retry after a lost reply finds it made already: that is done."""
        self.client.forget_schema()  # the next look at the base (a job after `init`) reads what is there now
        try:
            self.client.api.post(self.client.api.build_url(path), json=body)
        except requests.HTTPError as exc:
            if reply_of(exc).status_code == 422 and "DUPLICATE" in error_type(exc):
                return
            if reply_of(exc).status_code in (401, 403):
                raise self.client.refused(exc, f"creating {what} (the token needs schema.bases:write)") from None
            raise self.client.refused(exc, f"creating {what}") from None


def _linked_name(have: dict, tables: dict[str, dict]) -> str:
    target = (have.get("options") or {}).get("linkedTableId")
    return next((t["name"] for t in tables.values() if t.get("id") == target), "another table")


def _wrong_type(table: TableSpec, f: FieldSpec, have: dict, tables: dict[str, dict]) -> str:
    """Why a field's type will not do, and the fix."""
    kind, where = have["type"], f"table '{table.name}' field '{f.name}'"
    wanted = " or ".join(dict.fromkeys((f.type, *f.accepts)))
    if kind == LINK and f.written:
        linked = _linked_name(have, tables)
        return (f"{where} is a linked-record field (to '{linked}'), expected {wanted}: the program writes text "
                f"there, which Airtable would turn into new records of '{linked}', so every write to it is refused; "
                f"change its type to {f.type} in Airtable (keep a link under another name).")
    if f.written:
        return f"{where} is {kind}, expected {wanted}: the jobs write it; change its type in Airtable."
    key = f" or name another field in ambassadors.fields.{f.role}" if table.role == "ambassadors" else ""
    return (f"{where} is {kind}, expected {wanted}: the jobs cannot read the {f.role.replace('_', ' ')} from a "
            f"{kind} field; change its type in Airtable{key}.")


def _computed_finding(table: TableSpec, f: FieldSpec, have: dict) -> Finding | None:
    """A lookup, formula or rollup the jobs read: it must be valid and give a value they can read."""
    if have["type"] not in COMPUTED or f.written:
        return None
    options = have.get("options") or {}
    where = f"table '{table.name}' field '{f.name}' ({f.role})"
    if options.get("isValid") is False:
        return Finding(False, f"{where} is a {have['type']} that Airtable reports as broken (isValid false): the "
                              f"jobs read nothing from it; repair it in Airtable.")
    result = (options.get("result") or {}).get("type")
    if result and not f.allows(result):
        wanted = " or ".join(t for t in dict.fromkeys((f.type, *f.accepts)) if t not in COMPUTED)
        return Finding(False, f"{where} is a {have['type']} giving {result}, which the jobs cannot read as the "
                              f"{f.role.replace('_', ' ')}: make it give {wanted} in Airtable.")
    return None


def _options_finding(table: TableSpec, f: FieldSpec, have: dict) -> Finding | None:
    """A select the jobs write must have every option they write (they never add one: a token whose user is an
    Editor cannot, and a field is staff's); a select they read (Status) should hold only words that mean
    something, and every word staff mapped."""
    if have["type"] not in SELECTS or not f.choices or not (f.written or f.words_key):
        return None
    options = options_of(have)
    where = f"table '{table.name}' field '{f.name}'"
    if f.written:
        missing = [c for c in f.choices if c not in options]
        if not missing:
            return None
        near = {word_key(o): o for o in options}
        alike = [f"'{near[word_key(m)]}' for '{m}'" for m in missing if word_key(m) in near]
        case = f" (it has {', '.join(alike)}: options are matched exactly, case too)" if alike else ""
        mapped = f", or map each to one of its options with {f.words_key}" if f.words_key else ""
        return Finding(False, f"{where} lacks the option{'s' if len(missing) > 1 else ''} {quoted(missing)} that "
                              f"the jobs write (it has {quoted(options) or 'none'}){case}: add "
                              f"{'them' if len(missing) > 1 else 'it'} to the field in Airtable{mapped}; the jobs "
                              f"never add an option (a token whose user is an Editor cannot), they stop first.")
    known = {word_key(c) for c in f.choices}
    held = {word_key(o) for o in options}
    unmapped = [o for o in options if word_key(o) not in known]
    lacking = [w for w in f.needs if word_key(w) not in held]
    said = []
    if unmapped:
        many = len(unmapped) > 1
        said.append(f"its option{'s' if many else ''} {quoted(unmapped)} mean{'' if many else 's'} no status, so an "
                    f"ambassador with one is skipped as a data problem: map each to a status with {f.words_key} "
                    f"(like paused: [{unmapped[0]}])")
    if lacking:
        said.append(f"it has no option {' nor '.join(quoted([w]) for w in lacking)}, which {f.words_key} maps: "
                    f"add it in Airtable, or take it out of {f.words_key}")
    if not said:
        return None
    return Finding(False, f"{where}: {'; '.join(said)}.", blocking=False)
