"""`AirtableRosterStore`: the roster as staff's own Ambassadors table in the Airtable base.

Records are read once per run with only the configured fields and checked by the same rules
as the CSV roster (`domain.checkins.parse_roster`), so a bad cell is reported the same way on
both backends. The optional Status history field may be missing from the base: the table is
then read without it. Only the standing fields are ever written, by record id, and only where
their values change; every field staff added is left alone.
"""

from __future__ import annotations

from typing import Mapping

from ..domain.checkins import RosterLayout, parse_roster
from ..domain.model import Ambassador, Problem
from ..domain.values import normalize_email
from ..ports import StandingUpdate, Written
from .airtable_client import AirtableClient, same
from .airtable_schema import TableSpec


def cell_text(value: object) -> str:
    """A cell as the roster rules read it: a multiple select as "a; b", a number without ".0"."""
    if value is None or value is False:
        return ""
    if value is True:
        return "yes"
    if isinstance(value, list):
        return "; ".join(cell_text(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):  # a collaborator or a linked item: its name
        return str(value.get("name") or value.get("email") or "")
    return str(value)


class AirtableRosterStore:
    def __init__(self, client: AirtableClient, spec: TableSpec, fields: Mapping[str, str],
                 standing_fields: Mapping[str, str], date_order: str = ""):
        self.client = client
        self.spec = spec
        self.fields = dict(fields)
        self.standing_fields = dict(standing_fields)
        self.where = f"Airtable table {spec.name}"
        self.source = spec.name  # what its problems name
        self.layout = RosterLayout(spec.name, self.fields, date_order)
        self._records: list[dict] | None = None  # read once per run

    def _all(self) -> list[dict]:
        if self._records is None:
            names = list(dict.fromkeys([*self.fields.values(), *self.standing_fields.values()]))
            # A base without an optional field (Status history) is read without it.
            optional = [f.name for f in self.spec.fields if f.optional and f.name in names]
            self._records = self.client.all_records(self.spec.name, [n for n in names if n not in optional],
                                                    optional)
        return self._records

    def read(self) -> tuple[list[Ambassador], list[Problem]]:
        headers = list(self.fields.values())
        rows = [[cell_text(r["fields"].get(h)) for h in headers] for r in self._all()]
        return parse_roster(headers, rows, self.layout)

    def write_standings(self, updates: Mapping[str, StandingUpdate], dry_run: bool = False) -> Written:
        """Update the standing fields that differ, by record id (with `dry_run`: only count them)."""
        titles = self.standing_fields
        email_title = self.fields["email"]
        changes: list[tuple[dict, dict]] = []
        seen: set[str] = set()
        for record in self._all():
            email = normalize_email(cell_text(record["fields"].get(email_title)))
            update = updates.get(email)
            if update is None or email in seen:
                continue  # a second record with the same email is reported by read(), not written
            seen.add(email)
            wanted = {titles["standing"]: update.standing, titles["streak"]: update.streak,
                      titles["perks"]: list(update.perks),
                      titles["last_checkin"]: update.last_checkin.isoformat() if update.last_checkin else None}
            if not same(record["fields"], wanted, wanted):
                changes.append((record, wanted))
        written = Written(updated=len(changes), where=self.where)
        if dry_run:
            return written
        self.client.update(self.spec.name, [(record["id"], wanted) for record, wanted in changes])
        for record, wanted in changes:
            record["fields"].update(wanted)
        return written

    def standings(self) -> dict[str, str]:
        """The Standing field (as compliance last wrote it), by normalised email."""
        email, standing = self.fields["email"], self.standing_fields["standing"]
        return {normalize_email(cell_text(r["fields"].get(email))): cell_text(r["fields"].get(standing))
                for r in self._all()}
