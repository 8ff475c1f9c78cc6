"""Deadlines a message puts in its reader's calendar: what they are, their identity and their revision. Pure.

A planner gives a message the `Deadline`s it announces (`PlannedMessage.deadlines`); the mail shell turns them
into `CalendarEntry`s (a UID and a SEQUENCE) and a calendar renderer into an RFC 5545 file sent with the message.

Identity (the UID, `<ident>@<the sender's domain>`) comes from business identity, never from a date, so that a
deadline that moves is the same entry, updated, in the reader's calendar; and never holds an address or a name
(a digest at most, of the kind the ledger's keys and Message-IDs already hold):

- `checkin-close-<quarter>`: the check-in window's close, the same day for everyone, so no person in it;
- `funding-event-<digest>` and `funding-invoice-<digest>`: a funding request's event day and the day its invoice
  and evidence are due, the digest of the ambassador's address and what is asked for (not the event's date:
  a request whose event moves is the same request to the ambassador); a second request of one ambassador for
  the same thing (another month's meetup) adds the day it was asked, else its event's day
  (`funding.calendar_requests`), so the two are two entries;
- `referral-answer-<inquiry digest>`: the last day to answer an offer of the inquiry (each candidate's calendar
  holds its own; the candidate is not in it);
- `blog-<stage>-<proposal digest>`: the day a blog proposal's stage is due (its stage's `stale_days`).

Revision (the SEQUENCE) needs memory of the dates already sent: before a message carrying a deadline goes, the
ledger records `calendar:<uid>:<day>:<sequence>` (`memory_key`; its reference is the Message-ID of the message
that carries it). A deadline sent again with the date last sent keeps that SEQUENCE; with any other date (a new
one, or an earlier one again) it gets one more than the highest sent (`sequence`), so a calendar replaces its
entry instead of adding one.

Words (a summary, a description) are kept as `Text`: the catalogs' message id, in the program's English, with its
parameters, never as final text; the mail shell writes them in the language of the message that carries them,
the one its templates are rendered in (`mail.calendar`), so the entry in a Portuguese ambassador's calendar is in
Portuguese. The message ids are listed in `templates/emails/_calendar.txt`, where `pybabel extract` finds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from .values import normalize_email, normalize_title, shown, stable_digest

#: The ledger's job for the memory of the dates a deadline went with.
CALENDAR_JOB = "calendar"
_PREFIX = CALENDAR_JOB + ":"
#: The longest summary a calendar entry carries (a person's title in it is cut, ending in "…").
SUMMARY_LIMIT = 160

CHECKIN_CLOSE, FUNDING_EVENT, FUNDING_INVOICE, REFERRAL_ANSWER, BLOG_DUE = (
    "checkin-close", "funding-event", "funding-invoice", "referral-answer", "blog-due")


@dataclass(frozen=True)
class Text:
    """Words for the reader, not yet in their language: `msgid`, a message of the catalogs (the program's English,
    with `%(name)s` placeholders), and its named parameters. A parameter is shown as it is (a `str`: a person's
    title, a quarter, an offer's code), written as the reader's language writes a day (a `date`), or is the
    program's own words (a `Text`, put in the language in turn: a blog stage, what a referral asks for)."""

    msgid: str
    params: tuple[tuple[str, str | date | Text], ...] = ()

    @property
    def english(self) -> str:
        """The words in the program's English, days as ISO dates (what a log or a test reads; never the mail)."""
        values = {k: v.english if isinstance(v, Text) else v.isoformat() if isinstance(v, date) else v
                  for k, v in self.params}
        return self.msgid % values if values else self.msgid


def text(msgid: str, **params: str | date | Text) -> Text:
    """`Text(msgid, params)`, the parameters in name order (so equal words are equal `Text`s)."""
    return Text(msgid, tuple(sorted(params.items())))


@dataclass(frozen=True)
class Deadline:
    """One day an ambassador must remember. `kind` names it (and its file, `<kind>.ics`); `ident` is its UID's
    part before the `@`; a deadline closes at the end of `day` in the program's time zone, an event (`all_day`)
    takes the whole day. `alarm_days`: reminders that many days before, in the morning."""

    kind: str
    ident: str
    day: date
    summary: Text
    description: Text = Text("")
    link: str = ""  # what the reader opens to act (the form, the offer's answer, the review document)
    all_day: bool = False
    alarm_days: tuple[int, ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.kind}.ics"


@dataclass(frozen=True)
class CalendarEntry:
    """A deadline as a calendar holds it: its UID and its SEQUENCE (its revision), and its words in the language of
    the message that carries it: `summary` (also what its alarms say) and `description`."""

    uid: str
    sequence: int
    deadline: Deadline
    summary: str
    description: str = ""


def uid(deadline: Deadline, domain: str) -> str:
    return f"{deadline.ident}@{domain}"


def memory_key(entry_uid: str, day: date, seq: int) -> str:
    """The ledger key that remembers a deadline went with this date and this SEQUENCE."""
    return f"{_PREFIX}{entry_uid}:{day.isoformat()}:{seq}"


def remembered(keys: Iterable[str]) -> dict[str, dict[date, int]]:
    """The dates each UID went with, each with the highest SEQUENCE it went with, from the ledger's keys; keys of
    other jobs, and any of a shape the program does not write, are left aside."""
    out: dict[str, dict[date, int]] = {}
    for key in keys:
        if not key.startswith(_PREFIX):
            continue
        parts = key[len(_PREFIX):].rsplit(":", 2)
        if len(parts) != 3 or not parts[0] or not parts[2].isascii() or not parts[2].isdigit():
            continue
        try:
            when = date.fromisoformat(parts[1])
        except ValueError:
            continue
        sent = out.setdefault(parts[0], {})
        sent[when] = max(sent.get(when, 0), int(parts[2]))
    return out


def sequence(day: date, sent: Mapping[date, int]) -> int:
    """The SEQUENCE of a deadline on `day`, given the dates it went with (`sent`, each with its SEQUENCE): 0 the
    first time; the same as last time while the date stays; one more than the highest when the date moves
    (back to an earlier date too: a calendar applies only a higher SEQUENCE)."""
    if not sent:
        return 0
    top = max(sent.values())
    return top if sent.get(day) == top else top + 1


def _title(text: str) -> str:
    """A person's title for a summary: one line, nothing invisible, not past `SUMMARY_LIMIT` with what is around."""
    text = shown(text)
    limit = SUMMARY_LIMIT - 40
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def checkin_close(quarter: str, closes: date, form_link: str) -> Deadline:
    """The check-in window's close: the last day a response still counts for the quarter."""
    return Deadline(
        CHECKIN_CLOSE, f"{CHECKIN_CLOSE}-{quarter.lower()}", closes, text("Check-in for %(quarter)s closes", quarter=quarter),
        text("The last day to report your %(quarter)s activities in the quarterly check-in form. Responses that arrive "
             "after this day no longer count for %(quarter)s.", quarter=quarter), link=form_link, alarm_days=(2, 1))


def _funding_ident(ambassador: str, what: str, request: str = "") -> str:
    """The digest of a funding request's entries. `request` tells apart requests of one ambassador for the same
    thing (a monthly meetup's pizza): empty for the first of them (its UID is the one it always had), else what
    the planner chose to tell the others apart (`funding.calendar_requests`)."""
    if not request:
        return stable_digest("funding", normalize_email(ambassador), normalize_title(what), length=12)
    return stable_digest("funding", normalize_email(ambassador), normalize_title(what), request, length=12)


def funding_event(ambassador: str, what: str, event_day: date, request: str = "") -> Deadline:
    """A funding request's event, a whole day (the request's time is not known)."""
    return Deadline(
        FUNDING_EVENT, f"{FUNDING_EVENT}-{_funding_ident(ambassador, what, request)}", event_day,
        text("Event with funding requested: %(title)s", title=_title(what)),
        text("The event your funding request is for. Keep the invoice and evidence that the items were used at the "
             "event: no invoice, no reimbursement."), all_day=True)


def funding_invoice(ambassador: str, what: str, due: date, request: str = "") -> Deadline:
    """The day a funded event's invoice and evidence are due: the day of the last reminder."""
    return Deadline(
        FUNDING_INVOICE, f"{FUNDING_INVOICE}-{_funding_ident(ambassador, what, request)}", due,
        text("Invoice and evidence due: %(title)s", title=_title(what)),
        text("Send the invoice, and evidence that the items were used at the event, by replying to the reminder: "
             "no invoice, no reimbursement."), alarm_days=(2,))


def referral_answer(inquiry: str, code: str, answer_by: date, need: str, where: str, link: str) -> Deadline:
    """The last day to answer a referral offer (it passes to the next candidate the day after). The UID is the
    inquiry's, not the offer's: no candidate's code is kept in the ledger's memory (`erase` keeps none). `need` is
    the program's word for what is asked for (translated); `where`, the region and country, shown as they are."""
    place = _title(where)
    tail = " Say yes or no by this day; after it the offer passes to the next ambassador."
    about = text("An organization in %(where)s asks for %(need)s." + tail, where=place, need=Text(_title(need))) \
        if place else text("An organization in your area asks for %(need)s." + tail, need=Text(_title(need)))
    return Deadline(
        REFERRAL_ANSWER, f"{REFERRAL_ANSWER}-{inquiry.removeprefix('inq-')}", answer_by,
        text("Answer the referral offer %(code)s", code=code), about, link=link, alarm_days=(1,))


def blog_due(proposal_key: str, stage: str, stage_label: str, due: date, title: str, link: str) -> Deadline:
    """The day a blog proposal's stage is due: after it, whoever holds the stage is nudged. `stage_label` is the
    program's word for the stage (translated); `title`, the proposal's, shown as it is."""
    label = Text(stage_label)
    return Deadline(
        BLOG_DUE, f"blog-{stage.replace('_', '-')}-{proposal_key.removeprefix('blog-')}", due,
        text("Blog post, %(stage)s stage due: %(title)s", stage=label, title=_title(title)),
        text("The %(stage)s stage of the blog post is due on this day. The review document:", stage=label),
        link=link, alarm_days=(1,))
