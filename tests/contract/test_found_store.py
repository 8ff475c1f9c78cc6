"""The FoundStore contract on every adapter (the CSV file `found_activities.csv`, the Airtable table "Found
activities" that `init` makes, the in-memory fake): what is added reads back the same in the next run, an item
added twice is stored once, text a spreadsheet would run stays text, a dry run writes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from automations.domain.discovery import FoundActivity
from tests.airtable_env import BASE
from tests.contract.conftest import adapter_kind, airtable_client, init_base, spec

TALK = FoundActivity("ana@example.org", "feed:https://ana.example/blog/rss.xml", "https://ana.example/blog/segments",
                     "content", "Segmentos dinâmicos no Mautic 5", date(2026, 8, 18),
                     "https://ana.example/blog/segments", date(2026, 10, 12))
FORMULA = FoundActivity("oleg@example.org", "forum:oleg", "post:1042", "community_support",
                        "=HYPERLINK(\"http://evil.example\",\"click\")", date(2026, 9, 3), "", date(2026, 10, 12))


@pytest.fixture
def found_store(kind, tmp_path, request):
    """A factory of found stores over one storage (each call: a new run's adapter), and what it writes."""
    if kind == "csv":
        from automations.adapters.csv.found_store import CsvFoundStore

        path = tmp_path / "found_activities.csv"
        return (lambda: CsvFoundStore(path)), (lambda: (path.read_bytes(), path.stat().st_mtime_ns)
                                                if path.exists() else None)
    if kind == "airtable":
        from automations.adapters.airtable.found_store import AirtableFoundStore

        fake, clock = request.getfixturevalue("airtable_base")
        init_base(fake, clock)
        return ((lambda: AirtableFoundStore(airtable_client(fake, clock), spec()["found_activities"])),
                lambda: ([r for r in fake.requests if r.kind == "write"], fake.records(BASE, "Found activities")))
    from tests.fakes import FakeFoundStore

    store = FakeFoundStore()
    return (lambda: store), (lambda: dict(store.found))


class FoundStoreContract:
    def test_what_is_added_reads_back_in_the_next_run(self, found_store):
        make, _ = found_store
        assert make().read() == []
        written = make().add([TALK, FORMULA])
        assert written.created == 2
        assert sorted(make().read(), key=lambda f: f.email) == [TALK, FORMULA]

    def test_an_item_added_again_is_stored_once(self, found_store):
        """A rerun (or a run repeated after a crash) finds the same items: nothing is added twice."""
        make, _ = found_store
        make().add([TALK])
        again = make()
        assert again.add([TALK, FORMULA, FORMULA]).created == 1
        assert sorted(f.key for f in make().read()) == sorted([TALK.key, FORMULA.key])

    def test_adding_nothing_new_writes_nothing(self, found_store):
        make, footprint = found_store
        make().add([TALK])
        before = footprint()
        assert make().add([TALK]).changed == 0
        assert footprint() == before

    def test_a_dry_run_writes_nothing_and_says_what_would_change(self, found_store):
        make, footprint = found_store
        make().add([TALK])
        before = footprint()
        assert make().add([TALK, FORMULA], dry_run=True).created == 1
        assert footprint() == before
        assert [f.key for f in make().read()] == [TALK.key]

    def test_what_is_older_than_a_day_is_forgotten(self, found_store):
        """Only what is dated before the day goes; a dry run counts it and deletes nothing; again, nothing goes."""
        make, footprint = found_store
        old = FoundActivity("ana@example.org", "feed:https://ana.example/blog/rss.xml", "old-1", "content", "Old post",
                            date(2026, 3, 1), "https://ana.example/blog/old", date(2026, 4, 1))
        make().add([TALK, FORMULA, old])
        before = footprint()
        assert make().forget_before(date(2026, 7, 1), dry_run=True).deleted == 1
        assert footprint() == before
        assert make().forget_before(date(2026, 7, 1)).deleted == 1
        assert sorted(f.key for f in make().read()) == sorted([TALK.key, FORMULA.key])
        assert make().forget_before(date(2026, 7, 1)).deleted == 0

    def test_it_names_where_it_is(self, found_store):
        assert found_store[0]().where


class TestCsvFoundStore(FoundStoreContract):
    kind = adapter_kind("csv")

    def test_a_formula_looking_title_is_inert_in_the_file(self, found_store, tmp_path):
        found_store[0]().add([FORMULA])
        text = (tmp_path / "found_activities.csv").read_text(encoding="utf-8")
        assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


class TestAirtableFoundStore(FoundStoreContract):
    kind = adapter_kind("airtable")


class TestFakeFoundStore(FoundStoreContract):
    kind = adapter_kind("memory")
