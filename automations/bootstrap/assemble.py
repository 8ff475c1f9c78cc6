"""`build`: every adapter for one run, gathered into the run's `Context` and its bundles (stores, mail, makers,
privacy, settings)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path

from ..adapters.csv.ledger import CsvLedger
from ..adapters.erased_responses import ErasedResponses
from ..adapters.files.erase_journal import JsonErasureJournal
from ..adapters.files.personal_files import LocalPersonalFiles
from ..adapters.files.report_archive import FileReportArchive
from ..adapters.files.send_lock import FileSendLock
from ..adapters.files.sqlite_work_cache import SqliteWorkCache
from ..adapters.google.admin import GoogleAdmin
from ..adapters.google.docs_drafter import GoogleDocsDrafter
from ..adapters.google.forms_answer_source import ReferralFormBuilder
from ..adapters.google.forms_checkin_source import FormsBuilder
from ..adapters.render.html_drafter import HtmlDrafter
from ..adapters.render.ics_calendar import IcsCalendarRenderer
from ..adapters.terminal.rich_progress import NoProgress
from ..config import Config
from ..context import Context, Guards, Mail, Makers, Privacy, Settings, Stores
from ..domain.blog import BlogSettings
from ..domain.privacy import Pseudonyms, Retention
from ..effects import utc_now
from ..mail.message import Sender
from ..mail.templates import TemplateRenderer
from ..ports import Drafter, ServiceCheck, Usage
from .gates import (
    ERASING,
    failpoint,
    run_lock,
)
from .mail import dkim_signer, mail_settings, transport
from .makers import certificate_renderer, credential_signer, forum_group, report_renderers, source_reader
from .privacy import erased_addresses, privacy_key, privacy_rules
from .settings import (
    discover_settings,
    fingerprint,
    form_layout,
    forum_settings,
    funding_settings,
    prefill,
    problem_names,
    referral_settings,
    report_settings,
    rules_from,
    schedule_from,
)
from .sources import answer_source, checkin_source, form_shape, google_access, referral_form_record
from .stores import backend_stores


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
    cache = SqliteWorkCache(config.local_dir / ".work_cache.sqlite3", read_only=dry_run)
    kept = backend_stores(config, environ, clock, sleep, cache, as_of)
    if kept.usage is not None:
        usage.append(kept.usage)
    roster, reports, ledger, admin, blog = kept.roster, kept.reports, kept.ledger, kept.admin, kept.blog
    attendees, referrals, funding, conduct, personal = (kept.attendees, kept.referrals, kept.funding, kept.conduct,
                                                        kept.personal)
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
    signer = dkim_signer(config, environ)
    mailer = transport(config, google, environ, as_of, signer)
    mail = replace(mail_settings(config, environ), prefill=prefill(config))
    source_name = Path(f.file).name if f.source == "local" else checkins.where
    return Context(
        as_of=as_of, dry_run=dry_run, clock=utc_now, confirmed=confirmed, run_lock=run_lock(config),
        progress=NoProgress(), checkpoint=failpoint(environ), usage=usage,
        stores=Stores(
            roster=roster, checkins=checkins, reports=reports, ledger=ledger, admin=admin, blog=blog,
            referrals=referrals, answers=answer_source(config, google, dry_run), funding=funding, conduct=conduct,
            attendees=attendees,
            cache=cache, found=kept.found, feeds=source_reader(config, clock, sleep),
            left_behind=CsvLedger(config.local_dir / "mail_ledger.csv") if config.backend == "airtable" and
            (config.local_dir / "mail_ledger.csv").is_file() else None,
            checks=checks),
        mail=Mail(
            settings=mail,
            lock=FileSendLock(config.local_dir / ".mail.lock", m.lock_timeout_seconds),
            mailer=mailer,
            renderer=TemplateRenderer(config.path(m.templates_dir), common={
                "program_name": p.name, "support_email": p.support_email, "lead_name": p.lead_name,
                "forum_intro_url": p.forum_intro_url,
                "forum_sync": bool(config.forum.url), "funding_url": p.funding_url}),
            sender=Sender(m.from_address, m.from_name, p.support_email), signer=signer,
            calendar=IcsCalendarRenderer(config.program.timezone, p.name)),
        makers=Makers(
            drafter=drafter, certificates=certificate_renderer(config), report_renderers=report_renderers(config),
            report_archive=FileReportArchive(config.path(config.report.dir)),
            form_builder=FormsBuilder(google, form_shape(config), f"{p.name}: quarterly check-in",
                                      config.local_dir / "form_questions.json", f.form_id),
            referral_form=ReferralFormBuilder(google, f"{p.name}: referral answer", referral_form_record(config),
                                              config.referrals.answers_form_id),
            forum=forum_group(config, environ, clock, sleep), credentials=credential_signer(config, not dry_run)),
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
            problem_names=problem_names(config, source_name), discover=discover_settings(config)),
    )
