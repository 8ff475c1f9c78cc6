"""The mail jobs end to end on the example program, sending to a real SMTP server on loopback."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from datetime import date, timedelta

import pytest
import yaml

from automations import bootstrap
from automations.adapters.csv.ledger import CsvLedger
from automations.config import load_config
from automations.jobs import mail_jobs, sync_checkins
from tests.conftest import ROOT, snapshot, use_smtp, wait_for, waiting_for_the_lock

MONDAY = "2026-10-12"  # inside the Q3 window: invitations are out, reminders d-10 due, the digest due
NOT_ACTIVE = {"hannah.schmidt", "mehmet.yilmaz", "tom.baker", "sofia.rossi", "lars.eriksson"}


def spawn(config, *args):
    return subprocess.Popen([sys.executable, "-m", "automations", "--config", str(config), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def not_active(email: str) -> bool:
    return email.split("@")[0] in NOT_ACTIVE


class TestRunAll:
    def test_twice_sends_nothing_new(self, cli, program, smtp_server):
        """run-all twice: the second run sends nothing and changes no file."""
        use_smtp(program, smtp_server)
        first = cli("--as-of", MONDAY, "run-all", config=program)
        assert first.code == 1 and "failed" not in first.err, first.err
        sent = smtp_server.keys()
        jobs = Counter(k.split(":")[0] for k in sent)
        assert jobs["checkin_reminder"] == 12 and jobs["staff_digest"] == 1 and jobs["checkin_receipt"] >= 5
        files = snapshot(program.parent)
        second = cli("--as-of", MONDAY, "run-all", config=program)
        assert smtp_server.keys() == sent and snapshot(program.parent) == files
        assert "0 messages sent" in second.out

    def test_dry_run_lists_and_sends_nothing(self, cli, program, smtp_server):
        """--dry-run shows recipient, job and key of every message, and sends nothing."""
        use_smtp(program, smtp_server)
        res = cli("--as-of", MONDAY, "--dry-run", "run-all", config=program)
        assert smtp_server.received == []
        assert "would send checkin_reminder to rahul.verma@example.net" in res.out
        assert "[checkin_reminder:2026Q3:rahul.verma@example.net:d-10]" in res.out
        assert not (program.parent / "data" / "mail_ledger.csv").exists()

    def test_outbox_default(self, cli, program):
        """On the default outbox transport, run-all writes .eml files and an index to preview."""
        cli("--as-of", MONDAY, "run-all", config=program)
        emls = list((program.parent / "outbox" / MONDAY).glob("*.eml"))
        assert len(emls) >= 18 and (program.parent / "outbox" / "index.html").exists()


class TestCrashAndConcurrency:
    def test_crash_between_send_and_record(self, cli, program, smtp_server):
        """Killed right after the server accepted a message: the rerun sends it again (one duplicate, same
        Message-ID), sends everything else once, and loses nothing."""
        use_smtp(program, smtp_server)
        assert cli("--as-of", MONDAY, "sync-checkins", config=program).code in (0, 1)
        proc = spawn(program, "--as-of", MONDAY, "reminders")
        smtp_server.handler.behaviour.kill_pid, smtp_server.handler.behaviour.kill_pid_after = proc.pid, 3
        proc.wait(timeout=60)
        assert proc.returncode == -9
        ledger = CsvLedger(program.parent / "data" / "mail_ledger.csv").entries()
        third = smtp_server.keys()[2]
        assert ledger[third].status == "sending"
        smtp_server.handler.behaviour.kill_pid = 0
        again = cli("--as-of", MONDAY, "reminders", config=program)
        assert again.code in (0, 1) and "failed" not in again.err
        counts = Counter(smtp_server.keys())
        assert counts[third] == 2 and all(n == 1 for k, n in counts.items() if k != third)
        ids = [r.message["Message-ID"] for r in smtp_server.received if r.message["X-Automation-Key"] == third]
        assert ids[0] == ids[1]
        dry = cli("--as-of", MONDAY, "--dry-run", "reminders", config=program)
        assert "0 messages would go" in dry.out  # nothing lost: every planned key is recorded as sent

    def test_two_runs_at_once(self, cli, program, smtp_server):
        """Two runs at once: the second starts while the first is sending (its first message held at the SMTP
        server's gate) and is let go once it waits on the run lock. Every key goes exactly once."""
        use_smtp(program, smtp_server)
        data = yaml.safe_load(program.read_text(encoding="utf-8"))
        data["mail"]["smtp"]["timeout_seconds"] = 300  # the held message waits at the gate as long as the test says
        program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        cli("--as-of", MONDAY, "sync-checkins", config=program)
        gate = threading.Event()
        smtp_server.handler.behaviour.gate = gate
        procs = [spawn(program, "--as-of", MONDAY, "reminders")]
        try:
            wait_for(lambda: smtp_server.handler.behaviour.at_gate >= 1 or procs[0].poll() is not None)
            procs.append(spawn(program, "--as-of", MONDAY, "reminders"))
            wait_for(lambda: waiting_for_the_lock(procs[1].pid) or procs[1].poll() is not None)
            assert procs[0].poll() is None and procs[1].poll() is None, [p.stderr.read() for p in procs]
        finally:
            gate.set()
        for p in procs:
            p.wait(timeout=120)
        assert all(p.returncode in (0, 1) for p in procs), [p.stderr.read() for p in procs]
        counts = Counter(smtp_server.keys())
        assert len(counts) >= 17 and set(counts.values()) == {1}


@pytest.mark.stress  # 123 days of every mail job: `.ci/run` runs it after the README's test command
def test_day_by_day_sweep_sends_each_key_once(program, smtp_server):
    """Every day from the start of Q3 to ten days after its window: each key once, nothing to the
    paused, alumni or removed, and every active ambassador invited to the Q3 check-in."""
    use_smtp(program, smtp_server)
    config = load_config(program)
    start, end = date(2026, 7, 1), date(2026, 10, 31)
    ctx = bootstrap.build(config, start, dry_run=False)
    sync = sync_checkins.run(ctx)
    day = start
    while day <= end:
        ctx = bootstrap.build(config, day, dry_run=False)
        before = len(smtp_server.received)
        for job in mail_jobs.JOBS:
            res = mail_jobs.run(ctx, job, synced=sync.data, problems=sync.data["problems"])
            assert res.failures == [], res.failures
        # One check-in request a day at most per person: never an invitation and a reminder, or two reminders.
        requests = Counter(k.split(":")[2] for k in smtp_server.keys()[before:]
                           if k.startswith(("checkin_invite:", "checkin_reminder:")))
        assert max(requests.values(), default=0) <= 1, (day, requests)
        day += timedelta(days=1)
    keys = smtp_server.keys()
    counts = Counter(keys)
    assert set(counts.values()) == {1}
    recipients = {r.rcpt_tos[0] for r in smtp_server.received}
    assert not any(not_active(e) for e in recipients)
    invited = {k.split(":")[2] for k in keys if k.startswith("checkin_invite:2026Q3:")}
    active = {a.email for a in mail_jobs.load_roster(ctx)[0] if a.status == "active" and a.start_date <= date(2026, 9, 30)}
    assert invited == active
    by_job = Counter(k.split(":")[0] for k in keys)
    assert by_job["staff_digest"] == 18 and by_job["standing_warned"] >= 1 and by_job["checkin_reminder"] >= 1
    # At most one reminder per configured step (10 and 3 days before the window closes).
    per_person_quarter = Counter((k.split(":")[1], k.split(":")[2]) for k in keys if k.startswith("checkin_reminder"))
    assert max(per_person_quarter.values()) <= 2
