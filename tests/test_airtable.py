"""The Airtable backend end to end: the real pyairtable client over HTTP against the fake base.

In-process runs share a manual clock with the fake's rate limiter, so a 30-second penalty costs
no real time; runs through the command line (`python -m automations`) use the real clock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import requests
import yaml

from automations.adapters.airtable.schema import base_spec
from automations.config import DEFAULT_AMBASSADOR_FIELDS, DEFAULT_STANDING_FIELDS, AirtableTables
from automations.errors import ServiceUnavailable
from automations.jobs import run_all
from tests.airtable_env import BASE, TOKEN, AirtableEnv, drop_after_writes, seed_roster, use_airtable
from tests.conftest import ROOT, go_live, snapshot
from tests.fake_airtable import FakeAirtable, Faults, ManualClock

AS_OF = date(2026, 11, 23)
MONDAY = date(2026, 10, 5)  # a day with invitations, receipts and the digest due
VOLATILE = {"Last attempt", "Sent at"}  # when a message went: differs between any two runs


def end_state(fake: FakeAirtable) -> dict[str, list]:
    """Every table's records as comparable values (no record ids, no send times), sorted."""
    out = {}
    for t in fake.tables(BASE):
        rows = [tuple(sorted((k, str(v)) for k, v in r["fields"].items() if k not in VOLATILE))
                for r in fake.records(BASE, t["name"])]
        out[t["name"]] = sorted(rows)
    return out


def keys_unique(fake: FakeAirtable) -> None:
    for name in ("Activities", "Check-ins", "Data problems", "Mail ledger"):
        keys = Counter(r["fields"].get("Key") for r in fake.records(BASE, name))
        assert all(n == 1 for n in keys.values()), (name, [k for k, n in keys.items() if n > 1][:3])


def writes(fake: FakeAirtable) -> list:
    return [r for r in fake.requests if r.kind == "write"]


def clean_run(program_dir: Path, tmp: Path, as_of: date = AS_OF) -> dict:
    """The end state of one run without faults, on a fresh base and a fresh copy of the program."""
    import shutil

    work = tmp / "clean"
    shutil.copytree(program_dir, work, ignore=shutil.ignore_patterns("outbox", "*ledger*", ".mail.lock*"))
    clock = ManualClock(start=1000.0)
    with FakeAirtable(token=TOKEN, base_ids=(BASE,), clock=clock.now, wall=clock.wall) as fake:
        use_airtable(work / "config.yaml", fake.url)
        env = AirtableEnv(fake, clock, work / "config.yaml")
        env.ctx(as_of).stores.admin.init(dry_run=False)
        seed_roster(env, work / "data" / "ambassadors.csv")
        run_all.run(env.ctx(as_of))
        return end_state(fake)


class TestRunAll:
    def test_first_run_fills_the_base(self, airtable):
        """Activities, check-ins, problems, standings and the ledger all land in the base."""
        results = run_all.run(airtable.ctx(MONDAY))
        assert all(not r.failures for r in results)
        acts = airtable.records("Activities")
        assert len(acts) > 100 and all(r["fields"]["Key"].startswith("a-") for r in acts)
        assert len(airtable.records("Check-ins")) > 50 and len(airtable.records("Data problems")) > 0
        sent = [r["fields"] for r in airtable.records("Mail ledger") if r["fields"].get("Status") == "sent"]
        assert sent and all(f.get("Message-ID", "").startswith("<") and f.get("Sent at") for f in sent)
        standing = {r["fields"]["Email"]: r["fields"].get("Standing") for r in airtable.records("Ambassadors")}
        assert "good" in standing.values() and "warned" in standing.values()
        keys_unique(airtable.fake)

    def test_second_run_writes_nothing_and_sends_nothing(self, airtable, program):
        """Run twice: the second run reads, writes no record and sends no message."""
        run_all.run(airtable.ctx(MONDAY))
        before = end_state(airtable.fake)
        outbox = snapshot(program.parent / "outbox")
        airtable.fake.reset_log()
        ctx = airtable.ctx(MONDAY)
        results = run_all.run(ctx)
        assert writes(airtable.fake) == []
        assert end_state(airtable.fake) == before
        assert snapshot(program.parent / "outbox") == outbox
        assert "0 messages sent" in next(r for r in results if r.job == "reminders").summary[0]
        usage = ctx.usage[0]
        # Reads: the pages needed; and the schema once (which table each mirror belongs to).
        assert usage.writes == 0 and usage.meta == 1 and usage.reads == usage.lower_bound

    def test_requests_against_the_lower_bound(self, airtable):
        """A first run stays within 1.05 times the fewest requests its work needs (no mail due)."""
        ctx = airtable.ctx(AS_OF)
        run_all.run(ctx)
        u = ctx.usage[0]
        assert u.retries == 0 and u.requests <= 1.05 * u.lower_bound

    def test_never_above_five_requests_a_second(self, airtable):
        """No one-second window of the base's log holds more than 5 requests, and none got a 429."""
        run_all.run(airtable.ctx(MONDAY))
        times = [r.at for r in airtable.fake.requests]
        assert len(times) > 40
        assert all(sum(1 for t in times if s <= t < s + 1.0) <= 5 for s in times)
        assert not [r for r in airtable.fake.requests if r.status == 429]

    def test_no_batch_over_ten_records(self, airtable):
        """Every write request carries at most 10 records and none was refused."""
        run_all.run(airtable.ctx(MONDAY))
        sizes = [r.records for r in writes(airtable.fake)]
        assert sizes and max(sizes) <= 10 and all(r.status == 200 for r in writes(airtable.fake))

    def test_dry_run_writes_nothing(self, airtable):
        """--dry-run on Airtable reads but sends no write request."""
        results = run_all.run(airtable.ctx(MONDAY, dry_run=True))
        assert writes(airtable.fake) == [] and airtable.records("Activities") == []
        assert any("would send" in line for r in results for line in r.summary)


class TestFaults:
    def test_429s_and_5xx_end_in_the_same_state(self, airtable, program, tmp_path):
        """With 30 % 429s and 10 % 5xx the run completes with the clean run's end state."""
        cfg = yaml.safe_load(program.read_text())
        cfg["airtable"]["max_attempts"] = 12
        program.write_text(yaml.safe_dump(cfg, sort_keys=False))
        airtable.fake.faults = Faults(rate_429=0.3, rate_5xx=0.1, seed=7)
        results = run_all.run(airtable.ctx(AS_OF))
        assert all(not r.failures for r in results)
        faults = Counter(r.fault for r in airtable.fake.requests)
        assert faults["429"] > 5 and faults["5xx"] > 1
        airtable.fake.faults = Faults()
        assert end_state(airtable.fake) == clean_run(program.parent, tmp_path)
        keys_unique(airtable.fake)

    def test_lost_replies_and_dropped_connections_never_duplicate(self, airtable, program, tmp_path):
        """A write applied but unanswered is retried as an upsert: no record twice, none lost."""
        cfg = yaml.safe_load(program.read_text())
        cfg["airtable"]["max_attempts"] = 12
        program.write_text(yaml.safe_dump(cfg, sort_keys=False))
        airtable.fake.faults = Faults(rate_lost_reply=0.2, rate_drop=0.1, seed=3)
        run_all.run(airtable.ctx(AS_OF))
        assert Counter(r.fault for r in airtable.fake.requests)["lost_reply"] > 3
        airtable.fake.faults = Faults()
        keys_unique(airtable.fake)
        assert end_state(airtable.fake) == clean_run(program.parent, tmp_path)

    def test_crash_between_batches_then_rerun(self, airtable, program, tmp_path):
        """The service stops answering after the third write batch; the next run completes the
        work: every record once, the same end state as a clean run."""
        cfg = yaml.safe_load(program.read_text())
        cfg["airtable"]["max_attempts"] = 1
        program.write_text(yaml.safe_dump(cfg, sort_keys=False))
        fake = airtable.fake
        drop_after_writes(fake, 3)
        with pytest.raises(ServiceUnavailable):
            run_all.run(airtable.ctx(AS_OF))
        partial = len(fake.records(BASE, "Activities"))
        assert 0 < partial < 200
        fake.on_request = None
        fake.faults = Faults()
        run_all.run(airtable.ctx(AS_OF))
        keys_unique(fake)
        assert end_state(fake) == clean_run(program.parent, tmp_path)

    def test_rate_limit_penalty_is_waited_out(self, airtable_base):
        """A 429 from the base's own limit: the client waits the 30 s out, then succeeds, without
        sending anything during the penalty."""
        fake, clock = airtable_base
        from tests.contract.conftest import init_base

        init_base(fake, clock)
        clock.advance(1.1)
        for _ in range(5):  # another program, keeping no budget with ours, fills this second's
            requests.get(f"{fake.url}/v0/{BASE}/Activities", headers={"Authorization": f"Bearer {TOKEN}"},
                         timeout=10).raise_for_status()
        fake.reset_log()
        from automations.adapters.airtable.client import AirtableClient, AirtableSettings

        # Still the same second as the other program's requests.
        mine = AirtableClient(AirtableSettings(BASE, TOKEN, fake.url, "AIRTABLE_TOKEN"), clock=clock.now,
                              sleep=clock.sleep)
        assert mine.table("Activities").all() == []
        log = fake.requests
        assert log[0].status == 429 and log[-1].status == 200
        assert log[-1].at - log[0].at >= 30 and len(log) == 2
        assert mine.usage.retries == 1

    def test_retry_budget_is_bounded(self, airtable_base):
        """A base that keeps failing is tried max_attempts times, then the run stops, naming no token."""
        fake, clock = airtable_base
        from tests.contract.conftest import airtable_client, init_base

        init_base(fake, clock)
        client = airtable_client(fake, clock)
        fake.reset_log()
        fake.faults = Faults(rate_5xx=1.0)
        with pytest.raises(ServiceUnavailable) as err:
            client.all_records("Activities", ["Key"])
        assert len(fake.requests) == 5 and TOKEN not in str(err.value)
        assert "Activities" in str(err.value)


def busiest_second(log) -> int:
    """The most requests to the base the fake received within one second (its own window: (t - 1, t])."""
    times = sorted(r.at for r in log if r.base_id == BASE)
    return max((sum(1 for u in times if t - 1.0 < u <= t) for t in times), default=0)


def spec():
    return base_spec(AirtableTables().model_dump(), {}, DEFAULT_AMBASSADOR_FIELDS, DEFAULT_STANDING_FIELDS)


@pytest.fixture
def live_base():
    """A fake base rate limited on the real clock, for runs of the command line in a subprocess."""
    with FakeAirtable(token=TOKEN, base_ids=(BASE,)) as fake:
        yield fake


def cli_env(token: str = TOKEN) -> dict:
    return {**os.environ, "AIRTABLE_TOKEN": token, "NO_PROXY": "127.0.0.1,localhost"}


def run_cli(program: Path, *args: str, token: str = TOKEN) -> subprocess.CompletedProcess:
    """The command line in its own process, started at once: every process of the program keeps the base's
    budget together (`files.pacing`), so one begun right after another's last requests meets no 429."""
    return subprocess.run([sys.executable, "-m", "automations", "--config", str(program), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=180, env=cli_env(token))


class TestInitAndDoctor:
    def test_init_doctor_init(self, program, live_base):
        """init on an empty base creates every table; doctor then finds every field, and only the roster empty
        (a FAIL: a program cannot start without ambassadors); init again creates nothing."""
        use_airtable(go_live(program), live_base.url)
        dry = run_cli(program, "--dry-run", "init")
        assert dry.returncode == 0 and "would create table 'Activities'" in dry.stdout
        assert live_base.tables(BASE) == []
        first = run_cli(program, "init")
        assert first.returncode == 0, first.stderr
        names = {t["name"] for t in live_base.tables(BASE)}
        # Every table of the configured names (later issues add theirs), these among them.
        assert names == set(AirtableTables().model_dump().values()) and {
            "Ambassadors", "Activities", "Check-ins", "Data problems", "Mail ledger", "Blog reviews",
            "Funding requests", "Conduct register"} <= names
        assert first.stdout.count("created table") == len(names)
        doctor = run_cli(program, "doctor")
        assert doctor.returncode == 2 and "doctor found 1 problem that stops" in doctor.stderr, doctor.stderr
        assert "FAIL roster Airtable table Ambassadors: no ambassador" in doctor.stderr
        assert "all 22 fields present" in doctor.stdout and "token in AIRTABLE_TOKEN accepted" in doctor.stdout
        before = len(live_base.requests)
        again = run_cli(program, "init")
        assert again.returncode == 0 and "nothing created" in again.stdout
        assert [r for r in live_base.requests[before:] if r.method == "POST"] == []
        # Four commands back to back, none waiting for the last one's requests to leave the base's window.
        assert [r for r in live_base.requests if r.status == 429] == []
        assert busiest_second(live_base.requests) <= 5

    def test_init_adds_missing_fields_and_keeps_staffs(self, program, live_base):
        """An existing Ambassadors table keeps its fields (staff's own too); init adds only what lacks."""
        use_airtable(program, live_base.url)
        live_base.create_table(BASE, "Ambassadors", [{"name": "Name", "type": "singleLineText"},
                                                     {"name": "Email", "type": "email"},
                                                     {"name": "Notes", "type": "multilineText"}])
        res = run_cli(program, "init")
        assert res.returncode == 0, res.stderr
        assert "created field 'Standing' (singleSelect) in table 'Ambassadors'" in res.stdout
        fields = {f["name"]: f["type"] for t in live_base.tables(BASE) if t["name"] == "Ambassadors"
                  for f in t["fields"]}
        assert fields["Notes"] == "multilineText" and fields["Perks"] == "multipleSelects"

    def test_doctor_names_missing_field_and_wrong_type(self, program, live_base):
        """doctor says which field is missing and which has the wrong type; exit 2."""
        use_airtable(program, live_base.url)
        s = spec()
        for table in s.tables.values():
            bodies = [f.create_body() for f in table.fields]
            if table.role == "activities":
                bodies = [b for b in bodies if b["name"] != "Views"]
            if table.role == "ambassadors":
                bodies = [{"name": "Start date", "type": "singleLineText"} if b["name"] == "Start date" else b
                          for b in bodies]
            live_base.create_table(BASE, table.name, bodies)
        res = run_cli(program, "doctor")
        assert res.returncode == 2
        assert "table 'Activities' has no field 'Views'" in res.stderr
        assert "field 'Start date' is singleLineText, expected date" in res.stderr

    def test_doctor_with_a_refused_token_never_shows_it(self, program, live_base):
        """A wrong token: doctor names the variable, exit 2, and the token appears nowhere."""
        use_airtable(program, live_base.url)
        wrong = "patWRONG.this-is-secret-9876543210"
        res = run_cli(program, "doctor", token=wrong)
        assert res.returncode == 2 and "AIRTABLE_TOKEN" in res.stderr
        assert wrong not in res.stdout + res.stderr

    def test_missing_token_is_one_sentence(self, program, live_base):
        """No token in the environment: exit 2, one sentence naming the variable."""
        use_airtable(program, live_base.url)
        res = run_cli(program, "run-all", token="")
        assert res.returncode == 2 and "AIRTABLE_TOKEN" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.stress  # a kill-and-restart case on the real clock's pacing (about 45 s): run by .ci/run after the main command
def test_killed_run_then_rerun_through_the_command_line(program, live_base, tmp_path):
    """run-all is SIGKILLed while its third write batch is in flight; a rerun completes the work:
    no record lost or doubled, the clean run's end state, and the token in no output or file."""
    use_airtable(program, live_base.url)
    assert run_cli(program, "init").returncode == 0
    env = AirtableEnv(live_base, ManualClock(), program)
    seed_roster(env, program.parent / "data" / "ambassadors.csv")
    count = []
    proc = subprocess.Popen([sys.executable, "-m", "automations", "--config", str(program), "--as-of", "2026-11-23",
                             "run-all"], cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)

    def kill_on_third_write(info):
        if info.kind == "write":
            count.append(1)
            if len(count) == 3:
                os.kill(proc.pid, signal.SIGKILL)

    live_base.on_request = kill_on_third_write
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    live_base.on_request = None
    # At once: the killed run's sends are in the shared budget (its request in flight freed a second after the
    # kill is seen), so the rerun meets no 429.
    rerun = run_cli(program, "--as-of", "2026-11-23", "run-all")
    assert rerun.returncode == 1, rerun.stderr  # the example's unusable rows
    assert "Airtable:" in rerun.stdout and "lower bound" in rerun.stdout
    assert [r for r in live_base.requests if r.status == 429] == [] and busiest_second(live_base.requests) <= 5
    keys_unique(live_base)
    assert end_state(live_base) == clean_run(program.parent, tmp_path)
    texts = out + err + rerun.stdout + rerun.stderr
    files = b"".join(p.read_bytes() for p in program.parent.rglob("*") if p.is_file())
    assert TOKEN not in texts and TOKEN.encode() not in files


class TestBadBase:
    def test_init_survives_lost_replies(self, program, airtable_base):
        """A table made but its reply lost: the retry finds it made, and init completes once."""
        fake, clock = airtable_base
        use_airtable(program, fake.url, max_attempts=12)
        env = AirtableEnv(fake, clock, program)
        fake.faults = Faults(rate_lost_reply=0.3, seed=4)
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        assert Counter(r.fault for r in fake.requests)["lost_reply"] >= 1
        fake.faults = Faults()
        names = [t["name"] for t in fake.tables(BASE)]
        assert sorted(names) == sorted(set(names)) and len(names) == len(AirtableTables.model_fields)
        assert all(f.ok for f in env.ctx(AS_OF).stores.admin.check())

    def test_doctor_names_case_and_precision(self, program, airtable_base):
        """A field named in another case, or keeping too few decimals, is named by doctor."""
        fake, clock = airtable_base
        use_airtable(program, fake.url)
        env = AirtableEnv(fake, clock, program)
        for table in spec().tables.values():
            bodies = [f.create_body() for f in table.fields]
            for b in bodies:
                if b["name"] == "Streak":
                    b["name"] = "streak"
                if b["name"] == "Hours":
                    b["options"] = {"precision": 0}
            fake.create_table(BASE, table.name, bodies)
        text = "\n".join(f.text for f in env.ctx(AS_OF).stores.admin.check() if not f.ok)
        assert "has 'streak' where the configuration says 'Streak'" in text
        assert "field 'Hours' keeps 0 decimals, 2 are needed" in text

    def test_a_blanked_cell_is_one_sentence(self, airtable):
        """Staff empty a required cell of a stored activity: the run stops with a sentence naming the
        table and record, and how to mend it."""
        from automations.errors import InputError
        from automations.jobs import compliance

        run_all.run(airtable.ctx(AS_OF))
        record = airtable.records("Activities")[0]
        requests.patch(f"{airtable.fake.url}/v0/{BASE}/Activities/{record['id']}", json={"fields": {"Kind": None}},
                       headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).raise_for_status()
        with pytest.raises(InputError) as err:
            compliance.run(airtable.ctx(AS_OF))
        assert record["id"] in str(err.value) and "Kind" in str(err.value) and "sync-checkins" in str(err.value)

    def test_compliance_before_any_sync_says_so(self, airtable):
        """On a base where nothing was synced, compliance stops as it does on the CSV folder."""
        from automations.errors import InputError
        from automations.jobs import compliance

        with pytest.raises(InputError, match="run sync-checkins first"):
            compliance.run(airtable.ctx(AS_OF))

    def test_refused_write_names_no_token(self, airtable):
        """A base whose field was renamed refuses the write: one sentence, no token in it."""
        from automations.errors import StopRun

        ctx = airtable.ctx(AS_OF)
        airtable.fake.faults = Faults()
        tables = {t["name"]: t for t in airtable.fake.tables(BASE)}
        field = next(f for f in tables["Check-ins"]["fields"] if f["name"] == "Activities")
        requests.patch(f"{airtable.fake.url}/v0/meta/bases/{BASE}/tables/{tables['Check-ins']['id']}/fields/"
                       f"{field['id']}", json={"name": "Activity count"},
                       headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).raise_for_status()
        with pytest.raises(StopRun) as err:
            run_all.run(ctx)
        assert "Check-ins" in str(err.value) and "doctor" in str(err.value) and TOKEN not in str(err.value)


@pytest.mark.parametrize("n", [1, 9, 10, 11, 25, 101])
def test_writes_are_cut_into_batches_of_ten(airtable_base, n):
    """Any number of changed records goes in ceil(n/10) requests of at most 10; none is refused."""
    fake, clock = airtable_base
    from tests.contract.conftest import airtable_client, init_base

    init_base(fake, clock)
    client = airtable_client(fake, clock)
    fake.reset_log()
    client.upsert("Check-ins", [{"Key": f"{i}:x@example.org", "Email": "x@example.org", "Row": i} for i in range(n)],
                  "Key")
    sizes = [r.records for r in writes(fake)]
    assert len(sizes) == -(-n // 10) and max(sizes) <= 10 and sum(sizes) == n
    assert all(r.status == 200 for r in writes(fake)) and len(fake.records(BASE, "Check-ins")) == n
