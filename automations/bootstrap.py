"""The one place that reads the configuration and the environment and builds the adapters.

Everything a job uses is built here, before the job starts: the ports (roster, check-in
source, report store, ledger, send lock, mailer), the template renderer and the rule objects.
Jobs receive the `Context` and never a concrete backend; nothing connects while building.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from . import file_modes, redaction
from .adapters.airtable.schema import base_spec
from .adapters.csv.admin import CsvAdmin
from .adapters.csv.attendee_source import CsvAttendeeSource
from .adapters.csv.blog_store import CsvBlogStore
from .adapters.csv.checkin_source import CsvCheckinSource
from .adapters.csv.conduct_store import CsvConductStore
from .adapters.csv.funding_store import CsvFundingStore
from .adapters.csv.ledger import CsvLedger
from .adapters.csv.personal_tables import CsvPersonalTables
from .adapters.csv.referral_store import CsvAnswerSource, CsvReferralStore
from .adapters.csv.report_store import CsvReportStore
from .adapters.csv.roster_store import CsvRosterStore
from .adapters.erased_responses import ERASE_JOB, ErasedResponses
from .adapters.files.atomic import remove_stale_temps
from .adapters.files.erase_journal import JsonErasureJournal
from .adapters.files.personal_files import LocalPersonalFiles
from .adapters.files.report_archive import FileReportArchive
from .adapters.files.run_lock import FileRunLock
from .adapters.files.send_lock import FileSendLock
from .adapters.files.sqlite_work_cache import SqliteWorkCache
from .adapters.google.access import GoogleAccess, GoogleSettings
from .adapters.google.admin import GoogleAdmin
from .adapters.google.docs_drafter import GoogleDocsDrafter
from .adapters.google.forms_answer_source import FormRecord, FormsAnswerSource, ReferralFormBuilder
from .adapters.google.forms_checkin_source import FormsBuilder, FormsCheckinSource, FormShape
from .adapters.google.gmail_mailer import GmailMailer
from .adapters.google.sheets_answer_source import SheetsAnswerSource
from .adapters.google.sheets_checkin_source import SheetsCheckinSource
from .adapters.outbox import OutboxMailer
from .adapters.render.certificate_pdf import Artwork, FpdfCertificateRenderer
from .adapters.render.html_drafter import HtmlDrafter
from .adapters.render.report_jinja import JinjaReportRenderer
from .adapters.render.report_pdf import FpdfReportRenderer
from .adapters.smtp import SmtpMailer
from .adapters.terminal.rich_progress import NoProgress, progress_for
from .config import Config
from .config import load_config as _read_config
from .context import Context, Guards, Mail, MailSettings, Makers, Migration, Privacy, Settings, Stores
from .domain.blog import BlogSettings, proposal_key
from .domain.checkins import FormLayout
from .domain.compliance import Rules
from .domain.forum import ForumSettings
from .domain.funding import FundingSettings
from .domain.funding import row_key as funding_row_key
from .domain.messages import Schedule
from .domain.privacy import Pseudonyms, Retention, TableRule
from .domain.referrals import ReferralSettings
from .domain.report import ReportSettings
from .domain.values import TimestampParser, stable_digest
from .errors import ConfigError, StopRun
from .mail.message import Sender
from .mail.templates import TemplateRenderer
from .ports import (
    AnswerSource,
    AttendeeSource,
    ConductStore,
    ForumGroup,
    FundingStore,
    Mailer,
    PersonalTable,
    ProgramTables,
    ReferralStore,
    ReportRenderer,
    ServiceCheck,
)
from .stopping import StopRequest

if TYPE_CHECKING:  # built only when the configuration uses Airtable
    from .adapters.airtable.client import AirtableClient
from .effects import utc_now
from .ports import Admin, BlogStore, CheckinSource, Drafter, Ledger, ReportStore, RosterStore, Usage


def rules_from(config: Config) -> Rules:
    p = config.program
    fields = {kind: tuple(tuple(spec.split("|")) for spec in specs) for kind, specs in p.full_report_fields.items()}
    return Rules(tz=p.tz, min_full_reports=p.min_full_reports, window_days=p.checkin_window_days,
                 late_joiner_fraction=p.late_joiner_fraction, full_report_fields=fields)


def form_layout(config: Config, source: str) -> FormLayout:
    f = config.checkin_form
    return FormLayout(
        source=source, timestamp=f.columns.timestamp, email=f.columns.email, quarter=f.columns.quarter,
        sections=f.activity_sections or 0, activity_columns=dict(f.activity_columns), kinds=dict(f.activity_kinds),
        timestamp_formats=tuple(f.timestamp_formats), date_formats=tuple(f.date_formats),
        sheet_tz=config.sheet_tz, program_tz=config.program.tz, date_order=f.date_order,
        positions=dict(f.column_positions),
    )


def problem_names(config: Config, form_source: str) -> dict[str, str]:
    """Each source's other names -> the local file's name, which its problems' ids use (`SourceNames`): the
    check-in responses read from the linked sheet or the Forms API are the download's, a table staff keep in
    Airtable is its CSV file's, so switching either (or migrating) keeps every problem's id and status. (The
    referral answers' sources name their problems by the download's file name themselves.)"""
    t = config.airtable.tables
    roster = Path(config.ambassadors.file).name
    form = Path(config.checkin_form.file).name
    # The responses as any linked sheet or form gave them (this run's, or the one read before a switch): the
    # referral answers' sources name their problems by their download's name, so these are the check-ins'.
    names = {form_source: form, "Google Sheet *": form, "Google Form *": form, t.ambassadors: roster,
             f"{t.ambassadors} (forum)": f"{roster} (forum)", t.blog_reviews: Path(config.blog_reviews.file).name,
             t.referral_inquiries: Path(config.referrals.file).name,
             t.funding_requests: Path(config.funding.file).name}
    return {k: v for k, v in names.items() if k != v}


def schedule_from(config: Config) -> Schedule:
    r = config.reminders
    return Schedule(r.invite_days_after_end, tuple(r.reminder_days_before_close), r.receipt_max_age_days,
                    r.notice_max_age_days, r.digest_weekday, welcome_max_age_days=r.welcome_max_age_days)


def airtable_client(config: Config, environ: Mapping[str, str], clock: Callable[[], float] = time.monotonic,
                    sleep: Callable[[float], None] = time.sleep) -> AirtableClient:
    a = config.airtable
    from .adapters.airtable.client import AirtableClient, AirtableSettings

    settings = AirtableSettings(
        base_id=a.base_id, token=environ.get(a.token_env, "").strip(), endpoint_url=a.endpoint_url,
        token_env=a.token_env, requests_per_second=a.requests_per_second, max_attempts=a.max_attempts,
        rate_limit_wait_seconds=a.rate_limit_wait_seconds, retry_backoff_seconds=a.retry_backoff_seconds,
        timeout_seconds=a.timeout_seconds)
    return AirtableClient(settings, clock=clock, sleep=sleep)


def airtable_spec(config: Config):
    try:
        return base_spec(config.airtable.tables.model_dump(), config.airtable.fields, config.ambassadors.fields,
                         config.ambassadors.standing_fields, config.ambassadors.words)
    except KeyError as exc:
        raise ConfigError(f"airtable.fields names an unknown field role {exc}.") from None


def google_access(config: Config, environ: Mapping[str, str], sleep: Callable[[float], None] = time.sleep
                  ) -> GoogleAccess:
    """The key is read only when a job first needs it: a configuration that uses no Google service
    never needs one."""
    g = config.google
    os.environ.setdefault("NO_GCE_CHECK", "true")  # google-auth must never probe a metadata server
    named = environ.get(g.credentials_env, "").strip() if g.credentials_env else ""
    path, by = (Path(named), f"the environment variable {g.credentials_env}") if named else \
        (config.path(g.credentials_file), "google.credentials_file")
    settings = GoogleSettings(key_path=path, key_named_by=by, subject=g.subject,
                              endpoints=g.endpoints.model_dump(), max_attempts=g.max_attempts,
                              retry_backoff_seconds=g.retry_backoff_seconds, timeout_seconds=g.timeout_seconds)
    return GoogleAccess(settings, sleep=sleep)


def form_shape(config: Config) -> FormShape:
    f = config.checkin_form
    return FormShape(f.columns.timestamp, f.columns.email, f.columns.quarter, f.activity_sections or 3,
                     dict(f.activity_columns), tuple(f.activity_kinds))


def checkin_source(config: Config, google: GoogleAccess, dry_run: bool) -> CheckinSource:
    f = config.checkin_form
    if f.source == "sheets":
        return SheetsCheckinSource(google, f.spreadsheet_id, f.sheet_tab, f.columns.timestamp,
                                   [f.activity_columns["date"]], config.sheet_tz)
    if f.source == "forms":
        return FormsCheckinSource(google, f.form_id, form_shape(config), config.sheet_tz,
                                  config.local_dir / "form_questions.json", keep_state=not dry_run)
    return CsvCheckinSource(config.local_dir / f.file)


def answer_source(config: Config, google: GoogleAccess, dry_run: bool) -> AnswerSource:
    """The referral answer form's responses: their CSV download, the form's linked sheet or the Forms API.
    Every one reads timestamps in the same zone and names its problems alike (the download's file name, with
    the sheet's row numbers), so a problem keeps its id, and staff's decision on it, when the source changes."""
    r, f = config.referrals, config.checkin_form
    parse_time = TimestampParser(tuple(f.timestamp_formats), config.sheet_tz, config.program.tz, f.date_order)
    source = Path(r.answers_file).name
    if r.answers_source == "sheets":
        return SheetsAnswerSource(google, r.answers_spreadsheet_id, r.answers_sheet_tab, parse_time, config.sheet_tz,
                                  source)
    if r.answers_source == "forms":
        return FormsAnswerSource(google, r.answers_form_id, parse_time, config.sheet_tz, source,
                                 referral_form_record(config), keep_state=not dry_run)
    return CsvAnswerSource(config.local_dir / r.answers_file, parse_time)


def referral_form_record(config: Config) -> FormRecord:
    """`referral_form.json` in local.dir: the answer form `init --referral-form` made, and its question ids."""
    return FormRecord(config.local_dir / "referral_form.json")


def _mail_settings(config: Config, environ: Mapping[str, str]) -> MailSettings:
    m, f = config.mail, config.checkin_form
    summary: str = m.transport
    if m.transport == "smtp":
        login = f"login from {m.smtp.username_env}" if environ.get(m.smtp.username_env) else "no login"
        summary = f"smtp, {login}, {m.smtp.security} to {m.smtp.host}:{m.smtp.port} (not contacted)"
    return MailSettings(f.form_url, f.prefill_email_entry, tuple(m.staff_addresses), m.transport,
                        config.path(m.outbox_dir), config.path(m.templates_dir), summary)


def smtp_settings(config: Config):
    """`mail.smtp` with its CA bundle read from the configuration file's folder, like every relative path."""
    s = config.mail.smtp
    return s.model_copy(update={"ca_file": str(config.path(s.ca_file))}) if s.ca_file else s


def build(config: Config, as_of: date, dry_run: bool, environ: Mapping[str, str] | None = None,
          clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
          confirmed: frozenset[str] = frozenset()) -> Context:
    """Every adapter for one run. `clock` and `sleep` pace the Airtable client (tests pass a manual clock)."""
    environ = os.environ if environ is None else environ
    f = config.checkin_form
    google = google_access(config, environ, sleep)
    checkins = checkin_source(config, google, dry_run)
    usage: list[Usage] = []
    pseudonyms = Pseudonyms(privacy_key(config, environ, create=not dry_run))
    # A live form keeps an erased person's rows until staff delete them, and a fresh download of it brings
    # them back into the local file: either way their rows are erased as they are read.
    checkins = ErasedResponses(checkins, privacy_rules(config)["responses"], pseudonyms,
                               lambda: erased_addresses(ledger))
    if config.backend == "airtable":
        # Imported only for a run on Airtable: the client library costs a second at every start-up.
        from .adapters.airtable.admin import AirtableAdmin
        from .adapters.airtable.attendee_source import AirtableAttendeeSource
        from .adapters.airtable.blog_store import AirtableBlogStore
        from .adapters.airtable.conduct_store import AirtableConductStore
        from .adapters.airtable.funding_store import AirtableFundingStore
        from .adapters.airtable.ledger import AirtableLedger
        from .adapters.airtable.referral_store import AirtableReferralStore
        from .adapters.airtable.report_store import AirtableReportStore
        from .adapters.airtable.roster_store import AirtableRosterStore

        client = airtable_client(config, environ, clock, sleep)
        spec = airtable_spec(config)
        usage.append(client.usage)
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
    else:
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
    m = config.mail
    p = config.program
    b = config.blog_reviews
    docs = b.documents == "google"
    answers = config.referrals.answers_source
    uses = [what for what, used in ((f"the check-in {f.source}", f.source != "local"),
                                    (f"the referral answers' {answers}", answers != "local"),
                                    ("Gmail", m.transport == "gmail"), ("blog-review documents", docs)) if used]
    needs = tuple(n for n, used in (("sheets", "sheets" in (f.source, answers)),
                                    ("forms_read", "forms" in (f.source, answers)),
                                    ("gmail", m.transport == "gmail"), ("drive", docs), ("docs", docs)) if used)
    drafter: Drafter = GoogleDocsDrafter(google, b.template_document_id, b.folder_id) if docs else \
        HtmlDrafter(config.path(b.template_file), config.path(b.drafts_dir), config.base_dir)
    files = (("review template document", b.template_document_id), ("review folder", b.folder_id)) if docs else ()
    checks: list[ServiceCheck] = [GoogleAdmin(google, needs, " and ".join(uses), files)] if uses else []
    if uses:
        usage.append(google.usage)
    if m.transport == "gmail":
        mailer: Mailer = GmailMailer(google, m.from_address)
    else:
        mailer = (OutboxMailer(config.path(m.outbox_dir), as_of.isoformat()) if m.transport == "outbox" else
                  SmtpMailer(smtp_settings(config), environ, m.from_address))
    source_name = Path(f.file).name if f.source == "local" else checkins.where
    return Context(
        as_of=as_of, dry_run=dry_run, clock=utc_now, confirmed=confirmed, run_lock=run_lock(config),
        progress=NoProgress(), checkpoint=failpoint(environ), usage=usage,
        stores=Stores(
            roster=roster, checkins=checkins, reports=reports, ledger=ledger, admin=admin, blog=blog,
            referrals=referrals, answers=answer_source(config, google, dry_run), funding=funding, conduct=conduct,
            attendees=attendees,
            cache=SqliteWorkCache(config.local_dir / ".work_cache.sqlite3", read_only=dry_run),
            left_behind=CsvLedger(config.local_dir / "mail_ledger.csv") if config.backend == "airtable" and
            (config.local_dir / "mail_ledger.csv").is_file() else None,
            checks=checks),
        mail=Mail(
            settings=_mail_settings(config, environ),
            lock=FileSendLock(config.local_dir / ".mail.lock", m.lock_timeout_seconds),
            mailer=mailer,
            renderer=TemplateRenderer(config.path(m.templates_dir), common={
                "program_name": p.name, "support_email": p.support_email, "lead_name": p.lead_name,
                "forum_intro_url": p.forum_intro_url,
                "forum_sync": bool(config.forum.url), "funding_url": p.funding_url}),
            sender=Sender(m.from_address, m.from_name, p.support_email)),
        makers=Makers(
            drafter=drafter, certificates=certificate_renderer(config), report_renderers=report_renderers(config),
            report_archive=FileReportArchive(config.path(config.report.dir)),
            form_builder=FormsBuilder(google, form_shape(config), f"{p.name}: quarterly check-in",
                                      config.local_dir / "form_questions.json", f.form_id),
            referral_form=ReferralFormBuilder(google, f"{p.name}: referral answer", referral_form_record(config),
                                              config.referrals.answers_form_id),
            forum=forum_group(config, environ, clock, sleep)),
        privacy=Privacy(
            tables=personal,
            files=LocalPersonalFiles(config.path(m.outbox_dir), config.path(b.drafts_dir),
                                     config.path(config.report.dir), config.path(config.privacy.export_dir)),
            pseudonyms=pseudonyms, retention=Retention(**config.privacy.retention.model_dump()),
            export_dir=config.path(config.privacy.export_dir),
            journal=JsonErasureJournal(config.local_dir / ERASING), program_dir=config.base_dir),
        settings=Settings(
            rules=rules_from(config), form=form_layout(config, source_name), schedule=schedule_from(config),
            guards=Guards(config.guards.max_warning_share, config.guards.min_held_notices,
                          config.guards.max_newly_unusable_share, config.guards.max_unusable_share,
                          config.guards.min_guarded_rows),
            blog=BlogSettings(tuple(b.reviewers), dict(b.stale_days), tuple(m.staff_addresses)),
            referrals=referral_settings(config), funding=funding_settings(config),
            conduct_readers=tuple(a.casefold() for a in config.conduct.readers),
            conduct_retention_days=config.conduct.retention_days,
            certificate_freshness_days=config.certificates.freshness_days,
            report=report_settings(config), forum=forum_settings(config), fingerprint=fingerprint(config),
            problem_names=problem_names(config, source_name)),
    )


def funding_settings(config: Config) -> FundingSettings:
    f = config.funding
    return FundingSettings(f.lead_days, tuple(f.large_event_keywords), f.budget_period,
                           {c: Decimal(str(v)) for c, v in f.budgets.items()}, f.budget_warning_share,
                           tuple(f.reminder_days_after_event), tuple(config.mail.staff_addresses))


def referral_settings(config: Config) -> ReferralSettings:
    r = config.referrals
    return ReferralSettings(r.answer_days, r.answer_form_url, r.prefill_code_entry, r.prefill_answer_entry,
                            tuple(config.mail.staff_addresses))


def forum_group(config: Config, environ: Mapping[str, str], clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], None] = time.sleep) -> ForumGroup | None:
    """The forum's ambassadors group through Discourse's API, or None when forum.url is empty. Nothing
    connects here; a missing key stops the forum job (and run-all) before it changes anything."""
    f = config.forum
    if not f.url:
        return None
    from .adapters.discourse.forum_group import DiscourseForumGroup, DiscourseSettings

    return DiscourseForumGroup(DiscourseSettings(
        url=f.url, group_name=f.group_name, api_username=f.api_username,
        api_key=environ.get(f.api_key_env, "").strip(), api_key_env=f.api_key_env,
        requests_per_minute=f.requests_per_minute, max_attempts=f.max_attempts, timeout_seconds=f.timeout_seconds),
        clock=clock, sleep=sleep)


def forum_settings(config: Config) -> ForumSettings:
    f = config.forum
    return ForumSettings(group_name=f.group_name, forum_host=urlsplit(f.url).hostname or "",
                         handle_column=config.ambassadors.fields["forum_handle"],
                         keep_usernames=tuple(f.keep_usernames), max_removal_share=f.max_removal_share,
                         min_guarded_removals=f.min_guarded_removals)


def report_settings(config: Config) -> ReportSettings:
    r = config.report
    return ReportSettings(r.quarters_shown, r.top_activities, r.min_audience, r.ambassador_table,
                          r.newsletter_highlights, r.email_staff)


def report_renderers(config: Config) -> tuple[ReportRenderer, ...]:
    """The report's files: the HTML page and the newsletter from the templates staff edit, the PDF with fpdf2."""
    folder = config.path(config.report.templates_dir)
    return (JinjaReportRenderer(folder, "report.html"), FpdfReportRenderer(), JinjaReportRenderer(folder, "newsletter.md"))


def certificate_renderer(config: Config) -> FpdfCertificateRenderer:
    c = config.certificates
    return FpdfCertificateRenderer(Artwork(config.program.name, config.program.lead_name, c.lead_title,
                                           config.path(c.logo), config.path(c.signature_image)))


def privacy_rules(config: Config) -> dict[str, TableRule]:
    """How each table holds people's data, by table role (titles as the CSV files and the base have them)."""
    a, s, f = config.ambassadors.fields, config.ambassadors.standing_fields, config.checkin_form
    numbers = ("registrations", "attendees", "hours", "views", "engagements", "reshares")
    # Sections are counted from the form's header: every number a form may have (at most 50) is named.
    section_titles = lambda role: tuple(dict.fromkeys(f.activity_columns[role].replace("{n}", str(n))  # noqa: E731
                                        for n in range(1, 51))) if role in f.activity_columns else ()
    responses_keep = (f.columns.timestamp, f.columns.quarter, *section_titles("kind"), *section_titles("date"),
                      *(t for r in numbers for t in section_titles(r)))
    kept_activity = ("Key", "Activity ID", "Kind", "Date", "Received", "Row", "Section", "Reported quarter",
                     "Resolution", "Winner row", "Registrations", "Attendees", "Views", "Engagements", "Reshares",
                     "Hours")
    return {
        "responses": TableRule("check-in responses", (f.columns.email,), keep=responses_keep,
                               links=section_titles("link")),
        "ambassadors": TableRule(
            "roster", (a["email"],), names=(a["name"],), aliases=(a["forum_handle"],) if "forum_handle" in a else (),
            keep=tuple(a[r] for r in ("country", "region", "languages", "start_date", "status", "status_history")
                       if r in a) + tuple(s.values())),
        "activities": TableRule("activities", ("Email",), keep=kept_activity, links=("Link",)),
        "checkins": TableRule("check-ins", ("Email",), mention=("Key",), keep=("Key", "Received", "Row", "Reported quarter",
                                                             "Activities")),
        "problems": TableRule("data problems", ("Owner", "Value"), problems=True),
        "blog_reviews": TableRule("blog proposals", ("Author email",), mention=("Reviewers",),
                                  key_of=lambda c: proposal_key(c.get("Author email", ""), c.get("Title", "")),
                                  keep=("Stage", "Published on", "Stage history"), links=("Published URL", "Document")),
        "referral_inquiries": TableRule(
            "referral inquiries", ("Contact email",), mention=("Current candidate", "Recommended ambassador",
                                                              "Referral history"),
            keep=("Country", "Region", "Language", "Need", "Inquiry ID", "Referral status", "Offered at",
                  "Current candidate", "Recommended ambassador", "Referral history")),
        "referral_answers": TableRule("referral answers", ("Email Address",),
                                      keep=("Timestamp", "Offer code", "Answer")),
        "funding_requests": TableRule(
            "funding requests", ("Ambassador email",), mention=("What",), links=("Invoice",),
            key_of=lambda c: funding_row_key(lambda t: c.get(t, "")),
            # What is free text that may name the person: a token on their rows, their address replaced on others'
            keep=("Kind", "Amount", "Currency", "Event date", "Region", "Status", "Approved amount",
                  "Invoice received", "Requested on", "First seen", "Flags", "Reminders sent")),
        "mail_ledger": TableRule("mail ledger", ("Recipient",), mention=("Key",), rekeyed=True,
                                 keep=("Key", "Job", "Status", "Attempts", "Message-ID", "At", "Last attempt",
                                       "Sent at")),
        "conduct_register": TableRule("conduct register", ("Email",), delete=True, restricted=True),
        "event_attendees": TableRule("event attendees", ("Email",), keep=("Event", "Date"), names=("Name",)),
    }


def personal_data(config: Config, client=None, spec=None) -> list[PersonalTable]:
    """Every table that may hold a person's data, with its rule and the adapter that reads and rewrites it:
    on Airtable the base's tables, and the CSV files that stay local (the form's download, the answers)."""
    rules = privacy_rules(config)
    d = config.local_dir
    # The answers' download, even when they are read live: an earlier download may still hold a person's rows.
    local = {"referral_answers": d / config.referrals.answers_file}
    if config.checkin_form.source == "local":
        local = {"responses": d / config.checkin_form.file, **local}
    if config.backend == "airtable":
        from .adapters.airtable.personal_tables import AirtablePersonalTables

        remote = AirtablePersonalTables(client, {role: spec[role] for role in rules if role in spec.tables})
        by_role = {role: f"Airtable table {spec[role].name}" for role in rules if role in spec.tables}
        out = [PersonalTable(rules[role], remote, table) for role, table in by_role.items()]
    else:
        files = {"ambassadors": d / config.ambassadors.file, "activities": d / "activities.csv",
                 "checkins": d / "checkins.csv", "problems": d / "unusable_rows.csv",
                 "mail_ledger": d / "mail_ledger.csv", "blog_reviews": d / config.blog_reviews.file,
                 "referral_inquiries": d / config.referrals.file, "funding_requests": d / config.funding.file,
                 "conduct_register": d / config.conduct.file}
        attendees = d / config.certificates.attendees_dir
        for path in sorted(attendees.glob("*.csv")) if attendees.is_dir() else ():
            files[f"event_attendees:{path.name}"] = path
        local = {**files, **local}
        out = []
    restricted = [str(p) for role, p in local.items() if rules[role.split(":")[0]].restricted]
    tables = CsvPersonalTables({str(p): p for p in local.values()}, private=restricted)  # conduct: 0600
    out = [PersonalTable(rules[role.split(":")[0]], tables, str(path)) for role, path in local.items()] + out
    order = list(rules)  # the source first, what is derived from it next, the roster and the rest after
    return sorted(out, key=lambda t: order.index(next(r for r, rule in rules.items() if rule is t.rule)))


def erased_addresses(ledger: Ledger) -> set[str]:
    """The keyed hashes of everyone erased (the ledger's `erase` steps)."""
    return {e.recipient for e in ledger.entries().values() if e.job == ERASE_JOB}


def privacy_key(config: Config, environ: Mapping[str, str], create: bool) -> Callable[[], bytes]:
    """The secret of the keyed hashes: from the environment (`privacy.key_env`), else a key made once in
    local.dir/.privacy_key (git-ignored). A dry run that finds neither uses a key of its own, keeps nothing."""
    def load() -> bytes:
        named = environ.get(config.privacy.key_env, "").strip()
        if named:
            return named.encode("utf-8")
        path = config.local_dir / ".privacy_key"
        if path.is_file():
            return path.read_bytes().strip()
        key = secrets.token_hex(32).encode("ascii")
        if create:  # readable by its owner only from the first byte; never replaced once made
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another run made it meanwhile: theirs is the key
                return path.read_bytes().strip()
            with os.fdopen(fd, "wb") as fh:
                fh.write(key + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
        return key
    return load


def remove_leftovers(config: Config) -> list[Path]:
    """Remove the temporary files a killed run left where the jobs write: `local.dir` and its run locks'
    folder (the holder file), the outbox and its day folders, the drafts folder (only the writers' own,
    and only those no live writer holds: `atomic_files.remove_stale_temps`)."""
    outbox = config.path(config.mail.outbox_dir)
    try:
        days = [p for p in outbox.iterdir() if p.is_dir()]
    except OSError:
        days = []
    return remove_stale_temps([config.local_dir, config.local_dir / ".locks", outbox, *days,
                               config.path(config.blog_reviews.drafts_dir)])


#: The files the jobs keep in local.dir (their state, never staff's tables): the program's mode at each run.
OWN_STATE_FILES = ("activities.csv", "checkins.csv", "unusable_rows.csv", "mail_ledger.csv", ".work_cache.sqlite3",
                   ".work_cache.sqlite3-journal", ".schedule.json", "form_questions.json", "referral_form.json",
                   ".reports.mark", ".mail.lock", ".privacy_key", ".migrate.sqlite3")


def tighten_modes(config: Config) -> None:
    """Give the program's own files and folders that an older version left wider (0644 in 0755) the program's
    modes (`file_modes`): its folders (outbox, drafts, reports, exports, run locks), its state files in
    local.dir, the exports (0600) and the conduct register (0600, always: it holds conduct entries). Staff's
    own tables keep the mode they gave them. A file or folder this account does not own is left alone."""
    uid = os.geteuid()

    def narrow(path: Path, mode: int) -> None:
        try:
            info = path.lstat()
            if info.st_uid == uid and not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) != mode:
                os.chmod(path, mode)
        except OSError:
            pass  # not there (nothing written yet), or not ours to change

    folders = [config.path(config.mail.outbox_dir), config.path(config.blog_reviews.drafts_dir),
               config.path(config.report.dir), config.path(config.privacy.export_dir), config.local_dir / ".locks"]
    for folder in folders:
        narrow(folder, file_modes.dir_mode())
    for name in OWN_STATE_FILES:
        narrow(config.local_dir / name, file_modes.PRIVATE_FILE if name == ".privacy_key" else file_modes.file_mode())
    narrow(config.local_dir / config.conduct.file, file_modes.PRIVATE_FILE)
    try:
        exports = list(config.path(config.privacy.export_dir).iterdir())
    except OSError:
        exports = []
    for path in exports:
        narrow(path, file_modes.PRIVATE_FILE)


def fingerprint(config: Config) -> str:
    """Every setting that what sync-checkins and compliance worked out depends on, as a digest."""
    f = config.checkin_form
    return stable_digest(repr(rules_from(config)), repr(form_layout(config, Path(f.file).name)), f.source,
                         repr(sorted(config.ambassadors.fields.items())), length=20)


def load_config(path: Path | str, environ: Mapping[str, str] | None = None) -> Config:
    """Read the configuration file, then set up this process as the configuration asks: the program's file
    and folder modes from now on (`file_modes`, privacy.group_readable) and the redaction of every secret
    it names from every error text (`redaction`)."""
    config = _read_config(path)
    file_modes.apply(config.privacy.group_readable)
    redaction.install(secret_values(config, environ))
    return config


def today(config: Config) -> date:
    return datetime.now(config.program.tz).date()


def from_file(path: Path, as_of: date | None, dry_run: bool, confirmed: frozenset[str] = frozenset(),
              stop: StopRequest | None = None, command: str = "") -> Context:
    """Load the configuration file and build every adapter: what the command line calls for `command`. `stop` is
    the run's stop request, set by the command line's signal handlers. A store a `migrate` into stopped part-way
    runs nothing but the commands that finish it (`WHILE_MIGRATING`) until it is finished."""
    config = load_config(path)
    if command not in WHILE_MIGRATING:
        unfinished_migration(config)
    if command not in WHILE_ERASING:
        unfinished_erase(config)
    if not dry_run:
        remove_leftovers(config)
        tighten_modes(config)
    ctx = build(config, as_of or today(config), dry_run, confirmed=confirmed)
    if stop is not None:
        ctx.stop = stop
    ctx.progress = progress_for(sys.stdout.isatty())
    if isinstance(ctx.mail.mailer, GmailMailer):
        ctx.mail.mailer.ready()  # the key Gmail sends with: checked before any job reads or writes
    return ctx


@dataclass(frozen=True)
class DoctorInputs:
    """What `doctor` checks, loaded when it asks: the configuration (a `ConfigError` is its first FAIL line) and
    the dry-run context built from it."""

    path: Path
    config: Callable[[], Config]
    context: Callable[[Config], Context]


def for_doctor(config_path: Path, as_of: date | None, environ: Mapping[str, str] | None = None,
               clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> DoctorInputs:
    """`doctor`'s inputs: `environ`, `clock` and `sleep` go to the build (tests pass a manual clock)."""
    return DoctorInputs(Path(config_path), lambda: load_config(config_path),
                        lambda config: build(config, as_of or today(config), dry_run=True, environ=environ,
                                             clock=clock, sleep=sleep))


def run_lock(config: Config) -> FileRunLock:
    """The run lock every job command holds: `<local.dir>/.locks/<command>.lock`."""
    s = config.schedule
    return FileRunLock(config.local_dir / ".locks", s.lock_wait_seconds, s.stuck_after_minutes * 60)


def secret_values(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every secret the configuration points at, for the log's redaction: the values of the Airtable token,
    SMTP password and Discourse key variables, and the private key (and its id) of the Google service-account
    key file. Only this function reads them for the log; nothing is printed."""
    import json

    environ = os.environ if environ is None else environ
    names = [config.airtable.token_env, config.mail.smtp.password_env, config.forum.api_key_env,
             config.privacy.key_env]
    found = [environ.get(n, "").strip() for n in names if n]
    with contextlib.suppress(OSError, ValueError):  # the privacy key made in the local folder when the environment has none
        found.append((config.local_dir / ".privacy_key").read_text(encoding="ascii").strip())
    g = config.google
    named = environ.get(g.credentials_env, "").strip() if g.credentials_env else ""
    try:
        key = json.loads((Path(named) if named else config.path(g.credentials_file)).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no key file (most set-ups): nothing to hide
        key = {}
    if isinstance(key, dict):
        private = str(key.get("private_key") or "")
        # The key as a whole, and each line of its body: a log may show it with its line breaks escaped.
        found += [private, private.replace("\n", "\\n"), str(key.get("private_key_id") or "")]
        found += [line.strip() for line in private.splitlines() if len(line.strip()) >= 16 and "-----" not in line]
    return [v for v in found if v]


def job_scheduler(config: Config, config_path: Path, stop: StopRequest, global_args: list[str],
                  log_format: str | None = None, stream=None):
    """The `schedule` command's scheduler: each of `schedule.jobs` run as a child process
    (`python -m automations --config PATH [global_args] COMMAND`), its log on `stream` (stderr)."""

    from . import run_log
    from .adapters.files.schedule_state import JsonScheduleState
    from .adapters.process.job_runner import SubprocessJobRunner
    from .domain.cadence import parse
    from .scheduler import JobScheduler

    s = config.schedule
    log = run_log.build_logger(log_format or config.logging.format, secret_values(config),
                               sys.stderr if stream is None else stream)
    argv = [sys.executable, "-m", "automations", "--config", str(Path(config_path).resolve()), *global_args]
    runner = SubprocessJobRunner(argv, stop, s.stop_wait_seconds, log)
    return JobScheduler({name: parse(text) for name, text in s.jobs.items()}, s.timezone or config.program.timezone,
                        runner, JsonScheduleState(config.local_dir / ".schedule.json"), log, stop, s.catch_up,
                        lock=run_lock(config))


# -- erase: work that must finish ---------------------------------------------------------------------------------

ERASING = ".erase-unfinished.json"  # in local.dir: an erase began and has not finished (`JsonErasureJournal`)
#: The commands that run while an erase is unfinished: `erase` (which finishes it) and `doctor` (which names it).
#: Every other would read, mail or report a person half erased.
WHILE_ERASING = ("erase", "doctor")
FAILPOINT_ENV = "AUTOMATIONS_FAILPOINT"


def unfinished_erase(config: Config) -> None:
    """Stop (exit 2) while an erase stopped part-way: a run now could judge the person on half-erased rows, mail
    their real address or write a report naming them."""
    pending = JsonErasureJournal(config.local_dir / ERASING).load()
    if pending is not None:
        raise StopRun(f"An erase begun at {pending.started or 'an unknown time'} has not finished: run `erase` again "
                      f"(with no address, or the same one) to finish it; every command but `erase` and `doctor` "
                      f"stops until then.")


def failpoint(environ: Mapping[str, str]) -> Callable[[str], None]:
    """The run's checkpoint hook. `AUTOMATIONS_FAILPOINT=<point>[#<n>]` makes the process kill itself (SIGKILL, as
    a power cut or the OOM killer would) the n-th time (default the first) it reaches that point: how the tests
    and `bench/erase_crash_harness.py` stop work that must finish at each of its steps. Unset, nothing happens."""
    wanted = environ.get(FAILPOINT_ENV, "").strip()
    if not wanted:
        return lambda name: None
    point, _, nth = wanted.partition("#")
    seen = {"n": 0}

    def checkpoint(name: str) -> None:
        if name == point:
            seen["n"] += 1
            if seen["n"] == int(nth or 1):
                os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


# -- migrate: a second configuration's store, and this one's ------------------------------------------------------

MIGRATING = ".migrate-unfinished"  # in local.dir: a migrate into this store started and has not finished
#: The commands that run on a store whose migrate stopped part-way: migrate itself (which finishes it), `init`
#: (a table or field the rest of the migration needs) and `doctor` (which names the unfinished migration).
WHILE_MIGRATING = ("migrate", "init", "doctor")


def store_id(config: Config) -> str:
    """The store a configuration runs on, as one text (two configurations naming the same store give the same)."""
    if config.backend == "airtable":
        a = config.airtable
        return f"airtable:{(a.endpoint_url or 'https://api.airtable.com').rstrip('/')}/{a.base_id}"
    return f"local:{config.local_dir.resolve()}"


def unfinished_migration(config: Config) -> None:
    """Stop (exit 2) when a migrate into this configuration's store stopped part-way: until it is run again and
    finishes, a run here could send again what the rest of the ledger would have said had gone."""
    import json

    marker = config.local_dir / MIGRATING
    try:
        held = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(held, dict) and held.get("store") == store_id(config):
        raise StopRun(f"A migrate into this store (from {held.get('from', '?')}) stopped before it finished: run "
                      f"`migrate --from {held.get('from', 'OTHER_CONFIG')}` again to finish it (`init` and `doctor` "
                      f"run meanwhile); every other command stops until then.")


def program_tables(config: Config, environ: Mapping[str, str], clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep) -> tuple[ProgramTables, list[Usage]]:
    """A configuration's store as whole tables (`migrate`), and the usage of its remote client if any."""
    spec = airtable_spec(config)
    if config.backend == "airtable":
        from .adapters.airtable.program_tables import AirtableProgramTables

        client = airtable_client(config, environ, clock, sleep)
        return AirtableProgramTables(client, spec, store_id(config)), [client.usage]
    from .adapters.csv.program_tables import CsvProgramTables

    d = config.local_dir
    files = {"ambassadors": d / config.ambassadors.file, "blog_reviews": d / config.blog_reviews.file,
             "referral_inquiries": d / config.referrals.file, "funding_requests": d / config.funding.file,
             "conduct_register": d / config.conduct.file, "event_attendees": d / config.certificates.attendees_dir}
    return CsvProgramTables(d, files, spec, config.program.tz, store_id(config), config.ambassadors.date_order), []


def migration(dest: Path, source: Path, dry_run: bool, environ: Mapping[str, str] | None = None,
              clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> Migration:
    """Both sides of `migrate --from SOURCE` run with the configuration DEST. The source's relative paths are read
    from its own folder."""
    environ = os.environ if environ is None else environ
    there, here = load_config(source), load_config(dest)  # dest last: its file modes are the ones kept
    src, src_usage = program_tables(there, environ, clock, sleep)
    dst, dst_usage = program_tables(here, environ, clock, sleep)
    files = [(there.local_dir / there.referrals.answers_file, here.local_dir / here.referrals.answers_file,
              "the referral answers' download")]
    if there.checkin_form.source == "local" and here.checkin_form.source == "local":
        files.append((there.local_dir / there.checkin_form.file, here.local_dir / here.checkin_form.file,
                      "the check-in responses' download"))
    if there.checkin_form.source == "forms" and here.checkin_form.source == "forms":
        files.append((there.local_dir / "form_questions.json", here.local_dir / "form_questions.json",
                      "the check-in form's question ids"))
    files.append((there.local_dir / ".privacy_key", here.local_dir / ".privacy_key", "the privacy key"))
    same_folder = there.local_dir.resolve() == here.local_dir.resolve()
    return Migration(src, dst, Path(source), tuple(a.casefold() for a in there.conduct.readers),
                     tuple(a.casefold() for a in here.conduct.readers), files,
                     SqliteWorkCache(here.local_dir / ".migrate.sqlite3", read_only=dry_run),
                     here.local_dir / MIGRATING, None if same_folder else run_lock(there), src_usage + dst_usage,
                     there.ambassadors.words, here.ambassadors.words)
