"""`FileSendLock`: one run applies side effects at a time on this machine (a lock file).

Beside the lock, a generation mark changes each time a run takes it, before that run applies
anything (so a run killed while holding it has still moved it). A run that finds the mark moved
since it started knows another run may have applied effects meanwhile, so what it read of the
ledger must be read again; a run that finds it unchanged may trust what it read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ... import file_modes
from ...errors import StopRun


class FileSendLock:
    def __init__(self, path: Path, timeout: float):
        self.path = Path(path)
        self.timeout = timeout
        self._generation_path = self.path.with_name(self.path.name + ".generation")
        self._seen = self._generation()
        self._held = 0

    def _generation(self) -> str:
        try:
            return self._generation_path.read_text(encoding="ascii").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return ""

    @contextmanager
    def hold(self) -> Iterator[bool]:
        """Yield True when another run released the lock since this one started (re-read the ledger)."""
        if self._held:  # nested: this run holds it already
            self._held += 1
            try:
                yield False
            finally:
                self._held -= 1
            return
        file_modes.make_dirs(self.path.parent)
        lock = FileLock(str(self.path))
        try:
            lock.acquire(timeout=self.timeout)
        except Timeout:
            raise StopRun(f"Another run has been sending for over {self.timeout:g} s (lock {self.path}); "
                          f"this run sent nothing.") from None
        self._held = 1
        try:
            others = self._generation() != self._seen
            self._seen = f"{os.getpid()}-{os.urandom(6).hex()}"
            tmp = self._generation_path.with_name(self._generation_path.name + ".tmp")
            tmp.write_text(self._seen, encoding="ascii")
            os.replace(tmp, self._generation_path)
            yield others
        finally:
            self._held = 0
            lock.release()
