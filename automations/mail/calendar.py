"""A message's deadlines as a calendar file attached to it, and the ledger's memory of the dates they went with.

`attach` gives every planned message not sent yet that announces deadlines (`PlannedMessage.deadlines`) one
`.ics` attachment: each deadline with its UID and the SEQUENCE the ledger's memory calls for
(`domain.calendar.sequence`), stamped with the run's day (DTSTAMP), so the same plan on the same day gives the
same bytes. Its key is unchanged: a calendar file is no part of a message's identity. `remember` records each
deadline's date and SEQUENCE in the ledger (`calendar:<uid>:<day>:<sequence>`, job `calendar`, no recipient, the
Message-ID of the message that carries it as its reference), the memory the next SEQUENCE is read from on every
backend. It does so under the send lock, before the messages go: a run stopped or crashed after sending can only
have remembered more than went, so a SEQUENCE never goes back (a gap in SEQUENCEs is harmless), and a message
that failed goes again with the same file. A dry run records nothing.

Each entry's words (its summary, which its alarms say too, and its description) are written in the language the
message's templates are rendered in (`TemplateRenderer.language_of`: the same choice, so a Portuguese message
carries a Portuguese entry), from the same catalogs, its days written with the same Babel formats (`words`). A
catalog's translation whose placeholders do not fit its message id gives the English words, never a failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from ..domain.calendar import CALENDAR_JOB, CalendarEntry, Deadline, Text, memory_key, remembered, sequence, uid
from ..domain.messages import Attachment, PlannedMessage
from ..effects import SENT
from ..ports import CalendarRenderer, Ledger, LedgerEntry, SendLock
from .catalogs import Localizer
from .message import message_id
from .templates import TemplateRenderer


@dataclass
class Calendars:
    """The planned messages, those with deadlines carrying their calendar file, and each one's entries by key."""

    messages: list[PlannedMessage]
    entries: dict[str, tuple[CalendarEntry, ...]] = field(default_factory=dict)


def _memory(entries: Mapping[str, LedgerEntry]) -> dict[str, dict[date, int]]:
    return remembered(k for k, e in entries.items() if e.job == CALENDAR_JOB and e.status == SENT)


def words(t: Text, language: Localizer) -> str:
    """`t` in `language`: its message id as the catalog translates it, each parameter put in: a day as the language
    writes it (`| date`), the program's words translated in turn, anything else as it is."""
    if not t.msgid:
        return ""  # gettext("") would be the catalog's header
    values = {k: words(v, language) if isinstance(v, Text) else language.date(v) if isinstance(v, date) else str(v)
              for k, v in t.params}
    translated = language.gettext(t.msgid)
    if not values:
        return translated
    try:
        return translated % values
    except (KeyError, ValueError, TypeError):  # a translation naming a placeholder its message id has not
        return t.msgid % values


def entry(d: Deadline, entry_uid: str, seq: int, language: Localizer) -> CalendarEntry:
    """A deadline as the reader's calendar holds it, its words in `language`."""
    return CalendarEntry(entry_uid, seq, d, words(d.summary, language), words(d.description, language))


def attach(planned: Sequence[PlannedMessage], *, ledger: Ledger, renderer: CalendarRenderer, domain: str,
           day: date, templates: TemplateRenderer) -> Calendars:
    """Each message with deadlines, not sent yet, with its calendar file, its words in the language `templates`
    renders the message in (see the module docstring)."""
    if not any(p.deadlines for p in planned):
        return Calendars(list(planned))
    ledger_entries = ledger.entries()
    sent = {k for k, e in ledger_entries.items() if e.status == SENT}
    memory = _memory(ledger_entries)
    stamp = datetime.combine(day, time(0), UTC)
    out = Calendars([])
    for p in planned:
        if not p.deadlines or p.key in sent or any(k in sent for k in p.former_keys):
            out.messages.append(p)  # a message that went is dropped by delivery: no file drawn for it
            continue
        language = templates.localizer(templates.language_of(p))
        entries = tuple(entry(d, u, sequence(d.day, memory.get(u, {})), language)
                        for d in p.deadlines for u in (uid(d, domain),))
        ics = Attachment(p.deadlines[0].filename, renderer.content_type, renderer.render(entries, stamp))
        out.messages.append(replace(p, attachments=(*p.attachments, ics)))
        out.entries[p.key] = entries
    return out


def remember(calendars: Calendars, *, ledger: Ledger, lock: SendLock, domain: str, at: datetime) -> int:
    """Record the date and SEQUENCE of each deadline the messages carry, once (see the module docstring); how many
    steps were recorded."""
    stamp = at.isoformat(timespec="seconds")
    steps: dict[str, LedgerEntry] = {}
    for key, entries in calendars.entries.items():
        for e in entries:
            name = memory_key(e.uid, e.deadline.day, e.sequence)
            steps.setdefault(name, LedgerEntry(name, CALENDAR_JOB, "", SENT, 1, "", message_id(key, domain), stamp))
    if not steps.keys() - ledger.entries().keys():
        return 0
    with lock.hold() as others_ran:
        if others_ran:
            ledger.refresh()
        known = ledger.entries()
        new = [step for name, step in steps.items() if name not in known]
        if new:
            with ledger.batch():
                for step in new:
                    ledger.record(step)
    return len(new)
