"""A planned message, and how it becomes an RFC 5322 email with the headers the contract names.

`PlannedMessage` is plain data built by the pure planners in `domain.messages`; `compose` turns
a rendered message into an `EmailMessage` (text and HTML alternatives, then any attachment, such
as a certificate's PDF, in a multipart/mixed message).

A person's text never becomes a header of its own: every display name and the subject lose line breaks,
control characters, bidi overrides and isolates and zero-width characters (`domain.values.HIDDEN`), and
every `=?` is written `= ?`, so nothing in it reads as an RFC 2047 encoded word (Python's email package
decodes those while it parses and folds a header, line breaks and all). Then the composed bytes are
parsed back: a message holding a header, a recipient or a header value other than the ones set here is
refused (`ForgedHeader`), that message fails and the rest go.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from ..domain.messages import PlannedMessage
from ..domain.values import HIDDEN

# Keys are long words with no spaces: fold headers only past RFC 5322's hard limit, so that
# X-Automation-Key arrives as one unbroken value.
_WIRE = policy.SMTP.clone(max_line_length=998)
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # what stands for a space (a line break, a tab)
_ENCODED_WORD = re.compile(r"=(?=\?)")  # every "=?": where an RFC 2047 encoded word would start
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True)
class Rendered:
    planned: PlannedMessage
    subject: str
    text: str
    html: str
    language: str = "en"  # the language the text is written in (the HTML's `lang`)


@dataclass(frozen=True)
class Outgoing:
    """A message ready for a transport: composed once, before anything is sent."""

    key: str
    to_addr: str
    data: bytes  # RFC 5322, CRLF line endings
    html: str
    attachments: tuple = ()  # the message's `Attachment`s, also inside `data` (the outbox shows them beside it)


class ForgedHeader(ValueError):
    """The composed message does not hold exactly the headers and recipients `compose` set."""


#: The longest display name or subject a header carries (characters; a longer one is cut, ending in "…"). Python's
#: email package folds a long non-ASCII header in time that grows with the square of its length (2,000 CJK
#: characters: seconds); the message's body still carries the whole text.
HEADER_TEXT_LIMIT = 256


def clean_name(name: str) -> str:
    """A person's text as a display name or subject that cannot break out of its header, whatever its
    encoding: line breaks and controls become spaces, invisible format characters (bidi overrides and
    isolates, zero-width characters) go, spacing is collapsed, a text past `HEADER_TEXT_LIMIT` is cut, and
    `=?` is written `= ?` so that no part of it is an RFC 2047 encoded word for the email package (or a mail
    program) to decode."""
    text = " ".join(HIDDEN.sub("", _BREAKS.sub(" ", name)).split())
    if len(text) > HEADER_TEXT_LIMIT:
        text = text[:HEADER_TEXT_LIMIT - 1].rstrip() + "…"
    return _ENCODED_WORD.sub("= ", text)


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


#: The headers of the message itself, and of each of its MIME parts: nothing else may be in them.
_TOP = frozenset({"from", "to", "reply-to", "subject", "date", "message-id", "x-automation-job", "x-automation-key",
                  "list-unsubscribe", "mime-version", "content-type", "content-transfer-encoding"})
_PART = frozenset({"content-type", "content-transfer-encoding", "content-disposition", "mime-version"})


def _same(a: str, b: str) -> bool:
    """The same text but for spacing: folding a very long header in encoded words may add a space where it
    splits a word; decoding an encoded word changes the text itself."""
    return "".join(str(a).split()) == "".join(str(b).split())


def check_composed(data: bytes, *, to_name: str, to_addr: str, subject: str, sender: Sender,
                   exact: dict[str, str] | None = None) -> None:
    """Parse `data` back as a receiving mail program would and raise ForgedHeader unless it holds exactly
    the headers set (each once), the one recipient, the sender, the display names and subject as set, and
    each header of `exact` with its value as set (the job and the key)."""
    msg = message_from_bytes(data, policy=policy.default)
    names = [k.lower() for k in msg]
    extra = sorted(set(names) - _TOP) or sorted({n for n in names if names.count(n) > 1})
    if extra:
        raise ForgedHeader(f"the composed message holds a header it was not given ({', '.join(extra)})")
    for part in msg.walk():
        if part is not msg and (odd := sorted({k.lower() for k in part} - _PART)):
            raise ForgedHeader(f"a part of the composed message holds a header it was not given ({', '.join(odd)})")
    try:
        to, frm, reply = msg["To"].addresses, msg["From"].addresses, msg["Reply-To"].addresses
        seen_subject = str(msg["Subject"])
    except (AttributeError, IndexError, ValueError, TypeError) as exc:
        raise ForgedHeader(f"the composed message's headers do not read back ({type(exc).__name__})") from None
    if [a.addr_spec.lower() for a in to] != [to_addr.lower()] or not _same(to[0].display_name, to_name):
        raise ForgedHeader("the composed message's To is not the one recipient it was given")
    if [a.addr_spec.lower() for a in frm] != [sender.from_address.lower()] or \
            [a.addr_spec.lower() for a in reply] != [sender.reply_to.lower()]:
        raise ForgedHeader("the composed message's From or Reply-To is not the one it was given")
    if not _same(seen_subject, subject):
        raise ForgedHeader("the composed message's Subject does not read back as it was given")
    for name, value in (exact or {}).items():
        if str(msg[name]) != value:
            raise ForgedHeader(f"the composed message's {name} does not read back as it was given")


def compose(rendered: Rendered, sender: Sender, sent_at: datetime) -> Outgoing:
    p = rendered.planned
    msg = EmailMessage()
    to_name, subject = clean_name(p.to_name), clean_name(rendered.subject)
    msg["From"] = Address(clean_name(sender.from_name), addr_spec=sender.from_address)
    msg["To"] = Address(to_name, addr_spec=p.to_email)
    msg["Reply-To"] = sender.reply_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = message_id(p.key, sender.domain)
    msg["X-Automation-Job"] = p.job
    msg["X-Automation-Key"] = p.key
    if not p.obligation:
        msg["List-Unsubscribe"] = f"<mailto:{sender.reply_to}?subject=unsubscribe%20{p.job}>"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    for a in p.attachments:  # the body becomes the first part of a multipart/mixed message
        kind, *more = a.content_type.split(";")  # "text/calendar; method=PUBLISH": the type, then its parameters
        maintype, _, subtype = kind.strip().partition("/")
        params = dict(m.strip().partition("=")[::2] for m in more)
        msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename, params=params)
    data = msg.as_bytes(policy=_WIRE)
    check_composed(data, to_name=to_name, to_addr=p.to_email, subject=subject, sender=sender,
                   exact={"X-Automation-Job": p.job, "X-Automation-Key": p.key,
                          "Message-ID": message_id(p.key, sender.domain)})
    return Outgoing(p.key, p.to_email, data, rendered.html, tuple(p.attachments))
