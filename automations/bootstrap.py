"""The one place that turns configuration into concrete adapters and rule objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import os
from pathlib import Path

from .adapters.local_csv import LocalCsvFiles
from .config import Config
from .domain.messages import Schedule
from .mail.ledger import CsvLedger, Ledger
from .mail.message import Sender
from .mail.templates import TemplateRenderer
from .mail.transports import Mailer, build_mailer
from .domain.checkins import FormLayout, RosterLayout
from .domain.compliance import Rules
from .errors import ConfigError


@dataclass
class Context:
    """Everything a job needs for one run: settings, the run's date, and the adapters."""

    config: Config
    as_of: date
    dry_run: bool
    files: LocalCsvFiles
    rules: Rules
    form: FormLayout
    roster: RosterLayout

    # -- mail, built only when a mail job asks -----------------------------------------------
    def renderer(self) -> TemplateRenderer:
        c = self.config
        return TemplateRenderer(c.path(c.mail.templates_dir), common={
            "program_name": c.program.name, "support_email": c.program.support_email,
            "lead_name": c.program.lead_name})

    def ledger(self) -> Ledger:
        return CsvLedger(self.config.local_dir / "mail_ledger.csv")

    @property
    def lock_path(self) -> Path:
        return self.config.local_dir / ".mail.lock"

    def sender(self) -> Sender:
        m = self.config.mail
        return Sender(m.from_address, m.from_name, self.config.program.support_email)

    def mailer(self) -> Mailer:
        """The configured transport, built but not connected (a bad setting stops the run here)."""
        m = self.config.mail
        return build_mailer(m.transport, self.config.path(m.outbox_dir), self.as_of.isoformat(), m.smtp,
                            m.from_address, os.environ)

    def schedule(self) -> Schedule:
        r = self.config.reminders
        return Schedule(r.invite_days_after_end, tuple(r.reminder_days_before_close), r.receipt_max_age_days,
                        r.notice_max_age_days, r.digest_weekday)


def rules_from(config: Config) -> Rules:
    p = config.program
    fields = {kind: tuple(tuple(spec.split("|")) for spec in specs) for kind, specs in p.full_report_fields.items()}
    return Rules(tz=p.tz, min_full_reports=p.min_full_reports, window_days=p.checkin_window_days,
                 late_joiner_fraction=p.late_joiner_fraction, full_report_fields=fields)


def form_layout(config: Config, source: str) -> FormLayout:
    f = config.checkin_form
    return FormLayout(
        source=source, timestamp=f.columns.timestamp, email=f.columns.email, quarter=f.columns.quarter,
        sections=f.activity_sections, activity_columns=dict(f.activity_columns), kinds=dict(f.activity_kinds),
        timestamp_formats=tuple(f.timestamp_formats), date_formats=tuple(f.date_formats),
        sheet_tz=config.sheet_tz, program_tz=config.program.tz,
    )


def build(config: Config, as_of: date, dry_run: bool) -> Context:
    if config.backend != "local":
        raise ConfigError(f"backend '{config.backend}' is not available in this version yet: "
                          f"set 'backend: local' in config.yaml.")
    files = LocalCsvFiles(config.local_dir, config.ambassadors.file, config.checkin_form.file)
    return Context(
        config=config, as_of=as_of, dry_run=dry_run, files=files, rules=rules_from(config),
        form=form_layout(config, files.responses_path.name),
        roster=RosterLayout(files.roster_path.name, dict(config.ambassadors.fields)),
    )
