"""`run-all`: every job once, in order, each handing what it computed to the next."""

from __future__ import annotations

from ..bootstrap import Context
from . import blog_reviews, compliance, mail_jobs, sync_checkins
from . import referrals
from . import conduct, funding
from .base import JobResult

MAIL_JOBS = ("reminders", "notices", "digest")


def run(ctx: Context) -> list[JobResult]:
    synced = sync_checkins.run(ctx)
    judged = compliance.run(ctx, synced=synced.data)
    results = [synced, judged]
    for job in MAIL_JOBS:  # every record through the latest ended quarter: what the mail jobs read too
        results.append(mail_jobs.run(ctx, job, synced=synced.data, problems=synced.data["problems"],
                                     judged=judged.data))
    results.append(blog_reviews.run(ctx))
    results.append(referrals.run(ctx, judged=judged.data))
    results.append(funding.run(ctx))
    results.append(conduct.purge(ctx))  # retention only: the register's entries are never read here
    return results
