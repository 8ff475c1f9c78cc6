"""Each port's adapters, built over the same data, for the contract suites in this folder.

Every port has a contract class here (`<Port>Contract`, pimutils/vdirsyncer's `StorageTests`): its promises as test
methods, never collected itself. Each adapter's test subclasses it (`Test<Adapter>...`) and makes that adapter: with a
fixture of its own, or by naming it, `kind = adapter_kind("csv")`, for the fixtures below that build every adapter of
a port by `kind`: `csv` (the local folder), `airtable` (the real pyairtable client against the fake base on
127.0.0.1) and `memory` (the in-memory fakes of the unit tests). Google adapters run against the fake Google
(`google_env`), the mailer over SMTP against aiosmtpd, the forum against the fake Discourse.
`test_every_port.py` fails when a port has no contract, or a contract no adapter.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest

from automations.adapters.airtable.schema import base_spec
from automations.config import (
    DEFAULT_AMBASSADOR_FIELDS,
    DEFAULT_STANDING_FIELDS,
    AirtableTables,
)
from automations.domain.words import OUR_WORDS, RosterWords
from tests.airtable_env import BASE, TOKEN

ADAPTERS = ["csv", "airtable", "memory"]

ROSTER_HEADERS = ["Name", "Email", "Country", "Region", "University", "Languages", "Start date", "Status",
                  "Forum handle", "Chat handle", "Notes"]
ROSTER_ROWS = [
    ["Ana Lima", " Ana.Lima@Example.org ", "Brazil", "São Paulo", "", "pt; en", "2024-01-10", "active", "ana", "",
     "met at MautiCon"],
    ["Олег Петров", "oleg@example.org", "Ukraine", "", "KPI", "uk", "2025-03-01", "paused", "", "@oleg", ""],
    ["No Email", "not-an-address", "Chile", "", "", "es", "2025-01-01", "active", "", "", ""],
    ["Bad Status", "bad.status@example.org", "Peru", "", "", "es", "2025-01-01", "on holiday", "", "", ""],
]


@dataclass
class Harness:
    """A store of one adapter, and a way to look at what it holds without going through the port."""

    make: Callable[[], object]  # a new adapter instance over the same storage (a new run)
    standing: Callable[[str], dict]  # the stored standing fields of one email, as text
    notes: Callable[[str], str]  # staff's own Notes field, which no job may touch


def airtable_client(fake, clock):
    from automations.adapters.airtable.client import AirtableClient, AirtableSettings

    clock.advance(1.1)
    return AirtableClient(AirtableSettings(BASE, TOKEN, fake.url, "AIRTABLE_TOKEN", retry_backoff_seconds=0.01),
                          clock=clock.now, sleep=clock.sleep)


#: Staff's own words, as a real base has them (ambassadors.status_values, standing_values, perk_values).
STAFF_WORDS = RosterWords(
    {"active": ["Active", "Onboarding"], "paused": ["On leave", "Inactive"], "alumni": ["Alumni"],
     "removed": ["Expelled"]},
    {"good": "Good standing", "warned": "Warning", "under_review": "Under review", "paused": "On hold",
     "alumni": "Alumni", "removed": "Removed"},
    {"free_event_access": "Free event access", "conference_funding": "Conference funding"})
#: The same roster in staff's words: their case and spacing, and one word that means no status.
STAFF_ROWS = [[*r[:7], status, *r[8:]] for r, status in zip(ROSTER_ROWS, (" onboarding ", "On  Leave", "Active",
                                                                           "on holiday"))]


def spec(words: RosterWords = OUR_WORDS):
    return base_spec(AirtableTables().model_dump(), {}, DEFAULT_AMBASSADOR_FIELDS, DEFAULT_STANDING_FIELDS, words)


def init_base(fake, clock, words: RosterWords = OUR_WORDS):
    from automations.adapters.airtable.admin import AirtableAdmin

    AirtableAdmin(airtable_client(fake, clock), spec(words)).init(dry_run=False)


@pytest.fixture
def kind():
    """The adapter a contract's subclass runs against: it names one (`kind = adapter_kind("csv")`)."""
    raise NotImplementedError("a contract's subclass names its adapter: kind = adapter_kind(...), one of "
                              f"{ADAPTERS}")


@pytest.fixture
def roster_harness(kind, tmp_path, request) -> Harness:
    return make_roster_harness(kind, tmp_path, request, ROSTER_ROWS, OUR_WORDS)


@pytest.fixture
def worded_roster_harness(kind, tmp_path, request) -> Harness:
    """The roster store of each adapter over a roster in staff's words, configured with them (`STAFF_WORDS`);
    on Airtable, `init` made the Status, Standing and Perks fields with staff's words as their options."""
    return make_roster_harness(kind, tmp_path, request, STAFF_ROWS, STAFF_WORDS)


def make_roster_harness(kind, tmp_path, request, roster_rows, words) -> Harness:
    fields, standing = dict(DEFAULT_AMBASSADOR_FIELDS), dict(DEFAULT_STANDING_FIELDS)
    if kind == "csv":
        from automations.adapters.csv.roster_store import CsvRosterStore

        path = tmp_path / "ambassadors.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([ROSTER_HEADERS, *roster_rows])

        def row(email: str) -> dict:
            with path.open(encoding="utf-8", newline="") as fh:
                return next(r for r in csv.DictReader(fh) if r["Email"].strip().lower() == email)

        return Harness(lambda: CsvRosterStore(path, fields, standing, words=words),
                       lambda e: {k: row(e).get(t, "") for k, t in standing.items()}, lambda e: row(e)["Notes"])
    if kind == "airtable":
        from automations.adapters.airtable.cells import cell_text
        from automations.adapters.airtable.roster_store import AirtableRosterStore

        fake, clock = request.getfixturevalue("airtable_base")
        init_base(fake, clock, words)
        tables = {t["name"]: t for t in fake.tables(BASE)}
        client = airtable_client(fake, clock)
        client.api.post(client.api.build_url(f"meta/bases/{BASE}/tables/{tables['Ambassadors']['id']}/fields"),
                        json={"name": "Notes", "type": "multilineText"})
        records = []
        for r in roster_rows:
            f = {t: v for t, v in zip(ROSTER_HEADERS, r) if v}
            if "Languages" in f:
                f["Languages"] = [x.strip() for x in f["Languages"].split(";")]
            records.append(f)
        fake.insert(BASE, "Ambassadors", records)

        def rec(email: str) -> dict:
            return next(r["fields"] for r in fake.records(BASE, "Ambassadors")
                        if r["fields"].get("Email", "").strip().lower() == email)

        return Harness(lambda: AirtableRosterStore(airtable_client(fake, clock), spec(words)["ambassadors"], fields,
                                                   standing, words=words),
                       lambda e: {k: cell_text(rec(e).get(t)) for k, t in standing.items()},
                       lambda e: rec(e).get("Notes", ""))
    from automations.adapters.csv.roster_store import standing_cells
    from tests.fakes import FakeRosterStore

    store = FakeRosterStore(ROSTER_HEADERS, roster_rows, fields, words)

    def stand(e: str) -> dict:
        u = store.written.get(e)
        return standing_cells(u, words) if u else {k: "" for k in standing}

    notes = {r[1].strip().lower(): r[-1] for r in roster_rows}
    return Harness(lambda: store, stand, lambda e: notes[e])


@pytest.fixture
def report_store(kind, tmp_path, request) -> Callable[[], object]:
    """A factory of report stores over one storage (each call: a new run's adapter)."""
    from zoneinfo import ZoneInfo

    if kind == "csv":
        from automations.adapters.csv.report_store import CsvReportStore

        return lambda: CsvReportStore(tmp_path)
    if kind == "airtable":
        from automations.adapters.airtable.report_store import AirtableReportStore

        fake, clock = request.getfixturevalue("airtable_base")
        init_base(fake, clock)
        s = spec()
        return lambda: AirtableReportStore(airtable_client(fake, clock), s["activities"], s["checkins"],
                                           s["problems"], ZoneInfo("Europe/London"))
    from tests.fakes import FakeReportStore

    store = FakeReportStore()
    return lambda: store


@pytest.fixture
def ledger_factory(kind, tmp_path, request) -> Callable[[], object]:
    if kind == "csv":
        from automations.adapters.csv.ledger import CsvLedger

        return lambda: CsvLedger(tmp_path / "ledger.csv")
    if kind == "airtable":
        from automations.adapters.airtable.ledger import AirtableLedger

        fake, clock = request.getfixturevalue("airtable_base")
        init_base(fake, clock)
        return lambda: AirtableLedger(airtable_client(fake, clock), spec()["mail_ledger"])
    from tests.fakes import FakeLedger

    ledger = FakeLedger()
    return lambda: ledger


@pytest.fixture
def footprint(kind, tmp_path, request) -> Callable[[Callable[[], object]], object]:
    """What a store's storage holds, to compare before and after a dry run: `footprint(make)`, with
    `make` the factory of a harness above. The CSV folder: every file's bytes and modification time
    (a rewrite with the same bytes shows too); the Airtable base: its records and how many write
    requests it has answered; memory: a copy of the fake's state."""
    import copy

    if kind == "csv":
        return lambda make: {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(tmp_path.iterdir())}
    if kind == "airtable":
        fake, _ = request.getfixturevalue("airtable_base")
        return lambda make: ([r for r in fake.requests if r.kind == "write"],
                             {t["name"]: fake.records(BASE, t["name"]) for t in fake.tables(BASE)})
    return lambda make: copy.deepcopy(vars(make()))


AS_OF = date(2026, 11, 23)


SERVICE_ACCOUNT = "automation@test-project.iam.gserviceaccount.com"


@dataclass
class GoogleEnv:
    """The fake Google on 127.0.0.1, a service account it trusts, and `access` (the real google-auth,
    gspread and google-api-python-client clients) signed in as it."""

    fake: object
    access: object

    def writes(self) -> int:
        """Requests that would have changed anything (not a read, not a token)."""
        return sum(1 for r in self.fake.requests if r.method != "GET" and r.api != "token")


@pytest.fixture
def google_env(tmp_path):
    import json

    from automations.adapters.google.access import GoogleAccess, GoogleSettings
    from tests.fake_google import FakeGoogle, make_service_account_key

    with FakeGoogle() as fake:
        key = make_service_account_key(client_email=SERVICE_ACCOUNT, token_uri=fake.url + "/token")
        fake.register_service_account(key)
        (tmp_path / "google-key.json").write_text(json.dumps(key))
        access = GoogleAccess(GoogleSettings(tmp_path / "google-key.json", "a test",
                                             endpoints={api: fake.url for api in ("sheets", "forms", "drive", "docs",
                                                                                  "gmail")},
                                             retry_backoff_seconds=0))
        yield GoogleEnv(fake, access)


def adapter_kind(kind: str):
    """In a contract's subclass, `kind = adapter_kind("csv")`: the fixtures of this folder (and a suite's own)
    that build a store by `kind` build that adapter, so the subclass runs the contract against it alone."""

    @pytest.fixture
    def fixed(self):
        return kind

    return fixed
