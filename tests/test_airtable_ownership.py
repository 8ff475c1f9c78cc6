"""Tables the program owns: it rewrites or deletes only records it made, never a table or record of staff's.

A base may already have a table called `Activities`, `Check-ins`, `Data problems` or `Mail ledger` of staff's
own. `init` refuses to take it over (changing nothing), `doctor` fails on it, and the jobs, pointed at it
anyway, leave its records as they are. Records a person adds to the program's own tables are named and kept.
Everything runs through the real pyairtable client against the fake base on 127.0.0.1.
"""

from __future__ import annotations

from datetime import date

import pytest
import requests

from automations.adapters.airtable.admin import DESCRIPTIONS, MARK
from automations.domain.ownership import KEY_SHAPES, program_key
from automations.errors import StopRun
from automations.jobs import init as init_job
from automations.jobs import privacy, run_all, sync_checkins
from tests.airtable_env import BASE, TOKEN, AirtableEnv, seed_roster, use_airtable
from tests.fake_airtable import FakeAirtable
from tests.test_airtable import live_base, run_cli, spec  # noqa: F401 - live_base is a fixture

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
        failed = [f.text for f in env.ctx(AS_OF).stores.admin.check() if not f.ok and f.blocking]
        assert [t for t in failed if f"table '{name}'" in t] == [
            f"table '{name}' ({role}) was not made by `init` and holds 25 records that are not the program's "
            f"({staff[0]['id']} ('Staff item 0'), {staff[1]['id']} ('Staff item 1'), {staff[2]['id']} ('Staff item "
            f"2'), {staff[3]['id']} ('Staff item 3'), {staff[4]['id']} ('Staff item 4') and 20 more): the jobs must "
            f"not write into it; keep it and give the program's table another name (set airtable.tables.{role} in "
            f"config.yaml, e.g. to 'Program {name.lower()}', then run `init`), or rename this table in Airtable and "
            f"run `init`."]

    def test_init_and_doctor_on_the_command_line_exit_2(self, program, live_base):
        """Through the command line, as staff run it: init exits 2 with one sentence and no traceback, having
        made no table; doctor exits 2 with a FAIL naming the staff table and how to rename either."""
        use_airtable(program, live_base.url)
        staff = staff_table(live_base, "Activities")
        res = run_cli(program, "init")
        assert res.returncode == 2 and "Traceback" not in res.stderr
        assert "table 'Activities' (25 records) that `init` did not make" in res.stderr
        assert [t["name"] for t in live_base.tables(BASE)] == ["Activities"]
        assert live_base.records(BASE, "Activities") == staff
        doctor = run_cli(program, "doctor")
        assert doctor.returncode == 2
        assert "FAIL table 'Activities' (activities) was not made by `init` and holds 25 records that are not " \
               "the program's" in doctor.stderr
        assert "airtable.tables.activities" in doctor.stderr and f"{staff[0]['id']} ('Staff item 0')" in doctor.stderr
        assert live_base.records(BASE, "Activities") == staff


class TestTheProgramsOwnTables:
    def test_tables_made_by_init_say_so_in_their_description(self, airtable):
        """Each of the program's tables init made carries its description (read back by pyairtable); staff's
        tables get none; doctor has nothing to say about their owner."""
        tables = schema(airtable.fake)
        assert {name: tables[name].get("description") for name in OWN.values()} == {
            name: DESCRIPTIONS[role] for role, name in OWN.items()}
        assert all(d.startswith(MARK) for d in DESCRIPTIONS.values())
        assert "description" not in tables["Ambassadors"]
        assert airtable.client().table("Mail ledger").schema().description == DESCRIPTIONS["mail_ledger"]
        assert all(f.ok for f in airtable.ctx(AS_OF).stores.admin.check())

    def test_a_record_added_by_hand_survives_sync_checkins_and_is_named(self, airtable):
        """A person adds two records to the program's Activities table (one with no key, one with a key of
        their own) and copies one of the program's: sync-checkins keeps both of theirs as they were and names
        them (its dry run too), removes the second copy of the program's key, and doctor names the two."""
        sync_checkins.run(airtable.ctx(AS_OF))
        ours = airtable.records("Activities")
        hand = airtable.fake.insert(BASE, "Activities", [
            {"Title": "Booth at FOSDEM", "Email": "ana@example.org", "Kind": "event"},
            {"Key": "fosdem booth", "Title": "Booth", "Hours": 3},
            dict(ours[0]["fields"]),
        ])
        said = ("Airtable table Activities: 2 records the program did not make (no key of its own) left untouched; "
                "`doctor` names them.")
        dry = sync_checkins.run(airtable.ctx(AS_OF, dry_run=True))
        assert said in dry.summary and len(airtable.records("Activities")) == len(ours) + 3

        res = sync_checkins.run(airtable.ctx(AS_OF))

        assert said in res.summary and not res.failures and not res.new_problems
        after = {r["id"]: r["fields"] for r in airtable.records("Activities")}
        assert after[hand[0]["id"]] == hand[0]["fields"] and after[hand[1]["id"]] == hand[1]["fields"]
        assert hand[2]["id"] not in after and ours[0]["id"] in after  # the second copy of a key goes
        assert len(after) == len(ours) + 2
        finding = [f for f in airtable.ctx(AS_OF).stores.admin.check() if "did not make" in f.text]
        assert [(f.ok, f.blocking, f.text) for f in finding] == [(False, False, (
            f"table 'Activities' holds 2 records the program did not make (no key of its shape, "
            f"`a-<14 hex digits>:<row>:<section>`): {hand[0]['id']}, {hand[1]['id']} ('fosdem booth'). The jobs "
            f"never change or delete them; move them to a table of staff's own."))]

    def test_an_empty_table_of_the_programs_name_is_taken_over(self, program, airtable_base):
        """An empty `Activities` staff made in Airtable: init says it takes it over (the dry run that it
        would), gives it the program's description and fields, keeps staff's fields; the jobs then fill it."""
        env = env_on(program, airtable_base)
        env.fake.create_table(BASE, "Activities", STAFF_FIELDS)
        dry = init_job.run(env.ctx(AS_OF, dry_run=True)).summary
        assert "would take over the empty table 'Activities' (not made by `init`): its description would say the " \
               "program keeps it" in dry and "description" not in schema(env.fake)["Activities"]

        done = init_job.run(env.ctx(AS_OF)).summary

        assert "took over the empty table 'Activities' (not made by `init`): its description now says the program " \
               "keeps it" in done and "created field 'Key' (singleLineText) in table 'Activities'" in done
        table = schema(env.fake)["Activities"]
        assert table["description"] == DESCRIPTIONS["activities"]
        assert [f["name"] for f in table["fields"]][:4] == ["Name", "Notes", "Due", "Key"]
        assert not [f for f in env.ctx(AS_OF).stores.admin.check() if not f.ok and f.blocking]
        seed_roster(env, program.parent / "data" / "ambassadors.csv")
        sync_checkins.run(env.ctx(AS_OF))
        stored = env.records("Activities")
        assert len(stored) > 100 and all(program_key("activities", r["fields"]["Key"]) for r in stored)
        assert "nothing created" in init_job.run(env.ctx(AS_OF)).summary[-1]

    def test_a_base_an_earlier_init_made_is_marked_not_refused(self, program, airtable_base):
        """Tables as init made them before descriptions (Key primary, no description), filled by the jobs and
        with one record a person added: doctor passes, init marks each table as the program's and changes no
        record, and doctor still names the person's record."""
        env = env_on(program, airtable_base)
        for t in spec().tables.values():
            env.fake.create_table(BASE, t.name, [f.create_body() for f in t.fields])
        seed_roster(env, program.parent / "data" / "ambassadors.csv")
        run_all.run(env.ctx(MONDAY))
        env.fake.insert(BASE, "Activities", [{"Title": "Stand-up notes"}])
        before = {name: env.records(name) for name in OWN.values()}
        assert not [f for f in env.ctx(AS_OF).stores.admin.check() if not f.ok and f.blocking]

        done = init_job.run(env.ctx(AS_OF)).summary

        assert [line for line in done if "marked" in line] == [
            f"marked table '{name}' as the program's in its description (the records it holds are the program's)"
            for name in OWN.values()]
        assert {name: env.records(name) for name in OWN.values()} == before
        assert {name: schema(env.fake)[name].get("description") for name in OWN.values()} == {
            name: DESCRIPTIONS[role] for role, name in OWN.items()}
        texts = [f.text for f in env.ctx(AS_OF).stores.admin.check() if not f.ok]
        assert len(texts) == 1 and texts[0].startswith("table 'Activities' holds 1 record the program did not make")

    def test_retention_deletes_only_the_programs_old_steps(self, airtable):
        """A ledger step past retention is deleted; a record a person typed into the Mail ledger with an old
        date, and one in Data problems marked fixed long ago, are kept."""
        run_all.run(airtable.ctx(MONDAY))
        step = airtable.records("Mail ledger")[0]
        airtable.clock.advance(1.1)
        requests.patch(f"{airtable.fake.url}/v0/{BASE}/Mail ledger/{step['id']}",
                       json={"fields": {"Last attempt": "2020-01-01T10:00:00.000Z"}}, headers=headers(),
                       timeout=10).raise_for_status()
        hand = airtable.fake.insert(BASE, "Mail ledger", [
            {"Key": "Called Ana about the sprint", "Job": "phone", "Last attempt": "2020-01-01T10:00:00.000Z"}])
        note = airtable.fake.insert(BASE, "Data problems", [{"Status": "fixed", "Closed": "2020-01-01",
                                                             "Problem": "old form typo, fixed by hand"}])

        res = privacy.retention(airtable.ctx(MONDAY))

        ids = {r["id"] for r in airtable.records("Mail ledger")}
        assert step["id"] not in ids and hand[0]["id"] in ids
        assert note[0]["id"] in {r["id"] for r in airtable.records("Data problems")}
        assert any("1 row past retention deleted" in line for line in res.summary)
        ctx = airtable.ctx(MONDAY)
        again = privacy.retention(ctx)  # the person's old record alone is nothing due: no table read twice
        assert again.summary[0] == "Nothing past retention."
        assert ctx.usage[0].writes == 0 and ctx.usage[0].reads == sum(ctx.usage[0].pages_read.values())


class TestKeyShapes:
    def test_every_key_the_program_makes_has_its_shape(self):
        """Keys of the program's own making (an activity copy, a check-in, after erase too, a problem, ledger
        steps of every kind) are recognised; what a person types is not."""
        from automations.adapters.airtable.report_store import activity_key, checkin_key
        from automations.domain.discovery import FoundActivity
        from automations.domain.model import Checkin, Problem
        from automations.domain.problems import problem_id
        from tests.factories import activity, at

        a = activity(date(2026, 7, 1), title="Talk: São Paulo, \"quoted\"", row=12, section=3)
        made = {
            "activities": [activity_key(a)],
            "checkins": [checkin_key(Checkin("ana.lima+x@example.org", at(2026, 7, 2), 7, "", 1)),
                         "7:erased-0123456789abcdef@erased.invalid"],
            "problems": [problem_id(Problem("checkin_responses.csv", 9, "Date", "soon", "is not a date"))],
            "mail_ledger": ["checkin_reminder:2026Q3:ana@example.org:d-14", "certificate_event:Sprint Berlin:a@x.org",
                            "forum_add:ana_l:2026-10-05", "erase:erased-0123@erased.invalid"],
            "found_activities": [FoundActivity("ana@example.org", "feed:https://ana.example/rss", "guid-1", "content",
                                               "A post", date(2026, 8, 1), "", date(2026, 10, 1)).key],
        }
        typed = ["", "Booth at FOSDEM", "fosdem booth", "12:30", " a-0123456789abcd:2:1", "p-0123456789AB",
                 "Note: call Ana", "7: ana@example.org", None, ["a-0123456789abcd:2:1"]]
        assert set(made) == set(KEY_SHAPES)
        for role, keys in made.items():
            assert all(program_key(role, k) for k in keys), role
            assert not any(program_key(role, t) for t in typed), role
