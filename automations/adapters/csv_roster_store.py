"""`CsvRosterStore`: the roster as a CSV file a person keeps (`ambassadors.csv`).

Only the standing columns are ever written, and only on rows whose values change; every other
column, row, blank line, BOM and line ending stays as the person left it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Mapping, Sequence

from ..domain.checkins import RosterLayout, parse_roster
from ..domain.model import Ambassador, Problem
from ..domain.values import norm_header
from ..errors import InputError
from ..ports import StandingUpdate, Written
from .atomic_files import atomic_write
from .csv_tables import read_csv


def standing_cells(update: StandingUpdate) -> dict[str, str]:
    """The standing fields as a spreadsheet shows them (keys: the standing field names)."""
    return {"standing": update.standing, "streak": str(update.streak), "perks": "; ".join(update.perks),
            "last_checkin": update.last_checkin.isoformat() if update.last_checkin else ""}


class CsvRosterStore:
    def __init__(self, path: Path, fields: Mapping[str, str], standing_fields: Mapping[str, str]):
        self.path = Path(path)
        self.where = str(self.path)
        self.fields = dict(fields)
        self.standing_fields = dict(standing_fields)
        self.layout = RosterLayout(self.path.name, self.fields)

    def read(self) -> tuple[list[Ambassador], list[Problem]]:
        headers, rows = read_csv(self.path, "roster")
        return parse_roster(headers, rows, self.layout)

    def write_standings(self, updates: Mapping[str, StandingUpdate]) -> Written:
        titled = {email: {self.standing_fields[k]: v for k, v in standing_cells(u).items()}
                  for email, u in updates.items()}
        changed = self._update(self.fields["email"], titled, list(self.standing_fields.values()))
        return Written(updated=changed)

    def _update(self, email_title: str, updates: Mapping[str, Mapping[str, str]],
                      owned_titles: Sequence[str]) -> int:
        """Set the owned columns on the rows whose email is in `updates`; keep everything else.

        Return how many rows changed. Missing owned columns are added at the right end. Cells are written back with minimal
        quoting and the file's first line-ending style. Nothing is written when nothing changes, so
        a second run leaves the file byte for byte as it was; if someone saves the file meanwhile,
        nothing is written and the run says so.
        """
        seen = self.path.stat()
        raw = self.path.read_bytes()
        bom = raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig")
        newline = "\r\n" if "\r\n" in text else "\n"
        trailing = text.endswith(("\n", "\r"))
        rows = list(csv.reader(io.StringIO(text, newline="")))
        headers = rows[0]
        norm = [norm_header(h) for h in headers]
        for title in owned_titles:
            if norm_header(title) not in norm:
                headers.append(title)
                norm.append(norm_header(title))
        col = {t: norm.index(norm_header(t)) for t in owned_titles}
        email_col = norm.index(norm_header(email_title))
        width = len(headers)
        changed = 0
        for row in rows[1:]:
            if not row:
                continue
            email = row[email_col].strip().lower() if email_col < len(row) else ""
            update = updates.get(email)
            if update is None:
                continue
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            before = [row[col[title]] for title in update]
            for title, value in update.items():
                row[col[title]] = value
            if before != [row[col[title]] for title in update]:
                changed += 1
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator=newline)
        writer.writerows(rows)
        out = buf.getvalue()
        if not trailing:
            out = out[: -len(newline)]
        now = self.path.stat()
        if (now.st_mtime_ns, now.st_size) != (seen.st_mtime_ns, seen.st_size):
            raise InputError(f"{self.path} changed while the standing columns were being updated (someone "
                             f"saved it?): nothing was written; run the job again.")
        atomic_write(self.path, out, "utf-8-sig" if bom else "utf-8")  # also adds missing columns
        return changed
