"""`CsvPersonalTables`: the CSV files of the local folder as tables to read and rewrite row by row.

Used by `export`, `erase` and `retention`, which look at every table a person may appear in. Cells are
read as the jobs read them (without the apostrophe `safe_cells` adds to a formula-looking cell); a row
that changes is written with its changed cells escaped and every other cell exactly as it was, in one
atomic replace of the file. A file that does not exist is not a table yet.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable, Mapping

from ..ports import Written
from .atomic_files import atomic_write
from .safe_cells import escape, unescape


class CsvPersonalTables:
    def __init__(self, files: Mapping[str, Path]):
        #: table name (as people see it, e.g. "data/ambassadors.csv") -> file
        self.files = dict(files)

    def tables(self) -> list[str]:
        return [name for name, path in self.files.items() if path.is_file()]

    def _raw(self, table: str) -> tuple[str, list[list[str]]]:
        path = self.files[table]
        if not path.is_file():
            return "\n", []
        text = path.read_text(encoding="utf-8-sig")
        newline = "\r\n" if "\r\n" in text else "\n"
        return newline, [r for r in csv.reader(io.StringIO(text, newline=""))]

    def read(self, table: str) -> tuple[list[str], list[list[str]]]:
        _, rows = self._raw(table)
        if not rows:
            return [], []
        headers = rows[0]
        body = [[unescape(c) for c in r] + [""] * (len(headers) - len(r)) for r in rows[1:] if any(c.strip() for c in r)]
        return headers, body

    def rewrite(self, table: str, change: Callable[[list[str], list[str]], list[str] | None],
                dry_run: bool = False) -> Written:
        newline, rows = self._raw(table)
        if not rows:
            return Written(unit="row", where=table)
        headers, out, updated, deleted = rows[0], [rows[0]], 0, 0
        for raw in rows[1:]:
            if not any(c.strip() for c in raw):
                out.append(raw)
                continue
            padded = raw + [""] * (len(headers) - len(raw))
            seen = [unescape(c) for c in padded]
            new = change(list(headers), list(seen))
            if new is None:
                deleted += 1
                continue
            if new == seen:
                out.append(raw)
                continue
            updated += 1
            out.append([r if n == s else escape(n) for r, s, n in zip(padded, seen, new)])
        written = Written(updated=updated, deleted=deleted, unit="row", where=table)
        if written.changed and not dry_run:
            buf = io.StringIO()
            csv.writer(buf, lineterminator=newline).writerows(out)
            atomic_write(self.files[table], buf.getvalue())
        return written
