"""`run-all`: every job once, in order, each handing what it computed to the next."""

from __future__ import annotations

from ..context import Context
from . import blog_reviews, compliance, conduct, discover, forum, funding, mail_jobs, privacy, referrals, sync_checkins
from .base import JobResult

MAIL_JOBS = ("reminders", "notices", "digest")


def run(ctx: Context) -> list[JobResult]:
    forum.preflight(ctx)  # a forum configured without its key stops the run before anything is done
    mail_jobs.refuse_left_behind(ctx)  # moved to Airtable without `migrate`: stop before any write or send
    conduct.preflight(ctx)  # a register retention (the last step) cannot read stops the run before any mail
    synced = sync_checkins.run(ctx)
    ctx.stop.check([synced])  # between two jobs: a safe point to stop at on SIGTERM (`stopping`)
    judged = compliance.run(ctx, synced=synced.data)
    results = [synced, judged]
    ctx.stop.check(results)
    results.append(discover.run(ctx))  # before the mail jobs: the invitation and reminders list what it found
    for job in MAIL_JOBS:  # every record through the latest ended quarter: what the mail jobs read too
        ctx.stop.check(results)
        results.append(mail_jobs.run(ctx, job, synced=synced.data, problems=synced.data["problems"],
                                     judged=judged.data))
    ctx.stop.check(results)
    results.append(blog_reviews.run(ctx))
    ctx.stop.check(results)
    results.append(referrals.run(ctx, judged=judged.data))
    ctx.stop.check(results)
    results.append(funding.run(ctx))
    ctx.stop.check(results)
    results.append(forum.run(ctx))
    ctx.stop.check(results)
    results.append(privacy.retention(ctx))  # and the conduct register's: its entries are never read here
    return results
