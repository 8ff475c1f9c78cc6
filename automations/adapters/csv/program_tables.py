"""`CsvProgramTables`: a program's local folder as whole tables to copy from or into (`migrate`).

Each table is read as the jobs read it, into rows of canonical text by field role
(`domain.migration`): the roster and staff's files in their own dialect, under the configured
titles (matched as the jobs match them), their other columns as staff's own (`+Title`); the jobs'
own files (`activities.csv`, `checkins.csv`, `unusable_rows.csv`, `mail_ledger.csv`) with the
apostrophe `safe_cells` adds taken off; the attendee lists of every file in their folder. A start
date is read in the roster's own day/month order, as `parse_roster` reads it.

Writing replaces a table's file atomically with the rows the migration settled on, in the same
shapes: UTF-8 with commas, every cell safe for spreadsheets (`safe_cells`: a cell that would run as a
formula gets a leading apostrophe, which this reader takes off again, so a second migrate sees the
same value), and so is the header of a column of staff's own (a field's name in a base is people's
text); a name holding a control or invisible character (a bidi override) never becomes a header:
`fit` refuses it, naming it, and the migration writes nothing. The attendee lists are written as one
file with Event and Date columns, into a folder without other lists (`refusals`). A file that is
already as it should be is not written.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from ... import file_modes
from ...domain.checkins import RosterLayout, parse_roster
from ...domain.migration import DATETIME, EXTRA, Held, Row, TablePlan, canonical, clean
from ...domain.ownership import activity_key, checkin_key
from ...domain.values import HIDDEN, norm_header, plainly
from ...errors import InputError
from ..airtable.schema import OWN_TABLES, BaseSpec
from ..files.atomic import atomic_write_rows, atomic_write_with, csv_line
from ..program_tables import kinds, tables
from .attendee_source import _NAMED as DATED_NAME
from .found_store import COLUMNS as FOUND_COLUMNS
from .ledger import COLUMNS as LEDGER_COLUMNS
from .ledger import CsvLedger
from .report_store import ACTIVITY_COLUMNS, CHECKIN_COLUMNS, PROBLEM_COLUMNS, CsvReportStore
from .safe_cells import escape, unescape
from .tables import read_csv, stream_table

#: The attendee lists the migration writes: one file, its rows naming their event and date.
ATTENDEES_FILE = "event-attendees.csv"

# The jobs' own tables: their fixed columns by field role (a role missing here is not kept in the file).
_DEFAULT_TITLES = {table: {role: title for role, title, *_ in specs} for table, specs in OWN_TABLES.items()}
JOB_TABLES: dict[str, list[str]] = {"activities": ACTIVITY_COLUMNS, "checkins": CHECKIN_COLUMNS,
                                    "problems": PROBLEM_COLUMNS, "mail_ledger": LEDGER_COLUMNS,
                                    "found_activities": FOUND_COLUMNS}
_JOB_TITLES = {
    "activities": _DEFAULT_TITLES["activities"], "checkins": _DEFAULT_TITLES["checkins"],
    "problems": {**_DEFAULT_TITLES["problems"], "key": "Problem ID"},
    "mail_ledger": {**{r: t for r, t in _DEFAULT_TITLES["mail_ledger"].items() if r != "sent_at"}, "at": "At"},
    "found_activities": _DEFAULT_TITLES["found_activities"],
}
#: Fields the base keeps that follow from others (a ledger step's Sent at is its time when its status is sent).
_DERIVED = {"mail_ledger": {"sent_at"}}
#: The columns of staff's files the jobs write (escaped there, read back without the apostrophe).
_OWNED = {"ambassadors": ("standing", "streak", "perks", "last_checkin"), "blog_reviews": ("document", "history"),
          "referral_inquiries": ("inquiry_id", "status", "current", "offered_at", "recommended", "history"),
          "funding_requests": ("first_seen", "flags", "reminders")}


def _own(header: str) -> str:
    """The field role of a column of staff's own, by its header (written escaped as a cell is: `_write_headers`)."""
    return EXTRA + unescape(header.strip())


def _computed_key(role: str, row: Row) -> str:
    """The Key the program gives a record of a table whose CSV file has no Key column (`domain.ownership`)."""
    if role == "activities":
        return activity_key(row.get("activity_id", ""), row.get("row", ""), row.get("section", ""))
    return checkin_key(row.get("row", ""), row.get("email", ""))


class CsvProgramTables:
    def __init__(self, folder: Path, files: Mapping[str, Path], spec: BaseSpec, tz: ZoneInfo, store_id: str,
                 date_order: str = ""):
        """`files`: the file of each staff table by role (the roster, blog proposals, referral inquiries, funding
        requests, conduct register) and the attendee lists' folder (`event_attendees`). `store_id`: the folder as
        `bootstrap.store_id` names it."""
        self.folder = Path(folder)
        self.files = {role: Path(p) for role, p in files.items()}
        self.specs = tables(spec)
        self.tz = tz
        self.date_order = date_order
        self.where = f"local folder {self.folder}"
        self.store_id = store_id
        self._headers: dict[str, list[str]] = {}

    # -- where things are ---------------------------------------------------------------------------------------
    def path(self, role: str) -> Path:
        if role in self.files:
            return self.files[role]
        return self.folder / {"activities": "activities.csv", "checkins": "checkins.csv",
                              "problems": "unusable_rows.csv", "mail_ledger": "mail_ledger.csv",
                              "found_activities": "found_activities.csv"}[role]

    def named(self, role: str) -> str:
        """How messages name the table: its file (or the attendee lists' folder)."""
        return str(self.path(role))

    def titles(self, role: str) -> dict[str, str]:
        """field role -> the title its column has here."""
        if role in JOB_TABLES:
            return dict(_JOB_TITLES[role])
        return {f.role: f.name for f in self.specs[role].fields}

    def place_of(self, role: str, index: int) -> tuple[str, int] | None:
        """Where the store's data problems place the row at `index` of the table as written (None: no problem
        names it)."""
        if role in JOB_TABLES or role == "conduct_register":
            return None
        if role == "event_attendees":
            return f"{self.path(role).name}/{ATTENDEES_FILE}", index + 2
        return self.path(role).name, index + 2

    # -- reading ------------------------------------------------------------------------------------------------
    def exists(self, role: str) -> bool:
        path = self.path(role)
        return any(path.glob("*.csv")) if role == "event_attendees" and path.is_dir() else path.is_file()

    def read(self, role: str) -> list[Held]:
        """Every row of the table (none when its file does not exist), with its place for data problems."""
        if role == "event_attendees":
            return self._attendees()
        path = self.path(role)
        if not path.is_file():
            return []
        if role == "mail_ledger":
            return [Held(i, self._canonical(role, {"key": e.key, "job": e.job, "recipient": e.recipient,
                                                  "status": e.status, "attempts": str(e.attempts), "error": e.error,
                                                  "reference": e.reference, "at": e.at}))
                    for i, e in enumerate(CsvLedger(path).entries().values())]
        if role == "problems":
            return [Held(i, self._canonical(role, {
                "key": r.id, "status": r.status, "first_seen": r.first_seen.isoformat() if r.first_seen else "",
                "closed": r.closed.isoformat() if r.closed else "", "email": r.owner, "source": r.problem.source,
                "row": str(r.problem.row), "column": r.problem.column, "value": r.problem.value,
                "problem": r.problem.reason})) for i, r in enumerate(CsvReportStore(self.folder).load_problems())]
        if role in JOB_TABLES:
            headers, rows = stream_table(path, self.specs[role].name)
            if headers != JOB_TABLES[role]:
                raise InputError(f"{path} does not have the columns this version writes; run sync-checkins to "
                                 f"rebuild it, then migrate again.")
            titles = self.titles(role)
            out = []
            for i, cells in enumerate(rows):
                cell = dict(zip(headers, cells))
                row = {r: cell.get(t, "") for r, t in titles.items()}
                row["key"] = _computed_key(role, self._canonical(role, row))
                out.append(Held(i, self._canonical(role, row)))
            return out
        headers, table = read_csv(path, self.specs[role].name)
        self._headers[role] = headers
        return [Held(n - 2, row, (path.name, n)) for n, row in self._people_rows(role, headers, table, path.name)]

    def _people_rows(self, role: str, headers: list[str], rows: list[list[str]], source: str
                     ) -> Iterable[tuple[int, Row]]:
        """A person's file as canonical rows: each configured column by its role, the others as staff's own."""
        index = {norm_header(h): i for i, h in reversed(list(enumerate(headers)))}
        titles = self.titles(role)
        at = {r: index.get(norm_header(t)) for r, t in titles.items()}
        used = {i for i in at.values() if i is not None}
        extra: dict[str, int] = {}
        for i, h in enumerate(headers):
            if i not in used and h.strip() and _own(h) not in extra:
                extra[_own(h)] = i
        starts = self._start_dates(headers, rows, source) if role == "ambassadors" else {}
        for n, cells in enumerate(rows, start=2):
            if not any(c.strip() for c in cells):
                continue
            row: Row = {}
            columns: list[tuple[str, int | None]] = [*at.items(), *extra.items()]
            for r, col in columns:
                if col is None or col >= len(cells):
                    continue
                row[r] = unescape(cells[col])  # as written (see `write`)
            if n in starts:
                row["start_date"] = starts[n]
            yield n, self._canonical(role, row)

    def _start_dates(self, headers: list[str], rows: list[list[str]], source: str) -> dict[int, str]:
        """Each roster row's start date as the roster rules read it (in the roster's own day/month order)."""
        fields = {f.role: f.name for f in self.specs["ambassadors"].fields if f.role not in _OWNED["ambassadors"]}
        people, _ = parse_roster(headers, rows, RosterLayout(source, fields, self.date_order))
        return {a.row: a.start_date.isoformat() for a in people}

    def _attendees(self) -> list[Held]:
        folder = self.path("event_attendees")
        out: list[Held] = []
        for path in sorted(folder.glob("*.csv")) if folder.is_dir() else ():
            headers, rows = read_csv(path, "event attendee list")
            named = DATED_NAME.match(path.stem)
            for n, row in self._people_rows("event_attendees", headers, rows, path.name):
                if named and not row.get("event") and not row.get("date"):  # the file's name gives them
                    row = self._canonical("event_attendees", dict(row, date=named.group(1),
                                                                  event=" ".join(named.group(2).split())))
                out.append(Held((path.name, n), row, (f"{folder.name}/{path.name}", n)))
        return out

    def _canonical(self, role: str, row: Mapping[str, str]) -> Row:
        k = kinds(self.specs[role])
        return clean({r: canonical(k.get(r, "text"), v) for r, v in row.items()})

    # -- what it would hold -------------------------------------------------------------------------------------
    def fit(self, role: str, rows: Sequence[Row]) -> tuple[list[Row], list[str], list[str]]:
        """The rows as this folder would read them back once written, notes on what changes (a field the files
        have no place for), and the cells it cannot hold (none: a file holds any text)."""
        keep = set(self.titles(role)) | ({"key"} if role in ("activities", "checkins") else set())
        people = role not in JOB_TABLES
        out, dropped, problems = [], set(), []
        for row in rows:
            kept = {r: v for r, v in row.items() if r in keep or (people and r.startswith(EXTRA))}
            dropped |= set(row) - set(kept) - _DERIVED.get(role, set())
            out.append(self._canonical(role, kept))
        hidden = sorted({r for row in out for r in row if r.startswith(EXTRA) and HIDDEN.search(r)})
        # A header is read by people and spreadsheets: a name that reads otherwise than it is never becomes one.
        problems += [f"{self.named(role)}: the column '{plainly(r[1:])}' cannot become a header there: its name holds "
                     f"a control or invisible character (rename it in the source)" for r in hidden]
        notes = []
        owned = set(_OWNED.get(role, ()))
        inert = sum(1 for row in out for r, v in row.items() if people and r not in owned and escape(v) != v)
        if inert:
            notes.append(f"{self.named(role)}: {inert} cell{'s' if inert > 1 else ''} a spreadsheet would run as a "
                         f"formula written with a leading apostrophe (migrate reads {'them' if inert > 1 else 'it'} "
                         f"back without it; the jobs show it)")
        if dropped:
            names = ", ".join(sorted(plainly(r.removeprefix(EXTRA)) for r in dropped))
            notes.append(f"not copied into {self.named(role)}: {names} (the local files have no place for "
                         f"{'them' if len(dropped) > 1 else 'it'})")
        return out, notes, problems

    # -- writing ------------------------------------------------------------------------------------------------
    def prepare(self, plans: Sequence[TablePlan], dry_run: bool) -> list[str]:
        """Nothing to make before the rows are written (a missing file is written whole)."""
        return []

    def refusals(self, role: str, plan: TablePlan) -> list[str]:
        """What writing this plan would be refused (asked while planning, before anything is written): attendee
        lists into a folder that holds lists of other names (the lists are written as one file, beside which the
        others would count twice)."""
        others = self._other_lists() if role == "event_attendees" and plan.changed else []
        if others:
            return [f"{self.path(role)} already holds attendee lists ({others[0].name}), and migrate writes the lists "
                    f"into a folder without any (as one file, {ATTENDEES_FILE})"]
        return []

    def _other_lists(self) -> list[Path]:
        folder = self.path("event_attendees")
        return [p for p in sorted(folder.glob("*.csv")) if p.name != ATTENDEES_FILE] if folder.is_dir() else []

    def write(self, role: str, plan: TablePlan) -> None:
        """Replace the table's file with the plan's final rows (`refusals` said first what it would refuse)."""
        rows = [s.row for s in plan.final]
        refused = self.refusals(role, plan)
        if refused:
            raise InputError(f"{refused[0]}: nothing was written there.")
        path = self.path(role)
        if role == "event_attendees":
            path = path / ATTENDEES_FILE
        file_modes.make_dirs(path.parent)
        if role in JOB_TABLES:
            titles = self.titles(role)
            headers = JOB_TABLES[role]
            by_title = {t: r for r, t in titles.items()}
            atomic_write_rows(path, headers, ([self._cell(role, by_title.get(h, ""), row) for h in headers]
                                              for row in rows))
            return
        columns = self._write_headers(role, rows)
        headers = [h for h, _ in columns]

        def cells(row: Row) -> list[str]:
            # Every cell safe for a spreadsheet: text from a base (a name, a note) is people's, and may be hostile.
            return [escape(self._cell(role, r, row)) for _, r in columns]

        def fill(fh: BinaryIO) -> None:
            text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
            text.write(csv_line(headers))
            text.writelines(csv_line(cells(row)) for row in rows)
            text.flush()
            text.detach()

        atomic_write_with(path, fill)

    def _write_headers(self, role: str, rows: Sequence[Row]) -> list[tuple[str, str]]:
        """Each column as written, (its header, its field role): the file's own headers (when it exists), with a
        column added for each role and staff column the rows hold that it lacks; else the configured titles in
        order, then staff's columns. A staff column's name (from a base: people's text) is escaped as a cell is
        (`safe_cells`: a header `=...` gets a leading apostrophe), and read back without it (`_own`)."""
        titles = self.titles(role)
        by_title = {norm_header(t): r for r, t in reversed(list(titles.items()))}
        headers = list(self._headers.get(role, [])) if role != "event_attendees" else []
        if headers:
            columns = [(h, by_title.get(norm_header(h)) or _own(h)) for h in headers]
        else:
            columns = [(t, r) for r, t in titles.items()]
        have = {norm_header(unescape(h.strip())) for h, _ in columns}
        for r, t in titles.items():
            if norm_header(t) not in have and any(r in row for row in rows):
                columns.append((t, r))
                have.add(norm_header(t))
        for row in rows:
            for r in row:
                if r.startswith(EXTRA) and norm_header(r[1:]) not in have:
                    columns.append((escape(r[1:]), r))
                    have.add(norm_header(r[1:]))
        return columns

    def _cell(self, role: str, field_role: str, row: Row) -> str:
        value = row.get(field_role, "")
        if value and kinds(self.specs[role]).get(field_role) == DATETIME:
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
            # The ledger's times are UTC (as the ledger writes them), the check-ins' in the program's zone.
            local = moment if role == "mail_ledger" else moment.astimezone(self.tz)
            spec = "seconds" if not local.microsecond else "milliseconds"
            return local.isoformat(timespec=spec)
        return value
