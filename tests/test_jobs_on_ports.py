"""The jobs see only ports: run-all on in-memory adapters reaches the same verdicts as on the CSV
folder, and every effect goes through the ledger and the mailer it is given."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

from automations import bootstrap
from automations.config import load_config
from automations.jobs import run_all
from tests.conftest import ROOT
from tests.fakes import (
    FakeCheckinSource,
    FakeLedger,
    FakeMailer,
    FakeReportStore,
    FakeRosterStore,
    FakeSendLock,
    FakeWorkCache,
)

MONDAY = date(2026, 10, 5)


def memory_context(as_of: date, keys: Path):
    """The shipped configuration's rules, templates and settings, over memory adapters; the program's keys (privacy,
    credentials) in `keys`, never in the repository's own data folder."""
    config = load_config(ROOT / "config.yaml")
    config = config.model_copy(update={"local": config.local.model_copy(update={"dir": str(keys)})})
    ctx = bootstrap.build(config, as_of, dry_run=False)
    with (ROOT / "data" / "ambassadors.csv").open(encoding="utf-8-sig", newline="") as fh:
        roster = list(csv.reader(fh))
    with (ROOT / "data" / "checkin_responses.csv").open(encoding="utf-8-sig", newline="") as fh:
        responses = list(csv.reader(fh))
    stores = replace(ctx.stores, roster=FakeRosterStore(roster[0], roster[1:], config.ambassadors.fields),
                     checkins=FakeCheckinSource(responses[0], responses[1:]), reports=FakeReportStore(),
                     ledger=FakeLedger(), cache=FakeWorkCache())
    return replace(ctx, stores=stores, mail=replace(ctx.mail, lock=FakeSendLock(), mailer=FakeMailer()))


def test_run_all_on_memory_adapters(tmp_path):
    """Verdicts, standings and messages come out of the ports alone; nothing touches a file but the keys."""
    before = sorted(p.name for p in (ROOT / "data").iterdir())
    ctx = memory_context(MONDAY, tmp_path)
    results = run_all.run(ctx)
    assert all(not r.failures for r in results)
    stored = ctx.stores.reports.load()
    assert len(stored.activities) > 200 and len(stored.problems) >= 9
    assert ctx.stores.roster.written["priya.deshmukh@example.org"].standing == "good"
    sent = ctx.mail.mailer.sent
    # besides the messages, the ledger remembers the dates their calendar files went with (`domain.calendar`)
    assert sent and {m.key for m in sent} == {e.key for e in ctx.stores.ledger.steps
                                              if e.status == "sent" and e.job != "calendar"}
    assert ctx.mail.lock.held >= 1
    assert sorted(p.name for p in (ROOT / "data").iterdir()) == before  # the repository's data folder untouched


def test_second_run_on_memory_adapters_sends_nothing(tmp_path):
    """The ledger it was given is what stops a second send."""
    ctx = memory_context(MONDAY, tmp_path)
    run_all.run(ctx)
    first = len(ctx.mail.mailer.sent)
    run_all.run(ctx)
    assert len(ctx.mail.mailer.sent) == first > 0
