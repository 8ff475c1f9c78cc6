"""Referral inquiries: candidates ranked and rotated fairly, one offer at a time, answers read back
from the answer form, declined and unanswered offers passed on, staff told of an acceptance (with an
introduction draft) or that no one is left, the inquirer's data kept from candidates, each step
recorded once, on the CSV folder and on Airtable."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar

from automations import bootstrap
from automations.config import load_config
from automations.domain.model import Ambassador
from automations.domain.referrals import (
    Answer,
    Inquiry,
    ReferralSettings,
    offer_code,
    offer_codes_of,
    parse_history,
    plan_referrals,
    rank,
)
from automations.jobs import referrals
from tests.conftest import outbox_messages, run_cli, snapshot

DAY = date(2026, 11, 23)
HEADER = ["Organization", "Contact name", "Contact email", "Country", "Region", "Language", "Need", "Details"]
# The inquirer's personal data: none of it may reach a candidate before they accept.
SECRET_ORG, SECRET_NAME, SECRET_EMAIL = "Bäckerei Vogel GmbH", "Greta Vogelsang", "greta@baeckerei-vogel.example"
SECRET_DETAILS = "Call Greta on +49 30 1234567 about our 40 sales staff"
# No language: only ambassadors in Germany (or Bavaria) match, not every German speaker.
GERMANY = [SECRET_ORG, SECRET_NAME, SECRET_EMAIL, "Germany", "Bavaria", "", "training", SECRET_DETAILS]
SETTINGS = ReferralSettings(answer_days=5, form_url="https://forms.example/answer", prefill_code_entry="entry.1",
                            prefill_answer_entry="entry.2", staff=("staff@example.org",))


# --- helpers -------------------------------------------------------------------------------------------

def write_inquiries(program: Path, rows: list[list[str]]) -> Path:
    path = program.parent / "data" / "referral_inquiries.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def answer(program: Path, code: str, word: str, day: date, email: str = "") -> None:
    """A response of the answer form, as its CSV download has it (appended)."""
    path = program.parent / "data" / "referral_answers.csv"
    new = not path.exists()
    with path.open("a", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["Timestamp", "Offer code", "Answer", "Email Address"])
        w.writerow([day.strftime("%d/%m/%Y 10:00:00"), code, word, email])


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def run(program: Path, day: date, dry_run: bool = False):
    return referrals.run(bootstrap.build(load_config(program), day, dry_run=dry_run))


def outbox(program: Path) -> dict[str, object]:
    """Every message in the outbox, by its key."""
    return {m["X-Automation-Key"]: m for m in outbox_messages(program.parent / "outbox")}


def text_of(msg) -> str:
    parts = [msg["Subject"]]
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def amb(email: str, country: str = "Germany", region: str = "", languages=("en",), status: str = "active"):
    return Ambassador(email, email.split("@")[0].title(), country, region, "", tuple(languages), date(2024, 1, 1),
                      status, 2)


def inquiry(n: int, country="Germany", region="", language="", history=()) -> Inquiry:
    return Inquiry(f"inq-{n:04d}", n + 1, "Org", "C", "c@example.org", country, region, language, "training", "",
                   history=tuple(history))


# --- the rules, pure ---------------------------------------------------------------------------------

class TestRanking:
    def test_country_then_region_then_language(self):
        """Same country first, then same region, then the inquiry's language; no match is no candidate."""
        roster = [amb("lang@x.org", "Austria", languages=("de",)), amb("region@x.org", "Austria", "Bavaria"),
                  amb("country@x.org", "Germany"), amb("none@x.org", "Chile", languages=("es",))]
        ranked = rank(inquiry(1, "Germany", "Bavaria", "de"), roster, {}, {})
        assert [a.email for a in ranked] == ["country@x.org", "region@x.org", "lang@x.org"]

    def test_good_before_warned_and_never_under_review_or_inactive(self):
        """Good standing comes before warned; under review, paused and alumni are never offered one."""
        roster = [amb("warned@x.org"), amb("review@x.org"), amb("good@x.org"), amb("paused@x.org", status="paused")]
        standings = {"warned@x.org": "warned", "review@x.org": "under_review", "good@x.org": "good"}
        assert [a.email for a in rank(inquiry(1), roster, standings, {})] == ["good@x.org", "warned@x.org"]

    def test_rotation_is_fair_over_many_inquiries(self):
        """Over 100 inquiries, on one day and across days, equal candidates' offers differ by at most one,
        and an unequal one (warned) gets none while they are free."""
        roster = [amb(f"a{n}@x.org") for n in range(7)] + [amb("warned@x.org")]
        standings = {"warned@x.org": "warned"}
        inquiries = [inquiry(n) for n in range(40)]  # 40 arriving on one day
        plan = plan_referrals(inquiries, roster, standings, [], DAY, SETTINGS)
        done = [plan.updated[i.id] for i in inquiries]
        day = DAY
        for n in range(40, 100):  # then one a day, each accepted the next day
            day += timedelta(days=1)
            answers = [Answer(offer_code(i.id, i.current), True, day) for i in done if i.current]
            done = [plan_referrals([i], roster, standings, answers, day, SETTINGS).updated.get(i.id, i) for i in done]
            fresh = plan_referrals([*done, inquiry(n)], roster, standings, [], day, SETTINGS)
            done.append(fresh.updated[f"inq-{n:04d}"])
        counts = Counter(who for i in done for _, ev, who in i.history if ev == "offered")
        equal = [counts[f"a{n}@x.org"] for n in range(7)]
        assert sum(equal) == 100 and max(equal) - min(equal) <= 1, equal
        assert counts["warned@x.org"] == 0


class TestOffers:
    ROSTER: ClassVar[list[Ambassador]] = [amb("first@x.org"), amb("second@x.org")]
    STANDINGS: ClassVar[dict[str, str]] = {"second@x.org": "warned"}

    def step(self, inquiries, day, answers=()):
        return plan_referrals(inquiries, self.ROSTER, self.STANDINGS, list(answers), day, SETTINGS)

    def test_a_declined_offer_moves_on(self):
        """A "no" passes the inquiry to the next candidate the day it is read."""
        i = self.step([inquiry(1)], DAY).updated["inq-0001"]
        assert i.current == "first@x.org"
        no = Answer(offer_code(i.id, "first@x.org"), False, DAY + timedelta(days=1))
        j = self.step([i], DAY + timedelta(days=1), [no]).updated["inq-0001"]
        assert [(ev, who) for _, ev, who in j.history] == [("offered", "first@x.org"), ("declined", "first@x.org"),
                                                          ("offered", "second@x.org")]

    def test_an_unanswered_offer_moves_on_after_answer_days(self):
        """No answer: the offer stands on its fourth day and passes on on its fifth."""
        i = self.step([inquiry(1)], DAY).updated["inq-0001"]
        assert "inq-0001" not in self.step([i], DAY + timedelta(days=4)).updated
        j = self.step([i], DAY + timedelta(days=5)).updated["inq-0001"]
        assert j.current == "second@x.org" and j.history[1][1:] == ("unanswered", "first@x.org")

    def test_an_answer_from_another_address_does_not_count(self):
        """A "yes" with the offer's code sent from someone else's address changes nothing and is reported."""
        i = self.step([inquiry(1)], DAY).updated["inq-0001"]
        forged = Answer(offer_code(i.id, "first@x.org"), True, DAY, email="other@x.org", row=2)
        plan = self.step([i], DAY + timedelta(days=1), [forged])
        assert "inq-0001" not in plan.updated and plan.ignored_answers == [forged]

    def test_no_candidate_left_tells_staff(self):
        """After both decline, the inquiry is exhausted and staff get one message about it."""
        i = self.step([inquiry(1)], DAY).updated["inq-0001"]
        day = DAY
        for _ in range(2):  # each declines; the second "no" leaves no one
            day += timedelta(days=1)
            i = self.step([i], day, [Answer(offer_code(i.id, i.current), False, day)]).updated[i.id]
        assert i.status == "exhausted"
        plan = self.step([i], day)
        assert [(m.job, m.to_email) for m in plan.messages] == [("referral_exhausted", "staff@example.org")]

    def test_history_round_trips(self):
        """The history written on the inquiry reads back as the same steps."""
        i = self.step([inquiry(1)], DAY).updated["inq-0001"]
        from automations.domain.referrals import format_history
        assert parse_history(format_history(i.history)) == i.history


# --- the job, end to end on the CSV folder -----------------------------------------------------------

class TestOnCsv:
    def test_offer_holds_none_of_the_inquirers_data(self, program):
        """The offer to the candidate names the need, country and region, and none of the inquirer's
        organization, name, email or details; the yes/no links carry its code."""
        write_inquiries(program, [GERMANY])
        res = run(program, DAY)
        assert res.failures == [] and res.new_problems == []
        mail = outbox(program)
        (key,) = mail
        assert key.startswith("referral_offer:inq-") and key.endswith(":zoe.mueller@example.org")
        text = text_of(mail[key])
        assert "training" in text and "Germany" in text and "Bavaria" in text
        for secret in (SECRET_ORG, SECRET_NAME, SECRET_EMAIL, "greta", "Vogel", "+49", "40 sales"):
            assert secret.casefold() not in text.casefold(), secret
        code = read(program.parent / "data" / "referral_inquiries.csv")[0]["Inquiry ID"]
        assert offer_code(code, "zoe.mueller@example.org") in text

    def test_decline_then_silence_then_staff_told_once(self, program):
        """Germany: Zoë (good) is offered first and declines, Jonas (warned) never answers, Hannah is
        paused: staff hear that no one is left. Each step is dated on the inquiry; reruns send nothing."""
        path = write_inquiries(program, [GERMANY])
        run(program, DAY)
        row = read(path)[0]
        assert (row["Referral status"], row["Current candidate"], row["Offered at"]) == \
            ("offered", "zoe.mueller@example.org", "2026-11-23")
        answer(program, offer_code(row["Inquiry ID"], "zoe.mueller@example.org"), "No, not this time",
               DAY + timedelta(days=1), "zoe.mueller@example.org")
        run(program, DAY + timedelta(days=2))
        assert read(path)[0]["Current candidate"] == "jonas.becker@example.net"
        for n in range(3, 8):
            run(program, DAY + timedelta(days=n))
        row = read(path)[0]
        assert row["Referral status"] == "exhausted" and row["Current candidate"] == ""
        assert row["Referral history"] == ("2026-11-23 offered zoe.mueller@example.org; 2026-11-25 declined "
                                           "zoe.mueller@example.org; 2026-11-25 offered jonas.becker@example.net; "
                                           "2026-11-30 unanswered jonas.becker@example.net; 2026-11-30 exhausted")
        keys = sorted(outbox(program))
        assert [k.split(":")[0] for k in keys] == ["referral_exhausted", "referral_offer", "referral_offer"]
        assert row["Organization"] == SECRET_ORG and row["Details"] == SECRET_DETAILS  # staff's cells kept
        before = snapshot(program.parent)
        res = run(program, DAY + timedelta(days=9))
        assert snapshot(program.parent) == before and res.failures == []

    def test_accepted_sends_staff_the_recommendation_with_a_draft(self, program):
        """A "yes" through the form ends the inquiry: staff get the ambassador, the inquirer's contact and
        an introduction draft, once; the candidate gets no second offer."""
        path = write_inquiries(program, [GERMANY])
        run(program, DAY)
        iid = read(path)[0]["Inquiry ID"]
        answer(program, offer_code(iid, "zoe.mueller@example.org"), "Yes", DAY + timedelta(days=2))
        run(program, DAY + timedelta(days=3))
        row = read(path)[0]
        assert row["Referral status"] == "accepted" and row["Recommended ambassador"] == "zoe.mueller@example.org"
        mail = outbox(program)
        staff = mail[f"referral_accepted:{iid}:ambassador-staff@example.org"]
        text = text_of(staff)
        assert "Zoë Müller" in text and SECRET_EMAIL in text and "introduction draft" in text.casefold()
        assert "Dear Greta" in text
        assert len(mail) == 2
        run(program, DAY + timedelta(days=4))
        assert len(outbox(program)) == 2

    def test_dry_run_sends_and_writes_nothing(self, program):
        """A dry run lists the offer it would send and the inquiry it would update, and changes no file."""
        write_inquiries(program, [GERMANY])
        before = snapshot(program.parent)
        res = run(program, DAY, dry_run=True)
        assert snapshot(program.parent) == before
        text = "\n".join(res.summary)
        assert "would send referral_offer to zoe.mueller@example.org" in text
        assert "would update 1 row in" in text and "referral_inquiries.csv" in text

    def test_rotation_across_runs_is_fair(self, program):
        """Twelve inquiries for India over twelve days, each accepted: the three in good standing share them
        four each, and Arjun (warned) gets none."""
        rows = [[f"Org {n}", "", f"c{n}@example.org", "India", "", "", "services", f"inquiry {n}"] for n in range(12)]
        path = write_inquiries(program, [])
        day = DAY
        for n in range(12):
            with path.open("a", encoding="utf-8", newline="") as fh:
                csv.writer(fh).writerow(rows[n])
            run(program, day)
            row = read(path)[n]
            answer(program, offer_code(row["Inquiry ID"], row["Current candidate"]), "yes", day)
            day += timedelta(days=1)
            run(program, day)
        counts = Counter(r["Recommended ambassador"] for r in read(path))
        assert counts == {"priya.deshmukh@example.org": 4, "rahul.verma@example.net": 4,
                          "karan.mehta@example.org": 4}

    def test_bad_rows_and_answers_are_reported(self, program):
        """An unknown need, a row with nothing to match on, a word that is not yes or no and an unknown
        code are each a data problem naming the cell."""
        write_inquiries(program, [["Org", "", "", "Germany", "", "", "consulting", ""],
                                  ["Org2", "", "", "", "", "", "training", ""]])
        answer(program, "RNOSUCHCODE", "yes", DAY)
        answer(program, "RNOSUCHCODE", "maybe", DAY)
        res = run(program, DAY)
        assert {(p.column, p.value) for p in res.new_problems} == {("Need", "consulting"), ("Country", ""),
                                                                   ("Answer", "maybe"), ("Offer code", "RNOSUCHCODE")}


# --- the same on Airtable ----------------------------------------------------------------------------

def test_on_airtable(airtable, program):
    """On the fake base: the offer goes, a "yes" read from the answer form ends it, staff are told once,
    the job writes only its own fields, and a rerun writes and sends nothing."""
    from tests.airtable_env import BASE

    airtable.fake.insert(BASE, "Referral inquiries", [dict(zip(HEADER, GERMANY))])
    res = referrals.run(airtable.ctx(DAY))
    assert res.failures == [], res.failures
    (rec,) = airtable.records("Referral inquiries")
    fields = rec["fields"]
    # The seeded base has no Standing yet: Jonas and Zoë are equal, and the email decides.
    assert fields["Referral status"] == "offered" and fields["Current candidate"] == "jonas.becker@example.net"
    assert fields["Organization"] == SECRET_ORG and fields["Details"] == SECRET_DETAILS
    answer(program, offer_code(fields["Inquiry ID"], "jonas.becker@example.net"), "Yes", DAY + timedelta(days=1))
    referrals.run(airtable.ctx(DAY + timedelta(days=1)))
    (rec,) = airtable.records("Referral inquiries")
    assert rec["fields"]["Referral status"] == "accepted"
    assert rec["fields"]["Recommended ambassador"] == "jonas.becker@example.net"
    keys = sorted(k.split(":")[0] for k in outbox(program))
    assert keys == ["referral_accepted", "referral_offer"]
    airtable.fake.reset_log()
    referrals.run(airtable.ctx(DAY + timedelta(days=2)))
    assert len(outbox(program)) == 2
    assert [r for r in airtable.fake.requests if r.kind == "write"] == []


def test_init_creates_the_local_files_and_doctor_checks_them(cli, program):
    """On the CSV folder `init` makes the inquiries file (staff's columns and the job's) and the answers
    file with the form's header row, once; `doctor` reads them."""
    data = program.parent / "data"
    first = cli("init", config=program)
    assert first.code == 0 and "created" in first.out and "referral_inquiries.csv" in first.out
    with (data / "referral_inquiries.csv").open(encoding="utf-8") as fh:
        assert next(csv.reader(fh))[:8] == HEADER
    assert (data / "referral_answers.csv").read_text().startswith("Timestamp,Offer code,Answer")
    again = cli("init", config=program)
    assert "referral_inquiries.csv" not in again.out
    write_inquiries(program, [GERMANY])
    doctor = cli("doctor", config=program)
    assert "referral inquiries" in doctor.out and "1 inquiry, 1 open" in doctor.out


def test_the_offer_names_the_inquiry_language_only_when_given(program):
    """An inquiry without a language shows none (not the message's own language code)."""
    write_inquiries(program, [GERMANY])
    run(program, DAY)
    (msg,) = outbox(program).values()
    assert "Language:" not in text_of(msg)


def test_an_erased_code_is_set_aside_and_the_codes_of_an_address_are_its_offers():
    """The planning of every answer source (CSV, Sheets, Forms give the same Answers): an answer whose code is
    an erased person's moves nothing and is not reported; `offer_codes_of` gives one code per inquiry whose
    history names the address."""
    roster = [amb("zoe@x.org"), amb("max@x.org")]
    offered = plan_referrals([inquiry(1), inquiry(2)], roster, {}, [], DAY, SETTINGS).updated
    zoe = [i for i in offered.values() if i.current == "zoe@x.org"]
    assert offer_codes_of(list(offered.values()), "ZOE@x.org") == [offer_code(i.id, "zoe@x.org") for i in zoe]
    code = offer_code(zoe[0].id, "zoe@x.org")
    yes = Answer(code, True, DAY + timedelta(days=1), "", 2)
    plan = plan_referrals([zoe[0]], roster, {}, [yes], DAY + timedelta(days=1), SETTINGS, erased_codes={code})
    assert plan.updated == {} and plan.ignored_answers == []
    assert plan_referrals([zoe[0]], roster, {}, [yes], DAY + timedelta(days=1), SETTINGS).updated[zoe[0].id].status \
        == "accepted"


def test_an_answer_from_another_address_does_not_hide_the_candidates_own():
    """A forwarded offer answered first by a colleague: the candidate's own later Yes still counts, and the
    colleague's answer is reported, not used."""
    roster = [amb("zoe@x.org")]
    offered = plan_referrals([inquiry(1)], roster, {}, [], DAY, SETTINGS).updated["inq-0001"]
    code = offer_code("inq-0001", "zoe@x.org")
    answers = [Answer(code, False, DAY + timedelta(days=1), "colleague@x.org", 2),
               Answer(code, True, DAY + timedelta(days=1), "zoe@x.org", 3)]
    plan = plan_referrals([offered], roster, {}, answers, DAY + timedelta(days=1), SETTINGS)
    assert plan.updated["inq-0001"].status == "accepted"
    assert [a.email for a in plan.ignored_answers] == ["colleague@x.org"]


def test_the_offer_is_open_through_the_day_the_mail_names():
    """The mail's "answer by" day is the last day the offer waits; it passes on the day after."""
    roster = [amb("zoe@x.org"), amb("jonas@x.org")]
    plan = plan_referrals([inquiry(1)], roster, {}, [], DAY, SETTINGS)
    offered = plan.updated["inq-0001"]
    by = date.fromisoformat(next(m for m in plan.messages if m.job == "referral_offer").context["answer_by"])
    assert plan_referrals([offered], roster, {}, [], by, SETTINGS).updated.get("inq-0001", offered).current == \
        offered.current
    moved = plan_referrals([offered], roster, {}, [], by + timedelta(days=1), SETTINGS).updated["inq-0001"]
    assert moved.current != offered.current


def test_erasing_a_candidate_raises_no_new_problem(program):
    """Issue 18: run-all offers Jonas the inquiry, he answers, he is erased; his answer's code was made for
    the address erase replaced. The next `referrals` moves on, exit 0, and reports no new problem."""
    write_inquiries(program, [GERMANY])
    first = run_cli("--as-of", "2026-11-23", "run-all", config=program)
    assert first.code == 1 and "referral" not in first.err, first.err  # 1: the example's own bad rows
    row = read(program.parent / "data" / "referral_inquiries.csv")[0]
    assert (row["Referral status"], row["Current candidate"]) == ("offered", "jonas.becker@example.net")
    answer(program, offer_code(row["Inquiry ID"], "jonas.becker@example.net"), "No, not this time", DAY,
           "jonas.becker@example.net")
    assert run_cli("erase", "jonas.becker@example.net", config=program).code == 0
    assert read(program.parent / "data" / "referral_answers.csv")[0]["Email Address"].endswith("@erased.invalid")
    later = run_cli("--as-of", "2026-12-02", "referrals", config=program)
    assert later.code == 0, later.out + later.err
    assert "(new)" not in later.out + later.err and "matches no offer" not in later.out + later.err
    row = read(program.parent / "data" / "referral_inquiries.csv")[0]
    assert row["Current candidate"] not in ("", "jonas.becker@example.net")
    assert not row["Current candidate"].endswith("@erased.invalid")


def test_an_erased_candidates_answer_without_an_address_is_set_aside(program):
    """Issue 18: the answer form collects no address, so erase cannot tell Jonas's answer is his and leaves
    it; its code was made for the address erase replaced in the inquiry's history. Erase keeps the keyed
    hash of each of his offer codes (ledger, `erase` steps), and the next `referrals` sets the answer aside:
    exit 0, no problem, no message, and the inquiry moves on as it would without the answer."""
    write_inquiries(program, [GERMANY])
    first = run_cli("--as-of", "2026-11-23", "run-all", config=program)
    assert first.code == 1 and "referral" not in first.err, first.err  # 1: the example's own bad rows
    inquiries = program.parent / "data" / "referral_inquiries.csv"
    row = read(inquiries)[0]
    assert (row["Referral status"], row["Current candidate"]) == ("offered", "jonas.becker@example.net")
    code = offer_code(row["Inquiry ID"], "jonas.becker@example.net")
    answers = program.parent / "data" / "referral_answers.csv"
    with answers.open("w", encoding="utf-8", newline="") as fh:  # the download of a form without addresses
        csv.writer(fh).writerows([["Timestamp", "Offer code", "Answer"], ["24/11/2026 10:00:00", code, "No, not this time"]])
    erased = run_cli("--as-of", "2026-11-25", "erase", "jonas.becker@example.net", config=program)
    assert erased.code == 0, erased.err
    assert code in answers.read_text(encoding="utf-8")  # no address in the row: erase leaves it
    ledger = (program.parent / "data" / "mail_ledger.csv").read_text(encoding="utf-8")
    assert code not in ledger and "jonas" not in ledger.lower()  # only keyed hashes are kept
    before = snapshot(program.parent / "outbox")
    later = run_cli("--as-of", "2026-12-02", "referrals", config=program)
    assert later.code == 0, later.out + later.err
    assert "(new)" not in later.out + later.err and "matches no offer" not in later.out + later.err
    assert code not in (program.parent / "data" / "unusable_rows.csv").read_text(encoding="utf-8")
    after = read(inquiries)[0]
    # Set aside, not read as his "no": the offer passed on unanswered after answer_days, to another candidate.
    assert " unanswered erased-" in after["Referral history"] and " declined " not in after["Referral history"]
    assert after["Current candidate"] not in ("", "jonas.becker@example.net")
    assert not after["Current candidate"].endswith("@erased.invalid")
    sent = snapshot(program.parent / "outbox")
    assert not any("erased" in name for name in set(sent) - set(before))


def test_an_erased_candidates_answer_is_set_aside_on_airtable(airtable, program):
    """The same on the fake base: the inquiries and the ledger in Airtable, the answers a download without
    addresses. Erase keeps the offer code's keyed hash in the base's ledger; the answer then moves nothing
    and is no problem."""
    from automations.jobs import privacy
    from tests.airtable_env import BASE

    airtable.fake.insert(BASE, "Referral inquiries", [dict(zip(HEADER, GERMANY))])
    referrals.run(airtable.ctx(DAY))
    (rec,) = airtable.records("Referral inquiries")
    code = offer_code(rec["fields"]["Inquiry ID"], "jonas.becker@example.net")
    with (program.parent / "data" / "referral_answers.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["Timestamp", "Offer code", "Answer"], ["24/11/2026 10:00:00", code, "Yes"]])
    privacy.erase(airtable.ctx(DAY + timedelta(days=2)), "jonas.becker@example.net")
    ledger = [r["fields"] for r in airtable.records("Mail ledger")]
    offers = [f for f in ledger if f.get("Key", "").startswith("erase:offer:")]
    assert len(offers) == 1 and offers[0]["Job"] == "erase" and offers[0]["Recipient"].endswith("@erased.invalid")
    assert code not in str(ledger)
    res = referrals.run(airtable.ctx(DAY + timedelta(days=9)))
    assert res.problems == [] and res.failures == []
    (rec,) = airtable.records("Referral inquiries")
    assert " accepted " not in rec["fields"]["Referral history"] and rec["fields"]["Referral status"] == "offered"
    assert " unanswered erased-" in rec["fields"]["Referral history"]
