"""The Ledger contract, on every adapter (CSV file, Airtable table, memory)."""

from __future__ import annotations

from automations.effects import FAILED, SENDING, SENT
from automations.ports import LedgerEntry
from tests.contract.conftest import adapter_kind


def entry(key: str, status: str, attempts: int = 1, error: str = "") -> LedgerEntry:
    return LedgerEntry(key, "checkin_invite", "ana@example.org", status, attempts, error, f"<{key}@example.org>",
                       "2026-10-01T09:00:00+00:00")


class LedgerContract:
    """What every ledger promises; a subclass names its adapter (`kind`, which `ledger_factory` builds)."""

    def test_empty_at_first(self, ledger_factory):
        """A new ledger holds no key."""
        assert ledger_factory().entries() == {}

    def test_latest_step_of_each_key_survives_a_new_run(self, ledger_factory):
        """Sending then sent: the next run sees sent, with the attempts and the reference."""
        ledger = ledger_factory()
        with ledger.batch():
            ledger.record(entry("k:1", SENDING))
            ledger.record(entry("k:1", SENT))
            ledger.record(entry("k:2", SENDING))
            ledger.record(entry("k:2", FAILED, error="451 try later"))
        got = ledger_factory().entries()
        assert got["k:1"].status == SENT and got["k:1"].reference == "<k:1@example.org>"
        assert got["k:2"].status == FAILED and "451" in got["k:2"].error and got["k:2"].attempts == 1

    def test_sending_without_outcome_is_kept(self, ledger_factory):
        """A step left at sending (a crash before its outcome) is there for the next run: not sent."""
        ledger = ledger_factory()
        with ledger.batch():
            ledger.record(entry("k:3", SENDING))
        assert ledger_factory().entries()["k:3"].status == SENDING

    def test_record_outside_a_batch_is_durable(self, ledger_factory):
        """A single record() is stored before it returns."""
        ledger_factory().record(entry("k:4", SENT, attempts=2))
        got = ledger_factory().entries()["k:4"]
        assert (got.status, got.attempts) == (SENT, 2)

    def test_a_step_with_no_recipient(self, ledger_factory):
        """A step no person is the recipient of (the calendar's memory of a date sent, `domain.calendar`): the next
        run reads it back with an empty recipient, its job and its reference."""
        key = "calendar:checkin-close-2026q3@example.org:2026-10-21:0"
        ledger_factory().record(LedgerEntry(key, "calendar", "", SENT, 1, "", "<a1b2@example.org>",
                                            "2026-10-01T09:00:00+00:00"))
        got = ledger_factory().entries()[key]
        assert (got.reference, got.recipient, got.job, got.status) == ("<a1b2@example.org>", "", "calendar", SENT)

    def test_refresh_sees_another_runs_steps(self, ledger_factory):
        """After refresh(), entries() includes what another run recorded meanwhile."""
        mine = ledger_factory()
        assert mine.entries() == {}
        ledger_factory().record(entry("k:5", SENT))
        mine.refresh()
        assert mine.entries()["k:5"].status == SENT


class TestCsvLedger(LedgerContract):
    kind = adapter_kind("csv")


class TestAirtableLedger(LedgerContract):
    kind = adapter_kind("airtable")


class TestFakeLedger(LedgerContract):
    kind = adapter_kind("memory")
