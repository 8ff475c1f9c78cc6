"""How Airtable's cells read as text: every field type staff use (lookups and rollups as their values, linked
records through the linked table's primary field, collaborators, date-times in the program's zone, formula
errors as the row's problem). One reading for every table the program reads."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from ...domain.checkins import CellFlaw
from .client import AirtableClient

_RECORD_ID = re.compile(r"^rec[A-Za-z0-9]{14}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")
_FORMULA_FIX = "correct the formula in Airtable"
_COMPUTED = ("formula", "rollup", "multipleLookupValues", "lookup")  # whose values `options.result` describes
#: The roles whose cell is one value: the roster reads one country and one region (referrals match them).
_ONE_VALUE = {"country": "countries", "region": "regions"}


def cell_text(value: object) -> str:
    """A cell as plain text, for the tables read without the roster's rules: a multiple select as "a; b", a
    number without ".0", a formula's error as its text, a checkbox as "yes"."""
    if value is None or value is False:
        return ""
    if value is True:
        return "yes"
    if isinstance(value, list):
        return "; ".join(t for t in (cell_text(v) for v in value) if t)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        if "error" in value or "specialValue" in value:  # a formula that failed, or gave NaN/Infinity
            return str(value.get("error") or value.get("specialValue"))
        return str(value.get("name") or value.get("email") or "")  # a collaborator, or a linked item
    return str(value)


@dataclass(frozen=True)
class Reading:
    """A cell as the roster reads it: its text, or (`flaw`) why it cannot be read (its text is then "")."""

    text: str
    flaw: CellFlaw | None = None


@dataclass(frozen=True)
class Linked:
    """The table a linked-record field points into: its name, its primary field's title, and each of its
    records' primary value as read (by record id)."""

    table: str
    primary: str
    readings: Mapping[str, Reading] = field(default_factory=dict)


@dataclass
class _Parts:
    texts: list[str] = field(default_factory=list)  # what the roster reads, value by value
    shown: list[str] = field(default_factory=list)  # what a person sees, value by value
    wrong: list[tuple[str, str]] = field(default_factory=list)  # (what is wrong, the fix), value by value


def read_cell(value: object, role: str, tz: tzinfo = UTC, date_only: bool = False,
              linked: Linked | None = None) -> Reading:
    """A cell of the field that holds `role` (see the module docstring). `date_only`: the field's result is a
    date (a formula, rollup or lookup giving `date`), read as its date, never moved into `tz`; `linked`: the
    table the field's record ids point into."""
    parts = _Parts()
    _walk(value, role, tz, date_only, linked, parts)
    texts = list(dict.fromkeys(t for t in parts.texts if t))
    shown = "; ".join(dict.fromkeys(t for t in parts.shown if t))
    if parts.wrong:
        what, fix = parts.wrong[0]
        return Reading("", CellFlaw(shown, what, fix))
    if role in _ONE_VALUE and len(texts) > 1:
        return Reading("", CellFlaw(shown, f"holds {len(texts)} {_ONE_VALUE[role]} ({', '.join(texts)})",
                                    f"keep one {role} per ambassador in Airtable (referrals match one)"))
    return Reading("; ".join(texts))


def _walk(value: object, role: str, tz: tzinfo, date_only: bool, linked: Linked | None, out: _Parts) -> None:
    said = role.replace("_", " ") or "text"
    if value is None or value is False:  # Airtable leaves an empty or unticked cell out; a lookup may hold false
        return
    if isinstance(value, list):
        for v in value:
            _walk(v, role, tz, date_only, linked, out)
        return
    if value is True:
        out.shown.append("checked")
        out.wrong.append((f"is a ticked checkbox, which gives no {said}",
                          f"make the field give the {said} in Airtable"))
        return
    if isinstance(value, dict):
        _walk_object(value, role, said, out)
        return
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if isinstance(value, str) and linked is not None and _RECORD_ID.match(value):
        reading = linked.readings.get(value)
        where = f"links to a record of '{linked.table}'"
        if reading is None:
            out.shown.append(value)
            out.wrong.append((f"{where} that the table no longer holds",
                              "run again; if it stays, link the record again in Airtable"))
        elif reading.flaw is not None:
            out.shown.append(reading.flaw.value)
            out.wrong.append((f"{where} whose '{linked.primary}' {reading.flaw.what}", reading.flaw.fix))
        elif not reading.text:
            out.shown.append(value)
            out.wrong.append((f"{where} whose '{linked.primary}' is empty",
                              f"fill in that record's '{linked.primary}' in Airtable"))
        else:
            out.texts.append(reading.text)
            out.shown.append(reading.text)
        return
    if role == "start_date" and isinstance(value, str) and _DATE_TIME.match(value):
        # A date result is a day, whatever the zone (Airtable gives "2024-07-01T00:00:00.000Z" for 1 July);
        # only a date-time is an instant, whose day is the program's.
        text = value[:10] if date_only else \
            datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(tz).date().isoformat()
    out.texts.append(text)
    out.shown.append(str(value))


def _walk_object(value: dict, role: str, said: str, out: _Parts) -> None:
    if set(value) in ({"error"}, {"specialValue"}):  # pyairtable's `is_airtable_error`
        shown = str(value.get("error") or value.get("specialValue"))
        out.shown.append(shown)
        out.wrong.append(("is the error Airtable gives where the field's formula (or the rollup or lookup of "
                          "one) fails for this record" if "error" in value else
                          "is what Airtable gives where the field's formula (or the rollup or lookup of one) "
                          "computes no number for this record", _FORMULA_FIX))
        return
    if "email" in value or "name" in value:  # a collaborator ({id, email, name}: only the id is sure)
        email, name = str(value.get("email") or ""), str(value.get("name") or "")
        if role == "email" and not email:
            out.shown.append(name or str(value.get("id") or ""))
            out.wrong.append(("is a collaborator whom Airtable gives without an email address",
                              "make the Email field give the person's address in Airtable"))
            return
        text = email if role == "email" else (name or email)
        out.texts.append(text)
        out.shown.append(text)
        return
    # Shown by what names it (an attachment's file name...), never by its URL: Airtable signs those anew on every
    # read, and the problem must be the same problem on the next run.
    named = next((value[k] for k in ("filename", "text", "label", "id") if isinstance(value.get(k), str)), "")
    out.shown.append(named or "{" + ", ".join(map(str, value)) + "}")
    out.wrong.append((f"is an object Airtable gives for a kind of field that holds no {said}",
                      f"make the field give the {said} in Airtable"))


def result_type(field: Mapping) -> str:
    """The type of the values a field gives: its own, or for a formula, rollup or lookup the type its result
    has (`options.result`, followed through a lookup of a formula)."""
    kind = str(field.get("type") or "")
    seen = 0
    while kind in _COMPUTED and seen < 5:  # a lookup of a rollup of a formula...
        result = (field.get("options") or {}).get("result")
        if not result:
            break
        field, kind, seen = result, str(result.get("type") or ""), seen + 1
    return kind


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


def linked_tables(client: AirtableClient, table: str, titles: Iterable[str], records: list[dict],
                  tz: tzinfo = UTC) -> dict[str, Linked]:
    """For each of these fields of `table` holding record ids: the table they point into, with its records'
    primary-field values as read. Costs one metadata request (the run's schema) and one read of each linked
    table, and only when a field holds record ids."""
    linked = [title for title in dict.fromkeys(titles)
              if any(isinstance(v, list) and v and all(isinstance(x, str) and _RECORD_ID.match(x) for x in v)
                     for v in (r["fields"].get(title) for r in records))]
    if not linked:
        return {}
    fields = client.schema().get(table, {"by_name": {}})["by_name"]
    by_table: dict[str, Linked] = {}
    out: dict[str, Linked] = {}
    for title in linked:
        target = client.table_named(_linked_table(fields.get(title, {})))
        if target is None:
            continue  # not a link after all (text that looks like record ids): read as it is
        if target["id"] not in by_table:
            by_table[target["id"]] = read_linked(client, target, tz)
        out[title] = by_table[target["id"]]
    return out


def linked_table_of(field: Mapping) -> str:
    """The id of the table a linked-record field (or a lookup or rollup of one) points into; "" for another."""
    return _linked_table(dict(field))


def read_linked(client: AirtableClient, target: dict, tz: tzinfo = UTC) -> Linked:
    """A table a linked-record field points into (as the schema gives it), with each record's primary-field value
    as read, by record id: one read of that table, its primary field only."""
    primary = next(f for f in target["fields"] if f["id"] == target["primaryFieldId"])
    rows = client.all_records(target["name"], [primary["name"]])
    date_only = result_type(primary) == "date"
    return Linked(target["name"], primary["name"], {
        r["id"]: read_cell(r["fields"].get(primary["name"]), "", tz, date_only) for r in rows})
