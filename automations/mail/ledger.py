"""The ledger: every message's idempotency key and what became of it.

Before a message goes, a `sending` line is recorded; right after the transport accepts it, a
`sent` line. The local ledger is an append-only CSV: each line is handed to the operating system
before the next step (so a killed process loses nothing it recorded) and the file is synced to
disk at the end of each batch. A crash can lose at most the line after a send: the key is then
still `sending`, and the next run sends it again. That is the one case of a duplicate (with the same
Message-ID, so mail programs can fold it); a message is never lost. On Airtable the same port
is a table staff can read.
"""

from __future__ import annotations

import csv
import io
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

from filelock import FileLock, Timeout

from ..errors import StopRun

SENDING, SENT, FAILED = "sending", "sent", "failed"
COLUMNS = ["Key", "Job", "Recipient", "Status", "Attempts", "Error", "Message-ID", "At"]


@dataclass(frozen=True)
class LedgerEntry:
    key: str
    job: str
    recipient: str
    status: str
    attempts: int
    error: str
    message_id: str
    at: str


class Ledger(Protocol):
    def entries(self) -> dict[str, LedgerEntry]:
        """The latest entry of every key."""

    def record(self, entry: LedgerEntry) -> None:
        """Store one step before returning."""

    def batch(self):
        """A context in which many steps are recorded (kept open, synced at the end)."""


class CsvLedger:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._fh = None

    def entries(self) -> dict[str, LedgerEntry]:
        if not self.path.exists():
            return {}
        out: dict[str, LedgerEntry] = {}
        with self.path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            for row in reader:
                if len(row) < len(COLUMNS):
                    continue  # a line cut short by a crash mid-write
                try:
                    attempts = int(row[4] or 0)
                except ValueError:
                    raise StopRun(f"The mail ledger {self.path} line {reader.line_num} has '{row[4]}' as its "
                                  f"attempts, not a number: put the number back; nothing was sent.") from None
                out[row[0]] = LedgerEntry(row[0], row[1], row[2], row[3], attempts, row[5], row[6], row[7])
        return out

    def record(self, entry: LedgerEntry) -> None:
        if self._fh is None:
            with self.batch():
                self.record(entry)
            return
        row = [entry.key, entry.job, entry.recipient, entry.status, entry.attempts,
               entry.error.replace("\n", " ")[:500], entry.message_id, entry.at]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(row)
        self._fh.write(buf.getvalue())
        self._fh.flush()

    @contextmanager
    def batch(self) -> Iterator[None]:
        if self._fh is not None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._fh = self.path.open("a", encoding="utf-8", newline="")
        try:
            if new:
                csv.writer(self._fh, lineterminator="\n").writerow(COLUMNS)
            yield
        finally:
            fh, self._fh = self._fh, None
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()


@contextmanager
def sending_lock(path: Path, timeout: float) -> Iterator[None]:
    """Only one run sends at a time; a second waits up to `timeout` seconds, then stops."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise StopRun(f"Another run has been sending mail for over {timeout:g} s (lock {path}); "
                      f"this run sent nothing.") from None
    try:
        yield
    finally:
        lock.release()
