"""Sample data for every message's templates, so `doctor` can render each of them before go-live.

Each entry has the names the planners give that message (`domain.messages`, `welcome`, `referrals`,
`blog`, `funding`, `report`, `jobs.certificates`), with values of the shapes they give: lists hold
items (so a loop's body renders too) and flags are set the way that shows most of the message.
`variants` adds a second context with every flag turned over, every list empty and every value that
may be missing left out, so both sides of an `{% if %}` are rendered. The renderer adds the
program's own names (program_name, support_email, lead_name, ...), `recipient_name` and `language`.

tests/test_golive.py plans real messages and checks that each one's names are the ones here: a
planner that gains or loses a name makes that test fail until this file says the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .blog import BlogSettings, Proposal, document_fields
from .compliance import Rules, standings, tracks
from .funding import FundingRequest, FundingSettings
from .model import Activity, Ambassador
from .quarters import Quarter, latest_ended, quarters_between
from .referrals import Inquiry
from .report import ProgramReport, ReportSettings, build_report

_COUNTED = [{"title": "Mautic meetup in Pune", "kind": "Event", "date": "2026-08-14", "full": True, "missing": [],
             "reach": 42, "engagements": 0},
            {"title": "Segments explained (blog post)", "kind": "Content", "date": "2026-09-02", "full": True,
             "missing": [], "reach": 1200, "engagements": 87}]
_INCOMPLETE = [{"title": "Forum answers", "kind": "Community support", "date": "2026-09-20", "full": False,
                "missing": ["hours", "link or description"], "reach": 0, "engagements": 0}]
_PROBLEM = {"id": "p3f9a1c2e", "row": 14, "column": "Activity 2: When did it take place?", "value": "sometime in August",
            "reason": "is not a date (expected a form like 14/08/2026); activity 2 ('Segments explained') was skipped", "source": "checkin_responses.csv", "owner": "priya@mautic.org",
            "first_seen": "2026-10-12",
            "text": "checkin_responses.csv row 14, column 'Activity 2: When did it take place?': "
                    "'sometime in August' is not a date (expected a form like 14/08/2026); activity 2 "
                    "('Segments explained') was skipped"}
_AMBASSADOR = {"name": "Priya Deshmukh", "email": "priya@mautic.org", "country": "India", "region": "Asia",
               "university": "University of Pune"}
_PERSON = {"first_name": "Priya", "name": "Priya Deshmukh", "email": "priya@mautic.org"}
_FOUND = [{"title": "Segments in Mautic 5, a walkthrough", "date": "2026-08-21", "kind": "Content",
           "link": "https://priya.example/blog/segments-mautic-5",
           "prefill_link": "https://forms.example/checkin?usp=pp_url&entry.1=priya%40mautic.org&entry.21=Segments"},
          {"title": "Forum reply: Import contacts from CSV", "date": "2026-09-03", "kind": "Community support",
           "link": "", "prefill_link": ""}]
_CHECKIN = {"found": _FOUND, "quarter": "2026Q3", "closes": "2026-10-21", "form_link": "https://forms.example/checkin?e=priya",
            "needed": 2, "counted": _COUNTED[:1], "incomplete": _INCOMPLETE, "remaining": 1, "days_left": 3}
_STANDING = {"quarter": "2026Q3", "full_reports": 1, "needed": 2, "counted": _COUNTED[:1], "incomplete": _INCOMPLETE,
             "next_quarter": "2026Q4", "streak": 2, "ambassador": _AMBASSADOR}
_WELCOME = {"start_date": "2026-09-01", "needed": 2, "window_days": 21, "reminder_days": [10, 3],
            "invite_quarter": "2026Q3", "invite_date": "2026-10-01", "invite_today": True,
            "invite_closes": "2026-10-21", "first_quarter": "2026Q3", "exempt": True, "counting_quarter": "2026Q4",
            "counting_closes": "2027-01-21", "open_now": {"quarter": "2026Q2", "closes": "2026-07-21"},
            "form_link": "https://forms.example/checkin?e=priya"}
_INQUIRY = {"first_name": "team", "inquiry_id": "INQ-7", "organization": "Acme GmbH", "contact_name": "Jana Novak",
            "contact_email": "jana@acme.test", "country": "Germany", "region": "Europe", "inquiry_language": "German",
            "need": "training", "details": "Two days of training for the marketing team.", "row": 3,
            "steps": [{"date": "2026-10-01", "event": "offered", "who": "priya@mautic.org", "name": "Priya Deshmukh"},
                      {"date": "2026-10-03", "event": "accepted", "who": "priya@mautic.org",
                       "name": "Priya Deshmukh"}]}
_FUNDING = {"what": "Stickers for MautiCamp Pune", "amount": "250.00 EUR", "event_date": "2026-11-20",
            "region": "Asia", "ambassador_name": "Priya Deshmukh", "ambassador_email": "priya@mautic.org",
            "status": "approved"}
_CERTIFICATE = {**_PERSON, "day": "2026-09-01", "filename": "certificate-2026.pdf", "years": 1,
                "years_text": "one year", "start_date": "2025-09-01", "event_name": "MautiCamp Pune"}

#: Every message's sample context, by message (the template's name).
SAMPLES: dict[str, dict[str, Any]] = {
    "checkin_invite": {**_PERSON, **_CHECKIN},
    "checkin_reminder": {**_PERSON, **_CHECKIN},
    "checkin_receipt": {**_PERSON, "received": "2026-10-05", "activities": _COUNTED + _INCOMPLETE,
                        "quarters": [{"quarter": "2026Q3", "status": "pending", "full_reports": 1, "needed": 2,
                                      "closes": "2026-10-21"}],
                        "form_link": "https://forms.example/checkin?e=priya", "any_incomplete": True, "row": 14,
                        "problems": [_PROBLEM], "found": _FOUND},
    "data_problem": {**_PERSON, "row": 14, "received": "2026-10-05", "problems": [_PROBLEM],
                     "form_link": "https://forms.example/checkin?e=priya"},
    "standing_warned": {**_PERSON, **_STANDING},
    "standing_under_review": {**_PERSON, **_STANDING},
    "standing_under_review_staff": {**_STANDING, "first_name": "team"},
    "standing_restored": {**_PERSON, **_STANDING},
    "perk_free_event_access": {**_PERSON, **_STANDING},
    "perk_conference_funding": {**_PERSON, "since": "2026-09-01", "start_date": "2025-09-01"},
    "staff_digest": {"found_quarter": "2026Q3",
                     "found_tally": [{"name": "Priya Deshmukh", "email": "priya@mautic.org", "found": 3, "reported": 1,
                                      "unreported": 2, "activities": 4}],
                     "week": "2026-W41", "since": "2026-10-06", "as_of": "2026-10-12",
                     "problems": [{**_PROBLEM, "new": True, "owner": "Priya Deshmukh"},
                                  {**_PROBLEM, "row": 9, "new": False, "owner": "Rahul Verma"}],
                     "problem_owners": [{"owner": "Priya Deshmukh", "open": 1, "new": 1},
                                        {"owner": "Rahul Verma", "open": 1, "new": 0}],
                     "problem_count": 2, "new_problem_count": 1, "problems_where": "data/data_problems.csv",
                     "new_activities": [{**_COUNTED[0], "ambassador": "Priya Deshmukh"},
                                        {**_INCOMPLETE[0], "ambassador": "Rahul Verma"}],
                     "changed": [{"name": "Rahul Verma", "email": "rahul@mautic.org", "before": "good",
                                  "after": "warned", "quarter": "2026Q3"}],
                     "quarter": "2026Q3", "counts": {"met": 12, "pending": 3, "missed": 2, "exempt": 1},
                     "closes": "2026-10-21",
                     "at_risk_shown": True, "at_risk_quarter": "2026Q4", "at_risk_week": 9, "at_risk_from_week": 8,
                     "needed": 2,
                     "at_risk": [{"email": "rahul@mautic.org", "name": "Rahul Verma", "full_reports": 1,
                                  "activities": 2, "needed": 2, "missing": 1, "last_checkin": "2026-11-20",
                                  "incomplete": [{"title": "Mautic meetup Pune", "date": "2026-11-12",
                                                  "missing": ["attendees"]}]},
                                 {"email": "priya@mautic.org", "name": "Priya Deshmukh", "full_reports": 0,
                                  "activities": 0, "needed": 2, "missing": 2, "last_checkin": None,
                                  "incomplete": []}],
                     "referrals_waiting": [{"organization": "Acme GmbH", "country": "Germany", "need": "training",
                                            "candidate": "Zoë Müller", "days": 6}],
                     "referrals_waiting_count": 1,
                     "referrals_exhausted": [{"organization": "Loja Verde", "country": "Brazil", "need": "services",
                                              "asked": 3, "since": "2026-10-30"}],
                     "referrals_exhausted_count": 1,
                     "funding_awaiting": [{"ambassador": "Rahul Verma", "what": "Meetup venue, Pune",
                                           "amount": "150.00 EUR", "event_date": "2026-11-28", "days": 4}],
                     "funding_awaiting_count": 1,
                     "budgets_stretched": [{"period": "2026Q4", "currency": "EUR", "budget": "2,000.00",
                                            "approved": "1,700.00", "waiting": "150.00", "share": "85%",
                                            "over": False}],
                     "budgets_stretched_count": 1,
                     "blog_waiting": [{"title": "Segments explained", "stage": "first review", "on": "reviewer",
                                       "holders": "Staff reviewer", "days": 9},
                                      {"title": "Mautic in Portuguese", "stage": "draft", "on": "author",
                                       "holders": "João Pereira", "days": None}],
                     "blog_waiting_count": 2,
                     "first_name": "team"},
    "blog_review_created": {"first_name": "Priya", "title": "Segments explained",
                            "document": "https://docs.example/d/review", "author_name": "Priya Deshmukh",
                            "is_author": True, "summary": "How dynamic segments work, with three recipes."},
    "blog_review_nudge": {"first_name": "Priya", "title": "Segments explained", "stage": "first review", "days": 9,
                          "document": "https://docs.example/d/review", "author_name": "Priya Deshmukh"},
    "referral_offer": {"first_name": "Priya", "country": "Germany", "region": "Europe", "need": "training",
                       "inquiry_language": "German", "summary": "An organization in Europe, Germany asks for training.",
                       "code": "R3F9A1C2E7B", "yes_link": "https://forms.example/answer?code=R3F9A1C2E7B&a=Yes",
                       "no_link": "https://forms.example/answer?code=R3F9A1C2E7B&a=No", "answer_by": "2026-10-10",
                       "answer_days": 5},
    "referral_accepted": {**_INQUIRY, "ambassador_email": "priya@mautic.org", "ambassador_name": "Priya Deshmukh",
                          "ambassador_first_name": "Priya", "ambassador_country": "India",
                          "ambassador_region": "Asia", "contact_first_name": "Jana"},
    "referral_exhausted": dict(_INQUIRY),
    "notices_held": {"quarter": "2026Q3", "count": 9, "active": 20, "share": "45%", "limit": "25%",
                     "people": ["priya@mautic.org", "rahul@mautic.org"], "first_name": "team"},
    "welcome": {**_PERSON, **_WELCOME},
    "welcome_staff": {**_WELCOME, "first_name": "team",
                      "ambassador": {**_AMBASSADOR, "languages": ["en", "mr"], "forum_handle": "priya_d",
                                     "chat_handle": "@priya"}},
    "funding_short_notice": {**_FUNDING, "lead": 20, "lead_days": 60, "first_name": "Priya"},
    "funding_short_notice_staff": {**_FUNDING, "lead": 20, "lead_days": 60, "first_name": "team"},
    "funding_large_event": {**_FUNDING, "first_name": "team", "lead": 20},
    "funding_invoice_reminder": {**_FUNDING, "first_name": "Priya", "days_after": 10,
                                 "missing": ["the invoice", "evidence that the items were used at the event"],
                                 "approved": "200.00 EUR", "last": True},
    "funding_budget_warning": {"first_name": "team", "period": "2026", "currency": "EUR", "budget": "5,000.00 EUR",
                               "approved": "4,200.00 EUR", "share": "84%", "limit": "80%", "over": True,
                               "waiting": "600.00 EUR", "left": "800.00 EUR"},
    "certificate_yearly": dict(_CERTIFICATE),
    "certificate_event": dict(_CERTIFICATE),
    "quarterly_report": {"first_name": "team", "quarter": "2026Q3", "start": "2026-07-01", "end": "2026-09-30",
                         "met": 12, "missed": 2, "exempt": 1, "pending": 0, "activities": 57, "reach": 4300,
                         "engagements": 610, "countries": 9, "referrals": 2, "posts": 3,
                         "highlights": [{"title": "Mautic meetup in Pune", "ambassador": "Priya Deshmukh",
                                         "score": "84%", "basis": "attendees of registrations"}],
                         "filename": "report-2026Q3.pdf"},
}

#: Values a planner may leave out (no form link, no answer form, no check-in open right now).
MAY_BE_EMPTY: Mapping[str, Any] = {"open_now": None, "form_link": "", "yes_link": "", "no_link": "", "summary": "",
                                   "inquiry_language": "", "document": ""}


def _turned(context: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in context.items():
        if key in MAY_BE_EMPTY:
            out[key] = MAY_BE_EMPTY[key]
        elif isinstance(value, bool):
            out[key] = not value
        elif isinstance(value, list):
            out[key] = []
        else:
            out[key] = value
    return out


def variants(job: str) -> Iterator[dict[str, Any]]:
    """The sample context of `job`, then the same with every flag turned over and every list empty."""
    sample = SAMPLES[job]
    yield dict(sample)
    yield _turned(sample)


def review_document_fields(as_of: date, settings: BlogSettings) -> dict[str, str]:
    """The review document's placeholders for a sample proposal, as the blog-review job fills them."""
    proposal = Proposal(key="blog-sample", row=2, title="Segments explained", author="priya@mautic.org",
                        summary="How dynamic segments work, with three recipes.", reviewers=(), stage="proposed",
                        history=(("proposed", as_of),))
    return document_fields(proposal, as_of, settings, {"priya@mautic.org": "Priya Deshmukh"})



def sample_report(as_of: date, rules: Rules, funding: FundingSettings | None, settings: ReportSettings
                  ) -> ProgramReport:
    """A report of the latest ended quarter for `doctor` to render the report's templates with: one ambassador
    who started two years before it (before the records begin) and one who joined in it and has left since (a
    status history), each with an activity, a referral accepted and a request funded, so the sections that loop
    over people, quarters, cohorts and pages of history render their bodies and both sides of their conditions."""
    quarter = latest_ended(as_of)
    start = date(quarter.start.year - 2, quarter.start.month, 1)
    priya = Ambassador(email="priya@mautic.org", name="Priya Deshmukh", country="India", region="Maharashtra",
                       university="", languages=("en",), start_date=start, status="active", row=2)
    rahul = Ambassador(email="rahul@mautic.org", name="Rahul Verma", country="India", region="", university="",
                       languages=("hi", "en"), start_date=quarter.start, status="alumni", row=3,
                       status_history=((quarter.end, "alumni"),))
    day = quarter.start + timedelta(days=20)
    received = datetime(day.year, day.month, day.day, 18, tzinfo=rules.tz)
    done = [Activity(id=f"sample-{p.email}", email=p.email, kind=kind, title="Mautic meetup", date=day,
                     received_at=received, row=2, section=1, goal="Grow the user group", registrations=40,
                     attendees=30, hours=6.0) for p, kind in ((priya, "event"), (rahul, "talk"))]
    every = tracks([priya, rahul], done, rules, as_of, quarter)
    by_quarter = {q: standings(every, q) for q in quarters_between(Quarter.of(start), quarter)}
    inquiry = Inquiry("inq-sample", 2, "Acme", "Rita", "rita@acme.example.com", "India", "", "en", "training", "",
                      history=((day, "offered", priya.email), (day, "accepted", priya.email)))
    currency = next(iter(funding.budgets), "EUR") if funding is not None else "EUR"
    request = FundingRequest("fr-sample", 2, priya.email, "Venue", Decimal(300), currency, day, "approved")
    return build_report("Sample program", quarter, as_of, rules.window_days, by_quarter, [inquiry], [], [request],
                        funding, settings, every)
