"""`sync-checkins`: read the check-in responses and store the activities they report.

The responses are never changed. Every row, section or cell that cannot be used is a data
problem on record (`unusable_rows.csv`, the Data problems table): new ones are named in the
run's output, known ones keep the status staff gave them, and those no longer found close by
themselves. The stored tables are a function of the responses and the roster alone, so a
second run writes nothing; a record a person added to them is left as it is, and named. A
response source with fewer rows than were read before stops the run before anything is written
(`--accept-shrink` confirms it).
"""

from __future__ import annotations

from dataclasses import replace

from ..context import Context
from ..domain.blog import published_activities
from ..domain.checkins import on_an_unusable_row
from ..domain.problems import accepted_statuses, id_source
from ..domain.source_guard import Limits, check, tally
from ..errors import StopRun
from ..ports import Written
from . import incremental
from .base import JobResult, bulk_allocation, load_roster, record_problems, save_problems


class _Stored:
    """What the store holds, read at most once a run and only when a guard needs it (None: no store yet)."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._read = False
        self._stored = None

    def get(self):
        if not self._read:
            self._stored = self.ctx.stores.reports.load() if self.ctx.stores.reports.exists() else None
            self._read = True
        return self._stored


def _stored_rows(ctx: Context, store: _Stored) -> int:
    """The last response row sync-checkins stored before (1: none), from its check-ins and the problems on record
    (those alone on a fresh clone, whose store holds only the data problems)."""
    stored = store.get()
    problems = stored.problems if stored is not None else ctx.stores.reports.load_problems()
    rows = [c.row for c in stored.checkins] if stored is not None else []
    form = id_source(ctx.settings.form.source, ctx.settings.problem_names)  # the responses, whichever source read them then
    rows += [r.problem.row for r in problems
             if id_source(r.problem.source, ctx.settings.problem_names) == form and r.status != "fixed" and r.closed is None]
    return max(rows, default=1)


def _unknown_statuses(ctx: Context) -> list[str]:
    """A line for each problem on record whose Status is a word that means no status: it stays open, and
    staff are told which word, where, and the words that are read."""
    stored = ctx.dry_problems if ctx.dry_run and ctx.dry_problems is not None else ctx.stores.reports.load_problems()
    return [f"data problems ({ctx.stores.reports.problems_where}): the Status '{r.typed[:60]}' of problem {r.id} "
            f"({r.problem.source} row {r.problem.row}, {r.problem.column}) is not a status, so it stays open (and is "
            f"written as open when the problems are next saved); "
            f"the words read are {accepted_statuses()}." for r in stored if r.typed]


def run(ctx: Context) -> JobResult:
    with bulk_allocation():
        return _sync(ctx)


def _sync(ctx: Context) -> JobResult:
    result = JobResult("sync-checkins")
    roster, roster_problems = load_roster(ctx)
    known = {a.email: a for a in roster}
    proposals, proposal_problems = ctx.stores.blog.read()
    posts, post_problems = published_activities(proposals, known, ctx.settings.rules.tz, ctx.stores.blog.source)
    # Only the responses not read before are ingested, and only their ambassadors resolved again.
    def fetch(cursor):  # the responses, with a bar on a terminal as they are read
        new = ctx.stores.checkins.read_new(cursor)
        return replace(new, rows=ctx.progress.track(new.rows, None, "Reading check-in responses"))

    synced = incremental.sync(ctx.stores.cache, fetch, ctx.settings.form, ctx.settings.rules, known, posts, ctx.settings.fingerprint)
    store = _Stored(ctx)
    form_problems = on_an_unusable_row(synced.problems, roster_problems, known, ctx.stores.roster.where)
    problems = sorted(roster_problems + form_problems + proposal_problems + post_problems,
                      key=lambda p: (p.source, p.row, p.column))
    if synced.mode == "full":
        stored_rows = synced.previous_last_row or _stored_rows(ctx, store)
        if synced.last_row < stored_rows and "shrink" not in ctx.confirmed:
            have = "only its header row" if synced.last_row <= 1 else f"{synced.last_row - 1} response rows"
            raise StopRun(
                f"The check-in responses in {ctx.stores.checkins.where} have {have}, but {stored_rows - 1} rows were read "
                f"before ({ctx.stores.reports.where}): the source looks truncated (a partial download, the wrong tab?), so "
                f"nothing was written or sent. Fix the source, or, if rows were really deleted, run again with "
                f"--accept-shrink.")
    _guard_unusable(ctx, synced, store)
    unread = {(ctx.settings.form.source, row) for row in synced.unreadable_rows}
    result.summary += _unknown_statuses(ctx)
    record = record_problems(ctx, result, problems, known,
                             closing_sources=(ctx.settings.form.source, ctx.stores.roster.source, ctx.stores.blog.source), save=False,
                             unread=unread)
    result.data = SyncedData(work=synced, problems=record.open)
    outcome = synced.resolutions
    how = {"unchanged": "no new response since the last run", "appended": "only the new responses read",
           "full": "every response read"}[synced.mode]
    result.summary.append(
        f"{synced.responses} check-in responses: {outcome['all']} activity reports, {outcome['current']} distinct "
        f"activities ({outcome['duplicate']} duplicate copies, {outcome['superseded']} superseded by a "
        f"correction, {outcome['late']} arrived after their window); {how}."
    )
    if ctx.dry_run:
        would = _save(ctx, synced, dry_run=True)
        result.summary.append(f"Dry run: {would.would(ctx.stores.reports.where)}.")
        unchanged = "" if record.changed else " Already up to date, nothing would be written."
        result.summary.append(_problem_line(record, ctx.stores.reports.problems_where) + unchanged)
        result.summary += ctx.stores.reports.untouched()
        return result
    written = _save(ctx, synced)
    incremental.remember(ctx.stores.cache, synced)
    save_problems(ctx, record)  # last: a run stopped before it reports these problems as new again
    result.summary.append(f"Stored in {ctx.stores.reports.where}: {written.describe()}.")
    result.summary.append(_problem_line(record, ctx.stores.reports.problems_where))
    result.summary += ctx.stores.reports.untouched()  # records a person added to the program's tables: never touched
    return result


def _guard_unusable(ctx: Context, synced: incremental.Synced, store: _Stored) -> None:
    """Stop before any write or send when the source went bad (`source_guard`), unless staff confirmed."""
    if "unusable" in ctx.confirmed or synced.mode == "unchanged":
        return
    before = synced.tally_before
    stored = store.get() if before is None and synced.mode == "full" else None
    if stored is not None:  # no work cache from the last run: the store says what it read
        acts = [a for a in stored.activities if a.section]  # the form's copies (section 0: published posts)
        before = tally(max((c.row for c in stored.checkins), default=1) - 1, 0, 0, stored.checkins, acts)
    g = ctx.settings.guards
    limits = Limits(g.max_newly_unusable_share, g.max_unusable_share, g.min_guarded_rows)
    form_problems = [p for p in synced.problems if p.source == ctx.settings.form.source]
    stop = check(before if synced.mode == "full" else None, synced.tally_now, form_problems, synced.unusable_rows,
                 ctx.stores.checkins.where, limits)
    if stop:
        raise StopRun(stop)


def _save(ctx: Context, synced: incremental.Synced, dry_run: bool = False) -> Written:
    """Bring the store up to date: add the new copies after the stored ones where nothing stored changed and
    the store allows it, else write everything (writing only what differs)."""
    if synced.mode != "full" and not synced.changed_copies:
        if dry_run:
            if not synced.new_copies and not synced.new_checkins:
                return Written()
        else:
            added = ctx.stores.reports.append(synced.new_copies, synced.new_checkins)
            if added is not None:
                return added
    resolved, checkins = synced.all_copies()
    return ctx.stores.reports.save(resolved, checkins, dry_run=dry_run)


def _problem_line(record, where: str) -> str:
    ignored = sum(1 for r in record.records if r.status == "ignored")
    return (f"Data problems in {where}: {len(record.new)} new, {len(record.known)} still open, {len(record.closed)} "
            f"fixed since the last run{f', {ignored} ignored by staff' if ignored else ''}.")


class SyncedData(dict):
    """What sync-checkins hands the next jobs of run-all: its work, the open problems, and, only when asked
    for ("activities", "checkins"), every copy and check-in, worked out then."""

    def __missing__(self, key: str):
        if key not in ("activities", "checkins"):
            raise KeyError(key)
        resolved, checkins = self["work"].all_copies()
        self["activities"], self["checkins"] = [r.activity for r in resolved], list(checkins)
        return self[key]
