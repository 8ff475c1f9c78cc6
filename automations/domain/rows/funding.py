"""Funding and swag requests: staff's rows (a CSV file or the Airtable table) into `FundingRequest` values, every
mistake of a row its own problem; and the cells the job writes (First seen, Flags, Reminders sent)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from typing import Protocol

from ..funding import DATES, STATUSES, FundingRequest, parse_amount, parse_status, request_key
from ..model import Problem
from ..values import clean_text, iso_date, looks_like_address, normalize_email, parse_date, titled_rows


class _Written(Protocol):
    """What the job writes on a request (`ports.FundingUpdate`)."""

    @property
    def first_seen(self) -> date | None: ...

    @property
    def flags(self) -> tuple[str, ...]: ...

    @property
    def reminders(self) -> tuple[int, ...]: ...


STAFF_COLUMNS = ("Ambassador email", "What", "Kind", "Amount", "Currency", "Event date", "Region", "Status",
                 "Approved amount", "Invoice", "Invoice received", "Evidence", "Requested on")
JOB_COLUMNS = ("First seen", "Flags", "Reminders sent")


def requests_from_rows(headers: list[str], rows: list[list[str]], source: str, roster: Collection[str] | None = None
                       ) -> tuple[list[FundingRequest], list[Problem]]:
    """The usable requests of a table of text cells; each unusable row or cell is a Problem naming it. With
    `roster` (the roster's addresses), an address not on it is one too, in the same run as the row's others."""
    out: list[FundingRequest] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row_no, get in titled_rows(headers, rows):

        # Every cell is checked, so a row with several mistakes names them all in the same run, each its own
        # problem; any but a bad approved amount or an optional date skips the request.
        skipped: list[str] = []

        # This row's number, getter and list of skipping cells are bound now (a closure would see the loop's
        # latest).
        def bad(title: str, reason: str, *, row_no: int = row_no, get: Callable[[str], str] = get) -> None:
            problems.append(Problem(source, row_no, title, get(title), reason, "staff"))

        def unusable(title: str, why: str, *, skipped: list[str] = skipped) -> None:
            skipped.append(title)
            bad(title, f"{why}; the request was skipped")

        def day(title: str, required: bool = False, *, get: Callable[[str], str] = get) -> date | None:
            if not get(title).strip():
                if required:
                    unusable(title, "is empty: a request needs its event's date")
                return None
            try:
                return parse_date(get(title), DATES)
            except ValueError as exc:
                if required:
                    unusable(title, str(exc))
                else:
                    bad(title, f"{exc}; it was left out")
                return None

        ambassador, what = normalize_email(get("Ambassador email")), clean_text(get("What"))
        if not looks_like_address(ambassador):
            unusable("Ambassador email", "is not an email address")
        elif roster is not None and ambassador not in roster:
            skipped.append("Ambassador email")
            bad("Ambassador email", "is not on the roster; the request was skipped (correct the address, or add "
                                    "the ambassador)")
        if not what:
            unusable("What", "is empty: a request needs to say what it is for")
        event = day("Event date", required=True)
        amount = None
        try:
            amount = parse_amount(get("Amount"))
            if amount is None:
                unusable("Amount", "is empty: a request needs an amount")
        except ValueError as exc:
            unusable("Amount", str(exc))
        currency = get("Currency").strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            unusable("Currency", "is not a three-letter currency code (EUR, USD, ...)")
        status = parse_status(get("Status"))
        if status is None:
            unusable("Status", f"is not one of {', '.join(STATUSES)}")
        approved = None
        try:
            approved = parse_amount(get("Approved amount"))
        except ValueError as exc:
            bad("Approved amount", f"{exc}; " + (f"the request was skipped for its {', '.join(skipped)}" if skipped
                                                 else "the amount asked is counted instead"))
        received, requested = day("Invoice received"), day("Requested on")
        if skipped or event is None or amount is None or status is None:
            continue
        key = request_key(ambassador, what, event)
        if key in seen:
            bad("What", f"is already requested by the same ambassador for the same date on row {seen[key]}; this "
                        f"row was skipped")
            continue
        seen[key] = row_no
        out.append(FundingRequest(
            key, row_no, ambassador, what, amount, currency, event, status, clean_text(get("Region")),
            clean_text(get("Kind")), approved, get("Invoice").strip(), received or None,
            get("Evidence").strip(), requested or None, _iso(get("First seen"))))
    return out, problems


def _iso(text: str) -> date | None:
    try:
        return iso_date(text)
    except ValueError:
        return None


def job_cells(u: _Written) -> dict[str, str]:
    return {"First seen": u.first_seen.isoformat() if u.first_seen else "", "Flags": "; ".join(u.flags),
            "Reminders sent": ", ".join(f"day {d}" for d in u.reminders)}
