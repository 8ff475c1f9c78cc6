"""Referral inquiries: who is offered an inquiry, in what order, and what each answer leads to.

Pure functions over `Inquiry`s, the roster, the answers and the run's date. An inquiry is a row (or
record) staff fill: an organization asking for training, services or help getting started. The job
owns a few fields of it: the inquiry's id, its status, the current candidate, when the current
offer went, the recommended ambassador, and the history of steps, each dated. The history is the
truth: status, candidate and offer date are read from it.

An offer goes to one ambassador at a time and shows only the country, region, need and a summary:
the inquirer's name, email and organization reach an ambassador only through staff, after they
accepted. The candidate answers yes or no through a pre-filled form link carrying the offer's
code; the job reads the form's responses back. A declined offer, or one unanswered after
`answer_days`, passes to the next candidate; when one accepts, staff get the recommendation with an
introduction draft; when none is left, staff are told.

Candidates, best first: active ambassadors who match the inquiry (same country, else same region,
else speaking its language), in good standing before warned (none under review), and among equals
the one offered an inquiry least recently (then the fewest offers, then the email), so offers
rotate fairly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Collection, Mapping, Sequence
from urllib.parse import quote

from .messages import PlannedMessage
from .model import Ambassador, Problem
from ..errors import InputError
from .values import (TimestampParser, clean_text, iso_date, looks_like_address, norm_header, normalize_email,
                     stable_digest, titled_rows)

NEEDS = {"training": "training", "services": "services", "getting started": "getting started"}
NEW, OFFERED, ACCEPTED, EXHAUSTED = "new", "offered", "accepted", "exhausted"
STATUSES = (NEW, OFFERED, ACCEPTED, EXHAUSTED)
#: The steps a history records: an offer, its outcome, the end.
EVENTS = ("offered", "declined", "unanswered", "accepted", "exhausted")
STANDING_RANK = {"good": 0, "": 0, "warned": 1}  # under review (and anything else) is never offered


def parse_need(text: str) -> str | None:
    t = " ".join(text.replace("_", " ").replace("-", " ").split()).casefold()
    return NEEDS.get(t)


@dataclass(frozen=True)
class Inquiry:
    id: str
    row: int  # where staff wrote it
    organization: str
    contact_name: str
    contact_email: str
    country: str
    region: str
    language: str
    need: str
    details: str
    summary: str = ""  # what staff let candidates see (optional; without it, a summary of the fields above)
    history: tuple[tuple[date, str, str], ...] = ()  # (date, event, ambassador email or "")

    @property
    def status(self) -> str:
        if not self.history:
            return NEW
        last = self.history[-1][1]
        return {"accepted": ACCEPTED, "exhausted": EXHAUSTED}.get(last, OFFERED if last == "offered" else NEW)

    @property
    def current(self) -> str:
        """The candidate of the open offer ("" when none is open)."""
        return self.history[-1][2] if self.history and self.history[-1][1] == "offered" else ""

    @property
    def offered_on(self) -> date | None:
        return self.history[-1][0] if self.current else None

    @property
    def recommended(self) -> str:
        return self.history[-1][2] if self.status == ACCEPTED else ""

    @property
    def asked(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e for _, ev, e in self.history if ev == "offered"))


def inquiry_id(organization: str, contact_email: str, need: str, details: str) -> str:
    return "inq-" + stable_digest(" ".join(organization.split()).casefold(), normalize_email(contact_email), need,
                                  " ".join(details.split()).casefold(), length=10)


def format_history(history: Sequence[tuple[date, str, str]]) -> str:
    return "; ".join(" ".join(p for p in (d.isoformat(), ev, who) if p) for d, ev, who in history)


def parse_history(text: str) -> tuple[tuple[date, str, str], ...]:
    out = []
    for part in text.split(";"):
        words = part.split()
        if len(words) < 2 or words[1] not in EVENTS:
            continue
        try:
            day = iso_date(words[0])
        except ValueError:
            continue
        out.append((day, words[1], words[2] if len(words) > 2 else ""))
    return tuple(out)


def offer_code(inquiry: str, email: str) -> str:
    """The code an answer carries: one per offer (inquiry and candidate), not guessable from either."""
    return "R" + stable_digest("referral-offer", inquiry, normalize_email(email), length=10).upper()


def offer_codes_of(inquiries: Sequence[Inquiry], email: str) -> list[str]:
    """The codes of every offer made to `email`: one per inquiry whose history names the address."""
    address = normalize_email(email)
    return [offer_code(i.id, address) for i in inquiries
            if any(normalize_email(who) == address for _, _, who in i.history)]


@dataclass(frozen=True)
class Answer:
    code: str
    yes: bool
    on: date  # the day it was sent (program's time zone)
    email: str = ""  # the respondent, when the form collects it
    row: int = 0


@dataclass(frozen=True)
class ReferralSettings:
    """The referrals job's settings. Their defaults are the `referrals` configuration keys' (config/referrals.py
    takes them from here): the pre-fill parameters are the example answer form's, which `doctor` flags left."""

    answer_days: int = 5  # days a candidate has to answer an offer
    form_url: str = ""  # the answer form's link
    prefill_code_entry: str = "entry.2000001"  # the form's pre-fill parameter of its offer-code question
    prefill_answer_entry: str = "entry.2000002"  # ... and of its answer question
    staff: tuple[str, ...] = ()


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
                ans = next((a for a in by_code.get(code, ()) if not a.email or a.email == current.current), None)
                if ans is not None:
                    used.add(code)
                    chosen.append(ans)
                    history.append((as_of, "accepted" if ans.yes else "declined", current.current))
                    current = replace(current, history=tuple(history))
                    if ans.yes:
                        break
                    continue
                if as_of < current.offered_on + timedelta(days=settings.answer_days):
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
            last, n = offers.get(who, (date.min, 0))
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
    return amb.name.split()[0] if amb and amb.name.strip() else "there"


def messages_for(i: Inquiry, roster: Mapping[str, Ambassador], settings: ReferralSettings) -> list[PlannedMessage]:
    """The mail an inquiry's state calls for: the open offer; or, once ended, staff's note."""
    if i.status == OFFERED:
        who = i.current
        amb = roster.get(who)
        code = offer_code(i.id, who)
        # The last day an answer is waited for: the offer passes on the day after it.
        deadline = i.offered_on + timedelta(days=settings.answer_days - 1)
        # Only what a candidate may see before accepting: never the inquirer's name, email or organization.
        return [PlannedMessage(
            key=f"referral_offer:{i.id}:{who}", job="referral_offer", to_email=who, to_name=amb.name if amb else "",
            context={"first_name": _first(amb, who), "country": i.country, "region": i.region,
                     "need": NEEDS[i.need], "inquiry_language": i.language, "summary": summary_of(i), "code": code,
                     "yes_link": answer_link(settings, code, True), "no_link": answer_link(settings, code, False),
                     "answer_by": deadline.isoformat(), "answer_days": settings.answer_days})]
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


#: The staff-filled columns of the inquiries table, and the job's own.
PEOPLE_COLUMNS = ("Organization", "Contact name", "Contact email", "Country", "Region", "Language", "Need",
                  "Details", "Summary for ambassadors")
JOB_COLUMNS = ("Inquiry ID", "Referral status", "Current candidate", "Offered at", "Recommended ambassador",
               "Referral history")
#: The answer form's columns (a Google Form's response sheet: Timestamp first, then the email when the form
#: collects it, then its questions), and the answer question's choices (pre-filled by the offer's links).
ANSWER_COLUMNS = ("Timestamp", "Offer code", "Answer", "Email Address")
TIMESTAMP, CODE_QUESTION, ANSWER_QUESTION, EMAIL = ANSWER_COLUMNS
ANSWER_CHOICES = ("Yes", "No")


def row_key(get) -> str:
    """The inquiry id of a row, `get(title)` giving its cells: the job's Inquiry ID once written, else the one
    its fields give (so the id stays when staff correct a field later)."""
    own = get("Inquiry ID").strip()
    if own:
        return own
    return inquiry_id(get("Organization"), get("Contact email"), parse_need(get("Need")) or "", get("Details"))


def inquiries_from_rows(headers: Sequence[str], rows: Sequence[Sequence[str]], source: str
                        ) -> tuple[list[Inquiry], list[Problem]]:
    """The usable inquiries of a table of text cells; each unusable row is a Problem naming the cell."""
    out: list[Inquiry] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row_no, get in titled_rows(headers, rows):

        def bad(title: str, reason: str) -> None:
            problems.append(Problem(source, row_no, title, get(title), reason))

        need = parse_need(get("Need"))
        if need is None:
            bad("Need", f"is not one of {', '.join(NEEDS.values())}; the inquiry waits until it is")
            continue
        if not (get("Country").strip() or get("Region").strip() or get("Language").strip()):
            bad("Country", "is empty, and so are Region and Language: nothing to match ambassadors on; the "
                           "inquiry waits until one is filled")
            continue
        email = normalize_email(get("Contact email"))
        if email and not looks_like_address(email):
            bad("Contact email", "is not an email address; the inquiry waits until it is")
            continue
        iid = row_key(get)
        if iid in seen:
            bad("Organization", f"repeats the inquiry on row {seen[iid]} (same organization, contact, need and "
                                f"details); this row was skipped")
            continue
        seen[iid] = row_no
        out.append(Inquiry(iid, row_no, clean_text(get("Organization")), clean_text(get("Contact name")),
                           email, clean_text(get("Country")), clean_text(get("Region")),
                           clean_text(get("Language")), need, get("Details").strip(),
                           clean_text(get("Summary for ambassadors")),
                           parse_history(get("Referral history"))))
    return out, problems


def job_cells(i: Inquiry) -> dict[str, str]:
    """The job's own columns of an inquiry, as text."""
    return {"Inquiry ID": i.id, "Referral status": i.status, "Current candidate": i.current,
            "Offered at": i.offered_on.isoformat() if i.offered_on else "",
            "Recommended ambassador": i.recommended, "Referral history": format_history(i.history)}


def answers_from_rows(headers: Sequence[str], rows: Sequence[Sequence[str]], parse_time: TimestampParser,
                      source: str) -> tuple[list[Answer], list[Problem]]:
    """The answer form's responses: offer code, yes or no, when, and from whom (if the form collects it)."""
    out: list[Answer] = []
    problems: list[Problem] = []
    rows = list(rows)
    titles = {norm_header(h) for h in headers}
    missing = [t for t in (TIMESTAMP, CODE_QUESTION, ANSWER_QUESTION) if norm_header(t) not in titles]
    if missing and (headers or rows):
        # A renamed question or another form's file: every answer would be a problem, or none would count.
        raise InputError(f"The referral answers in {source} have no column {', '.join(repr(t) for t in missing)} "
                         f"(the answer form's questions are {CODE_QUESTION!r} and {ANSWER_QUESTION!r}, after the "
                         f"Timestamp): nothing was read; restore the question's title on the form.")
    parse_time.settle(get("Timestamp") for _, get in titled_rows(headers, rows))  # one order for the column
    for row_no, get in titled_rows(headers, rows):
        code = get("Offer code").strip().upper()
        word = get("Answer").strip().casefold()
        yes = True if word.startswith("yes") else False if word.startswith("no") else None
        if yes is None:
            problems.append(Problem(source, row_no, "Answer", get("Answer"), "is neither yes nor no; the "
                                    "answer was not used"))
            continue
        try:
            on = parse_time(get("Timestamp")).date()
        except ValueError as exc:
            problems.append(Problem(source, row_no, "Timestamp", get("Timestamp"), f"{exc}; the answer was "
                                    f"not used"))
            continue
        out.append(Answer(code, yes, on, normalize_email(get("Email Address")), row_no))
    return out, problems
