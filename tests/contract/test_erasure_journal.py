"""The ErasureJournal contract (`ports.ErasureJournal`): an unfinished erase's record, kept durably from before
its first write until it ends. Adapter: `JsonErasureJournal` (a JSON file in `local.dir`, owner-readable)."""

from __future__ import annotations

import pytest

from automations.adapters.files.erase_journal import JsonErasureJournal
from automations.domain.privacy import Pending
from automations.errors import StopRun

PENDING = Pending("ana.lima@example.org", "2026-11-23T06:00:00Z", with_conduct=True, names=("Ana Lima", "Ана"),
                  texts=("My talk: \"=HYPERLINK()\"",), places=(("ambassadors.csv", 2),),
                  renamed={"blog:old": "blog:new"}, offers=("h1",))


class ErasureJournalContract:
    """A subclass gives `make` (each call: a new run's journal over the same storage) and `damage` (the record
    made unreadable, as a disk or a person might)."""

    @pytest.fixture
    def make(self):
        raise NotImplementedError

    @pytest.fixture
    def damage(self):
        raise NotImplementedError

    def test_no_record_when_no_erase_began(self, make):
        assert make().load() is None

    def test_a_record_comes_back_whole_in_the_next_run(self, make):
        """Everything the erase needs to finish (names in any script, texts, places, renamed keys, offers)."""
        make().begin(PENDING)
        assert make().load() == PENDING

    def test_a_new_record_replaces_the_old(self, make):
        make().begin(PENDING)
        other = Pending("bo@example.org", "2026-11-24T06:00:00Z")
        make().begin(other)
        assert make().load() == other

    def test_end_removes_the_record(self, make):
        journal = make()
        journal.begin(PENDING)
        journal.end()
        assert make().load() is None
        make().end()  # ending with nothing recorded is no error
        assert make().load() is None

    def test_a_damaged_record_stops_the_run(self, make, damage):
        """A record that cannot be read is never taken for "no erase pending": `StopRun`, one sentence."""
        make().begin(PENDING)
        damage()
        with pytest.raises(StopRun, match="unfinished erase"):
            make().load()


class TestJsonErasureJournal(ErasureJournalContract):
    @pytest.fixture
    def make(self, tmp_path):
        return lambda: JsonErasureJournal(tmp_path / ".erase.json")

    @pytest.fixture
    def damage(self, tmp_path):
        return lambda: (tmp_path / ".erase.json").write_text('{"address": ', encoding="utf-8")

    def test_the_record_is_owner_readable_only(self, make, tmp_path):
        """It holds an address and names in clear (`Pending`): no one else on the machine reads it."""
        make().begin(PENDING)
        assert (tmp_path / ".erase.json").stat().st_mode & 0o077 == 0
