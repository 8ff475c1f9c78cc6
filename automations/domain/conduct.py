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

from .values import clean_text, normalize_email, stable_digest

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
