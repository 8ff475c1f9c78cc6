"""`funding`: check the funding and swag requests staff keep, and write to whoever must act.

Reads the requests (and the roster for names), asks the pure planner in `domain.funding` what is
due today (short-notice and large-event flags, invoice reminders, budget warnings, problems), sends
each message once through the ledger, and writes the job's own three fields on each request: the day
it first saw it, its flags and the reminders that went. It never changes a request's status: no
invoice, no reimbursement, and a "paid" without one is a data problem for staff.
"""

from __future__ import annotations

from dataclasses import replace

from ..context import Context
from ..domain.funding import plan_funding
from ..ports import FundingUpdate
from .base import JobResult, load_roster, plural, record_problems
from .mail_jobs import refuse_left_behind, send

REMINDER = "funding_invoice_reminder"


def run(ctx: Context) -> JobResult:
    refuse_left_behind(ctx)  # mail that went from the local folder, unknown here: stop before any write
    result = JobResult("funding")
    store, settings = ctx.stores.funding, ctx.settings.funding
    roster, _ = load_roster(ctx)
    names = {a.email: a.name for a in roster}
    requests, found = store.read(names)  # a request of someone not on the roster is one of its row's problems
    known = [replace(r, first_seen=r.first_seen or ctx.as_of) for r in requests]
    plan = plan_funding(known, ctx.as_of, settings, names, store.source, {a.email: a for a in roster})
    record_problems(ctx, result, [*found, *plan.problems], names, closing_sources=(store.source,))
    mail = send(ctx, "funding", plan.messages)
    result.failures += mail.failures

    sent = {k for k, e in ctx.stores.ledger.entries().items() if e.status == "sent" and k.startswith(REMINDER + ":")}
    if ctx.dry_run:  # what the real run would have sent counts as sent
        sent |= {m.key for m in plan.messages if m.job == REMINDER}
    updates = {}
    for r in known:
        steps = tuple(d for d in settings.reminder_days if f"{REMINDER}:{r.key}:d{d}" in sent)
        updates[r.key] = FundingUpdate(r.first_seen, plan.flags.get(r.key, ()), steps)
    written = store.record(updates, dry_run=ctx.dry_run)

    short = sum(1 for f in plan.flags.values() if any(x.startswith("short notice") for x in f))
    large = sum(1 for f in plan.flags.values() if "large event" in f)
    awaiting = len(plan.reminder_steps)
    counts = (f"{plural(len(known), 'request')}: {short} at short notice, {plural(large, 'large event')}, "
              f"{awaiting} awaiting invoice or evidence")
    if ctx.dry_run:
        result.summary.append(f"Dry run: {counts}; {written.would(store.where)}.")
    else:
        result.summary.append(f"{counts} in {store.where}; requests {written.describe()}.")
    for b in plan.budgets:
        result.summary.append(f"budget {b.period} {b.currency}: {b.approved:,.2f} of {b.budget:,.2f} approved "
                              f"({b.share:.0%}), {b.requested:,.2f} awaiting a decision.")
    result.summary += mail.summary
    return result
