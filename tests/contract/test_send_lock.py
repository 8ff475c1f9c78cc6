"""The SendLock contract on the file lock: one holder at a time, and word of another run's turn."""

from __future__ import annotations

import threading
import time

from automations.adapters.file_send_lock import FileSendLock


def test_first_holder_sees_no_other_run(tmp_path):
    """A run that is the only one says nobody applied effects meanwhile."""
    with FileSendLock(tmp_path / "l", 5).hold() as others:
        assert others is False


def test_another_runs_turn_is_reported(tmp_path):
    """A run built before another run held the lock learns that it must read the ledger again."""
    mine, theirs = FileSendLock(tmp_path / "l", 5), FileSendLock(tmp_path / "l", 5)
    with theirs.hold():
        pass
    with mine.hold() as others:
        assert others is True
    with mine.hold() as others:  # its own last turn is not news
        assert others is False


def test_nested_hold_is_the_same_turn(tmp_path):
    """Holding again inside a hold neither blocks nor reports another run."""
    lock = FileSendLock(tmp_path / "l", 1)
    with lock.hold(), lock.hold() as inner:
        assert inner is False


def test_second_holder_waits(tmp_path):
    """While one run holds the lock, another waits until it is released."""
    first, second = FileSendLock(tmp_path / "l", 5), FileSendLock(tmp_path / "l", 5)
    order = []

    def other():
        with second.hold():
            order.append("second")

    with first.hold():
        t = threading.Thread(target=other)
        t.start()
        time.sleep(0.2)
        order.append("first done")
    t.join(5)
    assert order == ["first done", "second"]


def test_a_run_killed_while_holding_is_reported(tmp_path):
    """A holder that never releases cleanly (killed) has still moved the mark for the next run."""
    import subprocess
    import sys

    mine = FileSendLock(tmp_path / "l", 5)
    code = ("import os, sys; sys.path.insert(0, sys.argv[2]); "
            "from automations.adapters.file_send_lock import FileSendLock; "
            "h = FileSendLock(__import__('pathlib').Path(sys.argv[1]), 5).hold(); h.__enter__(); os._exit(9)")
    from tests.conftest import ROOT

    assert subprocess.run([sys.executable, "-c", code, str(tmp_path / "l"), str(ROOT)]).returncode == 9
    with mine.hold() as others:
        assert others is True
