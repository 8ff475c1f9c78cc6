"""A base staff already had: their status words, their select options, the field types they use.

Each base here is made as staff would have made it in Airtable's interface (field types and options
written out by hand, cells in the shapes Airtable's API returns them, as pyairtable's `api/types.py`
documents: lookups are arrays, linked records are record ids, collaborators are {id, email, name},
date-times are ISO UTC with "Z"), then the program runs on it over real HTTP (pyairtable against the
fake on 127.0.0.1).
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
import requests
import yaml

from automations import bootstrap
from automations.config import load_config
from automations.errors import StopRun
from automations.jobs import compliance, run_all, sync_checkins
from tests.airtable_env import BASE, TOKEN, AirtableEnv, use_airtable
from tests.conftest import copy_example
from tests.fake_airtable import FakeAirtable, ManualClock
from tests.test_airtable import run_cli, spec, writes

AS_OF = date(2026, 11, 23)
STATUS_VALUES = {"active": ["Active", "Onboarding"], "paused": ["On leave", "Inactive"], "alumni": ["Alumni"],
                 "removed": ["Expelled"]}
STANDING_VALUES = {"good": "Good standing", "warned": "Warning", "under_review": "Under review",
                   "paused": "On leave", "alumni": "Alumni", "removed": "Expelled"}
PERK_VALUES = {"free_event_access": "Free event access", "conference_funding": "Conference funding"}
THEIR_KEYS = {"status_values": STATUS_VALUES, "standing_values": STANDING_VALUES, "perk_values": PERK_VALUES}
# What the example's statuses are called in the staff's base (each of their words used at least once).
THEIR_STATUS = {"active": ["Active", "Onboarding"], "paused": ["On leave", "Inactive"], "alumni": ["Alumni"],
                "removed": ["Expelled"]}


def choices(*names: str) -> dict:
    return {"choices": [{"name": n} for n in names]}


def staff_fields(**changed: dict) -> list[dict]:
    """The Ambassadors table as staff made it by hand; `changed` replaces a field by its title (None: left out)."""
    fields = [
        {"name": "Name", "type": "singleLineText"},
        {"name": "Email", "type": "email"},
        {"name": "Country", "type": "singleLineText"},
        {"name": "Region", "type": "singleLineText"},
        {"name": "University", "type": "singleLineText"},
        {"name": "Languages", "type": "multipleSelects", "options": choices("en")},
        {"name": "Start date", "type": "date", "options": {"dateFormat": {"name": "european"}}},
        {"name": "Status", "type": "singleSelect", "options": choices("Active", "Onboarding", "On leave", "Inactive",
                                                                      "Alumni", "Expelled")},
        {"name": "Status history", "type": "multilineText"},
        {"name": "Forum handle", "type": "singleLineText"},
        {"name": "Chat handle", "type": "singleLineText"},
        {"name": "Feeds", "type": "multilineText"},
        {"name": "Preferred name", "type": "singleLineText"},
        {"name": "Notes", "type": "multilineText"},
        {"name": "Standing", "type": "singleSelect", "options": choices(*STANDING_VALUES.values())},
        {"name": "Streak", "type": "number", "options": {"precision": 0}},
        {"name": "Perks", "type": "multipleSelects", "options": choices(*PERK_VALUES.values())},
        {"name": "Last check-in", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
    ]
    out = [changed.get(f["name"], f) for f in fields]
    return [f for f in out if f is not None]


def example_roster(program: Path, their_words: bool) -> list[dict]:
    """The example's roster as records staff typed, with their status words when `their_words`."""
    with (program.parent / "data" / "ambassadors.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    turn = {s: 0 for s in THEIR_STATUS}
    records = []
    for row in rows:
        status = row["Status"].strip().lower()
        word = row["Status"]
        if their_words:
            words = THEIR_STATUS[status]
            word = words[turn[status] % len(words)]
            turn[status] += 1
        fields = {"Name": row["Name"], "Email": row["Email"], "Country": row["Country"], "Region": row["Region"],
                  "University": row["University"], "Start date": row["Start date"], "Status": word,
                  "Forum handle": row["Forum handle"], "Chat handle": row["Chat handle"],
                  "Languages": [x.strip() for x in row["Languages"].split(";") if x.strip()],
                  "Status history": row["Status history"].replace(status, word) if their_words
                  else row["Status history"]}
        records.append({k: v for k, v in fields.items() if v})
    return records


def configure(program: Path, url: str, **ambassadors) -> None:
    use_airtable(program, url)
    data = yaml.safe_load(program.read_text(encoding="utf-8"))
    data["ambassadors"].update(ambassadors)
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def local_verdicts(tmp_path: Path) -> dict:
    """`compliance --format json` of the example on the local backend, after the day's run."""
    config = load_config(copy_example(tmp_path / "local", "unusable_rows.csv"))
    run_all.run(bootstrap.build(config, AS_OF, False, environ={}))
    return json.loads(compliance.run(bootstrap.build(config, AS_OF, False, environ={}), fmt="json").output)


@pytest.fixture
def unlimited_base():
    """A fake base without the per-second limit: in-process runs (paced on a manual clock) and runs of the
    command line (paced on the real one) can share it. The client's own pacing is tested in test_airtable."""
    with FakeAirtable(token=TOKEN, base_ids=(BASE,), rate_limit_per_second=None) as fake:
        yield fake


class TestTheirWords:
    def test_their_words_give_the_examples_verdicts_and_create_no_option(self, program, airtable_base, tmp_path):
        """Statuses typed in staff's words, Standing and Perks options of their own and the three mapping keys:
        the same verdicts as the example on the local backend, their words written, and no option, field or
        table created by the run (the token is an Editor's: a new option would be refused)."""
        fake, clock = airtable_base
        configure(program, fake.url, **THEIR_KEYS)
        env = AirtableEnv(fake, clock, program)
        fake.create_table(BASE, "Ambassadors", staff_fields())
        made = env.ctx(AS_OF).stores.admin.init(dry_run=False)
        assert made and not [line for line in made if "'Ambassadors'" in line]
        fake.insert(BASE, "Ambassadors", example_roster(program, their_words=True))
        fake.permission_level = "edit"
        schema = fake.tables(BASE)

        results = run_all.run(env.ctx(AS_OF))
        assert all(not r.failures for r in results)
        assert not [p for r in results for p in r.problems if p.column == "Status"]
        got = json.loads(compliance.run(env.ctx(AS_OF), fmt="json").output)
        assert got == local_verdicts(tmp_path)
        assert fake.tables(BASE) == schema
        written = {r["fields"].get("Standing") for r in env.records("Ambassadors")}
        assert written <= set(STANDING_VALUES.values()) and {"Good standing", "Warning"} <= written
        perks = {p for r in env.records("Ambassadors") for p in r["fields"].get("Perks", [])}
        assert perks == set(PERK_VALUES.values())

    def test_init_makes_the_fields_with_their_words(self, program, airtable_base):
        """On an empty base, `init` makes Status, Standing and Perks with staff's words as their options."""
        fake, clock = airtable_base
        configure(program, fake.url, **THEIR_KEYS)
        AirtableEnv(fake, clock, program).ctx(AS_OF).stores.admin.init(dry_run=False)
        (table,) = [t for t in fake.tables(BASE) if t["name"] == "Ambassadors"]
        options = {f["name"]: [c["name"] for c in f["options"]["choices"]] for f in table["fields"]
                   if f["type"] in ("singleSelect", "multipleSelects") and f["name"] != "Languages"}
        assert options == {"Status": [w for words in STATUS_VALUES.values() for w in words],
                           "Standing": list(STANDING_VALUES.values()), "Perks": list(PERK_VALUES.values())}

    def test_a_status_word_that_means_nothing_is_named_by_doctor(self, program, airtable_base):
        """A Status option no key maps is named (an ambassador with it would be a data problem), and so is a
        mapped word the field lacks; neither stops the jobs."""
        fake, clock = airtable_base
        configure(program, fake.url, status_values={**STATUS_VALUES, "removed": ["Expelled", "Banned"]},
                  standing_values=STANDING_VALUES, perk_values=PERK_VALUES)
        status = {"name": "Status", "type": "singleSelect",
                  "options": choices("Active", "Onboarding", "On leave", "Inactive", "Alumni", "Expelled",
                                     "Suspended")}
        fake.create_table(BASE, "Ambassadors", staff_fields(Status=status))
        env = AirtableEnv(fake, clock, program)
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        (line,) = [f for f in env.ctx(AS_OF).stores.admin.check() if "'Status'" in f.text]
        assert not line.ok and not line.blocking
        assert "'Suspended' means no status" in line.text and "ambassadors.status_values" in line.text
        assert "no option 'Banned'" in line.text


class TestEditorToken:
    def test_doctor_catches_missing_options_and_compliance_stops_before_any_write(self, program, unlimited_base):
        """Standing and Perks with staff's own options and no mapping keys, and a token whose user is an Editor:
        `doctor` names every option the jobs would write that the fields lack, and the fix (exit 2);
        `compliance` stops with one sentence (exit 2) before writing anything."""
        fake = unlimited_base
        configure(program, fake.url)
        standing = {"name": "Standing", "type": "singleSelect",
                    "options": choices("Good standing", "Warning", "Under review")}
        perks = {"name": "Perks", "type": "multipleSelects", "options": choices("Free event access")}
        status = {"name": "Status", "type": "singleSelect", "options": choices("active", "paused", "alumni",
                                                                               "removed")}
        fake.create_table(BASE, "Ambassadors", staff_fields(Standing=standing, Perks=perks, Status=status))
        env = AirtableEnv(fake, ManualClock(), program)
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        fake.insert(BASE, "Ambassadors", example_roster(program, their_words=False))
        sync_checkins.run(env.ctx(AS_OF))
        fake.permission_level = "edit"
        fake.reset_log()

        doctor = run_cli(program, "--as-of", "2026-11-23", "doctor")
        assert doctor.returncode == 2, doctor.stdout + doctor.stderr
        fails = [line for line in doctor.stderr.splitlines() if line.startswith("FAIL")]
        (standing_line,) = [line for line in fails if "'Standing'" in line]
        assert "lacks the options 'good', 'warned', 'under_review', 'paused', 'alumni', 'removed'" in standing_line
        assert "add them to the field in Airtable" in standing_line
        assert "ambassadors.standing_values" in standing_line
        (perks_line,) = [line for line in fails if "'Perks'" in line]
        assert "'free_event_access', 'conference_funding'" in perks_line and "ambassadors.perk_values" in perks_line

        res = run_cli(program, "--as-of", "2026-11-23", "compliance")
        assert res.returncode == 2 and "Traceback" not in res.stderr
        assert "field 'Standing' has none of the options 'good', 'warned'" in res.stderr
        assert "nothing was written" in res.stderr
        assert "ambassadors.standing_values" in res.stderr and "doctor" in res.stderr
        assert writes(fake) == []
        assert not [r for r in env.records("Ambassadors") if "Standing" in r["fields"]]

    def test_the_fake_refuses_an_editor_a_new_option(self, airtable_base):
        """As Airtable does: typecast creates an option for a creator's token, never for an Editor's."""
        fake, clock = airtable_base
        from tests.contract.conftest import airtable_client

        fake.create_table(BASE, "T", [{"name": "Name", "type": "singleLineText"},
                                      {"name": "Pick", "type": "singleSelect", "options": choices("a")}])
        table = airtable_client(fake, clock).table("T")
        table.create({"Name": "x", "Pick": "b"}, typecast=True)
        fake.permission_level = "edit"
        with pytest.raises(requests.HTTPError) as err:
            table.create({"Name": "y", "Pick": "c"}, typecast=True)
        assert err.value.response.status_code == 422
        assert "INVALID_MULTIPLE_CHOICE_OPTIONS" in err.value.response.text
        assert [c["name"] for c in fake.tables(BASE)[0]["fields"][1]["options"]["choices"]] == ["a", "b"]


def linked_base(fake: FakeAirtable) -> dict[str, str]:
    """Staff's base: Countries, Languages and People tables, and an Ambassadors table whose Email is a lookup
    of People's email through a link, Country and Languages linked records, Start date a date-time, Region a
    formula and University a rollup. Returns record ids by name."""
    countries = fake.create_table(BASE, "Countries", [{"name": "Country name", "type": "singleLineText"}])
    languages = fake.create_table(BASE, "Languages", [{"name": "Code", "type": "singleLineText"}])
    people = fake.create_table(BASE, "People", [{"name": "Full name", "type": "singleLineText"},
                                                {"name": "Email", "type": "email"}])
    ids = {r["fields"]["Country name"]: r["id"] for r in fake.insert(BASE, "Countries", [
        {"Country name": "Brazil"}, {"Country name": "Ukraine"}])}
    ids |= {r["fields"]["Code"]: r["id"] for r in fake.insert(BASE, "Languages", [
        {"Code": "pt"}, {"Code": "en"}, {"Code": "uk"}])}
    ids |= {r["fields"]["Full name"]: r["id"] for r in fake.insert(BASE, "People", [
        {"Full name": "Ana", "Email": "ana.lima@example.org"}, {"Full name": "Oleg", "Email": "oleg@example.org"}])}
    link = lambda table: {"type": "multipleRecordLinks", "options": {"linkedTableId": table["id"]}}  # noqa: E731
    text = {"type": "singleLineText"}
    fake.create_table(BASE, "Ambassadors", staff_fields(
        Email=None, Country={"name": "Country", **link(countries)}, Languages={"name": "Languages", **link(languages)},
        **{"Start date": {"name": "Start date", "type": "dateTime",
                          "options": {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"},
                                      "timeZone": "utc"}}},
        Region={"name": "Region", "type": "formula",
                "options": {"formula": "{Region code} & ''", "referencedFieldIds": [], "result": text}},
        University={"name": "University", "type": "rollup",
                    "options": {"referencedFieldIds": [], "result": text}}) + [{"name": "Person", **link(people)}])
    (table,) = [t for t in fake.tables(BASE) if t["name"] == "Ambassadors"]
    person = next(f["id"] for f in table["fields"] if f["name"] == "Person")
    fake.add_field(BASE, "Ambassadors", {"name": "Email", "type": "multipleLookupValues", "options": {
        "recordLinkFieldId": person, "fieldIdInLinkedTable": people["fields"][1]["id"], "result": {"type": "email"}}})
    return ids


def on_a_linked_base(program: Path, airtable_base, day) -> tuple:
    """The program on staff's base with linked tables (`linked_base`), after `init`: (fake, env, record ids)."""
    fake, clock = airtable_base
    configure(program, fake.url, **THEIR_KEYS)
    ids = linked_base(fake)
    env = AirtableEnv(fake, clock, program)
    env.ctx(day).stores.admin.init(dry_run=False)
    return fake, env, ids


class TestFieldTypes:
    def test_lookup_linked_records_date_time_formula_and_rollup_read_right(self, program, airtable_base):
        """Email from a lookup, Country and Languages through the linked tables' primary field (never recXXXX),
        the Start date as the date-time's day in the program's time zone, Region and University from a formula
        and a rollup; a formula's error is a problem of its row, read as empty; doctor accepts every field."""
        fake, env, ids = on_a_linked_base(program, airtable_base, AS_OF)
        fake.insert(BASE, "Ambassadors", [
            {"Name": "Ana Lima", "Person": [ids["Ana"]], "Email": ["ana.lima@example.org"],
             "Country": [ids["Brazil"]], "Languages": [ids["pt"], ids["en"]],
             "Start date": "2024-06-30T23:30:00.000Z", "Region": "São Paulo", "University": "USP", "Status": "Active"},
            {"Name": "Олег Петров", "Person": [ids["Oleg"]], "Email": ["oleg@example.org", "oleg@example.org"],
             "Country": [ids["Ukraine"]], "Languages": [ids["uk"]], "Start date": "2025-03-01T09:00:00.000Z",
             "Region": {"error": "#ERROR!"}, "Status": "On leave"},
            {"Name": "Two People", "Person": [ids["Ana"], ids["Oleg"]],
             "Email": ["ana.lima@example.org", "oleg@example.org"], "Start date": "2025-01-01T00:00:00.000Z",
             "Status": "Active"},
        ])
        fake.reset_log()
        ambassadors, problems = env.ctx(AS_OF).stores.roster.read()
        by_email = {a.email: a for a in ambassadors}
        ana, oleg = by_email["ana.lima@example.org"], by_email["oleg@example.org"]
        assert (ana.country, ana.languages, ana.start_date, ana.region, ana.university, ana.status) == \
            ("Brazil", ("pt", "en"), date(2024, 7, 1), "São Paulo", "USP", "active")
        assert (oleg.country, oleg.languages, oleg.start_date, oleg.region, oleg.status) == \
            ("Ukraine", ("uk",), date(2025, 3, 1), "", "paused")
        region, two = problems
        assert (region.row, region.column, region.value) == (3, "Region", "#ERROR!")
        assert "formula" in region.reason and "the region was read as empty" in region.reason
        assert region.reason.endswith("correct the formula in Airtable") and region.email == "oleg@example.org"
        assert (two.row, two.column, two.value) == (4, "Email", "ana.lima@example.org; oleg@example.org")
        assert "holds 2 addresses" in two.reason and "one address per ambassador" in two.reason
        reads = [r.table for r in fake.requests if r.kind == "read"]
        assert sorted(reads) == ["Ambassadors", "Countries", "Languages"]
        assert len([r for r in fake.requests if r.kind == "meta"]) == 1
        assert not [f.text for f in env.ctx(AS_OF).stores.admin.check() if not f.ok and "'Ambassadors'" in f.text]

    def test_a_roster_with_a_lookup_is_read_whole_on_every_run(self, program, airtable_base):
        """A lookup changes with the linked table, which no filter on the roster's modifications sees: a roster
        that reads one is never mirrored. Staff correct an address in People; the next run reads it."""
        fake, env, ids = on_a_linked_base(program, airtable_base, AS_OF)
        fake.insert(BASE, "Ambassadors", [
            {"Name": "Ana Lima", "Person": [ids["Ana"]], "Email": ["ana.lima@example.org"],
             "Country": [ids["Brazil"]], "Start date": "2024-06-30T23:30:00.000Z", "Status": "Active"}])
        env.ctx(AS_OF).stores.roster.read()
        # Staff correct Ana's address in People: Airtable recomputes the lookup, and the roster record's own last
        # modified time does not move (the fake does not recompute lookups: the value is set as Airtable would).
        with fake._lock:
            table = fake._table(BASE, "Ambassadors")
            email = table.field("Email")["id"]
            for record in table.records.values():
                record["cells"][email] = ["ana@example.org"]
        fake.reset_log()
        ambassadors, _ = env.ctx(AS_OF).stores.roster.read()
        assert [a.email for a in ambassadors] == ["ana@example.org"]
        reads = [r for r in fake.requests if r.kind == "read" and r.table == "Ambassadors"]
        assert sum(r.records for r in reads) == 1  # read whole (a filter would have returned nothing)

    def test_collaborators_give_the_name_and_the_email(self, program, airtable_base):
        """A collaborator ({id, email, name}) is read as the address in the Email field, the name in Name."""
        fake, clock = airtable_base
        configure(program, fake.url, **THEIR_KEYS)
        person = {"type": "singleCollaborator"}
        fake.create_table(BASE, "Ambassadors", [{"name": "Record", "type": "singleLineText"}] + staff_fields(
            Name={"name": "Name", **person}, Email={"name": "Email", **person}))
        ana = fake.add_user("ana.lima@example.org", "Ana Lima")
        env = AirtableEnv(fake, clock, program)
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        fake.insert(BASE, "Ambassadors", [{"Record": "1", "Name": {"id": ana["id"]}, "Email": {"id": ana["id"]},
                                           "Start date": "2024-01-10", "Status": "Active"}])
        stored = fake.records(BASE, "Ambassadors")[0]["fields"]
        assert stored["Email"] == {"id": ana["id"], "email": "ana.lima@example.org", "name": "Ana Lima"}
        (amb,), problems = env.ctx(AS_OF).stores.roster.read()
        assert problems == [] and (amb.name, amb.email) == ("Ana Lima", "ana.lima@example.org")
        assert not [f.text for f in env.ctx(AS_OF).stores.admin.check() if not f.ok and "'Ambassadors'" in f.text]

    @pytest.mark.parametrize("email,needle", [
        ({"name": "Email", "type": "number", "options": {"precision": 0}},
         "is number, expected email or singleLineText"),
        ({"name": "Email", "type": "multipleLookupValues", "options": {"result": {"type": "multipleAttachments"}}},
         "is a multipleLookupValues giving multipleAttachments, which the jobs cannot read as the email"),
        ({"name": "Email", "type": "formula", "options": {"isValid": False, "result": {"type": "singleLineText"}}},
         "is a formula that Airtable reports as broken"),
    ])
    def test_doctor_names_what_the_jobs_cannot_read(self, program, airtable_base, email, needle):
        """A field the jobs cannot read is a doctor FAIL with the reason and the fix."""
        fake, clock = airtable_base
        configure(program, fake.url, **THEIR_KEYS)
        fake.create_table(BASE, "Ambassadors", staff_fields(Email=email))
        env = AirtableEnv(fake, clock, program)
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        (line,) = [f for f in env.ctx(AS_OF).stores.admin.check() if "'Email'" in f.text and "'Ambassadors'" in f.text]
        assert not line.ok and line.blocking and needle in line.text
        assert "in Airtable" in line.text


class TestLinkedFieldTheProgramWrites:
    def test_a_linked_email_in_activities_is_refused_before_any_write(self, program, airtable_base):
        """Staff linked Activities.Email to the roster: doctor FAILs naming it, and sync-checkins stops before
        sending anything, so typecast never creates Ambassadors records named by email."""
        fake, clock = airtable_base
        configure(program, fake.url)
        roster = fake.create_table(BASE, "Ambassadors", staff_fields())
        bodies = [{"name": "Email", "type": "multipleRecordLinks", "options": {"linkedTableId": roster["id"]}}
                  if b["name"] == "Email" else b for b in (f.create_body() for f in spec()["activities"].fields)]
        fake.create_table(BASE, "Activities", bodies)
        env = AirtableEnv(fake, clock, program)
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        fake.insert(BASE, "Ambassadors", example_roster(program, their_words=False))
        before = fake.records(BASE, "Ambassadors")

        (line,) = [f for f in env.ctx(AS_OF).stores.admin.check() if "'Activities' field 'Email'" in f.text]
        assert not line.ok and line.blocking
        assert "linked-record field (to 'Ambassadors')" in line.text and "change its type to email" in line.text
        fake.reset_log()
        with pytest.raises(StopRun) as err:
            sync_checkins.run(env.ctx(AS_OF))
        assert "'Activities' field 'Email' is a linked-record field" in str(err.value)
        assert "nothing was written" in str(err.value)
        assert writes(fake) == [] and fake.records(BASE, "Ambassadors") == before
        assert fake.records(BASE, "Activities") == []


def read_roster(program: Path, airtable_base, fields: dict, records: list[dict], timezone: str = "",
                before: list[dict] = ()) -> tuple[list, list]:
    """The roster the jobs read from staff's Ambassadors table with `fields` changed (`staff_fields`), holding
    `records`; `before`: tables made first (name, fields, records), `timezone`: program.timezone."""
    fake, clock = airtable_base
    configure(program, fake.url, **THEIR_KEYS)
    if timezone:
        data = yaml.safe_load(program.read_text(encoding="utf-8"))
        data["program"]["timezone"] = timezone
        program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    fake.create_table(BASE, "Ambassadors", staff_fields(**fields))
    env = AirtableEnv(fake, clock, program)
    env.ctx(AS_OF).stores.admin.init(dry_run=False)
    fake.insert(BASE, "Ambassadors", records)
    return env.ctx(AS_OF).stores.roster.read()


def computed(name: str, kind: str, result: str, **options) -> dict:
    """A formula, rollup or lookup as the schema shows it: its result's type in `options.result`."""
    return {"name": name, "type": kind, "options": {"referencedFieldIds": [], "result": {"type": result, **options}}}


DATE = {"options": {"dateFormat": {"name": "iso"}}}
DATE_TIME = {"options": {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"}, "timeZone": "utc"}}


def one(name: str, email: str, **cells) -> dict:
    return {"Name": name, "Email": email, "Start date": "2024-01-10", "Status": "Active", **cells}


class TestCellsAirtableGivesAsNoText:
    @pytest.mark.parametrize("error", [{"error": "#ERROR!"}, {"error": "#NUM!"}, {"error": "#DIV/0!"},
                                       {"specialValue": "NaN"}])
    def test_a_formula_error_is_a_problem_naming_the_field_the_value_and_the_fix(self, program, airtable_base,
                                                                                 error):
        """Airtable's error value ({"error": "#ERROR!"}, or {"specialValue": "NaN"}) in a formula or rollup is a
        problem of its row naming the field, the value and the fix: read as empty where the row can do without
        it (Region, Country), the ambassador skipped where it cannot (Email, Status, Start date); a blank
        record whose formula errs is a blank record. The other rows are read."""
        shown = error.get("error") or error["specialValue"]
        fields = {"Region": computed("Region", "formula", "singleLineText"),
                  "Country": computed("Country", "rollup", "singleLineText"),
                  "Email": computed("Email", "formula", "email"),
                  "Status": computed("Status", "formula", "singleLineText"),
                  "Start date": computed("Start date", "formula", "date", **DATE)}
        ambassadors, problems = read_roster(program, airtable_base, fields, [
            one("Ana", "ana@example.org", Region=error, Country="Brazil"),
            one("Bo", "bo@example.org", Country=error, Region="Sul"),
            one("Cy", error),
            one("Di", "di@example.org", Status=error),
            one("Ed", "ed@example.org", **{"Start date": error}),
            {"Region": error},
            one("Fe", "fe@example.org", Country="Portugal"),
        ])
        got = {a.email: (a.country, a.region) for a in ambassadors}
        assert got == {"ana@example.org": ("Brazil", ""), "bo@example.org": ("", "Sul"),
                       "fe@example.org": ("Portugal", "")}
        assert [(p.row, p.column, p.value) for p in problems] == [
            (2, "Region", shown), (3, "Country", shown), (4, "Email", shown), (5, "Status", shown),
            (6, "Start date", shown)]
        for p in problems:
            assert "the field's formula" in p.reason and p.reason.endswith(": correct the formula in Airtable")
        assert [p.reason.split("; ")[1].split(":")[0] for p in problems] == [
            "the region was read as empty", "the country was read as empty", "the ambassador was skipped",
            "the ambassador was skipped", "the ambassador was skipped"]
        assert str(problems[0]).startswith(f"Ambassadors row 2, column 'Region': '{shown}' is the error") \
            or str(problems[0]).startswith(f"Ambassadors row 2, column 'Region': '{shown}' is what Airtable")

    def test_a_checkbox_an_attachment_or_several_countries_is_a_problem(self, program, airtable_base):
        """A ticked checkbox (a checkbox field, a lookup of one) or an object such as an attachment says nothing
        the roster reads; a Country or Region holding two values matches no referral: each is a problem of its
        row, read as empty. The same value twice is one value; a lookup of numbers reads as the numbers."""
        checkbox = {"type": "checkbox", "options": {"icon": "check", "color": "greenBright"}}
        fields = {"Region": {"name": "Region", **checkbox},
                  "Languages": computed("Languages", "multipleLookupValues", "checkbox"),
                  "Chat handle": computed("Chat handle", "multipleLookupValues", "multipleAttachments"),
                  "Country": computed("Country", "multipleLookupValues", "singleLineText"),
                  "University": computed("University", "rollup", "number")}
        # An attachment as the API gives it (pyairtable's AttachmentDict): its URL is signed anew on every read.
        attachment = {"id": "attAAAAAAAAAAAAAA", "url": "https://v5.airtableusercontent.com/v3/u/a.png?sig=1",
                      "filename": "a.png", "size": 1200, "type": "image/png"}
        ambassadors, problems = read_roster(program, airtable_base, fields, [
            one("Ana", "ana@example.org", Region=True, Country=["Brazil", "Brazil"], University=[3.0, 4.5]),
            one("Bo", "bo@example.org", Languages=[True], **{"Chat handle": [attachment]}),
            one("Cy", "cy@example.org", Country=["Brazil", "Portugal"]),
        ])
        got = {a.email: (a.country, a.region, a.languages, a.chat_handle, a.university) for a in ambassadors}
        assert got == {"ana@example.org": ("Brazil", "", (), "", "3; 4.5"), "bo@example.org": ("", "", (), "", ""),
                       "cy@example.org": ("", "", (), "", "")}
        assert [(p.row, p.column, p.value) for p in problems] == [
            (2, "Region", "checked"), (3, "Languages", "checked"),
            (3, "Chat handle", "a.png"),
            (4, "Country", "Brazil; Portugal")]
        region, languages, chat, country = (p.reason for p in problems)
        assert region.startswith("is a ticked checkbox, which gives no region; the region was read as empty")
        assert languages.startswith("is a ticked checkbox, which gives no languages; the languages were read as")
        assert "object" in chat and chat.endswith("make the field give the chat handle in Airtable")
        assert country.startswith("holds 2 countries (Brazil, Portugal); the country was read as empty")
        assert "keep one country per ambassador in Airtable" in country


class TestDateResults:
    @pytest.mark.parametrize("zone,field,cell,day", [
        ("America/Sao_Paulo", computed("Start date", "formula", "date", **DATE), "2024-07-01T00:00:00.000Z",
         date(2024, 7, 1)),
        ("Asia/Tokyo", computed("Start date", "formula", "date", **DATE), "2024-07-01T00:00:00.000Z",
         date(2024, 7, 1)),
        ("America/Sao_Paulo", computed("Start date", "formula", "date", **DATE), "2024-07-01", date(2024, 7, 1)),
        ("America/Sao_Paulo", computed("Start date", "multipleLookupValues", "formula",
                                       options={"result": {"type": "date", **DATE}}),
         ["2024-07-01T00:00:00.000Z"], date(2024, 7, 1)),
        ("America/Sao_Paulo", computed("Start date", "rollup", "dateTime", **DATE_TIME), "2024-06-30T23:30:00.000Z",
         date(2024, 6, 30)),
        ("Asia/Tokyo", computed("Start date", "rollup", "dateTime", **DATE_TIME), "2024-06-30T23:30:00.000Z",
         date(2024, 7, 1)),
    ])
    def test_a_date_result_is_its_date_and_a_date_time_its_day_in_the_program_zone(self, program, airtable_base,
                                                                                   zone, field, cell, day):
        """A formula, rollup or lookup whose result is a date (`options.result.type` "date": Airtable gives
        "2024-07-01T00:00:00.000Z" or "2024-07-01") is that date in every zone, west of UTC too; one whose
        result is a date-time is its day in program.timezone."""
        (amb,), problems = read_roster(program, airtable_base, {"Start date": field},
                                       [one("Ana", "ana@example.org", **{"Start date": cell})], timezone=zone)
        assert problems == [] and amb.start_date == day


class TestPeopleAndLinks:
    def test_two_collaborators_or_one_without_an_email_in_the_email_field(self, program, airtable_base):
        """A multiple-collaborator Email naming two people holds 2 addresses, as a lookup of two does; a
        collaborator Airtable gives without an email ({id, name}) is a problem saying so; both are skipped."""
        fake, _ = airtable_base
        ana, oleg = fake.add_user("ana@example.org", "Ana"), fake.add_user("oleg@example.org", "Oleg")
        nomail = fake.add_user("", "No Mail")
        assert set(nomail) == {"id", "name"}
        ambassadors, problems = read_roster(
            program, airtable_base, {"Email": {"name": "Email", "type": "multipleCollaborators"}}, [
                one("Two", [{"id": ana["id"]}, {"id": oleg["id"]}]),
                one("Nobody", [{"id": nomail["id"]}]),
                one("Oleg", [{"id": oleg["id"]}])])
        assert [a.email for a in ambassadors] == ["oleg@example.org"]
        two, nobody = problems
        assert (two.row, two.column, two.value) == (2, "Email", "ana@example.org; oleg@example.org")
        assert two.reason.startswith("holds 2 addresses") and "one address per ambassador" in two.reason
        assert (nobody.row, nobody.column, nobody.value) == (3, "Email", "No Mail")
        assert nobody.reason == ("is a collaborator whom Airtable gives without an email address; the ambassador "
                                 "was skipped: make the Email field give the person's address in Airtable")

    def test_links_to_a_primary_field_that_errs_is_empty_or_a_number_or_to_a_record_gone(self, program,
                                                                                       airtable_base):
        """Country linked to a table whose primary field is a formula: a link to a record whose primary value is
        Airtable's error, or empty, is a problem (read as empty), a number reads as its digits; a record deleted
        between the roster's read and the linked table's is a problem, never `recXXXX`."""
        fake, _ = airtable_base
        fake.create_table(BASE, "Countries", [computed("Code", "formula", "singleLineText"),
                                              {"name": "Notes", "type": "singleLineText"}])
        ids = [r["id"] for r in fake.insert(BASE, "Countries", [
            {"Code": "BR"}, {"Code": {"error": "#ERROR!"}}, {"Code": 55.0}, {"Notes": "no code"}, {"Code": "PT"}])]
        br, broken, number, blank, gone = ids
        countries = next(t for t in fake.tables(BASE) if t["name"] == "Countries")
        link = {"name": "Country", "type": "multipleRecordLinks", "options": {"linkedTableId": countries["id"]}}

        def staff_deletes_pt(info) -> None:
            if info.kind == "read" and info.table == "Countries":
                fake.on_request = None
                fake.remove(BASE, "Countries", [gone])

        records = [one("Ana", "ana@example.org", Country=[br]), one("Bo", "bo@example.org", Country=[broken]),
                   one("Cy", "cy@example.org", Country=[number]), one("Di", "di@example.org", Country=[blank]),
                   one("Ed", "ed@example.org", Country=[gone])]
        fake.on_request = lambda info: info.kind == "read" and info.table == "Ambassadors" and setattr(
            fake, "on_request", staff_deletes_pt)
        ambassadors, problems = read_roster(program, airtable_base, {"Country": link}, records)
        assert {a.email: a.country for a in ambassadors} == {
            "ana@example.org": "BR", "bo@example.org": "", "cy@example.org": "55", "di@example.org": "",
            "ed@example.org": ""}
        assert [(p.row, p.column, p.value) for p in problems] == [
            (3, "Country", "#ERROR!"), (5, "Country", blank), (6, "Country", gone)]
        err, empty, missing = (p.reason for p in problems)
        assert err.startswith("links to a record of 'Countries' whose 'Code' is the error Airtable gives")
        assert err.endswith("; the country was read as empty: correct the formula in Airtable")
        assert empty.startswith("links to a record of 'Countries' whose 'Code' is empty")
        assert missing.startswith("links to a record of 'Countries' that the table no longer holds")
        assert [r["fields"].get("Country") for r in fake.records(BASE, "Ambassadors")][-1] is None


def doctor_lines(env: AirtableEnv) -> tuple[list[str], list[str], StopRun | None]:
    """`doctor` in this process on the fake base, paced on the test's manual clock: (ok lines, FAIL lines, stop)."""
    from automations.jobs import doctor

    out: list[str] = []
    err: list[str] = []
    env.clock.advance(1.1)
    try:
        doctor.run(bootstrap.for_doctor(env.config_path, AS_OF, env.environ, env.clock.now, env.clock.sleep),
                   lambda line, bad: (err if bad else out).append(line))
    except StopRun as exc:
        return out, err, exc
    return out, err, None


class TestDoctorOnStaffBase:
    def test_a_field_lacking_options_is_named_and_the_roster_is_still_read(self, program, airtable_base):
        """Every table there, and a Standing field without the options the jobs write: doctor names the options,
        and still reads the roster, the referral inquiries and the staff's tables (init adds no option, so
        "run init" would send staff round in circles)."""
        fake, clock = airtable_base
        configure(program, fake.url, **THEIR_KEYS)
        fake.create_table(BASE, "Ambassadors", staff_fields(Standing={"name": "Standing", "type": "singleSelect",
                                                                     "options": choices("Good standing")}))
        env = AirtableEnv(fake, clock, program)
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        fake.insert(BASE, "Ambassadors", example_roster(program, their_words=True))

        out, err, stop = doctor_lines(env)
        assert stop is not None
        (standing,) = [x for x in err if "'Standing'" in x]
        assert "lacks the options 'Warning', 'Under review'" in standing
        assert not [x for x in out + err if "run `init`" in x or "not read until" in x]
        assert [x for x in out if x.startswith("ok   roster Airtable table Ambassadors: ")]
        assert [x for x in out if x.startswith("ok   referral inquiries Airtable table Referral inquiries")]
        assert [x for x in out if x.startswith("ok   funding requests Airtable table Funding requests")]
        assert [x for x in out if x.startswith("ok   check-in responses")]

    def test_a_missing_table_holds_back_only_what_reads_it(self, program, airtable_base):
        """The referral inquiries' table renamed in the configuration (the base has none of that name): doctor
        fails on it, says the inquiries wait for it, and reads everything else."""
        fake, clock = airtable_base
        configure(program, fake.url, **THEIR_KEYS)
        fake.create_table(BASE, "Ambassadors", staff_fields())
        env = AirtableEnv(fake, clock, program)
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        fake.insert(BASE, "Ambassadors", example_roster(program, their_words=True))
        data = yaml.safe_load(program.read_text(encoding="utf-8"))
        data["airtable"]["tables"] = {"referral_inquiries": "Partner requests"}
        program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

        out, err, stop = doctor_lines(env)
        assert stop is not None
        assert "FAIL table 'Partner requests' (referral_inquiries) is missing: run `init` to create it." in err
        (waiting,) = [x for x in err if "not read until" in x]
        assert waiting.endswith(": the referral inquiries (table 'Partner requests').") and "run `init`" in waiting
        assert [x for x in out if x.startswith("ok   roster Airtable table Ambassadors: ")]
        assert [x for x in out if x.startswith("ok   conduct register Airtable table Conduct register")]
        assert [x for x in out if x.startswith("ok   certificates:") and "event attendee lines" in x]

    def test_a_base_that_refuses_the_token_is_asked_nothing_more(self, program, airtable_base):
        """A wrong token: its FAIL line, one line saying what waits for the base, and no request after the one
        refused (no table read, no schema read that would be refused too)."""
        fake, clock = airtable_base
        configure(program, fake.url)
        env = AirtableEnv(fake, clock, program, environ={"AIRTABLE_TOKEN": "patWRONG.token"})
        _out, err, stop = doctor_lines(env)
        assert stop is not None
        assert [x for x in err if "Airtable refused the token in AIRTABLE_TOKEN" in x]
        (waiting,) = [x for x in err if "not read until" in x]
        assert waiting.startswith("warn the roster, the referral inquiries, the funding requests, the conduct "
                                  "register, the check-in responses and the event attendee lists are not read until "
                                  "the store answers")
        assert [(r.method, r.path) for r in fake.requests] == [("GET", "/v0/meta/whoami")]


class TestOneSchemaRead:
    """The base's schema is read once a run and shared (`AirtableClient.schema`), and read again after the run
    changed it."""

    def test_doctor_reads_the_schema_once(self, program, airtable_base):
        """A roster with linked-record fields (read through their linked tables, which needs the schema) and the
        admin check (which compares it): one `GET meta/bases/{base}/tables` in the whole doctor run."""
        fake, env, ids = on_a_linked_base(program, airtable_base, AS_OF)
        fake.insert(BASE, "Ambassadors", [
            {"Name": "Ana Lima", "Person": [ids["Ana"]], "Email": ["ana.lima@example.org"],
             "Country": [ids["Brazil"]], "Languages": [ids["pt"], ids["en"]], "Start date": "2024-06-30",
             "Region": "São Paulo", "University": "USP", "Status": "Active"}])
        fake.reset_log()

        out, _err, _ = doctor_lines(env)
        assert [x for x in out if "roster Airtable table Ambassadors: 1 ambassadors" in x]
        meta = [(r.method, r.path) for r in fake.requests if r.kind == "meta"]
        assert meta.count(("GET", f"/v0/meta/bases/{BASE}/tables")) == 1, meta
        assert sorted(r.table for r in fake.requests if r.kind == "read" and r.table in ("Countries", "Languages")) \
            == ["Countries", "Languages"]

    def test_init_is_seen_by_the_rest_of_the_run(self, program, airtable_base):
        """The schema read before `init` is forgotten once `init` changes the base: the same run then finds every
        table (one more schema request, and only one)."""
        fake, clock = airtable_base
        configure(program, fake.url)
        ctx = AirtableEnv(fake, clock, program).ctx(AS_OF)
        roles = tuple(ctx.stores.admin.spec.tables)
        assert len(ctx.stores.admin.lacks(roles)) == len(roles)
        ctx.stores.admin.init(dry_run=False)
        assert ctx.stores.admin.lacks(roles) == [] and ctx.stores.admin.lacks(roles) == []
        tables = [r for r in fake.requests if r.kind == "meta" and r.method == "GET" and r.path.endswith("/tables")]
        assert len(tables) == 2


    def test_an_option_typecast_adds_is_read_again(self, airtable_base):
        """Records created with a select value the field lacks (migrate: typecast adds the option): the run's
        schema is read again, once, and holds the option; a value the field has costs no further read."""
        from automations.adapters.airtable.writable import options_of
        from tests.contract.conftest import airtable_client

        fake, clock = airtable_base
        fake.create_table(BASE, "T", [{"name": "Name", "type": "singleLineText"},
                                      {"name": "Pick", "type": "singleSelect", "options": choices("a")}])
        client = airtable_client(fake, clock)
        assert options_of(client.schema()["T"]["by_name"]["Pick"]) == ["a"]
        client.create("T", [{"Name": "x", "Pick": "b"}], ["Name"])
        assert options_of(client.schema()["T"]["by_name"]["Pick"]) == ["a", "b"]
        client.create("T", [{"Name": "y", "Pick": "a"}], ["Name"])
        client.schema()
        assert len([r for r in fake.requests if r.kind == "meta" and r.path.endswith("/tables")]) == 2


class TestComputedTypes:
    def test_computed_is_airtables_list(self):
        """One list of the types Airtable computes: every field type pyairtable marks read-only, formula and rollup;
        each a type Airtable's API names (there is no "lookup": a lookup is multipleLookupValues)."""
        import typing

        from pyairtable.models.schema import FieldType
        from pyairtable.orm import fields as orm_fields

        from automations.adapters.airtable import schema as airtable_schema
        from automations.adapters.airtable import writable as airtable_writable

        readonly = set()
        for cls in orm_fields.READONLY_FIELDS:
            for base in getattr(cls, "__orig_bases__", ()):
                for arg in typing.get_args(base):
                    kind = getattr(arg, "model_fields", {}).get("type")
                    if kind is not None:
                        readonly |= {t.value for t in typing.get_args(kind.annotation)}
        assert readonly and readonly | {"formula", "rollup"} == set(airtable_schema.COMPUTED)
        assert set(airtable_schema.COMPUTED) <= {t.value for t in FieldType}
        assert airtable_writable.COMPUTED is airtable_schema.COMPUTED
        assert set(airtable_schema.DERIVED) <= set(airtable_schema.COMPUTED)
