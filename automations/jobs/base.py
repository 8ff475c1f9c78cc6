"""What every job returns, and the roster read most jobs start with."""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..context import Context
from ..domain.model import Ambassador, Problem
from ..domain.problems import Reconciled, problem_id, reconcile, source_ids
from ..errors import InputError
from ..ports import StoredReports


@dataclass
class JobResult:
    """A job's outcome: a human summary, and every item that could not be used or done."""

    job: str
    summary: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # input that could not be used (found in this run)
    new_problems: list[Problem] = field(default_factory=list)  # of those, the ones not on record before
    open_problems: int = 0  # problems on record still open after this run (new ones included)
    failures: list[str] = field(default_factory=list)  # actions that failed
    output: str = ""  # what the command prints on stdout (a table, JSON)
    data: dict = field(default_factory=dict)  # what the next job in run-all may reuse


def plural(n: int, word: str, many: str = "") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while a job builds many small acyclic objects, and keep it away
    from them afterwards.

    Reading a large program creates hundreds of thousands of frozen dataclasses that can never
    form cycles; the collector's repeated scans of them cost about a quarter of the run. Once the
    job is done, what it built is moved out of the collector's generations (`gc.freeze`): they are
    all still "young" for it (nothing was collected while it was paused), so the next allocations
    would otherwise start full scans of millions of live objects (two, measured, between sync and
    compliance). Frozen objects are still freed as soon as nothing refers to them (reference
    counting does not look at generations); only a reference cycle among them would outlive the
    process's need of it, and these records form none.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def load_reports(ctx: Context, synced: dict | None) -> StoredReports:
    """What sync-checkins stored, or what it just read when run-all passes it on."""
    if synced is not None:
        return StoredReports(synced["activities"], synced["checkins"], synced["problems"])
    if not ctx.stores.reports.exists():
        raise InputError(f"Nothing is stored in {ctx.stores.reports.where} yet: run sync-checkins first.")
    return ctx.stores.reports.load()


def load_roster(ctx: Context) -> tuple[list[Ambassador], list[Problem]]:
    return ctx.stores.roster.read()


def record_problems(ctx: Context, result: JobResult, found: list[Problem], people: Collection[str],
                    closing_sources=(), save: bool = True, unread: Collection[tuple[str, int]] = ()) -> Reconciled:
    """Put what a job found on record: new problems open, known ones keep the status staff gave them,
    and (for the sources in `closing_sources`, which this job read in full) problems no longer found
    close as fixed. The result lists the new ones; a problem staff marked ignored is not listed.

    With `save=False` the records are only worked out: the job saves them (`save_problems`) as its last
    write, so a run stopped before it reports the same problems as new again, never loses them."""
    stored = ctx.dry_problems if ctx.dry_run and ctx.dry_problems is not None else ctx.stores.reports.load_problems()
    rec = reconcile(stored, found, ctx.as_of, closing_sources, (ctx.stores.roster.source,), people, unread,
                    ctx.settings.problem_names)
    listed = {r.id for r in rec.new} | {r.id for r in rec.known}
    source_id = source_ids(ctx.settings.problem_names)
    result.problems = [p for p in found if problem_id(p, source_id=source_id) in listed]
    result.new_problems = [r.problem for r in rec.new]
    result.open_problems = len(rec.open)
    if rec.changed and ctx.dry_run:
        # Nothing is saved: say what saving would change (compared with the store, one read), and let
        # the next job of this run start from these records, as it would after a real save.
        ctx.dry_problems = rec.records
        would = ctx.stores.reports.save_problems(rec.records, dry_run=True)
        result.summary.append(f"Dry run: data problems: {would.would(ctx.stores.reports.problems_where)}.")
    elif rec.changed and save:
        ctx.stores.reports.save_problems(rec.records)
    return rec


def save_problems(ctx: Context, rec: Reconciled) -> None:
    """The last write of a job that worked out its problems with `record_problems(..., save=False)`."""
    if rec.changed and not ctx.dry_run:
        ctx.stores.reports.save_problems(rec.records)
