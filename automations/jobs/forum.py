"""`forum`: keep the forum's ambassadors group (the Ambassadors badge) equal to the active ambassadors.

Reads the roster and the group as the forum has it now, looks up on the forum the handles of
active ambassadors not in the group yet, asks `domain.forum` for the changes (add the active, take
out alumni, removed and people matching no one, leave the paused alone; keep owners and
`forum.keep_usernames`), and applies them in batches. Decisions always come from the group's live
state, so a rerun finds nothing to do; each change is still written to the ledger (job `forum`, key
`forum_add:<username>:<as of>` / `forum_remove:...`) as the record of who was added or taken out when.

A handle the roster cannot give (none, unreadable, no such forum user) is a data problem with its row,
column and value, reported once. A plan that would take out a large share of the group stops the run
(exit 2) before any change until staff confirm it with `--accept-removals`. With forum.url empty the
job does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..context import Context
from ..domain.forum import (
    FORUM_ADD,
    FORUM_REMOVE,
    Change,
    ForumPlan,
    Wish,
    names,
    plan_forum,
    read_wishes,
    removal_guard,
    to_look_up,
    username_key,
)
from ..domain.privacy import is_erased
from ..effects import FAILED, SENDING, SENT
from ..errors import ServiceUnavailable, StopRun
from ..ports import FORUM_BATCH, Finding, ForumGroup, ForumRefused, LedgerEntry
from .base import JobResult, load_roster, plural, record_problems

JOB = "forum"
CONFIRM = "forum_removals"  # what `--accept-removals` confirms


def forum_source(ctx: Context) -> str:
    """The name the forum job's problems carry: the roster's, marked, so that sync-checkins (which closes the
    roster's own problems it no longer finds) never closes them, and this job closes only its own."""
    return f"{ctx.stores.roster.source} (forum)"


def preflight(ctx: Context) -> None:
    """Stop before anything is done when the forum is configured without its key (run-all calls it first)."""
    if ctx.makers.forum is not None:
        ctx.makers.forum.ready()


@dataclass
class _Read:
    wishes: dict[str, Wish]
    problems: list
    found: dict[str, str | None] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)  # the handle tokens of people erased on request


def findings(ctx: Context) -> list[Finding]:
    """`doctor`'s lines: the key is there and accepted, and the group can be read (reads only)."""
    if ctx.makers.forum is None:
        return [Finding(True, "forum: not configured (forum.url is empty); the forum job does nothing.")]
    ctx.makers.forum.ready()
    members = ctx.makers.forum.members()
    return [Finding(True, f"forum: {ctx.makers.forum.where} readable with the API key: {plural(len(members), 'member')} "
                          f"({plural(sum(1 for m in members if m.owner), 'owner')}).")]


def _not_erased(ctx: Context, members, erased_handles: set[str]):
    """The members but those who were erased on request: their roster row holds their handle as a keyed token,
    and their membership stays as staff leave it (it is staff's to change, and no ledger step may name them)."""
    if not erased_handles:
        return members
    return [m for m in members if not {ctx.privacy.pseudonyms.token(v) for v in (m.username, "@" + m.username)}
            & erased_handles]


def _plan(ctx: Context, group: ForumGroup, read: _Read, complete: bool) -> ForumPlan:
    """Read the group now, look up the handles not in it yet (each once per run), and plan."""
    members = _not_erased(ctx, group.members(), read.erased)
    for w in to_look_up(read.wishes, members):
        if w.key not in read.found:
            read.found[w.key] = group.find_user(w.username)
    return plan_forum(read.wishes, members, read.found, ctx.settings.forum, forum_source(ctx), complete)


def run(ctx: Context) -> JobResult:
    result = JobResult(JOB)
    group = ctx.makers.forum
    if group is None:
        result.summary.append("The forum is not configured (forum.url is empty): its ambassadors group was not "
                              "touched.")
        return result
    group.ready()
    settings = ctx.settings.forum
    roster, roster_problems = load_roster(ctx)
    wishes, problems = read_wishes(roster, ctx.as_of, settings, forum_source(ctx))
    read = _Read(wishes, problems)
    read.erased = {a.forum_handle.strip() for a in roster if is_erased(a.email) and (a.forum_handle or "").strip()}
    # A row that could not be read at all may be the person of a member who matches no one: only rows skipped
    # count (a status history problem leaves its row read).
    complete = not ({p.row for p in roster_problems} - {a.row for a in roster})
    plan = _plan(ctx, group, read, complete)
    _guard(ctx, plan)
    record_problems(ctx, result, [*read.problems, *plan.problems], people=(), closing_sources=(forum_source(ctx),))

    if ctx.dry_run:
        for c in plan.add:
            result.summary.append(f"would add {c.username} ({c.email}, active)")
        for c in plan.remove:
            result.summary.append(f"would remove {c.username} ({c.email + ', ' if c.email else ''}{c.why})")
        result.summary.append(f"Dry run: {group.where}: would add {len(plan.add)}, remove {len(plan.remove)}; "
                              f"{_state(plan)}; nothing changed.")
        _requests(group, result)
        return result

    added: list[str] = []
    removed: list[str] = []
    if plan.add or plan.remove:
        with ctx.mail.lock.hold() as others_ran:
            if others_ran:  # another run may have changed the group meanwhile: decide again from what it is now
                ctx.stores.ledger.refresh()
                plan = _plan(ctx, group, read, complete)
                _guard(ctx, plan)
            added = _apply(ctx, group, FORUM_ADD, plan.add, group.add, result)
            removed = _apply(ctx, group, FORUM_REMOVE, plan.remove, group.remove, result)
    done = []
    if added:
        done.append(f"added {names(added)}")
    if removed:
        done.append(f"removed {names(removed)}")
    result.summary.append(f"{group.where}: {'; '.join(done) if done else 'already as the roster asks, nothing to change'}"
                          f"; {_state(plan, len(added) - len(removed))}.")
    _requests(group, result)
    return result


def _guard(ctx: Context, plan: ForumPlan) -> None:
    why = removal_guard(plan, ctx.settings.forum)
    if why and CONFIRM not in ctx.confirmed:
        raise StopRun(f"The forum job stopped before changing anything: {why} ({names(plan.remove, 5)}). If the roster "
                      f"is right (check who is alumni or removed), run again with --accept-removals.")


def _state(plan: ForumPlan, grown: int = 0) -> str:
    """The group in numbers after the run: members, and who was deliberately left as they are."""
    parts = [f"{plural(plan.members + grown, 'member')}"]
    if plan.left_alone:
        parts.append(f"{len(plan.left_alone)} paused or not started yet, left as they are")
    if plan.kept:
        parts.append(f"{len(plan.kept)} kept as owners or forum.keep_usernames")
    if plan.held:
        parts.append(f"{len(plan.held)} matching no roster row held while the roster has unreadable rows "
                     f"({names(plan.held, 5)})")
    if plan.unmatched:
        parts.append(f"{plural(len(plan.unmatched), 'handle')} matching no forum user (data problems)")
    return ", ".join(parts)


def _requests(f: ForumGroup, result: JobResult) -> None:
    result.summary.append(f"Forum: {plural(f.requests, 'request')} ({f.retries} tried again).")


def _apply(ctx: Context, group: ForumGroup, kind: str, changes: tuple[Change, ...], call, result: JobResult) -> list[str]:
    """Make the changes in batches, each username's steps in the ledger: `sending` before its batch goes,
    then `sent` (done, or the forum already had it so) or `failed` with the forum's words. A forum that
    stops answering (exit 1) or refuses the key (exit 2), or a stop asked for (SIGTERM, before a batch),
    ends the run with the steps not taken recorded `failed`."""
    if not changes:
        return []
    entries = ctx.stores.ledger.entries()
    steps = {}
    for c in changes:
        key = c.key(kind, ctx.as_of)
        previous = entries.get(key)
        steps[c.username] = LedgerEntry(key, JOB, c.email or c.username, SENDING,
                                        (previous.attempts if previous else 0) + 1, "", group.where,
                                        ctx.clock().isoformat(timespec="seconds"))
    done: list[str] = []

    def record(c: Change, status: str, error: str = "") -> None:
        s = steps[c.username]
        ctx.stores.ledger.record(LedgerEntry(s.key, s.job, s.recipient, status, s.attempts, error, s.reference,
                                      ctx.clock().isoformat(timespec="seconds")))

    verb = "add" if kind == FORUM_ADD else "remove"
    with ctx.stores.ledger.batch():
        ctx.stores.ledger.begin(list(steps.values()))
        batches = [changes[i:i + FORUM_BATCH] for i in range(0, len(changes), FORUM_BATCH)]
        for n, batch in enumerate(batches):
            if ctx.stop.requested:  # SIGTERM: a safe point between two batches; the next run does the rest
                for c in [c for b in batches[n:] for c in b]:
                    record(c, FAILED, f"not tried: {ctx.stop.reason} stopped the run first")
                ctx.stop.check()
            try:
                answered = {username_key(u) for u in call([c.username for c in batch])}
            except ForumRefused as exc:
                for c in batch:
                    record(c, FAILED, str(exc))
                result.failures.append(f"the forum refused to {verb} {names(batch)}: {exc}")
                continue
            except (ServiceUnavailable, StopRun) as exc:  # the forum stopped answering, or refused the key
                for c in [c for b in batches[n:] for c in b]:
                    record(c, FAILED, str(exc))
                raise
            for c in batch:
                if username_key(c.username) in answered:
                    record(c, SENT)
                    done.append(c.username)
                else:
                    record(c, FAILED, f"the forum did not {verb} it")
                    result.failures.append(f"the forum did not {verb} {c.username} (its answer left them out)")
    return done
