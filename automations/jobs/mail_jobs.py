"""The jobs that write to people: `reminders`, `notices` and `digest`.

Each reads the program's state as of the run's date, asks a pure planner in `domain.messages`
which messages are due, and hands them to `mail.delivery`, which sends each key once.
"""

from __future__ import annotations

from typing import Callable, Sequence

from ..bootstrap import Context
from ..domain import messages as plan
from ..domain.compliance import Track, tracks
from ..domain.model import Problem
from ..domain.quarters import latest_ended, local_date
from ..mail.delivery import deliver
from .base import JobResult, bulk_allocation, load_reports, load_roster, plural


def program_state(ctx: Context, synced: dict | None = None, problems: Sequence[Problem] | None = None,
                  judged: Sequence[Track] | None = None) -> tuple[plan.ProgramState, list[Problem]]:
    """The program as of the run's date. `synced`, `problems` and `judged` (every ambassador's record
    through the latest ended quarter) are what earlier jobs of run-all already computed."""
    roster, roster_problems = load_roster(ctx)
    stored = load_reports(ctx, synced)
    activities, checkins = stored.activities, stored.checkins
    tz = ctx.rules.tz
    with bulk_allocation():
        activities = [a for a in activities if local_date(a.received_at, tz) <= ctx.as_of]
        checkins = [c for c in checkins if local_date(c.received_at, tz) <= ctx.as_of]
        all_tracks = judged if judged is not None else tracks(roster, activities, ctx.rules, ctx.as_of,
                                                              latest_ended(ctx.as_of))
    m = ctx.mail
    state = plan.ProgramState(
        as_of=ctx.as_of, rules=ctx.rules, schedule=ctx.schedule, tracks=all_tracks, activities=activities,
        checkins=checkins, problems=list(problems) if problems is not None else stored.problems,
        form_url=m.form_url, prefill_email_entry=m.prefill_email_entry, staff=m.staff,
    )
    return state, roster_problems


def send(ctx: Context, job: str, planned: Sequence[plan.PlannedMessage]) -> JobResult:
    result = JobResult(job)
    mailer = ctx.mailer
    d = deliver(planned, renderer=ctx.renderer, ledger=ctx.ledger, mailer=mailer, sender=ctx.sender,
                dry_run=ctx.dry_run, lock=ctx.lock)
    result.failures = d.failures
    if ctx.dry_run:
        for r in d.would_send:
            result.summary.append(f"would send {r.planned.job} to {r.planned.to_email}: \"{r.subject}\" "
                                  f"[{r.planned.key}]")
        result.summary.append(f"Dry run: {plural(len(d.would_send), 'message')} would go, {d.already_sent} went earlier; "
                              f"nothing sent.")
        return result
    where = f" to {ctx.mail.outbox_dir}" if mailer.name == "outbox" else f" via {mailer.name}"
    result.summary.append(f"{plural(len(d.sent), 'message')} sent{where}, {d.already_sent} had gone earlier, "
                          f"{len(d.failures)} failed.")
    return result


Planner = Callable[[plan.ProgramState], list[plan.PlannedMessage]]

JOBS: dict[str, tuple[Planner, ...]] = {
    "reminders": (plan.plan_checkin_requests, plan.plan_receipts),
    "notices": (plan.plan_notices,),
    "digest": (plan.plan_digest,),
}


def run(ctx: Context, job: str, synced: dict | None = None, problems: Sequence[Problem] | None = None,
        judged: Sequence[Track] | None = None) -> JobResult:
    state, roster_problems = program_state(ctx, synced, problems, judged)
    planned = [m for planner in JOBS[job] for m in planner(state)]
    result = send(ctx, job, planned)
    result.problems = roster_problems
    return result
