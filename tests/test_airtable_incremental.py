"""Airtable read for its changes only: the tables read on every run are mirrored in the work cache, and a run asks
the base (the fake filters on `LAST_MODIFIED_TIME()` and `CREATED_TIME()` as Airtable does) only for what was created
or modified since the last read. Whatever the path, the end state must be the one a run reading every table whole
reaches: each scenario runs twice, on two fresh bases, once with `full_read_days: 0` (every read whole)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from automations.errors import ServiceUnavailable
from automations.jobs import run_all
from tests.airtable_env import BASE, TOKEN, AirtableEnv, drop_after_writes, seed_roster, use_airtable
from tests.conftest import copy_example
from tests.fake_airtable import FakeAirtable, ManualClock
from tests.test_airtable import end_state, keys_unique

MONDAY = date(2026, 10, 5)  # invitations, receipts and the digest due: every table is written
MIRRORED = ("Ambassadors", "Activities", "Check-ins", "Data problems", "Mail ledger")


def _reads(fake: FakeAirtable) -> tuple[Counter, Counter]:
    """Requests and records read, by table, since the log was last reset."""
    reads = [r for r in fake.requests if r.kind == "read"]
    return Counter(r.table for r in reads), Counter({t: sum(r.records for r in reads if r.table == t)
                                                    for t in {r.table for r in reads}})


class Scenario:
    """A fresh copy of the example program on a fresh fake base, `init` and the roster done."""

    def __init__(self, tmp: Path, full_read_days: int | None = None):
        self.dir = tmp
        self.config = copy_example(tmp, "unusable_rows.csv")
        self.clock = ManualClock(start=1000.0)
        self.fake = FakeAirtable(token=TOKEN, base_ids=(BASE,), clock=self.clock.now, wall=self.clock.wall).start()
        extra = {} if full_read_days is None else {"full_read_days": full_read_days}
        use_airtable(self.config, self.fake.url, **extra)
        self.env = AirtableEnv(self.fake, self.clock, self.config)
        self.env.ctx(MONDAY).stores.admin.init(dry_run=False)
        seed_roster(self.env, self.config.parent / "data" / "ambassadors.csv")

    def run(self, day: date = MONDAY):
        self.fake.reset_log()
        ctx = self.env.ctx(day)
        results = run_all.run(ctx)
        return ctx, results

    def edit(self, table: str, record_id: str, fields: dict) -> None:
        """A person changes a record (through the API: the base stamps the change as Airtable would)."""
        self.env.client().update(table, [(record_id, fields)], typecast=False)

    def delete(self, table: str, record_ids: list[str]) -> None:
        """A person deletes records in Airtable's interface."""
        self.fake.remove(BASE, table, record_ids)

    def record(self, table: str, field: str, value) -> dict:
        return next(r for r in self.fake.records(BASE, table) if r["fields"].get(field) == value)

    def close(self) -> None:
        self.fake.stop()


@pytest.fixture
def pair(tmp_path):
    """The same program twice: mirrored (the default), and read whole on every run."""
    made = [Scenario(tmp_path / "mirrored"), Scenario(tmp_path / "whole", full_read_days=0)]
    yield made
    for s in made:
        s.close()


def test_a_quiet_rerun_reads_one_page_a_table_and_only_what_changed(pair):
    """After a first run, a run with nothing new reads each mirrored table in one request, returning at most the
    records its own last writes left in the clock margin, and writes nothing; its end state is a whole read's."""
    mirrored, whole = pair
    for s in pair:
        s.run()
    ctx, _ = mirrored.run()
    requests, records = _reads(mirrored.fake)
    assert [r for r in mirrored.fake.requests if r.kind == "write"] == []
    assert all(requests[t] == 1 for t in MIRRORED), requests
    sizes = {t: len(mirrored.fake.records(BASE, t)) for t in MIRRORED}
    assert records["Activities"] < sizes["Activities"] and records["Check-ins"] < sizes["Check-ins"], (records, sizes)
    assert ctx.usage[0].requests <= 15
    whole.run()
    requests_whole, _ = _reads(whole.fake)
    assert sum(requests_whole.values()) > sum(requests.values())
    assert end_state(mirrored.fake) == end_state(whole.fake)

    # A second quiet run: nothing of the program's own is read again.
    mirrored.run()
    _, records = _reads(mirrored.fake)
    assert all(records[t] == 0 for t in MIRRORED), records


def test_what_a_person_edits_between_runs_is_picked_up(pair):
    """A problem staff mark ignored, an ambassador paused, an activity's title typed over: the next run reads those
    records and ends where a run reading everything ends (the activity written back as the responses say)."""
    for s in pair:
        s.run()
        problem = next(r for r in s.fake.records(BASE, "Data problems") if r["fields"].get("Status") == "open")
        s.edit("Data problems", problem["id"], {"Status": "ignored"})
        s.edit("Ambassadors", s.record("Ambassadors", "Email", "arjun.nair@example.com")["id"], {"Status": "paused"})
        activity = s.fake.records(BASE, "Activities")[3]
        s.edit("Activities", activity["id"], {"Title": "typed over by a person"})
        s.run()
    mirrored, whole = pair
    _, records = _reads(mirrored.fake)
    assert records["Data problems"] >= 1 and records["Ambassadors"] >= 1 and records["Activities"] >= 1
    assert records["Activities"] < len(mirrored.fake.records(BASE, "Activities"))
    assert end_state(mirrored.fake) == end_state(whole.fake)
    assert not [r for r in mirrored.fake.records(BASE, "Activities") if r["fields"].get("Title") ==
                "typed over by a person"]
    ignored = [r for r in mirrored.fake.records(BASE, "Data problems") if r["fields"].get("Status") == "ignored"]
    assert len(ignored) == 1


def test_a_deleted_record_is_found_at_the_full_read(pair):
    """Records deleted in Airtable's interface are invisible to a filter; the run on the day the full read falls due
    (`full_read_days` after the last) reads the tables whole and ends where a run reading everything ends: the
    program's records made again, the deleted ambassador gone."""
    for s in pair:
        s.run()
        s.delete("Activities", [r["id"] for r in s.fake.records(BASE, "Activities")[:5]])
        s.delete("Ambassadors", [s.record("Ambassadors", "Email", "arjun.nair@example.com")["id"]])
        s.run(MONDAY + timedelta(days=7))
    mirrored, whole = pair
    _, records = _reads(mirrored.fake)
    # Read whole (the run then deleted the copies of the ambassador who is gone).
    assert records["Activities"] >= len(mirrored.fake.records(BASE, "Activities")) > 100
    assert end_state(mirrored.fake) == end_state(whole.fake)
    keys_unique(mirrored.fake)


def test_a_deleted_ambassador_within_the_period_is_skipped_and_said(tmp_path):
    """Within the period the mirror still holds a deleted roster row; the run that would update its standing is
    refused that record by Airtable, goes on without it, says so, and the next run reads the table whole."""
    s = Scenario(tmp_path / "p")
    try:
        s.run()
        s.delete("Ambassadors", [s.record("Ambassadors", "Email", "arjun.nair@example.com")["id"]])
        ctx, results = s.run(MONDAY + timedelta(days=6))
        assert all(not r.failures for r in results)
        assert any("a record was deleted there since its last full read" in n for n in ctx.usage[0].notes)
        s.run(MONDAY + timedelta(days=6))
        _, records = _reads(s.fake)
        assert records["Ambassadors"] == len(s.fake.records(BASE, "Ambassadors"))  # read whole
        s.run(MONDAY + timedelta(days=6))
        _, records = _reads(s.fake)
        assert records["Ambassadors"] == 0  # and for its changes only again
    finally:
        s.close()


def test_writes_cut_short_leave_the_table_to_be_read_whole(tmp_path):
    """A run whose writes stop part-way (the connection dropped) leaves those mirrors unsettled: the next run reads
    those tables whole, never trusting a mirror that may lack what landed, and no record is doubled."""
    s = Scenario(tmp_path / "p")
    try:
        s.run()
        drop_after_writes(s.fake, 1)
        with pytest.raises(ServiceUnavailable):
            s.run(MONDAY + timedelta(days=1))  # a day whose run writes (new standings, mail)
        s.fake.on_request = None
        from tests.faults import Faults

        s.fake.faults = Faults()
        written = {r.table for r in s.fake.requests if r.kind == "write"}
        assert written
        s.run(MONDAY + timedelta(days=1))
        _, records = _reads(s.fake)
        for table in written & set(MIRRORED):
            assert records[table] >= len(s.fake.records(BASE, table)) - 1 or records[table] > 0
        keys_unique(s.fake)
    finally:
        s.close()


def test_a_table_made_again_is_read_whole(tmp_path):
    """Staff delete the Check-ins table and `init` makes it again, empty: the mirror was the old table's (by its
    id), so the next run reads the new one whole and fills it again."""
    s = Scenario(tmp_path / "p")
    try:
        s.run()
        before = len(s.fake.records(BASE, "Check-ins"))
        s.fake.delete_table(BASE, "Check-ins")
        s.env.ctx(MONDAY).stores.admin.init(dry_run=False)
        assert s.fake.records(BASE, "Check-ins") == []
        s.run()
        assert len(s.fake.records(BASE, "Check-ins")) == before
    finally:
        s.close()


def test_a_dry_run_keeps_no_mirror(tmp_path):
    """--dry-run reads (and may read for changes), and leaves the work cache as it was."""
    s = Scenario(tmp_path / "p")
    try:
        s.run()
        local = yaml.safe_load(s.config.read_text())["local"]["dir"]
        cache = (s.config.parent / local / ".work_cache.sqlite3")
        before = cache.read_bytes()
        run_all.run(s.env.ctx(MONDAY, dry_run=True))
        assert cache.read_bytes() == before
    finally:
        s.close()




# -- what a run and a person (or another process) do at the same time -------------------------------------------------

def test_a_staff_decision_taken_while_the_run_writes_is_read_next_run(tmp_path):
    """Staff pause an ambassador after this run read the roster and before its last write there: the roster's
    cursor stays at the run's read (its own writes touch only the standing fields, which the filter does not
    watch), so the next run reads the change."""
    s = Scenario(tmp_path / "p")
    try:
        s.run()
        ctx = s.env.ctx(MONDAY + timedelta(days=1))
        roster = ctx.stores.roster
        records = roster._all()
        fields = list(roster.client.mirrors.tables["Ambassadors"].fields)
        a, b = records[0], records[1]
        s.clock.advance(30)
        s.edit("Ambassadors", a["id"], {"Status": "paused"})  # staff, mid-run
        s.clock.advance(30)
        streak = roster.standing_fields["streak"]
        roster.client.update("Ambassadors", [(b["id"], {streak: (b["fields"].get(streak) or 0) + 1})],
                             typecast=False)  # the run's own write
        s.fake.reset_log()
        later = s.env.ctx(MONDAY + timedelta(days=2)).stores.roster.client
        got = {r["id"]: r for r in later.all_records("Ambassadors", fields)}
        assert got[a["id"]]["fields"].get("Status") == "paused"
        _, records_read = _reads(s.fake)
        assert records_read["Ambassadors"] == 1  # the staff edit alone: the run's standing write is not read back
    finally:
        s.close()


def test_another_process_s_ledger_step_in_the_same_second_is_read_again(tmp_path):
    """Run A records a step; run B, holding the send lock right after, records one in the same second of
    Airtable's clock; A, told another run sent (`refresh`), reads the ledger again from its own read, not from
    after its write, and finds B's step (else it would send that mail again)."""
    from automations.ports import LedgerEntry

    s = Scenario(tmp_path / "p")
    try:
        s.run()
        day = MONDAY + timedelta(days=1)
        ctx_b, ctx_a = s.env.ctx(day), s.env.ctx(day)
        mine, theirs = ctx_a.stores.ledger, ctx_b.stores.ledger
        mine.entries()
        mine.record(LedgerEntry("review:a-own", "test", "a@example.com", "sent", 1, "", "", "2026-10-06T10:00:00"))
        theirs.record(LedgerEntry("review:shared", "test", "x@example.com", "sent", 1, "", "<id@x>",
                                  "2026-10-06T10:00:00"))
        mine.refresh()
        assert "review:shared" in mine.entries()
    finally:
        s.close()


def test_a_key_made_again_after_a_person_deleted_its_record_is_held_once(tmp_path):
    """A person deletes an activity record (no filter sees it); the run upserts that key with new values, and
    Airtable creates a record: the mirror forgets the deleted one (never two copies of one key, so no save deletes
    the new one as a second copy), says so, and the next run reads the table whole and leaves one record."""
    s = Scenario(tmp_path / "p")
    try:
        s.run()
        ctx = s.env.ctx(MONDAY + timedelta(days=1))
        reports = ctx.stores.reports
        spec = reports.tables["activities"]
        names = [f.name for f in spec.fields]
        record = reports.client.all_records(spec.name, names)[3]
        key = record["fields"][spec.key]
        s.delete(spec.name, [record["id"]])
        reports.client.upsert(spec.name, [dict(record["fields"], Title="a corrected title")], spec.key)
        held = [r for r in reports.client.all_records(spec.name, names) if r["fields"].get(spec.key) == key]
        assert len(held) == 1 and held[0]["fields"]["Title"] == "a corrected title"
        assert any("deleted there since its last full read" in n for n in ctx.usage[0].notes)
        s.run(MONDAY + timedelta(days=2))
        _, records = _reads(s.fake)
        assert records["Activities"] >= len(s.fake.records(BASE, "Activities"))  # read whole
        assert len([r for r in s.fake.records(BASE, "Activities") if r["fields"].get(spec.key) == key]) == 1
        keys_unique(s.fake)
    finally:
        s.close()


def test_a_delete_meeting_a_record_already_gone_deletes_the_others(tmp_path):
    """The run deletes two stale records, one of which a person deleted meanwhile: Airtable refuses the batch
    (404); each is deleted alone, so the other is gone from the base and the mirror alike, and the table is read
    whole next run."""
    s = Scenario(tmp_path / "p")
    try:
        s.run()
        client = s.env.ctx(MONDAY + timedelta(days=1)).stores.reports.client
        spec = s.env.ctx(MONDAY).stores.reports.tables["activities"]
        names = [f.name for f in spec.fields]
        x, y = client.all_records(spec.name, names)[:2]
        s.delete(spec.name, [x["id"]])
        client.delete(spec.name, [x["id"], y["id"]])
        assert y["id"] not in {r["id"] for r in s.fake.records(BASE, spec.name)}
        s.fake.reset_log()
        again = s.env.ctx(MONDAY + timedelta(days=1)).stores.reports.client.all_records(spec.name, names)
        assert {r["id"] for r in again} == {r["id"] for r in s.fake.records(BASE, spec.name)}
        _, records = _reads(s.fake)
        assert records["Activities"] == len(again)  # read whole
    finally:
        s.close()


def test_replaying_one_day_still_reads_whole_every_period_of_airtable_s_days(tmp_path):
    """A program run again and again with one `--as-of` day (a replay, the README's example) still reads its tables
    whole once `full_read_days` of Airtable's own days have passed since the last whole read."""
    s = Scenario(tmp_path / "p")
    try:
        s.run()
        s.run()
        _, records = _reads(s.fake)
        assert records["Activities"] == 0
        s.clock.advance(7 * 24 * 3600)
        s.run()
        _, records = _reads(s.fake)
        assert records["Activities"] == len(s.fake.records(BASE, "Activities"))
    finally:
        s.close()
