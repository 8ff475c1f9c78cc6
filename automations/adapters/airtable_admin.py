"""`AirtableAdmin`: `init` and `doctor` for the Airtable backend, through the metadata API.

`init` creates the tables and fields of `airtable_schema` that the base lacks, with their
types, and leaves every existing table and field (staff's included) alone. `check` compares
the base with the specs and says, one finding a line, what is missing or of the wrong type.
"""

from __future__ import annotations

import requests

from ..ports import Finding
from ..domain.words import quoted, word_key
from .airtable_client import SELECTS, AirtableClient, error_type, options_of
from .airtable_schema import COMPUTED, LINK, BaseSpec, FieldSpec, TableSpec

# What the jobs need of a personal access token (init also needs schema.bases:write).
SCOPES = ("data.records:read", "data.records:write", "schema.bases:read")


class AirtableAdmin:
    def __init__(self, client: AirtableClient, spec: BaseSpec):
        self.client = client
        self.spec = spec

    def _schema(self) -> dict[str, dict]:
        """The base's tables by name, each with its fields by name (one metadata request)."""
        try:
            data = self.client.api.get(self.client.api.build_url(f"meta/bases/{self.client.settings.base_id}/tables"))
        except requests.HTTPError as exc:
            raise self.client.refused(exc, f"the base {self.client.settings.base_id}") from None
        return {t["name"]: {**t, "by_name": {f["name"]: f for f in t.get("fields", [])}} for t in data["tables"]}

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

    def check(self) -> list[Finding]:
        out = self.token()
        tables = self._schema()
        out.append(Finding(True, f"Airtable base {self.client.settings.base_id} reachable: {len(tables)} tables."))
        for spec in self.spec.tables.values():
            table = tables.get(spec.name)
            if table is None:
                out.append(Finding(False, f"table '{spec.name}' ({spec.role}) is missing: run `init` to create it."))
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
        return out

    def init(self, dry_run: bool) -> list[str]:
        """Create what is missing; return one line per table or field created (or that would be)."""
        tables = self._schema()
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
            names = {n.casefold() for n in table["by_name"]}
            for f in spec.fields:
                if f.name.casefold() not in names:  # one differing only in case is doctor's to report
                    done.append(f"{verb} field '{f.name}' ({f.type}) in table '{spec.name}'")
                    if not dry_run:
                        self._create(f"meta/bases/{self.client.settings.base_id}/tables/{table['id']}/fields",
                                     f.create_body(), f"the field '{f.name}' in '{spec.name}'")
        return done

    def _create_table(self, spec: TableSpec) -> None:
        self._create(f"meta/bases/{self.client.settings.base_id}/tables",
                     {"name": spec.name, "fields": [f.create_body() for f in spec.fields]}, f"the table '{spec.name}'")

    def _create(self, path: str, body: dict, what: str) -> None:
        """Create a table or a field. A retry after a lost reply finds it made already: that is done."""
        try:
            self.client.api.post(self.client.api.build_url(path), json=body)
        except requests.HTTPError as exc:
            if exc.response.status_code == 422 and "DUPLICATE" in error_type(exc):
                return
            if exc.response.status_code in (401, 403):
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
