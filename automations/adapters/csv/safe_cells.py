"""Cells a spreadsheet would run as a formula, made inert in the CSV tables the jobs write.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP's CSV-injection list)
is a formula to Excel, LibreOffice and Google Sheets: a reported title `=HYPERLINK("http://x","y")`
or a goal `+cmd|' /C calc'!A0` would run when staff open `activities.csv`. `escape` writes such a
cell with a leading apostrophe, which spreadsheets show as text; `unescape` takes it off again when
the jobs read their own tables back. Text that already starts with apostrophes and then a trigger
gets one more, so the two are exact inverses for every string:
`unescape(escape(s)) == s`, and `escape(s)` never starts with a trigger.

Only the jobs' own cells go through here: files people write (the roster's staff columns, the form's
responses) are read as they are. Airtable keeps typed text and never evaluates it, so its adapters
store the text unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TRIGGERS = "=+-@\t\r"
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")
_FIRST = frozenset(TRIGGERS + "'")  # a cell starting with anything else is left alone at once


def escape(text: str) -> str:
    """`text` with one more leading apostrophe if it starts (after any apostrophes) with a trigger."""
    if text[:1] in _FIRST and _NEEDS_QUOTE.match(text):
        return "'" + text
    return text


def unescape(text: str) -> str:
    """`text` with one leading apostrophe fewer if it is apostrophes then a trigger (escape's inverse)."""
    if text[:1] == "'" and _QUOTED.match(text):
        return text[1:]
    return text


def escape_row(row: Iterable[object]) -> list[object]:
    """A row to write: each text cell escaped; numbers and None (written as digits or empty) as they are."""
    return [escape(c) if isinstance(c, str) and c[:1] in _FIRST else c for c in row]


def unescape_row(row: list[str]) -> list[str]:
    """A row read back from a table `escape_row` wrote (the same list when no cell starts with `'`)."""
    joined = "\x00".join(row)  # one search in C instead of a look at every cell
    if joined[:1] != "'" and "\x00'" not in joined:
        return row
    return [unescape(c) if c[:1] == "'" else c for c in row]
