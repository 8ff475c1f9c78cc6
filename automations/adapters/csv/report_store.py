"""`CsvReportStore`: what sync-checkins derives, as three CSV files in the local folder.

`activities.csv` (every copy of every activity, with how it was resolved), `checkins.csv` and
`unusable_rows.csv` are the jobs' own: each is replaced atomically, and only when its bytes
change, so a rerun with nothing new leaves them untouched. A text cell a spreadsheet would run as a
formula is written with a leading apostrophe and read back without it (`safe_cells`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import cast

from ...domain.codec import activity_fields, checkin_fields
from ...domain.compliance import Resolved
from ...domain.model import Activity, Checkin, Problem
from ...domain.problems import STAFF, ProblemRecord, read_status, unknown_status
from ...errors import InputError
from ...ports import StoredReports, Written
from ..files.atomic import atomic_append_rows, atomic_write, atomic_write_rows
from .tables import read_table, stream_table

ACTIVITY_COLUMNS = ["Activity ID", "Email", "Kind", "Title", "Date", "Received", "Row", "Section",
                    "Reported quarter", "Resolution", "Winner row", "Link", "Goal", "Audience", "Description",
                    "Registrations", "Attendees", "Views", "Engagements", "Reshares", "Hours"]
CHECKIN_COLUMNS = ["Email", "Received", "Row", "Reported quarter", "Activities"]
PROBLEM_COLUMNS = ["Problem ID", "Status", "First seen", "Closed", "Owner", "Source", "Row", "Column", "Value",
                   "Problem"]
# The file as versions before data problems had a life cycle wrote it: read as open, already reported.
OLD_PROBLEM_COLUMNS = ["Source", "Row", "Column", "Value", "Problem", "Email"]


@contextmanager
def _rebuildable(path: Path, row: Callable[[], int]) -> Iterator[None]:
    """A job-owned table someone edited into a shape it cannot read: say where, and how to rebuild it."""
    try:
        yield
    except (ValueError, IndexError) as exc:
        raise InputError(f"{path} row {row()} cannot be read ({exc}); it is rebuilt by sync-checkins, so delete "
                         f"it and run sync-checkins again.") from None


def _cached(parse):
    """Memoise a parser over a table whose values repeat (dates, one timestamp per response)."""
    return lru_cache(maxsize=65536)(parse)


class CsvReportStore:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.where = str(self.folder)
        self.activities_path = self.folder / "activities.csv"
        self.checkins_path = self.folder / "checkins.csv"
        self.problems_path = self.folder / "unusable_rows.csv"
        self.problems_where = str(self.problems_path)
        self._problems: tuple | None = None

    def exists(self) -> bool:
        return self.activities_path.exists()

    def load(self) -> StoredReports:
        return StoredReports(self.read_activities(), self.read_checkins(), self.load_problems())

    def save(self, resolved: Sequence[Resolved], checkins: Sequence[Checkin], dry_run: bool = False) -> Written:
        # The last copy and check-in are found as they are written: one pass over them (they may be rebuilt as
        # they are read, `jobs.incremental.FullRead`; written from their fields when they offer them).
        last = _LastCopy()
        written = (_file(self.activities_path, lambda: self._write_copies(_copy_fields(resolved), dry_run, last))
                   + _file(self.checkins_path,
                           lambda: self._write_checkins(last.seen_checkins(_checkin_fields(checkins)), dry_run)))
        if not dry_run:  # a real write reads every copy and check-in
            self._remember(last.place, last.checkin)
        return written

    # -- appending: the files as the last save left them, plus rows after all of theirs ---------------------
    @property
    def _mark_path(self) -> Path:
        return self.folder / ".reports.mark"

    def _stats(self) -> list[list[int] | None]:
        """Each file's [size, modification time in ns], None for one not there."""
        out: list[list[int] | None] = []
        for path in (self.activities_path, self.checkins_path):
            try:
                st = path.stat()
                out.append([st.st_size, st.st_mtime_ns])
            except FileNotFoundError:
                out.append(None)
        return out

    def _remember(self, last_copy: tuple[int, int], last_checkin: int) -> None:
        """Note what the files look like now that this store wrote them: an append checks it first."""
        mark = {"files": self._stats(), "last_copy": list(last_copy), "last_checkin": last_checkin}
        atomic_write(self._mark_path, json.dumps(mark))

    def append(self, resolved: Sequence[Resolved], checkins: Sequence[Checkin]) -> Written | None:
        try:
            mark = json.loads(self._mark_path.read_text(encoding="utf-8"))
            files, last_copy, last_checkin = mark["files"], tuple(mark["last_copy"]), int(mark["last_checkin"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if files != self._stats() or None in files:
            return None  # someone (or a run stopped part-way) changed the files since: save everything
        if any(r.activity.section == 0 or (r.activity.row, r.activity.section) <= last_copy for r in resolved) or \
                any(c.row <= last_checkin for c in checkins):
            return None
        if not resolved and not checkins:
            return Written(unit="file")
        changed = [atomic_append_rows(self.activities_path, self._activity_rows(_copy_fields(resolved))),
                   atomic_append_rows(self.checkins_path, self._checkin_rows(_checkin_fields(checkins)))]
        self._remember(_last_copy(resolved, last_copy), max([last_checkin] + [c.row for c in checkins]))
        return (Written(updated=int(changed[0]), unit="file", where=str(self.activities_path))
                + Written(updated=int(changed[1]), unit="file", where=str(self.checkins_path)))

    def untouched(self) -> list[str]:
        """Nothing: the three files are the jobs' own (a row they cannot read stops the run, naming it)."""
        return []

    def save_problems(self, records: Sequence[ProblemRecord], dry_run: bool = False) -> Written:
        written = _file(self.problems_path, lambda: self.write_problems(records, dry_run))
        if not dry_run:
            # The next job of run-all asks for them again: what a read of the file now gives, without reading it
            # (nor holding a second copy of every record), while the file stays as this wrote it.
            st = self.problems_path.stat()
            self._problems = ((st.st_size, st.st_mtime_ns, st.st_ino), [_as_read(r) for r in records])
        return written

    @staticmethod
    def _activity_rows(copies: Iterable[tuple[tuple, str, int]], seen: _LastCopy | None = None) -> Iterator[list]:
        """Each copy's cells, from its fields in `Activity`'s order (`_copy_fields`), its resolution and winner;
        `seen` notes the latest form copy's place as they pass."""
        # None is written as an empty cell by the csv module; whole numbers as themselves.
        # The copies of one response come together and share one timestamp object: each is written once. (The
        # object itself is the key, held while it is: copies rebuilt as they are read are freed as they go, and
        # a freed object's id can be another's.)
        last, stamp = None, ""
        place = seen.place if seen is not None else (0, 0)
        for f, resolution, winner in copies:
            if f[5] is not last:
                last, stamp = f[5], f[5].isoformat()
            if f[7] and (f[6], f[7]) > place:  # `_LastCopy.seen`, inline
                place = (f[6], f[7])
            yield [f[0], f[1], f[2], f[3], f[4].isoformat(), stamp, f[6], f[7], f[8], resolution, winner or "",
                   f[9], f[10], f[11], f[12], f[13], f[14], f[15], f[16], f[17],
                   "" if f[18] is None else f"{f[18]:g}"]
        if seen is not None:
            seen.place = place

    @staticmethod
    def _checkin_rows(checkins: Iterable[tuple]) -> Iterator[list]:
        """Each check-in's cells, from its fields in `Checkin`'s order (`_checkin_fields`)."""
        return ([f[0], f[1].isoformat(), f[2], f[3], f[4]] for f in checkins)

    def write_activities(self, resolved: Iterable[Resolved], dry_run: bool = False) -> bool:
        return self._write_copies(_copy_fields(resolved), dry_run)

    def _write_copies(self, copies: Iterable[tuple[tuple, str, int]], dry_run: bool,
                      seen: _LastCopy | None = None) -> bool:
        return atomic_write_rows(self.activities_path, ACTIVITY_COLUMNS, self._activity_rows(copies, seen), dry_run)

    def read_activities(self) -> list[Activity]:
        if not self.activities_path.exists():
            return []
        headers, rows = stream_table(self.activities_path, "activities")
        if headers != ACTIVITY_COLUMNS:
            raise InputError(f"{self.activities_path} does not have the columns this version writes; "
                             f"run sync-checkins to rebuild it.")
        day, instant, intern = _cached(date.fromisoformat), _cached(datetime.fromisoformat), sys.intern
        out: list[Activity] = []
        with _rebuildable(self.activities_path, lambda: len(out) + 2):
            for r in rows:
                if len(r) < 21:
                    continue
                out.append(Activity(
                    r[0], intern(r[1]), intern(r[2]), r[3], day(r[4]), instant(r[5]), int(r[6]), int(r[7]),
                    intern(r[8]), r[11], r[12], r[13], r[14], int(r[15]) if r[15] else None,
                    int(r[16]) if r[16] else None, int(r[17]) if r[17] else None, int(r[18]) if r[18] else None,
                    int(r[19]) if r[19] else None, float(r[20]) if r[20] else None,
                ))
        return out

    def write_checkins(self, checkins: Iterable[Checkin], dry_run: bool = False) -> bool:
        return self._write_checkins(_checkin_fields(checkins), dry_run)

    def _write_checkins(self, checkins: Iterable[tuple], dry_run: bool) -> bool:
        return atomic_write_rows(self.checkins_path, CHECKIN_COLUMNS, self._checkin_rows(checkins), dry_run)

    def read_checkins(self) -> list[Checkin]:
        if not self.checkins_path.exists():
            return []
        _, rows = read_table(self.checkins_path, "check-ins")
        out: list[Checkin] = []
        with _rebuildable(self.checkins_path, lambda: len(out) + 2):
            for r in rows:
                if len(r) >= 5:
                    out.append(Checkin(r[0], datetime.fromisoformat(r[1]), int(r[2]), r[3], int(r[4])))
        return out

    def write_problems(self, records: Sequence[ProblemRecord], dry_run: bool = False) -> bool:
        def day(d: date | None) -> str:
            return d.isoformat() if d else ""

        rows = ([r.id, r.status, day(r.first_seen), day(r.closed), r.owner, r.problem.source, r.problem.row,
                 r.problem.column, r.problem.value, r.problem.reason] for r in records)
        return atomic_write_rows(self.problems_path, PROBLEM_COLUMNS, rows, dry_run)

    def load_problems(self) -> list[ProblemRecord]:
        """The problems on record, read once per run while the file stays as it was (each job of run-all
        asks). Staff may edit the Status column (open, fixed, ignored) in a spreadsheet; a row they broke
        is kept as open rather than stopping the run."""
        try:
            st = self.problems_path.stat()
        except FileNotFoundError:
            return []
        seen = (st.st_size, st.st_mtime_ns, st.st_ino)
        if self._problems is None or self._problems[0] != seen:
            self._problems = (seen, self._read_problems())
        return list(self._problems[1])

    def _read_problems(self) -> list[ProblemRecord]:
        headers, rows = read_table(self.problems_path, "data problems")
        if headers == OLD_PROBLEM_COLUMNS:
            return [ProblemRecord(Problem(r[0], _int(r[1]), r[2], r[3], r[4], r[5]), owner=r[5] or STAFF)
                    for r in rows if len(r) >= 6]
        if headers[:len(PROBLEM_COLUMNS)] != PROBLEM_COLUMNS:
            raise InputError(f"{self.problems_path} does not have the columns this version writes ("
                             f"{', '.join(PROBLEM_COLUMNS)}); put the header back or delete the file (it is "
                             f"rebuilt by sync-checkins, with every problem open again).")
        out = []
        for r in rows:
            if len(r) < len(PROBLEM_COLUMNS) or not "".join(r).strip():
                continue
            owner = r[4].strip() or STAFF
            p = Problem(r[5], _int(r[6]), r[7], r[8], r[9], "" if owner == STAFF else owner)
            # The id on file: the one the run that wrote it gave (`reconcile` gives each the id it takes now).
            out.append(ProblemRecord(p, read_status(r[1]), _day(r[2]), _day(r[3]), owner, r[0].strip(),
                                     unknown_status(r[1])))
        return out


def _as_read(r: ProblemRecord) -> ProblemRecord:
    """The record as `_read_problems` reads it back from the row `write_problems` makes of it (the same record,
    mostly: the address only an ambassador's problem keeps, no typed word, the id and owner as cells read)."""
    owner = r.owner.strip() or STAFF
    email = "" if owner == STAFF else owner
    if r.typed == "" and owner == r.owner and r.id == r.id.strip() and r.problem.email == email \
            and read_status(r.status) == r.status:
        return r
    return ProblemRecord(replace(r.problem, email=email), read_status(r.status), r.first_seen, r.closed, owner,
                         r.id.strip())


def _file(path: Path, write: Callable[[], bool]) -> Written:
    """One table file written (or compared, in a dry run): created if it was not there, else updated."""
    existed = path.exists()
    changed = int(write())
    return Written(changed * (not existed), changed * existed, unit="file", where=str(path))


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None



def _copy_fields(resolved: Iterable[Resolved]) -> Iterable[tuple[tuple, str, int]]:
    """The copies as (fields in `Activity`'s order, resolution, winner row): as they offer themselves
    (`ReportStore.save`: the records are not built), else from each record."""
    as_fields = getattr(resolved, "as_fields", None)
    if as_fields is not None:
        return cast("Iterable[tuple[tuple, str, int]]", as_fields())
    return ((activity_fields(r.activity), r.resolution, r.winner_row) for r in resolved)


def _checkin_fields(checkins: Iterable[Checkin]) -> Iterable[tuple]:
    """The check-ins as their fields in `Checkin`'s order (as `ReportStore.save` allows, or from each record)."""
    as_fields = getattr(checkins, "as_fields", None)
    if as_fields is not None:
        return cast("Iterable[tuple]", as_fields())
    return (checkin_fields(c) for c in checkins)


class _LastCopy:
    """The latest form copy's place (row, section) among the copies written (`_activity_rows` notes it; (0, 0):
    none)."""

    def __init__(self) -> None:
        self.place = (0, 0)
        self.checkin = 0  # and the latest check-in's row among those passed through `seen_checkins`

    def seen_checkins(self, checkins: Iterable[tuple]) -> Iterator[tuple]:
        for f in checkins:
            if f[2] > self.checkin:
                self.checkin = f[2]
            yield f


def _last_copy(resolved: Sequence[Resolved], start: tuple[int, int]) -> tuple[int, int]:
    """The latest form copy's place (row, section) among these, or `start`; posts (section 0) come first."""
    last = start
    for r in resolved:
        place = (r.activity.row, r.activity.section)
        if r.activity.section and place > last:
            last = place
    return last
