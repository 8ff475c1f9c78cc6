"""The conduct register: kept apart (no other output ever shows it), read only by conduct.readers,
deleted after the retention, never removing anyone; CSV and the fake Airtable."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import yaml

from automations import bootstrap
from automations.config import load_config
from automations.domain.conduct import expired, next_step
from automations.domain.rows.conduct import incidents_from_rows
from automations.jobs import conduct
from tests.conftest import snapshot

DAY = date(2026, 10, 19)  # a Monday: the digest goes
SECRET = "QZX-conduct-7f3a91"  # text that exists nowhere but in the register
HIDDEN = "zz.conduct.only@example.org"  # an address only the register holds
LEAD = "lead@example.org"
PRIYA = "priya.deshmukh@example.org"
HEADER = ["Email", "Date", "Step", "Description", "Recorded by"]


def write_register(program: Path, rows: list[list[str]]) -> Path:
    path = program.parent / "data" / "conduct_register.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def configure(program: Path, **conduct_keys) -> None:
    data = yaml.safe_load(program.read_text(encoding="utf-8"))
    data["conduct"] = conduct_keys
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def ctx(program: Path, day: date = DAY, dry_run: bool = False):
    return bootstrap.build(load_config(program), day, dry_run=dry_run)


def roster_status(program: Path) -> dict[str, str]:
    with (program.parent / "data" / "ambassadors.csv").open(encoding="utf-8-sig", newline="") as fh:
        return {r["Email"]: r["Status"] for r in csv.DictReader(fh)}


def test_conduct_records_appear_in_no_other_output(program, cli):
    """run-all, the digest, compliance, funding and doctor: no file they write, no message, no line on
    stdout or stderr holds a record's text, its unreadable row or the person only the register names."""
    write_register(program, [
        [PRIYA, "2026-10-01", "warning", f"{SECRET} insulted a speaker", "staff@example.org"],
        [HIDDEN, "2026-09-01", "admonishment", f"{SECRET}-2 spam in chat", "staff@example.org"],
        [PRIYA, "2026-10-02", "scolding", f"{SECRET}-3 an unreadable step", ""],
        [HIDDEN, "2020-01-01", "warning", f"{SECRET}-4 long past retention", ""],
    ])
    register = program.parent / "data" / "conduct_register.csv"
    configure(program, readers=[LEAD])
    runs = [cli("--as-of", DAY.isoformat(), *args, config=program) for args in (
        ["run-all"], ["digest"], ["compliance", "--format", "json"], ["funding"], ["doctor"],
        ["compliance", "--explain", PRIYA], ["reminders"], ["notices"], ["blog-reviews"], ["conduct", "purge"])]
    assert runs[0].code in (0, 1) and "Summary of run-all" in runs[0].out, runs[0].err
    assert any(m.name.startswith("staff_digest") for m in (program.parent / "outbox").rglob("*.eml"))
    for r in runs:
        for text in (r.out, r.err):
            assert SECRET not in text and HIDDEN not in text
    files = {name: data for name, data in snapshot(program.parent).items() if name != "data/conduct_register.csv"}
    assert len(files) > 20 and any(n.endswith(".eml") for n in files)
    for name, data in files.items():
        assert SECRET.encode() not in data and HIDDEN.encode() not in data, name
    # The register itself: run-all applied the retention, the rest is as staff wrote it.
    assert f"{SECRET}-4".encode() not in register.read_bytes() and f"{SECRET}-3".encode() in register.read_bytes()
    # and its readers still see it all
    shown = cli("--as-of", DAY.isoformat(), "conduct", "list", "--reader", LEAD, config=program)
    assert shown.code == 0 and f"{SECRET} insulted" in shown.out and "row 4: Step is not one of" in shown.err


def test_only_configured_readers_may_read(program, cli):
    """No readers configured: the commands are off; a reader not listed is refused; a listed one reads."""
    write_register(program, [[PRIYA, "2026-10-01", "warning", SECRET, ""]])
    off = cli("conduct", "list", "--reader", LEAD, config=program)
    assert off.code == 2 and "switched off" in off.err and SECRET not in off.out + off.err
    configure(program, readers=[LEAD])
    other = cli("conduct", "show", PRIYA, "--reader", "someone@example.org", config=program)
    assert other.code == 2 and SECRET not in other.out + other.err
    nobody = cli("conduct", "list", config=program)
    assert nobody.code == 2 and "--reader" in nobody.err
    ok = cli("--as-of", DAY.isoformat(), "conduct", "show", PRIYA, "--reader", "Lead@Example.org", config=program)
    assert ok.code == 0 and SECRET in ok.out and "removal from the program" in ok.err
    assert "never removes anyone" in ok.err
    as_json = cli("--as-of", DAY.isoformat(), "conduct", "show", PRIYA, "--reader", LEAD, "--format", "json",
                  config=program)
    data = json.loads(as_json.out)  # stdout is only the JSON: the summary went to stderr
    assert as_json.code == 0 and data["incidents"][0]["description"] == SECRET
    assert data["incidents"][0]["step"] == "warning" and data["next_step"] == "removal"


def test_retention_deletes_old_entries_only(program):
    """Entries older than conduct.retention_days go; younger ones and staff's other rows stay; a dry run deletes
    nothing; a second run deletes nothing more."""
    configure(program, retention_days=365)
    path = write_register(program, [
        [PRIYA, (DAY - timedelta(366)).isoformat(), "admonishment", "old", ""],
        [PRIYA, (DAY - timedelta(365)).isoformat(), "warning", "exactly a year", ""],
        [HIDDEN, (DAY - timedelta(10)).isoformat(), "warning", "recent", ""],
        [HIDDEN, "not a date", "warning", "undated", ""],
    ])
    before = path.read_bytes()
    dry = conduct.purge(ctx(program, dry_run=True))
    assert path.read_bytes() == before and "would delete 1" in dry.summary[0]
    res = conduct.purge(ctx(program))
    assert "1 past retention deleted" in res.summary[0]
    with path.open(encoding="utf-8", newline="") as fh:
        assert [r["Description"] for r in csv.DictReader(fh)] == ["exactly a year", "recent", "undated"]
    after = path.read_bytes()
    conduct.purge(ctx(program))
    assert path.read_bytes() == after


def test_removal_is_recorded_never_done(program, cli):
    """A removal entry changes nobody's roster Status, in any job."""
    write_register(program, [[PRIYA, "2026-10-01", "removal", "removed after a hearing", ""]])
    before = roster_status(program)
    r = cli("--as-of", DAY.isoformat(), "run-all", config=program)
    assert "Summary of run-all" in r.out
    assert roster_status(program) == before and before[PRIYA] == "active"


def test_next_step_escalates():
    """After an admonishment comes a warning, then removal."""
    incidents, bad = incidents_from_rows(HEADER, [[PRIYA, "2026-01-01", "admonishment", "a", ""]])
    assert bad == [] and next_step(incidents) == "warning"
    assert expired(incidents, date(2026, 1, 11), 10) == [] and len(expired(incidents, date(2026, 1, 12), 10)) == 1


def test_on_airtable(airtable):
    """init makes the Conduct register table; purge deletes only the old records there."""
    from tests.airtable_env import BASE

    airtable.fake.insert(BASE, "Conduct register", [
        {"Email": PRIYA, "Date": "2020-01-01", "Step": "warning", "Description": "old"},
        {"Email": PRIYA, "Date": "2026-10-01", "Step": "admonishment", "Description": "recent"},
    ])
    res = conduct.purge(airtable.ctx(DAY))
    assert "1 past retention deleted" in res.summary[0]
    assert [r["fields"]["Description"] for r in airtable.records("Conduct register")] == ["recent"]
    c = airtable.ctx(DAY)
    incidents, _ = c.stores.conduct.read()
    assert [i.step for i in incidents] == ["admonishment"]
