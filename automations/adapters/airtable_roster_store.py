"""`AirtableRosterStore`: the roster as staff's own Ambassadors table in the Airtable base.

Records are read once per run with only the configured fields and checked by the same rules
as the CSV roster (`domain.checkins.parse_roster`), so a bad cell is reported the same way on
both backends. The optional Status history field may be missing from the base: the table is
then read without it. Only the standing fields are ever written, by record id, and only where
their values change; every field staff added is left alone.

Staff's fields come in the shapes Airtable's API gives them (pyairtable's `api/types.py`), and each
is read as the text a person sees in the cell:
- a lookup, a rollup or a multiple select is an array: its values joined ("pt; en"); an Email that
  holds several addresses is a data problem of the row (`parse_roster`);
- a linked record is an array of record ids: read through the linked table's primary field (the
  schema says which table, one metadata request, then one read of that table), never as `recXXXX`;
- a collaborator is {id, email, name}: its email in the Email field, its name anywhere else;
- a date-time is ISO 8601 in UTC ("2024-01-10T23:30:00.000Z"): the Start date is its day in the
  program's time zone;
- a formula's error ({"error": "#ERROR!"}) is read as that text, so its problem shows it.
The standing and perks are written in staff's words (`RosterWords`), without typecast, and only as
options the fields already have (`AirtableClient.check_writable` stops the run before any write).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo
from typing import Iterable, Mapping

from ..domain.checkins import RosterLayout, parse_roster
from ..domain.model import Ambassador, Problem
from ..domain.values import normalize_email
from ..domain.words import OUR_WORDS, RosterWords
from ..ports import StandingUpdate, Written
from .airtable_client import AirtableClient, same
from .airtable_schema import TableSpec

_RECORD_ID = re.compile(r"^rec[A-Za-z0-9]{14}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def cell_text(value: object) -> str:
    """A cell as the roster rules read it: a multiple select as "a; b", a number without ".0"."""
    return role_text(value, "")


def role_text(value: object, role: str, tz: tzinfo = timezone.utc, names: Mapping[str, str] | None = None) -> str:
    """A cell of the field that holds `role` as text (see the module docstring); `names`: the primary-field
    values of the linked records, when the field is a linked-record field."""
    if value is None or value is False:
        return ""
    if value is True:
        return "yes"
    if isinstance(value, list):
        return "; ".join(t for t in (role_text(v, role, tz, names) for v in value) if t)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        if "error" in value or "specialValue" in value:  # a formula that failed, or gave NaN/Infinity
            return str(value.get("error") or value.get("specialValue"))
        if role == "email":  # a collaborator: their address
            return str(value.get("email") or "")
        return str(value.get("name") or value.get("email") or "")  # a collaborator, or a linked item
    if isinstance(value, str):
        if names is not None and value in names:
            return names[value]
        if role == "start_date" and _DATE_TIME.match(value):
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(tz).date().isoformat()
    return str(value)


def _linked_table(field: dict) -> str:
    """The id of the table a field's record ids point into: a linked-record field, or a lookup or rollup of
    one; "" for any other field."""
    options = field.get("options") or {}
    if field.get("type") == "multipleRecordLinks":
        return options.get("linkedTableId", "")
    result = options.get("result") or {}
    if result.get("type") == "multipleRecordLinks":
        return (result.get("options") or {}).get("linkedTableId", "")
    return ""


def linked_names(client: AirtableClient, table: str, titles: Iterable[str], records: list[dict],
                 tz: tzinfo = timezone.utc) -> dict[str, dict[str, str]]:
    """For each of these fields of `table` holding record ids: the linked records' primary-field values by id.
    Costs one metadata request (the run's schema) and one read of each linked table, and only when a field
    holds record ids."""
    linked = [title for title in dict.fromkeys(titles)
              if any(isinstance(v, list) and v and all(isinstance(x, str) and _RECORD_ID.match(x) for x in v)
                     for v in (r["fields"].get(title) for r in records))]
    if not linked:
        return {}
    fields = client.schema().get(table, {"by_name": {}})["by_name"]
    by_table: dict[str, dict[str, str]] = {}
    out: dict[str, dict[str, str]] = {}
    for title in linked:
        target = client.table_named(_linked_table(fields.get(title, {})))
        if target is None:
            continue  # not a link after all (text that looks like record ids): read as it is
        if target["id"] not in by_table:
            primary = next(f for f in target["fields"] if f["id"] == target["primaryFieldId"])
            rows = client.all_records(target["name"], [primary["name"]])
            by_table[target["id"]] = {r["id"]: role_text(r["fields"].get(primary["name"]), "", tz) for r in rows}
        out[title] = by_table[target["id"]]
    return out


class AirtableRosterStore:
    def __init__(self, client: AirtableClient, spec: TableSpec, fields: Mapping[str, str],
                 standing_fields: Mapping[str, str], date_order: str = "", words: RosterWords = OUR_WORDS,
                 tz: tzinfo = timezone.utc):
        self.client = client
        self.spec = spec
        self.fields = dict(fields)
        self.standing_fields = dict(standing_fields)
        self.words = words
        self.tz = tz
        self.where = f"Airtable table {spec.name}"
        self.source = spec.name  # what its problems name
        self.layout = RosterLayout(spec.name, self.fields, date_order, words)
        self._records: list[dict] | None = None  # read once per run
        self._texts: list[dict[str, str]] | None = None  # ... and each record's fields as text

    def _all(self) -> list[dict]:
        if self._records is None:
            names = list(dict.fromkeys([*self.fields.values(), *self.standing_fields.values()]))
            # A base without an optional field (Status history) is read without it.
            optional = [f.name for f in self.spec.fields if f.optional and f.name in names]
            self._records = self.client.all_records(self.spec.name, [n for n in names if n not in optional],
                                                    optional)
        return self._records

    def _text(self) -> list[dict[str, str]]:
        """Each record's roster fields as text, in the records' order."""
        if self._texts is None:
            records = self._all()
            names = self._linked_names(records)
            self._texts = [{title: role_text(r["fields"].get(title), role, self.tz, names.get(title))
                            for role, title in self.fields.items()} for r in records]
        return self._texts

    def _linked_names(self, records: list[dict]) -> dict[str, dict[str, str]]:
        return linked_names(self.client, self.spec.name, self.fields.values(), records, self.tz)

    def read(self) -> tuple[list[Ambassador], list[Problem]]:
        headers = list(self.fields.values())
        rows = [[t[h] for h in headers] for t in self._text()]
        return parse_roster(headers, rows, self.layout)

    def _email(self, i: int) -> str:
        return normalize_email(self._text()[i][self.fields["email"]])

    def write_standings(self, updates: Mapping[str, StandingUpdate], dry_run: bool = False) -> Written:
        """Update the standing fields that differ, by record id (with `dry_run`: only count them). Standing and
        perks go in staff's words; a word that is not an option of its field stops the run before any write,
        in a dry run too."""
        titles = self.standing_fields
        w = self.words
        changes: list[tuple[dict, dict]] = []
        seen: set[str] = set()
        for i, record in enumerate(self._all()):
            email = self._email(i)
            update = updates.get(email)
            if update is None or email in seen:
                continue  # a second record with the same email is reported by read(), not written
            seen.add(email)
            wanted = {titles["standing"]: w.standing_word(update.standing), titles["streak"]: update.streak,
                      titles["perks"]: [w.perk_word(p) for p in update.perks],
                      titles["last_checkin"]: update.last_checkin.isoformat() if update.last_checkin else None}
            if not same(record["fields"], wanted, wanted):
                changes.append((record, wanted))
        written = Written(updated=len(changes), where=self.where)
        fixes = {titles["standing"]: ", or map the standing to one of its options with ambassadors.standing_values",
                 titles["perks"]: ", or map the perk to one of its options with ambassadors.perk_values"}
        if changes:
            self.client.check_writable(self.spec.name, [wanted for _, wanted in changes], fixes)
        if dry_run:
            return written
        self.client.update(self.spec.name, [(record["id"], wanted) for record, wanted in changes], typecast=False,
                           fixes=fixes)
        for record, wanted in changes:
            record["fields"].update(wanted)
        return written

    def standings(self) -> dict[str, str]:
        """The Standing field (as compliance last wrote it, read back in our words), by normalised email."""
        standing = self.standing_fields["standing"]
        return {self._email(i): self.words.standing_of(cell_text(r["fields"].get(standing)))
                for i, r in enumerate(self._all())}
