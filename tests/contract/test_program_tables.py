"""The ProgramTables contract on every adapter (a CSV folder, an Airtable base after `init`): rows written from a
plan read back as the same canonical rows (numbers, dates, moments, lists, staff's own columns, formula-looking
text), a second plan against them changes nothing, updates and deletions land, and a value the store cannot
hold is named by `fit` before anything is written."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from automations.domain.migration import SHAPE, Sourced, digest, plan_table
from tests.contract.conftest import adapter_kind, airtable_client, init_base, spec

ROSTER = [
    {"name": "Ana Lima", "email": "ana.lima@example.org", "country": "Brazil", "languages": "pt; en",
     "start_date": "2024-01-10", "status": "active", "status_history": "2025-02-01 paused; 2025-03-01 active",
     "standing": "good", "streak": "3", "perks": "free_event_access; conference_funding",
     "last_checkin": "2026-10-14", "+Notes": "=HYPERLINK(\"x\") met at MautiCon"},
    {"name": "Олег Петров", "email": "oleg@example.org", "languages": "uk", "start_date": "2025-03-01",
     "status": "paused", "standing": "paused", "streak": "0"},
]
ACTIVITIES = [
    {"key": "a-1:5:1", "activity_id": "a-1", "email": "ana.lima@example.org", "kind": "talk", "title": "-1 idea",
     "date": "2026-09-03", "received": "2026-10-02T08:15:30.000Z", "row": "5", "section": "1",
     "reported_quarter": "2026Q3", "resolution": "current", "registrations": "40", "attendees": "0",
     "hours": "1.5"},
]
LEDGER = [
    {"key": "checkin_reminder:2026Q3:ana.lima@example.org:d-3", "job": "checkin_reminder",
     "recipient": "ana.lima@example.org", "status": "sent", "attempts": "1", "reference": "<abc@example.org>",
     "at": "2026-10-19T05:30:00.000Z"},
]


@pytest.fixture
def store(kind, request, tmp_path):
    """A factory of one adapter over one (empty) store: each call, a new run's adapter."""
    if kind == "csv":
        from automations.adapters.csv.program_tables import CsvProgramTables

        files = {"ambassadors": tmp_path / "ambassadors.csv", "blog_reviews": tmp_path / "blog_proposals.csv",
                 "referral_inquiries": tmp_path / "referral_inquiries.csv",
                 "funding_requests": tmp_path / "funding_requests.csv",
                 "conduct_register": tmp_path / "conduct_register.csv", "event_attendees": tmp_path / "attendees"}
        return lambda: CsvProgramTables(tmp_path, files, spec(), ZoneInfo("Europe/London"), "local:test")
    from automations.adapters.airtable.program_tables import AirtableProgramTables

    fake, clock = request.getfixturevalue("airtable_base")
    init_base(fake, clock)
    return lambda: AirtableProgramTables(airtable_client(fake, clock), spec(), "airtable:test")


def copy(make, role: str, rows: list[dict]) -> None:
    """Fit, plan against what the store holds, write: what migrate does for one table."""
    s = make()
    fitted, _, problems = s.fit(role, rows)
    assert problems == []
    plan = plan_table(SHAPE[role], [Sourced(r) for r in fitted], s.read(role), set())
    assert not plan.refused
    s.prepare([plan], False)
    s.write(role, plan)


class ProgramTablesContract:
    """What every program-tables store promises; a subclass names its adapter (`kind`)."""

    @pytest.mark.parametrize("role, rows", [("ambassadors", ROSTER), ("activities", ACTIVITIES), ("mail_ledger", LEDGER)])
    def test_rows_read_back_as_written(self, store, role, rows):
        """Every value, of every kind, reads back as the same canonical text (an Airtable ledger step that went also
        gets its Sent at)."""
        copy(store, role, rows)
        back = [h.row for h in store().read(role)]
        if role == "mail_ledger":
            back = [{k: v for k, v in r.items() if k != "sent_at"} for r in back]
        assert back == [dict(r) for r in rows]

    def test_a_second_plan_changes_nothing(self, store):
        copy(store, "ambassadors", ROSTER)
        s = store()
        fitted, _, _ = s.fit("ambassadors", ROSTER)
        plan = plan_table(SHAPE["ambassadors"], [Sourced(r) for r in fitted], s.read("ambassadors"), set())
        assert plan.changed == 0 and plan.unchanged == 2 and not plan.refused

    def test_updates_and_deletions_of_rows_it_wrote(self, store):
        """A row migrate wrote is updated in place (a value emptied is emptied), one the source lost is deleted."""
        copy(store, "ambassadors", ROSTER)
        s = store()
        held = s.read("ambassadors")
        changed = dict(ROSTER[0], status="alumni", standing="alumni")
        del changed["+Notes"]
        fitted, _, _ = s.fit("ambassadors", [changed])
        plan = plan_table(SHAPE["ambassadors"], [Sourced(r) for r in fitted], held, {digest(h.row) for h in held})
        assert len(plan.update) == 1 and len(plan.delete) == 1
        s.write("ambassadors", plan)
        assert [h.row for h in store().read("ambassadors")] == [changed]

    def test_the_roster_rows_are_placed_as_its_problems_name_them(self, store):
        copy(store, "ambassadors", ROSTER)
        s = store()
        assert [h.place[1] for h in s.read("ambassadors")] == [2, 3]
        assert s.place_of("ambassadors", 1) == (s.read("ambassadors")[1].place[0], 3)
        assert s.place_of("activities", 0) is None

    def test_what_a_store_cannot_hold_is_named(self, store):
        """Text in a number field is named by the base before any write; a folder holds any text."""
        s = store()
        _, _, problems = s.fit("ambassadors", [dict(ROSTER[1], streak="two")])
        if s.store_id.startswith("airtable"):
            assert problems == ["Airtable table Ambassadors, row 2 (roster), field 'Streak': 'two' is not a number"]
        else:
            assert problems == []

    def test_a_staff_column_named_like_a_formula_reads_back_under_its_name(self, store, tmp_path):
        """A column of staff's own titled like a formula is written where no spreadsheet runs it (a CSV header gets
        the apostrophe a cell would), and reads back under its own name."""
        rows = [dict(ROSTER[1], **{"+=SUM(A1:A9)": "x"})]
        copy(store, "ambassadors", rows)
        assert [h.row for h in store().read("ambassadors")] == rows
        if not store().store_id.startswith("airtable"):
            header = (tmp_path / "ambassadors.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
            assert "'=SUM(A1:A9)" in header and not any(h.startswith("=") for h in header)

    def test_a_column_name_with_hidden_characters_is_refused(self, store):
        """A name holding a control or bidi character never becomes a header or a field: `fit` names it (the
        character shown as its code) before anything is written."""
        s = store()
        _, _, problems = s.fit("ambassadors", [dict(ROSTER[1], **{"+Notes\u202e": "x", "+Line\nbreak": "y"})])
        assert len(problems) == 2 and all("\u202e" not in p and "\n" not in p for p in problems)
        assert "'Notes\\u202e'" in problems[0] + problems[1] and "'Line\\u000abreak'" in problems[0] + problems[1]

    def test_what_writing_would_refuse_is_named_while_planning(self, store, request, tmp_path):
        """An ordinary plan: nothing to refuse. A plan whose write would be refused is named by `refusals` before
        anything is written (a base: a value into a computed field; a folder: attendee lists beside lists of other
        names)."""
        s = store()
        fitted, _, _ = s.fit("ambassadors", ROSTER)
        plan = plan_table(SHAPE["ambassadors"], [Sourced(r) for r in fitted], s.read("ambassadors"), set())
        assert s.refusals("ambassadors", plan) == []
        if s.store_id.startswith("airtable"):
            from tests.airtable_env import BASE

            fake, _ = request.getfixturevalue("airtable_base")
            fake.add_field(BASE, "Ambassadors", {"name": "Score", "type": "formula",
                                                 "options": {"formula": "1", "result": {"type": "number"}}})
            s = store()
            plan = plan_table(SHAPE["ambassadors"], [Sourced(dict(ROSTER[1], **{"+Score": "3"}))], [], set())
            assert s.refusals("ambassadors", plan) == [
                "Airtable table Ambassadors, field 'Score' is computed by Airtable (formula): nothing can be written "
                "into it"]
        else:
            (tmp_path / "attendees").mkdir()
            (tmp_path / "attendees" / "2026-05-01 Sprint.csv").write_text("Name,Email\n", encoding="utf-8")
            row = {"event": "Sprint", "date": "2026-05-01", "email": "ana.lima@example.org", "name": "Ana Lima"}
            plan = plan_table(SHAPE["event_attendees"], [Sourced(row)], [], set())
            assert s.refusals("event_attendees", plan) == [
                f"{tmp_path / 'attendees'} already holds attendee lists (2026-05-01 Sprint.csv), and migrate writes the "
                f"lists into a folder without any (as one file, event-attendees.csv)"]


class TestCsvProgramTables(ProgramTablesContract):
    kind = adapter_kind("csv")


class TestAirtableProgramTables(ProgramTablesContract):
    kind = adapter_kind("airtable")
