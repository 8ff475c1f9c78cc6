"""The `mail` section: the transport (outbox, SMTP, Gmail), the sender, staff's addresses, `mail.smtp`, and the
DKIM signature (`dkim_selector`, `dkim_domain`, `dkim_private_key_env`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .checks import Address, Strict, env_name


class SmtpConfig(Strict):
    host: str = "localhost"
    port: int = Field(587, ge=1, le=65535)
    # starttls: plain connection upgraded with STARTTLS; ssl: implicit TLS (port 465); none: loopback only.
    security: Literal["starttls", "ssl", "none"] = "starttls"
    # Names of the environment variables holding the login (never the values themselves).
    username_env: Annotated[str, env_name("SMTP_PASSWORD", required=False)] = "SMTP_USERNAME"
    password_env: Annotated[str, env_name("SMTP_PASSWORD", required=False)] = "SMTP_PASSWORD"
    timeout_seconds: float = Field(30, gt=0)
    # A CA bundle to trust for a relay with a private certificate; empty: the system's CAs.
    ca_file: str = ""
    # At most this many messages a second (0: no limit).
    rate_per_second: float = Field(5, ge=0)
    # Tries per message on a temporary failure (4xx reply or a dropped connection).
    max_attempts: int = Field(3, ge=1, le=10)
    retry_backoff_seconds: float = Field(2, ge=0)


    @model_validator(mode="after")
    def _no_cleartext_login(self) -> SmtpConfig:
        if self.security == "none" and self.host not in _LOOPBACK:
            raise ValueError(f"security 'none' sends mail and any login unencrypted: it is allowed only for a "
                             f"server on this machine (localhost), not {self.host}")
        return self


_LOOPBACK = ("localhost", "127.0.0.1", "::1")
_DNS_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def _dns_name(value: str) -> str:
    """A DKIM selector or domain: DNS labels (letters, digits, hyphens) joined by dots, or empty."""
    if value and not _DNS_NAME.match(value):
        raise ValueError(f"{value[:80]!r} is not a DNS name (letters, digits and hyphens, in labels joined by dots)")
    return value


DnsName = Annotated[str, AfterValidator(_dns_name)]


class MailConfig(Strict):
    transport: Literal["outbox", "smtp", "gmail"] = "outbox"
    outbox_dir: Path = Path("outbox")
    from_address: Address = "ambassadors@example.org"
    from_name: str = "Mautic Ambassador Program"
    # Staff who receive the digest and staff notices.
    staff_addresses: list[Address] = Field(default_factory=lambda: ["ambassador-staff@example.org"])
    templates_dir: Path = Path("templates/emails")
    smtp: SmtpConfig = SmtpConfig()
    # A second run waits this long for the first to finish sending, then stops.
    lock_timeout_seconds: float = Field(120, ge=0)
    # DKIM: with a selector, every message is signed (whatever the transport) with the PEM private key held by
    # the environment variable `dkim_private_key_env` names (never the key itself), for the public key published
    # at <selector>._domainkey.<dkim_domain> (empty domain: from_address's). `doctor` prints the record.
    dkim_selector: DnsName = ""
    dkim_domain: DnsName = ""
    dkim_private_key_env: Annotated[str, env_name("DKIM_PRIVATE_KEY")] = "DKIM_PRIVATE_KEY"

    @property
    def dkim_signing_domain(self) -> str:
        return (self.dkim_domain or self.from_address.rsplit("@", 1)[-1]).lower()
