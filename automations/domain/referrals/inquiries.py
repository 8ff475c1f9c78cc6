"""The referral values: needs and statuses, `Inquiry` with its dated history, offer codes, `Answer` and
`ReferralSettings`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..values import iso_date, normalize_email, stable_digest

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
