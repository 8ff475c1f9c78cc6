"""The RosterStore contract, on every adapter (CSV file, Airtable table, memory)."""

from __future__ import annotations

from datetime import date

from automations.ports import StandingUpdate
from tests.contract.conftest import adapter_kind


class ReadPromises:
    def test_usable_rows_become_ambassadors(self, roster_harness):
        """Emails are normalised, languages split, statuses and dates read the same on every backend."""
        ambassadors, _ = roster_harness.make().read()
        by_email = {a.email: a for a in ambassadors}
        assert set(by_email) == {"ana.lima@example.org", "oleg@example.org"}
        ana = by_email["ana.lima@example.org"]
        assert (ana.name, ana.country, ana.region, ana.languages, ana.start_date, ana.status) == \
            ("Ana Lima", "Brazil", "São Paulo", ("pt", "en"), date(2024, 1, 10), "active")
        assert by_email["oleg@example.org"].name == "Олег Петров"
        assert by_email["oleg@example.org"].status == "paused"

    def test_bad_rows_are_reported_not_dropped(self, roster_harness):
        """A row with a bad email or status is a Problem naming the column and the value."""
        _, problems = roster_harness.make().read()
        got = {(p.column, p.value) for p in problems}
        assert got == {("Email", "not-an-address"), ("Status", "on holiday")}


class WriteStandingsPromises:
    def test_writes_only_what_changed(self, roster_harness):
        """A first write changes the entries; the same write again changes nothing."""
        updates = {"ana.lima@example.org": StandingUpdate("good", 2, ("free_event_access",), date(2026, 10, 14)),
                   "oleg@example.org": StandingUpdate("paused", 0, (), None)}
        assert roster_harness.make().write_standings(updates).changed == 2
        assert roster_harness.make().write_standings(updates).changed == 0
        changed = {**updates, "oleg@example.org": StandingUpdate("paused", 1, (), None)}
        assert roster_harness.make().write_standings(changed).changed == 1

    def test_values_are_stored(self, roster_harness):
        """Standing, streak, perks and last check-in land in the standing fields."""
        update = StandingUpdate("warned", 0, ("free_event_access", "conference_funding"), date(2026, 10, 14))
        roster_harness.make().write_standings({"ana.lima@example.org": update})
        assert roster_harness.standing("ana.lima@example.org") == {
            "standing": "warned", "streak": "0", "perks": "free_event_access; conference_funding",
            "last_checkin": "2026-10-14"}

    def test_other_fields_and_unknown_emails_untouched(self, roster_harness):
        """Staff's own fields keep their values; an email not on the roster writes nothing."""
        store = roster_harness.make()
        written = store.write_standings({"nobody@example.org": StandingUpdate("good", 1, (), None),
                                         "ana.lima@example.org": StandingUpdate("good", 1, (), None)})
        assert written.changed == 1
        assert roster_harness.notes("ana.lima@example.org") == "met at MautiCon"
        ambassadors, _ = roster_harness.make().read()
        assert len(ambassadors) == 2


class DryRunPromises:
    def test_dry_run_counts_what_a_write_would_change_and_writes_nothing(self, roster_harness, footprint):
        """A dry-run write returns what the real write then returns, having written nothing; after a
        write, a dry run of the same updates changes nothing, and one of changed updates counts them."""
        make = roster_harness.make
        updates = {"ana.lima@example.org": StandingUpdate("good", 2, ("free_event_access",), date(2026, 10, 14)),
                   "oleg@example.org": StandingUpdate("paused", 0, (), None)}
        before = footprint(make)
        would = make().write_standings(updates, dry_run=True)
        assert would.changed == 2 and footprint(make) == before
        assert roster_harness.standing("ana.lima@example.org")["standing"] == ""
        assert make().write_standings(updates) == would

        written = footprint(make)
        assert make().write_standings(updates, dry_run=True).changed == 0
        assert footprint(make) == written

        changed = {**updates, "oleg@example.org": StandingUpdate("paused", 1, (), None)}
        would = make().write_standings(changed, dry_run=True)
        assert would.changed == 1 and footprint(make) == written
        assert roster_harness.standing("oleg@example.org")["streak"] == "0"
        assert make().write_standings(changed) == would


class StaffWordsPromises:
    """ambassadors.status_values, standing_values and perk_values, on every backend."""

    def test_status_words_are_read_as_ours(self, worded_roster_harness):
        """Staff's status words, in any case and spacing, become our statuses."""
        ambassadors, _ = worded_roster_harness.make().read()
        assert {a.email: a.status for a in ambassadors} == {"ana.lima@example.org": "active",
                                                            "oleg@example.org": "paused"}

    def test_a_word_that_means_no_status_is_a_problem_naming_the_words(self, worded_roster_harness):
        """A status word mapped to nothing is a data problem of its row: the column, the value, the words that
        are accepted and the key that maps them; never a silent skip."""
        _, problems = worded_roster_harness.make().read()
        (p,) = [p for p in problems if p.column == "Status"]
        assert (p.row, p.value, p.email) == (5, "on holiday", "bad.status@example.org")
        assert "Active, Onboarding, On leave, Inactive, Alumni, Expelled" in p.reason
        assert "ambassadors.status_values" in p.reason and "skipped" in p.reason

    def test_standing_and_perks_are_written_in_staff_words(self, worded_roster_harness):
        """What compliance writes lands as staff's words; read back, the Standing is ours again."""
        update = StandingUpdate("warned", 0, ("free_event_access", "conference_funding"), date(2026, 10, 14))
        assert worded_roster_harness.make().write_standings({"ana.lima@example.org": update}).changed == 1
        assert worded_roster_harness.standing("ana.lima@example.org") == {
            "standing": "Warning", "streak": "0", "perks": "Free event access; Conference funding",
            "last_checkin": "2026-10-14"}
        assert worded_roster_harness.make().standings()["ana.lima@example.org"] == "warned"
        assert worded_roster_harness.make().write_standings({"ana.lima@example.org": update}).changed == 0


class RosterStoreContract(ReadPromises, WriteStandingsPromises, DryRunPromises, StaffWordsPromises):
    """What every roster store promises, in four groups; a subclass names its adapter (`kind`, which
    `roster_harness` and `worded_roster_harness` build)."""


class TestCsvRosterStore(RosterStoreContract):
    kind = adapter_kind("csv")


class TestAirtableRosterStore(RosterStoreContract):
    kind = adapter_kind("airtable")


class TestFakeRosterStore(RosterStoreContract):
    kind = adapter_kind("memory")
