"""The mail settings the jobs read and the mail transport: Gmail, the outbox folder or an SMTP server."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from ..adapters.google.access import GoogleAccess
from ..adapters.google.gmail_mailer import GmailMailer
from ..adapters.outbox import OutboxMailer
from ..adapters.smtp import SmtpMailer
from ..config import Config
from ..context import MailSettings
from ..ports import Mailer


def mail_settings(config: Config, environ: Mapping[str, str]) -> MailSettings:
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


def transport(config: Config, google: GoogleAccess, environ: Mapping[str, str], as_of: date) -> Mailer:
    """The mail transport `mail.transport` names: Gmail's API, the outbox folder (a folder of the day's messages)
    or an SMTP server. Nothing connects here."""
    m = config.mail
    if m.transport == "gmail":
        mailer: Mailer = GmailMailer(google, m.from_address)
    else:
        mailer = (OutboxMailer(config.path(m.outbox_dir), as_of.isoformat()) if m.transport == "outbox" else
                  SmtpMailer(smtp_settings(config), environ, m.from_address))
    return mailer
