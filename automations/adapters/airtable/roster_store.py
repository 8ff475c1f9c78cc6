"""`AirtableRosterStore`: the roster as staff's own Ambassadors table in the Airtable base.

Records are read once per run with only the configured fields and checked by the same rules
as the CSV roster (`domain.checkins.parse_roster`), so a bad cell is reported the same way on
both backends. The optional Status history field may be missing from the base: the table is
then read without it. Only the standing fields are ever written, by record id, and only where
their values change; every field staff added is left alone.

Staff's fields come in the shapes Airtable's API gives them (pyairtable's `api/types.py`, Airtable's
field model), and each is read as the text a person sees in the cell, or, where that text would be
read wrong, as a data problem of the row (`CellFlaw`: the cell is read as empty, the rest goes on):
- a lookup, a rollup or a multiple select is an array: its distinct values joined ("pt; en"). An
  Email that holds several addresses is a problem of the row (`parse_roster`), and so is a Country or
  Region that holds several (referrals match one);
- a linked record is an array of record ids: read through the linked table's primary field (the
  schema says which table, one metadata request, then one read of that table), never as `recXXXX`; a
  link to a record whose primary field is empty or errs, or that the table no longer holds, is a problem;
- a collaborator is {id, email, name} (only `id` is sure): its email in the Email field (one without
  an email is a problem there), its name anywhere else;
- a date-time is ISO 8601 in UTC ("2024-01-10T23:30:00.000Z"): the Start date is its day in the
  program's time zone. A formula, rollup or lookup whose result is a date (`options.result.type`
  "date" in the schema) is that date ("2024-07-01", or "2024-07-01T00:00:00.000Z"), never shifted a day;
- a formula's error ({"error": "#ERROR!"}, also "#NUM!", "#DIV/0!"...) or its {"specialValue": "NaN"}
  (pyairtable's `is_airtable_error`) is a problem naming the field, the value and the fix;
- a checkbox (true), or an object of any other kind (an attachment, a barcode), says nothing the roster
  reads: a problem.
The standing and perks are written in staff's words (`RosterWords`), without typecast, and only as
options the fields already have (`AirtableClient.check_writable` stops the run before any write).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, tzinfo

from ...domain.checkins import RosterLayout, parse_roster
from ...domain.model import Ambassador, Problem
from ...domain.values import normalize_email
from ...domain.words import OUR_WORDS, RosterWords
from ...ports import StandingUpdate, Written
from .cells import _DATE_TIME, Linked, Reading, cell_text, linked_tables, read_cell, result_type
from .client import AirtableClient, same
from .schema import TableSpec


class AirtableRosterStore:
    def __init__(self, client: AirtableClient, spec: TableSpec, fields: Mapping[str, str],
                 standing_fields: Mapping[str, str], date_order: str = "", words: RosterWords = OUR_WORDS,
                 tz: tzinfo = UTC):
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
        self._readings: list[dict[str, Reading]] | None = None  # ... and each record's roster fields, by role
        # Read on every run: only what staff changed is asked for (whole if it has lookups); the standing fields are
        # the program's own, its writes to them never come back.
        standing = set(self.standing_fields.values())
        client.mirror(spec.name, [t for t in dict.fromkeys(self.fields.values()) if t not in standing])

    def _all(self) -> list[dict]:
        if self._records is None:
            names = list(dict.fromkeys([*self.fields.values(), *self.standing_fields.values()]))
            # A base without an optional field (Status history) is read without it.
            optional = [f.name for f in self.spec.fields if f.optional and f.name in names]
            self._records = self.client.all_records(self.spec.name, [n for n in names if n not in optional],
                                                    optional)
        return self._records

    def _read(self) -> list[dict[str, Reading]]:
        """Each record's roster fields as read, by role, in the records' order."""
        if self._readings is None:
            records = self._all()
            linked = self._linked(records)
            dates = self._date_only(records)
            self._readings = [{role: read_cell(r["fields"].get(title), role, self.tz, role == "start_date" and dates,
                                               linked.get(title))
                               for role, title in self.fields.items()} for r in records]
        return self._readings

    def _field(self, title: str) -> dict:
        """A field of the roster table as the schema gives it ({} when the schema lacks it)."""
        return self.client.schema().get(self.spec.name, {"by_name": {}})["by_name"].get(title, {})

    def _date_only(self, records: list[dict]) -> bool:
        """Whether the Start date field gives dates (a formula, rollup or lookup whose result is `date`) rather
        than date-times. Costs one metadata request, and only when a Start date cell holds a date-time."""
        title = self.fields.get("start_date", "")

        def timed(v: object) -> bool:
            return any(map(timed, v)) if isinstance(v, list) else isinstance(v, str) and bool(_DATE_TIME.match(v))

        if not any(timed(r["fields"].get(title)) for r in records):
            return False
        return result_type(self._field(title)) == "date"

    def _linked(self, records: list[dict]) -> dict[str, Linked]:
        return linked_tables(self.client, self.spec.name, self.fields.values(), records, self.tz)

    def read(self) -> tuple[list[Ambassador], list[Problem]]:
        roles = list(self.fields)
        readings = self._read()
        rows = [[r[role].text for role in roles] for r in readings]
        flaws = {(n, role): cell.flaw for n, r in enumerate(readings, start=2) for role, cell in r.items()
                 if cell.flaw is not None}
        return parse_roster([self.fields[role] for role in roles], rows, self.layout, flaws)

    def _email(self, i: int) -> str:
        return normalize_email(self._read()[i]["email"].text)

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
