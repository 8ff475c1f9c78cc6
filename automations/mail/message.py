"""A planned message, and how it becomes an RFC 5322 email with the headers the contract names.

`PlannedMessage` is plain data built by the pure planners in `domain.messages`; `compose` turns
a rendered message into an `EmailMessage` (text and HTML alternatives, then any attachment, such
as a certificate's PDF, in a multipart/mixed message). Display names are cleaned of line breaks and other
control characters, so a name can never add a header.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime

from ..domain.messages import PlannedMessage

# Keys are long words with no spaces: fold headers only past RFC 5322's hard limit, so that
# X-Automation-Key arrives as one unbroken value.
_WIRE = policy.SMTP.clone(max_line_length=998)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True)
class Rendered:
    planned: PlannedMessage
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Outgoing:
    """A message ready for a transport: composed once, before anything is sent."""

    key: str
    to_addr: str
    data: bytes  # RFC 5322, CRLF line endings
    html: str
    attachments: tuple = ()  # the message's `Attachment`s, also inside `data` (the outbox shows them beside it)


def clean_name(name: str) -> str:
    """A display name that cannot break out of its header."""
    return _CONTROL.sub(" ", name).strip()


def valid_address(address: str) -> bool:
    return bool(_ADDRESS.fullmatch(address)) and len(address) <= 254


def message_id(key: str, domain: str) -> str:
    """A Message-ID derived from the key: a resend after a crash carries the same one."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


@dataclass(frozen=True)
class Sender:
    from_address: str
    from_name: str
    reply_to: str

    @property
    def domain(self) -> str:
        return self.from_address.rsplit("@", 1)[-1]


def compose(rendered: Rendered, sender: Sender, sent_at: datetime) -> Outgoing:
    p = rendered.planned
    msg = EmailMessage()
    msg["From"] = Address(clean_name(sender.from_name), addr_spec=sender.from_address)
    msg["To"] = Address(clean_name(p.to_name), addr_spec=p.to_email)
    msg["Reply-To"] = sender.reply_to
    msg["Subject"] = clean_name(rendered.subject)
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = message_id(p.key, sender.domain)
    msg["X-Automation-Job"] = p.job
    msg["X-Automation-Key"] = p.key
    if not p.obligation:
        msg["List-Unsubscribe"] = f"<mailto:{sender.reply_to}?subject=unsubscribe%20{p.job}>"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    for a in p.attachments:  # the body becomes the first part of a multipart/mixed message
        maintype, _, subtype = a.content_type.partition("/")
        msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
    return Outgoing(p.key, p.to_email, msg.as_bytes(policy=_WIRE), rendered.html, tuple(p.attachments))
