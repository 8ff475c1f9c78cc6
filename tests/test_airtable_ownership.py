"""Tables the program owns: it rewrites or deletes only records it made, never a table or record of staff's.

A base may already have a table called `Activities`, `Check-ins`, `Data problems` or `Mail ledger` of staff's
own. `init` refuses to take it over (changing nothing), `doctor` fails on it, and the jobs, pointed at it
anyway, leave its records as they are. Records a person adds to the program's own tables are named and kept.
Everything runs through the real pyairtable client against the fake base on 127.0.0.1.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
import requests

from automations.adapters.airtable_admin import DESCRIPTIONS, MARK
from automations.domain.ownership import KEY_SHAPES, program_key
from automations.errors import StopRun
from automations.jobs import init as init_job
from automations.jobs import privacy, run_all, sync_checkins
from tests.airtable_env import BASE, TOKEN, AirtableEnv, seed_roster, use_airtable
from tests.conftest import ROOT
from tests.fake_airtable import FakeAirtable
from tests.test_airtable import keys_unique, spec

AS_OF = date(2026, 11, 23)
MONDAY = date(2026, 10, 5)  # a day with messages due: the mail ledger is written
OWN = {"activities": "Activities", "checkins": "Check-ins", "problems": "Data problems", "mail_ledger": "Mail ledger"}
# A table as staff make one in Airtable, and what they typed into it.
STAFF_FIELDS = [{"name": "Name", "type": "singleLineText"}, {"name": "Notes", "type": "multilineText"},
                {"name": "Due", "type": "date", "options": {"dateFormat": {"name": "iso"}}}]
STAFF_ROWS = [{"Name": f"Staff item {i}", "Notes": f"planned by the team, {i}", "Due": f"2026-0{1 + i % 9}-1{i % 10}"}
              for i in range(25)]


def headers() -> dict:
    return {"Authorization": f"Bearer {TOKEN}"}


def staff_table(fake: FakeAirtable, name: str) -> list[dict]:
    fake.create_table(BASE, name, STAFF_FIELDS)
    return fake.insert(BASE, name, STAFF_ROWS)


def schema(fake: FakeAirtable) -> dict:
    return {t["name"]: t for t in fake.tables(BASE)}


def writes(fake: FakeAirtable) -> list:
    return [r for r in fake.requests if r.method != "GET"]


def env_on(program, airtable_base) -> AirtableEnv:
    fake, clock = airtable_base
    use_airtable(program, fake.url)
    return AirtableEnv(fake, clock, program)


def lines(results) -> list[str]:
    return [line for r in results for line in r.summary]


class TestAStaffTableOfTheProgramsName:
    @pytest.mark.parametrize("role", OWN)
    def test_init_refuses_and_changes_nothing(self, program, airtable_base, role):
        """A non-empty staff table named like one of the program's: init (and its dry run) stops before any
        write, names the table and both ways out; the table's fields and its 25 records are as they were."""
        env = env_on(program, airtable_base)
        name = OWN[role]
        staff_table(env.fake, name)
        before = (env.fake.tables(BASE), env.records(name))
        env.fake.reset_log()
        for dry in (True, False):
            with pytest.raises(StopRun) as err:
                init_job.run(env.ctx(AS_OF, dry_run=dry))
            text = str(err.value)
            assert f"table '{name}' (25 records)" in text and "init changed nothing" in text
            assert f"airtable.tables.{role}" in text and "rename this table in Airtable" in text
        assert (env.fake.tables(BASE), env.records(name)) == before
        assert writes(env.fake) == []

    @pytest.mark.parametrize("role", OWN)
    def test_pointed_at_it_anyway_run_all_leaves_its_records(self, program, airtable_base, role):
        """The base as init left it before this check (the program's 22 fields added to staff's table) and the
        jobs run on it: every staff record stays exactly as it was, the program's own records are written
        beside them, sync-checkins names the ones it left, and doctor fails on the table."""
        env = env_on(program, airtable_base)
        name = OWN[role]
        staff = staff_table(env.fake, name)
        table_id = schema(env.fake)[name]["id"]
        for f in spec()[role].fields:  # what init used to do to such a table
            env.clock.advance(0.25)  # within the base's 5 requests a second
            requests.post(f"{env.fake.url}/v0/meta/bases/{BASE}/tables/{table_id}/fields", json=f.create_body(),
                          headers=headers(), timeout=10).raise_for_status()
        for t in spec().tables.values():
            if t.role != role:
                env.fake.create_table(BASE, t.name, [f.create_body() for f in t.fields], DESCRIPTIONS.get(t.role))
        seed_roster(env, program.parent / "data" / "ambassadors.csv")

        results = run_all.run(env.ctx(MONDAY))

        after = {r["id"]: r["fields"] for r in env.records(name)}
        assert {s["id"]: after.get(s["id"]) for s in staff} == {s["id"]: s["fields"] for s in staff}
        mine = [f for f in after.values() if program_key(role, f.get("Key"))]
        assert mine and len(after) == 25 + len(mine)  # the program's records beside staff's, none lost
        if role != "mail_ledger":
            assert f"Airtable table {name}: 25 records the program did not make (no key of its own) left " \
                   f"untouched; `doctor` names them." in lines(results)
        assert len({f["Key"] for f in mine}) == len(mine)
        failed = [f.text for f in env.ctx(AS_OF).admin.check() if not f.ok and f.blocking]
        assert [t for t in failed if f"table '{name}'" in t] == [
            f"table '{name}' ({role}) was not made by `init` and holds 25 records that are not the program's "
            f"({staff[0]['id']} ('Staff item 0'), {staff[1]['id']} ('Staff item 1'), {staff[2]['id']} ('Staff item "
            f"2'), {staff[3]['id']} ('Staff item 3'), {staff[4]['id']} ('Staff item 4') and 20 more): the jobs must "
            f"not write into it; keep it and give the program's table another name (set airtable.tables.{role} in "
            f"config.yaml, e.g. to 'Program {name.lower()}', then run `init`), or rename this table in Airtable and "
            f"run `init`."]

    def test_init_and_doctor_on_the_command_line_exit_2(self, program):
        """Through the command line, as staff run it: init exits 2 with one sentence and no traceback, having
        made no table; doctor exits 2 with a FAIL naming the staff table and how to rename either."""
        with FakeAirtable(token=TOKEN, base_ids=(BASE,)) as live:  # the real clock: a subprocess paces itself
            use_airtable(program, live.url)
            staff = staff_table(live, "Activities")
            env = {**__import__("os").environ, "AIRTABLE_TOKEN": TOKEN, "NO_PROXY": "127.0.0.1,localhost"}

            def cli(*args):
                return subprocess.run([sys.executable, "-m", "automations", "--config", str(program), *args],
                                      cwd=ROOT, capture_output=True, text=True, timeout=180, env=env)

            res = cli("init")
            assert res.returncode == 2 and "Traceback" not in res.stderr
            assert "table 'Activities' (25 records) that `init` did not make" in res.stderr
            assert [t["name"] for t in live.tables(BASE)] == ["Activities"]
            assert live.records(BASE, "Activities") == staff
            doctor = cli("doctor")
            assert doctor.returncode == 2
            assert "FAIL table 'Activities' (activities) was not made by `init` and holds 25 records that are " \
                   "not the program's" in doctor.stderr
            assert "airtable.tables.activities" in doctor.stderr and staff[0]["id"] in doctor.stderr
            assert live.records(BASE, "Activities") == staff
