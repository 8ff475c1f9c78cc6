"""What both stores of `migrate` share: each table's fields by role, and the kind of value each holds.

The kinds come from the base's specs (`airtable_schema`), the one description of every table the
program holds, whichever backend holds it: a field the base keeps as a number is compared as a
number in a CSV file too, a multiple select as its list, a date-time as one instant.
"""

from __future__ import annotations

from ..domain.migration import AMOUNT, DATE, DATETIME, MULTI, NUMBER, SELECT, SHAPES, TEXT
from .airtable.schema import BaseSpec, TableSpec

_KINDS = {"number": NUMBER, "currency": NUMBER, "percent": NUMBER, "date": DATE, "dateTime": DATETIME,
          "multipleSelects": MULTI, "singleSelect": SELECT}


def kind_of(field_type: str) -> str:
    """The kind of value an Airtable field type holds, for comparing and converting (text by default)."""
    return _KINDS.get(field_type, TEXT)


#: The fields read by a job's own rules rather than by their type: a funding request's amounts (`AMOUNT`).
_BY_RULES = {("funding_requests", "amount"): AMOUNT, ("funding_requests", "approved_amount"): AMOUNT}


def kinds(table: TableSpec) -> dict[str, str]:
    """field role -> kind, for one table."""
    return {f.role: _BY_RULES.get((table.role, f.role)) or kind_of(f.type) for f in table.fields}


def tables(spec: BaseSpec) -> dict[str, TableSpec]:
    """The tables `migrate` copies, by role, in planning order."""
    return {s.role: spec[s.role] for s in SHAPES}
