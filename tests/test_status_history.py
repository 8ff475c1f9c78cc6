"""Status history: a quarter's verdict follows the status the ambassador had in that quarter.

PROGRAM.md: "Status changes have dates: a quarter's verdict follows the status the ambassador
had in that quarter (paused for most of it: exempt), so pausing someone today never rewrites
their past quarters." The roster's optional "Status history" column holds the dated changes.
"""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest

from automations import bootstrap
from automations.adapters.airtable.admin import AirtableAdmin
from automations.adapters.airtable.roster_store import AirtableRosterStore
from automations.adapters.airtable.schema import base_spec
from automations.config import DEFAULT_AMBASSADOR_FIELDS, DEFAULT_STANDING_FIELDS, AirtableTables, Config, load_config
from automations.domain import compliance as c
from automations.domain.checkins import RosterLayout, ingest, parse_roster, parse_status_history
from automations.domain.quarters import Quarter
from automations.jobs import compliance as compliance_job
from automations.jobs import sync_checkins
from tests.airtable_env import BASE
from tests.conftest import ROOT
from tests.factories import RULES, activity

FIELDS = Config().ambassadors.fields
HEADERS = ["Name", "Email", "Start date", "Status", "Status history"]
Q2, Q3, Q4 = Quarter(2026, 2), Quarter(2026, 3), Quarter(2026, 4)
AFTER_Q3_WINDOW = date(2026, 11, 23)
AFTER_Q4_WINDOW = date(2027, 2, 1)


def roster(*rows, headers=HEADERS):
    """Ambassadors as staff type them: each row is (name, email, start date, status, status history)."""
    return parse_roster(headers, [list(r) for r in rows], RosterLayout("ambassadors.csv", FIELDS))


def one(status="active", history="", start="2024-01-10"):
    ambassadors, problems = roster(("Ana", "ana@example.org", start, status, history))
    assert problems == []
    return ambassadors[0]


def two_full(d1, d2, title="Meetup"):
    return [activity(d1, title=f"{title} one", row=2), activity(d2, title=f"{title} two", row=3)]


def track(amb, acts=(), as_of=AFTER_Q3_WINDOW, through=Q3):
    (t,) = c.tracks([amb], acts, RULES, as_of, through)
    return t


class TestReadingTheColumn:
    def test_separators_date_forms_and_order(self):
        """';' and line breaks separate entries; ISO and d/m/Y dates; any case; a note in brackets; kept in
        date order."""
        got = parse_status_history("10/01/2027 Active\n2026-10-05 paused (parental leave);; 2026-03-02: removed")
        assert got == ((date(2026, 3, 2), "removed"), (date(2026, 10, 5), "paused"), (date(2027, 1, 10), "active"))

    def test_roster_without_the_column(self):
        """A roster with no Status history column reads as before: no history, the Status column always."""
        ambassadors, problems = roster(("Ana", "ana@example.org", "2024-01-10", "paused"), headers=HEADERS[:4])
        assert problems == [] and ambassadors[0].status_history == () and ambassadors[0].status == "paused"

    @pytest.mark.parametrize("value,needle", [
        ("2026-13-45 paused", "whose date '2026-13-45' is not a date"),
        ("2026-10-05 on holiday", "whose status 'on holiday' is not one of the roster's status words (active, "
                                  "paused, alumni, removed"),
        ("paused", "not a date and a status"),
        ("2026-10-05 paused; 2026-10-05 alumni", "two statuses on 2026-10-05"),
    ])
    def test_unreadable_entry_is_a_problem_and_history_ignored(self, value, needle):
        """An unreadable history names row, column and value; that history is ignored, the rest is read."""
        ambassadors, problems = roster(("Ana", "ana@example.org", "2024-01-10", "paused", value),
                                       ("Bo", "bo@example.org", "2024-01-10", "paused", "2026-05-04 paused"))
        (p,) = problems
        assert (p.row, p.column, p.value, p.email) == (2, "Status history", value, "ana@example.org")
        assert needle in p.reason and "ignored" in p.reason
        by_email = {a.email: a for a in ambassadors}
        assert by_email["ana@example.org"].status_history == ()
        assert by_email["bo@example.org"].status_history == ((date(2026, 5, 4), "paused"),)

    def test_last_entry_disagreeing_with_status_is_reported(self):
        """A history ending 'paused' while the Status column says 'active' is a problem; the Status
        column holds from that last entry's date on."""
        ambassadors, problems = roster(("Ana", "ana@example.org", "2024-01-10", "active", "2026-05-04 paused"))
        (p,) = problems
        assert (p.row, p.column, p.value) == (2, "Status history", "2026-05-04 paused")
        assert "Status column says 'active'" in p.reason
        amb = ambassadors[0]
        assert c.status_on(amb, date(2026, 5, 3)) == "active" and c.status_on(amb, date(2026, 8, 1)) == "active"
        # Judged as active throughout, not exempt: no activity, so missed.
        assert track(amb).at(Q3).verdict.status == c.MISSED


class TestVerdictsFollowTheStatusOfTheQuarter:
    def test_pause_dated_in_q4_leaves_q3_missed(self):
        """Paused today with the pause dated 2026-10-05: 2026Q3 stays missed and its warning stands,
        while without the date (no history) the same roster makes 2026Q3 exempt."""
        acts = [activity(date(2026, 8, 3), title="Only one")]
        dated = track(one("paused", "2026-10-05 paused", start="2026-07-01"), acts)
        q3 = dated.at(Q3)
        assert (q3.verdict.status, q3.missed_in_row, q3.streak) == (c.MISSED, 1, 0)
        assert q3.standing == "paused" and dated.perks == ()  # shown: the status today; no perks
        undated = track(one("paused", start="2026-07-01"), acts).at(Q3)
        assert (undated.verdict.status, undated.verdict.note) == (c.EXEMPT, "paused on the roster")

    def test_pause_then_return_keeps_the_earned_standing(self):
        """Missed 2026Q3, paused 5 Oct to 19 Dec (76 of 92 days of 2026Q4: exempt), active again:
        the warning earned in 2026Q3 is still the standing after 2026Q4."""
        amb = one("active", "2026-10-05 paused; 2026-12-20 active", start="2026-07-01")
        t = track(amb, [activity(date(2026, 8, 3), title="Only one")], as_of=AFTER_Q4_WINDOW, through=Q4)
        assert t.at(Q3).verdict.status == c.MISSED and t.at(Q3).standing == c.WARNED
        q4 = t.at(Q4)
        assert q4.verdict.status == c.EXEMPT and "not active on 76 of 92 days" in q4.verdict.note
        assert q4.standing == c.WARNED

    @pytest.mark.parametrize("paused_from,days,status", [
        ("2026-08-15", 47, c.EXEMPT),  # more than half of 92 days
        ("2026-08-16", 46, c.MISSED),  # exactly half: judged as active
        ("2026-09-20", 11, c.MISSED),
    ])
    def test_paused_for_most_of_the_quarter_is_exempt(self, paused_from, days, status):
        """Exempt only when paused on more than half of the quarter's days; otherwise judged as active."""
        amb = one("paused", f"{paused_from} paused")
        v = track(amb, [activity(date(2026, 7, 20), title="Only one")]).at(Q3).verdict
        assert v.status == status and f"on {days} of 92 days" in v.note
        assert ("judged as active" in v.note) == (status != c.EXEMPT)

    def test_days_before_the_start_date_do_not_count(self):
        """Joined 2026-07-10 (83 days of 2026Q3), paused from 2026-08-20: 42 of 83 days, exempt."""
        amb = one("paused", "2026-08-20 paused", start="2026-07-10")
        v = track(amb).at(Q3).verdict
        assert v.status == c.EXEMPT and "not active on 42 of 83 days" in v.note

    def test_returning_to_active_dates_back_in(self):
        """Paused 2026-04-01, active again 2026-07-01: 2026Q2 is exempt, 2026Q3 is judged again, and the
        streak runs across the exempt quarter (met 2026Q1, exempt 2026Q2, met 2026Q3: two in a row)."""
        amb = one("active", "2026-04-01 paused; 2026-07-01 active")
        acts = two_full(date(2026, 2, 3), date(2026, 3, 3), "Winter") + two_full(date(2026, 7, 8), date(2026, 8, 8))
        t = track(amb, acts)
        assert [t.at(q).verdict.status for q in (Quarter(2026, 1), Q2, Q3)] == [c.MET, c.EXEMPT, c.MET]
        assert t.at(Q3).streak == 2 and c.FREE_EVENT_ACCESS in t.perks
        assert t.at(Q2).verdict.note == "paused from 2026-04-01 to 2026-06-30: not active the whole quarter"

    def test_alumni_keep_their_record_but_no_standing_or_perks(self):
        """Alumni since 2026-04-01: 2026Q1 (met) is judged, later quarters exempt; standing shown 'alumni'."""
        amb = one("alumni", "2026-04-01 alumni", start="2024-01-10")
        t = track(amb, two_full(date(2026, 1, 12), date(2026, 2, 12)))
        assert t.at(Quarter(2026, 1)).verdict.status == c.MET and t.at(Q3).verdict.status == c.EXEMPT
        assert t.at(Q3).standing == "alumni" and t.perks == ()


def example_tracks(as_of=AFTER_Q3_WINDOW):
    ctx = bootstrap.build(load_config(ROOT / "config.yaml"), as_of=as_of, dry_run=True)
    ambassadors, problems = ctx.stores.roster.read()
    got = ingest(*ctx.stores.checkins.read(), ctx.settings.form, {a.email: a for a in ambassadors})
    return {t.ambassador.name: t for t in c.tracks(ambassadors, got.activities, ctx.settings.rules, as_of, Q3)}, problems


def test_example_roster_histories():
    """docs/example-data.md: Hannah paused 2026-05-04, Mehmet 2026-01-26, Tom alumni 2026-04-01, Sofia
    2026-01-31, Lars removed 2026-03-02; their quarters before follow their activity."""
    tracks, problems = example_tracks()
    assert problems == []
    q4, q1 = Quarter(2025, 4), Quarter(2026, 1)
    got = {n: [tracks[n].at(q).verdict.status for q in (q4, q1, Q2, Q3)]
           for n in ("Hannah Schmidt", "Mehmet Yılmaz", "Tom Baker", "Sofia Rossi", "Lars Eriksson")}
    assert got == {
        "Hannah Schmidt": [c.MET, c.MISSED, c.EXEMPT, c.EXEMPT],  # paused 58 of 91 days of 2026Q2
        "Mehmet Yılmaz": [c.MISSED, c.EXEMPT, c.EXEMPT, c.EXEMPT],
        "Tom Baker": [c.MET, c.MET, c.EXEMPT, c.EXEMPT],
        "Sofia Rossi": [c.MET, c.EXEMPT, c.EXEMPT, c.EXEMPT],
        "Lars Eriksson": [c.MISSED, c.MISSED, c.EXEMPT, c.EXEMPT],  # removed on 30 of 90 days: judged
    }
    assert {n: tracks[n].at(Q3).standing for n in got} == {
        "Hannah Schmidt": "paused", "Mehmet Yılmaz": "paused", "Tom Baker": "alumni", "Sofia Rossi": "alumni",
        "Lars Eriksson": "removed"}


def test_unreadable_history_end_to_end(cli, program):
    """run-all with one unreadable history: that row is listed (row, column, value, reason) on stderr
    and in unusable_rows.csv, exit 1, and every job still runs; that person's history is ignored."""
    path = program.parent / "data" / "ambassadors.csv"
    raw = path.read_bytes()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col, email = rows[0].index("Status history"), rows[0].index("Email")
    row_no = next(i for i, r in enumerate(rows[1:], start=2) if r[email] == "tom.baker@example.net")
    rows[row_no - 1][col] = "since spring: alumni"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    res = cli("--as-of", "2026-11-23", "run-all", config=program)
    assert res.code == 1, res.err
    (line,) = [x for x in res.err.splitlines() if "Status history" in x]
    assert f"ambassadors.csv row {row_no}" in line and "'since spring: alumni'" in line and "ignored" in line
    assert "[digest]" in res.out and "2026Q3 (final): 23 met, 7 missed, 0 pending, 6 exempt" in res.out
    with (program.parent / "data" / "unusable_rows.csv").open(encoding="utf-8", newline="") as fh:
        listed = [r for r in csv.reader(fh) if "since spring: alumni" in r]
    assert len(listed) == 1
    q1 = cli("--as-of", "2026-11-23", "compliance", "--quarter", "2026Q1", "--format", "json", config=program)
    data, _ = json.JSONDecoder().raw_decode(q1.out)  # the JSON document (a summary line may follow)
    verdicts = {a["name"]: a["status"] for a in data["ambassadors"]}
    # Tom's history ignored: alumni for all time, so exempt; Lars's history still read: judged, missed.
    assert (verdicts["Tom Baker"], verdicts["Lars Eriksson"], verdicts["Priya Deshmukh"]) == \
        (c.EXEMPT, c.MISSED, c.MET)
    assert raw != path.read_bytes()  # the edit was made (and the run left it as written)


class TestAirtable:
    def test_roster_reads_the_field(self, airtable):
        """The Ambassadors table's Status history field is read, and the verdicts follow it."""
        ctx = airtable.ctx(AFTER_Q3_WINDOW, dry_run=True)
        ambassadors, problems = ctx.stores.roster.read()
        by_name = {a.name: a for a in ambassadors}
        assert problems == []
        assert by_name["Hannah Schmidt"].status_history == ((date(2026, 5, 4), "paused"),)
        assert by_name["Priya Deshmukh"].status_history == ()
        res = compliance_job.run(ctx, "2026Q1", fmt="json", synced=sync_checkins.run(ctx).data)
        got = {a["name"]: (a["status"], a["standing"]) for a in json.loads(res.output)["ambassadors"]}
        assert got["Tom Baker"] == (c.MET, "alumni") and got["Lars Eriksson"] == (c.MISSED, "removed")
        assert got["Mehmet Yılmaz"] == (c.EXEMPT, "paused")

    def test_base_without_the_field(self, airtable_base):
        """A base made before the field existed: the roster is read without it (the Status column
        holds for all time), doctor mentions it without blocking, and init adds it as long text."""
        from tests.contract.conftest import airtable_client

        fake, clock = airtable_base
        spec = base_spec(AirtableTables().model_dump(), {}, DEFAULT_AMBASSADOR_FIELDS, DEFAULT_STANDING_FIELDS)
        table = spec["ambassadors"]
        client = airtable_client(fake, clock)
        client.api.post(client.api.build_url(f"meta/bases/{BASE}/tables"),
                        json={"name": table.name, "fields": [f.create_body() for f in table.fields if not f.optional]})
        fake.insert(BASE, table.name, [{"Name": "Ana", "Email": "ana@example.org", "Start date": "2024-01-10",
                                        "Status": "paused"}])
        store = AirtableRosterStore(airtable_client(fake, clock), table, DEFAULT_AMBASSADOR_FIELDS,
                                    DEFAULT_STANDING_FIELDS)
        (amb,), problems = store.read()
        assert problems == [] and amb.status == "paused" and amb.status_history == ()

        findings = AirtableAdmin(airtable_client(fake, clock), spec).check()
        about = [f for f in findings if "'Status history'" in f.text]
        assert len(about) == 1 and about[0].ok and "optional" in about[0].text
        assert not any("'Ambassadors'" in f.text and not f.ok for f in findings)

        done = AirtableAdmin(airtable_client(fake, clock), spec).init(dry_run=False)
        assert f"created field 'Status history' (multilineText) in table '{table.name}'" in done
        types = {f["name"]: f["type"] for t in fake.tables(BASE) if t["name"] == table.name for f in t["fields"]}
        assert types["Status history"] == "multilineText"
        fake.insert(BASE, table.name, [{"Name": "Bo", "Email": "bo@example.org", "Start date": "2024-01-10",
                                        "Status": "paused", "Status history": "2026-05-04 paused\n"}])
        ambassadors, _ = AirtableRosterStore(airtable_client(fake, clock), table, DEFAULT_AMBASSADOR_FIELDS,
                                             DEFAULT_STANDING_FIELDS).read()
        assert {a.email: a.status_history for a in ambassadors}["bo@example.org"] == ((date(2026, 5, 4), "paused"),)
