"""Funding and swag requests: lead time, large events, the budget, and "no invoice, no reimbursement".

Pure functions over `FundingRequest`s and the run's date. A request is a row (or record) staff
keep: who asks, for what, how much, in which currency, for which event date, and its status
(requested, approved, rejected, paid). The job owns three fields of it: the day it first saw the
request, the flags it raised and the invoice reminders that went. Every message has a key per
request and step, so a rerun sends nothing twice:

- a request that comes less than `lead_days` before its event is flagged, once, to the ambassador
  and to staff (measured from its "Requested on" date, or the day the job first saw it);
- a large event (a MautiCamp: a keyword in what is asked for, or the kind "large event") is
  flagged to staff the first time the job sees it, whatever its date;
- approved amounts (the approved amount, or the amount asked) are added up per budget period (the
  event's quarter or year) and currency; staff are warned once when they reach the configured share
  of that period's budget, and once more when they go over it;
- after an approved request's event, the ambassador is reminded on the configured days until an
  invoice and evidence are recorded (only the latest step that is due goes, never several at once);
- a request marked paid without an invoice (or without evidence) is a data problem for staff: the job
  never marks anything paid.

Keys (request key = ambassador, what and event date): `funding_short_notice:<request>:<email>`,
`funding_short_notice_staff:<request>:<staff>`, `funding_large_event:<request>:<staff>`,
`funding_invoice_reminder:<request>:d<days after the event>`,
`funding_budget:<period>:<currency>:warn|over:<staff>`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from .calendar import funding_event, funding_invoice
from .messages import PlannedMessage, addressed, first_name
from .model import Ambassador, Problem
from .quarters import Quarter
from .values import clean_text, normalize_email, normalize_title, parse_date, stable_digest

STATUSES = ("requested", "approved", "rejected", "paid")
LARGE_KIND = "large event"
FUNDED = ("approved", "paid")


@dataclass(frozen=True)
class FundingRequest:
    key: str  # stable: the ambassador, what is asked for and the event date
    row: int  # where staff wrote it
    ambassador: str  # normalised email
    what: str
    amount: Decimal
    currency: str  # upper case, e.g. EUR
    event_date: date
    status: str
    region: str = ""
    kind: str = ""
    approved_amount: Decimal | None = None
    invoice: str = ""  # a link, or a note that it arrived
    invoice_received: date | None = None
    evidence: str = ""
    requested_on: date | None = None  # staff's date, when they keep one
    first_seen: date | None = None  # the job's: the day it first read the request

    @property
    def has_invoice(self) -> bool:
        return bool(self.invoice.strip()) or self.invoice_received is not None

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence.strip())

    @property
    def funded(self) -> Decimal:
        """What counts against the budget once approved: the approved amount, else the amount asked."""
        return self.approved_amount if self.approved_amount is not None else self.amount


def request_key(ambassador: str, what: str, event_date: date) -> str:
    return "fund-" + stable_digest(normalize_email(ambassador), normalize_title(what), event_date.isoformat(),
                                   length=12)


DATES = ("%Y-%m-%d", "%d/%m/%Y")  # how people write a request's dates


def row_key(get: Callable[[str], str]) -> str:
    """The key of a request row as people wrote it (`get` gives a column's text by its title): what the store
    writes back by, and what erasing renames; "" when its event date cannot be read."""
    try:
        return request_key(get("Ambassador email"), clean_text(get("What")), parse_date(get("Event date"), DATES))
    except ValueError:
        return ""


@dataclass(frozen=True)
class FundingSettings:
    lead_days: int
    large_event_keywords: tuple[str, ...]
    budget_period: str  # "quarter" or "year"
    budgets: Mapping[str, Decimal]  # per currency, per period
    warning_share: float
    reminder_days: tuple[int, ...]  # after the event
    staff: tuple[str, ...]


def period_of(day: date, period: str) -> str:
    return str(Quarter.of(day)) if period == "quarter" else str(day.year)


def is_large(r: FundingRequest, keywords: Sequence[str]) -> bool:
    if " ".join(r.kind.casefold().split()) == LARGE_KIND:
        return True
    text = " ".join(r.what.casefold().split())
    squeezed = text.replace(" ", "")
    return any(k.casefold() in text or k.casefold().replace(" ", "") in squeezed for k in keywords if k.strip())


def lead_days(r: FundingRequest, as_of: date) -> int:
    """Days between the request and its event (negative: asked after the event)."""
    asked = r.requested_on or r.first_seen or as_of
    return (r.event_date - asked).days


@dataclass(frozen=True)
class Budget:
    period: str
    currency: str
    budget: Decimal
    approved: Decimal
    requested: Decimal  # still waiting for a decision

    @property
    def share(self) -> float:
        return float(self.approved / self.budget) if self.budget else 0.0


def budgets(requests: Sequence[FundingRequest], settings: FundingSettings) -> list[Budget]:
    """Each (period, currency) that has a budget and a request, with what was approved and what waits."""
    sums: dict[tuple[str, str], list[Decimal]] = {}
    for r in requests:
        if r.currency not in settings.budgets or r.status == "rejected":
            continue
        s = sums.setdefault((period_of(r.event_date, settings.budget_period), r.currency), [Decimal(0), Decimal(0)])
        if r.status in FUNDED:
            s[0] += r.funded
        else:
            s[1] += r.amount
    return [Budget(p, c, settings.budgets[c], a, q) for (p, c), (a, q) in sorted(sums.items())]


@dataclass
class FundingPlan:
    messages: list[PlannedMessage] = field(default_factory=list)
    flags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # request key -> its flags
    reminder_steps: dict[str, tuple[int, ...]] = field(default_factory=dict)  # request key -> steps due so far
    problems: list[Problem] = field(default_factory=list)
    budgets: list[Budget] = field(default_factory=list)


def _first(names: Mapping[str, str], email: str, people: Mapping[str, Ambassador] | None = None) -> str:
    """How a message greets someone: as the roster says (`messages.first_name`: their preferred name, else
    their whole name), or "there" for an address not on the roster."""
    amb = (people or {}).get(email)
    return first_name(amb) if amb is not None else names.get(email, "").strip() or "there"


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def calendar_requests(requests: Sequence[FundingRequest]) -> dict[str, str]:
    """What tells apart, in the calendar, requests of one ambassador for the same thing (by request key): the
    first asked (then the earliest event) keeps the UID a lone request has (empty); each other adds the day it
    was asked (`requested_on`, else the job's first sight of it), or its event's day when that is shared too.
    Neither moves with the event, except the last resort."""
    groups: dict[tuple[str, str], list[FundingRequest]] = {}
    for r in requests:
        groups.setdefault((normalize_email(r.ambassador), normalize_title(r.what)), []).append(r)
    out: dict[str, str] = {}
    for group in groups.values():
        group.sort(key=lambda r: (r.requested_on or r.first_seen or date.max, r.event_date, r.key))
        asked = [r.requested_on or r.first_seen for r in group]
        for i, r in enumerate(group):
            day = asked[i]
            if i == 0:
                out[r.key] = ""
            elif day is not None and asked.count(day) == 1:
                out[r.key] = f"asked:{day.isoformat()}"
            else:
                out[r.key] = f"event:{r.event_date.isoformat()}"
    return out


def plan_funding(requests: Sequence[FundingRequest], as_of: date, settings: FundingSettings,
                 names: Mapping[str, str], source: str, people: Mapping[str, Ambassador] | None = None
                 ) -> FundingPlan:
    """What the job does today: the flags, the reminders and the budget warnings due, and the problems."""
    plan = FundingPlan()
    told_apart = calendar_requests(requests)
    for r in requests:
        base = {"what": r.what, "amount": _money(r.amount, r.currency), "event_date": r.event_date.isoformat(),
                "region": r.region, "ambassador_name": names.get(r.ambassador, r.ambassador),
                "ambassador_email": r.ambassador, "status": r.status}
        flags: list[str] = []
        if r.status == "paid" and not (r.has_invoice and r.has_evidence):
            missing = " and ".join(w for w, ok in (("no invoice", r.has_invoice), ("no evidence", r.has_evidence))
                                   if not ok)
            plan.problems.append(Problem(source, r.row, "Status", r.status, f"is set, but the request has {missing} "
                                         f"recorded: no invoice, no reimbursement; record them, or change the status",
                                         "staff"))
        if r.status == "rejected":
            plan.flags[r.key] = ()
            continue
        lead = lead_days(r, as_of)
        # Only a request for an event still ahead, not yet paid: a past one entered for the record is no news.
        if lead < settings.lead_days and r.event_date >= as_of and r.status != "paid":
            flags.append(f"short notice: {lead} days before the event")
            context = {**base, "lead": lead, "lead_days": settings.lead_days}
            for who, job in ((r.ambassador, "funding_short_notice"),
                             *((s, "funding_short_notice_staff") for s in settings.staff)):
                plan.messages.append(addressed(PlannedMessage(
                    key=f"{job}:{r.key}:{who}", job=job, to_email=who, to_name=names.get(who, ""),
                    context={**context, "first_name": _first(names, who, people) if who == r.ambassador else "team"},
                    deadlines=(funding_event(r.ambassador, r.what, r.event_date, told_apart.get(r.key, "")),) if who == r.ambassador else ()),
                    (people or {}).get(who) if who == r.ambassador else None))
        if is_large(r, settings.large_event_keywords):
            flags.append("large event")
            for who in settings.staff:
                plan.messages.append(PlannedMessage(
                    key=f"funding_large_event:{r.key}:{who}", job="funding_large_event", to_email=who, to_name="",
                    context={**base, "first_name": "team", "lead": lead}))
        steps = tuple(d for d in settings.reminder_days if r.event_date + timedelta(days=d) <= as_of)
        if r.status in FUNDED and steps and not (r.has_invoice and r.has_evidence):
            flags.append("invoice and evidence awaited" if r.status == "approved" else "paid without invoice")
            if r.status == "approved":
                step = steps[-1]  # only the latest due: a job that did not run for a while sends one, not several
                awaited = [w for w, ok in (("the invoice", r.has_invoice), ("evidence that the items were used at "
                                                                            "the event", r.has_evidence)) if not ok]
                plan.reminder_steps[r.key] = steps
                plan.messages.append(addressed(PlannedMessage(
                    key=f"funding_invoice_reminder:{r.key}:d{step}", job="funding_invoice_reminder",
                    to_email=r.ambassador, to_name=names.get(r.ambassador, ""),
                    context={**base, "first_name": _first(names, r.ambassador, people), "days_after": step,
                             "missing": awaited, "approved": _money(r.funded, r.currency),
                             "last": step == settings.reminder_days[-1]},
                    # Due on the day of the last reminder: no reminder goes after it.
                    deadlines=(funding_invoice(r.ambassador, r.what,
                                               r.event_date + timedelta(days=max(settings.reminder_days)),
                                               told_apart.get(r.key, "")),)),
                    (people or {}).get(r.ambassador)))
        plan.flags[r.key] = tuple(flags)
    plan.budgets = budgets(requests, settings)
    for b in plan.budgets:
        level = "over" if b.approved > b.budget else "warn" if b.share >= settings.warning_share else ""
        if not level:
            continue
        context = {"first_name": "team", "period": b.period, "currency": b.currency,
                   "budget": _money(b.budget, b.currency), "approved": _money(b.approved, b.currency),
                   "share": f"{b.share:.0%}", "limit": f"{settings.warning_share:.0%}", "over": level == "over",
                   "waiting": _money(b.requested, b.currency), "left": _money(b.budget - b.approved, b.currency)}
        for who in settings.staff:
            plan.messages.append(PlannedMessage(
                key=f"funding_budget:{b.period}:{b.currency}:{level}:{who}", job="funding_budget_warning",
                to_email=who, to_name="", context=context))
    return plan


# One number, with a currency sign or a three-letter code before or after it and nothing else: a typo
# ("12O", "2k", "5 x 20") is a problem to report, never a different number read silently.
_WITH_CURRENCY = re.compile(r"^(?:[€$£]|[A-Za-z]{3})?\s*(?P<num>\d[\d.,\s]*?)\s*(?:[€$£]|[A-Za-z]{3})?$")
_NUMBER = re.compile(r"^(?:\d{1,3}(?:[ .,]\d{3})+|\d+)(?:[.,]\d{1,2})?$")


def parse_amount(raw: str) -> Decimal | None:
    """An amount as staff type it: '250', '1,200.50', '1.200,50', '1 200', '€ 80', '80 EUR'. Empty: None."""
    if not raw.strip():
        return None
    m = _WITH_CURRENCY.match(raw.strip())
    if m is None or not _NUMBER.match(m.group("num")):
        raise ValueError("is not an amount (e.g. 250 or 1,200.50)")
    text = m.group("num").replace(" ", "")
    last = max(text.rfind(","), text.rfind("."))
    if last >= 0 and len(text) - last - 1 in (1, 2):  # a decimal separator: the last, with 1 or 2 digits after
        whole, cents = text[:last], text[last + 1:]
        text = re.sub(r"[.,]", "", whole) + "." + cents
    else:
        text = re.sub(r"[.,]", "", text)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError("is not an amount (e.g. 250 or 1,200.50)") from None


def parse_status(raw: str) -> str | None:
    t = " ".join(raw.split()).casefold()
    return (t or "requested") if (t or "requested") in STATUSES else None
