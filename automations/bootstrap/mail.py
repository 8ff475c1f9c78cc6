"""The mail settings the jobs read and the mail transport: Gmail, the outbox folder or an SMTP server, each
signing with the DKIM key from the environment when `mail.dkim_selector` is set."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from ..adapters.google.access import GoogleAccess
from ..adapters.google.gmail_mailer import GmailMailer
from ..adapters.outbox import OutboxMailer
from ..adapters.smtp import SmtpMailer
from ..config import Config
from ..context import MailSettings
from ..mail.dkim import DkimSigner
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


def dkim_signer(config: Config, environ: Mapping[str, str]) -> DkimSigner | None:
    """The DKIM signer `mail.dkim_selector` asks for (None without one), its key the value of the environment
    variable `mail.dkim_private_key_env` names. The key is read when first used (`DkimSigner.ready`)."""
    m = config.mail
    if not m.dkim_selector:
        return None
    return DkimSigner(m.dkim_selector, m.dkim_signing_domain, environ.get(m.dkim_private_key_env, ""),
                      m.dkim_private_key_env)


def transport(config: Config, google: GoogleAccess, environ: Mapping[str, str], as_of: date,
              signer: DkimSigner | None = None) -> Mailer:
    """The mail transport `mail.transport` names: Gmail's API, the outbox folder (a folder of the day's messages)
    or an SMTP server, each signing what it sends with `signer` when there is one. Nothing connects here."""
    m = config.mail
    if m.transport == "gmail":
        mailer: Mailer = GmailMailer(google, m.from_address, signer=signer)
    else:
        mailer = (OutboxMailer(config.path(m.outbox_dir), as_of.isoformat(), signer=signer)
                  if m.transport == "outbox" else
                  SmtpMailer(smtp_settings(config), environ, m.from_address, signer=signer))
    return mailer
