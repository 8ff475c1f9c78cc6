"""`SharedPacer`: a service's request budget kept by every process on this machine together.

Airtable allows 5 requests a second per base and Discourse an admin key 60 a minute; a budget kept by
one process alone is overrun by the next command started right after it (cron's `run-all;
certificates`, the scheduler's children, a `doctor` after an `init`), which then sits out the
service's penalty. So the send times live in one small state file, `<local.dir>/.locks/pacing.json`,
read and rewritten under an exclusive `flock` on the file itself: at most `limit` sends of one key
(`airtable:<base id>`, `forum:<host>`) in any `window` seconds, whichever process makes them.

What the file holds, per key: the recent sends as `[time, pid, owner, open]` and `until`, the end of
a penalty the service announced (a 429) that every process waits out. No token or key, ever: the base
id and the forum's host name the budget. It is 0600 and about a kilobyte.

How a send is counted: `start` waits for a free place and reserves it as *open* (in flight);
`done` closes it at the time the answer came back. A place is free again `window` seconds after
its send was closed, so the service, which counts a request when it receives it (between the
reservation and the answer), never sees more than `limit` in a window, however long a request takes
in flight or a process waits to be scheduled. A place left open by a process that is gone (killed
mid-request) is closed when found, at that moment; one open longer than `open_for` seconds (the
request's own timeout has passed) is closed at its deadline.

The clock: `time.monotonic()` in production, which on Linux is CLOCK_MONOTONIC, one clock for every
process of the machine and never set back by NTP or a person. It restarts at boot, so a time in the
file later than now is from before a reboot (or another clock, a test's) and is dropped; a time from
before a reboot that looks recent holds a place for at most one window. Tests pass a manual clock and
sleep: the file works the same with them.

A missing state file is made; one that cannot be read as this shape (cut short by a crash, edited)
is started afresh, silently: the worst is one window over the budget, which the client's retry
absorbs. A file that cannot be opened at all (a read-only folder) leaves the budget to this process
alone, as before.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ... import file_modes

STATE_FILE = "pacing.json"  # in <local.dir>/.locks/
POLL_SECONDS = 0.05  # how often to look again while every place is held by a send still in flight
LONGEST_HOLD_OFF = 3600.0  # a penalty said to end further off than this is from another clock: dropped


class SharedPacer:
    """At most `limit` sends of `key` in any `window` seconds, among every pacer on the same `path`
    (None: this pacer alone, in memory)."""

    def __init__(self, path: Path | None, key: str, limit: int, window: float, *, clock: Callable[[], float],
                 sleep: Callable[[float], None], open_for: float):
        self.path = Path(path) if path is not None else None
        self.key = key
        self.limit = max(1, int(limit))
        self.window = float(window)
        self.clock = clock
        self.sleep = sleep
        self.open_for = float(open_for)
        self.owner = uuid.uuid4().hex[:12]  # this pacer's sends, among others of the same process
        self._pid = os.getpid()
        self._memory: dict[str, Any] = {}  # the state when there is no file (or it cannot be opened)
        self._seq = 0

    # -- the budget --------------------------------------------------------------------------

    def start(self) -> str:
        """Wait until a send of `key` keeps within the budget, reserve it, and return its ticket for `done`."""
        while True:
            with self._state() as state:
                entry = state.setdefault(self.key, {})
                now = self.clock()
                sent = self._live(entry, now)
                until = _number(entry.get("until"))
                if until is not None and not now < until <= now + LONGEST_HOLD_OFF:
                    until = None
                if until is None and len(sent) < self.limit:
                    self._seq += 1
                    ticket = f"{self.owner}.{self._seq}"
                    sent.append([now, self._pid, ticket, True])
                    entry["sent"] = sent
                    entry.pop("until", None)
                    return ticket
                entry["sent"] = sent
                if until is not None:
                    wait = until - now
                else:
                    frees = [at + self.window for at, _pid, _owner, is_open in sent if not is_open]
                    wait = min(frees) - now if frees else POLL_SECONDS
            self.sleep(max(wait, 1e-3))

    def done(self, ticket: str) -> None:
        """The answer to the send `ticket` came back (or never will): its place frees `window` seconds from now."""
        with self._state() as state:
            entry = state.setdefault(self.key, {})
            now = self.clock()
            sent = self._live(entry, now)
            for s in sent:
                if s[2] == ticket:
                    s[0], s[3] = now, False
            entry["sent"] = sent

    def hold_off(self, seconds: float) -> None:
        """The service answered with a penalty of `seconds` (a 429): no process sends this key until it ends."""
        with self._state() as state:
            entry = state.setdefault(self.key, {})
            now = self.clock()
            until, other = now + seconds, _number(entry.get("until"))
            entry["until"] = other if other is not None and until < other <= now + LONGEST_HOLD_OFF else until

    @contextmanager
    def sending(self) -> Iterator[None]:
        """One send within the budget: reserved before the block, closed after it, however it ends."""
        ticket = self.start()
        try:
            yield
        finally:
            self.done(ticket)

    def _live(self, entry: dict, now: float) -> list[list]:
        """The sends of `entry` that still hold a place at `now`, each `[at, pid, owner, open]`: those whose
        place has freed, from another clock or unreadable are dropped; an open one whose process is gone, or
        past `open_for`, is closed."""
        out = []
        raw = entry.get("sent")
        for item in raw if isinstance(raw, list) else []:
            if not (isinstance(item, list) and len(item) == 4):
                continue
            at, pid, owner, is_open = _number(item[0]), item[1], item[2], item[3]
            if at is None or at > now or not isinstance(pid, int) or not isinstance(owner, str):
                continue
            is_open = bool(is_open)
            if is_open and at + self.open_for <= now:
                at, is_open = at + self.open_for, False
            elif is_open and pid != self._pid and not _alive(pid):
                at, is_open = now, False  # killed mid-request: it may have arrived at any time until now
            if is_open or at + self.window > now:
                out.append([at, pid, owner, is_open])
        return out

    # -- the state file ----------------------------------------------------------------------

    @contextmanager
    def _state(self) -> Iterator[dict]:
        """The shared state, for reading and changing, under the file's exclusive lock; written back after."""
        fd = self._open()
        if fd is None:
            yield self._memory
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            state = _parse(_read_all(fd))
            yield state
            data = json.dumps(state, separators=(",", ":")).encode("ascii")
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, data)
            os.ftruncate(fd, len(data))
        finally:
            os.close(fd)  # frees the lock

    def _open(self) -> int | None:
        if self.path is None:
            return None
        try:
            file_modes.make_dirs(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, file_modes.PRIVATE_FILE)
        except OSError:
            self.path = None  # a folder this account cannot write: this process keeps the budget alone
            return None
        try:
            info = os.fstat(fd)
            if info.st_mode & 0o777 != file_modes.PRIVATE_FILE and info.st_uid == os.geteuid():
                os.fchmod(fd, file_modes.PRIVATE_FILE)
        except OSError:
            pass
        return fd


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(data: bytes) -> dict:
    """The state the file holds, or a fresh one when it holds nothing readable."""
    try:
        state = json.loads(data.decode("ascii")) if data else {}
    except (UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(state, dict):
        return {}
    return {k: v for k, v in state.items() if isinstance(k, str) and isinstance(v, dict)}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _alive(pid: int) -> bool:
    """Whether process `pid` still exists (one of another user's counts as existing)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
