"""The ReportStore contract, on every adapter (CSV folder, Airtable tables, memory)."""

from __future__ import annotations

from datetime import date

from automations.domain import compliance as c
from automations.domain.model import Checkin, Problem
from automations.domain.problems import FIXED, IGNORED, OPEN, STAFF, ProblemRecord
from tests.contract.conftest import adapter_kind
from tests.factories import RULES, activity, at


def sample():
    acts = [
        activity(date(2026, 7, 1), title='Talk, "quoted" — São Paulo', row=2, received=at(2026, 7, 2, 9, 30)),
        activity(date(2026, 7, 2), kind="content", title="Post", row=3, section=2, views=1200, audience="devs, ops",
                 engagements=0, reshares=0, link="https://example.org/p", hours=1.5, received=at(2026, 7, 3)),
        activity(date(2026, 7, 1), title='Talk, "quoted" — São Paulo', row=4, received=at(2026, 7, 4, 23, 59)),
        activity(date(2026, 8, 9), kind="networking", title="Meetup 東京", row=5, goal="Grow", hours=2.0,
                 description="Met three agencies", received=at(2026, 8, 10, 0, 30), email="bo@example.org"),
    ]
    checkins = [Checkin("ana@example.org", at(2026, 7, 2, 9, 30), 2, "2026Q3", 1),
                Checkin("ana@example.org", at(2026, 7, 3), 3, "", 1),
                Checkin("bo@example.org", at(2026, 8, 10, 0, 30), 5, "2026Q3", 1)]
    problems = [ProblemRecord(Problem("checkin_responses.csv", 6, "Views", "lots", "is not a whole number",
                                      "ana@example.org"), OPEN, date(2026, 7, 4), None, "ana@example.org"),
                ProblemRecord(Problem("ambassadors.csv", 3, "Email", "x@", "is not an email address"), IGNORED,
                              date(2026, 6, 1), None, STAFF),
                ProblemRecord(Problem("checkin_responses.csv", 9, "Date", "soon", "is not a date", "bo@example.org"),
                              FIXED, date(2026, 8, 1), date(2026, 8, 3), "bo@example.org")]
    return acts, checkins, problems


def _key(r: ProblemRecord) -> str:
    return r.id


class ReportStoreContract:
    """What every report store promises; a subclass names its adapter (`kind`, which `report_store` builds)."""

    def test_round_trip(self, report_store):
        """What sync-checkins saves comes back equal: text, zeros, empty fields, instants."""
        acts, checkins, problems = sample()
        store = report_store()
        assert not store.exists()
        written = store.save(c.resolve_copies(acts, RULES), checkins)
        assert written.changed > 0
        assert store.save_problems(problems).changed > 0
        new = report_store()
        assert new.exists()
        got = new.load()
        assert got.activities == acts
        assert [a.received_at for a in got.activities] == [a.received_at for a in acts]
        assert got.checkins == checkins
        assert sorted(got.problems, key=_key) == sorted(problems, key=_key)
        assert sorted(report_store().load_problems(), key=_key) == sorted(problems, key=_key)
        assert got.activities[1].engagements == 0 and got.activities[0].views is None

    def test_second_save_changes_nothing(self, report_store):
        """Saving the same reports again writes nothing."""
        acts, checkins, problems = sample()
        report_store().save(c.resolve_copies(acts, RULES), checkins)
        report_store().save_problems(problems)
        assert report_store().save(c.resolve_copies(acts, RULES), checkins).changed == 0
        assert report_store().save_problems(problems).changed == 0

    def test_store_follows_the_responses(self, report_store):
        """A copy that is gone is removed, a changed one updated, a new one added; the rest stay."""
        acts, checkins, problems = sample()
        report_store().save(c.resolve_copies(acts, RULES), checkins)
        report_store().save_problems(problems)
        corrected = activity(date(2026, 7, 2), kind="content", title="Post", row=3, section=2, views=1500,
                             audience="devs, ops", engagements=0, reshares=0, link="https://example.org/p", hours=1.5,
                             received=at(2026, 7, 3))
        later = activity(date(2026, 9, 1), title="Workshop", row=7, received=at(2026, 9, 2))
        now = [acts[0], corrected, acts[3], later]
        written = report_store().save(c.resolve_copies(now, RULES), checkins[:2])
        assert written.changed > 0
        assert report_store().save_problems(problems[:1]).changed > 0
        got = report_store().load()
        assert got.activities == now
        assert got.checkins == checkins[:2] and got.problems == problems[:1]

    def test_dry_run_says_what_a_save_would_write_and_writes_nothing(self, report_store, footprint):
        """A dry-run save returns what the real save then returns, having written nothing; after a save, a
        dry run of the same data changes nothing, and one of changed data counts what the real save does."""
        acts, checkins, problems = sample()
        resolved = c.resolve_copies(acts, RULES)
        empty = footprint(report_store)
        would = report_store().save(resolved, checkins, dry_run=True)
        would_problems = report_store().save_problems(problems, dry_run=True)
        assert would.changed > 0 and would_problems.changed > 0
        assert footprint(report_store) == empty and not report_store().exists()
        assert report_store().save(resolved, checkins) == would
        assert report_store().save_problems(problems) == would_problems

        saved = footprint(report_store)
        assert report_store().save(resolved, checkins, dry_run=True).changed == 0
        assert report_store().save_problems(problems, dry_run=True).changed == 0
        assert footprint(report_store) == saved

        corrected = activity(date(2026, 7, 2), kind="content", title="Post", row=3, section=2, views=1500,
                             audience="devs, ops", engagements=0, reshares=0, link="https://example.org/p", hours=1.5,
                             received=at(2026, 7, 3))
        now = c.resolve_copies([acts[0], corrected, acts[3], activity(date(2026, 9, 1), title="Workshop", row=7,
                                                                      received=at(2026, 9, 2))], RULES)
        would = report_store().save(now, checkins[:2], dry_run=True)
        would_problems = report_store().save_problems(problems[:1], dry_run=True)
        assert would.changed > 0 and would_problems.changed > 0
        assert footprint(report_store) == saved
        got = report_store().load()
        assert got.activities == acts and got.checkins == checkins
        assert report_store().save(now, checkins[:2]) == would
        assert report_store().save_problems(problems[:1]) == would_problems


class TestCsvReportStore(ReportStoreContract):
    kind = adapter_kind("csv")


class TestAirtableReportStore(ReportStoreContract):
    kind = adapter_kind("airtable")


class TestFakeReportStore(ReportStoreContract):
    kind = adapter_kind("memory")
