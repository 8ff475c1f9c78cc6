"""`retention`: what is kept longer than privacy.retention and conduct.retention_days say, deleted."""

from __future__ import annotations

from datetime import date, timedelta

from ...context import Context
from ...domain.ownership import program_key
from ...domain.privacy import ERASE_JOB
from ...domain.problems import FIXED, read_status
from .. import conduct as conduct_job
from ..base import JobResult, plural
from .erasing import _held


def _older(text: str, cutoff: date) -> bool:
    try:
        return date.fromisoformat(text.strip()[:10]) < cutoff
    except ValueError:
        return False


def retention(ctx: Context) -> JobResult:
    """Delete what is kept longer than configured: ledger steps, problems fixed long ago, outbox messages,
    and the conduct register's old incidents (`conduct purge`)."""
    result = JobResult("retention")
    keep = ctx.privacy.retention
    ledger_cutoff = ctx.as_of - timedelta(days=keep.ledger_days)
    fixed_cutoff = ctx.as_of - timedelta(days=keep.fixed_problems_days)

    # Only the program's own rows are deleted: the first column is the key (Key, Problem ID), and a row a
    # person added to the table (no key of the program's shape) stays whatever its dates say.
    def ledger_step(headers: list[str], row: list[str]) -> list[str] | None:
        cell = dict(zip(headers, row))
        if cell.get("Job", "").strip() == ERASE_JOB or not program_key("mail_ledger", row[0] if row else ""):
            return row  # the keyed hash of someone erased is kept for good
        return None if _older(cell.get("At") or cell.get("Last attempt") or "", ledger_cutoff) else row

    def fixed_problem(headers: list[str], row: list[str]) -> list[str] | None:
        cell = dict(zip(headers, row))
        closed_long_ago = (read_status(cell.get("Status", "")) == FIXED
                           and _older(cell.get("Closed", ""), fixed_cutoff))
        return None if closed_long_ago and program_key("problems", row[0] if row else "") else row

    # What is past retention is seen in what the run has read already (the ledger's entries, the problems
    # on record): a table is read again, and rewritten, only when something in it is due.
    ledger_due = any(_older(e.at, ledger_cutoff) for e in ctx.stores.ledger.entries().values()
                     if e.job != ERASE_JOB and program_key("mail_ledger", e.key))
    problems_due = any(r.status == FIXED and r.closed is not None and r.closed < fixed_cutoff
                       for r in ctx.stores.reports.load_problems())
    tables = [(t, ledger_step if t.rule.what == "mail ledger" else fixed_problem) for t in ctx.privacy.tables
              if (t.rule.what == "mail ledger" and ledger_due) or (t.rule.problems and problems_due)]
    # Looked at first without the lock: a day with nothing past retention takes no lock, writes nothing.
    due = [(t, job) for t, job in tables if t.store.rewrite(t.table, job, dry_run=True).deleted]
    old = ctx.privacy.files.older_than(keep.outbox_days, ctx.as_of)
    if due or old:
        with _held(ctx):
            for t, job in due:
                written = t.store.rewrite(t.table, job, dry_run=ctx.dry_run)
                if written.deleted:
                    result.summary.append(f"{t.rule.what}: {plural(written.deleted, 'row')} past retention "
                                          f"{'would be ' if ctx.dry_run else ''}deleted from {t.table}.")
            if old:
                gone = ctx.privacy.files.remove(old, dry_run=ctx.dry_run)
                result.summary.append(f"outbox: {plural(gone.deleted, 'file')} older than {keep.outbox_days} days "
                                      f"{'would be ' if ctx.dry_run else ''}deleted.")
    if not result.summary:
        result.summary.append("Nothing past retention.")
    result.summary += conduct_job.purge(ctx).summary
    return result
