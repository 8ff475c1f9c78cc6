"""Atomic file writes: a new version goes to a temporary file beside the old one, then one rename.

A reader (or a person's spreadsheet) sees the old file or the new one, never half of either; a
write whose bytes equal the file's is skipped, so a rerun leaves files and their times alone.
"""

from __future__ import annotations

import csv
import filecmp
import io
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Sequence


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


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
