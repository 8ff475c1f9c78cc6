"""Reading the CSV files of the local folder: UTF-8 (with or without a BOM), streamed row by row."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

from ..domain.values import norm_header
from ..errors import InputError
from .atomic_files import atomic_write

# A cell may hold a long description; a larger one is a broken file, reported as such.
CELL_LIMIT = 10 * 1024 * 1024
csv.field_size_limit(CELL_LIMIT)


def csv_rows(reader, path: Path | str, what: str, start: int = 1) -> Iterator[list[str]]:
    """The rows of a `csv.reader` over the file `path` (`start`: the number of its next row, the header
    being row 1). A row the csv module refuses (a cell over `CELL_LIMIT`) stops the run with one
    sentence naming the file, the row, its line and the limit, never a traceback. Reading does not
    go on past it: after the refusal the reader restarts at the next line, which may lie inside that
    cell, so the rows after it cannot be trusted."""
    row = start
    try:
        for cells in reader:
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


def stream_csv(path: Path, what: str) -> tuple[list[str], Iterator[list[str]]]:
    """The header row, and the other rows as they are read (the file is not held in memory)."""
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InputError(f"The {what} file {path} does not exist (local.dir in config.yaml).") from None
    reader = csv.reader(fh)
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
        raise InputError(f"The {what} file {path} is not UTF-8 text: save it as CSV UTF-8.") from None

    def rows() -> Iterator[list[str]]:
        with fh:
            try:
                yield from csv_rows(reader, path, what, start=2)
            except UnicodeDecodeError:
                raise InputError(f"The {what} file {path} is not UTF-8 text after row {reader.line_num}: "
                                 f"save it as CSV UTF-8.") from None

    return headers, rows()


def read_csv(path: Path, what: str) -> tuple[list[str], list[list[str]]]:
    headers, rows = stream_csv(path, what)
    return headers, list(rows)


def update_rows(path: Path, key_of: Callable[[list[str], dict[str, int]], str],
            updates: Mapping[str, Mapping[str, str]], owned_titles: Sequence[str]) -> int:
    """Set the owned columns on the rows whose key (`key_of(row, column index by normalised
    title)`) is in `updates`; keep everything else.

    Return how many rows changed. Missing owned columns are added at the right end. Cells are
    written back with minimal quoting and the file's first line-ending style. Nothing is written when nothing changes, so
    a second run leaves the file byte for byte as it was; if someone saves the file meanwhile,
    nothing is written and the run says so.
    """
    seen = path.stat()
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    newline = "\r\n" if "\r\n" in text else "\n"
    trailing = text.endswith(("\n", "\r"))
    rows = list(csv_rows(csv.reader(io.StringIO(text, newline="")), path, path.name))
    headers = rows[0]
    norm = [norm_header(h) for h in headers]
    for title in owned_titles:
        if norm_header(title) not in norm:
            headers.append(title)
            norm.append(norm_header(title))
    col = {t: norm.index(norm_header(t)) for t in owned_titles}
    index = {n: i for i, n in reversed(list(enumerate(norm)))}
    width = len(headers)
    changed = 0
    for row in rows[1:]:
        if not row:
            continue
        update = updates.get(key_of(row, index))
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
    now = path.stat()
    if (now.st_mtime_ns, now.st_size) != (seen.st_mtime_ns, seen.st_size):
        raise InputError(f"{path} changed while the job's columns were being updated (someone "
                         f"saved it?): nothing was written; run the job again.")
    atomic_write(path, out, "utf-8-sig" if bom else "utf-8")  # also adds missing columns
    return changed
