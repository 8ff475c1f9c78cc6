"""`init`: create the tables and fields the project needs in the store (Airtable), and say what.

Existing tables and fields, staff's included, are never changed. A second run creates nothing.
The local CSV folder needs nothing: the jobs create their own files.
"""

from __future__ import annotations

from ..bootstrap import Context
from ..errors import StopRun
from .base import JobResult


def run(ctx: Context, form: bool = False) -> JobResult:
    """Create the store's tables; with `form`, create the check-in form instead."""
    result = JobResult("init")
    if form:
        if ctx.form_builder.existing:
            raise StopRun(f"checkin_form.form_id is set ({ctx.form_builder.existing}): the check-in form exists. A "
                          f"second one would split the responses; clear form_id first to make a new form.")
        if ctx.dry_run:
            items = ctx.form_builder.plan()
            questions = sum(1 for i in items if "questionItem" in i)
            result.summary.append(f"Dry run: would create the check-in form with {questions} questions in "
                                  f"{ctx.form_builder.shape.sections} activity sections, and publish it.")
            return result
        form_id, url = ctx.form_builder.create()
        result.summary += [f"Created and published the check-in form {form_id}: {url}",
                           f"To read its responses, set in config.yaml: checkin_form.source: forms, "
                           f"checkin_form.form_id: {form_id}, checkin_form.form_url: {url}"]
        return result
    done = ctx.admin.init(ctx.dry_run)
    for store, what in ((ctx.referrals, "referral inquiries"), (ctx.answers, "referral answers")):
        if store is not None and hasattr(store, "create") and store.create(ctx.dry_run):  # the local files
            done.append(f"{'would create' if ctx.dry_run else 'created'} {store.where} ({what}, the header row only)")
    for store, what in ((ctx.funding, "funding requests"), (ctx.conduct, "conduct register")):
        # The local backend's staff tables: a file with its header row, for staff to fill.
        if store is not None and hasattr(store, "create") and store.create(ctx.dry_run):
            done.append(f"{'would create' if ctx.dry_run else 'created'} {store.where} ({what}, the header row only)")
    result.summary += done
    if not done:
        result.summary.append("Every table and field the project needs is there already; nothing created.")
    elif ctx.dry_run:
        result.summary.append("Dry run: nothing created.")
    return result
