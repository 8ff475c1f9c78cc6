"""Deadlines in their calendar: every `.ics` the program attaches (the check-in invitation and reminders, funding
messages, referral offers, blog-review links) parses with icalendar and with vobject, an independent parser; its
UID is stable across runs on different days; its SEQUENCE rises when the date moves and stays when it does not;
the VTIMEZONE is the program's; hostile titles stay inside their property. On the local backend and on the fake
Airtable base (the memory of dates sent lives in each backend's mail ledger)."""

from __future__ import annotations

import csv
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
import yaml
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations

from automations import bootstrap
from automations.adapters.csv.ledger import CsvLedger
from automations.config import load_config
from automations.domain.calendar import CALENDAR_JOB, Text, funding_event, memory_key, remembered, sequence, text
from automations.domain.funding import request_key
from automations.domain.referrals import offer_code
from automations.jobs import blog_reviews, funding, mail_jobs, referrals, sync_checkins
from automations.mail import calendar
from automations.mail.catalogs import Localizer
from tests.conftest import copy_example, outbox_messages, use_smtp
from tests.test_funding import PRIYA, STAFF, request, write_requests
from tests.test_referrals import GERMANY, SECRET_EMAIL, SECRET_NAME, SECRET_ORG, answer, write_inquiries

LONDON = ZoneInfo("Europe/London")
INVITES = date(2026, 10, 1)  # the day after 2026Q3 ends: every active ambassador is invited
D10 = date(2026, 10, 11)  # ten days before the window (21 days) closes on 2026-10-21
DOMAIN = "example.org"  # the example's sender's domain


# --- helpers -------------------------------------------------------------------------------------------------

def parsed(data: bytes) -> dict:
    """One calendar file read by both parsers, which must agree: its method, time zone and single event."""
    cal = icalendar.Calendar.from_ical(data)
    events = list(cal.walk("VEVENT"))
    zones = list(cal.walk("VTIMEZONE"))
    assert len(events) == 1 and len(zones) == 1, data
    ev = events[0]
    other = vobject.readOne(data.decode("utf-8"))
    assert len(other.vevent_list) == 1 and len(other.vtimezone_list) == 1
    v = other.vevent
    assert v.uid.value == str(ev["UID"]) and int(v.sequence.value) == int(ev["SEQUENCE"])
    assert v.summary.value == str(ev["SUMMARY"]) and v.description.value == str(ev["DESCRIPTION"])
    start, other_start = ev.decoded("DTSTART"), v.dtstart.value
    if isinstance(start, datetime):
        assert start == other_start and start.utcoffset() == other_start.utcoffset()
    else:
        assert start == other_start
    return {"uid": str(ev["UID"]), "sequence": int(ev["SEQUENCE"]), "start": start, "end": ev.decoded("DTEND"),
            "stamp": ev.decoded("DTSTAMP"), "summary": str(ev["SUMMARY"]), "description": str(ev["DESCRIPTION"]),
            "method": str(cal["METHOD"]), "tzid": str(zones[0]["TZID"]), "other_tzid": other.vtimezone.tzid.value,
            "url": str(ev.get("URL", "")), "alarms": [a.decoded("TRIGGER") for a in ev.walk("VALARM")],
            "other_alarms": [a.trigger.value for a in v.contents.get("valarm", [])], "prodid": str(cal["PRODID"])}


def calendars(folder: Path, day: date | None = None) -> dict[str, tuple[dict, bytes, object]]:
    """Every calendar file in the outbox (of `day`, or all), by its message's key: what it says, its bytes and
    its MIME part. Each message holds at most one, and it is the same file the outbox wrote beside it."""
    out = {}
    for msg in outbox_messages(folder / "outbox" / day.isoformat() if day else folder / "outbox"):
        parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
        if not parts:
            continue
        (part,) = parts
        data = part.get_content().encode("utf-8") if isinstance(part.get_content(), str) else part.get_content()
        out[msg["X-Automation-Key"]] = (parsed(data), data, part)
    return out


def outbox_messages_of(path: Path) -> list:
    """The message of one `.eml` file in the outbox."""
    return [message_from_bytes(path.read_bytes(), policy=policy.default)]


def configure(config: Path, section: str, **keys) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data[section] = {**(data.get(section) or {}), **keys}
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def reminders(config: Path, day: date, dry_run: bool = False):
    ctx = bootstrap.build(load_config(config), day, dry_run=dry_run)
    synced = sync_checkins.run(ctx)
    return mail_jobs.run(ctx, "reminders", synced=synced.data, problems=synced.data["problems"])


def memory(config: Path) -> dict[str, dict[date, int]]:
    entries = CsvLedger(config.parent / "data" / "mail_ledger.csv").entries()
    assert all(e.recipient == "" for e in entries.values() if e.job == CALENDAR_JOB)  # no one's address in it
    steps = {k: e for k, e in entries.items() if e.job == CALENDAR_JOB}
    assert all(e.reference.startswith("<") and e.reference.endswith(f"@{DOMAIN}>") for e in steps.values())
    return remembered(steps)


@pytest.fixture
def second(tmp_path: Path) -> Path:
    """Another copy of the example program, for a run on another day."""
    return copy_example(tmp_path / "second", "unusable_rows.csv")


# --- the rule of SEQUENCE, pure ------------------------------------------------------------------------------

class TestSequence:
    def test_first_time_zero(self):
        """A deadline never sent goes with SEQUENCE 0."""
        assert sequence(date(2026, 10, 21), {}) == 0

    def test_same_date_keeps_its_sequence(self):
        """The date last sent, again: the same SEQUENCE (a calendar sees nothing new)."""
        assert sequence(date(2026, 10, 28), {date(2026, 10, 21): 0, date(2026, 10, 28): 1}) == 1

    def test_a_moved_date_rises(self):
        """A new date: one more than the highest sent."""
        assert sequence(date(2026, 11, 4), {date(2026, 10, 21): 0, date(2026, 10, 28): 1}) == 2

    def test_back_to_an_earlier_date_rises_too(self):
        """Moved back to a date sent before: still higher, or a calendar would keep the later date."""
        assert sequence(date(2026, 10, 21), {date(2026, 10, 21): 0, date(2026, 10, 28): 1}) == 2

    def test_memory_reads_only_its_own_keys(self):
        """The ledger's other keys, and calendar keys of a shape the program never writes, are left aside; a date
        sent with two SEQUENCEs (moved away and back) counts with its highest."""
        uid = f"checkin-close-2026q3@{DOMAIN}"
        keys = [memory_key(uid, date(2026, 10, 21), 0), memory_key(uid, date(2026, 10, 28), 1),
                memory_key(uid, date(2026, 10, 21), 2), "checkin_invite:2026Q3:a@b.org",
                f"calendar:{uid}:not-a-date:3", f"calendar:{uid}:2026-10-22:x", f"calendar:{uid}:2026-10-23:-1",
                "calendar:2026-10-24:1"]
        assert remembered(keys) == {uid: {date(2026, 10, 21): 2, date(2026, 10, 28): 1}}
        assert sequence(date(2026, 10, 21), remembered(keys)[uid]) == 2


# --- the words of an entry, in a language -------------------------------------------------------------------

def localizer(language: str, translated: dict[str, str]) -> Localizer:
    """The words and formats of `language`, its catalog holding `translated` (compiled in memory, as `Catalogs`)."""
    catalog = Catalog(locale=language)
    for msgid, string in translated.items():
        catalog.add(msgid, string)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Localizer(language, Translations(compiled))


class TestWords:
    def test_a_day_is_written_as_the_language_writes_it(self):
        """A day among the parameters goes through the templates' `| date` (Babel, CLDR): day first in English."""
        due = text("Due on %(day)s: %(title)s", day=date(2026, 10, 21), title="Stickers %(day)s")
        assert calendar.words(due, localizer("en", {})) == "Due on 21 October 2026: Stickers %(day)s"
        pt = localizer("pt", {"Due on %(day)s: %(title)s": "Prazo em %(day)s: %(title)s"})
        assert calendar.words(due, pt) == "Prazo em 21 de outubro de 2026: Stickers %(day)s"
        assert due.english == "Due on 2026-10-21: Stickers %(day)s"

    def test_the_programs_words_are_translated_a_persons_are_not(self):
        """A `Text` parameter (a blog stage) is translated in turn; a title is shown as it is, even one that is a
        message id of the catalog."""
        due = text("Blog post, %(stage)s stage due: %(title)s", stage=Text("first review"), title="draft")
        de = localizer("de", {"Blog post, %(stage)s stage due: %(title)s": "Blogbeitrag, Phase „%(stage)s“ fällig: "
                                                                         "%(title)s",
                              "first review": "erstes Review", "draft": "Entwurf"})
        assert calendar.words(due, de) == "Blogbeitrag, Phase „erstes Review“ fällig: draft"

    def test_a_translation_that_does_not_fit_gives_the_english(self):
        """A catalog's translation naming a placeholder its message id has not: the English words, no failure;
        no words at all stay none (not the catalog's header)."""
        close = text("Check-in for %(quarter)s closes", quarter="2026Q3")
        broken = localizer("fr", {"Check-in for %(quarter)s closes": "Clôture du check-in %(trimestre)s"})
        assert calendar.words(close, broken) == "Check-in for 2026Q3 closes"
        assert calendar.words(Text(""), broken) == ""


# --- the check-in window: invitation and reminders ---------------------------------------------------------

class TestCheckinWindow:
    def test_invitation_carries_the_close_with_alarms(self, program):
        """Every invitation carries one checkin-close.ics: METHOD:PUBLISH, the program's zone, the UID of the
        quarter's close (no address in it), SEQUENCE 0, the last hour of 21 October in London, two alarms."""
        res = reminders(program, INVITES)
        assert res.failures == []
        found = calendars(program.parent, INVITES)
        invites = [k for k in found if k.startswith("checkin_invite:")]
        # receipts, welcomes and notes carry none: only the invitations (and reminders) name the close
        assert len(invites) >= 25 and all(k.startswith(("checkin_invite:", "checkin_reminder:")) for k in found)
        for key in invites:
            ics, _, part = found[key]
            assert part.get_filename() == "checkin-close.ics" and part.get_param("method") == "PUBLISH"
            assert ics["method"] == "PUBLISH" and ics["tzid"] == ics["other_tzid"] == "Europe/London"
            assert ics["uid"] == f"checkin-close-2026q3@{DOMAIN}" and ics["sequence"] == 0
            assert "@example" not in ics["uid"].split("@")[0] and key.split(":")[2] not in ics["uid"]
            assert ics["start"] == datetime(2026, 10, 21, 23, 0, tzinfo=LONDON)
            assert ics["end"] == datetime(2026, 10, 22, 0, 0, tzinfo=LONDON)
            assert ics["stamp"] == datetime(2026, 10, 1, tzinfo=UTC)
            # 09:00 in London two days and one day before the close, read alike by both parsers
            assert ics["alarms"] == ics["other_alarms"] == [-timedelta(days=2, hours=14), -timedelta(days=1, hours=14)]
            assert "2026Q3" in ics["summary"] and "2026Q3" in ics["description"]
        assert memory(program) == {f"checkin-close-2026q3@{DOMAIN}": {date(2026, 10, 21): 0}}

    def test_each_entry_is_in_its_messages_language(self, program):
        """A reminder's entry speaks the reminder's language (the one its templates were rendered in, `lang`):
        Portuguese for someone who reads pt-BR (the pt catalog), Spanish, French, English; summary, description
        and alarms alike, read alike by both parsers. The words are not its identity: one UID and one SEQUENCE
        for everyone, one date in the ledger's memory."""
        roster = program.parent / "data" / "ambassadors.csv"
        with roster.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            if row["Email"] == "oliver.hughes@example.com":
                row["Languages"] = "pt-BR; en"
        with roster.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        reminders(program, INVITES)
        reminders(program, D10)
        found = calendars(program.parent, D10)
        said: dict[str, tuple[str, dict, bytes]] = {}
        for msg in outbox_messages(program.parent / "outbox" / D10.isoformat()):
            key = msg["X-Automation-Key"]
            if key.startswith("checkin_reminder:"):
                html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
                lang = re.search(r'<html lang="([^"]+)"', html)
                assert lang is not None
                said[key.split(":")[2]] = (lang.group(1), *found[key][:2])
        expected = {
            "oliver.hughes@example.com": ("pt", "Encerramento do check-in de 2026Q3",
                                          "formulário de check-in trimestral"),
            "lucia.fernandez@example.net": ("es", "Cierre del check-in de 2026Q3", "formulario de check-in trimestral"),
            "camille.dubois@example.org": ("fr", "Clôture du check-in 2026Q3", "formulaire de check-in trimestriel"),
            "fiona.macleod@example.org": ("en", "Check-in for 2026Q3 closes", "in the quarterly check-in form"),
        }
        for who, (lang, summary, phrase) in expected.items():
            message_lang, ics, data = said[who]
            assert message_lang == lang, who
            assert ics["summary"] == summary and phrase in ics["description"], (who, ics)
            (ev,) = icalendar.Calendar.from_ical(data).walk("VEVENT")
            other = vobject.readOne(data.decode("utf-8")).vevent
            alarms = [str(a["DESCRIPTION"]) for a in ev.walk("VALARM")]
            assert alarms == [a.description.value for a in other.contents["valarm"]] == [summary, summary]
        assert {ics["uid"] for _, ics, _ in said.values()} == {f"checkin-close-2026q3@{DOMAIN}"}
        assert {ics["sequence"] for _, ics, _ in said.values()} == {0}
        assert memory(program) == {f"checkin-close-2026q3@{DOMAIN}": {date(2026, 10, 21): 0}}

    def test_the_file_beside_the_message_is_the_attached_one(self, program):
        """The outbox writes each calendar file beside its message, byte for byte the attachment."""
        reminders(program, INVITES)
        found = calendars(program.parent, INVITES)
        beside = sorted((program.parent / "outbox" / INVITES.isoformat()).glob("*-checkin-close.ics"))
        assert len(beside) == len(found) > 1
        for path in beside:  # each beside its own message (`<stem>.eml`): that message's attachment, byte for byte
            (msg,) = outbox_messages_of(path.with_name(path.name.removesuffix("-checkin-close.ics") + ".eml"))
            assert path.read_bytes() == found[msg["X-Automation-Key"]][1], path.name

    def test_same_plan_same_day_same_bytes(self, program, second):
        """Two programs planning the same deadline on the same day attach the same bytes (DTSTAMP is the day's)."""
        reminders(program, INVITES)
        reminders(second, INVITES)
        one, two = calendars(program.parent, INVITES), calendars(second.parent, INVITES)
        assert one.keys() == two.keys() and all(one[k][1] == two[k][1] for k in one)

    def test_uid_stable_and_sequence_stays_while_the_date_stays(self, program):
        """Invitation on 1 October, reminder on the 11th: the same UID, the same SEQUENCE, a later DTSTAMP."""
        reminders(program, INVITES)
        reminders(program, D10)
        later = calendars(program.parent, D10)
        assert later and all(k.startswith("checkin_reminder:2026Q3:") for k in later)
        for ics, _, _ in later.values():
            assert ics["uid"] == f"checkin-close-2026q3@{DOMAIN}" and ics["sequence"] == 0
            assert ics["start"] == datetime(2026, 10, 21, 23, 0, tzinfo=LONDON)
            assert ics["stamp"] == datetime(2026, 10, 11, tzinfo=UTC)
        assert memory(program) == {f"checkin-close-2026q3@{DOMAIN}": {date(2026, 10, 21): 0}}

    def test_a_longer_window_moves_the_entry(self, program):
        """Staff lengthen the window to 28 days after the invitations went: the next reminder's entry has the
        same UID, the new date and SEQUENCE 1; the one after keeps SEQUENCE 1."""
        reminders(program, INVITES)
        configure(program, "program", checkin_window_days=28)
        reminders(program, date(2026, 10, 18))  # ten days before 28 October
        moved = calendars(program.parent, date(2026, 10, 18))
        assert moved and all(k.endswith(":d-10") for k in moved)
        for ics, _, _ in moved.values():
            assert ics["uid"] == f"checkin-close-2026q3@{DOMAIN}" and ics["sequence"] == 1
            assert ics["start"] == datetime(2026, 10, 28, 23, 0, tzinfo=LONDON)
        reminders(program, date(2026, 10, 25))  # three days before
        last = calendars(program.parent, date(2026, 10, 25))
        assert last and {ics["sequence"] for ics, _, _ in last.values()} == {1}
        assert memory(program) == {f"checkin-close-2026q3@{DOMAIN}": {date(2026, 10, 21): 0, date(2026, 10, 28): 1}}

    def test_dry_run_attaches_nothing_and_remembers_nothing(self, program):
        """A dry run writes no outbox and no ledger step, calendar memory included."""
        reminders(program, INVITES, dry_run=True)
        assert not (program.parent / "outbox").exists()
        assert not (program.parent / "data" / "mail_ledger.csv").exists()

    def test_keys_are_unchanged(self, program):
        """The calendar file is no part of a message's identity: the keys are the planners' own."""
        reminders(program, INVITES)
        keys = {m["X-Automation-Key"] for m in outbox_messages(program.parent / "outbox")}
        assert all(k.count(":") == 2 for k in keys if k.startswith("checkin_invite:"))
        again = reminders(program, INVITES)
        assert "0 messages sent" in " ".join(again.summary)

    def test_the_zone_is_the_programs(self, program):
        """Another program zone: its VTIMEZONE, and the close at the end of the day there."""
        configure(program, "program", timezone="America/Los_Angeles")
        reminders(program, INVITES)
        found = calendars(program.parent, INVITES)
        assert found
        la = ZoneInfo("America/Los_Angeles")
        for ics, data, _ in found.values():
            assert ics["tzid"] == ics["other_tzid"] == "America/Los_Angeles"
            assert ics["start"] == datetime(2026, 10, 21, 23, 0, tzinfo=la)
            assert b"TZID:America/Los_Angeles" in data and b"Europe/London" not in data


# --- funding: the event and the invoice --------------------------------------------------------------------

FUNDING_DAY = date(2026, 10, 19)


class TestFunding:
    def test_short_notice_carries_the_event_day(self, program):
        """The ambassador's short-notice message carries the event as a whole day; staff's copy carries none."""
        event = FUNDING_DAY + timedelta(30)
        write_requests(program, [request("Stickers", event)])
        funding.run(bootstrap.build(load_config(program), FUNDING_DAY, False))
        found = calendars(program.parent)
        k = request_key(PRIYA, "Stickers", event)
        assert set(found) == {f"funding_short_notice:{k}:{PRIYA}"}
        ics, _, part = found[f"funding_short_notice:{k}:{PRIYA}"]
        assert part.get_filename() == "funding-event.ics"
        assert ics["start"] == event and ics["end"] == event + timedelta(1) and ics["sequence"] == 0
        assert ics["uid"].startswith("funding-event-") and ics["uid"].endswith(f"@{DOMAIN}")
        assert "priya" not in ics["uid"] and "Stickers" in ics["summary"] and STAFF not in ics["description"]

    def test_the_event_moves_same_uid_higher_sequence(self, program, second):
        """Staff move the event: a new request key (a new short-notice message), the same calendar entry with the
        new day and SEQUENCE 1. The same request in another program, planned on another day: the same UID."""
        event, moved = FUNDING_DAY + timedelta(30), FUNDING_DAY + timedelta(37)
        write_requests(program, [request("Stickers", event)])
        funding.run(bootstrap.build(load_config(program), FUNDING_DAY, False))
        (first,) = calendars(program.parent).values()
        write_requests(program, [request("Stickers", moved)])
        funding.run(bootstrap.build(load_config(program), FUNDING_DAY + timedelta(1), False))
        found = calendars(program.parent)
        k2 = request_key(PRIYA, "Stickers", moved)
        ics = found[f"funding_short_notice:{k2}:{PRIYA}"][0]
        assert ics["uid"] == first[0]["uid"] and ics["sequence"] == 1 and ics["start"] == moved
        write_requests(second, [request("Stickers", event)])
        funding.run(bootstrap.build(load_config(second), FUNDING_DAY + timedelta(3), False))
        (other,) = calendars(second.parent).values()
        assert other[0]["uid"] == first[0]["uid"] and other[0]["sequence"] == 0

    def test_two_requests_for_the_same_thing_are_two_entries(self, program):
        """Priya's monthly meetup, asked for twice (events a week apart): two entries, each with its SEQUENCE 0;
        the first keeps the UID a lone request has, and both stay the same on the next run."""
        what = "Monthly meetup: venue and pizza"
        first_event, second_event = FUNDING_DAY + timedelta(30), FUNDING_DAY + timedelta(37)
        write_requests(program, [request(what, second_event), request(what, first_event)])
        funding.run(bootstrap.build(load_config(program), FUNDING_DAY, False))
        found = calendars(program.parent)
        by_day = {ics["start"]: ics for ics, _, _ in found.values()}
        assert sorted(by_day) == [first_event, second_event]
        assert by_day[first_event]["uid"] == f"{funding_event(PRIYA, what, first_event).ident}@{DOMAIN}"
        assert by_day[second_event]["uid"] != by_day[first_event]["uid"]
        assert {ics["sequence"] for ics in by_day.values()} == {0}
        write_requests(program, [request(what, second_event, status="approved"),
                                 request(what, first_event, status="approved")])
        for day in (first_event + timedelta(3), second_event + timedelta(3)):
            funding.run(bootstrap.build(load_config(program), day, False))
        invoices = {ics["uid"]: ics for ics, _, _ in calendars(program.parent).values()
                    if ics["uid"].startswith("funding-invoice-")}
        assert len(invoices) == 2 and {ics["sequence"] for ics in invoices.values()} == {0}

    def test_invoice_reminder_carries_the_due_day(self, program):
        """An approved request's invoice reminder carries the day the invoice is due (the last reminder's day,
        24 days after the event by default), with its SEQUENCE staying over the reminders."""
        event = FUNDING_DAY - timedelta(40)
        write_requests(program, [request("Food", event, status="approved", requested_on=(event - timedelta(90))
                                         .isoformat())])
        for offset in (3, 10):
            funding.run(bootstrap.build(load_config(program), event + timedelta(offset), False))
        found = calendars(program.parent)
        k = request_key(PRIYA, "Food", event)
        due = {key: ics for key, (ics, _, _) in found.items()}
        assert set(due) == {f"funding_invoice_reminder:{k}:d3", f"funding_invoice_reminder:{k}:d10"}
        for ics in due.values():
            assert ics["uid"].startswith("funding-invoice-") and ics["sequence"] == 0
            assert ics["start"] == datetime.combine(event + timedelta(24), datetime.min.time().replace(hour=23),
                                                    LONDON)

    def test_a_refused_message_goes_again_with_the_same_file(self, program, smtp_server):
        """The date is remembered before the message goes: the server refuses it, the memory holds the date with
        SEQUENCE 0, and the retry the same day carries SEQUENCE 0 as the refused one did; the event moved since the
        refusal goes with SEQUENCE 1 (a gap is harmless, going back never happens)."""
        use_smtp(program, smtp_server)
        event = FUNDING_DAY + timedelta(30)
        uid = f"{funding_event(PRIYA, 'Stickers', event).ident}@{DOMAIN}"
        write_requests(program, [request("Stickers", event)])
        smtp_server.handler.behaviour.mail_reply = "550 5.7.1 not now"
        assert funding.run(bootstrap.build(load_config(program), FUNDING_DAY, False)).failures
        assert smtp_server.received == [] and memory(program) == {uid: {event: 0}}
        smtp_server.handler.behaviour.mail_reply = ""

        def sent_calendars():
            return [parsed(p.get_content().encode("utf-8")) for r in smtp_server.received for p in r.message.walk()
                    if p.get_content_type() == "text/calendar"]

        assert funding.run(bootstrap.build(load_config(program), FUNDING_DAY, False)).failures == []
        (first,) = sent_calendars()
        assert first["uid"] == uid and first["sequence"] == 0 and first["start"] == event
        write_requests(program, [request("Stickers", event + timedelta(7))])
        assert funding.run(bootstrap.build(load_config(program), FUNDING_DAY + timedelta(1), False)).failures == []
        assert [(c["uid"], c["sequence"], c["start"]) for c in sent_calendars()][1:] == [(uid, 1, event + timedelta(7))]

    def test_hostile_title_stays_in_its_summary(self, program):
        """A request titled with line breaks, `END:VEVENT`/`BEGIN:VEVENT`, a property of its own and a bidi
        override: one event, our UID, the title inside SUMMARY, nothing invisible."""
        event = FUNDING_DAY + timedelta(30)
        what = "Stickers\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil@attacker\nATTACH:http://x\u202e"
        write_requests(program, [request(what, event)])
        funding.run(bootstrap.build(load_config(program), FUNDING_DAY, False))
        ((ics, data, _),) = calendars(program.parent).values()
        assert ics["uid"].startswith("funding-event-") and ics["uid"].endswith(f"@{DOMAIN}")
        assert "BEGIN:VEVENT" in ics["summary"] and "UID:evil" in ics["summary"]
        lines = data.decode().split("\r\n")
        assert "\u202e" not in data.decode() and not any(line.startswith(("UID:evil", "ATTACH")) for line in lines)
        assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 1


# --- referral offers -----------------------------------------------------------------------------------------

class TestReferralOffer:
    def test_offer_carries_the_answer_by_day(self, program, second):
        """The offer carries the last day to answer (offered on the 23rd, 5 days: the 27th) with the yes link and
        none of the inquirer's data; the same offer planned by another program on another day has the same UID."""
        day = date(2026, 11, 23)
        write_inquiries(program, [GERMANY])
        referrals.run(bootstrap.build(load_config(program), day, False))
        ((key, (ics, data, part)),) = calendars(program.parent).items()
        assert key.startswith("referral_offer:") and part.get_filename() == "referral-answer.ics"
        inquiry = key.split(":")[1]
        assert ics["uid"] == f"referral-answer-{inquiry.removeprefix('inq-')}@{DOMAIN}" and ics["sequence"] == 0
        assert ics["start"] == datetime(2026, 11, 27, 23, 0, tzinfo=LONDON)
        # Zoe reads German: the entry is in German too, what is asked for translated ("training": "Schulung")
        assert "zoe" not in ics["uid"] and ics["summary"].startswith("Auf das Vermittlungsangebot")
        assert "Schulung" in ics["description"] and "training" not in ics["description"]
        for secret in (SECRET_ORG, SECRET_NAME, SECRET_EMAIL, "Vogel", "+49"):
            assert secret.casefold() not in data.decode("utf-8").casefold(), secret
        write_inquiries(second, [GERMANY])
        referrals.run(bootstrap.build(load_config(second), day + timedelta(1), False))
        ((other, _, _),) = calendars(second.parent).values()
        assert other["uid"] == ics["uid"] and other["sequence"] == 0
        assert other["start"] == datetime(2026, 11, 28, 23, 0, tzinfo=LONDON)

    def test_the_next_candidate_gets_the_inquiry_entry_with_a_higher_sequence(self, program):
        """Zoë declines; the offer passes to the next candidate, whose file holds the inquiry's UID with the new
        answer-by day and SEQUENCE 1 (the UID names the inquiry, not a candidate)."""
        day = date(2026, 11, 23)
        write_inquiries(program, [GERMANY])
        referrals.run(bootstrap.build(load_config(program), day, False))
        ((first_key, (first, _, _)),) = calendars(program.parent).items()
        zoe = first_key.split(":")[2]
        answer(program, offer_code(first_key.split(":")[1], zoe), "No", day + timedelta(1), zoe)
        referrals.run(bootstrap.build(load_config(program), day + timedelta(2), False))
        found = calendars(program.parent, day + timedelta(2))
        ((key, (ics, _, _)),) = found.items()
        assert key.startswith("referral_offer:") and not key.endswith(zoe)
        assert ics["uid"] == first["uid"] and ics["sequence"] == 1
        assert ics["start"] == datetime(2026, 11, 29, 23, 0, tzinfo=LONDON)


# --- blog-review links -----------------------------------------------------------------------------------------

class TestBlogReview:
    def test_the_stage_holder_gets_its_due_day(self, program, second):
        """The review-document link carries the stage's due day to whoever holds the stage (the author of a
        draft, the reviewers of a first review), the same UID from two programs on different days."""
        blog_reviews.run(bootstrap.build(load_config(program), date(2026, 11, 24), False))
        found = calendars(program.parent)
        assert found and all(k.startswith("blog_review_created:") for k in found)
        by_uid = {ics["uid"]: ics for ics, _, _ in found.values()}
        draft = next(ics for u, ics in by_uid.items() if u.startswith("blog-draft-"))
        review = next(ics for u, ics in by_uid.items() if u.startswith("blog-first-review-"))
        # the example's draft and first review came to their stage on 2026-11-23: 21 and 7 days by default
        assert draft["start"] == datetime(2026, 12, 14, 23, 0, tzinfo=LONDON)
        assert review["start"] == datetime(2026, 11, 30, 23, 0, tzinfo=LONDON)
        assert draft["url"].startswith("file:") and draft["url"] in draft["description"]
        holders = {k.split(":")[2] for k in found}
        assert "priya.deshmukh@example.org" in holders and "joao.pereira@example.com" not in holders
        blog_reviews.run(bootstrap.build(load_config(second), date(2026, 11, 26), False))
        assert {ics["uid"] for ics, _, _ in calendars(second.parent).values()} == set(by_uid)

    def test_hostile_title_and_link_stay_inside(self, program):
        """A proposal titled with a line break and `BEGIN:VALARM`, a document link holding a line break: one
        event, no extra alarm, no URL property from the broken link; the text is in SUMMARY and DESCRIPTION."""
        path = program.parent / "data" / "blog_proposals.csv"
        text = path.read_text(encoding="utf-8")
        text = text.replace("Segmenting contacts by event attendance",
                            '"Segmenting\r\nBEGIN:VALARM\r\nTRIGGER:-PT1M\r\nEND:VALARM\u2066 contacts"')
        path.write_text(text, encoding="utf-8")
        blog_reviews.run(bootstrap.build(load_config(program), date(2026, 11, 24), False))
        drafts = [(ics, data) for ics, data, _ in calendars(program.parent).values()
                  if ics["uid"].startswith("blog-draft-")]
        assert drafts
        for ics, data in drafts:
            assert "BEGIN:VALARM" in ics["summary"] and "\u2066" not in ics["summary"]
            lines = data.decode().split("\r\n")
            assert lines.count("BEGIN:VALARM") == 1 and lines.count("BEGIN:VEVENT") == 1
            assert "TRIGGER:-PT1M" not in lines and len(ics["alarms"]) == 1


# --- on the fake Airtable base: the memory lives in its Mail ledger table ----------------------------------

def test_on_airtable_the_moved_event_rises(airtable):
    """The memory of dates sent is in the base's Mail ledger (no recipient in its rows): a funding event moved by
    staff goes with SEQUENCE 1 and the same UID."""
    from tests.airtable_env import BASE

    event, moved = FUNDING_DAY + timedelta(30), FUNDING_DAY + timedelta(37)
    (rec,) = airtable.fake.insert(BASE, "Funding requests", [
        {"Ambassador email": PRIYA, "What": "Stickers", "Amount": 120, "Currency": "EUR",
         "Event date": event.isoformat(), "Status": "requested"}])
    assert funding.run(airtable.ctx(FUNDING_DAY)).failures == []
    (first,) = calendars(airtable.config_path.parent).values()
    rows = [r["fields"] for r in airtable.records("Mail ledger") if r["fields"].get("Job") == CALENDAR_JOB]
    assert [r["Key"] for r in rows] == [memory_key(first[0]["uid"], event, 0)] and not rows[0].get("Recipient")
    assert rows[0]["Message-ID"].startswith("<") and rows[0]["Sent at"]
    airtable.fake.remove(BASE, "Funding requests", [rec["id"]])
    airtable.fake.insert(BASE, "Funding requests", [
        {"Ambassador email": PRIYA, "What": "Stickers", "Amount": 120, "Currency": "EUR",
         "Event date": moved.isoformat(), "Status": "requested"}])
    shutil.rmtree(airtable.config_path.parent / "outbox")
    assert funding.run(airtable.ctx(FUNDING_DAY + timedelta(1))).failures == []
    (again,) = calendars(airtable.config_path.parent).values()
    assert again[0]["uid"] == first[0]["uid"] and again[0]["sequence"] == 1 and again[0]["start"] == moved


def test_attach_leaves_sent_messages_alone(program):
    """A message the ledger holds as sent gets no calendar file drawn (delivery drops it anyway)."""
    reminders(program, INVITES)
    ctx = bootstrap.build(load_config(program), INVITES, True)
    state, _ = mail_jobs.program_state(ctx)
    from automations.domain.messages import plan_checkin_requests

    planned = plan_checkin_requests(state)
    made = calendar.attach(planned, ledger=ctx.stores.ledger, renderer=ctx.mail.calendar, domain=DOMAIN, day=INVITES,
                           templates=ctx.mail.renderer)
    assert planned and made.entries == {} and all(m.attachments == () for m in made.messages)


def test_every_file_attached_in_a_run_all_reads_back(program):
    """run-all on three days of a program with every kind of deadline (invitations, a reminder, a short-notice
    and an invoice-awaited funding request, a referral inquiry, blog proposals): every `.ics` the outbox holds is
    read by both parsers, is byte for byte its message's attachment, and the five kinds are all there."""
    from tests.conftest import run_in_process

    write_requests(program, [request("Stickers", date(2026, 10, 30)),
                             request("Food", date(2026, 9, 20), status="approved", requested_on="2026-07-01")])
    write_inquiries(program, [GERMANY])
    for day in ("2026-10-01", "2026-10-11", "2026-11-24"):
        assert run_in_process("--as-of", day, "run-all", config=program).code in (0, 1)
    attached = {data for ics, data, _ in calendars(program.parent).values()}
    files = sorted((program.parent / "outbox").rglob("*.ics"))
    kinds = set()
    for path in files:
        data = path.read_bytes()
        ics = parsed(data)
        assert data in attached and ics["tzid"] == "Europe/London" and ics["method"] == "PUBLISH"
        kinds.add(path.name.rsplit("-", 2)[-2] + "-" + path.name.rsplit("-", 2)[-1])
    assert kinds == {"checkin-close.ics", "funding-event.ics", "funding-invoice.ics", "referral-answer.ics",
                     "blog-due.ics"}, kinds
    assert len(files) == len(calendars(program.parent))
