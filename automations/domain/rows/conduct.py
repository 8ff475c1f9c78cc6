"""The conduct register: staff's rows (a CSV file or the Airtable table) into `Incident` values; a row that cannot
be read is one line naming its number, the column and why, never a cell's text (the line may be printed)."""

from __future__ import annotations

from ..conduct import DATES, STEPS, Incident, incident_key, parse_step
from ..moments import OUT_OF_RANGE
from ..values import looks_like_address, normalize_email, parse_date, titled_rows


def incidents_from_rows(headers: list[str], rows: list[list[str]]) -> tuple[list[Incident], list[str]]:
    """The readable incidents, and one line per row that is not readable: its number, the column and
    why, never a cell's text (that line may be printed)."""
    out: list[Incident] = []
    unreadable: list[str] = []
    for row_no, get in titled_rows(headers, rows):

        email = normalize_email(get("Email"))
        if not looks_like_address(email):
            unreadable.append(f"row {row_no}: Email is not an email address")
            continue
        try:
            day = parse_date(get("Date"), DATES)
        except ValueError as exc:
            what = str(exc) if str(exc) == OUT_OF_RANGE else "is not a date like 2026-11-23"
            unreadable.append(f"row {row_no}: Date {what} (the row is never deleted by retention until it has one)")
            continue
        step = parse_step(get("Step"))
        if step is None:
            unreadable.append(f"row {row_no}: Step is not one of {', '.join(STEPS)}")
            step = ""
        out.append(Incident(incident_key(email, day, step, get("Description")), row_no, email, day, step,
                            get("Description").strip(), normalize_email(get("Recorded by"))))
    return out, unreadable
