"""`sync-checkins`: read the check-in responses and store the activities they report.

The responses are never changed. Every row, section or cell that cannot be used is listed in
the run's output and in `unusable_rows.csv`. The stored tables are a function of the
responses and the roster alone, so a second run writes nothing.
"""

from __future__ import annotations

from collections import Counter

from ..bootstrap import Context
from ..domain.blog import published_activities
from ..domain.checkins import ingest, late_problems
from ..domain.compliance import resolve_copies
from .base import JobResult, bulk_allocation, load_roster


def run(ctx: Context) -> JobResult:
    with bulk_allocation():
        return _sync(ctx)


def _sync(ctx: Context) -> JobResult:
    result = JobResult("sync-checkins")
    roster, roster_problems = load_roster(ctx)
    headers, rows = ctx.checkins.read()
    known = {a.email: a for a in roster}
    ingested = ingest(headers, rows, ctx.form, known)
    proposals, proposal_problems = ctx.blog.read()
    posts, post_problems = published_activities(proposals, known, ctx.rules.tz, ctx.blog.where)
    ingested.activities.extend(posts)  # a published blog post is a content activity of its author
    resolved = resolve_copies(ingested.activities, ctx.rules)
    late = late_problems(resolved, ctx.form, ctx.rules.window_days)
    problems = sorted(roster_problems + ingested.problems + late + proposal_problems + post_problems,
                      key=lambda p: (p.source, p.row, p.column))
    result.problems = problems

    result.data = {"activities": ingested.activities, "checkins": ingested.checkins, "problems": problems}
    outcome = Counter(r.resolution for r in resolved)
    responses = len(ingested.checkins)
    result.summary.append(
        f"{responses} check-in responses read: {len(resolved)} activity reports, {outcome['current']} distinct "
        f"activities ({outcome['duplicate']} duplicate copies, {outcome['superseded']} superseded by a "
        f"correction, {outcome['late']} arrived after their window)."
    )
    if ctx.dry_run:
        result.summary.append(f"Dry run: would write them to {ctx.reports.where}; nothing written.")
        return result
    written = ctx.reports.save(resolved, ingested.checkins, problems)
    result.summary.append(f"Stored in {ctx.reports.where}: {written.describe()}; {len(problems)} unusable rows or "
                          f"cells listed in {ctx.reports.problems_where}.")
    return result
