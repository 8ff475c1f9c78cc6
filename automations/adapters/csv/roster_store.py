"""`CsvRosterStore`: the roster as a CSV file a person keeps (`ambassadors.csv`).

Only the standing columns are ever written, and only on rows whose values change; every other
column, row, blank line, BOM and line ending stays as the person left it. Statuses are read, and
standings and perks written, in staff's words (`RosterWords`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from ...domain.checkins import RosterLayout, parse_roster
from ...domain.model import Ambassador, Problem
from ...domain.values import norm_header
from ...domain.words import OUR_WORDS, RosterWords
from ...ports import StandingUpdate, Written
from .tables import read_csv, update_rows


def standing_cells(update: StandingUpdate, words: RosterWords = OUR_WORDS) -> dict[str, str]:
    """The standing fields as a spreadsheet shows them, in staff's words (keys: the standing field names)."""
    return {"standing": words.standing_word(update.standing), "streak": str(update.streak),
            "perks": "; ".join(words.perk_word(p) for p in update.perks),
            "last_checkin": update.last_checkin.isoformat() if update.last_checkin else ""}


class CsvRosterStore:
    def __init__(self, path: Path, fields: Mapping[str, str], standing_fields: Mapping[str, str],
                 before_swap: Callable[[], None] | None = None, date_order: str = "",
                 words: RosterWords = OUR_WORDS):
        """`before_swap` is called just before the new roster is swapped in (see `update_rows`): tests
        put a person's save there, at the worst moment."""
        self.path = Path(path)
        self.before_swap = before_swap
        self.where = str(self.path)
        self.source = self.path.name  # what its problems name
        self.fields = dict(fields)
        self.standing_fields = dict(standing_fields)
        self.words = words
        self.layout = RosterLayout(self.path.name, self.fields, date_order, words)
        self._parsed: tuple | None = None

    def read(self) -> tuple[list[Ambassador], list[Problem]]:
        """The roster, parsed once per run: read again only when the file changed on disk (a person's save,
        or the standing columns this run wrote)."""
        try:
            st = self.path.stat()
            seen = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            seen = None
        if self._parsed is None or self._parsed[0] != seen or seen is None:
            headers, rows = read_csv(self.path, "roster")
            self._parsed = (seen, parse_roster(headers, rows, self.layout))
        roster, problems = self._parsed[1]
        return list(roster), list(problems)

    def write_standings(self, updates: Mapping[str, StandingUpdate], dry_run: bool = False) -> Written:
        titled = {email: {self.standing_fields[k]: v for k, v in standing_cells(u, self.words).items()}
                  for email, u in updates.items()}
        email_title = norm_header(self.fields["email"])

        def key(row: list[str], col: dict[str, int]) -> str:
            i = col.get(email_title)
            return row[i].strip().lower() if i is not None and i < len(row) else ""

        changed = update_rows(self.path, key, titled, list(self.standing_fields.values()), self.before_swap,
                              dry_run=dry_run)
        return Written(updated=changed, unit="row", where=self.where)

    def standings(self) -> dict[str, str]:
        """The Standing column (as compliance last wrote it, read back in our words), by normalised email; empty
        if it is not there."""
        headers, rows = read_csv(self.path, "roster")
        norm = [norm_header(h) for h in headers]
        email, standing = norm_header(self.fields["email"]), norm_header(self.standing_fields["standing"])
        if email not in norm or standing not in norm:
            return {}
        e, s = norm.index(email), norm.index(standing)
        return {row[e].strip().lower(): self.words.standing_of(row[s]) for row in rows if len(row) > max(e, s)}
