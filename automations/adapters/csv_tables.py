"""Reading the CSV files of the local folder: UTF-8 (with or without a BOM), streamed row by row."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from ..errors import InputError

# A cell may hold a long description; a larger one is a broken file, reported as such.
csv.field_size_limit(10 * 1024 * 1024)


def stream_csv(path: Path, what: str) -> tuple[list[str], Iterator[list[str]]]:
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


def read_csv(path: Path, what: str) -> tuple[list[str], list[list[str]]]:
    headers, rows = stream_csv(path, what)
    return headers, list(rows)
