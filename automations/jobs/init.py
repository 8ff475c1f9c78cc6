"""`init`: create the tables and fields the project needs in the store (Airtable), and say what.

Existing tables and fields, staff's included, are never changed. A second run creates nothing.
The local CSV folder needs nothing: the jobs create their own files.
"""

from __future__ import annotations

from ..bootstrap import Context
from .base import JobResult


def run(ctx: Context) -> JobResult:
    result = JobResult("init")
    done = ctx.admin.init(ctx.dry_run)
    result.summary += done
    if not done:
        result.summary.append("Every table and field the project needs is there already; nothing created.")
    elif ctx.dry_run:
        result.summary.append("Dry run: nothing created.")
    return result
