"""Canonical text (`domain.migration`) as the fields of an Airtable base take it, for `migrate`.

Writing goes by the base's own schema: a number rounded as its field keeps it, a date as ISO, a
date-time in UTC, a select as one of the field's options (the option spelled as the field has it
when only case or spacing differ; a value it lacks becomes a new option through typecast, which the
plan names first); a link as the record ids of the linked table's records whose primary field reads
as the value (exactly, else without case or spacing; "a; b" links two), read once per run, never
typecast text (which would create records there); a collaborator as {"email"} of one the base's
collaborator cells already name (Airtable's API lists no base's collaborators). Each comes with what
the field then holds, as `AirtableProgramTables.read` reads it back, so a second migration writes
nothing. A value no field of that type can take is `Refused`, with the end of a sentence saying why.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ...domain.funding import parse_amount
from ...domain.migration import AMOUNT, MULTI, NUMBER, canonical, items, utc_text
from ...domain.values import normalize_email, parse_date
from ...domain.words import word_key
from .cells import Linked, linked_table_of, read_linked
from .client import AirtableClient

MAX_TEXT = 100_000  # the most characters an Airtable text cell holds (Airtable support: single line and long text)
_TEXT = {"singleLineText", "multilineText", "email", "url", "phoneNumber", "richText"}
_DATES = ("%Y-%m-%d", "%d/%m/%Y")  # a date people typed, as the staff tables' rules read it
_TRUE, _FALSE = {"yes", "true", "1", "x", "checked"}, {"no", "false", "0"}
_PEOPLE = {"singleCollaborator", "multipleCollaborators"}  # the collaborator fields migrate writes
_USERS = _PEOPLE | {"createdBy", "lastModifiedBy"}  # the fields whose cells name a collaborator of the base
BY_EMAIL = ("email", "contact_email", "ambassador", "author")  # the roles a collaborator gives by email
_SEVERAL = re.compile(r"\s*;\s*")


def cut(text: str) -> str:
    """A value as a message shows it: a long one by its start."""
    return text if len(text) <= 80 else text[:60] + "..."


class Refused(ValueError):
    """A value a field cannot take: the end of a sentence saying why."""


class FieldValues:
    """What to send into each field of one base for a canonical text; the linked tables and the base's
    collaborators it needs are read once (for the life of the `AirtableProgramTables` that holds it: one run)."""

    def __init__(self, client: AirtableClient):
        self.client = client
        self._linked: dict[str, Linked] = {}  # the tables links point into, by table id (each read once)
        self._people: dict[str, dict] | None = None  # the collaborators the base's cells name, by email as compared

    def convert(self, field: dict, kind: str, text: str, role: str = "") -> tuple[object, str, list[tuple[str, str]]]:
        """What to send for this text (of the field holding `role`), what the field then holds (as canonical text,
        or as `read` reads it), and notes when that is not the text as it was ("option": a new option, "case":
        written as an option spelled otherwise, "rounded")."""
        kind_here = field["type"]
        if kind_here == "multipleRecordLinks":
            return self._links(field, text)
        if kind_here in _PEOPLE:
            return self._collaborators(field, text, role)
        if kind_here in _TEXT:
            if len(text) > MAX_TEXT:
                raise Refused(f"is {len(text):,} characters long, more than the {MAX_TEXT:,} an Airtable text field "
                               f"holds (shorten it in the source)")
            return text, text, []
        if kind_here in ("number", "currency", "percent"):
            if kind == AMOUNT:  # as the funding job reads it; one it cannot read stays a problem, never a number
                try:
                    d = parse_amount(text)
                except ValueError as exc:
                    raise Refused(f"{exc}, so the funding job cannot use it, and a number field cannot keep it as "
                                   f"it is (correct it in the source, or make the field a text field)") from None
                if d is None:
                    raise Refused("is not an amount")
            else:
                try:
                    d = Decimal(text.strip())
                except InvalidOperation:
                    raise Refused("is not a number") from None
            if not d.is_finite():
                raise Refused("is not a number")
            places = int((field.get("options") or {}).get("precision", 0) or 0)
            rounded = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
            if kind == AMOUNT and rounded != d:
                raise Refused(f"would be kept as {canonical(NUMBER, str(rounded))} (the field keeps {places} "
                               f"decimals), another amount for the funding job (give the field more decimals)")
            value: object = int(rounded) if rounded == rounded.to_integral_value() else float(rounded)
            back = canonical(NUMBER, value)
            return value, back, ([("rounded", f"'{text}' kept as {back}")] if back != canonical(NUMBER, text)
                                 else [])
        if kind_here == "date":
            try:
                day = parse_date(text, _DATES).isoformat()
            except ValueError:
                raise Refused("is not a date like 2026-10-19") from None
            return day, day, []
        if kind_here == "dateTime":
            try:
                moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise Refused("is not a moment with its zone, like 2026-10-19T06:30:00Z")
            back = utc_text(moment)
            return back, back, []
        if kind_here == "checkbox":
            flag = text.strip().casefold()
            if flag not in _TRUE | _FALSE:
                raise Refused("is not yes or no")
            return (flag in _TRUE) or None, "yes" if flag in _TRUE else "", []
        if kind_here in ("singleSelect", "multipleSelects"):
            choices = [c["name"] for c in (field.get("options") or {}).get("choices", [])]
            by_fold = {" ".join(c.split()).casefold(): c for c in choices}
            picked, said = [], []
            for value in (items(text) if kind_here == "multipleSelects" or kind == MULTI else [text]):
                if value in choices:
                    picked.append(value)
                elif " ".join(value.split()).casefold() in by_fold:
                    option = by_fold[" ".join(value.split()).casefold()]
                    picked.append(option)
                    said.append(("case", f"'{value}' as '{option}'"))
                else:
                    picked.append(value)
                    said.append(("option", f"'{value}'"))
            if kind_here == "singleSelect":
                return picked[0], picked[0], said
            return picked, "; ".join(picked), said
        raise Refused(f"cannot be written: the field is of type {kind_here}, which takes no typed value (change "
                       f"its type, or rename it and let migrate add a text field)")

    def _links(self, field: dict, text: str) -> tuple[list[str], str, list[tuple[str, str]]]:
        """The record ids of the linked table's records whose primary field reads as each value ("a; b": two),
        matched exactly, else without case or spacing (`word_key`); the field then reads as their primary values
        (as `read` and the roster read it). A value no record has is refused: nothing is ever created there."""
        linked = self._linked_table(field)
        exact: dict[str, list[str]] = {}
        loose: dict[str, list[str]] = {}
        for record_id, reading in linked.readings.items():
            if reading.flaw is None and reading.text:
                exact.setdefault(reading.text, []).append(record_id)
                loose.setdefault(word_key(reading.text), []).append(record_id)
        ids, said = [], []
        for value in (v for v in _SEVERAL.split(text.strip()) if v):
            found = exact.get(value) or loose.get(word_key(value), [])
            if not found:
                raise Refused(f"is no record of the table '{linked.table}' (by its '{linked.primary}'), which the "
                               f"field links to: add '{cut(value)}' to table {linked.table}, or correct the source "
                               f"(migrate never adds records there)")
            if len(found) > 1:
                raise Refused(f"is the '{linked.primary}' of {len(found)} records of the table '{linked.table}', "
                               f"which the field links to: keep one such record in Airtable, or correct the source")
            ids.append(found[0])
            primary = linked.readings[found[0]].text
            if primary != value:
                said.append(("case", f"'{value}' as '{primary}'"))
        ids = list(dict.fromkeys(ids))
        back = "; ".join(dict.fromkeys(linked.readings[i].text for i in ids))
        return ids, back, said

    def _linked_table(self, field: dict) -> Linked:
        table_id = linked_table_of(field)
        if table_id not in self._linked:
            target = self.client.table_named(table_id)
            if target is None:
                raise Refused("cannot be written: the field links to a table this token cannot see (give the token "
                               "access to it, or rename the field and let migrate add a text field)")
            self._linked[table_id] = read_linked(self.client, target)
        return self._linked[table_id]

    def _collaborators(self, field: dict, text: str, role: str) -> tuple[object, str, list[tuple[str, str]]]:
        """{"email": ...} of each collaborator of the base named ("a; b": two, in a multiple collaborator field):
        by email address, else by name. Airtable's API does not list a base's collaborators, so they are those
        the base's cells name (`_people`); one none of them names is refused. The field then reads as the roster
        reads it: the email in an email role, the name elsewhere."""
        people = self._seen()
        by_name: dict[str, list[dict]] = {}
        for p in people.values():
            if p.get("name"):
                by_name.setdefault(word_key(p["name"]), []).append(p)
        many = field["type"] == "multipleCollaborators"
        values = [v for v in _SEVERAL.split(text.strip()) if v] if many else [text.strip()]
        picked: list[dict] = []
        for value in values:
            found = people.get(normalize_email(value)) if "@" in value else None
            if found is None and len(by_name.get(word_key(value), [])) == 1:
                found = by_name[word_key(value)][0]
            if found is None:
                raise Refused(f"is not a collaborator of the base (none of its collaborator fields names them; "
                               f"Airtable's API lists no others): invite {cut(value)} to the base and name them in "
                               f"a collaborator field of it, or correct the source")
            if found not in picked:
                picked.append(found)
        read = [p["email"] if role in BY_EMAIL else (p.get("name") or p["email"]) for p in picked]
        sent = [{"email": p["email"]} for p in picked]
        return (sent if many else sent[0]), "; ".join(dict.fromkeys(read)), []

    def _seen(self) -> dict[str, dict]:
        """The collaborators with an email that the base's cells name (every collaborator, created-by and
        last-modified-by field of every table), by email as compared: one read of each table that has such a
        field, those fields only, once per run."""
        if self._people is None:
            self._people = {}
            for name, table in self.client.schema().items():
                users = [n for n, f in table["by_name"].items() if f.get("type") in _USERS]
                if not users:
                    continue
                for record in self.client.all_records(name, users):
                    for title in users:
                        cell = record["fields"].get(title)
                        for p in (cell if isinstance(cell, list) else [cell]):
                            if isinstance(p, dict) and p.get("email"):
                                self._people.setdefault(normalize_email(p["email"]), p)
        return self._people
