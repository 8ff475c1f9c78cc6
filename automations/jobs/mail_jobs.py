"""The jobs that write to people: `reminders`, `notices` and `digest`.

Each reads the program's state as of the run's date, asks a pure planner in `domain.messages`
which messages are due, and hands them to `mail.delivery`, which sends each key once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

from ..context import Context
from ..domain import messages as plan
from ..domain.at_risk import AtRisk
from ..domain.compliance import tracks
from ..domain.model import Problem
from ..domain.problems import OPEN, ProblemRecord
from ..domain.quarters import latest_ended, latest_final, local_date
from ..domain.waiting import Waiting, waiting_context
from ..domain.welcome import plan_welcome
from ..effects import SENT, done_keys
from ..errors import StopRun
from ..mail import calendar
from ..mail.delivery import deliver
from . import at_risk as at_risk_job
from . import credentials as credentials_job
from .base import JobResult, bulk_allocation, load_reports, load_roster, plural, record_problems


def program_state(ctx: Context, synced: dict | None = None, problems: Sequence[ProblemRecord] | None = None,
                  judged: dict | None = None) -> tuple[plan.ProgramState, list[Problem]]:
    """The program as of the run's date. `synced`, `problems` and `judged` (what compliance worked out:
    every ambassador's record through the latest ended quarter) are what earlier jobs of run-all
    already computed. When compliance reused records in brief, only the recent activities and check-ins
    are read (the planners look back a few weeks at most) and a record's details are worked out when
    a message needs them."""
    roster, roster_problems = load_roster(ctx)
    tz = ctx.settings.rules.tz
    full = judged.get("full") if judged else None
    if judged is not None and "recent" in judged:
        activities, checkins = judged["recent"]
        stored_problems = None
    else:
        stored = load_reports(ctx, synced)
        activities, checkins, stored_problems = stored.activities, stored.checkins, stored.problems
    with bulk_allocation():
        activities = [a for a in activities if local_date(a.received_at, tz) <= ctx.as_of]
        checkins = [c for c in checkins if local_date(c.received_at, tz) <= ctx.as_of]
        all_tracks = judged["tracks"] if judged is not None else tracks(roster, activities, ctx.settings.rules, ctx.as_of,
                                                                        latest_ended(ctx.as_of))
    if problems is None:
        problems = stored_problems if stored_problems is not None else ctx.stores.reports.load_problems()
    m = ctx.mail.settings
    state = plan.ProgramState(
        as_of=ctx.as_of, rules=ctx.settings.rules, schedule=ctx.settings.schedule, tracks=all_tracks, activities=activities,
        checkins=checkins,
        problems=[r for r in problems if r.status == OPEN], full=full or (lambda t: t),
        form_url=m.form_url, prefill_email_entry=m.prefill_email_entry, staff=m.staff,
        responses_source=ctx.settings.form.source, problems_where=ctx.stores.reports.problems_where,
        found=ctx.stores.found.read() if ctx.stores.found is not None else (), prefill=m.prefill,
    )
    return state, roster_problems


def left_behind(ctx: Context) -> str:
    """A sentence when mail went from this program's local folder that the base's ledger does not know (staff
    moved to Airtable without `migrate`, or ran the local program again since): sending now could send it again.
    Only messages count (not an erasure's or a document's step), and only those the base's ledger would still
    keep (`privacy.retention.ledger_days`). Empty when all is well."""
    if ctx.stores.left_behind is None:
        return ""
    keep = ctx.privacy.retention.ledger_days
    since = (ctx.as_of - timedelta(days=keep)).isoformat() if keep else ""
    here = done_keys(ctx.stores.ledger)
    missing = [k for k, e in ctx.stores.left_behind.entries().items()
               if e.status == SENT and e.job in plan.MESSAGE_JOBS and k not in here and e.at[:10] >= since]
    if not missing:
        return ""
    return (f"{plural(len(missing), 'message')} went from this program's local folder ({ctx.stores.left_behind.where}) "
            f"that {ctx.stores.ledger.where} does not hold (e.g. {missing[0]}): sending now could send them again. Carry "
            f"the local program over with `migrate --from <its configuration>` (docs/airtable.md, \"Going live\"); "
            f"to start the base afresh on purpose, move {ctx.stores.left_behind.where} out of local.dir.")


def refuse_left_behind(ctx: Context) -> None:
    """Stop (exit 2) before a job that sends writes anything, when `left_behind` says mail could go twice."""
    if stop := left_behind(ctx):
        raise StopRun(stop)
    # Checked for this run: nothing a run does adds to the local folder's ledger, so the jobs after the first
    # (run-all's, and `send`'s backstop) need not read both ledgers again.
    ctx.stores.left_behind = None


def send(ctx: Context, job: str, planned: Sequence[plan.PlannedMessage], earlier: int = 0,
         failed: int = 0) -> JobResult:
    """Deliver `planned` and say what went. A job that left out messages it knows went (`earlier`) or could not
    even make (`failed`, its own failures) has them counted in the same line, so a run says each thing once."""
    result = JobResult(job)
    if planned:  # a backstop: each job that sends checks first, before it writes anything
        refuse_left_behind(ctx)
    mailer = ctx.mail.mailer
    # Deadlines go as a calendar file; their dates are remembered (before the messages go) for the next SEQUENCE.
    calendars = calendar.attach(planned, ledger=ctx.stores.ledger, renderer=ctx.mail.calendar,
                                domain=ctx.mail.sender.domain, day=ctx.as_of, templates=ctx.mail.renderer)
    if not ctx.dry_run:
        calendar.remember(calendars, ledger=ctx.stores.ledger, lock=ctx.mail.lock, domain=ctx.mail.sender.domain,
                          at=ctx.clock())
    d = deliver(calendars.messages, renderer=ctx.mail.renderer, ledger=ctx.stores.ledger, mailer=mailer,
                sender=ctx.mail.sender, dry_run=ctx.dry_run, lock=ctx.mail.lock, clock=ctx.clock, stop=ctx.stop)
    result.failures = d.failures
    if ctx.dry_run:
        for r in d.would_send:
            result.summary.append(f"would send {r.planned.job} to {r.planned.to_email}: \"{r.subject}\" "
                                  f"[{r.planned.key}]")
        result.summary.append(f"Dry run: {plural(len(d.would_send), 'message')} would go, {d.already_sent + earlier} "
                              f"went earlier; nothing sent.")
        return result
    where = f" to {ctx.mail.settings.outbox_dir}" if mailer.name == "outbox" else f" via {mailer.name}"
    result.summary.append(f"{plural(len(d.sent), 'message')} sent{where}, {d.already_sent + earlier} had gone "
                          f"earlier, {len(d.failures) + failed} failed.")
    return result


Planner = Callable[[plan.ProgramState], list[plan.PlannedMessage]]

JOBS: dict[str, tuple[Planner, ...]] = {
    "reminders": (plan_welcome, plan.plan_checkin_requests, plan.plan_receipts, plan.plan_problem_notes),
    "notices": (plan.plan_notices,),
    "digest": (plan.plan_digest,),
}


def _at_risk(ctx: Context, synced: dict | None) -> list[AtRisk]:
    """Who is at risk of the quarter under way, for the digest: judged from every stored report (the records
    run-all's compliance worked out end with the latest ended quarter)."""
    roster, _ = load_roster(ctx)
    stored = load_reports(ctx, synced)
    return at_risk_job.find(ctx, roster, list(stored.activities), list(stored.checkins))[1]


def _waiting(ctx: Context) -> dict:
    """What waits on someone, for the digest, from the referral, funding and blog stores as they are (their own
    jobs report the rows that cannot be used)."""
    roster, _ = load_roster(ctx)
    names = {a.email: a.name for a in roster}
    inquiries, _ = ctx.stores.referrals.read()
    requests, _ = ctx.stores.funding.read(names)
    proposals, _ = ctx.stores.blog.read()
    return waiting_context(Waiting(inquiries, requests, proposals), names, ctx.as_of, ctx.settings.funding,
                           ctx.settings.blog)


def run(ctx: Context, job: str, synced: dict | None = None, problems: Sequence[ProblemRecord] | None = None,
        judged: dict | None = None) -> JobResult:
    if synced is None:  # run alone (run-all checked before its first job)
        refuse_left_behind(ctx)
    state, roster_problems = program_state(ctx, synced, problems, judged)
    if job == "digest" and state.staff:
        if plan.at_risk_due(state):
            state = replace(state, at_risk=_at_risk(ctx, synced))
        state = replace(state, waiting=_waiting(ctx))
    planned = [m for planner in JOBS[job] for m in planner(state)]
    held: list[str] = []
    if job == "notices":
        planned, held = hold_mass_warnings(ctx, state, planned)
        planned = credentials_job.with_perk_credentials(ctx, planned)
    result = send(ctx, job, planned)
    result.summary[:0] = held
    record_problems(ctx, result, roster_problems, {t.ambassador.email for t in state.tracks})
    return result


WARNINGS = ("standing_warned", "standing_under_review", "standing_under_review_staff")


def hold_mass_warnings(ctx: Context, state: plan.ProgramState, planned: list[plan.PlannedMessage]
                       ) -> tuple[list[plan.PlannedMessage], list[str]]:
    """Hold the standing warnings when more than the configured share of active ambassadors would be
    warned or put under review at once (a broken source, a rule set wrong): staff hear of it once, and the
    warnings wait until a run with --send-held-notices. Warnings that went earlier are not counted."""
    sent = {k for k, e in ctx.stores.ledger.entries().items() if e.status == "sent"}
    people = {m.to_email for m in planned if m.job in WARNINGS[:2] and m.key not in sent}
    active = sum(1 for t in state.tracks if t.ambassador.status == "active")
    g = ctx.settings.guards
    if not people or len(people) < g.min_held_notices or len(people) <= g.max_warning_share * active:
        return planned, []
    quarter = latest_final(ctx.as_of, ctx.settings.rules.window_days)
    if "notices" in ctx.confirmed:
        return planned, [f"{len(people)} of {active} active ambassadors warned or put under review for {quarter}: "
                         f"sent as confirmed with --send-held-notices."]
    kept = [m for m in planned if m.job not in WARNINGS]
    context = {"quarter": str(quarter), "count": len(people), "active": active,
               "share": f"{len(people) / active:.0%}", "limit": f"{g.max_warning_share:.0%}",
               "people": sorted(people)[:100], "first_name": "team"}
    kept += [plan.PlannedMessage(key=f"notices_held:{quarter}:{staff}", job="notices_held", to_email=staff,
                                 to_name="Ambassador support team", context=context) for staff in state.staff]
    line = (f"Held: {len(people)} of {active} active ambassadors ({context['share']}, more than the "
            f"{context['limit']} of guards.max_warning_share) would be warned or put under review for {quarter} "
            f"at once; no warning was sent and staff were told. Check the check-ins, then run `notices "
            f"--send-held-notices` to send them.")
    return kept, [line]
