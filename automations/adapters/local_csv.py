"""The embedded local backend: a folder of CSV files a person can open in a spreadsheet.

`ambassadors.csv` and `checkin_responses.csv` are written by people; this adapter never
rewrites the responses and, in the roster, changes only the standing columns it owns, keeping
every other column, row, blank line, BOM and line ending as the person left them. Files the
jobs own (`activities.csv`, `checkins.csv`, `unusable_rows.csv`) are replaced atomically.
"""

from __future__ import annotations

import csv
import filecmp
import io
import os
import sys
import tempfile
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, Mapping, Sequence

from ..domain.compliance import Resolved
from ..domain.model import Activity, Checkin, Problem
from ..domain.values import norm_header
from ..errors import InputError

csv.field_size_limit(10 * 1024 * 1024)

ACTIVITY_COLUMNS = ["Activity ID", "Email", "Kind", "Title", "Date", "Received", "Row", "Section",
                    "Reported quarter", "Resolution", "Winner row", "Link", "Goal", "Audience", "Description",
                    "Registrations", "Attendees", "Views", "Engagements", "Reshares", "Hours"]
CHECKIN_COLUMNS = ["Email", "Received", "Row", "Reported quarter", "Activities"]
PROBLEM_COLUMNS = ["Source", "Row", "Column", "Value", "Problem", "Email"]


def _replace(path: Path, fill: Callable[[BinaryIO], None]) -> bool:
    """Write a new version of `path` through `fill` into a temporary file beside it, then swap it in
    with one rename. Return False, and leave the file untouched, when the bytes are the same.

    A replaced file keeps its permissions; a new one gets the usual ones (0644 under umask 022).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
            fh.flush()
            if path.exists() and filecmp.cmp(tmp, path, shallow=False):
                Path(tmp).unlink()
                return False
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def atomic_write(path: Path, text: str | bytes, encoding: str = "utf-8") -> bool:
    """Replace `path` with `text` in one step; return False (and touch nothing) if unchanged."""
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return _replace(path, lambda fh: fh.write(data))


def atomic_write_rows(path: Path, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bool:
    """Write a CSV table atomically, streaming its rows; untouched if the bytes are the same."""

    def fill(fh: BinaryIO) -> None:
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
        text.flush()
        text.detach()

    return _replace(path, fill)


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


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class LocalCsvFiles:
    """Reads and writes the local folder's tables."""

    def __init__(self, folder: Path, roster_file: str = "ambassadors.csv",
                 responses_file: str = "checkin_responses.csv"):
        self.folder = Path(folder)
        self.roster_path = self.folder / roster_file
        self.responses_path = self.folder / responses_file
        self.activities_path = self.folder / "activities.csv"
        self.checkins_path = self.folder / "checkins.csv"
        self.problems_path = self.folder / "unusable_rows.csv"

    # -- reading what people wrote ---------------------------------------------------------
    def _stream(self, path: Path, what: str) -> tuple[list[str], Iterator[list[str]]]:
        """The header row, and the other rows as they are read (the file is not held in memory)."""
        try:
            fh = path.open(encoding="utf-8-sig", newline="")
        except FileNotFoundError:
            raise InputError(f"The {what} file {path} does not exist (local.dir in config.yaml).") from None
        reader = csv.reader(fh)
        try:
            headers = next(reader)
        except StopIteration:
            fh.close()
            raise InputError(f"The {what} file {path} is empty: it needs at least its header row.") from None
        except UnicodeDecodeError:
            fh.close()
            raise InputError(f"The {what} file {path} is not UTF-8 text: save it as CSV UTF-8.") from None

        def rows() -> Iterator[list[str]]:
            with fh:
                try:
                    yield from reader
                except UnicodeDecodeError:
                    raise InputError(f"The {what} file {path} is not UTF-8 text after row {reader.line_num}: "
                                     f"save it as CSV UTF-8.") from None

        return headers, rows()

    def _read(self, path: Path, what: str) -> tuple[list[str], list[list[str]]]:
        headers, rows = self._stream(path, what)
        return headers, list(rows)

    def read_roster(self) -> tuple[list[str], list[list[str]]]:
        return self._read(self.roster_path, "roster")

    def read_responses(self) -> tuple[list[str], Iterator[list[str]]]:
        """The responses' header row and a stream of their rows, in sheet order."""
        return self._stream(self.responses_path, "check-in responses")

    # -- tables the jobs own ---------------------------------------------------------------
    def write_activities(self, resolved: Sequence[Resolved]) -> bool:
        def rows() -> Iterator[list]:
            stamps: dict[int, str] = {}  # the copies of one response share one timestamp object
            for r in resolved:
                a = r.activity
                stamp = stamps.get(id(a.received_at))
                if stamp is None:
                    stamp = stamps[id(a.received_at)] = a.received_at.isoformat()
                yield [a.id, a.email, a.kind, a.title, a.date.isoformat(), stamp, a.row, a.section,
                       a.reported_quarter, r.resolution, r.winner_row or "", a.link, a.goal, a.audience,
                       a.description, a.registrations, a.attendees, a.views, a.engagements, a.reshares,
                       "" if a.hours is None else f"{a.hours:g}"]

        # None is written as an empty cell by the csv module; whole numbers as themselves.
        return atomic_write_rows(self.activities_path, ACTIVITY_COLUMNS, rows())

    def read_activities(self) -> list[Activity]:
        if not self.activities_path.exists():
            return []
        headers, rows = self._stream(self.activities_path, "activities")
        if headers != ACTIVITY_COLUMNS:
            raise InputError(f"{self.activities_path} does not have the columns this version writes; "
                             f"run sync-checkins to rebuild it.")
        day, instant, intern = _cached(date.fromisoformat), _cached(datetime.fromisoformat), sys.intern
        out = []
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

    def write_checkins(self, checkins: Sequence[Checkin]) -> bool:
        rows = ([c.email, c.received_at.isoformat(), c.row, c.reported_quarter, c.activities] for c in checkins)
        return atomic_write_rows(self.checkins_path, CHECKIN_COLUMNS, rows)

    def read_checkins(self) -> list[Checkin]:
        if not self.checkins_path.exists():
            return []
        _, rows = self._read(self.checkins_path, "check-ins")
        out: list[Checkin] = []
        with _rebuildable(self.checkins_path, lambda: len(out) + 2):
            for r in rows:
                if len(r) >= 5:
                    out.append(Checkin(r[0], datetime.fromisoformat(r[1]), int(r[2]), r[3], int(r[4])))
        return out

    def write_problems(self, problems: Sequence[Problem]) -> bool:
        rows = ([p.source, p.row, p.column, p.value, p.reason, p.email] for p in problems)
        return atomic_write_rows(self.problems_path, PROBLEM_COLUMNS, rows)

    def read_problems(self) -> list[Problem]:
        if not self.problems_path.exists():
            return []
        _, rows = self._read(self.problems_path, "unusable rows")
        return [Problem(r[0], int(r[1]), r[2], r[3], r[4], r[5]) for r in rows if len(r) >= 6]

    # -- the roster's standing columns -------------------------------------------------------
    def update_roster(self, email_title: str, updates: Mapping[str, Mapping[str, str]],
                      owned_titles: Sequence[str]) -> bool:
        """Set the owned columns on the rows whose email is in `updates`; keep everything else.

        Missing owned columns are added at the right end. Cells are written back with minimal
        quoting and the file's first line-ending style. Nothing is written when nothing changes, so
        a second run leaves the file byte for byte as it was; if someone saves the file meanwhile,
        nothing is written and the run says so.
        """
        seen = self.roster_path.stat()
        raw = self.roster_path.read_bytes()
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
        for row in rows[1:]:
            if not row:
                continue
            email = row[email_col].strip().lower() if email_col < len(row) else ""
            update = updates.get(email)
            if update is None:
                continue
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            for title, value in update.items():
                row[col[title]] = value
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator=newline)
        writer.writerows(rows)
        out = buf.getvalue()
        if not trailing:
            out = out[: -len(newline)]
        now = self.roster_path.stat()
        if (now.st_mtime_ns, now.st_size) != (seen.st_mtime_ns, seen.st_size):
            raise InputError(f"{self.roster_path} changed while the standing columns were being updated (someone "
                             f"saved it?): nothing was written; run the job again.")
        return atomic_write(self.roster_path, out, "utf-8-sig" if bom else "utf-8")
