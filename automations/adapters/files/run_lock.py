"""`FileRunLock`: one run of each command at a time on this machine, whoever started it.

Every job command takes `<local.dir>/.locks/<command>.lock` (an `flock` through `filelock`) for
the whole run: a cron line, the scheduler's child and a person at a terminal all take the same
one. The kernel drops an `flock` when its process ends, however it ends, so a run that was killed
never blocks the next. Beside the lock, `<command>.holder` says who holds it and since when, so
a run that finds it taken can say by whom, and whether that run looks stuck.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from ... import file_modes
from ...errors import AlreadyRunning
from .atomic import atomic_write


class FileRunLock:
    def __init__(self, folder: Path, wait_seconds: float, stuck_after_seconds: float,
                 clock: Callable[[], float] = time.time):
        self.folder = Path(folder)
        self.wait_seconds = wait_seconds
        self.stuck_after_seconds = stuck_after_seconds
        self.clock = clock

    def _paths(self, command: str) -> tuple[Path, Path]:
        name = "-".join(command.split())
        return self.folder / f"{name}.lock", self.folder / f"{name}.holder"

    @contextmanager
    def hold(self, command: str, wait_seconds: float | None = None) -> Iterator[None]:
        """Hold `command`'s lock for the block, waiting up to `wait_seconds` (default: the configured
        wait) for another run to finish; raise AlreadyRunning if it does not."""
        lock_path, holder_path = self._paths(command)
        file_modes.make_dirs(self.folder)
        lock = FileLock(str(lock_path), thread_local=False)
        wait = self.wait_seconds if wait_seconds is None else wait_seconds
        try:
            lock.acquire(timeout=wait, poll_interval=0.05)
        except Timeout:
            raise self._taken(command, holder_path, wait) from None
        try:
            since = datetime.fromtimestamp(self.clock(), UTC)
            atomic_write(holder_path, json.dumps({"pid": os.getpid(), "since": since.isoformat(timespec="seconds")}))
            try:
                yield
            finally:
                holder_path.unlink(missing_ok=True)
        finally:
            lock.release()

    def _taken(self, command: str, holder_path: Path, waited: float) -> AlreadyRunning:
        """What to say when the lock stayed taken: who holds it, since when, and whether it looks stuck."""
        try:
            holder = json.loads(holder_path.read_text(encoding="utf-8"))
            pid, since = int(holder["pid"]), datetime.fromisoformat(holder["since"])
        except (OSError, ValueError, KeyError, TypeError):  # not written yet, or being replaced
            return AlreadyRunning(f"another run of {command} holds its lock ({holder_path.parent / holder_path.stem}"
                                  f".lock) and kept it for the {waited:g} s this run waited; this run did nothing")
        age = max(0.0, self.clock() - since.timestamp())
        held = f"{command} has been running since {since:%Y-%m-%d %H:%M:%S} UTC ({_duration(age)}, process {pid})"
        if age > self.stuck_after_seconds:
            return AlreadyRunning(f"{held}, longer than schedule.stuck_after_minutes "
                                  f"({_duration(self.stuck_after_seconds)}): it may be stuck; look at process {pid} "
                                  f"(a run that is killed frees the lock). This run did nothing", stuck=True)
        return AlreadyRunning(f"{held}; this run waited {waited:g} s for it and did nothing (the running one does "
                              f"the work)")


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return f"{seconds:.0f} s"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
