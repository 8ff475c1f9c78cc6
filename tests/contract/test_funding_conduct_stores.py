"""The FundingStore and ConductStore contracts on every adapter (CSV file, Airtable table): rows read by
the same rules, only the funding job's own fields written, only old incidents deleted, dry runs write
nothing."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import pytest

from automations.domain.funding import request_key
from automations.ports import FundingUpdate
from tests.airtable_env import BASE
from tests.contract.conftest import adapter_kind, airtable_client, init_base, spec

F_HEADERS = ["Ambassador email", "What", "Kind", "Amount", "Currency", "Event date", "Region", "Status",
             "Approved amount", "Invoice", "Invoice received", "Evidence", "Requested on"]
F_ROWS = [[" Priya@Example.org", "Stickers", "", "120.50", "eur", "2026-12-01", "Maharashtra", "approved", "100",
           "", "", "", "2026-10-01"],
          ["kwame@example.org", "MautiCamp venue", "large event", "3000", "EUR", "2027-05-01", "", "requested", "", "",
           "", "", ""],
          ["x@example.org", "Food", "", "lots", "EUR", "2026-12-01", "", "requested", "", "", "", "", ""],
          ["y@example.org", "Cups", "", "10", "EUR", "2026-12-01", "", "pending", "", "", "", "", ""]]
C_HEADERS = ["Email", "Date", "Step", "Description", "Recorded by"]
C_ROWS = [["ana@example.org", "2020-01-01", "warning", "old", "lead@example.org"],
          ["ana@example.org", "2026-10-01", "admonishment", "recent", "lead@example.org"],
          ["bob@example.org", "2021-06-01", "removal", "older", ""]]


def _write(path, headers, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([headers, *rows])


@pytest.fixture
def funding(kind, request, tmp_path):
    """(a factory of stores over one storage, a row's fields by What, what the storage holds)."""
    if kind == "csv":
        from automations.adapters.csv.funding_store import CsvFundingStore

        path = tmp_path / "funding_requests.csv"
        _write(path, F_HEADERS, F_ROWS)

        def row(what):
            with path.open(encoding="utf-8", newline="") as fh:
                return next(r for r in csv.DictReader(fh) if r["What"] == what)

        return lambda: CsvFundingStore(path), row, lambda: (path.read_bytes(), path.stat().st_mtime_ns)
    from automations.adapters.airtable.funding_store import AirtableFundingStore

    fake, clock = request.getfixturevalue("airtable_base")
    init_base(fake, clock)
    records = []
    for r in F_ROWS:
        f = {t: v for t, v in zip(F_HEADERS, r) if v}
        for number in ("Amount", "Approved amount"):
            if f.get(number) == "lots":  # a number field cannot hold it: empty there, unusable alike
                del f[number]
            elif number in f:
                f[number] = float(f[number])
        records.append(f)
    fake.insert(BASE, "Funding requests", records)

    def rec(what):
        f = next(r["fields"] for r in fake.records(BASE, "Funding requests") if r["fields"].get("What") == what)
        return {k: str(v) for k, v in f.items()}

    def footprint():
        return [r for r in fake.requests if r.kind == "write"], fake.records(BASE, "Funding requests")

    return lambda: AirtableFundingStore(airtable_client(fake, clock), spec()["funding_requests"]), rec, footprint


@pytest.fixture
def register(kind, request, tmp_path):
    if kind == "csv":
        from automations.adapters.csv.conduct_store import CsvConductStore

        path = tmp_path / "conduct_register.csv"
        _write(path, C_HEADERS, C_ROWS)
        return lambda: CsvConductStore(path), lambda: path.read_bytes()
    from automations.adapters.airtable.conduct_store import AirtableConductStore

    fake, clock = request.getfixturevalue("airtable_base")
    init_base(fake, clock)
    fake.insert(BASE, "Conduct register", [{t: v for t, v in zip(C_HEADERS, r) if v} for r in C_ROWS])
    return (lambda: AirtableConductStore(airtable_client(fake, clock), spec()["conduct_register"]),
            lambda: sorted(str(r["fields"]) for r in fake.records(BASE, "Conduct register")))


class FundingStoreContract:
    """What every funding store promises; a subclass names its adapter (`kind`)."""

    def test_requests_read_alike(self, funding):
        """Emails normalised, amounts and currencies read, dates parsed; bad rows are problems naming the cell."""
        make, _, _ = funding
        requests, problems = make().read()
        by_what = {r.what: r for r in requests}
        s = by_what["Stickers"]
        assert (s.ambassador, s.amount, s.currency, s.approved_amount, s.status) == (
            "priya@example.org", Decimal("120.50"), "EUR", Decimal(100), "approved")
        assert (s.event_date, s.requested_on, s.region) == (date(2026, 12, 1), date(2026, 10, 1), "Maharashtra")
        assert s.key == request_key("priya@example.org", "Stickers", date(2026, 12, 1))
        assert by_what["MautiCamp venue"].kind == "large event"
        assert {(p.column, p.value) for p in problems} >= {("Status", "pending")}
        assert len(requests) + len(problems) == 4

    def test_only_the_jobs_fields_are_written(self, funding):
        """First seen, Flags and Reminders sent are written once; staff's cells stay; a second write changes nothing."""
        make, row, _ = funding
        requests, _ = make().read()
        s = next(r for r in requests if r.what == "Stickers")
        update = {s.key: FundingUpdate(date(2026, 11, 1), ("short notice: 30 days before the event",), (3, 10))}
        assert make().record(update).changed == 1
        fields = row("Stickers")
        assert fields["First seen"] == "2026-11-01" and fields["Reminders sent"] == "day 3, day 10"
        assert fields["Flags"] == "short notice: 30 days before the event" and fields["Status"] == "approved"
        assert make().record(update).changed == 0
        again, _ = make().read()
        assert next(r for r in again if r.what == "Stickers").first_seen == date(2026, 11, 1)

    def test_dry_run_writes_nothing(self, funding):
        """With dry_run the store says what would change and holds what it held."""
        make, _, footprint = funding
        requests, _ = make().read()
        before = footprint()
        w = make().record({requests[0].key: FundingUpdate(date(2026, 11, 1), ("large event",), ())}, dry_run=True)
        assert w.updated == 1 and footprint() == before


class TestCsvFundingStore(FundingStoreContract):
    kind = adapter_kind("csv")


class TestAirtableFundingStore(FundingStoreContract):
    kind = adapter_kind("airtable")


class ConductStoreContract:
    """What every conduct register promises; a subclass names its adapter (`kind`)."""

    def test_incidents_read_and_only_the_named_deleted(self, register):
        """Incidents read alike; delete removes exactly those keys; a dry run deletes nothing."""
        make, held = register
        incidents, unreadable = make().read()
        assert unreadable == [] and [(i.ambassador, i.step, i.recorded_by) for i in incidents] == [
            ("ana@example.org", "warning", "lead@example.org"), ("ana@example.org", "admonishment", "lead@example.org"),
            ("bob@example.org", "removal", "")]
        old = [i.key for i in incidents if i.day.year < 2026]
        before = held()
        assert make().delete(old, dry_run=True).deleted == 2 and held() == before
        assert make().delete(old).deleted == 2
        left, _ = make().read()
        assert [i.description for i in left] == ["recent"]
        assert make().delete(old).deleted == 0


class TestCsvConductStore(ConductStoreContract):
    kind = adapter_kind("csv")


class TestAirtableConductStore(ConductStoreContract):
    kind = adapter_kind("airtable")
