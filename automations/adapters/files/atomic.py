"""Atomic file writes: a new version goes to a temporary file beside the old one, then one rename.

A reader (or a person's spreadsheet) sees the old file or the new one, never half of either; a
write whose bytes equal the file's is skipped, so a rerun leaves files and their times alone.
The jobs' CSV tables go through `atomic_write_rows`, which writes every text cell a spreadsheet
would run as a formula with a leading apostrophe (`safe_cells`); `csv_tables.stream_table` and
`read_table` read them back as they were.
"""

from __future__ import annotations

import csv
import fcntl
import filecmp
import io
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from ... import file_modes
from ..csv.safe_cells import escape_row

_CHUNK = 1024
# Where a cell starts in CSV text: the start, after a comma or a line break, maybe after an opening
# quote. Searched with a literal first character, which is fast; a match may be inside a quoted
# cell (then the chunk is merely escaped cell by cell), but a cell starting with a trigger or an
# apostrophe always matches.
_AT_START = re.compile(r'"?[\'=+\-@\t\r]')
_AFTER_COMMA = re.compile(r',"?[\'=+\-@\t\r]')
_AFTER_NEWLINE = re.compile(r'\n"?[\'=+\-@\t\r]')


def _cell_may_start_with_trigger(text: str) -> bool:
    return bool(_AT_START.match(text) or _AFTER_COMMA.search(text) or _AFTER_NEWLINE.search(text))


# The name of a writer's temporary file: `tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp")` gives
# `.<name>.<8 of a-z, 0-9, _>.tmp`, here and in `csv_tables._swap`.
_TEMP_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
# A temporary file nothing has written to for this long is a killed run's: a live writer fills and
# renames its file within moments (the largest, a roster or the activities table, in seconds). The
# rule for a file whose writer holds no lock on it (see `hold_temp`), e.g. one left by an older version.
STALE_TEMP_SECONDS = 3600
# A writer takes the lock on its temporary file the instant after creating it: a file this old whose
# lock is free has no writer any more (it was killed) and is removed at once.
UNLOCKED_GRACE_SECONDS = 1.0


def is_temp_name(name: str) -> bool:
    """True for exactly the names our writers give their temporary files."""
    return bool(_TEMP_NAME.fullmatch(name))


def hold_temp(fd: int) -> int:
    """Take an `flock` on a temporary file just made (its descriptor `fd`) and return a second descriptor
    that keeps it: close that one after the file is renamed into place or removed.

    The kernel drops the lock when the writer's process ends, however it ends (SIGKILL too), so a
    temporary file whose lock is free belongs to no live writer: `remove_stale_temps` removes it at the
    next run instead of an hour later."""
    fcntl.flock(fd, fcntl.LOCK_EX)
    return os.dup(fd)


def _writer_alive(path: str, age: float) -> bool:
    """Whether a live writer may still fill `path`: it holds the file's lock, or the file is so new that its
    writer may not have taken it yet (then wait out the grace and look again)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return True  # gone, or not ours to open: leave it
    try:
        if age < UNLOCKED_GRACE_SECONDS:
            time.sleep(UNLOCKED_GRACE_SECONDS - age)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def remove_stale_temps(folders: Iterable[Path], max_age: float = STALE_TEMP_SECONDS,
                       now: float | None = None) -> list[Path]:
    """Remove the temporary files a killed run left in `folders` (not their subfolders), and return them.

    Only regular files whose whole name is our writers' pattern (`is_temp_name`), and only those no live
    writer holds: the lock a writer keeps on its file (`hold_temp`) is free, or, for a file written without
    one, it was last written more than `max_age` seconds ago (an hour-old one cannot be a live writer's;
    see STALE_TEMP_SECONDS). Nothing else is touched: not a person's files, not the `.moved` copy
    `update_rows` holds aside, not a link. A folder that does not exist is skipped; a file another run
    removes first, or one that cannot be removed, is left to the next run.
    """
    now = time.time() if now is None else now
    removed = []
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:  # no such folder (nothing was written there yet), or not a folder
            continue
        for entry in entries:
            if not is_temp_name(entry.name):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    continue
                age = now - info.st_mtime
                if age <= max_age and _writer_alive(entry.path, age):
                    continue
                os.unlink(entry.path)
            except OSError:
                continue
            removed.append(Path(entry.path))
    return removed


def _replace(path: Path, fill: Callable[[BinaryIO], object], dry_run: bool = False, private: bool = False) -> bool:
    """Write a new version of `path` through `fill` into a temporary file beside it, then swap it in
    with one rename. Return False, and leave the file untouched, when the bytes are the same.

    A new file gets the program's file mode (`file_modes`: 0600, or 0640 with privacy.group_readable),
    whatever the umask; a replaced file keeps its own (a table staff made and share stays as they set it).
    With `private` (the conduct register, exports: they hold conduct entries) the file is 0600 either way.
    With `dry_run`, nothing is written anywhere: what `fill` writes is compared with the file as it
    streams (`_differs`), and the result is what the real write would return.
    """
    if dry_run:
        return _differs(path, fill)
    file_modes.make_dirs(path.parent)
    try:
        mode = file_modes.PRIVATE_FILE if private else path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = file_modes.file_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    held = hold_temp(fd)  # until the rename: a later run then knows a live writer's file from a killed one's
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
    finally:
        os.close(held)
    return True


class _Differs(Exception):
    """Raised into `fill` at the first byte that differs: the rest need not be made."""


class _Comparer(io.RawIOBase):
    """A sink that compares what is written to it with the bytes of an open file, in order."""

    def __init__(self, other: BinaryIO):
        super().__init__()
        self.other = other
        self.same = True

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        n = len(data)
        if self.same and self.other.read(n) != bytes(data):
            self.same = False
            raise _Differs
        return n  # after a difference: swallowed, so closing the writers above never fails


def _differs(path: Path, fill: Callable[[BinaryIO], object]) -> bool:
    """Whether the bytes `fill` writes differ from the file's (a missing file differs), compared as they
    stream: no temporary file, nothing written, and filling stops at the first difference."""
    try:
        other = path.open("rb")
    except FileNotFoundError:
        return True
    with other:
        sink = _Comparer(other)
        buffered = io.BufferedWriter(sink, buffer_size=1 << 16)
        try:
            fill(buffered)
            buffered.flush()
        except _Differs:
            return True
        return not sink.same or other.read(1) != b""


def atomic_write(path: Path, text: str | bytes, encoding: str = "utf-8", dry_run: bool = False,
                 private: bool = False) -> bool:
    """Replace `path` with `text` in one step; return False (and touch nothing) if unchanged. With
    `dry_run`, only say whether it would change; with `private`, the file is 0600 (see `_replace`)."""
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return _replace(path, lambda fh: fh.write(data), dry_run, private)


def atomic_write_with(path: Path, fill: Callable[[BinaryIO], None], private: bool = False) -> bool:
    """Replace `path` with what `fill` streams into a temporary file beside it, in one rename; return False
    (and touch nothing) if the bytes are the same; with `private`, the file is 0600 (see `_replace`)."""
    return _replace(path, fill, private=private)


def atomic_write_rows(path: Path, headers: Sequence[str], rows: Iterable[Sequence[object]],
                      dry_run: bool = False, private: bool = False) -> bool:
    """Write a job-owned CSV table atomically, streaming its rows; untouched if the bytes are the same.
    With `dry_run`, nothing is written: the rows are compared with the file as they stream, and the
    result is whether the real write would change it.

    Every text cell (headers too) is escaped (`safe_cells.escape`): no cell of the file starts with a
    character that makes a spreadsheet run it as a formula. Read it back with `csv_tables.read_table`
    or `stream_table`, which undo exactly that.
    """

    def fill(fh: BinaryIO) -> None:
        _write_rows(fh, [headers], rows)

    return _replace(path, fill, dry_run, private)


def _write_rows(fh: BinaryIO, head: Sequence[Sequence[object]], rows: Iterable[Sequence[object]]) -> None:
    """CSV rows into a binary file, every text cell escaped."""
    text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
    text.writelines(csv_line(escape_row(h)) for h in head)
    # Rows go out in chunks, written as they are unless a cell of the chunk may need escaping:
    # escaping cell by cell would cost as much as writing the CSV, and such cells are rare.
    buf = io.StringIO()
    plain = csv.writer(buf, lineterminator="\n")
    pending = iter(rows)
    while chunk := list(islice(pending, _CHUNK)):
        buf.seek(0)
        buf.truncate()
        plain.writerows(chunk)
        out = buf.getvalue()
        if "\r" in out or _cell_may_start_with_trigger(out):
            text.writelines(csv_line(escape_row(row)) for row in chunk)
        else:
            text.write(out)
    text.flush()
    text.detach()


def atomic_append_rows(path: Path, rows: Iterable[Sequence[object]], private: bool = False) -> bool:
    """Add rows at the end of a job-owned CSV table, escaped like `atomic_write_rows` writes them, and still
    in one rename: the old bytes are copied into the new version (a fast copy, not a rewrite). Return
    False, touching nothing, when there is no row to add."""
    rows = list(rows)
    if not rows:
        return False

    def fill(fh: BinaryIO) -> None:
        with path.open("rb") as old:
            shutil.copyfileobj(old, fh, 1 << 20)
        _write_rows(fh, [], rows)

    return _replace(path, fill, private=private)


def csv_line(row: Iterable[object], delimiter: str = ",") -> str:
    """One CSV row ending in a line feed, as `csv.writer(lineterminator="\\n")` writes it, except that
    a cell holding a carriage return is quoted too (Python 3.11's writer leaves a lone `\\r`
    unquoted when lines end in `\\n`, and a reader then splits the row there)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n", delimiter=delimiter).writerow(row)
    return buf.getvalue()[:-2] + "\n"


def create_once(path: Path, data: bytes) -> bytes:
    """A secret made once (a program's key): `data` written to a new file readable by its owner only from the first
    byte, and never replaced; when another run made the file meanwhile, the bytes already there (theirs is the
    key)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return data
