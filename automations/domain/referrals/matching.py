"""Who is offered an inquiry and in what order (`rank`), what each answer leads to (`plan_referrals`), and the
messages that go with it."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import quote

from ..calendar import referral_answer
from ..messages import PlannedMessage, addressed, greeting
from ..model import Ambassador
from .inquiries import (
    ACCEPTED,
    EXHAUSTED,
    NEEDS,
    NEW,
    OFFERED,
    STANDING_RANK,
    Answer,
    Inquiry,
    ReferralSettings,
    offer_code,
)


def summary_of(i: Inquiry) -> str:
    """What a candidate may read: staff's summary, or one made from the country, region, need and language."""
    if i.summary:
        return i.summary
    where = ", ".join(p for p in (i.region, i.country) if p) or "your area"
    lang = f", in {i.language}" if i.language else ""
    return f"An organization in {where} asks for {NEEDS[i.need]}{lang}."


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def match_tier(i: Inquiry, a: Ambassador) -> int | None:
    """0 same country, 1 same region, 2 speaks the inquiry's language; None: no match."""
    if i.country and _fold(a.country) == _fold(i.country):
        return 0
    if i.region and _fold(a.region) == _fold(i.region):
        return 1
    if i.language and _fold(i.language) in {_fold(x) for x in a.languages}:
        return 2
    return None


def last_offers(inquiries: Sequence[Inquiry]) -> dict[str, tuple[date, int]]:
    """Each ambassador's latest offer date and number of offers, over every inquiry."""
    out: dict[str, tuple[date, int]] = {}
    for i in inquiries:
        for d, ev, who in i.history:
            if ev == "offered":
                last, n = out.get(who, (date.min, 0))
                out[who] = (max(last, d), n + 1)
    return out


def rank(i: Inquiry, roster: Sequence[Ambassador], standings: Mapping[str, str],
         offers: Mapping[str, tuple[date, int]]) -> list[Ambassador]:
    """The candidates not yet asked for this inquiry, best first (see the module docstring)."""
    asked = set(i.asked)
    scored = []
    for a in roster:
        if a.status != "active" or a.email in asked:
            continue
        standing = STANDING_RANK.get(standings.get(a.email, "").strip().casefold())
        tier = match_tier(i, a)
        if standing is None or tier is None:
            continue
        last, n = offers.get(a.email, (date.min, 0))
        scored.append(((tier, standing, last, n, a.email), a))
    return [a for _, a in sorted(scored, key=lambda s: s[0])]


@dataclass
class ReferralPlan:
    updated: dict[str, Inquiry] = field(default_factory=dict)  # inquiries whose history grew
    messages: list[PlannedMessage] = field(default_factory=list)
    ignored_answers: list[Answer] = field(default_factory=list)  # codes of no open offer (late, unknown)


def answer_link(settings: ReferralSettings, code: str, yes: bool) -> str:
    if not settings.form_url:
        return ""
    sep = "&" if "?" in settings.form_url else "?"
    link = f"{settings.form_url}{sep}usp=pp_url"
    if settings.prefill_code_entry:
        link += f"&{settings.prefill_code_entry}={quote(code)}"
    if settings.prefill_answer_entry:
        link += f"&{settings.prefill_answer_entry}={'Yes' if yes else 'No'}"
    return link


def plan_referrals(inquiries: Sequence[Inquiry], roster: Sequence[Ambassador], standings: Mapping[str, str],
                   answers: Sequence[Answer], as_of: date, settings: ReferralSettings,
                   erased_codes: Collection[str] = ()) -> ReferralPlan:
    """Advance every inquiry as far as today allows, in sheet order, and plan the mail of its state.

    An answer whose code is in `erased_codes` (an offer made to someone erased since: `erase` keeps the
    codes' keyed hashes) is set aside: theirs, erased, so it moves nothing and is no problem.

    Messages are planned for every inquiry's current state (an open offer, an acceptance, no one
    left), not only for today's steps: the ledger drops those that went, so one that failed goes on
    a later run."""
    plan = ReferralPlan()
    offers = last_offers(inquiries)
    by_code: dict[str, list[Answer]] = {}
    for ans in sorted(answers, key=lambda x: (x.on, x.row)):
        if ans.on <= as_of and ans.code not in erased_codes:
            by_code.setdefault(ans.code, []).append(ans)
    used: set[str] = set()
    chosen: list[Answer] = []
    names = {a.email: a for a in roster}
    for inq in inquiries:
        history = list(inq.history)
        current = inq
        while current.status in (NEW, OFFERED):
            if current.status == OFFERED:
                code = offer_code(current.id, current.current)
                # The first answer from the candidate (or from a form that collects no address) stands; one
                # from another address (a forwarded mail) does not hide it.
                reply = next((a for a in by_code.get(code, ()) if not a.email or a.email == current.current), None)
                if reply is not None:
                    used.add(code)
                    chosen.append(reply)
                    history.append((as_of, "accepted" if reply.yes else "declined", current.current))
                    current = replace(current, history=tuple(history))
                    if reply.yes:
                        break
                    continue
                offered_on = current.offered_on
                if offered_on is None:  # an offered inquiry's last step is its offer
                    raise LookupError(f"the inquiry {current.id} is offered but its history holds no offer")
                if as_of < offered_on + timedelta(days=settings.answer_days):
                    break  # still time to answer
                history.append((as_of, "unanswered", current.current))
                current = replace(current, history=tuple(history))
            ranked = rank(current, roster, standings, offers)
            if not ranked:
                history.append((as_of, "exhausted", ""))
                current = replace(current, history=tuple(history))
                break
            who = ranked[0].email
            history.append((as_of, "offered", who))
            _last, n = offers.get(who, (date.min, 0))
            offers[who] = (as_of, n + 1)
            current = replace(current, history=tuple(history))
        if current.history != inq.history:
            plan.updated[inq.id] = current
        plan.messages += messages_for(current, names, settings)
    known = {offer_code(i.id, who) for i in (*inquiries, *plan.updated.values()) for _, ev, who in i.history
             if ev == "offered"}
    # An answer to an offer that passed on (late) is kept in the sheet and changes nothing; one whose
    # code belongs to no offer, or sent from another address than the candidate's, is reported.
    open_codes = {offer_code(i.id, i.current) for i in plan_states(inquiries, plan) if i.current}
    plan.ignored_answers = [a for c, answers in by_code.items() for a in answers
                            if (c not in used and (c not in known or c in open_codes))
                            or (c in used and a.email and all(a is not x for x in chosen))]
    return plan


def plan_states(inquiries: Sequence[Inquiry], plan: ReferralPlan) -> list[Inquiry]:
    """Every inquiry as the plan leaves it."""
    return [plan.updated.get(i.id, i) for i in inquiries]


def _first(amb: Ambassador | None, email: str) -> str:
    return greeting(amb)


def messages_for(i: Inquiry, roster: Mapping[str, Ambassador], settings: ReferralSettings) -> list[PlannedMessage]:
    """The mail an inquiry's state calls for: the open offer; or, once ended, staff's note."""
    if i.status == OFFERED:
        who = i.current
        amb = roster.get(who)
        code = offer_code(i.id, who)
        offered_on = i.offered_on
        if offered_on is None:  # an offered inquiry's last step is its offer
            raise LookupError(f"the inquiry {i.id} is offered but its history holds no offer")
        # The last day an answer is waited for: the offer passes on the day after it.
        deadline = offered_on + timedelta(days=settings.answer_days - 1)
        # Only what a candidate may see before accepting: never the inquirer's name, email or organization.
        return [addressed(PlannedMessage(
            key=f"referral_offer:{i.id}:{who}", job="referral_offer", to_email=who, to_name=amb.name if amb else "",
            context={"first_name": _first(amb, who), "country": i.country, "region": i.region,
                     "need": NEEDS[i.need], "inquiry_language": i.language, "summary": summary_of(i), "code": code,
                     "yes_link": answer_link(settings, code, True), "no_link": answer_link(settings, code, False),
                     "answer_by": deadline.isoformat(), "answer_days": settings.answer_days},
            deadlines=(referral_answer(i.id, code, deadline, NEEDS[i.need],
                                       ", ".join(p for p in (i.region, i.country) if p),
                                       answer_link(settings, code, True)),)), amb)]
    if i.status not in (ACCEPTED, EXHAUSTED):
        return []
    steps = [{"date": d.isoformat(), "event": ev, "who": who,
              "name": roster[who].name if who in roster else who} for d, ev, who in i.history]
    base = {"first_name": "team", "inquiry_id": i.id, "organization": i.organization,
            "contact_name": i.contact_name, "contact_email": i.contact_email, "country": i.country,
            "region": i.region, "inquiry_language": i.language, "need": NEEDS[i.need], "details": i.details,
            "row": i.row, "steps": steps}
    out = []
    for staff in settings.staff:
        if i.status == ACCEPTED:
            amb = roster.get(i.recommended)
            context = {**base, "ambassador_email": i.recommended,
                       "ambassador_name": amb.name if amb else i.recommended,
                       "ambassador_first_name": _first(amb, i.recommended),
                       "ambassador_country": amb.country if amb else "", "ambassador_region": amb.region if amb else "",
                       "contact_first_name": i.contact_name.split()[0] if i.contact_name.strip() else "there"}
            out.append(PlannedMessage(key=f"referral_accepted:{i.id}:{staff}", job="referral_accepted",
                                      to_email=staff, to_name="Ambassador support team", context=context))
        else:
            out.append(PlannedMessage(key=f"referral_exhausted:{i.id}:{staff}", job="referral_exhausted",
                                      to_email=staff, to_name="Ambassador support team", context=base))
    return out
