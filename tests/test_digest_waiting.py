"""The staff digest's lists of what waits on someone (`domain.waiting`), and the whole digest on the example with
every section filled from the stores: nothing left as a placeholder."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from automations.domain.blog import BlogSettings, Proposal
from automations.domain.funding import FundingRequest, FundingSettings
from automations.domain.referrals import Inquiry
from automations.domain.waiting import (
    Waiting,
    blog_waiting,
    budgets_stretched,
    funding_awaiting,
    referrals_exhausted,
    referrals_waiting,
    waiting_context,
)
from tests.conftest import outbox_messages, run_in_process

DAY = date(2026, 11, 23)  # a Monday, week 8 of 2026Q4
NAMES = {"zoe@example.org": "Zoë Müller", "priya@example.org": "Priya Deshmukh"}
FUNDING = FundingSettings(60, ("MautiCamp",), "year", {"EUR": Decimal(1000)}, 0.8, (3, 10), ("staff@example.org",))
BLOG = BlogSettings(("staff@example.org",), {}, ("staff@example.org",))


def inquiry(org: str, *history: tuple[date, str, str]) -> Inquiry:
    return Inquiry(f"id-{org}", 2, org, "Contact", "c@example.com", "Germany", "Europe", "", "training", "",
                   history=tuple(history))


def funding(what: str, status: str, amount: str, event: date = date(2026, 12, 10)) -> FundingRequest:
    return FundingRequest(what, 2, "priya@example.org", what, Decimal(amount), "EUR", event, status,
                          requested_on=date(2026, 11, 13))


class TestWaitingLists:
    def test_open_offers_with_days_waiting_and_inquiries_with_no_one_left(self):
        """An open offer shows its candidate and the days since; an exhausted inquiry is listed apart; an accepted
        one is in neither."""
        items = [inquiry("Acme", (date(2026, 11, 20), "offered", "zoe@example.org")),
                 inquiry("Beta", (date(2026, 11, 1), "offered", "zoe@example.org"), (date(2026, 11, 6), "declined",
                         "zoe@example.org"), (date(2026, 11, 6), "exhausted", "")),
                 inquiry("Gamma", (date(2026, 11, 1), "offered", "zoe@example.org"),
                         (date(2026, 11, 2), "accepted", "zoe@example.org"))]
        assert referrals_waiting(items, NAMES, DAY) == [
            {"organization": "Acme", "country": "Germany", "need": "training", "candidate": "Zoë Müller", "days": 3}]
        assert [(r["organization"], r["asked"], r["since"]) for r in referrals_exhausted(items, DAY)] == \
            [("Beta", 1, "2026-11-06")]

    def test_funding_awaiting_and_budgets(self):
        """Requests still "requested" await a decision; a year at 90% of its budget is near, over 100% is over;
        a past period is not shown."""
        requests = [funding("Venue", "requested", "150"), funding("Camp", "approved", "900"),
                    funding("Old", "approved", "5000", date(2025, 6, 1)), funding("No", "rejected", "700")]
        assert [(r["what"], r["amount"], r["days"]) for r in funding_awaiting(requests, NAMES, DAY)] == \
            [("Venue", "150.00 EUR", 10)]
        [b] = budgets_stretched(requests, FUNDING, DAY)
        assert (b["period"], b["share"], b["over"], b["waiting"]) == ("2026", "90%", False, "150.00")
        over = budgets_stretched([*requests, funding("More", "paid", "200")], FUNDING, DAY)
        assert [(b["share"], b["over"]) for b in over] == [("110%", True)]

    def test_blog_drafts_wait_on_reviewer_or_author(self):
        """In review: waiting on the reviewers (the configured ones when none is named); proposed or draft: on the
        author; published is not waiting."""
        proposals = [Proposal("k1", 2, "Segments", "priya@example.org", "", (), "first_review",
                              history=(("first_review", date(2026, 11, 9)),)),
                     Proposal("k2", 3, "Drafty", "priya@example.org", "", (), "draft"),
                     Proposal("k3", 4, "Done", "priya@example.org", "", (), "published")]
        rows = blog_waiting(proposals, BLOG, NAMES, DAY)
        assert [(r["title"], r["on"], r["holders"], r["days"]) for r in rows] == \
            [("Segments", "reviewer", "staff@example.org", 14), ("Drafty", "author", "Priya Deshmukh", None)]

    def test_counts_and_empty(self):
        """Every list is there with its count, empty when nothing waits."""
        context = waiting_context(Waiting(), NAMES, DAY, FUNDING, BLOG)
        assert all(context[k] == [] and context[k + "_count"] == 0 for k in
                   ("referrals_waiting", "referrals_exhausted", "funding_awaiting", "budgets_stretched", "blog_waiting"))


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])


def test_the_digest_has_every_section_from_the_stores(program: Path):
    """On the example, with a referral offer made, funding requests and a budget: every section of the digest is
    there with real data, the empty ones say "None.", and no placeholder is left."""
    data = yaml.safe_load(program.read_text(encoding="utf-8"))
    data["funding"] = {**(data.get("funding") or {}), "budgets": {"EUR": 1000}}
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    folder = program.parent / "data"
    _write(folder / "referral_inquiries.csv",
           ["Organization", "Contact name", "Contact email", "Country", "Region", "Language", "Need", "Details"],
           [["Acme Werke", "Greta", "greta@acme.example", "Germany", "Bavaria", "", "training", "A workshop"]])
    _write(folder / "funding_requests.csv",
           ["Ambassador email", "What", "Amount", "Currency", "Event date", "Status"],
           [["priya.deshmukh@example.org", "Meetup venue Pune", "150", "EUR", "2026-12-10", "requested"],
            ["priya.deshmukh@example.org", "MautiCamp travel", "900", "EUR", "2026-12-12", "approved"]])
    day = DAY.isoformat()
    assert run_in_process("--as-of", day, "sync-checkins", config=program).code in (0, 1)
    assert run_in_process("--as-of", day, "referrals", config=program).code in (0, 1)
    assert run_in_process("--as-of", day, "digest", config=program).code in (0, 1)
    [message] = [m for m in outbox_messages(program.parent / "outbox") if "digest" in str(m["Subject"]).lower()]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for heading in ("CHECK-IN", "STANDING CHANGES", "NEW ACTIVITIES THIS WEEK", "DATA PROBLEMS", "AT RISK IN 2026Q4",
                    "REFERRAL OFFERS WAITING FOR AN ANSWER (1)", "INQUIRIES WITH NO ONE LEFT (0)",
                    "FUNDING REQUESTS AWAITING A DECISION (1)", "BUDGETS NEAR OR OVER (1)", "BLOG DRAFTS WAITING (2)"):
        assert heading in text
    assert "Acme Werke (Germany, training): asked" in text and "0 days ago" in text
    assert "Meetup venue Pune, 150.00 EUR, event 2026-12-10" in text
    assert "2026 EUR: 900.00 approved of 1,000.00 (90%)" in text
    assert "Mautic in Portuguese: a translation sprint" in text and "waiting on the author: Priya Deshmukh" in text
    assert "By owner: Oliver Hughes 2 (2 new);" in text  # the example's problems, all new on a first sync
    assert text.split("INQUIRIES WITH NO ONE LEFT (0)")[1].lstrip().startswith("None.")
    assert "Inquiries with no one left (0)" in html and "Acme Werke" in html
    for body in (text, html):
        assert "COMING IN LATER VERSIONS" not in body.upper() and "later versions" not in body.lower()
