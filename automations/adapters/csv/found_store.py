"""`CsvFoundStore`: the found activities as a CSV table of the local folder (`found_activities.csv`).

The program's own table: `discover` adds rows at its end (one atomic replace per run, nothing rewritten), each
keyed by its found activity's key; cells a spreadsheet would run as a formula are written escaped and read
back as they were (`safe_cells`). A row that cannot be read (a date edited into something else) is skipped: a
found activity is a suggestion, found again by the next run that reads its source.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from ...domain.discovery import FoundActivity, not_stored
from ...ports import Written
from ..files.atomic import atomic_append_rows, atomic_write_rows
from .tables import read_table

COLUMNS = ["Key", "Email", "Source", "Item ID", "Kind", "Title", "Date", "Link", "First seen"]


def found_row(f: FoundActivity) -> list[str]:
    return [f.key, f.email, f.source, f.item_id, f.kind, f.title, f.date.isoformat(), f.link, f.first_seen.isoformat()]


def found_of(cells: dict[str, str]) -> FoundActivity | None:
    """A found activity from its cells by column title (None: a row that cannot be read)."""
    try:
        return FoundActivity(cells["Email"].strip().lower(), cells["Source"], cells["Item ID"], cells["Kind"],
                             cells["Title"], date.fromisoformat(cells["Date"].strip()[:10]), cells["Link"],
                             date.fromisoformat(cells["First seen"].strip()[:10]))
    except (KeyError, ValueError):
        return None


class CsvFoundStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.where = str(self.path)
        self._parsed: tuple | None = None

    def read(self) -> list[FoundActivity]:
        """The stored items, parsed once a run: read again only when the file changed on disk (a person's save,
        or this store's own atomic write, which replaces the file), as the roster's store does."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return []
        seen = (st.st_mtime_ns, st.st_size, st.st_ino)
        if self._parsed is None or self._parsed[0] != seen:
            headers, rows = read_table(self.path, "found activities")
            self._parsed = (seen, [f for row in rows if (f := found_of(dict(zip(headers, row)))) is not None])
        return list(self._parsed[1])

    def forget_before(self, day: date, dry_run: bool = False) -> Written:
        found = self.read()
        kept = [f for f in found if f.date >= day]
        written = Written(deleted=len(found) - len(kept), unit="row", where=self.where)
        if written.deleted and not dry_run:
            atomic_write_rows(self.path, COLUMNS, [found_row(f) for f in kept])
        return written

    def add(self, found: Sequence[FoundActivity], dry_run: bool = False) -> Written:
        new = not_stored(found, self.read())
        written = Written(created=len(new), unit="row", where=self.where)
        if dry_run or not new:
            return written
        rows = [found_row(f) for f in new]
        if self.path.is_file() and self.path.stat().st_size:
            atomic_append_rows(self.path, rows)
        else:
            atomic_write_rows(self.path, COLUMNS, rows)
        return written
