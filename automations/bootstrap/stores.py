"""The stores on each backend: the Airtable client and the base's spec, and the run's stores as local CSV files or
Airtable tables (`backend_stores`). Nothing connects while building."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..adapters.airtable.schema import base_spec
from ..adapters.csv.admin import CsvAdmin
from ..adapters.csv.attendee_source import CsvAttendeeSource
from ..adapters.csv.blog_store import CsvBlogStore
from ..adapters.csv.conduct_store import CsvConductStore
from ..adapters.csv.found_store import CsvFoundStore
from ..adapters.csv.funding_store import CsvFundingStore
from ..adapters.csv.ledger import CsvLedger
from ..adapters.csv.referral_store import CsvReferralStore
from ..adapters.csv.report_store import CsvReportStore
from ..adapters.csv.roster_store import CsvRosterStore
from ..config import Config
from ..errors import ConfigError
from ..ports import (
    Admin,
    AttendeeSource,
    BlogStore,
    ConductStore,
    FoundStore,
    FundingStore,
    Ledger,
    PersonalTable,
    ReferralStore,
    ReportStore,
    RosterStore,
    Usage,
    WorkCache,
)
from .privacy import personal_data

if TYPE_CHECKING:  # built only when the configuration uses Airtable
    from ..adapters.airtable.client import AirtableClient


def pace_file(config: Config) -> Path:
    """Where every process of this program on the machine keeps the services' request budgets together
    (`files.pacing`): `<local.dir>/.locks/pacing.json`, beside the run locks."""
    from ..adapters.files.pacing import STATE_FILE

    return config.local_dir / ".locks" / STATE_FILE


def airtable_client(config: Config, environ: Mapping[str, str], clock: Callable[[], float] = time.monotonic,
                    sleep: Callable[[float], None] = time.sleep, cache: WorkCache | None = None,
                    as_of: date | None = None) -> AirtableClient:
    """The run's Airtable client, keeping the base's request budget with every other process of this program on the
    machine (`pace_file`); with the work cache, the tables read on every run are mirrored there and read for their
    changes only (`adapters.airtable.mirror`)."""
    a = config.airtable
    from ..adapters.airtable.client import AirtableClient, AirtableSettings
    from ..adapters.airtable.mirror import Mirrors

    settings = AirtableSettings(
        base_id=a.base_id, token=environ.get(a.token_env, "").strip(), endpoint_url=a.endpoint_url,
        token_env=a.token_env, requests_per_second=a.requests_per_second, max_attempts=a.max_attempts,
        rate_limit_wait_seconds=a.rate_limit_wait_seconds, retry_backoff_seconds=a.retry_backoff_seconds,
        timeout_seconds=a.timeout_seconds)
    mirrors = Mirrors(cache, a.base_id, as_of, a.full_read_days) if cache is not None else None
    return AirtableClient(settings, clock=clock, sleep=sleep, pace_file=pace_file(config), mirrors=mirrors)


def airtable_spec(config: Config):
    try:
        return base_spec(config.airtable.tables.model_dump(), config.airtable.fields, config.ambassadors.fields,
                         config.ambassadors.standing_fields, config.ambassadors.words)
    except KeyError as exc:
        raise ConfigError(f"airtable.fields names an unknown field role {exc}.") from None


#: The found activities' table in the local folder.
FOUND_FILE = "found_activities.csv"


@dataclass(frozen=True)
class BackendStores:
    """The stores that live in the configured backend (`backend`: local CSV files or an Airtable base), the tables
    that may hold a person's data there, and the Airtable client's usage when there is one."""

    roster: RosterStore
    reports: ReportStore
    ledger: Ledger
    admin: Admin
    blog: BlogStore
    attendees: AttendeeSource
    referrals: ReferralStore
    funding: FundingStore
    conduct: ConductStore
    personal: list[PersonalTable]
    usage: Usage | None = None
    found: FoundStore | None = None


def backend_stores(config: Config, environ: Mapping[str, str], clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep, cache: WorkCache | None = None,
                   as_of: date | None = None) -> BackendStores:
    """The run's stores on the configured backend. Nothing connects while building."""
    if config.backend == "airtable":
        # Imported only for a run on Airtable: the client library costs a second at every start-up.
        from ..adapters.airtable.admin import AirtableAdmin
        from ..adapters.airtable.attendee_source import AirtableAttendeeSource
        from ..adapters.airtable.blog_store import AirtableBlogStore
        from ..adapters.airtable.conduct_store import AirtableConductStore
        from ..adapters.airtable.found_store import AirtableFoundStore
        from ..adapters.airtable.funding_store import AirtableFundingStore
        from ..adapters.airtable.ledger import AirtableLedger
        from ..adapters.airtable.referral_store import AirtableReferralStore
        from ..adapters.airtable.report_store import AirtableReportStore
        from ..adapters.airtable.roster_store import AirtableRosterStore

        client = airtable_client(config, environ, clock, sleep, cache, as_of)
        spec = airtable_spec(config)
        roster: RosterStore = AirtableRosterStore(client, spec["ambassadors"], config.ambassadors.fields,
                                                  config.ambassadors.standing_fields,
                                                  date_order=config.ambassadors.date_order,
                                                  words=config.ambassadors.words, tz=config.program.tz)
        reports: ReportStore = AirtableReportStore(client, spec["activities"], spec["checkins"], spec["problems"],
                                                   config.program.tz)
        ledger: Ledger = AirtableLedger(client, spec["mail_ledger"])
        admin: Admin = AirtableAdmin(client, spec)
        blog: BlogStore = AirtableBlogStore(client, spec["blog_reviews"])
        attendees: AttendeeSource = AirtableAttendeeSource(client, spec["event_attendees"])
        referrals: ReferralStore = AirtableReferralStore(client, spec["referral_inquiries"])
        funding: FundingStore = AirtableFundingStore(client, spec["funding_requests"])
        conduct: ConductStore = AirtableConductStore(client, spec["conduct_register"])
        personal = personal_data(config, client, spec)
        return BackendStores(roster, reports, ledger, admin, blog, attendees, referrals, funding, conduct, personal,
                             client.usage, found=AirtableFoundStore(client, spec["found_activities"]))
    roster = CsvRosterStore(config.local_dir / config.ambassadors.file, config.ambassadors.fields,
                            config.ambassadors.standing_fields, date_order=config.ambassadors.date_order,
                            words=config.ambassadors.words)
    reports = CsvReportStore(config.local_dir)
    ledger = CsvLedger(config.local_dir / "mail_ledger.csv")
    admin = CsvAdmin(config.local_dir)
    blog = CsvBlogStore(config.local_dir / config.blog_reviews.file)
    attendees = CsvAttendeeSource(config.local_dir / config.certificates.attendees_dir)
    referrals = CsvReferralStore(config.local_dir / config.referrals.file)
    funding = CsvFundingStore(config.local_dir / config.funding.file)
    conduct = CsvConductStore(config.local_dir / config.conduct.file)
    personal = personal_data(config)
    return BackendStores(roster, reports, ledger, admin, blog, attendees, referrals, funding, conduct, personal,
                         found=CsvFoundStore(config.local_dir / FOUND_FILE))
