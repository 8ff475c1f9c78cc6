"""Overlapping runs (issue 11): a second `run-all` started while a first holds the run lock, on the local
backend and on the Airtable fake, and a cron `run-all` while the `schedule` process runs it. Real processes, mail through SMTP
to a loopback server that counts what it received: no key twice, the same end state as one clean run, and
the run that found the lock taken skips (exit 0, one `skipped:` line) as docs/operations.md "Running on a schedule"
says. (A cron run skipping while the scheduler's run is stopped by SIGTERM is in test_run_lock.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from filelock import FileLock, Timeout

from automations import bootstrap
from automations.config import load_config
from automations.jobs import run_all
from bench.crash_harness import ledger_status, stored_tables
from tests import smtp_server as smtp
from tests.airtable_env import BASE, TOKEN, TOKEN_ENV, AirtableEnv, seed_roster, use_airtable
from tests.conftest import ROOT, copy_example, use_smtp, wait_for, waiting_for_the_lock
from tests.fake_airtable import FakeAirtable, ManualClock
from tests.test_run_lock import configure

DAY = "2026-10-05"  # invitations, receipts and the digest: a run with much to send


def spawn(config: Path, day: str, env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "automations", "--config", str(config), "--as-of", day,
                             *extra, "run-all"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def base_env(**more: str) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost", **more}


def clean_run(folder: Path, days: list[str], fake: FakeAirtable | None = None):
    """One run of each day, in this process, in a fresh copy of the example: the keys sent, the tables."""
    config = copy_example(folder, "unusable_rows.csv")
    server = smtp.start()
    try:
        use_smtp(config, server)
        clock = ManualClock(start=1000.0)
        if fake is not None:
            use_airtable(config, fake.url)
            env = AirtableEnv(fake, clock, config)
            env.ctx(date(2026, 11, 23)).stores.admin.init(dry_run=False)
            seed_roster(env, folder / "data" / "ambassadors.csv")
        for day in days:
            run_all.run(bootstrap.build(load_config(config), date.fromisoformat(day), False,
                                        environ={TOKEN_ENV: TOKEN}, clock=clock.now, sleep=clock.sleep))
        return Counter(server.keys()), stored_tables(config, fake), ledger_status(config, fake)
    finally:
        server.controller.stop()


def lock_is_held(program: Path, command: str = "run-all") -> bool:
    """Whether some process holds `command`'s run lock now (asked of the lock itself, without waiting)."""
    probe = FileLock(str(program.parent / "data" / ".locks" / f"{command}.lock"), thread_local=False)
    try:
        probe.acquire(timeout=0)
    except Timeout:
        return True
    probe.release()
    return False


def second_while_first_holds_the_lock(program: Path, smtp_server, day: str, env: dict,
                                      skip_expected: bool) -> list[subprocess.CompletedProcess]:
    """Start a run-all, hold its first message at the SMTP server's gate (so it is inside the run lock, which
    the test checks on the lock itself), then start a second run-all. When the second is expected to skip,
    it is finished before the gate opens; otherwise the gate opens once the second is seen waiting for the lock.
    The two runs' results, first then second."""
    data = yaml.safe_load(program.read_text(encoding="utf-8"))
    data["mail"]["smtp"]["timeout_seconds"] = 300  # the first run waits at the gate for as long as the test says
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    gate = threading.Event()
    smtp_server.handler.behaviour.gate = gate
    first = spawn(program, day, env)
    try:
        wait_for(lambda: smtp_server.handler.behaviour.at_gate >= 1 or first.poll() is not None, 180)
        assert first.poll() is None and lock_is_held(program), "the first run-all never reached its first send"
        second = spawn(program, day, env)
        if skip_expected:
            second_done = finish(second)  # decided while the first still holds the lock
            gate.set()
            return [finish(first), second_done]
        wait_for(lambda: waiting_for_the_lock(second.pid) or second.poll() is not None)
        assert second.poll() is None, "the second run-all ended while the first held the lock"
        gate.set()
        return [finish(first), finish(second)]
    finally:
        gate.set()
        if first.poll() is None:
            first.kill()


def finish(proc: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = proc.communicate(timeout=180)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.mark.parametrize("wait", [0.5, 60], ids=["second-skips", "second-waits-then-runs"])
def test_two_run_alls_at_once_on_the_local_backend(program, smtp_server, tmp_path, wait):
    """Two run-all on one folder, the second started while the first holds the run lock (the first is kept
    inside it by the SMTP server, which holds its first message until the test lets it go): with a short lock
    wait the second prints `skipped:` and exits 0; with a long one, it waits, runs after the first and finds
    nothing left to send. Either way every key reaches the server once, and the files and ledger are one
    clean run's. Nothing here depends on how fast the machine is: the test waits on the lock and the gate."""
    use_smtp(program, smtp_server)
    configure(program, lock_wait_seconds=wait)
    runs = second_while_first_holds_the_lock(program, smtp_server, DAY, base_env(), skip_expected=wait < 1)
    skipped = [r for r in runs if r.stdout.startswith("skipped: run-all has been running since ")]
    if wait < 1:
        assert skipped == [runs[1]] and runs[1].returncode == 0 and runs[1].stderr == ""
    else:
        assert skipped == []
    assert all(r.returncode in (0, 1) for r in runs), [r.stderr for r in runs]
    keys, tables, ledger = clean_run(tmp_path / "clean", [DAY])
    got = Counter(smtp_server.keys())
    assert got == keys and set(got.values()) == {1}
    assert stored_tables(program) == tables and ledger_status(program) == ledger


def test_two_run_alls_at_once_on_the_airtable_fake(program, smtp_server, tmp_path):
    """On the Airtable fake (served on loopback; the runs pace themselves at 5 requests a second): the base
    is synced first, then a second run-all starts while the first holds the lock. It skips (exit 0), no message goes twice, no key is
    stored twice in any table, and the records are those of one clean run of the same days."""
    first, day = "2026-10-18", "2026-11-23"
    # The limit is off so the in-process set-up need not wait; the processes keep to 5 a second anyway.
    with FakeAirtable(token=TOKEN, base_ids=(BASE,), rate_limit_per_second=None) as fake, \
            FakeAirtable(token=TOKEN, base_ids=(BASE,), rate_limit_per_second=None) as ref_fake:
        use_smtp(program, smtp_server)
        configure(program, lock_wait_seconds=0.5)
        use_airtable(program, fake.url)
        clock = ManualClock(start=1000.0)
        env = AirtableEnv(fake, clock, program)
        env.ctx(date(2026, 11, 23)).stores.admin.init(dry_run=False)
        seed_roster(env, program.parent / "data" / "ambassadors.csv")
        run_all.run(env.ctx(date.fromisoformat(first)))
        runs = second_while_first_holds_the_lock(program, smtp_server, day, base_env(**{TOKEN_ENV: TOKEN}),
                                                 skip_expected=True)
        skipped = [r for r in runs if r.stdout.startswith("skipped: run-all has been running since ")]
        assert skipped == [runs[1]] and runs[1].returncode == 0
        assert all(r.returncode in (0, 1) for r in runs), [r.stderr for r in runs]
        keys, tables, ledger = clean_run(tmp_path / "clean", [first, day], ref_fake)
        got = Counter(smtp_server.keys())
        assert got == keys and set(got.values()) == {1}
        for name in ("Activities", "Check-ins", "Data problems", "Mail ledger"):
            stored = Counter(r["fields"].get("Key") for r in fake.records(BASE, name))
            assert all(n == 1 for n in stored.values()), name
        assert stored_tables(program, fake) == tables and ledger_status(program, fake) == ledger


def test_a_cron_run_all_while_the_scheduler_runs_it(program, smtp_server, tmp_path):
    """A `schedule` process catches up a missed run-all; a cron run-all started during it skips (exit 0). The
    scheduler's run goes to the end: every key once, and the files are one clean run's. The SMTP server holds
    the scheduler's first message at its gate until the cron run has ended, so the scheduler's run is inside
    its lock the whole time, however fast the machine."""
    use_smtp(program, smtp_server)
    data = yaml.safe_load(program.read_text(encoding="utf-8"))
    data["mail"]["smtp"]["timeout_seconds"] = 300  # the held message waits at the gate as long as the test says
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    configure(program, jobs={"run-all": "every day at 06:30"}, lock_wait_seconds=0.5)
    old = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="seconds")
    (program.parent / "data" / ".schedule.json").write_text(json.dumps({"run-all": {"start": old, "exit_code": 0}}))
    gate = threading.Event()
    smtp_server.handler.behaviour.gate = gate
    log = program.parent / "scheduler.log"
    with log.open("w") as err:
        sched = subprocess.Popen([sys.executable, "-m", "automations", "--config", str(program), "--as-of", DAY,
                                  "schedule"], stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT, env=base_env())
        try:
            wait_for(lambda: smtp_server.handler.behaviour.at_gate >= 1 or sched.poll() is not None)
            assert sched.poll() is None and lock_is_held(program), "the scheduler's run never reached its first send"
            cron = spawn(program, DAY, base_env())
            out, cron_err = cron.communicate(timeout=120)
            gate.set()
            assert cron.returncode == 0 and out.startswith("skipped: run-all has been running since "), cron_err
            wait_for(lambda: "INFO run-all: done" in log.read_text() or "run-all: failed" in log.read_text(), 120)
            sched.send_signal(signal.SIGTERM)
            assert sched.wait(120) == 0
        finally:
            gate.set()
            if sched.poll() is None:
                sched.kill()
    keys, tables, ledger = clean_run(tmp_path / "clean", [DAY])
    got = Counter(smtp_server.keys())
    assert got == keys and set(got.values()) == {1}
    assert stored_tables(program) == tables and ledger_status(program) == ledger
