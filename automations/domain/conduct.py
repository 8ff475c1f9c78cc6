"""The conduct register: incidents under the Code of Conduct and their escalation step.

Staff record each step (a gentle admonishment, a stern warning, removal from the program) as a row
of its own table; the software never records one and never removes anyone: a removal is staff
changing the roster's Status themselves. The register is kept apart from everything else: no job
reads it, so it never reaches a report, the digest, an export to other ambassadors, the data
problems or a log; only the `conduct` commands read it, for the readers the configuration names.
Each incident is deleted once it is older than the configured retention.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .moments import OUT_OF_RANGE
from .values import clean_text, looks_like_address, normalize_email, parse_date, stable_digest, titled_rows

STEPS = ("admonishment", "warning", "removal")
STEP_LABELS = {"admonishment": "gentle admonishment", "warning": "stern warning", "removal": "removal from the "
                                                                                           "program"}
COLUMNS = ("Email", "Date", "Step", "Description", "Recorded by")
DATES = ("%Y-%m-%d", "%d/%m/%Y")


@dataclass(frozen=True)
class Incident:
    key: str  # stable: who, when, which step and what
    row: int
    ambassador: str  # normalised email
    day: date
    step: str
    description: str
    recorded_by: str = ""


def incident_key(ambassador: str, day: date, step: str, description: str) -> str:
    return "conduct-" + stable_digest(normalize_email(ambassador), day.isoformat(), step, clean_text(description),
                                      length=16)


def parse_step(text: str) -> str | None:
    t = " ".join(text.split()).casefold()
    for step, label in STEP_LABELS.items():
        if t in (step, label) or t.startswith(step):
            return step
    if t in ("stern warning", "removed", "remove"):
        return "warning" if "warning" in t else "removal"
    return None


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


def expired(incidents: Sequence[Incident], as_of: date, retention_days: int) -> list[Incident]:
    """The incidents older than the retention: recorded more than `retention_days` days before `as_of`."""
    return [i for i in incidents if i.day + timedelta(days=retention_days) < as_of]


def history(incidents: Sequence[Incident], email: str) -> list[Incident]:
    """One person's incidents, oldest first."""
    who = normalize_email(email)
    return sorted((i for i in incidents if i.ambassador == who), key=lambda i: (i.day, i.row))


def next_step(incidents: Sequence[Incident]) -> str:
    """The step escalation would reach next for someone with these incidents (staff decide)."""
    reached = max((STEPS.index(i.step) for i in incidents if i.step in STEPS), default=-1)
    return STEPS[min(reached + 1, len(STEPS) - 1)]
