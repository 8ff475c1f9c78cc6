"""`migrate --from OTHER_CONFIG`: a running program carried from its local folder into an Airtable base and back.

The example program runs on the local backend first (run-all on 2026-10-19: mail into the outbox, data
problems on record, one of them set to `ignored` by staff), then moves into the fake base (real pyairtable
over HTTP on 127.0.0.1, a manual clock shared with the fake's rate limiter), and back into an empty folder.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml

from automations import bootstrap
from automations.config import load_config
from automations.domain.migration import EXTRA, SHAPE, Held, Sourced, canonical, plan_table, readdress
from automations.errors import ServiceUnavailable, StopRun
from automations.jobs import blog_reviews as blog_reviews_job
from automations.jobs import certificates as certificates_job
from automations.jobs import compliance as compliance_job
from automations.jobs import doctor as doctor_job
from automations.jobs import funding as funding_job
from automations.jobs import migrate as migrate_job
from automations.jobs import referrals as referrals_job
from automations.jobs import run_all
from tests.airtable_env import BASE, AirtableEnv, drop_after_writes, seed_roster, use_airtable
from tests.conftest import copy_example, outbox_messages, run_cli, snapshot
from tests.fake_airtable import Faults

AS_OF = date(2026, 10, 19)
STAFF_IGNORED = "p-536afb48f7cb"  # an open problem of the example that staff set to ignored before the move


def statuses(rows) -> dict[str, tuple]:
    return {r["key"]: (r["status"], r.get("first_seen", ""), r.get("closed", "")) for r in rows}


def local_problems(folder: Path) -> dict[str, tuple]:
    with (folder / "unusable_rows.csv").open(encoding="utf-8", newline="") as fh:
        return {r["Problem ID"]: (r["Status"], r["First seen"], r["Closed"]) for r in csv.DictReader(fh)}


def base_problems(env: AirtableEnv) -> dict[str, tuple]:
    return {r["fields"]["Key"]: (r["fields"]["Status"], r["fields"].get("First seen", ""),
                                 r["fields"].get("Closed", "")) for r in env.records("Data problems")}


def writes(env: AirtableEnv) -> list:
    return [r for r in env.fake.requests if r.kind == "write"]


@pytest.fixture
def running(tmp_path: Path) -> Path:
    """The example program after a day on the local backend: its config path (the data in data/, mail in outbox/)."""
    config = copy_example(tmp_path / "program")
    problems = config.parent / "data" / "unusable_rows.csv"
    with problems.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        if row[0] == STAFF_IGNORED:
            row[1] = "ignored"
    with problems.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    results = run_all.run(bootstrap.build(load_config(config), AS_OF, False))
    assert all(not r.failures for r in results)
    assert outbox_messages(config.parent / "outbox")
    return config


@pytest.fixture
def live(running: Path, airtable_base) -> AirtableEnv:
    """A second configuration beside the first, on the fake base after `init` (its local.dir is the same data/)."""
    fake, clock = airtable_base
    config = running.parent / "config.airtable.yaml"
    shutil.copy(running, config)
    use_airtable(config, fake.url)
    env = AirtableEnv(fake, clock, config)
    env.ctx(AS_OF).stores.admin.init(dry_run=False)
    fake.reset_log()
    return env


def migrate(env: AirtableEnv, dest: Path, source: Path, dry_run: bool = False, reader: str | None = None,
            as_of: date = AS_OF):
    """One `migrate` run in this process, on the shared manual clock."""
    env.clock.advance(1.1)
    ctx = bootstrap.build(load_config(dest), as_of, dry_run, environ=env.environ, clock=env.clock.now,
                          sleep=env.clock.sleep)
    move = bootstrap.migration(dest, source, dry_run, env.environ, env.clock.now, env.clock.sleep)
    return migrate_job.run(ctx, move, reader)


def the_same_day_changes_nothing(env: AirtableEnv, running: Path, outbox: dict) -> None:
    """run-all on the base the same day: no failure, no new problem, no message beyond `outbox` (a snapshot of the
    local program's), and the local program's verdicts."""
    results = run_all.run(env.ctx(AS_OF))
    assert all(not r.failures and not r.new_problems for r in results)
    assert snapshot(running.parent / "outbox") == outbox
    assert verdicts(env.config_path, env) == verdicts(running)


def empty_folder_program(tmp_path: Path, like: Path, name: str = "backup") -> Path:
    """A configuration like `like` (local backend) whose local.dir is an empty folder."""
    home = tmp_path / name
    home.mkdir()
    shutil.copytree(like.parent / "templates", home / "templates")
    data = yaml.safe_load(like.read_text(encoding="utf-8"))
    data["backend"] = "local"
    data.pop("airtable", None)
    data["local"] = {"dir": "store"}
    (home / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return home / "config.yaml"


def migrate_locally(dest: Path, source: Path, dry_run: bool = False):
    """One `migrate` run in this process between two configurations without a remote store."""
    return migrate_job.run(bootstrap.build(load_config(dest), AS_OF, dry_run),
                           bootstrap.migration(dest, source, dry_run, {}))


def set_cell(path: Path, email: str, column: str, value: str) -> None:
    """Change one cell of a roster file (the row of `email`), as staff do in a spreadsheet."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    at = rows[0].index(column) if column in rows[0] else None
    if at is None:
        rows[0].append(column)
        at = len(rows[0]) - 1
    for row in rows[1:]:
        row += [""] * (len(rows[0]) - len(row))
        if row[rows[0].index("Email")] == email:
            row[at] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def verdicts(config: Path, env: AirtableEnv | None = None) -> str:
    extra = {"environ": env.environ, "clock": env.clock.now, "sleep": env.clock.sleep} if env else {}
    ctx = bootstrap.build(load_config(config), AS_OF, True, **extra)
    return compliance_job.run(ctx, None, "json", None).output


class TestIntoAirtable:
    def test_the_same_day_sends_nothing_and_keeps_every_status(self, running, live):
        """After migrate, run-all on the base on the same day sends nothing that had gone, finds no new problem
        (exit 0) and keeps every problem's status, staff's ignored included."""
        before = local_problems(running.parent / "data")
        assert before[STAFF_IGNORED][0] == "ignored"
        outbox = snapshot(running.parent / "outbox")
        result = migrate(live, live.config_path, running)
        assert any("mail ledger" in line and "created" in line for line in result.summary)
        assert base_problems(live) == before
        ledger = {r["fields"]["Key"]: r["fields"] for r in live.records("Mail ledger")}
        # 23 messages and the 3 dates their calendar files went with
        assert len(ledger) == 26 and all(f["Status"] == "sent" and f.get("Sent at") for f in ledger.values())
        results = run_all.run(live.ctx(AS_OF))
        assert all(not r.failures and not r.new_problems for r in results)
        assert all("0 messages sent" in line for r in results for line in r.summary if "messages sent" in line)
        assert snapshot(running.parent / "outbox") == outbox
        assert base_problems(live) == before
        assert verdicts(live.config_path, live) == verdicts(running)

    def test_every_table_lands_by_role(self, running, live):
        """The roster keeps its status history, standing fields, staff's Notes and its own Status word (as the
        field's option); activities, check-ins and blog proposals arrive whole."""
        migrate(live, live.config_path, running)
        people = {r["fields"]["Email"]: r["fields"] for r in live.records("Ambassadors")}
        assert len(people) == 36
        hannah = people["hannah.schmidt@example.com"]
        assert hannah["Status history"] == "2026-05-04 paused" and hannah["Notes"].startswith("Paused until")
        assert hannah["Standing"] == "paused" and hannah["Languages"] == ["de", "en", "fr"]
        priya = people["priya.deshmukh@example.org"]
        assert priya["Perks"] == ["free_event_access", "conference_funding"] and priya["Streak"] == 2
        assert priya["Last check-in"] == "2026-10-14" and priya["Start date"] == "2023-10-02"
        assert people["daan.janssen@example.com"]["Status"] == "active"  # "Active" in the CSV
        assert len(live.records("Activities")) == 266 and len(live.records("Check-ins")) == 122
        assert {r["fields"]["Title"] for r in live.records("Blog reviews")} >= {"Segmenting contacts by event attendance"}

    def test_a_second_migrate_writes_nothing(self, running, live):
        migrate(live, live.config_path, running)
        live.fake.reset_log()
        result = migrate(live, live.config_path, running)
        assert writes(live) == []
        assert any("nothing was written" in line for line in result.summary)

    def test_dry_run_writes_nothing(self, running, live):
        """--dry-run says per table what it would create, and writes nothing (no record, no field, no journal)."""
        data = snapshot(running.parent / "data")
        result = migrate(live, live.config_path, running, dry_run=True)
        assert writes(live) == [] and live.records("Ambassadors") == []
        assert not [r for r in live.fake.requests if r.kind == "meta" and r.method != "GET"]
        assert any(line.startswith("roster") and "would create 36 rows" in line for line in result.summary)
        assert any(line.startswith("mail ledger") and "would create 26 rows" in line for line in result.summary)
        assert snapshot(running.parent / "data") == data

    def test_write_requests_within_the_lower_bound(self, running, live):
        """Every table is written ten records to a request: within 1.05 times ceil(rows / 10) per table, never
        more than 5 requests in a second."""
        migrate(live, live.config_path, running)
        per_table = Counter(r.table for r in writes(live))
        rows = Counter()
        for r in writes(live):
            rows[r.table] += r.records
        assert all(per_table[t] <= 1.05 * -(-rows[t] // 10) for t in per_table), (per_table, rows)
        times = [r.at for r in live.fake.requests]
        assert all(sum(1 for t in times if s <= t < s + 1.0) <= 5 for s in times)

    def test_killed_part_way_then_run_again(self, running, live):
        """The base stops answering after six write requests (the ledger, the problems and part of the roster have
        landed); until migrate is run again nothing else runs on the base; the rerun completes it with every
        record once."""
        fake = live.fake
        cfg = yaml.safe_load(live.config_path.read_text())
        cfg["airtable"]["max_attempts"] = 2
        live.config_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        drop_after_writes(fake, 6)
        with pytest.raises(ServiceUnavailable, match=r"run `migrate --from .*` again to complete the work") as stop:
            migrate(live, live.config_path, running)
        assert "the next run completes" not in str(stop.value)
        fake.on_request = None
        fake.faults = Faults()
        assert len(live.records("Mail ledger")) == 26 and len(live.records("Data problems")) == 9
        assert 0 < len(live.records("Ambassadors")) < 36 and live.records("Activities") == []
        with pytest.raises(StopRun, match="stopped before it finished: run `migrate --from"):
            bootstrap.unfinished_migration(live.config)  # what every other command checks first
        bootstrap.unfinished_migration(load_config(running))  # the source's own store runs on
        migrate(live, live.config_path, running)
        bootstrap.unfinished_migration(live.config)
        for table, key, n in (("Mail ledger", "Key", 26), ("Data problems", "Key", 9), ("Activities", "Key", 266),
                              ("Ambassadors", "Email", 36), ("Check-ins", "Key", 122)):
            keys = Counter(r["fields"][key] for r in live.records(table))
            assert len(keys) == n and set(keys.values()) == {1}, table
        assert base_problems(live) == local_problems(running.parent / "data")

    def test_lost_replies_never_duplicate(self, running, live):
        """Replies lost after the base applied a write (20 %): each run creates only what is missing, and a create
        that cannot be repeated safely stops instead; in the end every record is there once."""
        cfg = yaml.safe_load(live.config_path.read_text())
        cfg["airtable"]["max_attempts"] = 12
        live.config_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        live.fake.faults = Faults(rate_lost_reply=0.2, seed=5)
        for _ in range(10):
            try:
                migrate(live, live.config_path, running)
                break
            except ServiceUnavailable:
                continue
        assert Counter(r.fault for r in live.fake.requests)["lost_reply"] > 3
        live.fake.faults = Faults()
        live.fake.reset_log()
        migrate(live, live.config_path, running)
        assert writes(live) == []
        for table, key in (("Ambassadors", "Email"), ("Activities", "Key"), ("Mail ledger", "Key")):
            keys = Counter(r["fields"][key] for r in live.records(table))
            assert set(keys.values()) == {1}, table

    def test_a_person_twice_in_the_roster_is_copied_twice(self, running, live):
        """A roster row repeated (a data problem of the roster) is copied as it is, once: the second copy cannot be
        upserted on its email, and still lands once; the problem follows it; a second migrate writes nothing."""
        roster = running.parent / "data" / "ambassadors.csv"
        lines = roster.read_text(encoding="utf-8").splitlines(keepends=True)
        roster.write_text("".join(lines + [lines[1]]), encoding="utf-8")
        run_all.run(bootstrap.build(load_config(running), AS_OF, False))
        migrate(live, live.config_path, running)
        emails = Counter(r["fields"]["Email"] for r in live.records("Ambassadors"))
        assert emails["priya.deshmukh@example.org"] == 2 and sum(emails.values()) == 37
        twice = [r["fields"] for r in live.records("Data problems") if r["fields"].get("Source") == "Ambassadors"]
        assert [(f["Row"], f["Column"]) for f in twice] == [(38, "Email")]
        live.fake.reset_log()
        migrate(live, live.config_path, running)
        assert writes(live) == []
        results = run_all.run(live.ctx(AS_OF))
        assert all(not r.failures and not r.new_problems for r in results)

    def test_a_person_twice_in_the_middle_of_the_roster_keeps_its_place(self, running, live):
        """A roster row repeated in the middle (row 4): the base lists the records in the file's order, the
        problem about the second copy names row 4 there too, and run-all on the base finds nothing new and keeps
        that problem open (not closed as fixed, not filed again for another row)."""
        roster = running.parent / "data" / "ambassadors.csv"
        lines = roster.read_text(encoding="utf-8").splitlines(keepends=True)
        roster.write_text("".join(lines[:3] + [lines[1]] + lines[3:]), encoding="utf-8")
        run_all.run(bootstrap.build(load_config(running), AS_OF, False))
        with (running.parent / "data" / "unusable_rows.csv").open(encoding="utf-8", newline="") as fh:
            local = [(r["Row"], r["Column"]) for r in csv.DictReader(fh) if r["Source"] == "ambassadors.csv"]
        assert local == [("4", "Email")]
        migrate(live, live.config_path, running)
        with roster.open(encoding="utf-8", newline="") as fh:
            order = [r["Email"] for r in csv.DictReader(fh)]
        assert [r["fields"]["Email"] for r in live.records("Ambassadors")] == order
        placed = [(f["fields"]["Row"], f["fields"]["Column"], f["fields"]["Status"])
                  for f in live.records("Data problems") if f["fields"].get("Source") == "Ambassadors"]
        assert placed == [(4, "Email", "open")]
        before = base_problems(live)
        results = run_all.run(live.ctx(AS_OF))
        assert all(not r.failures and not r.new_problems for r in results)
        assert base_problems(live) == before

    def test_a_new_option_in_a_later_migrate_is_added(self, running, live):
        """A language added to a roster row after the first migrate is a new option of the base's Languages field:
        the plan names it, the update adds it (a creator's token), and nothing is left unfinished."""
        migrate(live, live.config_path, running)
        set_cell(running.parent / "data" / "ambassadors.csv", "priya.deshmukh@example.org", "Languages",
                 "mr; hi; en; qq")
        dry = migrate(live, live.config_path, running, dry_run=True)
        assert any("field 'Languages': adds the option 'qq' (typecast)" in line for line in dry.summary)
        result = migrate(live, live.config_path, running)
        assert any(line.startswith("roster") and "updated 1 row" in line for line in result.summary)
        priya = next(r["fields"] for r in live.records("Ambassadors")
                     if r["fields"]["Email"] == "priya.deshmukh@example.org")
        assert priya["Languages"] == ["mr", "hi", "en", "qq"]
        assert not (running.parent / "data" / bootstrap.MIGRATING).exists()
        live.fake.reset_log()
        migrate(live, live.config_path, running)
        assert writes(live) == []

    def test_records_a_person_added_to_the_base_are_left_alone(self, running, live):
        """A record staff added to the base's Activities (no Key) stays as it is on a later migrate (named, not
        refused, not deleted), and a row typed into the local data problems with a Key of a person's own is not
        copied into the base (named with its key)."""
        migrate(live, live.config_path, running)
        live.fake.insert(BASE, "Activities", [{"Title": "Staff-made activity"}])
        problems = running.parent / "data" / "unusable_rows.csv"
        with problems.open("a", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerow(["staff note", "open", "2026-10-01", "", "", "", "", "", "", "call Ana"])
        live.fake.reset_log()
        result = migrate(live, live.config_path, running)
        assert writes(live) == []
        assert any(line.startswith("activities: 1 row a person added to Airtable table Activities") and
                   "left as it is" in line for line in result.summary)
        assert any(line.startswith("data problems: 1 row of") and "not copied" in line and "'staff note'" in line
                   for line in result.summary)
        assert [r["fields"] for r in live.records("Activities") if "Key" not in r["fields"]] == [
            {"Title": "Staff-made activity"}]
        assert "staff note" not in base_problems(live)

    def test_field_titles_differ_between_the_configurations(self, running, airtable_base):
        """The base's configuration titles staff's fields and tables otherwise: fields are matched by role, and
        a problem staff ignored about a roster row follows the row to the base (its table, row and column there),
        so run-all there finds nothing new."""
        fake, clock = airtable_base
        roster = running.parent / "data" / "ambassadors.csv"
        roster.write_text(roster.read_text(encoding="utf-8").replace("2023-09-25,alumni,", "2023-09-25,retired,"),
                          encoding="utf-8")
        run_all.run(bootstrap.build(load_config(running), AS_OF, False))
        problems = running.parent / "data" / "unusable_rows.csv"
        with problems.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        tom = next(r for r in rows if r[5] == "ambassadors.csv" and r[8] == "retired")
        tom[1] = "ignored"
        with problems.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
        config = running.parent / "config.airtable.yaml"
        shutil.copy(running, config)
        data = yaml.safe_load(config.read_text())
        data["ambassadors"]["fields"].update(email="E-mail", status="State", status_history="Changes")
        data["ambassadors"]["standing_fields"]["standing"] = "Good standing?"
        config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        use_airtable(config, fake.url, tables={"ambassadors": "People", "problems": "Issues"},
                     fields={"problems": {"status": "Decision"}})
        env = AirtableEnv(fake, clock, config)
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        migrate(env, config, running)
        people = {r["fields"]["E-mail"]: r["fields"] for r in env.records("People")}
        assert people["tom.baker@example.net"]["State"] == "retired"
        assert people["tom.baker@example.net"]["Changes"] == "2026-04-01 alumni"
        assert people["emily.carter@example.org"]["Good standing?"] == "good"
        decisions = {r["fields"]["Key"]: r["fields"] for r in env.records("Issues")}
        assert decisions[STAFF_IGNORED]["Decision"] == "ignored"
        moved = next(f for f in decisions.values() if f.get("Value") == "retired")
        assert (moved["Source"], moved["Row"], moved["Column"], moved["Decision"]) == ("People", int(tom[6]), "State",
                                                                                       "ignored")
        results = run_all.run(env.ctx(AS_OF))
        assert all(not r.failures and not r.new_problems for r in results)
        after = {r["fields"]["Key"]: r["fields"]["Decision"] for r in env.records("Issues")}
        assert after == {k: f["Decision"] for k, f in decisions.items()}


    def test_into_a_base_in_staffs_own_words(self, running, airtable_base):
        """The base's configuration maps statuses, standings and perks to staff's words (init makes the fields
        with those options): every status, history entry, standing and perk arrives in staff's words, the verdicts
        are the local program's, and run-all there the same day sends nothing, finds nothing new and adds no
        option to any field."""
        fake, clock = airtable_base
        config = running.parent / "config.airtable.yaml"
        shutil.copy(running, config)
        data = yaml.safe_load(config.read_text())
        data["ambassadors"].update(
            status_values={"active": ["Active"], "paused": ["On leave"], "alumni": ["Alumni"],
                           "removed": ["Expelled"]},
            standing_values={"good": "Good standing", "warned": "Warning", "under_review": "Under review",
                             "paused": "Paused", "alumni": "Alumni", "removed": "Removed"},
            perk_values={"free_event_access": "Free event access", "conference_funding": "Conference funding"})
        config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        use_airtable(config, fake.url)
        env = AirtableEnv(fake, clock, config)
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        migrate(env, config, running)
        people = {r["fields"]["Email"]: r["fields"] for r in env.records("Ambassadors")}
        words = {f: {w for p in people.values() for w in ([p[f]] if isinstance(p.get(f), str) else p.get(f, []))}
                 for f in ("Status", "Standing", "Perks")}
        assert words["Status"] <= {"Active", "On leave", "Alumni", "Expelled"} and "On leave" in words["Status"]
        assert words["Standing"] <= {"Good standing", "Warning", "Under review", "Paused", "Alumni", "Removed"}
        assert words["Perks"] <= {"Free event access", "Conference funding"} and words["Perks"]
        histories = [p["Status history"] for p in people.values() if p.get("Status history")]
        assert histories and not any(w in h for h in histories for w in (" paused", " active", " alumni"))
        assert verdicts(config, env) == verdicts(running)
        options = {(t["name"], f["name"]): sorted(c["name"] for c in f["options"]["choices"])
                   for t in fake.tables(BASE) for f in t["fields"] if f["type"] in ("singleSelect", "multipleSelects")}
        sent = len(outbox_messages(running.parent / "outbox"))
        results = run_all.run(env.ctx(AS_OF))
        assert all(not r.failures and not r.new_problems for r in results)
        assert len(outbox_messages(running.parent / "outbox")) == sent
        assert options == {(t["name"], f["name"]): sorted(c["name"] for c in f["options"]["choices"])
                           for t in fake.tables(BASE) for f in t["fields"]
                           if f["type"] in ("singleSelect", "multipleSelects")}


FUNDING_HEADER = ("Ambassador email,What,Kind,Amount,Currency,Event date,Region,Status,Approved amount,Invoice,"
                  "Invoice received,Evidence,Requested on\n")


def write_funding(config: Path, *amounts: str) -> Path:
    """A funding requests file staff keep, one request per amount (typed as staff type them)."""
    path = config.parent / "data" / "funding_requests.csv"
    rows = [f"priya.deshmukh@example.org,Trip {i},travel,\"{a}\",EUR,2026-12-0{i + 1},Europe,requested,,,,,2026-10-01\n"
            for i, a in enumerate(amounts)]
    path.write_text(FUNDING_HEADER + "".join(rows), encoding="utf-8")
    return path


class TestFundingAmounts:
    def test_amounts_land_as_the_funding_job_reads_them(self, running, live):
        """'1.200' is 1,200 EUR to the funding job, '1,200.50' and '€ 80' its documented forms: the base holds
        1200, 1200.5 and 80, a second migrate writes nothing, and the same-day run on the base finds no problem."""
        write_funding(running, "1.200", "1,200.50", "€ 80")
        assert all(not r.failures and not r.new_problems for r in run_all.run(
            bootstrap.build(load_config(running), AS_OF, False)))
        migrate(live, live.config_path, running)
        amounts = {r["fields"]["What"]: r["fields"]["Amount"] for r in live.records("Funding requests")}
        assert amounts == {"Trip 0": 1200, "Trip 1": 1200.5, "Trip 2": 80}
        live.fake.reset_log()
        migrate(live, live.config_path, running)
        assert writes(live) == []
        results = run_all.run(live.ctx(AS_OF))
        assert all(not r.failures and not r.new_problems for r in results)

    def test_an_amount_the_job_cannot_read_is_refused_naming_it(self, running, live):
        """'1500.555' is a data problem to the funding job; rounded into the base's two-decimal field it would be
        1500.56, which the job reads without a word: refused naming the row and value, nothing written."""
        write_funding(running, "80", "1500.555")
        with pytest.raises(StopRun, match=r"row 3 \(funding requests\), field 'Amount': '1500.555' is not an amount"):
            migrate(live, live.config_path, running)
        assert writes(live) == []

    def test_amounts_come_back_into_a_folder_as_the_base_held_them(self, running, live, tmp_path):
        write_funding(running, "1.200", "€ 80")
        migrate(live, live.config_path, running)
        backup = empty_folder_program(tmp_path, running)
        migrate(live, backup, live.config_path)
        with (backup.parent / "store" / "funding_requests.csv").open(encoding="utf-8", newline="") as fh:
            assert [r["Amount"] for r in csv.DictReader(fh)] == ["1200", "80"]


class TestCreatesSentOnce:
    def test_a_create_without_a_key_is_never_repeated(self, airtable_base):
        """A plain create whose reply is lost is not sent again (it would make a second record): the run stops,
        the record is there once, and the next run finds it."""
        from tests.contract.conftest import airtable_client, init_base

        fake, clock = airtable_base
        init_base(fake, clock)
        client = airtable_client(fake, clock)
        fake.faults = Faults(rate_lost_reply=1.0)
        with pytest.raises(ServiceUnavailable, match="not safe to repeat"):
            client.create("Activities", [{"Key": "a-1", "Title": "Talk"}])
        fake.faults = Faults()
        assert [r["fields"]["Key"] for r in fake.records(BASE, "Activities")] == ["a-1"]
        assert [r.fault for r in fake.requests if r.kind == "write"] == ["lost_reply"]

    def test_a_create_on_its_key_is_repeated_safely(self, airtable_base):
        from tests.contract.conftest import airtable_client, init_base

        fake, clock = airtable_base
        init_base(fake, clock)
        client = airtable_client(fake, clock)
        fake.faults = Faults(rate_lost_reply=0.5, seed=2)
        client.create("Activities", [{"Key": f"a-{n}"} for n in range(30)], ["Key"])
        fake.faults = Faults()
        assert sorted(r["fields"]["Key"] for r in fake.records(BASE, "Activities")) == sorted(f"a-{n}" for n in range(30))
        assert any(r.fault == "lost_reply" for r in fake.requests)


class TestBackToAFolder:
    def test_the_copy_runs_on_the_local_backend_with_the_same_verdicts(self, running, live, tmp_path):
        """Airtable back into an empty folder: the local backend runs on it, with the same verdicts, and sends
        nothing that had gone."""
        migrate(live, live.config_path, running)
        backup = empty_folder_program(tmp_path, running)
        migrate(live, backup, live.config_path)
        store = backup.parent / "store"
        assert (store / "checkin_responses.csv").is_file()
        assert verdicts(backup) == verdicts(running)
        assert local_problems(store) == local_problems(running.parent / "data")
        with (store / "ambassadors.csv").open(encoding="utf-8", newline="") as fh:
            notes = {r["Email"]: r["Notes"] for r in csv.DictReader(fh)}
        assert notes["lars.eriksson@example.net"].startswith("Removed 2026-03-02")
        results = run_all.run(bootstrap.build(load_config(backup), AS_OF, False))
        assert all(not r.failures and not r.new_problems for r in results)
        assert outbox_messages(backup.parent / "outbox") == []

    def test_records_a_person_added_to_the_base_stay_there(self, running, live, tmp_path):
        """Records staff added to the base's own tables (an activity without a Key, a note in Data problems, a
        paper letter in the Mail ledger), which the jobs there leave alone, are not copied into the folder (named
        in the output): run-all there the same day finds nothing new, and the folder's files hold none of them."""
        migrate(live, live.config_path, running)
        live.fake.insert(BASE, "Activities", [{"Title": "Staff-made activity"}])
        live.fake.insert(BASE, "Data problems", [{"Key": "staff note", "Status": "open", "Problem": "call Ana",
                                                  "Source": "Ambassadors", "Row": 3, "Column": "Email"}])
        live.fake.insert(BASE, "Mail ledger", [{"Key": "Paper mail to Ana", "Status": "sent", "Job": "manual"}])
        run_all.run(live.ctx(AS_OF))
        assert any(r["fields"].get("Key") == "staff note" for r in live.records("Data problems"))
        backup = empty_folder_program(tmp_path, running)
        result = migrate(live, backup, live.config_path)
        said = [line for line in result.summary if "not copied, " in line]
        assert len(said) == 3 and any("'staff note'" in line for line in said)
        assert any(line.startswith("mail ledger: 1 row") and "'Paper mail to Ana'" in line for line in said)
        store = backup.parent / "store"
        assert local_problems(store) == local_problems(running.parent / "data")
        results = run_all.run(bootstrap.build(load_config(backup), AS_OF, False))
        assert all(not r.failures and not r.new_problems for r in results)
        for name in ("activities.csv", "unusable_rows.csv", "mail_ledger.csv"):
            text = (store / name).read_text(encoding="utf-8")
            assert not any(w in text for w in ("Staff-made", "call Ana", "Paper mail")), name

    def test_a_staff_column_named_like_a_formula_is_an_inert_header(self, running, live, tmp_path):
        """A field of the base titled like a formula becomes a header with a leading apostrophe (as a cell
        would), and reads back under its own name: a second migrate writes nothing."""
        import requests

        migrate(live, live.config_path, running)
        title = '=HYPERLINK("http://x")'
        live.fake.add_field(BASE, "Ambassadors", {"name": title, "type": "singleLineText"})
        record = live.records("Ambassadors")[0]
        live.clock.advance(1.1)
        requests.patch(f"{live.fake.url}/v0/{BASE}/Ambassadors/{record['id']}", json={"fields": {title: "x"}},
                       headers={"Authorization": f"Bearer {live.environ['AIRTABLE_TOKEN']}"},
                       timeout=10).raise_for_status()
        backup = empty_folder_program(tmp_path, running)
        migrate(live, backup, live.config_path)
        with (backup.parent / "store" / "ambassadors.csv").open(encoding="utf-8", newline="") as fh:
            headers = next(csv.reader(fh))
        assert "'" + title in headers and not any(h.startswith("=") for h in headers)
        before = snapshot(backup.parent / "store")
        result = migrate(live, backup, live.config_path)
        assert any("nothing was written" in line for line in result.summary)
        assert snapshot(backup.parent / "store") == before

    def test_a_second_migrate_writes_nothing(self, running, live, tmp_path):
        migrate(live, live.config_path, running)
        backup = empty_folder_program(tmp_path, running)
        migrate(live, backup, live.config_path)
        before = snapshot(backup.parent / "store")
        result = migrate(live, backup, live.config_path)
        assert snapshot(backup.parent / "store") == before
        assert any("nothing was written" in line for line in result.summary)

    def test_dry_run_writes_nothing(self, running, live, tmp_path):
        migrate(live, live.config_path, running)
        backup = empty_folder_program(tmp_path, running)
        (backup.parent / "store").mkdir()
        result = migrate(live, backup, live.config_path, dry_run=True)
        assert snapshot(backup.parent / "store") == {}
        assert any("would create 266 rows" in line for line in result.summary)

    def test_changes_in_the_source_follow_on_a_later_migrate(self, running, live, tmp_path):
        """A later migrate into the same folder brings over what changed in the base since (rows migrate wrote
        and nobody touched since are updated); one staff changed in the folder meanwhile is refused."""
        migrate(live, live.config_path, running)
        backup = empty_folder_program(tmp_path, running)
        migrate(live, backup, live.config_path)
        record = next(r for r in live.records("Data problems") if r["fields"]["Key"] == "p-3f24988104f2")
        import requests

        live.clock.advance(1.1)
        requests.patch(f"{live.fake.url}/v0/{BASE}/Data%20problems/{record['id']}",
                       json={"fields": {"Status": "ignored"}},
                       headers={"Authorization": f"Bearer {live.environ['AIRTABLE_TOKEN']}"}, timeout=10)
        result = migrate(live, backup, live.config_path)
        assert any(line.startswith("data problems") and "updated 1 row" in line for line in result.summary)
        assert local_problems(backup.parent / "store")["p-3f24988104f2"][0] == "ignored"
        path = backup.parent / "store" / "unusable_rows.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(",ignored,", ",fixed,", 1), encoding="utf-8")
        with pytest.raises(StopRun, match="not written by migrate from there, or changed since"):
            migrate(live, backup, live.config_path)


class TestWithoutMigrate:
    def test_a_base_that_does_not_know_the_local_mail_stops_before_anything_is_sent(self, running, live, monkeypatch):
        """Staff point a running local program at a new base and skip `migrate`: the mail that went from the local
        folder is in no ledger of the base, so doctor fails naming `migrate`, and run-all stops (exit 2) before it
        writes or sends anything; after `migrate`, nothing goes again."""
        # One step of something else in the base's ledger (an erasure) does not make the local mail known there.
        (step,) = live.fake.insert(BASE, "Mail ledger", [{"Key": "erase:0123456789ab", "Job": "erase",
                                                          "Status": "sent", "Attempts": 1,
                                                          "Last attempt": "2026-10-18T09:00:00Z"}])
        live.fake.reset_log()
        with pytest.raises(StopRun, match=r"went from this program.s local folder .* `migrate --from"):
            run_all.run(live.ctx(AS_OF))
        for job in (blog_reviews_job.run, referrals_job.run, funding_job.run, certificates_job.run):
            with pytest.raises(StopRun, match="`migrate --from"):
                job(live.ctx(AS_OF))
        assert writes(live) == []
        sent = len(outbox_messages(running.parent / "outbox"))
        lines: list[str] = []
        monkeypatch.setenv("AIRTABLE_TOKEN", live.environ["AIRTABLE_TOKEN"])
        live.fake.rate_limit_per_second = None  # doctor paces itself on the real clock, the fake counts on its own
        with pytest.raises(StopRun):
            doctor_job.run(bootstrap.for_doctor(live.config_path, AS_OF), lambda line, err: lines.append(line))
        live.fake.rate_limit_per_second = 5
        assert any(line.startswith("FAIL") and "`migrate --from" in line for line in lines)
        live.fake.remove(BASE, "Mail ledger", [step["id"]])  # (migrate copies into a ledger of its own only)
        migrate(live, live.config_path, running)
        results = run_all.run(live.ctx(AS_OF))  # carried over: nothing goes again
        assert all(not r.failures for r in results)
        assert len(outbox_messages(running.parent / "outbox")) == sent


class TestRosterTypedByStaff:
    def test_a_roster_typed_into_the_base_is_adopted(self, running, live):
        """Staff typed the roster into the base themselves (their Status words, no standing yet): migrate adopts
        those rows, writing only the program's own fields, a second migrate writes nothing, and the same-day
        run-all sends nothing and finds no new problem."""
        assert seed_roster(live, running.parent / "data" / "ambassadors.csv") == 36
        outbox = snapshot(running.parent / "outbox")
        result = migrate(live, live.config_path, running)
        assert any("36 rows staff typed" in line and "adopted" in line for line in result.summary), result.summary
        people = {r["fields"]["Email"]: r["fields"] for r in live.records("Ambassadors")}
        assert len(people) == 36 and people["priya.deshmukh@example.org"]["Streak"] == 2
        live.fake.reset_log()
        migrate(live, live.config_path, running)
        assert writes(live) == []
        the_same_day_changes_nothing(live, running, outbox)

    def test_an_adopted_row_is_never_deleted_by_a_later_migrate(self, running, live):
        """An adopted row stays staff's: when the source no longer has that person, a later migrate refuses (naming
        the row) rather than delete what staff typed."""
        seed_roster(live, running.parent / "data" / "ambassadors.csv")
        migrate(live, live.config_path, running)
        roster = running.parent / "data" / "ambassadors.csv"
        lines = roster.read_text(encoding="utf-8").splitlines(keepends=True)
        gone = next(i for i, line in enumerate(lines) if "priya.deshmukh@example.org" in line)
        roster.write_text("".join(lines[:gone] + lines[gone + 1:]), encoding="utf-8")
        live.fake.reset_log()
        with pytest.raises(StopRun, match=r"priya.deshmukh@example.org"):
            migrate(live, live.config_path, running)
        assert writes(live) == []
        assert "priya.deshmukh@example.org" in {r["fields"]["Email"] for r in live.records("Ambassadors")}

    def test_a_staff_field_that_differs_is_named_with_both_values(self, running, live):
        seed_roster(live, running.parent / "data" / "ambassadors.csv")
        """The base's row of one person says another Country than the folder: refused naming the person, the field
        and both values, before anything is written."""
        set_cell(running.parent / "data" / "ambassadors.csv", "priya.deshmukh@example.org", "Country", "Bhutan")
        live.fake.reset_log()
        with pytest.raises(StopRun, match=r"row 'priya.deshmukh@example.org' with 'Country' 'India', where local folder "
                                          r".* has 'Bhutan'.*nothing was written"):
            migrate(live, live.config_path, running)
        assert writes(live) == []


class TestLinkedRoster:
    def test_a_linked_country_comes_back_by_its_name(self, running, airtable_base, tmp_path):
        """Staff's base links Country to a Countries table: migrated back into a folder, the roster says the
        country's name (the linked table's primary field), as compliance reads it on the base, never `recXXXX`."""
        fake, clock = airtable_base
        fake.create_table(BASE, "Countries", [{"name": "Name", "type": "singleLineText"}])
        countries = next(t for t in fake.tables(BASE) if t["name"] == "Countries")
        fake.create_table(BASE, "Ambassadors", [
            {"name": "Name", "type": "singleLineText"}, {"name": "Email", "type": "email"},
            {"name": "Country", "type": "multipleRecordLinks", "options": {"linkedTableId": countries["id"]}}])
        config = running.parent / "config.airtable.yaml"
        shutil.copy(running, config)
        use_airtable(config, fake.url)
        env = AirtableEnv(fake, clock, config)
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        ids = {r["fields"]["Name"]: r["id"] for r in fake.insert(BASE, "Countries", [{"Name": "India"},
                                                                                   {"Name": "Brazil"}])}
        fake.insert(BASE, "Ambassadors", [
            {"Name": "Priya", "Email": "priya@example.org", "Country": [ids["India"]], "Start date": "2023-10-02",
             "Status": "active"},
            {"Name": "Ana", "Email": "ana@example.org", "Country": [ids["Brazil"]], "Start date": "2024-01-15",
             "Status": "active"}])
        backup = empty_folder_program(tmp_path, running)
        migrate(env, backup, config)
        with (backup.parent / "store" / "ambassadors.csv").open(encoding="utf-8", newline="") as fh:
            assert {r["Email"]: r["Country"] for r in csv.DictReader(fh)} == {"priya@example.org": "India",
                                                                               "ana@example.org": "Brazil"}


def on_a_linked_roster(running: Path, airtable_base, drop_country: str = "", drop_user: str = "") -> AirtableEnv:
    """Staff's base before `init`: Country linked to a Countries table holding the example's countries (but
    `drop_country`), Languages linked to a Languages table of its codes, Email a collaborator field, and the
    ambassadors (but `drop_user`) collaborators of the base, named in a Team table's collaborator field (the only
    place the API shows who collaborates)."""
    fake, clock = airtable_base
    with (running.parent / "data" / "ambassadors.csv").open(encoding="utf-8", newline="") as fh:
        roster = list(csv.DictReader(fh))
    countries = fake.create_table(BASE, "Countries", [{"name": "Country name", "type": "singleLineText"}])
    languages = fake.create_table(BASE, "Languages", [{"name": "Code", "type": "singleLineText"}])
    fake.insert(BASE, "Countries", [{"Country name": c} for c in sorted({r["Country"] for r in roster})
                                    if c != drop_country])
    fake.insert(BASE, "Languages", [{"Code": c} for c in sorted({x.strip() for r in roster
                                                                 for x in r["Languages"].split(";") if x.strip()})])
    users = [fake.add_user(r["Email"], r["Name"]) for r in roster if r["Email"] != drop_user]
    fake.create_table(BASE, "Team", [{"name": "Team", "type": "singleLineText"},
                                     {"name": "Members", "type": "multipleCollaborators"}])
    fake.insert(BASE, "Team", [{"Team": "Ambassadors", "Members": [{"id": u["id"]} for u in users]}])
    link = lambda table: {"type": "multipleRecordLinks", "options": {"linkedTableId": table["id"]}}  # noqa: E731
    fake.create_table(BASE, "Ambassadors", [
        {"name": "Name", "type": "singleLineText"}, {"name": "Email", "type": "singleCollaborator"},
        {"name": "Country", **link(countries)}, {"name": "Languages", **link(languages)},
        {"name": "Notes", "type": "multilineText"}])
    config = running.parent / "config.airtable.yaml"
    shutil.copy(running, config)
    use_airtable(config, fake.url)
    env = AirtableEnv(fake, clock, config)
    env.ctx(AS_OF).stores.admin.init(dry_run=False)
    fake.reset_log()
    return env


class TestIntoLinkedFields:
    def test_links_and_collaborators_land_then_nothing_more(self, running, airtable_base):
        """Into staff's base whose Country and Languages are linked records and Email a collaborator: the roster
        lands as record ids of the linked tables (matched by their primary field) and as the collaborators, no
        record is added to the linked tables, a second migrate writes nothing, and the same-day run-all on the
        base sends nothing and gives the local verdicts."""
        env = on_a_linked_roster(running, airtable_base)
        countries = {r["id"]: r["fields"]["Country name"] for r in env.records("Countries")}
        codes = {r["id"]: r["fields"]["Code"] for r in env.records("Languages")}
        outbox = snapshot(running.parent / "outbox")
        migrate(env, env.config_path, running)
        people = {r["fields"]["Email"]["email"]: r["fields"] for r in env.records("Ambassadors")}
        priya = people["priya.deshmukh@example.org"]
        assert len(people) == 36 and priya["Email"]["name"] == "Priya Deshmukh"
        assert [countries[i] for i in priya["Country"]] == ["India"]
        assert [codes[i] for i in priya["Languages"]] == ["mr", "hi", "en"]
        assert len(env.records("Countries")) == len(countries) and len(env.records("Languages")) == len(codes)
        env.fake.reset_log()
        migrate(env, env.config_path, running)
        assert writes(env) == []
        the_same_day_changes_nothing(env, running, outbox)

    def test_a_roster_typed_with_links_and_collaborators_is_adopted(self, running, airtable_base):
        """Staff typed the roster into that base (Country and Languages linking the records, Email the
        collaborators): every row is adopted as it is (read as the roster reads it), a second migrate writes
        nothing."""
        env = on_a_linked_roster(running, airtable_base)
        ids = {r["fields"]["Country name"]: r["id"] for r in env.records("Countries")}
        ids |= {r["fields"]["Code"]: r["id"] for r in env.records("Languages")}
        titles = env.config.ambassadors.fields
        with (running.parent / "data" / "ambassadors.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        typed = []
        for row in rows:
            fields = {t: row[t].strip() for r, t in titles.items() if row.get(t, "").strip()}
            fields["Email"] = {"email": row["Email"]}
            if row.get("Notes"):
                fields["Notes"] = row["Notes"]
            fields["Country"] = [ids[row["Country"]]]
            fields["Languages"] = [ids[x.strip()] for x in row["Languages"].split(";") if x.strip()]
            typed.append(fields)
        env.fake.insert(BASE, "Ambassadors", typed)
        env.fake.reset_log()
        result = migrate(env, env.config_path, running)
        assert any("36 rows staff typed" in line and "adopted" in line for line in result.summary), result.summary
        assert len(env.records("Ambassadors")) == 36 and len(env.records("Countries")) == len(
            {r["Country"] for r in rows})
        env.fake.reset_log()
        migrate(env, env.config_path, running)
        assert writes(env) == []

    def test_a_value_spelled_otherwise_links_the_record_and_says_so(self, running, airtable_base):
        """'  india ' in the folder links the Countries record 'India' (compared without case or spacing); the
        plan says so, and the next migrate finds nothing to change in that row."""
        env = on_a_linked_roster(running, airtable_base)
        set_cell(running.parent / "data" / "ambassadors.csv", "priya.deshmukh@example.org", "Country", "  india ")
        result = migrate(env, env.config_path, running)
        assert any("'india' as 'India'" in line for line in result.summary), result.summary
        india = next(r["id"] for r in env.records("Countries") if r["fields"]["Country name"] == "India")
        priya = next(r for r in env.records("Ambassadors")
                     if r["fields"]["Email"]["email"] == "priya.deshmukh@example.org")
        assert priya["fields"]["Country"] == [india]
        env.fake.reset_log()
        migrate(env, env.config_path, running)
        assert writes(env) == []

    def test_a_country_the_linked_table_lacks_stops_before_any_write(self, running, airtable_base):
        env = on_a_linked_roster(running, airtable_base, drop_country="Vietnam")
        with pytest.raises(StopRun, match=r"row \d+ \(roster\), field 'Country': 'Vietnam' is no record of the "
                                          r"table 'Countries'.*add 'Vietnam' to table Countries, or correct the "
                                          r"source"):
            migrate(env, env.config_path, running)
        assert writes(env) == [] and "Vietnam" not in {r["fields"].get("Country name")
                                                       for r in env.records("Countries")}

    def test_an_address_no_collaborator_has_stops_before_any_write(self, running, airtable_base):
        env = on_a_linked_roster(running, airtable_base, drop_user="priya.deshmukh@example.org")
        with pytest.raises(StopRun, match=r"row 2 \(roster\), field 'Email': 'priya.deshmukh@example.org' is not a "
                                          r"collaborator of the base.*invite priya.deshmukh@example.org to the base"):
            migrate(env, env.config_path, running)
        assert writes(env) == []


class TestCommandLine:
    def test_migrate_then_run_all_exit_zero(self, running, tmp_path):
        """`python -m automations --config NEW migrate --from OLD` into an empty folder exits 0, a second run says
        nothing was written, and run-all on the copy the same day exits 0 with no mail."""
        backup = empty_folder_program(tmp_path, running)
        first = run_cli("migrate", "--from", str(running), config=backup)
        assert first.code == 0, first.err
        assert "[migrate] mail ledger" in first.out and "created 26 rows" in first.out
        again = run_cli("migrate", "--from", str(running), config=backup)
        assert again.code == 0 and "nothing was written" in again.out
        day = run_cli("--as-of", "2026-10-19", "run-all", config=backup)
        assert day.code == 0, day.err
        assert outbox_messages(backup.parent / "outbox") == []


class TestMessages:
    def test_dry_run_names_invisible_characters_and_no_idle_service(self, running, live, monkeypatch):
        """`migrate --dry-run` in-process through the command line: a new option holding a zero-width space is
        named with its code, as the header refusal names it, and no "0 requests" line is printed for a service
        the run never asked."""
        from click.testing import CliRunner

        from automations import cli
        set_cell(running.parent / "data" / "ambassadors.csv", "priya.deshmukh@example.org", "Languages",
                 "en; fr\u200b")
        monkeypatch.setenv("AIRTABLE_TOKEN", live.environ["AIRTABLE_TOKEN"])
        live.fake.rate_limit_per_second = None  # the command paces itself on the real clock
        out = CliRunner().invoke(cli.cli, ["--config", str(live.config_path), "--as-of", "2026-10-19", "--dry-run",
                                           "migrate", "--from", str(running)])
        assert out.exit_code == 0, out.output
        assert "'fr\\u200b'" in out.output and "\u200b" not in out.output
        assert "0 requests" not in out.output and "lower bound of 0" not in out.output
        assert writes(live) == []


class TestRefusals:
    def test_an_editors_token_that_would_need_new_options_stops_before_any_write(self, running, live):
        """The roster's languages are not options of the base's Languages field yet, and the token's user is only
        an Editor (Airtable refuses them a new option): one sentence naming the options to add, nothing written."""
        live.fake.permission_level = "edit"
        with pytest.raises(StopRun, match=r"Languages.*may not add options.*add the options"):
            migrate(live, live.config_path, running)
        assert writes(live) == []
        live.fake.permission_level = "create"
        migrate(live, live.config_path, running)  # a creator's token: the options are added (the output says so)
        assert writes(live)

    def test_an_editors_token_that_would_need_a_new_field_stops_before_anything_is_written(self, running, live):
        """A column staff added to the roster after the first migrate needs a field in the base, which an Editor's
        token may not make: refused while planning, naming the column; no record, no journal, no marker."""
        migrate(live, live.config_path, running)
        set_cell(running.parent / "data" / "ambassadors.csv", "priya.deshmukh@example.org", "Mentor", "Ana Lima")
        live.fake.permission_level = "edit"
        live.fake.reset_log()
        journal = (running.parent / "data" / ".migrate.sqlite3").read_bytes()
        with pytest.raises(StopRun, match=r"column 'Mentor' needs a field here.*may not add fields.*nothing was "
                                          r"written"):
            migrate(live, live.config_path, running)
        assert writes(live) == [] and not [r for r in live.fake.requests if r.kind == "meta" and r.method != "GET"]
        assert not (running.parent / "data" / bootstrap.MIGRATING).exists()
        assert (running.parent / "data" / ".migrate.sqlite3").read_bytes() == journal

    def test_attendee_lists_beside_other_lists_stop_before_anything_is_written(self, running, tmp_path):
        """The folder's attendee lists are written as one file: a destination folder that already holds a list of
        another name (a copy of one of the source's) is refused while planning, before the mail ledger or
        anything else is written, and no marker is left."""
        lists = running.parent / "data" / "attendees"
        lists.mkdir()
        (lists / "2026-05-01 Sprint.csv").write_text("Name,Email\nAna Lima,ana.lima@example.org\n"
                                                     "Bo Chen,bo.chen@example.org\n", encoding="utf-8")
        (lists / "2026-06-01 Workshop.csv").write_text("Name,Email\nCy Ode,cy.ode@example.org\n", encoding="utf-8")
        backup = empty_folder_program(tmp_path, running)
        theirs = backup.parent / "store" / "attendees"
        theirs.mkdir(parents=True)
        shutil.copy(lists / "2026-05-01 Sprint.csv", theirs)
        before = snapshot(backup.parent / "store")
        with pytest.raises(StopRun, match=r"already holds attendee lists \(2026-05-01 Sprint.csv\).*nothing was "
                                          r"written"):
            migrate_locally(backup, running)
        assert snapshot(backup.parent / "store") == before

    def test_a_base_with_other_people_is_refused(self, running, airtable):
        """A roster with other people in the base (and the example's people typed in by hand): one sentence
        (exit 2), nothing written."""
        airtable.fake.insert(BASE, "Ambassadors", [{"Name": "Someone Else", "Email": "someone@example.net"}])
        airtable.fake.reset_log()
        with pytest.raises(StopRun, match=r"already holds 1 row that did not come from .*someone@example.net"):
            migrate(airtable, airtable.config_path, running)
        assert writes(airtable) == []

    def test_the_same_store_is_refused(self, running):
        twin = running.parent / "twin.yaml"
        shutil.copy(running, twin)
        run = run_cli("migrate", "--from", str(twin), config=running)
        assert run.code == 2 and "same store" in run.err and "Traceback" not in run.err

    def test_a_value_the_field_cannot_take_stops_before_any_write(self, running, live):
        """A Streak that is not a number cannot go into the base's number field: the row, field and value are
        named, and nothing is written."""
        roster = running.parent / "data" / "ambassadors.csv"
        roster.write_text(roster.read_text(encoding="utf-8").replace(",good,2,", ",good,two,", 1), encoding="utf-8")
        with pytest.raises(StopRun, match=r"row 2 \(roster\), field 'Streak': 'two' is not a number"):
            migrate(live, live.config_path, running)
        assert writes(live) == []

    @pytest.mark.parametrize("column", ["Name", "Mentor notes"])  # a field the base has; one migrate would add
    def test_text_longer_than_a_base_holds_stops_before_any_write(self, running, live, column):
        """Airtable's text cells hold 100,000 characters: a longer one is refused while planning, naming the row and
        field (by the start of the value), and nothing is written."""
        set_cell(running.parent / "data" / "ambassadors.csv", "priya.deshmukh@example.org", column, "x" * 100_001)
        with pytest.raises(StopRun, match=rf"row \d+ \(roster\), field '{column}': 'x{{60}}\.\.\.' is 100,001 "
                                          r"characters long, more than the 100,000"):
            migrate(live, live.config_path, running)
        assert writes(live) == [] and not [r for r in live.fake.requests if r.kind == "meta" and r.method != "GET"]

    def test_a_destination_without_its_tables_asks_for_init(self, running, airtable_base):
        fake, clock = airtable_base
        config = running.parent / "config.airtable.yaml"
        shutil.copy(running, config)
        use_airtable(config, fake.url)
        with pytest.raises(StopRun, match="run `init`"):
            migrate(AirtableEnv(fake, clock, config), config, running)


class TestJournal:
    def test_a_row_found_as_the_source_has_it_is_never_claimed(self, running, tmp_path):
        """A roster copied into the new folder by hand before migrate is found as the source has it: migrate
        leaves it, and does not count it among the rows it wrote (not on the first run, nor on one that writes
        nothing), so a later change in the source is refused rather than written over it."""
        backup = empty_folder_program(tmp_path, running)
        (backup.parent / "store").mkdir()
        shutil.copy(running.parent / "data" / "ambassadors.csv", backup.parent / "store" / "ambassadors.csv")
        first = migrate_locally(backup, running)
        assert any(line.startswith("roster") and "already up to date" in line for line in first.summary)
        assert any(line.startswith("mail ledger") and "created 26 rows" in line for line in first.summary)
        again = migrate_locally(backup, running)
        assert any("nothing was written" in line for line in again.summary)
        set_cell(running.parent / "data" / "ambassadors.csv", "priya.deshmukh@example.org", "Forum handle", "pd")
        with pytest.raises(StopRun, match=r"ambassadors.csv holds the roster row 'priya.deshmukh@example.org' with "
                                          r"'Forum handle' 'priya_d', where .* has 'pd'.*nothing was written"):
            migrate_locally(backup, running)


class TestUnfinished:
    def test_init_and_doctor_run_while_a_migrate_is_unfinished(self, running, tmp_path):
        """A migrate into a folder stopped part-way (a file it cannot write): the jobs stop with one sentence
        naming it; `doctor` runs and says so in a FAIL line; `init` runs; migrate again finishes it."""
        backup = empty_folder_program(tmp_path, running)
        store = backup.parent / "store"
        (store / "activities.csv").mkdir(parents=True)  # where a file is to be written, one that cannot be
        with pytest.raises(OSError):
            migrate_locally(backup, running)
        assert (store / bootstrap.MIGRATING).is_file()
        assert local_problems(store) == local_problems(running.parent / "data")  # what went first landed
        day = run_cli("--as-of", "2026-10-19", "run-all", config=backup)
        assert day.code == 2 and "stopped before it finished" in day.err and "Traceback" not in day.err
        doctor = run_cli("--as-of", "2026-10-19", "doctor", config=backup)
        assert doctor.code == 2
        assert any(line.startswith("FAIL A migrate into this store") and "migrate --from" in line
                   for line in doctor.err.splitlines())
        assert any(line.startswith("ok   roster") for line in doctor.out.splitlines())  # the other checks run
        init = run_cli("init", config=backup)
        assert init.code == 0, init.err
        (store / "activities.csv").rmdir()
        migrate_locally(backup, running)
        assert not (store / bootstrap.MIGRATING).exists()
        bootstrap.unfinished_migration(load_config(backup))


class TestConductRegister:
    def test_only_with_a_reader_of_both(self, running, tmp_path):
        """The register stays behind without --reader; a reader not named in both configurations is refused; a
        reader of both copies it."""
        (running.parent / "data" / "conduct_register.csv").write_text(
            "Email,Date,Step,Description,Recorded by\nlars.eriksson@example.net,2026-02-01,warning,"
            "Second warning,staff@example.org\n", encoding="utf-8")
        backup = empty_folder_program(tmp_path, running)
        for config in (running, backup):
            data = yaml.safe_load(config.read_text())
            data["conduct"]["readers"] = ["lead@example.org"] if config == running else []
            config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))

        def run(reader=None):
            return migrate_job.run(bootstrap.build(load_config(backup), AS_OF, False),
                                   bootstrap.migration(backup, running, False, {}), reader)

        result = run()
        assert not (backup.parent / "store" / "conduct_register.csv").exists()
        assert any(line.startswith("conduct register: not copied") for line in result.summary)
        with pytest.raises(StopRun, match="not one in this configuration"):
            run("lead@example.org")
        data = yaml.safe_load(backup.read_text())
        data["conduct"]["readers"] = ["Lead@Example.org"]
        backup.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        run("lead@example.org")
        text = (backup.parent / "store" / "conduct_register.csv").read_text(encoding="utf-8")
        assert "Second warning" in text


class TestPlanning:
    """The pure rules of `domain.migration`."""

    roster = SHAPE["ambassadors"]

    def test_an_empty_destination_gets_everything(self):
        plan = plan_table(self.roster, [Sourced({"email": "a@x.org"}), Sourced({"email": "b@x.org"})], [], set())
        assert [r["email"] for r in plan.create] == ["a@x.org", "b@x.org"] and not plan.refused

    def test_matched_by_key_without_case_or_space(self):
        plan = plan_table(self.roster, [Sourced({"email": "A@x.org", "name": "A"})],
                          [Held("rec1", {"email": " a@X.org", "name": "A"})], set())
        assert not plan.create and plan.changed_since == [" a@X.org"]  # the same person, spelled otherwise

    def test_rows_migrate_wrote_are_updated_and_deleted_others_refused(self):
        from automations.domain.migration import digest

        wrote = {"email": "a@x.org", "status": "active"}
        gone = {"email": "c@x.org"}
        plan = plan_table(self.roster, [Sourced({"email": "a@x.org", "status": "paused"})],
                          [Held("rec1", wrote), Held("rec3", gone)], {digest(wrote), digest(gone)})
        assert [u[0] for u in plan.update] == ["rec1"] and plan.delete == ["rec3"] and not plan.refused
        plan = plan_table(self.roster, [Sourced({"email": "a@x.org", "status": "paused"})],
                          [Held("rec1", wrote), Held("rec2", {"email": "b@x.org"})], set())
        assert plan.changed_since == ["a@x.org"] and plan.foreign == ["b@x.org"] and plan.refused

    def test_a_key_held_twice_is_matched_in_order(self):
        rows = [Sourced({"email": "a@x.org", "name": "one"}), Sourced({"email": "a@x.org", "name": "two"})]
        plan = plan_table(self.roster, rows, [Held("rec1", {"email": "a@x.org", "name": "one"})], set())
        assert plan.create == [{"email": "a@x.org", "name": "two"}] and plan.unchanged == 1

    @pytest.mark.parametrize("kind, value, text", [
        ("number", 2.0, "2"), ("number", "2.50", "2.5"), ("number", 1.25, "1.25"), ("date", "2026-10-19", "2026-10-19"),
        ("datetime", "2026-10-19T07:30:00+01:00", "2026-10-19T06:30:00.000Z"),
        ("datetime", "2026-10-19T06:30:00.000Z", "2026-10-19T06:30:00.000Z"),
        ("multi", "mr; hi;en", "mr; hi; en"), ("multi", ["mr", "hi"], "mr; hi"), ("multi", "en, fr", "en; fr"),
        ("text", {"id": "usr1", "email": "a@x.org", "name": "A"}, "a@x.org"), ("text", None, ""),
        ("number", 0, "0"), ("text", "=HYPERLINK(1)", "=HYPERLINK(1)"),
        ("amount", "1.200", "1200"), ("amount", "1,200.50", "1200.5"), ("amount", "€ 80", "80"),
        ("amount", 1200.5, "1200.5"), ("amount", "1500.555", "1500.555"), ("amount", "12O", "12O"),
    ])
    def test_canonical_values(self, kind, value, text):
        assert canonical(kind, value) == text

    def test_a_perk_word_with_a_comma_stays_one_perk(self):
        """Perks are split as every multiple choice of a migration row is (`items`): a word of staff's holding a
        comma is one perk."""
        from automations.domain.words import OUR_WORDS, RosterWords, translate_roster

        theirs = RosterWords(perks={"free_event_access": "Events, free", "conference_funding": "Conference funding"})
        row = {"email": "a@x.org", "perks": "Events, free; Conference funding"}
        assert translate_roster(row, theirs, OUR_WORDS)["perks"] == "free_event_access; conference_funding"
        assert translate_roster({"perks": "free_event_access; conference_funding"}, OUR_WORDS, theirs)["perks"] == \
            "Events, free; Conference funding"

    def test_a_persons_records_in_the_programs_tables_are_not_the_programs(self):
        """In the program's own tables a row whose Key is not one the program makes is never copied, and one the
        destination holds is left there (neither refused nor deleted) unless migrate wrote it."""
        from automations.domain.migration import digest, program_rows

        shape = SHAPE["problems"]
        rows = [Sourced({"key": "p-0123456789ab", "status": "open"}), Sourced({"key": "staff note"}),
                Sourced({"problem": "no key"})]
        kept, skipped = program_rows(shape, rows)
        assert kept == rows[:1] and skipped == ["staff note", "(a row without its key)"]
        theirs, wrote = {"key": "call Ana"}, {"key": "old note"}
        plan = plan_table(shape, kept, [Held("rec1", theirs), Held("rec2", wrote)], {digest(wrote)})
        assert plan.left == ["call Ana"] and plan.delete == ["rec2"] and not plan.refused
        assert plan.final[0].row == theirs and digest(theirs) not in plan.mine

    def test_problems_follow_their_row_to_the_new_table(self):
        """A roster problem says the destination's table, row and column title, with the id they give; the
        check-in responses' problems stay."""
        rows = [Sourced({"key": "p-1", "status": "ignored", "source": "ambassadors.csv", "row": "3",
                         "column": "Email", "value": "x"}),
                Sourced({"key": "p-2", "status": "open", "source": "checkin_responses.csv", "row": "3",
                         "column": "Email", "value": "x"})]
        out, moved = readdress(rows, {("ambassadors.csv", 3): ("People", 3)}, {("ambassadors.csv", "Email"): "E-mail"})
        assert moved == 1 and out[1] == rows[1]
        assert out[0].row["source"] == "People" and out[0].row["column"] == "E-mail"
        assert out[0].row["status"] == "ignored" and out[0].row["key"] != "p-1"
        assert EXTRA == "+"
