"""The SendLock contract: one holder at a time, and word of another run's turn. Adapter: `FileSendLock` (an flock
on a file in `local.dir`, and a mark of the last turn beside it)."""

from __future__ import annotations

import threading

import pytest

from automations.adapters.files.send_lock import FileSendLock
from automations.errors import StopRun


class SendLockContract:
    """A subclass gives `make(wait_seconds)`: a lock over one machine's state (each call: another run's)."""

    @pytest.fixture
    def make(self):
        raise NotImplementedError

    def test_first_holder_sees_no_other_run(self, make):
        """A run that is the only one says nobody applied effects meanwhile."""
        with make(5).hold() as others:
            assert others is False

    def test_another_runs_turn_is_reported(self, make):
        """A run built before another run held the lock learns that it must read the ledger again."""
        mine, theirs = make(5), make(5)
        with theirs.hold():
            pass
        with mine.hold() as others:
            assert others is True
        with mine.hold() as others:  # its own last turn is not news
            assert others is False

    def test_nested_hold_is_the_same_turn(self, make):
        """Holding again inside a hold neither blocks nor reports another run."""
        lock = make(1)
        with lock.hold(), lock.hold() as inner:
            assert inner is False

    def test_a_second_holder_is_kept_out_for_its_bounded_wait(self, make):
        """While one run holds the lock, another that cannot wait longer stops before sending (`StopRun`), and gets
        the lock once the first is done, told that another run had its turn."""
        first, second = make(5), make(0)
        with first.hold(), pytest.raises(StopRun, match="sent nothing"), second.hold():
            pass  # pragma: no cover - never entered
        with second.hold() as others:
            assert others is True

    def test_second_holder_waits(self, make):
        """A run that may wait takes its turn after the holder's (no timing: whenever the other thread asks, it
        gets the lock only once the first is released)."""
        first, second = make(5), make(5)
        order = []

        def other():
            with second.hold():
                order.append("second")

        with first.hold():
            t = threading.Thread(target=other)
            t.start()
            order.append("first done")
        t.join(5)
        assert order == ["first done", "second"]

class TestFileSendLock(SendLockContract):
    @pytest.fixture
    def make(self, tmp_path):
        return lambda wait_seconds: FileSendLock(tmp_path / "l", wait_seconds)

    def test_a_run_killed_while_holding_is_reported(self, make, tmp_path):
        """A holder that never releases cleanly (killed) has still moved the mark for the next run."""
        import subprocess
        import sys

        mine = make(5)
        code = ("import os, sys; sys.path.insert(0, sys.argv[2]); "
                "from automations.adapters.files.send_lock import FileSendLock; "
                "h = FileSendLock(__import__('pathlib').Path(sys.argv[1]), 5).hold(); h.__enter__(); os._exit(9)")
        from tests.conftest import ROOT

        assert subprocess.run([sys.executable, "-c", code, str(tmp_path / "l"), str(ROOT)]).returncode == 9
        with mine.hold() as others:
            assert others is True
