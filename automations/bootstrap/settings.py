"""The configuration read into the domain's settings: the compliance rules, the check-in form's layout, the
reminder schedule, the settings of the blog, referral, funding, forum and report jobs, the problems' source names and
the fingerprint of what sync-checkins worked out. Pure: nothing here reads the environment or builds an adapter."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from ..config import Config
from ..domain.checkins import FormLayout
from ..domain.compliance import Rules
from ..domain.discovery import DiscoverSettings, Prefill
from ..domain.forum import ForumSettings
from ..domain.funding import FundingSettings
from ..domain.messages import Schedule
from ..domain.referrals import ReferralSettings
from ..domain.report import ReportSettings
from ..domain.values import stable_digest


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
                    r.notice_max_age_days, r.digest_weekday, welcome_max_age_days=r.welcome_max_age_days,
                    at_risk_from_week=config.digest.at_risk_from_week)


def funding_settings(config: Config) -> FundingSettings:
    f = config.funding
    return FundingSettings(f.lead_days, tuple(f.large_event_keywords), f.budget_period,
                           {c: Decimal(str(v)) for c, v in f.budgets.items()}, f.budget_warning_share,
                           tuple(f.reminder_days_after_event), tuple(config.mail.staff_addresses))


def referral_settings(config: Config) -> ReferralSettings:
    r = config.referrals
    return ReferralSettings(r.answer_days, r.answer_form_url, r.prefill_code_entry, r.prefill_answer_entry,
                            tuple(config.mail.staff_addresses))


def forum_settings(config: Config) -> ForumSettings:
    f = config.forum
    return ForumSettings(group_name=f.group_name, forum_host=urlsplit(f.url).hostname or "",
                         handle_column=config.ambassadors.fields["forum_handle"],
                         keep_usernames=tuple(f.keep_usernames), max_removal_share=f.max_removal_share,
                         min_guarded_removals=f.min_guarded_removals)


def discover_settings(config: Config) -> DiscoverSettings:
    a = config.ambassadors.fields
    return DiscoverSettings(a["feeds"], a["forum_handle"], bool(config.forum.url))


def prefill(config: Config) -> Prefill:
    """The form's pre-fill parameters, with the form's label of each kind (`activity_kinds` reversed: the first
    label of a kind)."""
    f = config.checkin_form
    entries = dict(f.prefill_entries)
    if "email" not in entries and f.prefill_email_entry:
        entries["email"] = f.prefill_email_entry
    labels: dict[str, str] = {}
    for label, kind in f.activity_kinds.items():
        labels.setdefault(kind, label)
    return Prefill(f.form_url, entries if f.prefill_entries else {}, labels)


def report_settings(config: Config) -> ReportSettings:
    r = config.report
    return ReportSettings(r.quarters_shown, r.top_activities, r.min_audience, r.ambassador_table,
                          r.newsletter_highlights, r.email_staff, r.ambassador_pages)


def fingerprint(config: Config) -> str:
    """Every setting that what sync-checkins and compliance worked out depends on, as a digest."""
    f = config.checkin_form
    return stable_digest(repr(rules_from(config)), repr(form_layout(config, Path(f.file).name)), f.source,
                         repr(sorted(config.ambassadors.fields.items())), length=20)
