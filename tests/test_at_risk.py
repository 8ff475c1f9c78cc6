"""`at-risk` and the digest's "at risk" section on the example program, checked against a count made here from the
CSV files themselves (not by the code under test)."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from automations.domain.at_risk import week_of
from automations.domain.quarters import Quarter
from tests.conftest import ROOT, outbox_messages, run_in_process

#: The form's columns of one activity section, in order after its kind (the example's headers).
SECTION = ("kind", "title", "date", "link", "goal", "registrations", "attendees", "hours", "audience", "views",
           "engagements", "reshares", "description")


def _day(text: str) -> date:
    return datetime.strptime(text.strip()[:10], "%d/%m/%Y").date()


def short_of_full_reports(as_of: date) -> set[str]:
    """The active, non-exempt ambassadors with fewer full reports dated in `as_of`'s quarter than the rule needs,
    from data/ambassadors.csv, data/checkin_responses.csv and config.yaml alone."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    needed = config["program"]["min_full_reports"]
    required = config["program"]["full_report_fields"]
    kinds = config["checkin_form"]["activity_kinds"]
    q = Quarter.of(as_of)
    q_days = (q.end - q.start).days + 1
    with open(ROOT / "data" / "ambassadors.csv", encoding="utf-8", newline="") as f:
        people = {}
        for row in csv.DictReader(f):
            start = date.fromisoformat(row["Start date"])
            late = q.start <= start <= q.end and (q.end - start).days + 1 < 0.5 * q_days
            if row["Status"].strip().lower() == "active" and start <= q.end and not late:
                people[row["Email"].strip().lower()] = start
    with open(ROOT / "data" / "checkin_responses.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[1:]
    latest: dict[tuple, tuple[datetime, bool]] = {}  # one activity's copies: the latest received wins
    for row in rows:
        received = datetime.strptime(row[0].strip(), "%d/%m/%Y %H:%M:%S")
        if received.date() > as_of:
            continue
        email = row[1].strip().lower()
        for first in (4, 17, 30):
            cells = dict(zip(SECTION, (c.strip() for c in row[first:first + len(SECTION)])))
            if cells["kind"] not in kinds:
                continue
            try:
                day = _day(cells["date"])
            except ValueError:
                continue
            if not (q.start <= day <= q.end):
                continue
            kind = kinds[cells["kind"]]
            full = all(any(cells[name] for name in need.split("|")) for need in required[kind])
            key = (email, kind, cells["title"].casefold(), day)
            if key not in latest or latest[key][0] <= received:
                latest[key] = (received, full)
    counts = {e: 0 for e in people}
    for (email, *_), (_, full) in latest.items():
        if full and email in counts:
            counts[email] += 1
    return {e for e, n in counts.items() if n < needed}


@pytest.fixture
def synced(program: Path):
    def at(day: str) -> Path:
        assert run_in_process("--as-of", day, "sync-checkins", config=program).code in (0, 1)
        return program
    return at


class TestAtRiskList:
    @pytest.mark.parametrize("as_of", ["2026-08-24", "2026-09-28"])
    def test_names_exactly_those_below_the_rule(self, synced, as_of):
        """The list names exactly the active ambassadors short of the quarter's full reports, as counted here."""
        config = synced(as_of)
        res = run_in_process("--as-of", as_of, "at-risk", "--format", "json", config=config)
        assert res.code == 0, res.err
        data = json.loads(res.out)
        named = [a["email"] for a in data["ambassadors"]]
        expected = short_of_full_reports(date.fromisoformat(as_of))
        assert set(named) == expected and len(named) == len(expected)
        assert "nomvula.dlamini@example.org" not in named  # joined too late in 2026Q3: exempt
        assert "hannah.schmidt@example.com" not in named  # paused

    def test_json_shape_and_order(self, synced):
        """`--format json` has stable keys; the most recently heard from come first, never heard from last."""
        config = synced("2026-09-28")
        data = json.loads(run_in_process("--as-of", "2026-09-28", "at-risk", "--format", "json", config=config).out)
        assert data["quarter"] == "2026Q3" and data["week"] == 13
        people = data["ambassadors"]
        assert set(people[0]) == {"email", "name", "full_reports", "activities", "needed", "missing",
                                  "last_checkin", "incomplete"}
        for p in people:
            assert p["needed"] == 2 and p["missing"] == 2 - p["full_reports"] > 0
            assert p["activities"] >= p["full_reports"]
        heard = [p["last_checkin"] for p in people if p["last_checkin"]]
        assert heard == sorted(heard, reverse=True)
        assert all(p["last_checkin"] is None for p in people[len(heard):])
        sanne = next(p for p in people if p["email"] == "sanne.devries@example.org")
        assert (sanne["full_reports"], sanne["missing"]) == (1, 1)  # a talk of 2 July, reported with 2026Q2

    def test_table(self, synced):
        config = synced("2026-09-28")
        res = run_in_process("--as-of", "2026-09-28", "at-risk", config=config)
        assert res.code == 0, res.err
        assert res.out.startswith("At risk in 2026Q3 (week 13)")
        assert "Karan Mehta" in res.out and "never" in res.out and "Kwame Mensah" not in res.out
        # Under each ambassador, what each incomplete report lacks: the JSON's `incomplete`, in the table's words
        # (on 2026-11-23, in 2026Q4, a report lacks something)
        config = synced("2026-11-23")
        res = run_in_process("--as-of", "2026-11-23", "at-risk", config=config)
        data = json.loads(run_in_process("--as-of", "2026-11-23", "at-risk", "--format", "json", config=config).out)
        lacking = [f"    {i['title']} ({i['date']}) lacks {', '.join(i['missing'])}"
                   for a in data["ambassadors"] for i in a["incomplete"]]
        assert lacking and all(line in res.out.splitlines() for line in lacking)
        assert sum(1 for line in res.out.splitlines() if " lacks " in line) == len(lacking)


def test_week_numbering():
    """Week 1 is a quarter's first seven days; 24 August is in week 8 of 2026Q3, 17 August in week 7."""
    q = Quarter.parse("2026Q3")
    assert [week_of(q, date(2026, m, d)) for m, d in ((7, 1), (7, 7), (7, 8), (8, 17), (8, 24))] == [1, 1, 2, 7, 8]


def _digest_text(config: Path, as_of: str) -> str:
    assert run_in_process("--as-of", as_of, "digest", config=config).code in (0, 1)
    [message] = [m for m in outbox_messages(config.parent / "outbox") if "digest" in str(m["Subject"]).lower()]
    return message.get_body(("plain",)).get_content() + message.get_body(("html",)).get_content()


class TestDigest:
    def test_no_at_risk_section_before_the_week(self, synced):
        """On a Monday of week 7 the digest has no "at risk" section."""
        text = _digest_text(synced("2026-08-17"), "2026-08-17")
        assert "AT RISK" not in text and "At risk" not in text

    def test_every_section_and_no_placeholder(self, synced):
        """From week 8 the digest lists those at risk; no placeholder text is left anywhere."""
        text = _digest_text(synced("2026-08-24"), "2026-08-24")
        expected = short_of_full_reports(date(2026, 8, 24))
        assert f"AT RISK IN 2026Q3 ({len(expected)})" in text
        for email in expected:
            assert email in text
        for heading in ("CHECK-IN", "STANDING CHANGES", "NEW ACTIVITIES THIS WEEK", "DATA PROBLEMS"):
            assert heading in text
        assert "COMING IN LATER VERSIONS" not in text.upper()
        assert "later versions" not in text.lower()


def test_on_the_airtable_fake_the_digest_and_at_risk_agree_with_the_count(airtable, program):
    """On the Airtable backend (the fake base on 127.0.0.1), run-all's digest of a Monday in week 8 lists exactly
    the ambassadors counted here, and `at-risk` (the job alone) the same, in the same order."""
    from automations.jobs import at_risk as at_risk_job
    from automations.jobs import run_all

    day = date(2026, 11, 23)  # week 8 of 2026Q4
    results = run_all.run(airtable.ctx(day))
    assert all(not r.failures for r in results)
    [message] = [m for m in outbox_messages(program.parent / "outbox") if "digest" in str(m["Subject"]).lower()]
    text = message.get_body(("plain",)).get_content()
    expected = short_of_full_reports(day)
    assert f"AT RISK IN 2026Q4 ({len(expected)})" in text
    data = json.loads(at_risk_job.run(airtable.ctx(day), "json").output)
    named = [a["email"] for a in data["ambassadors"]]
    assert set(named) == expected and len(named) == len(expected)
    section = text.split("AT RISK IN 2026Q4")[1].split("REFERRAL OFFERS")[0]
    assert [e for e in (line.split("<")[-1].rstrip(">") for line in section.splitlines() if "<" in line)] == named
