"""`migrate --from OTHER_CONFIG`: copy everything a program holds from another configuration's store into this one's.

Local CSV to Airtable (the way to go live, after `init`), Airtable back to a local folder (a backup the
local backend runs from), or any store to another: the roster with its status history and standing
fields, the mail ledger, the data problems with staff's statuses and dates, the check-in store
(activities, check-ins), blog proposals, referral inquiries, funding requests, attendee lists, and
the conduct register only for a reader named in `conduct.readers` of both configurations. The local
files the jobs read on either backend go along: the referral answers' and the check-in responses'
downloads, the Forms question ids, and the privacy key erased people's hashes are made with.

Tables are compared by field role, never by title (`domain.migration`): two configurations may title
a field differently. Records a person added to the program's own tables on a base (activities,
check-ins, data problems, the mail ledger: no Key, or a Key the program does not make) are not the
program's: they are never copied (the output names them), and a destination's own are left alone.

Everything is read and planned before anything is written, and everything the destination would
refuse to write is asked then too (`ProgramTables.refusals`); the migration is refused (exit 2, one
sentence, nothing written) when the two configurations name the same store, when a value cannot be
held by the destination's field or written there (a select option an Editor's token may not add, a
field for staff's column it may not make, a linked or computed field, attendee lists beside others),
or when the destination holds rows that did not come from this source (another roster) or that
changed since migrate wrote them (a destination running on its own).

Writing records what it will do first: a marker in the destination's `local.dir` (until it is removed,
no other command but `init` and `doctor` runs on that store) and the digest of every row it is about to
create or update (`.migrate.sqlite3`: the rows it wrote from this source, which a later migrate may
update or delete; a row it found already there as the source has it is not one of them, so a later
change to it is refused, not overwritten). The mail ledger goes first, then the data problems, then
the rest, so even a destination run after a kill would not send again what had gone. A run stopped
part-way is finished by running it again: what landed is found and kept, the rest written. A second
run writes nothing. Data problems about rows of the roster and staff's tables are re-addressed to
where the destination's stores will find them (table name, row, column title), so their statuses hold
there.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from .. import file_modes
from ..adapters.files.atomic import atomic_write
from ..context import Context, Migration
from ..domain.certificates import EVENT, YEARLY
from ..domain.credentials import PERK_JOBS
from ..domain.migration import SHAPES, WRITE_ORDER, Sourced, TablePlan, moves_of, plan_table, program_rows, readdress
from ..domain.privacy import ERASE_JOB
from ..domain.values import plainly, stable_digest
from ..domain.words import translate_roster
from ..errors import AlreadyRunning, ConfigError, ServiceUnavailable, StopRun
from .base import JobResult, plural

PEOPLE_TABLES = ("ambassadors", "blog_reviews", "referral_inquiries", "funding_requests", "event_attendees")
REPORT_TABLES = ("activities", "checkins", "problems")


def _journal(move: Migration, role: str) -> str:
    """The journal's table of the rows migrate wrote into this table from this source."""
    return f"migrate:{stable_digest(move.source.store_id, length=12)}:{role}"


def _with_conduct(move: Migration, reader: str | None) -> bool:
    if reader is None:
        return False
    who = reader.strip().casefold()
    for readers, which in ((move.source_readers, f"{move.source_config}"), (move.dest_readers, "this configuration")):
        if who not in readers:
            raise ConfigError(f"The conduct register is copied only for a reader named in conduct.readers of both "
                              f"configurations: '{reader}' is not one in {which}.")
    return True


def _columns(move: Migration, role: str, held: list[Sourced]) -> dict[tuple[str, str], str]:
    """(source name, the source's column title) -> the destination's, for the fields the two title differently."""
    theirs, ours = move.source.titles(role), move.dest.titles(role)
    names = {h.place[0] for h in held if h.place}
    return {(name, theirs[r]): ours[r] for name in names for r in theirs if r in ours and theirs[r] != ours[r]}


@dataclass
class Planned:
    """Every table's plan, the notes on what the destination changes or adds, the sentences on what it cannot
    hold or write, how many data problems move to another place, and the rows of the program's own tables not
    copied (by table: their keys as shown)."""

    plans: dict[str, TablePlan] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    moved: int = 0
    skipped: dict[str, list[str]] = field(default_factory=dict)


def plan(ctx: Context, move: Migration, with_conduct: bool) -> Planned:
    """Read both stores and plan every table; nothing is written."""
    src, dst = move.source, move.dest
    out = Planned()
    plans = out.plans
    columns: dict[tuple[str, str], str] = {}
    for shape in SHAPES:
        role = shape.role
        if shape.restricted and not with_conduct:
            continue
        held = [Sourced(h.row, h.place) for h in (src.read(role) if src.exists(role) else [])]
        held, skipped = program_rows(shape, held)  # a person's records in the program's tables stay where they are
        if skipped:
            out.skipped[role] = skipped
        given = [h.row for h in held]
        if role == "ambassadors":  # a status, standing or perk stays what it is, in the destination's words
            given = [translate_roster(r, move.source_words, move.dest_words) for r in given]
        fitted, said, cannot = dst.fit(role, given)
        rows = [Sourced(row, h.place) for row, h in zip(fitted, held)]
        if role in PEOPLE_TABLES:
            columns.update(_columns(move, role, held))
        if role == "problems":
            rows, out.moved = readdress(rows, moves_of([plans[r] for r in PEOPLE_TABLES if r in plans], dst.place_of),
                                        columns, ctx.settings.problem_names)
            fitted, said, cannot = dst.fit(role, [s.row for s in rows])
            rows = [Sourced(row, s.place) for row, s in zip(fitted, rows)]
        out.problems += cannot
        ours = set(move.journal.rows(_journal(move, role)))
        plans[role] = plan_table(shape, rows, dst.read(role), ours)
        if plans[role].changed:  # what writing changes or adds (said only when there is something to write)
            out.notes += said
            if not cannot:  # what writing these rows would be refused (checked now, so a refusal writes nothing)
                out.problems += dst.refusals(role, plans[role])
        ctx.stop.check()
    return out


def _refuse(move: Migration, plans: dict[str, TablePlan], problems: list[str]) -> None:
    """Stop before anything is written when a value cannot be held, or the destination holds other data."""
    if problems:
        more = f" (and {plural(len(problems) - 1, 'other value')})" if len(problems) > 1 else ""
        raise StopRun(f"{plainly(problems[0])}{more}: migrate copies every value or none, so nothing was written; fix the "
                      f"source or the destination's field and migrate again.")
    for p in plans.values():
        named = move.dest.named(p.shape.role)
        if p.foreign:
            raise StopRun(f"{named} already holds {plural(len(p.foreign), 'row')} that did not come from "
                          f"{move.source.where} ({p.shape.what}: {_some(p.foreign)}): "
                          f"migrate copies into an empty store (a new base after `init`, an empty folder) and never "
                          f"overwrites other data; nothing was written.")
        if p.differ:  # staff's own rows (a roster typed into the base): which field to make the same, and how
            key, r, theirs, ours = p.differ[0]
            title = move.dest.titles(p.shape.role).get(r) or r.removeprefix("+")
            extra = len(p.differ) - 1
            others = (f" (and {plural(extra, 'other difference')}, in {plural(len(p.changed_since), 'row')})"
                      if extra else "")
            raise StopRun(plainly(
                f"{named} holds the {p.shape.what} row '{key}' with '{title}' {_value(ours)}, where "
                f"{move.source.where} has {_value(theirs)}"
                f"{others}"
                f": migrate adopts rows staff typed only when every field but the program's own (standing, streak, "
                f"perks, last check-in...) is the same; make the two sides the same and migrate again; nothing was "
                f"written."))
        if p.changed_since:
            raise StopRun(f"{named} holds {plural(len(p.changed_since), 'row')} that differ from "
                          f"{move.source.where} and were not written by migrate from there, or changed since "
                          f"({p.shape.what}: {_some(p.changed_since)}): the "
                          f"destination is not a copy of this source (or runs on its own now); nothing was written.")


def _files(move: Migration, plans: dict[str, TablePlan]) -> tuple[list[tuple[Path, Path, str]], list[str]]:
    """The local files to copy along, and notes; stop when the destination has another version of one."""
    ledger = plans.get("mail_ledger")
    erased = any(s.row.get("job") == ERASE_JOB for s in ledger.final) if ledger else False
    # Certificates' and perk notices' credentials carry ids, salts and status indexes made with the privacy key: once
    # one went, the destination must keep the source's key, or `credentials publish` there could not revoke them.
    certified = any(s.row.get("job") in (YEARLY, EVENT, *PERK_JOBS) for s in ledger.final) if ledger else False
    copy, notes = [], []
    for src, dst, what in move.files:
        if os.path.abspath(src) == os.path.abspath(dst) or not src.is_file():
            continue
        if not dst.is_file():
            copy.append((src, dst, what))
            continue
        if src.read_bytes() == dst.read_bytes():
            continue
        if what == "the privacy key" and not erased and not certified:
            notes.append(f"{dst} (the destination's own privacy key) kept: no one has been erased yet")
            continue
        raise StopRun(f"{dst} ({what}) differs from {src}: the destination must read the same; make them the same "
                      f"(or remove {dst}) and migrate again; nothing was written.")
    return copy, notes


def _describe(p: TablePlan, dry_run: bool) -> str:
    if not p.changed:
        return "already up to date" if p.unchanged else "nothing to copy"
    verbs = [(len(p.create), "create", "created"), (len(p.update), "update", "updated"),
             (len(p.delete), "delete", "deleted")]
    parts = [f"{verb if dry_run else done} {n}" for n, verb, done in verbs if n]
    unit = "rows" if p.changed != 1 else "row"
    return ("would " if dry_run else "") + ", ".join(parts) + f" {unit}"


def run(ctx: Context, move: Migration, reader: str | None = None) -> JobResult:
    """Copy every table from the other configuration's store (or, with --dry-run, say what that would do)."""
    result = JobResult("migrate")
    src, dst = move.source, move.dest
    if src.store_id == dst.store_id:
        raise StopRun(f"{move.source_config} and this configuration name the same store ({dst.where}): there is "
                      f"nothing to migrate.")
    with_conduct = _with_conduct(move, reader)
    with ExitStack() as held:
        if not ctx.dry_run:  # no run of the jobs on either store meanwhile
            try:
                held.enter_context(ctx.run_lock.hold("run-all"))
                if move.source_lock is not None:
                    held.enter_context(move.source_lock.hold("run-all"))
            except AlreadyRunning as exc:
                raise StopRun(f"{exc}; migrate again once it has finished.") from None
        planned = plan(ctx, move, with_conduct)
        plans = planned.plans
        _refuse(move, plans, planned.problems)
        copy, file_notes = _files(move, plans)
        notes = planned.notes + file_notes
        for p in plans.values():
            role = p.shape.role
            result.summary.append(f"{p.shape.what} ({src.named(role)} -> {dst.named(role)}): "
                                  f"{_describe(p, ctx.dry_run)}.")
            if role in planned.skipped:
                result.summary.append(_not_copied(p.shape.what, src.named(role), planned.skipped[role]))
            if p.adopted:
                result.summary.append(f"{p.shape.what}: {plural(p.adopted, 'row')} staff typed into {dst.named(role)} "
                                      f"{'were' if p.adopted > 1 else 'was'} found as {src.where} holds "
                                      f"{'them' if p.adopted > 1 else 'it'} and adopted (only the program's own "
                                      f"fields {'would be' if ctx.dry_run else 'were'} written).")
            if p.left:
                result.summary.append(f"{p.shape.what}: {plural(len(p.left), 'row')} a person added to "
                                      f"{dst.named(role)} (their Key not one the program makes: {_some(p.left)}) "
                                      f"left as {'they are' if len(p.left) > 1 else 'it is'}.")
        if not with_conduct:
            result.summary.append("conduct register: not copied (only with --reader EMAIL, an address in "
                                  "conduct.readers of both configurations).")
        if planned.moved:
            result.summary.append(f"data problems: {plural(planned.moved, 'problem')} about rows of the roster or "
                                  f"staff's tables {'would be' if ctx.dry_run else 'were'} re-addressed to where "
                                  f"{dst.where} holds those rows (their statuses and dates kept).")
        result.summary += [f"note: {plainly(n)}." for n in notes]  # an invisible character named by its code
        for s, d, what in copy:
            result.summary.append(f"{what}: {'would copy' if ctx.dry_run else 'copied'} {s} to {d}.")
        changed = [p for p in plans.values() if p.changed]
        # The journal holds only the rows migrate wrote: a row it found as it is was not (see `plan_table`).
        stale = [role for role, p in plans.items() if set(move.journal.rows(_journal(move, role))) != p.mine]
        if ctx.dry_run:
            result.summary.append("Dry run: nothing was written." if changed or copy else
                                  f"Dry run: {dst.where} already holds everything {src.where} holds; nothing would "
                                  f"be written.")
        elif not changed and not copy:
            if stale:  # only ever forgets rows gone from the destination (never adds one it did not write)
                move.journal.write({}, {_journal(move, r): {d: b"1" for d in plans[r].mine} for r in stale},
                                   replace=[_journal(move, r) for r in stale])
            result.summary.append(f"{dst.where} already holds everything {src.where} holds: nothing was written.")
        else:
            try:
                _apply(ctx, move, plans, changed, copy, result)
            except ServiceUnavailable as exc:  # what landed stays; it is migrate, not the jobs, that finishes it
                said = str(exc).replace("the next run finds what landed and completes the work",
                                        "the next run of migrate finds what landed")
                said = said.replace("; the next run completes the work", "")
                raise ServiceUnavailable(f"{said.rstrip('.')}: run `migrate --from {move.source_config}` again to "
                                         f"complete the work (until then the jobs do not run on {dst.where}).") \
                    from None
        result.summary += [u.line() for u in move.usage if u.requests]
    return result


def _value(text: str) -> str:
    """A field's value as a message shows it: quoted (a long one by its start), or 'empty'."""
    if not text:
        return "empty"
    return f"'{text}'" if len(text) <= 80 else f"'{text[:60]}...'"


def _some(keys: list[str]) -> str:
    """A few keys as a person reads them ("'p-1', 'x', ...")."""
    return ", ".join(f"'{k}'" for k in keys[:3]) + (", ..." if len(keys) > 3 else "")


def _not_copied(what: str, named: str, keys: list[str]) -> str:
    """The line naming the rows of a program's table that are not copied (`domain.migration.program_rows`)."""
    their = "their Key is" if len(keys) > 1 else "its Key is"
    return (f"{what}: {plural(len(keys), 'row')} of {named} not copied, {their} not one the program makes (a record "
            f"a person added, which the jobs leave alone on a base and a local folder cannot hold): {_some(keys)}.")


def _apply(ctx: Context, move: Migration, plans: dict[str, TablePlan], changed: list[TablePlan],
           copy: list[tuple[Path, Path, str]], result: JobResult) -> None:
    """Write, recording first what is about to be written, and the mail ledger before anything else."""
    dst = move.dest
    file_modes.make_dirs(move.marker.parent)
    atomic_write(move.marker, json.dumps({"store": dst.store_id, "from": str(move.source_config)}))
    result.summary += [f"{plainly(line)}." for line in dst.prepare(changed, False)]
    for role in WRITE_ORDER:
        p = plans.get(role)
        if p is None:
            continue
        table = _journal(move, role)
        if p.changed:
            # What is about to be written, before it is: a rerun after a kill knows those rows as its own.
            move.journal.write({}, {table: {d: b"1" for d in p.writing()}})
            dst.write(role, p)
        move.journal.write({}, {table: {d: b"1" for d in p.mine}}, replace=[table])
        ctx.stop.check()
    for src, target, what in copy:
        file_modes.make_dirs(target.parent)
        if what in ("the privacy key", "the credentials key"):  # readable by its owner only, as bootstrap makes it
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(src.read_bytes())
        else:
            atomic_write(target, src.read_bytes())
    if any(plans[r].changed for r in REPORT_TABLES if r in plans):
        ctx.stores.cache.clear()  # what earlier runs here worked out described another check-in store
    move.marker.unlink(missing_ok=True)
    result.summary.append(f"Migrated {move.source.where} into {dst.where}: "
                          f"{sum(p.changed for p in changed)} rows written; run `doctor`, then the jobs, with this "
                          f"configuration.")
