"""The welcome: a new active ambassador's handbook essentials, and staff's checklist, each once."""

from __future__ import annotations

import csv
import email
from dataclasses import replace
from datetime import date
from pathlib import Path

from automations.domain import compliance as c
from automations.domain import messages as m
from automations.domain.checkins import RosterLayout, parse_roster
from automations.domain.quarters import Quarter
from automations.domain.welcome import plan_welcome
from automations.mail.templates import TemplateRenderer
from tests.conftest import ROOT
from tests.factories import RULES, ambassador

STAFF = ("staff@example.org",)
NEW = replace(ambassador("nia@example.org", start=date(2026, 10, 5), name="Nia Okoro"),
              forum_handle="nia_ok", chat_handle="@nia", languages=("en",))
OLD = ambassador("ana@example.org", start=date(2024, 1, 10), name="Ana Lima", row=3)
PAUSED = ambassador("pat@example.org", start=date(2026, 10, 5), status="paused", name="Pat Doe", row=4)
COMMON = {"program_name": "Mautic Ambassador Program", "support_email": "ambassadors@example.org",
          "lead_name": "Lead", "forum_intro_url": "https://forum.example.org/c/ambassadors/intro",
          "funding_url": "https://forms.example.org/funding", "forum_sync": False}


def state(as_of: date, roster=(NEW, OLD, PAUSED), **schedule) -> m.ProgramState:
    tracks = c.tracks(list(roster), [], RULES, as_of, Quarter.of(as_of).prev())
    return m.ProgramState(as_of=as_of, rules=RULES, schedule=m.Schedule(**schedule), tracks=tracks, activities=[],
                          checkins=[], form_url="https://forms.example.org/f", prefill_email_entry="entry.1",
                          staff=STAFF)


def render(planned: m.PlannedMessage):
    return TemplateRenderer(ROOT / "templates" / "emails", COMMON).render(planned)


def by_key(planned) -> dict[str, m.PlannedMessage]:
    return {p.key: p for p in planned}


class TestWho:
    def test_new_active_ambassador_and_staff(self):
        """A newly active ambassador gets one welcome, and each staff address one checklist, keyed by start date."""
        keys = [p.key for p in plan_welcome(state(date(2026, 10, 12)))]
        assert keys == ["welcome:nia@example.org:2026-10-05",
                        "welcome_staff:nia@example.org:2026-10-05:staff@example.org"]

    def test_none_for_someone_added_as_paused(self):
        """Someone added as paused (or alumni, removed) is not welcomed, nor are staff asked for anything."""
        for status in ("paused", "alumni", "removed"):
            planned = plan_welcome(state(date(2026, 10, 12), roster=(replace(NEW, status=status),)))
            assert planned == []

    def test_none_for_an_old_start_date(self):
        """A first run on a running program welcomes no one who joined more than welcome_max_age_days ago."""
        assert [p.key for p in plan_welcome(state(date(2026, 11, 4)))][:1] == ["welcome:nia@example.org:2026-10-05"]
        assert plan_welcome(state(date(2026, 11, 5))) == []  # 31 days after the start
        assert plan_welcome(state(date(2026, 11, 5), welcome_max_age_days=31)) != []

    def test_none_before_the_start_date(self):
        """A start date ahead of the run date is not welcomed yet; it is on the day itself."""
        assert plan_welcome(state(date(2026, 10, 4))) == []
        assert plan_welcome(state(date(2026, 10, 5))) != []

    def test_rejoiner_is_welcomed_again(self):
        """A rejoiner, given a new start date by staff, gets a new key: welcomed again."""
        first = by_key(plan_welcome(state(date(2026, 10, 12))))
        back = replace(NEW, start_date=date(2027, 5, 3), status_history=((date(2027, 1, 4), "alumni"),
                                                                          (date(2027, 5, 3), "active")))
        again = by_key(plan_welcome(state(date(2027, 5, 10), roster=(back,))))
        assert "welcome:nia@example.org:2027-05-03" in again and not set(again) & set(first)


class TestWhatItSays:
    def test_handbook_essentials(self):
        """The welcome names the quarterly rule, the window, the next invitation, the forum category, the
        support address and how to ask for funding."""
        welcome = by_key(plan_welcome(state(date(2026, 10, 12))))["welcome:nia@example.org:2026-10-05"]
        r = render(welcome)
        text = " ".join(r.text.split())
        assert r.subject == "Welcome to the Mautic Ambassador Program, Nia Okoro"  # no preferred name: the whole name
        assert "at least 2 activities with a full report" in text and "you have 21 days" in text
        assert "Your first invitation, for 2026Q4, comes on 1 January 2027" in text
        assert "https://forum.example.org/c/ambassadors/intro" in text and "ambassadors@example.org" in text
        assert "https://forms.example.org/funding" in text and "invoice" in text
        assert "entry.1=nia%40example.org" in r.html and "Nia" in r.html

    def test_funding_by_support_address_without_a_funding_link(self):
        """Without program.funding_url, the welcome says to write to the support address."""
        welcome = plan_welcome(state(date(2026, 10, 12)))[0]
        r = TemplateRenderer(ROOT / "templates" / "emails", {**COMMON, "funding_url": "", "forum_intro_url": ""}
                             ).render(welcome)
        text = " ".join(r.text.split())
        assert "two months ahead by writing to ambassadors@example.org" in text
        assert "introduce yourself there." in text

    def test_late_joiner_exemption_only_when_it_applies(self):
        """Joining with less than half of the quarter left: the welcome says that quarter is exempt and which
        one counts first; joining early in a quarter: no exemption sentence, that quarter counts."""
        late = replace(NEW, start_date=date(2026, 9, 1))  # 30 of Q3's 92 days left
        early = replace(NEW, start_date=date(2026, 10, 5))  # most of Q4 left
        late_text = " ".join(render(plan_welcome(state(date(2026, 9, 10), roster=(late,)))[0]).text.split())
        early_text = " ".join(render(plan_welcome(state(date(2026, 10, 12), roster=(early,)))[0]).text.split())
        assert "2026Q3 is exempt for you" in late_text and "Your first quarter that counts is 2026Q4" in late_text
        assert "Your first invitation, for 2026Q3, comes on 1 October 2026" in late_text
        assert "exempt" not in early_text and "Your first quarter, 2026Q4, counts" in early_text

    def test_portuguese_for_portuguese_speakers(self):
        """An ambassador whose first language is Portuguese gets the welcome in Portuguese, exemption included."""
        late = replace(NEW, start_date=date(2026, 9, 1), languages=("pt", "en"))
        r = render(plan_welcome(state(date(2026, 9, 10), roster=(late,)))[0])
        text = " ".join(r.text.split())
        assert r.subject == "Boas-vindas ao Mautic Ambassador Program, Nia Okoro" and r.language == "pt"
        assert "2026Q3 é isento para você" in text and "Seu primeiro convite, para 2026Q3, chega em 1 de outubro de 2026" in text
        assert "Abrir o formulário de check-in" in r.html and "Dúvidas?" in r.html and '<html lang="pt">' in r.html

    def test_staff_note_carries_checklist_and_handles(self):
        """Staff's note names the ambassador, their forum and chat handles, and the badge and icon to give."""
        note = by_key(plan_welcome(state(date(2026, 10, 12))))[
            "welcome_staff:nia@example.org:2026-10-05:staff@example.org"]
        assert note.to_email == "staff@example.org"
        r = render(note)
        text = " ".join(r.text.split())
        assert "Nia Okoro" in r.subject
        assert "[ ] Forum: add nia_ok to the ambassadors group, which gives the Ambassadors badge" in text
        assert "[ ] Chat: give @nia the ambassador icon" in text
        assert "nia_ok" in r.html and "@nia" in r.html and "nia@example.org" in r.html

    def test_staff_note_asks_for_missing_handles(self):
        """A roster row without handles: the checklist says to ask for them."""
        bare = replace(NEW, forum_handle="", chat_handle="")
        note = plan_welcome(state(date(2026, 10, 12), roster=(bare,)))[1]
        text = " ".join(render(note).text.split())
        assert "no forum handle on the roster" in text and "no chat handle on the roster" in text

    def test_with_the_forum_job_the_badge_is_no_chore(self):
        """With the forum configured (the `forum` job keeps the group), the checklist says the job adds the
        handle; without a handle it still asks for one."""
        note = plan_welcome(state(date(2026, 10, 12)))[1]
        synced = " ".join(TemplateRenderer(ROOT / "templates" / "emails", {**COMMON, "forum_sync": True})
                          .render(note).text.split())
        assert "the `forum` job adds" in synced and "nothing to do" in synced
        assert "the `forum` job adds" not in " ".join(render(note).text.split())
        bare = plan_welcome(state(date(2026, 10, 12), roster=(replace(NEW, forum_handle=""),)))[1]
        asks = " ".join(TemplateRenderer(ROOT / "templates" / "emails", {**COMMON, "forum_sync": True})
                        .render(bare).text.split())
        assert "no forum handle on the roster" in asks

    def test_roster_handles_are_read(self):
        """The roster's Forum handle and Chat handle columns reach the ambassador."""
        fields = {"name": "Name", "email": "Email", "start_date": "Start date", "status": "Status",
                  "forum_handle": "Forum handle", "chat_handle": "Chat handle"}
        (amb,), _ = parse_roster(list(fields.values()), [["Nia", "nia@example.org", "2026-10-05", "active", " nia_ok ",
                                                          "@nia"]], RosterLayout("roster", fields))
        assert (amb.forum_handle, amb.chat_handle) == ("nia_ok", "@nia")


def add_to_roster(config: Path, *rows: dict) -> None:
    path = config.parent / "data" / "ambassadors.csv"
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header, existing = reader.fieldnames, list(reader)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(existing)
        w.writerows({**{h: "" for h in header}, **r} for r in rows)


def set_start(config: Path, email_: str, start: str) -> None:
    path = config.parent / "data" / "ambassadors.csv"
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, list(reader)
    for r in rows:
        if r["Email"] == email_:
            r["Start date"] = start
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(rows)


def welcome_keys(config: Path, day: str) -> list[str]:
    folder = config.parent / "outbox" / day
    keys = [email.message_from_bytes(p.read_bytes())["X-Automation-Key"] for p in folder.glob("*.eml")] \
        if folder.exists() else []
    return sorted(k for k in keys if k.startswith("welcome"))


class TestEndToEnd:
    def test_once_per_ambassador_and_again_on_rejoining(self, cli, program):
        """`reminders` welcomes a new active ambassador once (a rerun sends none), never one added as paused,
        and again when staff give them a new start date."""
        add_to_roster(program, {"Name": "Nia Okoro", "Email": "nia.okoro@example.org", "Country": "Nigeria",
                                "Languages": "en", "Start date": "2026-10-05", "Status": "active",
                                "Forum handle": "nia_ok", "Chat handle": "@nia"},
                      {"Name": "Pat Doe", "Email": "pat.doe@example.org", "Country": "Kenya", "Languages": "en",
                       "Start date": "2026-10-05", "Status": "paused"})
        assert cli("--as-of", "2026-10-12", "sync-checkins", config=program).code in (0, 1)
        first = cli("--as-of", "2026-10-12", "reminders", config=program)
        assert first.code in (0, 1), first.err
        assert welcome_keys(program, "2026-10-12") == [
            "welcome:nia.okoro@example.org:2026-10-05",
            "welcome_staff:nia.okoro@example.org:2026-10-05:ambassador-staff@example.org"]
        second = cli("--as-of", "2026-10-13", "--dry-run", "reminders", config=program)
        assert "welcome" not in second.out
        set_start(program, "nia.okoro@example.org", "2026-10-14")  # left and came back: a new start date
        third = cli("--as-of", "2026-10-14", "reminders", config=program)
        assert third.code in (0, 1), third.err
        assert welcome_keys(program, "2026-10-14") == [
            "welcome:nia.okoro@example.org:2026-10-14",
            "welcome_staff:nia.okoro@example.org:2026-10-14:ambassador-staff@example.org"]
