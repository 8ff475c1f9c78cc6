"""The RunLock and SchedulerLock contracts (`ports.RunLock`, `scheduler.SchedulerLock`): one run of each command at
a time, whoever started it. The file lock (`FileRunLock`, an flock under `<local.dir>/.locks`) is the adapter of
both: the scheduler takes the same lock a cron line or a person takes.

Two adapters over the same folder stand for two runs; the contender waits 0 s, so nothing here depends on timing.
"""

from __future__ import annotations

import pytest

from automations.adapters.files.run_lock import FileRunLock
from automations.errors import AlreadyRunning


class RunLockContract:
    """What every run lock promises. A subclass gives `make`: a factory of locks over one machine's state (each
    call: another run's lock)."""

    @pytest.fixture
    def make(self):
        raise NotImplementedError

    def test_a_second_run_of_the_same_command_is_refused(self, make):
        """While one run holds a command's lock, another that will not wait is told so (`AlreadyRunning`)."""
        with make().hold("sync-checkins", wait_seconds=0), pytest.raises(AlreadyRunning, match="sync-checkins"), \
                make().hold("sync-checkins", wait_seconds=0):
            pass  # pragma: no cover - never entered

    def test_other_commands_run_meanwhile(self, make):
        """The lock is per command: another command's run is not held up."""
        entered = []
        with make().hold("sync-checkins", wait_seconds=0), make().hold("compliance", wait_seconds=0):
            entered.append("compliance")
        assert entered == ["compliance"]

    def test_the_lock_is_free_once_the_run_ends(self, make):
        """Whether the run ended normally or by an error, the next run gets the lock at once."""
        lock = make()
        with lock.hold("report", wait_seconds=0):
            pass
        with pytest.raises(RuntimeError), lock.hold("report", wait_seconds=0):
            raise RuntimeError("the run failed")
        entered = []
        with make().hold("report", wait_seconds=0):
            entered.append(True)
        assert entered == [True]


class TestFileRunLock(RunLockContract):
    @pytest.fixture
    def make(self, tmp_path):
        return lambda: FileRunLock(tmp_path / ".locks", wait_seconds=0, stuck_after_seconds=3600)

    def test_the_refusal_names_who_holds_it(self, make):
        """The file lock says which process holds the command and since when (its `.holder` beside the lock)."""
        import os

        with make().hold("sync-checkins"), pytest.raises(AlreadyRunning, match=f"process {os.getpid()}"), \
                make().hold("sync-checkins"):
            pass  # pragma: no cover - never entered


class SchedulerLockContract(RunLockContract):
    """The scheduler's lock promises what a run lock does (it is the same lock, seen from the scheduler)."""


class TestFileSchedulerLock(SchedulerLockContract):
    @pytest.fixture
    def make(self, tmp_path):
        return lambda: FileRunLock(tmp_path / ".locks", wait_seconds=0, stuck_after_seconds=3600)
