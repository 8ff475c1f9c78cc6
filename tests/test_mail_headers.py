"""Headers that cannot be forged (issue 18): a person's text, in any encoding, never adds a header or a
recipient, on the outbox, over SMTP and through Gmail; and one bad file in the outbox stops nothing.

The hostile texts are typed where people type: an attendee's name (and the attendee list's event name),
a blog proposal's title, a funding request's What and a referral inquiry's Organization. Python 3.11's
email package decodes an RFC 2047 encoded word while it folds a header, line breaks and all.
"""

from __future__ import annotations

import base64
import csv
import os
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import pytest

from automations.domain.messages import PlannedMessage
from automations.mail.message import ForgedHeader, Rendered, Sender, check_composed, clean_name, compose
from tests.conftest import copy_example, run_in_process, use_smtp

AS_OF = date(2026, 11, 20)
EVIL = "evil.example"
_B64 = base64.b64encode(b"Eve\r\nBcc: victim@evil.example\r\nReply-To: victim@evil.example\r\nX-Ignore: ").decode()
HOSTILE = {
    "q-word": "=?utf-8?q?Eve=0D=0ABcc:_victim@evil.example=0D=0AX-Ignore:_?=",
    "b-word": f"=?utf-8?b?{_B64}?=",
    "crlf": "Eve\r\nBcc: victim@evil.example\r\nReply-To: victim@evil.example\r\nX-Ignore: x",
    "bidi": "Eve \u202egnp.exe\u202c\u200b \u2066Bcc: victim@evil.example\u2069\ufeff",
}
#: The only headers a message of ours has, and those of its MIME parts (CONTRACT.md's mail headers).
TOP = {"from", "to", "reply-to", "subject", "date", "message-id", "x-automation-job", "x-automation-key",
       "list-unsubscribe", "mime-version", "content-type", "content-transfer-encoding"}
PART = {"content-type", "content-transfer-encoding", "content-disposition", "mime-version"}
ATTENDEE = "eve@example.org"
STAFF = "ambassador-staff@example.org"
AUTHOR = "priya.deshmukh@example.org"


def plant(program: Path, text: str) -> None:
    """`text` where people type: an attendee's name and the list's event name, a blog proposal's title, a
    funding request's What (a large event, mailed to staff) and a referral inquiry's Organization (in a
    country with no ambassador: staff are told at once)."""
    data = program.parent / "data"
    (data / "attendees").mkdir(exist_ok=True)
    event = " ".join(text.replace("/", " ").split())  # a file name: no slash; the list's rows keep line breaks
    with (data / "attendees" / f"2026-11-14 {event}.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["Name", "Email"], [text, ATTENDEE]])
    with (data / "blog_proposals.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["Title", "Author email", "Summary", "Reviewers", "Stage", "Published URL",
                                   "Published on"], [text, AUTHOR, "How we follow up.", "", "draft", "", ""]])
    with (data / "funding_requests.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["Ambassador email", "What", "Kind", "Amount", "Currency", "Event date", "Status"],
                                  [AUTHOR, text, "Large event", "3000", "EUR",
                                   (AS_OF + timedelta(days=300)).isoformat(), "requested"]])
    with (data / "referral_inquiries.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["Organization", "Contact name", "Contact email", "Country", "Region", "Language",
                                   "Need", "Details"],
                                  [text, "Greta", "greta@shop.example", "Atlantis", "", "", "training", "x"]])


def hostile_program(tmp_path: Path, text: str) -> Path:
    config = copy_example(tmp_path, "unusable_rows.csv")
    plant(config, text)
    return config


def assert_unforged(raw: bytes, recipients: list[str] | None = None) -> EmailMessage:
    """The message as a mail program reads it: only our headers, each once, one To address and no trace of
    the hostile addresses in any header; with `recipients`, the envelope's are exactly that To address."""
    msg = message_from_bytes(raw, policy=policy.default)
    names = [k.lower() for k in msg]
    assert set(names) <= TOP and len(names) == len(set(names)), names
    for part in msg.walk():
        if part is not msg:
            assert {k.lower() for k in part} <= PART, part.keys()
    [to] = msg["To"].addresses
    assert [a.addr_spec for a in msg["Reply-To"].addresses] != [] and EVIL not in str(msg["Reply-To"])
    head = raw.split(b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n", 1)[0]
    assert b"evil.example>" not in head and b"\nBcc" not in head and b"\nX-Ignore" not in head
    for value in (str(msg["To"]), str(msg["Subject"])):
        assert "\r" not in value and "\n" not in value and "\u202e" not in value and "\u200b" not in value
        assert "=?" not in value  # no encoded word left to decode, by us or by the mail program
    if recipients is not None:
        assert recipients == [to.addr_spec]
    return msg


def jobs_of(msgs) -> set[str]:
    return {m["X-Automation-Job"] for m in msgs}


#: The messages that carry the hostile text in their subject or To, each planted spot once.
CARRIERS = {"certificate_event", "blog_review_created", "funding_large_event", "referral_exhausted"}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_outbox_messages_hold_no_forged_header(tmp_path, kind):
    config = hostile_program(tmp_path, HOSTILE[kind])
    for job in ("certificates", "run-all"):  # run-all does not draw certificates
        res = run_in_process("--as-of", AS_OF.isoformat(), job, config=config)
        assert "Traceback" not in res.err and "cannot compose" not in res.out + res.err, res.err
    msgs = [assert_unforged(p.read_bytes()) for p in sorted((tmp_path / "outbox").rglob("*.eml"))]
    assert jobs_of(msgs) >= CARRIERS, jobs_of(msgs)
    to_eve = [m for m in msgs if m["X-Automation-Job"] == "certificate_event"]
    assert [a.addr_spec for m in to_eve for a in m["To"].addresses] == [ATTENDEE]
    # the hostile text is there, as text: the funding request's What in its staff mail's subject
    [large] = [m for m in msgs if m["X-Automation-Job"] == "funding_large_event"]
    assert clean_name(HOSTILE[kind]) in str(large["Subject"]) and [a.addr_spec for a in large["To"].addresses] == [STAFF]
    assert "Bcc: victim" not in (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8").split("<tbody>")[0]


@pytest.mark.parametrize("kind", ["q-word", "b-word", "crlf"])
def test_smtp_envelope_and_headers_are_the_ones_set(tmp_path, smtp_server, kind):
    config = hostile_program(tmp_path, HOSTILE[kind])
    use_smtp(config, smtp_server)
    for job in ("certificates", "blog-reviews", "funding", "referrals"):
        res = run_in_process("--as-of", AS_OF.isoformat(), job, config=config)
        assert res.code == 0 and "Traceback" not in res.err, (job, res.out, res.err)
    received = smtp_server.received
    msgs = [assert_unforged(r.data, r.rcpt_tos) for r in received]
    assert jobs_of(msgs) >= CARRIERS
    assert not any(EVIL in rcpt for r in received for rcpt in r.rcpt_tos)


def test_through_gmail_the_raw_message_names_only_the_recipient(program, google):
    """Gmail takes the recipients from the raw message's headers (To, Cc, Bcc): it must name only ours."""
    os.environ.setdefault("NO_GCE_CHECK", "true")
    from automations import bootstrap
    from automations.config import load_config
    from automations.jobs import blog_reviews, certificates, funding, referrals
    from tests.test_google import configure

    config = program
    fake, _ = google
    configure(config, mail={"transport": "gmail"})
    plant(config, HOSTILE["q-word"])
    for job in (certificates, blog_reviews, funding, referrals):
        res = job.run(bootstrap.build(load_config(config), AS_OF, dry_run=False))
        assert res.failures == [], res.failures
    msgs = [assert_unforged(m["raw_bytes"]) for m in fake.sent_mail]
    assert jobs_of(msgs) >= CARRIERS
    for m in msgs:
        assert not any(m.get_all(h) for h in ("Cc", "Bcc"))


from tests.test_certificates import renderer  # noqa: E402,F401  (the certificate renderer, for a PDF)
from tests.test_google import google  # noqa: E402,F401  (test_google's fake Google, for the Gmail test)

# ---- compose itself: the cleaning, and the read-back that refuses what was not set ---------------------------

SENDER = Sender("ambassadors@mautic.org", "Mautic Ambassadors", "ambassadors@mautic.org")


def composed(name: str, subject: str):
    planned = PlannedMessage("k:1", "certificate_event", "eve@example.org", name)
    return compose(Rendered(planned, subject, "text", "<p>html</p>"), SENDER, datetime(2026, 11, 20, tzinfo=UTC))


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_compose_keeps_the_text_and_adds_nothing(kind):
    out = composed(HOSTILE[kind], "Review: " + HOSTILE[kind])
    msg = assert_unforged(out.data, [out.to_addr])
    assert msg["To"].addresses[0].display_name.startswith("=") or "Eve" in msg["To"].addresses[0].display_name


@pytest.mark.parametrize("name", ["Zoë Müller " * 120, "中" * 20_000, HOSTILE["q-word"] * 40 + " é"],
                         ids=["latin", "cjk", "encoded-words"])
def test_a_very_long_name_is_cut_in_the_header_and_still_sent(name):
    """A name or subject past HEADER_TEXT_LIMIT is cut in the header (ending in "…"; folding a long header
    takes Python's email package a time that grows with the square of its length), reads back the same
    (spacing aside), adds nothing, and the body is untouched."""
    from automations.mail.message import HEADER_TEXT_LIMIT

    out = composed(name, "Review: " + name)
    msg = assert_unforged(out.data, [out.to_addr])
    shown_name = msg["To"].addresses[0].display_name
    assert len(clean_name(name).replace("= ?", "=?")) == HEADER_TEXT_LIMIT and shown_name.endswith("…")
    assert "".join(shown_name.split()) == "".join(clean_name(name).split())
    assert "".join(str(msg["Subject"]).split()) == "".join(clean_name("Review: " + name).split())


def test_clean_name_neutralises_every_encoded_word_start():
    assert clean_name("a=?b==??c") == "a= ?b== ??c"
    assert "=?" not in clean_name("=" * 5 + "?" * 5)
    assert clean_name(" Zoë\u00a0Müller\u202e ") == "Zoë Müller" and clean_name("李小龙") == "李小龙"
    assert clean_name("Ana\r\nLima\tX\u0085Y") == "Ana Lima X Y"


def test_a_message_with_a_header_it_was_not_given_is_refused():
    """What Python 3.11 alone makes of an encoded word in a display name: the read-back refuses it."""
    msg = EmailMessage()
    msg["From"] = Address("Mautic", addr_spec="ambassadors@mautic.org")
    msg["To"] = Address(HOSTILE["q-word"], addr_spec="eve@example.org")
    msg["Reply-To"] = "ambassadors@mautic.org"
    msg["Subject"] = "Hello"
    msg.set_content("x")
    raw = msg.as_bytes(policy=policy.SMTP)
    assert b"\r\nBcc: victim@evil.example" in raw  # the attack, as it was
    with pytest.raises(ForgedHeader, match="bcc"):
        check_composed(raw, to_name=HOSTILE["q-word"], to_addr="eve@example.org", subject="Hello", sender=SENDER)
    honest = composed("Eve", "Hello").data
    with pytest.raises(ForgedHeader, match="To"):
        check_composed(honest, to_name="Eve", to_addr="other@example.org", subject="Hello", sender=SENDER)


def test_a_forged_message_fails_alone_and_the_rest_go(tmp_path):
    """The read-back runs for every message: one that fails it is that message's failure (named), not the job's."""
    from automations.mail.delivery import Delivery, prepare

    class Renderer:
        def render(self, p):
            return Rendered(p, "Hello", "t", "<p>h</p>")

    good = PlannedMessage("k:good", "x", "ann@example.org", "Ann")
    bad = PlannedMessage("k:bad", "x", "bo@example.org", "Bo")
    result = Delivery()
    odd = Sender("ambassadors@mautic.org", "Mautic", "not an address, x@evil.example")  # a Reply-To of two
    ready = prepare([good, bad], Renderer(), odd, set(), result, datetime(2026, 11, 20, tzinfo=UTC))
    assert ready == [] and len(result.failures) == 2 and "Reply-To" in result.failures[0]
    ready = prepare([good, bad], Renderer(), SENDER, set(), Delivery(), datetime(2026, 11, 20, tzinfo=UTC))
    assert [r.planned.key for r, _ in ready] == ["k:good", "k:bad"]
    # a key with an encoded word in it (a typed id) would read back otherwise: that message fails, named
    odd_key = PlannedMessage("k:=?utf-8?q?x=0D=0AX-A:_b?=", "x", "cy@example.org", "Cy")
    result = Delivery()
    ready = prepare([good, odd_key], Renderer(), SENDER, set(), result, datetime(2026, 11, 20, tzinfo=UTC))
    assert [r.planned.key for r, _ in ready] == ["k:good"]
    assert len(result.failures) == 1 and result.failures[0].startswith("k:=?utf-8?q?x") and "not sent" in result.failures[0]


# ---- one bad file stops nothing -------------------------------------------------------------------------------

#: What an earlier version left in the outbox for the name `=?utf-8?q?=0D=0AX-A:_b?=`: a To header the email
#: package cannot read back (IndexError in its header parser).
BAD_EML = (b'From: Mautic Ambassadors <ambassadors@example.org>\n'
           b'To: "\nX-A: b" <eve@example.org>\nSubject: Your certificate of attendance\n'
           b'X-Automation-Job: certificate_event\nX-Automation-Key: certificate_event:2026-11-14-sprint:eve@example.org\n'
           b'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: 7bit\nMIME-Version: 1.0\n\nHello Eve\n')


def test_one_bad_file_then_run_all_export_and_erase_work(tmp_path):
    config = hostile_program(tmp_path, "=?utf-8?q?=0D=0AX-A:_b?=")
    first = run_in_process("--as-of", AS_OF.isoformat(), "certificates", config=config)
    assert first.code == 0 and "Traceback" not in first.err, first.err
    for p in (tmp_path / "outbox").rglob("*.eml"):
        assert_unforged(p.read_bytes())
    day = tmp_path / "outbox" / "2026-11-13"
    day.mkdir()
    (day / "certificate_event-old.eml").write_bytes(BAD_EML)
    run = run_in_process("--as-of", AS_OF.isoformat(), "run-all", config=config)
    assert run.code in (0, 1) and "Traceback" not in run.err, run.err
    index = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    assert "unreadable" in index and "2026-11-13/certificate_event-old.eml" in index
    assert "certificate_event:2026-11-14" in index  # the rest is indexed
    export = run_in_process("export", ATTENDEE, config=config)
    assert export.code == 0 and "Traceback" not in export.err, export.err
    erase = run_in_process("erase", ATTENDEE, config=config)
    assert erase.code == 0 and "Traceback" not in erase.err, erase.err
    assert not (day / "certificate_event-old.eml").exists()  # found by its address, read as it is
    again = run_in_process("--as-of", AS_OF.isoformat(), "run-all", config=config)
    assert again.code in (0, 1) and "Traceback" not in again.err, again.err


# ---- names drawn and written: no bidi override, nothing invisible -------------------------------------------

def test_a_certificate_draws_a_name_in_the_order_it_was_typed(renderer):
    """An attendee `Eve` + RIGHT-TO-LEFT OVERRIDE + `gnp.exe` would be drawn `Eve exe.png`; zero-width
    characters would hide inside the name. Both go before the name is drawn or mailed; a Persian name keeps its
    zero-width non-joiner (it shapes the word)."""
    import pypdfium2

    from automations.domain.certificates import Attendee, event_id, plan_events

    day = date(2026, 11, 14)
    ev = event_id("Sprint", day)
    people = [Attendee(ev, "Sprint\u202e", day, "Eve \u202egnp.exe\u202c\u200b\u2066x\u2069", "eve@example.org", 2, "x"),
              Attendee(ev, "Sprint", day, "می\u200cخواهم", "mi@example.org", 3, "x")]
    eve, persian = plan_events(people, AS_OF, 30)
    assert eve.name == "Eve gnp.exex" and eve.event_name == "Sprint" and persian.name == "می\u200cخواهم"
    pdf = renderer.render(eve)
    text = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "Eve gnp.exex" in text and "\u202e" not in text and "\u200b" not in text


def test_a_review_document_holds_no_bidi_override():
    from automations.domain.blog import BlogSettings, Proposal, document_fields

    p = Proposal(key="k", row=2, title="Segments\u202e after\u200b meetups", author="priya@example.org",
                 summary="Line one\u2066\r\nLine two", reviewers=(), stage="draft")
    settings = BlogSettings(reviewers=("r@example.org",), stale_days={}, staff=())
    fields = document_fields(p, AS_OF, settings, {"priya@example.org": "Pri\u202eya"})
    assert fields["title"] == "Segments after meetups" and fields["author"] == "Priya"
    assert fields["summary"] == "Line one\nLine two"


def test_on_airtable_an_attendee_and_event_forge_nothing(airtable):
    """The same attack through the Airtable backend's Event attendees table (name and event). (A long event and
    a long name together make an attachment file name too long for the outbox: issue 18's smaller list.)"""
    from automations.jobs import certificates
    from tests.airtable_env import BASE

    airtable.fake.insert(BASE, "Event attendees", [
        {"Name": HOSTILE["q-word"], "Event": "Workshop", "Date": "2026-11-14", "Email": ATTENDEE},
        {"Name": "Bo", "Event": HOSTILE["b-word"], "Date": "2026-11-14", "Email": "bo@example.org"},
        {"Name": HOSTILE["bidi"], "Event": "Workshop", "Date": "2026-11-14", "Email": "cy@example.org"}])
    res = certificates.run(airtable.ctx(date(2026, 11, 16)))
    assert res.failures == []
    msgs = [assert_unforged(p.read_bytes()) for p in sorted((airtable.config_path.parent / "outbox").rglob("*.eml"))]
    events = [m for m in msgs if m["X-Automation-Job"] == "certificate_event"]
    assert sorted(a.addr_spec for m in events for a in m["To"].addresses) == ["bo@example.org", "cy@example.org",
                                                                              ATTENDEE]
    [bo] = [m for m in events if m["To"].addresses[0].addr_spec == "bo@example.org"]
    assert str(bo["Subject"]).endswith(clean_name(HOSTILE["b-word"]))  # the event's name, as text


def test_the_quarterly_report_names_people_without_bidi_tricks(tmp_path):
    """Every ambassador's name typed with a right-to-left override and a zero-width space: the report's lines,
    rankings and perk holders name them as typed, without either."""
    from automations.domain.values import HIDDEN
    from automations.jobs import sync_checkins
    from tests.test_report import ctx, figures_of

    config = copy_example(tmp_path, "unusable_rows.csv")
    roster = config.parent / "data" / "ambassadors.csv"
    with roster.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    name = rows[0].index("Name")
    for r in rows[1:]:
        r[name] = f"{r[name]} \u202egnp.exe\u202c\u200b"
    with roster.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    sync_checkins.run(ctx(config))
    report = figures_of(config)
    names = [a.name for a in report.ambassadors] + [h.name for h in report.perk_holders]
    assert names and all(n.endswith(" gnp.exe") and not HIDDEN.search(n) for n in names if n)
