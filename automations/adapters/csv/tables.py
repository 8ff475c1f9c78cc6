"""Reading the CSV files of the local folder: UTF-8 (with or without a BOM), streamed row by row.

Files people write (the roster, the form's responses, the blog proposals) are read as they are
(`stream_csv`, `read_csv`); the jobs' own tables, written by `atomic_write_rows`, are read with
`stream_table` and `read_table`, which take off the apostrophe that kept a formula-looking cell
inert (`safe_cells`). `update_rows` writes the job's columns into a person's file.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from ...domain.values import norm_header
from ...errors import InputError
from ..files.atomic import csv_line, hold_temp
from .dialect import check_size, how_to_save, open_text, sniff_bytes
from .safe_cells import escape, unescape_row

# A cell may hold a long description; a larger one is a broken file, reported as such.
CELL_LIMIT = 10 * 1024 * 1024
# The csv module's own limit leaves room for the apostrophe `safe_cells.escape` puts before a formula-looking
# cell: a person's cell of exactly CELL_LIMIT is written one longer into the jobs' tables, and must read back.
# Files people write are held to CELL_LIMIT itself (`csv_rows`).
csv.field_size_limit(CELL_LIMIT + 1)


def csv_rows(reader, path: Path | str, what: str, start: int = 1, own: bool = False) -> Iterator[list[str]]:
    """The rows of a `csv.reader` over the file `path` (`start`: the number of its next row, the header
    being row 1). A row the csv module refuses (a cell over `CELL_LIMIT`) stops the run with one
    sentence naming the file, the row, its line and the limit, never a traceback. Reading does not
    go on past it: after the refusal the reader restarts at the next line, which may lie inside that
    cell, so the rows after it cannot be trusted. `own`: a table the jobs wrote, whose cells may be one
    apostrophe (`safe_cells.escape`) longer."""
    row = start
    try:
        for cells in reader:
            if sum(map(len, cells)) > CELL_LIMIT and any(len(c) > CELL_LIMIT and not (own and c[0] == "'")
                                                         for c in cells):
                raise csv.Error("field larger than field limit")
            yield cells
            row += 1
    except csv.Error as exc:
        raise _refused(exc, path, what, row, reader.line_num) from None


def _refused(exc: csv.Error, path: Path | str, what: str, row: int, line: int) -> InputError:
    where = f"The {what} file {path} cannot be read at row {row} (line {line})"
    if "field limit" in str(exc):
        return InputError(f"{where}: a cell there is larger than {CELL_LIMIT // (1024 * 1024)} MiB, more than any "
                          f"cell may hold (is the file broken?); fix that cell and run again.")
    return InputError(f"{where}: {exc}.")


def stream_csv(path: Path, what: str) -> tuple[list[str], Generator[list[str], None, None]]:
    """The header row, and the other rows as they are read (the file is not held in memory; closing the
    generator closes it)."""
    _, headers, rows = _stream(path, what)
    return headers, rows


def _stream(path: Path, what: str, own: bool = False) -> tuple[TextIO, list[str], Generator[list[str], None, None]]:
    """A job's own table is UTF-8 with commas; a person's file is read in its own dialect (`csv_dialect`)."""
    try:
        if own:
            fh: TextIO = path.open(encoding="utf-8-sig", newline="")
            delimiter = ","
        else:
            fh, dialect = open_text(path, what)
            delimiter = dialect.delimiter
    except FileNotFoundError:
        raise _missing(path, what) from None
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        headers = next(reader)
    except csv.Error as exc:
        fh.close()
        raise _refused(exc, path, what, 1, reader.line_num) from None
    except StopIteration:
        fh.close()
        raise InputError(f"The {what} file {path} is empty: it needs at least its header row.") from None
    except UnicodeDecodeError:
        fh.close()
        raise how_to_save(path, what) from None

    def rows() -> Generator[list[str], None, None]:
        with fh:
            try:
                yield from csv_rows(reader, path, what, start=2, own=own)
            except UnicodeDecodeError:
                raise how_to_save(path, what, f" after row {reader.line_num}") from None

    return fh, headers, rows()


def read_csv(path: Path, what: str) -> tuple[list[str], list[list[str]]]:
    headers, rows = stream_csv(path, what)
    return headers, list(rows)


def stream_table(path: Path, what: str) -> tuple[list[str], Iterator[list[str]]]:
    """A job-owned table (written by `atomic_write_rows`), its cells as they were before escaping.

    A table in which no cell starts with an apostrophe (one quick scan of the bytes says so) is
    streamed as it is; only otherwise is each row looked at."""
    fh, headers, rows = _stream(path, what, own=True)
    if not _may_hold_escaped(fh.fileno()):
        return headers, rows
    return unescape_row(headers), map(unescape_row, rows)


# Where a cell may start with an apostrophe in CSV bytes: after a comma or a line break, maybe after
# an opening quote (each searched from a literal first byte, which is fast; the file's start apart).
_QUOTE_AT_START = re.compile(rb'(?:\xef\xbb\xbf)?"?\'')
_QUOTE_AFTER = (re.compile(rb',"?\''), re.compile(rb'\n"?\''), re.compile(rb'\r"?\''))


def _may_hold_escaped(fd: int) -> bool:
    """Whether a cell of the open file may start with an apostrophe (read without moving its position)."""
    offset, tail = 0, b""
    while block := os.pread(fd, 1 << 20, offset):
        data = tail + block
        if (offset == 0 and _QUOTE_AT_START.match(data)) or any(p.search(data) for p in _QUOTE_AFTER):
            return True
        offset += len(block)
        tail = data[-2:]
    return False


def read_table(path: Path, what: str) -> tuple[list[str], list[list[str]]]:
    headers, rows = stream_table(path, what)
    return headers, list(rows)


def _missing(path: Path, what: str) -> InputError:
    moved = sorted(path.parent.glob(f".{path.name}.*{_MOVED}"))
    if moved:
        return InputError(f"The {what} file {path} is missing because a run stopped while updating it: "
                          f"rename {moved[-1]} back to {path.name}.")
    return InputError(f"The {what} file {path} does not exist (local.dir in config.yaml).")


_MOVED = ".moved"  # the suffix of a person's file while update_rows holds it aside
SWAP_ATTEMPTS = 5


def update_rows(path: Path, key_of: Callable[[list[str], dict[str, int]], str],
                updates: Mapping[str, Mapping[str, str]], owned_titles: Sequence[str],
                before_swap: Callable[[], None] | None = None, dry_run: bool = False) -> int:
    """Set the owned columns on the rows whose key (`key_of(row, column index by normalised
    title)`) is in `updates`; keep everything else.

    Return how many rows changed. Missing owned columns are added at the right end. The values
    written are escaped (`safe_cells.escape`, so none runs as a formula); every other cell is kept
    as the person wrote it, and the file's encoding, BOM and first line-ending style are kept, with
    minimal quoting. Nothing is written when the bytes would not change, so a second run leaves
    the file byte for byte as it was. `before_swap` (tests) is called just before each swap. With
    `dry_run`, the file is only read: the return value is how many rows the real call would change
    (merged from the file as it is now), and nothing is written.

    A person may save the file at any moment, and their save must never be lost. So the new
    version is not renamed over the file (that would drop a save made after the file was read):

    1. read the file's bytes and merge the job's columns into them; write the result to a
       temporary file beside it;
    2. move the file aside with one rename (`.<name>.<random>.moved`): this captures exactly the
       version on disk at that instant, and later saves can no longer reach it by its name;
    3. if its bytes differ from those merged from, someone saved in between: put it back and
       start again from the new content;
    4. give the new file the name with `os.link`, which fails if the name exists again: someone
       saved after step 2 (a save by rename, or a program creating the file anew); theirs is the
       newest, so it stays and we start again from it;
    5. read the moved file once more: a program that opened it before step 2 (an append) and wrote
       after step 3 would have written into it; then theirs goes back over ours and we start again.

    After `SWAP_ATTEMPTS` tries the run stops with one sentence and nothing written. Windows left:
    (a) from step 2 to step 4 (reading back one small file) the name is absent: a program opening
    it then gets "file not found" and can try again, one saving it creates it (step 4 keeps that);
    a crash there leaves the person's file as the `.moved` file, untouched, and the next run says to
    rename it back; (b) a write through a handle opened before step 2 that lands after step 5, or a
    second save in the instant between step 4 and putting a person's version back at step 5: both
    need a program holding the file open across the swap or two saves within microseconds, which
    spreadsheets and editors (they write a whole file in one go, or save by renaming) do not do;
    (c) on a file system without hard links, step 4 checks the name is free, then renames.
    """
    for attempt in range(SWAP_ATTEMPTS):
        if attempt:
            time.sleep(0.02 * 2 ** attempt)  # let a person's save finish
        try:
            with path.open("rb") as fh:
                stat = os.fstat(fh.fileno())
                check_size(stat.st_size, path, path.name)
                mode = stat.st_mode & 0o7777
                raw = fh.read()
        except FileNotFoundError:
            raise _missing(path, path.name) from None
        out, changed = _merge(raw, key_of, updates, owned_titles, path)
        if dry_run or out == raw or _swap(path, raw, out, mode, before_swap):
            return changed
    raise InputError(f"{path} kept changing while the job's columns were being written (someone saving it?): "
                     f"nothing was written; run the job again.")


def _merge(raw: bytes, key_of: Callable[[list[str], dict[str, int]], str],
           updates: Mapping[str, Mapping[str, str]], owned_titles: Sequence[str], path: Path) -> tuple[bytes, int]:
    """The file's bytes with the job's values in its owned columns, and how many rows changed. The file keeps
    its encoding, byte-order mark, separator and line endings (`csv_dialect`), and every row the job does not
    change keeps its bytes (its quoting, however a person's program wrote it)."""
    dialect = sniff_bytes(raw[:1 << 16], path, path.name)
    try:
        text = dialect.decode(raw)
    except UnicodeDecodeError:
        raise how_to_save(path, path.name) from None
    lines = list(io.StringIO(text, newline=""))  # physical lines, as the csv reader takes them
    hint = lines[:1] if dialect.sep_line else []  # Excel's "sep=;" line stays as it is
    lines = lines[len(hint):]
    first = lines[0] if lines else ""
    newline = "\r\n" if first.endswith("\r\n") else "\r" if first.endswith("\r") else "\n"
    sep = dialect.delimiter
    reader = csv.reader(iter(lines), delimiter=sep)
    records: list[tuple[list[str], int, int]] = []  # each row and the lines it spans
    start = 0
    for row in csv_rows(reader, path, path.name):
        records.append((row, start, reader.line_num))
        start = reader.line_num
    if not records:
        return raw, 0
    headers = records[0][0]
    norm = [norm_header(h) for h in headers]
    added = False
    for title in owned_titles:
        if norm_header(title) not in norm:
            headers.append(title)
            norm.append(norm_header(title))
            added = True
    col = {t: norm.index(norm_header(t)) for t in owned_titles}
    index = {n: i for i, n in reversed(list(enumerate(norm)))}
    width = len(headers)
    changed = 0
    out: list[str] = []
    for n, (row, lo, hi) in enumerate(records):
        original = "".join(lines[lo:hi])
        rewrite = n == 0 and added
        update = updates.get(key_of(row, index)) if n and row else None
        if update is not None:
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            before = [row[col[title]] for title in update]
            for title, value in update.items():
                row[col[title]] = escape(value)
            if before != [row[col[title]] for title in update]:
                changed += 1
                rewrite = True
        if not rewrite:
            out.append(original)
            continue
        line = csv_line(row, sep)[:-1] + newline  # quoted where a cell holds a line break of any kind
        out.append(line if original.endswith(("\n", "\r")) else line[: -len(newline)])
    return dialect.encode("".join(hint + out)), changed


def _swap(path: Path, raw: bytes, out: bytes, mode: int, before_swap: Callable[[], None] | None) -> bool:
    """Steps 1-5 of `update_rows`: True if `out` replaced exactly `raw`; False (and every person's
    save left in place) if the file changed, to be merged again."""
    fd, new = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    held = hold_temp(fd)  # until the swap ends: a later run knows a killed run's temporary file by its free lock
    aside = None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(out)
            fh.flush()
            os.fsync(fh.fileno())
        if before_swap is not None:
            before_swap()
        hold, aside = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_MOVED, dir=path.parent)
        os.close(hold)
        try:
            os.replace(path, aside)  # onto the empty placeholder that reserved the name
        except FileNotFoundError:
            return False  # gone this instant (a save that removes, then renames): read it again
        if Path(aside).read_bytes() != raw:
            _put_back(aside, path)
            aside = None
            return False
        if not _place(new, path):
            return False  # saved after the move: theirs stays; the moved copy is what we merged from
        if Path(aside).read_bytes() != raw:
            os.replace(aside, path)  # written through an old handle after the check: theirs wins
            aside = None
            return False
        return True
    except BaseException:
        if aside is not None and Path(aside).exists() and not path.exists():
            _put_back(aside, path)
            aside = None
        raise
    finally:
        for leftover in (new, aside):
            if leftover is not None:
                Path(leftover).unlink(missing_ok=True)
        os.close(held)


def _place(src: str, dst: Path) -> bool:
    """Give `src` the name `dst` unless that name exists (then False, and nothing changes)."""
    try:
        os.link(src, dst)
    except FileExistsError:
        return False
    except OSError:  # no hard links here (or not to another user's file): check, then rename
        if os.path.lexists(dst):
            return False
        os.rename(src, dst)
        return True
    os.unlink(src)
    return True


def _put_back(aside: str, path: Path) -> None:
    """A person's version held aside goes back; if someone saved a newer one meanwhile, theirs stays."""
    if not _place(aside, path):
        os.unlink(aside)
