"""`at-risk`: the active ambassadors short of the full reports of the quarter under way (`domain.at_risk`).

Reads the roster and what sync-checkins stored, judges every ambassador through the quarter that holds the
run's date with the compliance rule, and prints a table or JSON. The digest lists the same people, from week
`digest.at_risk_from_week` of the quarter on (`domain.messages.at_risk_due`).
"""

from __future__ import annotations

from ..context import Context
from ..domain.at_risk import AtRisk, as_dict, at_risk, week_of
from ..domain.compliance import tracks
from ..domain.model import Activity, Ambassador, Checkin
from ..domain.quarters import Quarter, local_date
from ..domain.values import shown
from .base import JobResult, bulk_allocation, load_reports, load_roster, plural
from .compliance import last_checkins
from .json_output import json_text


def find(ctx: Context, roster: list[Ambassador], activities: list[Activity], checkins: list[Checkin]
         ) -> tuple[Quarter, list[AtRisk]]:
    """The quarter holding the run's date and who is at risk of it."""
    quarter = Quarter.of(ctx.as_of)
    tz = ctx.settings.rules.tz
    with bulk_allocation():
        acts = [a for a in activities if local_date(a.received_at, tz) <= ctx.as_of]
        judged = tracks(roster, acts, ctx.settings.rules, ctx.as_of, quarter)
    # Each one's latest check-in on or before the run's date, as compliance finds it, as a day
    last = {email: local_date(t, tz) for email, t in last_checkins(ctx, checkins).items()}
    return quarter, at_risk(judged, ctx.settings.rules, quarter, last)


def as_json(quarter: Quarter, week: int, people: list[AtRisk]) -> dict:
    return {"quarter": str(quarter), "week": week, "ambassadors": [as_dict(r) for r in people]}


def as_table(quarter: Quarter, week: int, people: list[AtRisk], ctx: Context) -> str:
    head = ["Ambassador", "Email", "Full", "All", "Missing", "Last check-in"]
    body = [[r.name, r.email, str(r.full_reports), str(r.activities), str(r.missing),
             r.last_checkin.isoformat() if r.last_checkin else "never"] for r in people]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    lines = [f"At risk in {quarter} (week {week}) as of {ctx.as_of.isoformat()}: "
             f"{plural(len(people), 'active ambassador')} short of {ctx.settings.rules.min_full_reports} full "
             f"reports, newest silence first", ""]
    if people:
        lines.append("  ".join(c.ljust(w) for c, w in zip(head, widths)).rstrip())
        for r, row in zip(people, body):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
            # What each incomplete report lacks, under its ambassador (as the digest says it)
            lines += [f"    {shown(i.title)} ({i.date.isoformat()}) lacks {', '.join(i.missing)}" for i in r.incomplete]
    else:
        lines.append("None: every active ambassador has the quarter's full reports, or is exempt from it.")
    return "\n".join(lines)


def run(ctx: Context, fmt: str = "table") -> JobResult:
    result = JobResult("at-risk")
    roster, _ = load_roster(ctx)
    stored = load_reports(ctx, None)
    quarter, people = find(ctx, roster, list(stored.activities), list(stored.checkins))
    week = week_of(quarter, ctx.as_of)
    result.output = json_text(as_json(quarter, week, people)) if fmt == "json" else as_table(quarter, week, people, ctx)
    result.summary.append(f"{plural(len(people), 'active ambassador')} at risk in {quarter}.")
    return result
