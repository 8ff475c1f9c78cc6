"""One run of each command at a time, shared by cron and the scheduler, and a clean stop on SIGTERM, with
real processes: a cron run while another holds the lock waits, then skips (exit 0) or reports a stuck run
(exit 1); a lock held by a killed process blocks nothing; SIGTERM sent to a real `schedule` process in
the middle of a run leaves no half-written file, no temporary file and a ledger that says exactly what
was sent; a second scheduler is refused."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from automations.adapters.files.run_lock import FileRunLock
from automations.errors import AlreadyRunning
from tests.conftest import ROOT, snapshot, use_smtp, wait_for, waiting_for_the_lock

AS_OF = "2026-11-23"


def configure(program: Path, **schedule_keys) -> None:
    data = yaml.safe_load(program.read_text(encoding="utf-8"))
    data["schedule"] = {**data.get("schedule", {}), **schedule_keys}
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "automations", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout)


def locks(program: Path, wait: float = 0, stuck_after_minutes: float = 180) -> FileRunLock:
    return FileRunLock(program.parent / "data" / ".locks", wait, stuck_after_minutes * 60)


def job_files(program: Path) -> dict[str, bytes]:
    """What the jobs write (the lock folder, where the waiting run's lock file lives, left out)."""
    return {k: v for k, v in snapshot(program.parent).items() if not k.startswith("data/.locks/")}


class TestASecondRun:
    def test_waits_then_skips_with_exit_0_and_does_nothing(self, program):
        """While another run of sync-checkins holds the lock, a cron run waits lock_wait_seconds, then says
        who is running since when on one `skipped:` line, exits 0 (an expected overlap must not alert) and
        writes nothing."""
        configure(program, lock_wait_seconds=0.5)
        before = job_files(program)
        with locks(program).hold("sync-checkins"):
            started = time.monotonic()
            res = cli("--config", str(program), "--as-of", AS_OF, "sync-checkins")
            took = time.monotonic() - started
        assert res.returncode == 0, res.stderr
        assert res.stdout.startswith("skipped: sync-checkins has been running since ") and res.stderr == ""
        assert f"process {os.getpid()}" in res.stdout and "waited 0.5 s" in res.stdout
        assert took >= 0.5 and job_files(program) == before

    def test_a_run_held_past_stuck_after_minutes_is_exit_1(self, program):
        """When the other run has held the lock longer than schedule.stuck_after_minutes, the skip is a
        failure (exit 1, on stderr): a run that hangs becomes visible."""
        configure(program, lock_wait_seconds=0.3, stuck_after_minutes=0.001)
        with locks(program).hold("sync-checkins"):  # held for at least the 0.3 s the run waits: past 0.06 s
            res = cli("--config", str(program), "--as-of", AS_OF, "sync-checkins")
        assert res.returncode == 1
        assert res.stderr.startswith("failed: sync-checkins has been running since ") and "may be stuck" in res.stderr

    def test_runs_when_the_first_finishes_within_the_wait(self, program):
        """A run that ends while the second waits: the second takes the lock and does its work."""
        configure(program, lock_wait_seconds=60)
        held, release = threading.Event(), threading.Event()

        def first():
            with locks(program).hold("sync-checkins"):
                held.set()
                release.wait(10)

        t = threading.Thread(target=first)
        t.start()
        assert held.wait(60)
        second = subprocess.Popen([sys.executable, "-m", "automations", "--config", str(program), "--as-of", AS_OF,
                                   "sync-checkins"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            wait_for(lambda: waiting_for_the_lock(second.pid) or second.poll() is not None)
            assert second.poll() is None, "the second run ended while the first held the lock"
        finally:
            release.set()
            t.join()
        out, err = second.communicate(timeout=120)
        res = subprocess.CompletedProcess(second.args, second.returncode, out, err)
        assert res.returncode in (0, 1), res.stderr
        assert "skipped" not in res.stdout and (program.parent / "data" / "activities.csv").is_file()

    def test_other_commands_and_dry_runs_do_not_wait(self, program):
        """The lock is per command: compliance runs while sync-checkins is held; a dry run writes nothing and
        takes no lock. (No wait is allowed, so a run that wanted the held lock would print `skipped:`.)"""
        configure(program, lock_wait_seconds=0)
        assert cli("--config", str(program), "--as-of", AS_OF, "sync-checkins").returncode in (0, 1)
        with locks(program).hold("sync-checkins"):
            dry = cli("--config", str(program), "--as-of", AS_OF, "--dry-run", "sync-checkins")
            other = cli("--config", str(program), "--as-of", AS_OF, "compliance")
            skipped = cli("--config", str(program), "--as-of", AS_OF, "sync-checkins")
        assert dry.returncode in (0, 1) and "skipped" not in dry.stdout
        assert other.returncode in (0, 1) and "skipped" not in other.stdout
        assert skipped.stdout.startswith("skipped: sync-checkins")  # the lock really was held

    def test_a_lock_held_by_a_killed_process_blocks_nothing(self, program):
        """A run killed with SIGKILL while it held the lock: the kernel frees it, and the next run goes ahead
        at once (it may not wait at all, so a lock still held would make it print `skipped:`)."""
        configure(program, lock_wait_seconds=0)
        holder = subprocess.Popen([sys.executable, "-c", (
            "import sys, time; from pathlib import Path; from automations.adapters.files.run_lock import FileRunLock\n"
            "with FileRunLock(Path(sys.argv[1]), 0, 3600).hold('sync-checkins'):\n"
            "    print('held', flush=True); time.sleep(120)"), str(program.parent / "data" / ".locks")],
            stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(AlreadyRunning), locks(program).hold("sync-checkins"):  # really held
            pass
        holder.kill()
        holder.wait(60)
        res = cli("--config", str(program), "--as-of", AS_OF, "sync-checkins")
        assert res.returncode in (0, 1) and "skipped" not in res.stdout, res.stdout


def ledger_status(program: Path) -> dict[str, tuple[str, str]]:
    """Each key's latest step in the mail ledger: (status, error)."""
    with (program.parent / "data" / "mail_ledger.csv").open(encoding="utf-8", newline="") as fh:
        return {row["Key"]: (row["Status"], row["Error"]) for row in csv.DictReader(fh)}


class TestTheScheduleProcess:
    def test_sigterm_mid_run_leaves_everything_whole(self, program, smtp_server):
        """A real `schedule` process catches up a missed run-all; the SMTP server holds its first message at a
        gate, so the run is inside its lock for as long as the test needs. Meanwhile a cron run-all skips (exit
        0). Then SIGTERM, and once the scheduler has passed it on, the gate opens: the message being sent
        finishes, the run stops before the next one, the scheduler logs it and exits 0. No temporary file is left, every CSV
        reads whole, the ledger holds `sent` for exactly the messages the server received and `failed`
        ("not tried") for the rest of that batch, and the stopped run is not recorded as done. A later run
        sends every other message once: no key twice."""
        use_smtp(program, smtp_server)
        data = yaml.safe_load(program.read_text(encoding="utf-8"))
        data["mail"]["smtp"]["timeout_seconds"] = 300  # the held message waits at the gate as long as the test says
        program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        configure(program, jobs={"run-all": "every day at 06:30"}, lock_wait_seconds=0.5, stop_wait_seconds=300)
        state = program.parent / "data" / ".schedule.json"
        old = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="seconds")
        state.write_text(json.dumps({"run-all": {"start": old, "exit_code": 0}}))
        gate = threading.Event()
        smtp_server.handler.behaviour.gate = gate
        log = program.parent / "scheduler.log"
        with log.open("w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "automations", "--config", str(program), "--as-of",
                                     "2026-10-19", "schedule"], stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT,
                                    env={**os.environ, "PYTHONPATH": str(ROOT)})
            try:
                wait_for(lambda: smtp_server.handler.behaviour.at_gate >= 1 or proc.poll() is not None)
                cron = cli("--config", str(program), "--as-of", "2026-10-19", "run-all")
                assert cron.returncode == 0 and cron.stdout.startswith("skipped: run-all has been running since ")
                proc.send_signal(signal.SIGTERM)
                wait_for(lambda: "SIGTERM received; asked the run" in log.read_text() or proc.poll() is not None)
                gate.set()
                assert proc.wait(120) == 0
            finally:
                gate.set()
                if proc.poll() is None:
                    proc.kill()
        text = log.read_text()
        assert "run-all: SIGTERM received; asked the run" in text
        assert "INFO run-all: stopped, exit 1" in text and "stopped: SIGTERM asked this run to stop" in text
        assert text.rstrip().endswith("scheduler stopped (SIGTERM); exit 0")

        assert not [p for p in program.parent.rglob("*") if p.name.endswith(".tmp")]
        for table in (program.parent / "data").glob("*.csv"):
            with table.open(encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.reader(fh))
            assert all(len(r) == len(rows[0]) for r in rows[1:]), table.name
        received = smtp_server.keys()
        steps = ledger_status(program)
        # (the dates calendar files go with are remembered before the messages go: not messages, `test_calendar`)
        assert {k for k, (s, _) in steps.items() if s == "sent" and not k.startswith("calendar:")} == set(received)
        not_tried = {k for k, (s, e) in steps.items() if s == "failed"}
        assert not_tried and all(steps[k][1] == "not tried: SIGTERM stopped the run first" for k in not_tried)
        assert not any(s == "sending" for s, _ in steps.values())
        assert json.loads(state.read_text())["run-all"]["start"] == old  # a restart catches it up

        smtp_server.handler.behaviour.gate = None
        again = cli("--config", str(program), "--as-of", "2026-10-19", "run-all")
        assert again.returncode in (0, 1), again.stderr
        keys = smtp_server.keys()
        assert len(keys) == len(set(keys)) > len(received)
        assert not_tried <= set(keys)
        assert all(s == "sent" for s, _ in ledger_status(program).values())

    def test_one_scheduler_at_a_time_and_ctrl_c_stops_it(self, program):
        """A second `schedule` on the same local.dir is refused (exit 2, one sentence); the first, idle (its
        next run a day away), stops on Ctrl-C (SIGINT) and exits 0."""
        configure(program, jobs={"run-all": "every day at 06:30"})
        first = subprocess.Popen([sys.executable, "-m", "automations", "--config", str(program), "schedule",
                                  "--log-format", "json"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            started = json.loads(first.stderr.readline())
            assert started["event"] == "started" and started["level"] == "info"
            second = cli("--config", str(program), "schedule")
            assert second.returncode == 2
            assert second.stderr.startswith("Error: Another scheduler is already running")
            first.send_signal(signal.SIGINT)
            assert first.wait(120) == 0
            last = json.loads(first.stderr.read().strip().splitlines()[-1])
            assert last["event"] == "stopped" and "SIGINT" in last["message"]
        finally:
            if first.poll() is None:
                first.kill()
