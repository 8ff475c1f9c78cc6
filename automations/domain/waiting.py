"""What waits on someone, for the staff digest: referral offers without an answer and inquiries with no one left,
funding requests awaiting a decision and budget periods near or over budget, blog drafts waiting on a reviewer or
an author. Pure: plain data for the digest's template from the stores' values and the run's date.

Each list is what the stores hold today, not a week's news: an item stays in the digest until someone acts on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .blog import REVIEW_STAGES, STAGE_LABELS, BlogSettings, Proposal, holders
from .funding import Budget, FundingRequest, FundingSettings, budgets, period_of
from .privacy import forgotten
from .referrals.inquiries import EXHAUSTED, OFFERED, Inquiry

#: At most this many items of one list are shown; the rest are counted.
SHOWN = 50


@dataclass(frozen=True)
class Waiting:
    """The stores' values the digest reads (empty when a store is not read)."""

    inquiries: Sequence[Inquiry] = ()
    requests: Sequence[FundingRequest] = ()
    proposals: Sequence[Proposal] = ()


def _days(since: date | None, as_of: date) -> int | None:
    return (as_of - since).days if since is not None else None


def _name(names: Mapping[str, str], email: str) -> str:
    return names.get(email, "") or email


def referrals_waiting(inquiries: Sequence[Inquiry], names: Mapping[str, str], as_of: date) -> list[dict[str, Any]]:
    """Open offers, longest waiting first: the inquiry, the candidate asked and the days since."""
    rows = [{"organization": i.organization, "country": i.country, "need": i.need,
             "candidate": _name(names, i.current), "days": _days(i.offered_on, as_of) or 0}
            for i in inquiries if i.status == OFFERED and not forgotten(i.current, i.organization)]
    return sorted(rows, key=lambda r: (-r["days"], r["organization"].casefold()))


def referrals_exhausted(inquiries: Sequence[Inquiry], as_of: date) -> list[dict[str, Any]]:
    """Inquiries every fitting ambassador declined or let pass: staff answer them another way."""
    rows = [{"organization": i.organization, "country": i.country, "need": i.need, "asked": len(i.asked),
             "since": i.history[-1][0].isoformat()}
            for i in inquiries if i.status == EXHAUSTED and not forgotten("", i.organization)]
    return sorted(rows, key=lambda r: (r["since"], r["organization"].casefold()))


def funding_awaiting(requests: Sequence[FundingRequest], names: Mapping[str, str], as_of: date
                     ) -> list[dict[str, Any]]:
    """Requests still "requested", the soonest event first, with the days since they were asked."""
    rows = [{"ambassador": _name(names, r.ambassador), "what": r.what, "amount": f"{r.amount:,.2f} {r.currency}",
             "event_date": r.event_date.isoformat(), "days": _days(r.requested_on or r.first_seen, as_of)}
            for r in requests if r.status == "requested" and not forgotten(r.ambassador, r.what)]
    return sorted(rows, key=lambda r: (r["event_date"], r["ambassador"].casefold()))


def budgets_stretched(requests: Sequence[FundingRequest], settings: FundingSettings, as_of: date
                      ) -> list[dict[str, Any]]:
    """Budget periods (this one and later) whose approved amounts reached the warning share, or went over."""
    now = period_of(as_of, settings.budget_period)

    def view(b: Budget) -> dict[str, Any]:
        return {"period": b.period, "currency": b.currency, "budget": f"{b.budget:,.2f}",
                "approved": f"{b.approved:,.2f}", "waiting": f"{b.requested:,.2f}", "share": f"{b.share:.0%}",
                "over": b.approved > b.budget}

    return [view(b) for b in budgets(requests, settings)
            if b.period >= now and b.budget and b.share >= settings.warning_share]


def blog_waiting(proposals: Sequence[Proposal], settings: BlogSettings, names: Mapping[str, str], as_of: date
                 ) -> list[dict[str, Any]]:
    """Drafts waiting on their reviewers (in review) or their author (proposed, draft), longest waiting first."""
    rows = []
    for p in proposals:
        if p.stage not in ("proposed", "draft", *REVIEW_STAGES) or forgotten(p.author, p.title):
            continue
        rows.append({"title": p.title, "stage": STAGE_LABELS[p.stage],
                     "on": "reviewer" if p.stage in REVIEW_STAGES else "author",
                     "holders": ", ".join(_name(names, e) for e in holders(p, settings)) or "nobody named",
                     "days": _days(p.stage_since, as_of)})
    return sorted(rows, key=lambda r: (-(r["days"] or 0), r["title"].casefold()))


def waiting_context(w: Waiting, names: Mapping[str, str], as_of: date, funding: FundingSettings,
                    blog: BlogSettings) -> dict[str, Any]:
    """The digest's lists of what waits on someone, each cut to `SHOWN` items with its full count."""
    lists = {"referrals_waiting": referrals_waiting(w.inquiries, names, as_of),
             "referrals_exhausted": referrals_exhausted(w.inquiries, as_of),
             "funding_awaiting": funding_awaiting(w.requests, names, as_of),
             "budgets_stretched": budgets_stretched(w.requests, funding, as_of),
             "blog_waiting": blog_waiting(w.proposals, blog, names, as_of)}
    out: dict[str, Any] = {}
    for key, rows in lists.items():
        out[key] = rows[:SHOWN]
        out[key + "_count"] = len(rows)
    return out
