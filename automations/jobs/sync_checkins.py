"""`sync-checkins`: read the check-in responses and store the activities they report.

The responses are never changed. Every row, section or cell that cannot be used is a data
problem on record (`unusable_rows.csv`, the Data problems table): new ones are named in the
run's output, known ones keep the status staff gave them, and those no longer found close by
themselves. The stored tables are a function of the responses and the roster alone, so a
second run writes nothing. A response source with fewer rows than were read before stops the
run before anything is written (`--accept-shrink` confirms it).
"""

from __future__ import annotations

from collections import Counter

from ..bootstrap import Context
from ..domain.blog import published_activities
from ..domain.checkins import ingest, late_problems
from ..domain.compliance import resolve_copies
from ..errors import StopRun
from .base import JobResult, bulk_allocation, load_roster, record_problems


def _stored_rows(ctx: Context) -> int:
    """The last response row sync-checkins stored before (1: none), from its check-ins and problems."""
    if not ctx.reports.exists():
        return 1
    stored = ctx.reports.load()
    rows = [c.row for c in stored.checkins]
    rows += [r.problem.row for r in stored.problems if r.problem.source == ctx.form.source and r.status != "fixed"]
    return max(rows, default=1)


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
    posts, post_problems = published_activities(proposals, known, ctx.rules.tz, ctx.blog.source)
    ingested.activities.extend(posts)  # a published blog post is a content activity of its author
    resolved = resolve_copies(ingested.activities, ctx.rules)
    late = late_problems(resolved, ctx.form, ctx.rules.window_days)
    problems = sorted(roster_problems + ingested.problems + late + proposal_problems + post_problems,
                      key=lambda p: (p.source, p.row, p.column))
    stored_rows = _stored_rows(ctx)
    if ingested.last_row < stored_rows and "shrink" not in ctx.confirmed:
        have = "only its header row" if ingested.last_row <= 1 else f"{ingested.last_row - 1} response rows"
        raise StopRun(
            f"The check-in responses in {ctx.checkins.where} have {have}, but {stored_rows - 1} rows were read "
            f"before ({ctx.reports.where}): the source looks truncated (a partial download, the wrong tab?), so "
            f"nothing was written or sent. Fix the source, or, if rows were really deleted, run again with "
            f"--accept-shrink.")
    record = record_problems(ctx, result, problems, known,
                             closing_sources=(ctx.form.source, ctx.roster.source, ctx.blog.source))
    result.data = {"activities": ingested.activities, "checkins": ingested.checkins, "problems": record.open}
    outcome = Counter(r.resolution for r in resolved)
    responses = len(ingested.checkins)
    result.summary.append(
        f"{responses} check-in responses read: {len(resolved)} activity reports, {outcome['current']} distinct "
        f"activities ({outcome['duplicate']} duplicate copies, {outcome['superseded']} superseded by a "
        f"correction, {outcome['late']} arrived after their window)."
    )
    if ctx.dry_run:
        would = ctx.reports.save(resolved, ingested.checkins, dry_run=True)
        result.summary.append(f"Dry run: {would.would(ctx.reports.where)}.")
        unchanged = "" if record.changed else " Already up to date, nothing would be written."
        result.summary.append(_problem_line(record, ctx.reports.problems_where) + unchanged)
        return result
    written = ctx.reports.save(resolved, ingested.checkins)
    result.summary.append(f"Stored in {ctx.reports.where}: {written.describe()}.")
    result.summary.append(_problem_line(record, ctx.reports.problems_where))
    return result


def _problem_line(record, where: str) -> str:
    ignored = sum(1 for r in record.records if r.status == "ignored")
    return (f"Data problems in {where}: {len(record.new)} new, {len(record.known)} still open, {len(record.closed)} "
            f"fixed since the last run{f', {ignored} ignored by staff' if ignored else ''}.")
