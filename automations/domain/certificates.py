"""Which certificates are due on a given day, for whom, with what on them. Pure planning.

- **A year of service**: on each anniversary of an active ambassador's start date (a 29 February
  start has it on 28 February; a rejoiner's new start date starts the count again), one certificate
  naming the years served, keyed `certificate_yearly:<email>:<start date>:y<years>`. It is due from
  the anniversary for `freshness_days` days: a first run on an old program does not send everyone
  the certificates of years gone by, and a run missed for a few days still sends it.
- **An event attended**: one certificate per attendee of a sprint or workshop on the attendee list,
  keyed `certificate_event:<event>:<email>`, due for `freshness_days` days after the event's date.

The certificate itself (a PDF) is drawn by a `CertificateRenderer` adapter; its mail is a
`PlannedMessage` with the PDF attached, so the mail ledger sends each key once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from .compliance import anniversary
from .model import Ambassador
from .values import capped_name, shown, stable_digest

YEARLY, EVENT = "certificate_yearly", "certificate_event"


@dataclass(frozen=True)
class Attendee:
    """One line of an event's attendee list."""

    event: str  # the event's id: the list's file name (local) or the Event field (Airtable)
    event_name: str  # as shown on the certificate
    event_date: date
    name: str
    email: str  # normalized: stripped and lower-cased
    row: int
    source: str  # where it was read, for a data problem


@dataclass(frozen=True)
class Certificate:
    """What one certificate says, and the key its mail goes under."""

    key: str
    kind: str  # YEARLY or EVENT: also the message's job and template
    email: str
    name: str
    title: str  # "Certificate of Service" / "Certificate of Attendance"
    statement: str  # the line under the name
    day: date  # the date printed on it: the anniversary or the event's date
    years: int = 0
    event: str = ""
    event_name: str = ""
    language: str = "en"
    languages: tuple[str, ...] = ()  # the person's languages (the roster's), which choose the CJK font's face
    verify_url: str = ""  # where its credential is verified (certificates.verify_base_url): a QR code on it; "" none

    @property
    def filename(self) -> str:
        """The PDF's name: readable, at most `FILENAME_BYTES` (a long event and a long name are cut, with a
        digest of the whole so that it stays theirs)."""
        what = f"{self.years}-year{'s' if self.years != 1 else ''}" if self.kind == YEARLY else \
            _slug(self.event, None) or "event"
        return capped_name(f"certificate-{what}-{_slug(self.name, None) or 'ambassador'}", ".pdf", FILENAME_BYTES)


#: The most bytes a certificate's file name takes: it is also part of the outbox's file name for it.
FILENAME_BYTES = 80


def _slug(text: str, length: int | None = 60) -> str:
    """ASCII letters, digits and dashes, for a file name mail programs show well everywhere."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()[:length]


def event_id(name: str, day: date) -> str:
    """An event's identity in keys: its date and its name as a slug (`2026-11-14-mautic-sprint-berlin`),
    the same from a CSV list and from the Airtable table."""
    return f"{day.isoformat()}-{_slug(name) or stable_digest(name, length=10)}"


def years_word(years: int) -> str:
    return "one year" if years == 1 else f"{years} years"


def yearly_due(amb: Ambassador, as_of: date, freshness_days: int) -> int:
    """The years of service whose certificate is due on `as_of` (0: none): the latest anniversary on or
    before `as_of`, if it is at most `freshness_days` old. Only active ambassadors get one."""
    if amb.status != "active" or amb.start_date > as_of:
        return 0
    years = as_of.year - amb.start_date.year
    while years > 0 and anniversary(amb.start_date, years) > as_of:
        years -= 1
    if years < 1 or (as_of - anniversary(amb.start_date, years)).days > freshness_days:
        return 0
    return years


def plan_yearly(roster: Sequence[Ambassador], as_of: date, freshness_days: int, program: str) -> list[Certificate]:
    out = []
    for amb in roster:
        years = yearly_due(amb, as_of, freshness_days)
        if not years:
            continue
        out.append(Certificate(
            key=f"{YEARLY}:{amb.email}:{amb.start_date.isoformat()}:y{years}", kind=YEARLY, email=amb.email,
            name=shown(amb.name) or amb.email, title="Certificate of Service",
            statement=f"for {years_word(years)} of service as an ambassador of the {program}",
            day=anniversary(amb.start_date, years), years=years,
            language=amb.languages[0] if amb.languages else "en", languages=tuple(amb.languages)))
    return out


def plan_events(attendees: Sequence[Attendee], as_of: date, freshness_days: int,
                languages: Mapping[str, tuple[str, ...]] | None = None) -> list[Certificate]:
    """One certificate per attendee and event (the first line wins when someone is listed twice), for
    events that took place on or before `as_of` and at most `freshness_days` ago. An attendee who is on
    the roster (`languages`: the roster's languages by email) has their languages on the certificate."""
    out, seen = [], set()
    for a in attendees:
        key = f"{EVENT}:{a.event}:{a.email}"
        if key in seen or not (0 <= (as_of - a.event_date).days <= freshness_days):
            continue
        seen.add(key)
        out.append(Certificate(
            key=key, kind=EVENT, email=a.email, name=shown(a.name) or a.email, title="Certificate of Attendance",
            statement=f"for taking part in {shown(a.event_name)}", day=a.event_date, event=a.event,
            event_name=shown(a.event_name), languages=(languages or {}).get(a.email, ())))
    return out


def unprintable(cert: Certificate, covered: Callable[[str], bool]) -> str:
    """Why the certificate cannot be drawn as it should ("" if it can): the name holds characters none
    of the certificate fonts covers, which would print as empty boxes. It is then not sent (a failure
    of this run, exit 1) and is tried again by every later run, until the name is corrected or a font
    covering it is added."""
    missing = sorted({c for c in cert.name if not c.isspace() and not covered(c)})
    if not missing:
        return ""
    shown = " ".join(f"U+{ord(c):04X}" for c in missing[:8])
    return f"the certificate fonts cannot draw {shown} in the name {cert.name!r}; not sent"
