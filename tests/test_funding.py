"""The funding job: short notice, large events, invoice reminders on schedule, the budget warning,
no invoice no reimbursement; once per key, dry run writes nothing; CSV and the fake Airtable."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import yaml

from automations import bootstrap
from automations.config import load_config
from automations.domain.funding import FundingRequest, FundingSettings, parse_amount, plan_funding, request_key
from automations.jobs import funding
from tests.conftest import outbox_messages, snapshot

DAY = date(2026, 10, 19)
PRIYA = "priya.deshmukh@example.org"
STAFF = "ambassador-staff@example.org"
HEADER = ["Ambassador email", "What", "Kind", "Amount", "Currency", "Event date", "Region", "Status",
          "Approved amount", "Invoice", "Invoice received", "Evidence", "Requested on"]


def request(what: str, event: date, status: str = "requested", amount: str = "200", **cells: str) -> dict:
    row = dict.fromkeys(HEADER, "")
    row.update({"Ambassador email": PRIYA, "What": what, "Amount": amount, "Currency": "EUR",
                "Event date": event.isoformat(), "Status": status})
    row.update({k.replace("_", " ").capitalize(): v for k, v in cells.items()})
    return row


def write_requests(program: Path, rows: list[dict]) -> Path:
    path = program.parent / "data" / "funding_requests.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else HEADER)
        w.writeheader()
        w.writerows(rows)
    return path


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def edit(path: Path, what: str, **cells: str) -> None:
    rows = read(path)
    for r in rows:
        if r["What"] == what:
            r.update({k.replace("_", " ").capitalize(): v for k, v in cells.items()})
    write_requests(path.parent.parent / "config.yaml", rows)


def configure(program: Path, **funding_keys) -> None:
    data = yaml.safe_load(program.read_text(encoding="utf-8"))
    data["funding"] = funding_keys
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run(program: Path, day: date, dry_run: bool = False):
    return funding.run(bootstrap.build(load_config(program), day, dry_run=dry_run))


def outbox_keys(program: Path) -> list[str]:
    return sorted(m["X-Automation-Key"] for m in outbox_messages(program.parent / "outbox"))


def key(what: str, event: date) -> str:
    return request_key(PRIYA, what, event)


class TestLeadTime:
    def test_thirty_days_ahead_is_flagged_ninety_is_not(self, program):
        """A request 30 days before its event is flagged to the ambassador and staff; one 90 days before is not."""
        path = write_requests(program, [request("Stickers", DAY + timedelta(30)), request("Food", DAY + timedelta(90))])
        res = run(program, DAY)
        assert res.failures == [] and res.new_problems == []
        k = key("Stickers", DAY + timedelta(30))
        assert outbox_keys(program) == [f"funding_short_notice:{k}:{PRIYA}", f"funding_short_notice_staff:{k}:{STAFF}"]
        rows = {r["What"]: r for r in read(path)}
        assert rows["Stickers"]["Flags"] == "short notice: 30 days before the event"
        assert rows["Food"]["Flags"] == "" and rows["Food"]["First seen"] == DAY.isoformat()

    def test_lead_is_measured_from_when_it_was_asked(self, program):
        """A request first seen 90 days ahead is not flagged later, when its event is 30 days away."""
        write_requests(program, [request("Food", DAY + timedelta(90))])
        run(program, DAY)
        run(program, DAY + timedelta(60))
        assert outbox_keys(program) == []

    def test_requested_on_wins_over_first_seen(self, program):
        """Staff's "Requested on" date is the request's date, even when the job first sees it later."""
        write_requests(program, [request("Food", DAY + timedelta(30), requested_on=(DAY - timedelta(60)).isoformat())])
        run(program, DAY)
        assert outbox_keys(program) == []


class TestLargeEvents:
    def test_a_mauticamp_is_flagged_to_staff_at_once(self, program):
        """A large event a year away is flagged to staff on the first run, once; a kind column works too."""
        far = DAY + timedelta(365)
        path = write_requests(program, [request("Venue for MautiCamp Lisbon", far, amount="3,000"),
                                        request("Venue", far + timedelta(1), kind="Large event")])
        run(program, DAY)
        assert outbox_keys(program) == sorted([f"funding_large_event:{key('Venue for MautiCamp Lisbon', far)}:{STAFF}",
                                               f"funding_large_event:{key('Venue', far + timedelta(1))}:{STAFF}"])
        assert {r["Flags"] for r in read(path)} == {"large event"}
        run(program, DAY + timedelta(1))
        assert len(outbox_keys(program)) == 2


class TestInvoiceReminders:
    def test_reminded_on_schedule_until_invoice_and_evidence(self, program):
        """Days 3 and 10 after the event remind; nothing between; once invoice and evidence are in, no more."""
        event = DAY
        path = write_requests(program, [request("Pizza", event, status="approved", requested_on="2026-07-01")])
        k = key("Pizza", event)
        sent = []
        for offset in (0, 2, 3, 4, 9):
            run(program, event + timedelta(offset))
            sent.append(len(outbox_keys(program)))
        assert sent == [0, 0, 1, 1, 1]
        run(program, event + timedelta(10))
        assert outbox_keys(program) == [f"funding_invoice_reminder:{k}:d10", f"funding_invoice_reminder:{k}:d3"]
        assert read(path)[0]["Reminders sent"] == "day 3, day 10"
        edit(path, "Pizza", invoice="https://files.example.org/invoice-17.pdf")
        run(program, event + timedelta(24))  # the invoice alone is not enough: evidence is still missing
        assert len(outbox_keys(program)) == 3
        edit(path, "Pizza", evidence="photos in the shared folder")
        run(program, event + timedelta(40))
        assert len(outbox_keys(program)) == 3
        assert read(path)[0]["Flags"] == ""

    def test_a_job_that_did_not_run_sends_only_the_latest_step(self, program):
        """Runs that stopped for weeks: one reminder (the latest step due), not three."""
        write_requests(program, [request("Pizza", DAY, status="approved", requested_on="2026-07-01")])
        run(program, DAY + timedelta(30))
        assert outbox_keys(program) == [f"funding_invoice_reminder:{key('Pizza', DAY)}:d24"]

    def test_paid_without_invoice_is_a_problem_and_status_untouched(self, program):
        """No invoice, no reimbursement: "paid" without one is a new data problem; the job never changes Status."""
        path = write_requests(program, [request("Swag", DAY - timedelta(5), status="paid")])
        res = run(program, DAY)
        (p,) = res.new_problems
        assert (p.column, p.value) == ("Status", "paid") and "no invoice and no evidence" in p.reason
        assert read(path)[0]["Status"] == "paid"
        assert run(program, DAY).new_problems == []  # on record now: not new again


class TestBudget:
    def test_warning_before_the_budget_is_exceeded(self, program):
        """At 80% of the year's EUR budget staff are warned once; over it, once more; other currencies apart."""
        configure(program, budgets={"EUR": 1000}, budget_warning_share=0.8)
        far = DAY + timedelta(120)
        path = write_requests(program, [request("Food", far, status="approved", amount="700", requested_on="2026-01-01"),
                                        request("Room", far, status="requested", amount="150", requested_on="2026-01-01"),
                                        request("Cups", far, status="approved", amount="900", currency="USD",
                                                requested_on="2026-01-01")])
        res = run(program, DAY)
        assert outbox_keys(program) == []
        assert any(line.startswith("budget 2027 EUR: 700.00 of 1,000.00 approved (70%), 150.00") for line in res.summary)
        edit(path, "Room", status="approved")
        run(program, DAY)
        assert outbox_keys(program) == [f"funding_budget:2027:EUR:warn:{STAFF}"]
        run(program, DAY + timedelta(1))
        assert len(outbox_keys(program)) == 1
        edit(path, "Room", approved_amount="400")
        run(program, DAY + timedelta(2))
        assert outbox_keys(program) == [f"funding_budget:2027:EUR:over:{STAFF}", f"funding_budget:2027:EUR:warn:{STAFF}"]


class TestOnceAndDry:
    def test_a_rerun_sends_nothing_twice_and_writes_nothing(self, program):
        """The same day again: no message, the requests file byte for byte as it was."""
        path = write_requests(program, [request("Stickers", DAY + timedelta(30)),
                                        request("MautiCamp", DAY + timedelta(200))])
        run(program, DAY)
        keys, before = outbox_keys(program), path.read_bytes()
        res = run(program, DAY)
        assert outbox_keys(program) == keys and len(keys) == 3 and path.read_bytes() == before
        assert "requests already up to date" in res.summary[0]

    def test_dry_run_writes_nothing(self, program, cli):
        """--dry-run lists the messages and the rows it would update; no file in the folder changes."""
        write_requests(program, [request("Stickers", DAY + timedelta(30))])
        before = snapshot(program.parent)
        r = cli("--as-of", DAY.isoformat(), "funding", "--dry-run", config=program)
        assert r.code == 0, r.err
        assert "would send funding_short_notice to priya.deshmukh@example.org" in r.out
        assert "would update 1 row" in r.out
        assert snapshot(program.parent) == before

    def test_unusable_rows_are_problems(self, program):
        """An amount that is not one, an unknown status and an address not on the roster are problems."""
        write_requests(program, [request("A", DAY, amount="lots"), request("B", DAY, status="maybe"),
                                 {**request("C", DAY), "Ambassador email": "nobody@example.org"}])
        res = run(program, DAY)
        assert sorted((p.row, p.column) for p in res.new_problems) == [(2, "Amount"), (3, "Status"),
                                                                       (4, "Ambassador email")]


    def test_every_error_of_a_row_in_the_same_run(self, program, cli):
        """A row with four mistakes (an address not on the roster, an amount, a currency and a status) gives four
        data problems in one run, each naming its row, column and value and what is wrong; a row whose only
        mistake is its approved amount is still counted; the rerun finds nothing new."""
        write_requests(program, [{**request("Banner", DAY + timedelta(90), status="maybe", amount="lots",
                                            currency="EURO"), "Ambassador email": "nobody@example.org"},
                                 request("Stickers", DAY + timedelta(90), approved_amount="12O")])
        first = cli("--as-of", DAY.isoformat(), "funding", config=program)
        assert first.code == 1
        lines = [line for line in first.err.splitlines() if line.startswith("unusable (new): ")]
        row = "unusable (new): funding_requests.csv row 2, column"
        assert [line for line in lines if line.startswith(row)] == [
            f"{row} 'Ambassador email': 'nobody@example.org' is not on the roster; the request was skipped (correct "
            f"the address, or add the ambassador)",
            f"{row} 'Amount': 'lots' is not an amount (e.g. 250 or 1,200.50); the request was skipped",
            f"{row} 'Currency': 'EURO' is not a three-letter currency code (EUR, USD, ...); the request was skipped",
            f"{row} 'Status': 'maybe' is not one of requested, approved, rejected, paid; the request was skipped"]
        assert [line for line in lines if not line.startswith(row)] == [
            "unusable (new): funding_requests.csv row 3, column 'Approved amount': '12O' is not an amount (e.g. 250 "
            "or 1,200.50); the amount asked is counted instead"]
        assert "1 request:" in first.out
        again = cli("--as-of", DAY.isoformat(), "funding", config=program)
        assert again.code == 0 and "unusable (new)" not in again.err


class TestPlanner:
    SETTINGS = FundingSettings(60, ("MautiCamp",), "quarter", {"EUR": Decimal(100)}, 0.8, (3, 10, 24), (STAFF,))

    def test_amounts_as_staff_type_them(self):
        """'1,200.50', '1.200,50', '€ 80' and '250' are read; 'lots' is not."""
        assert [parse_amount(t) for t in ("1,200.50", "1.200,50", "€ 80", "250", "")] == \
            [Decimal("1200.50"), Decimal("1200.50"), Decimal(80), Decimal(250), None]

    def test_a_typo_is_refused_not_read_as_another_number(self):
        """'12O' (a letter O), '2k', '1,5OO', '1e3', '5 x 20', '12 34' are reported, never read as 12, 2, 1.5..."""
        for typo in ("12O", "2k", "1,5OO", "1e3", "5 x 20", "12 34", "-5"):
            try:
                got = parse_amount(typo)
            except ValueError:
                continue
            raise AssertionError(f"{typo!r} was read as {got}")

    def test_budget_period_is_the_events_quarter(self):
        """With quarterly budgets, approved amounts add up per quarter of the event date."""
        rs = [FundingRequest(f"k{i}", i, PRIYA, f"w{i}", Decimal(50), "EUR", d, "approved", first_seen=d - timedelta(90))
              for i, d in enumerate((date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 5)))]
        plan = plan_funding(rs, date(2026, 10, 1), self.SETTINGS, {}, "f.csv")
        assert [(b.period, b.approved) for b in plan.budgets] == [("2026Q4", 100), ("2027Q1", 50)]
        assert [m.key for m in plan.messages] == [f"funding_budget:2026Q4:EUR:warn:{STAFF}"]


def test_on_airtable(airtable):
    """init makes the Funding requests table; the job reads it, flags, and writes only its own three fields."""
    fake = airtable.fake
    from tests.airtable_env import BASE

    fake.insert(BASE, "Funding requests", [
        {"Ambassador email": PRIYA, "What": "Stickers", "Amount": 120, "Currency": "EUR",
         "Event date": (DAY + timedelta(30)).isoformat(), "Status": "requested"},
        {"Ambassador email": PRIYA, "What": "Food", "Amount": 300, "Currency": "EUR",
         "Event date": (DAY + timedelta(90)).isoformat(), "Status": "approved", "Approved amount": 250},
    ])
    res = funding.run(airtable.ctx(DAY))
    assert res.failures == [] and res.new_problems == []
    rows = {r["fields"]["What"]: r["fields"] for r in airtable.records("Funding requests")}
    assert rows["Stickers"]["Flags"] == "short notice: 30 days before the event"
    assert rows["Food"].get("Flags") is None and rows["Food"]["First seen"] == DAY.isoformat()
    assert rows["Food"]["Status"] == "approved" and rows["Stickers"]["Amount"] == 120
    k = key("Stickers", DAY + timedelta(30))
    sent = sorted(r["fields"]["Key"] for r in airtable.records("Mail ledger") if r["fields"].get("Status") == "sent"
                  and r["fields"].get("Job") != "calendar")  # the dates calendar files went with: test_calendar
    assert sent == [f"funding_short_notice:{k}:{PRIYA}", f"funding_short_notice_staff:{k}:{STAFF}"]
    airtable.fake.reset_log()
    again = funding.run(airtable.ctx(DAY))
    assert "requests already up to date" in again.summary[0]
    assert [r for r in airtable.fake.requests if r.kind == "write"] == []
