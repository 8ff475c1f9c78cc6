"""Scheduling ports: how runs take turns and show their progress.

The run lock (one run of each command at a time, whoever started it), progress display, and what
the long-running scheduler (`automations.scheduler`) drives: a job runner, the record of each job's
last run, and its lock (the run lock)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class RunLock(Protocol):
    """One run of each command at a time on this machine, whoever started it (cron, the scheduler, a person)."""

    def hold(self, command: str, wait_seconds: float | None = None) -> AbstractContextManager[None]:
        """Hold `command`'s lock for the run, waiting (bounded) for another run of it to end; raise
        `errors.AlreadyRunning` when it does not."""


class Progress(Protocol):
    """Shows how far long work has got: a bar on a terminal, nothing under cron (where the log lines tell)."""

    def track(self, items: Iterable, total: int | None, what: str) -> Iterator:
        """`items`, unchanged, while showing how many of `total` (None: unknown) are done."""


@dataclass(frozen=True)
class RunOutcome:
    """How one run ended: its exit code, a word for it (`done`, `failed`, `error`, `skipped`,
    `stopped`, `killed`) and a one-line summary."""

    exit_code: int
    outcome: str
    summary: str


class JobRunner(Protocol):
    """Runs one job for the scheduler (a child process taking the command's run lock)."""

    def __call__(self, command: str) -> RunOutcome:
        """Run `command` (a CLI command name) to its end and say how it ended."""


class ScheduleState(Protocol):
    """The scheduler's record of each job's last finished run (for catch-up after a restart)."""

    def last_start(self, job: str) -> datetime | None: ...

    def record(self, job: str, start: datetime, exit_code: int) -> None: ...


#: The lock the scheduler holds a command by: the run lock every job command takes.
SchedulerLock = RunLock
