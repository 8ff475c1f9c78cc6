"""What Airtable would refuse or turn into something else, found before a write is sent: a select value
that is not an option of its field, text into a linked-record field, a value into a computed field; and
the sentence ending that says how to fix it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ...domain.words import quoted
from .schema import COMPUTED, LINK

RECORD_ID = re.compile(r"^rec[A-Za-z0-9]{14}$")  # an Airtable record id


SELECTS = ("singleSelect", "multipleSelects")


def options_of(field: dict) -> list[str]:
    """The option names of a select field, as Airtable has them."""
    return [c.get("name", "") for c in ((field.get("options") or {}).get("choices") or [])]


def unwritable_fields(table: dict, rows: Iterable[dict], table_named: Callable[[str], dict | None],
                      new_options: bool = False) -> list[tuple[str, str, dict]]:
    """Each field of `table` (as the schema gives it, with "by_name") that the rows (fields by title) cannot be
    written into as they are: (its title, why: `unwritable`, the field). A title the table lacks is left to the
    write itself, which Airtable refuses with its reason."""
    values: dict[str, list] = {}
    for fields in rows:
        for title, value in fields.items():
            values.setdefault(title, []).append(value)
    out = []
    for title, given in values.items():
        field = table["by_name"].get(title)
        wrong = unwritable(field, given, table_named, new_options) if field is not None else ""
        if wrong:
            out.append((title, wrong, field))
    return out


def unwritable(field: dict, values: Iterable, table_named: Callable[[str], dict | None],
               new_options: bool = False) -> str:
    """Why `values` cannot be written into `field` as they are (the middle of a sentence), or "". `new_options`:
    a value a select field lacks becomes its option (typecast), so it is not one of the reasons."""
    kind = field.get("type")
    if kind == LINK:
        if all(v is None or (isinstance(v, list) and all(isinstance(x, str) and RECORD_ID.match(x) for x in v))
               for v in values):
            return ""  # record ids of the linked table (what `migrate` sends): nothing is created there
        linked = table_named((field.get("options") or {}).get("linkedTableId", "")) or {}
        return (f"is a linked-record field (to the table '{linked.get('name', '?')}'): the program writes text "
                f"there, which Airtable would turn into records of '{linked.get('name', '?')}'")
    if kind in COMPUTED:
        return f"is computed by Airtable ({kind}): nothing can be written into it"
    if kind in SELECTS and not new_options:
        have = set(options_of(field))
        wanted = [v for value in values for v in (value if isinstance(value, list) else [value])
                  if isinstance(v, str) and v]
        missing = [v for v in dict.fromkeys(wanted) if v not in have]
        if missing:
            return (f"has {'no option' if len(missing) == 1 else 'none of the options'} {quoted(missing)} (it has "
                    f"{quoted(options_of(field)) or 'none'}): the program writes only options a field already has, "
                    f"and a token whose user is an Editor cannot add them")
    return ""


def fix_of(field: dict, mapped_by: str = "") -> str:
    """The fix for `unwritable`'s reason, as the end of the same sentence."""
    if field.get("type") in SELECTS:
        return (f"add the missing options to the field in Airtable{mapped_by}; `doctor` lists every option the jobs "
                f"need.")
    return "give the field the type `doctor` names (run it: it lists every field the jobs write)."
