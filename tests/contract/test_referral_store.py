"""The ReferralStore contract on every adapter (the CSV file staff fill, the Airtable table "Referral inquiries"):
inquiries read by the same rules, with the same ids; a row that cannot be used a Problem naming its cell; only the
job's own fields written, where they change; dry runs write nothing."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import pytest

from automations.domain.referrals import JOB_COLUMNS, PEOPLE_COLUMNS
from tests.airtable_env import BASE
from tests.contract.conftest import airtable_client, init_base, spec

#: Staff's rows: a usable inquiry (a need in their case and spacing), one with an unknown need, one whose job
#: fields a run wrote earlier, one with no place to match on.
ROWS = [
    ["Acme Ltda", "Ana Souza", " Ana@Acme.example ", "Brazil", "", "pt", "Getting  Started", "We want a tour.", ""],
    ["Beta GmbH", "Bo", "bo@beta.example", "Germany", "", "de", "consulting", "Help with =SUM(A1)", ""],
    ["Gamma SA", "Cy", "cy@gamma.example", "Chile", "", "es", "training", "Two days.", "A training in Chile"],
    ["Delta", "Di", "di@delta.example", "", "", "", "services", "Anything.", ""],
]
EARLIER = {"Inquiry ID": "inq-kept", "Referral status": "offered", "Current candidate": "amb@example.org",
           "Offered at": "2026-11-20", "Recommended ambassador": "", "Referral history": "2026-11-20 offered amb@example.org"}


@dataclass
class Harness:
    make: Callable[[], object]  # a new store over the same storage (a new run)
    staff: Callable[[str], dict]  # staff's columns of the row of this organization, read without the port
    job: Callable[[str], dict]  # the job's columns of that row, as text
    footprint: Callable[[], object]  # what the storage holds (and how often it was written)


class ReferralStoreContract:
    @pytest.fixture
    def harness(self):
        raise NotImplementedError

    def test_usable_inquiries_and_problems(self, harness):
        """The need read in any case, the address normalised, the id kept from an earlier run; an unknown need
        and a row with no country, region or language are problems naming their cells."""
        inquiries, problems = harness.make().read()
        by_org = {i.organization: i for i in inquiries}
        assert sorted(by_org) == ["Acme Ltda", "Gamma SA"]
        acme, gamma = by_org["Acme Ltda"], by_org["Gamma SA"]
        assert (acme.need, acme.contact_email, acme.row, acme.status) == ("getting started", "ana@acme.example", 2,
                                                                          "new")
        assert acme.id.startswith("inq-")
        assert (gamma.id, gamma.status, gamma.current, gamma.offered_on, gamma.summary) == (
            "inq-kept", "offered", "amb@example.org", date(2026, 11, 20), "A training in Chile")
        assert sorted((p.row, p.column, p.value) for p in problems) == [(3, "Need", "consulting"), (5, "Country", "")]

    def test_the_same_ids_in_every_run(self, harness):
        first = [i.id for i in harness.make().read()[0]]
        assert [i.id for i in harness.make().read()[0]] == first

    def test_record_writes_only_the_jobs_fields(self, harness):
        """An offer recorded reads back in the next run; staff's fields (formula-looking text too) stay."""
        store = harness.make()
        acme = next(i for i in store.read()[0] if i.organization == "Acme Ltda")
        staff_before = {org: harness.staff(org) for org in ("Acme Ltda", "Beta GmbH", "Gamma SA")}
        offered = replace(acme, history=((date(2026, 11, 23), "offered", "priya@example.org"),))
        written = store.record([offered])
        assert written.changed == 1
        again = next(i for i in harness.make().read()[0] if i.organization == "Acme Ltda")
        assert (again.id, again.history, again.current) == (acme.id, offered.history, "priya@example.org")
        assert harness.job("Acme Ltda")["Inquiry ID"] == acme.id
        assert harness.job("Acme Ltda")["Referral status"] == "offered"
        assert {org: harness.staff(org) for org in staff_before} == staff_before

    def test_recording_what_is_there_writes_nothing(self, harness):
        store = harness.make()
        gamma = next(i for i in store.read()[0] if i.organization == "Gamma SA")
        before = harness.footprint()
        assert store.record([gamma]).changed == 0
        assert harness.footprint() == before

    def test_a_dry_run_writes_nothing_and_says_what_would_change(self, harness):
        store = harness.make()
        acme = next(i for i in store.read()[0] if i.organization == "Acme Ltda")
        offered = replace(acme, history=((date(2026, 11, 23), "offered", "priya@example.org"),))
        before = harness.footprint()
        dry = store.record([offered], dry_run=True)
        assert harness.footprint() == before
        assert dry == harness.make().record([offered]) and dry.changed == 1

    def test_it_names_where_and_its_problems_source(self, harness):
        store = harness.make()
        assert store.where and {p.source for p in store.read()[1]} == {store.source}


class TestCsvReferralStore(ReferralStoreContract):
    @pytest.fixture
    def harness(self, tmp_path):
        from automations.adapters.csv.referral_store import CsvReferralStore

        path = tmp_path / "referral_inquiries.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([*PEOPLE_COLUMNS, *JOB_COLUMNS])
            for r in ROWS:
                w.writerow([*r, *(EARLIER.values() if r[0] == "Gamma SA" else [""] * len(JOB_COLUMNS))])

        def row(org):
            with path.open(encoding="utf-8", newline="") as fh:
                return next(r for r in csv.DictReader(fh) if r["Organization"] == org)

        return Harness(lambda: CsvReferralStore(path), lambda o: {t: row(o)[t] for t in PEOPLE_COLUMNS},
                       lambda o: {t: row(o)[t] for t in JOB_COLUMNS},
                       lambda: (path.read_bytes(), path.stat().st_mtime_ns))


class TestAirtableReferralStore(ReferralStoreContract):
    """The table as `init` makes it (Need and Referral status single selects, Offered at a date field)."""

    @pytest.fixture
    def harness(self, airtable_base):
        from automations.adapters.airtable.cells import cell_text
        from automations.adapters.airtable.referral_store import AirtableReferralStore

        fake, clock = airtable_base
        init_base(fake, clock)
        table = spec()["referral_inquiries"].name
        records = []
        for r in ROWS:
            f = {t: v for t, v in zip(PEOPLE_COLUMNS, r) if v}
            if r[0] == "Gamma SA":
                f.update({t: v for t, v in EARLIER.items() if v})
            records.append(f)
        fake.insert(BASE, table, records)

        def rec(org):
            return next(r["fields"] for r in fake.records(BASE, table) if r["fields"].get("Organization") == org)

        return Harness(lambda: AirtableReferralStore(airtable_client(fake, clock), spec()["referral_inquiries"]),
                       lambda o: {t: rec(o).get(t) for t in PEOPLE_COLUMNS},
                       lambda o: {t: cell_text(rec(o).get(t)) for t in JOB_COLUMNS},
                       lambda: ([r for r in fake.requests if r.kind == "write"], fake.records(BASE, table)))
