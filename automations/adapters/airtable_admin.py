"""`AirtableAdmin`: `init` and `doctor` for the Airtable backend, through the metadata API.

`init` creates the tables and fields of `airtable_schema` that the base lacks, with their
types, and leaves every existing table and field (staff's included) alone. `check` compares
the base with the specs and says, one finding a line, what is missing or of the wrong type.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from ..errors import StopRun
from .airtable_client import AirtableClient
from .airtable_schema import BaseSpec, TableSpec


@dataclass(frozen=True)
class Finding:
    ok: bool
    text: str
    blocking: bool = True  # a failed finding that stops the jobs from running


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

    def whoami(self) -> str:
        try:
            me = self.client.api.whoami()
        except requests.HTTPError as exc:
            raise self.client.refused(exc, "the token check") from None
        return me.get("id", "?")

    def check(self) -> list[Finding]:
        out = [Finding(True, f"Airtable token in {self.client.settings.token_env} accepted (user {self.whoami()}).")]
        tables = self._schema()
        out.append(Finding(True, f"Airtable base {self.client.settings.base_id} reachable: {len(tables)} tables."))
        for spec in self.spec.tables.values():
            table = tables.get(spec.name)
            if table is None:
                out.append(Finding(False, f"table '{spec.name}' ({spec.role}) is missing: run `init` to create it."))
                continue
            wrong = []
            for f in spec.fields:
                have = table["by_name"].get(f.name)
                if have is None:
                    wrong.append(Finding(False, f"table '{spec.name}' has no field '{f.name}' ({f.role}, {f.type}): "
                                                f"run `init` to add it."))
                elif not f.allows(have["type"]):
                    wanted = " or ".join(dict.fromkeys((f.type, *f.accepts)))
                    wrong.append(Finding(False, f"table '{spec.name}' field '{f.name}' is {have['type']}, "
                                                f"expected {wanted}: change its type in Airtable."))
            if spec.owned and spec.fields[0].name in table["by_name"] and \
                    table.get("primaryFieldId") != table["by_name"][spec.fields[0].name]["id"]:
                wrong.append(Finding(False, f"table '{spec.name}': '{spec.key}' must be the primary field "
                                            f"(the record's key).", blocking=False))
            out += wrong or [Finding(True, f"table '{spec.name}': all {len(spec.fields)} fields present with "
                                           f"their types.")]
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
            for f in spec.fields:
                if f.name not in table["by_name"]:
                    done.append(f"{verb} field '{f.name}' ({f.type}) in table '{spec.name}'")
                    if not dry_run:
                        self._create_field(table["id"], spec, f.create_body())
        return done

    def _create_table(self, spec: TableSpec) -> None:
        try:
            self.client.base.create_table(spec.name, [f.create_body() for f in spec.fields])
        except requests.HTTPError as exc:
            raise self.client.refused(exc, f"creating the table '{spec.name}'") from None

    def _create_field(self, table_id: str, spec: TableSpec, body: dict) -> None:
        url = self.client.api.build_url(f"meta/bases/{self.client.settings.base_id}/tables/{table_id}/fields")
        try:
            self.client.api.post(url, json=body)
        except requests.HTTPError as exc:
            raise StopRun(f"Airtable refused to add the field '{body['name']}' to '{spec.name}' "
                          f"({exc.response.status_code}); the token needs the schema.bases:write scope.") from None
