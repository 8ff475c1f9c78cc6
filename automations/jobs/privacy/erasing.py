"""`erase EMAIL`: the person forgotten in every table and file, recorded first so that a run stopped part-way is
finished by the next."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path

from ...context import Context
from ...domain.privacy import ERASE_JOB, Erasure, Pending, TableRule, concerns, own_texts, owned
from ...errors import AlreadyRunning, ConfigError, ServiceUnavailable, StopRun
from ...ports import LedgerEntry, PersonalFile, PersonalTable, Written
from .. import referrals as referrals_job
from ..base import JobResult, plural
from .exporting import _exports_of
from .gathering import _mine, _not_included, _person, _reader_ok, _tables, whereabouts


def erase(ctx: Context, email: str | None, reader: str | None = None) -> JobResult:
    """Forget one person in every table and file `export` looks at; say what changed (or would).

    Every table is worked out, and what would be written to it checked, before the first write: a stop
    before it leaves everything as it was. Then what it will erase (the address, the names, the person's
    texts, the keys it renames) is recorded (`Pending`, in `ctx.privacy.journal`) before the first write,
    and a stop after it is finished by the next `erase` (with the same address, or none), from that record:
    meanwhile every other job stops. A field the store cannot rewrite (`PersonalTables.fixed`: a lookup, a
    linked record, a collaborator...) is left as it is and named, with where the person's data lives."""
    result = JobResult("erase")
    journal = ctx.privacy.journal
    try:
        pending = journal.load() if journal is not None else None
    except StopRun:
        if email is None:
            raise
        pending = None  # a damaged record: this erase of the address staff give records it again
    if email is None:
        if pending is None:
            raise ConfigError("No erase is unfinished: give the address of the person to erase.")
        address = pending.address
    else:
        address = _person(email)
    with_conduct = _reader_ok(ctx, reader)
    if pending is not None and pending.address != address:
        if ctx.dry_run:
            result.summary.append(f"An erase begun at {pending.started} has not finished: run erase without "
                                  f"--dry-run to finish it first.")
        else:
            result.summary.append(f"An erase begun at {pending.started} had not finished: it is finished first.")
            result.summary += _erase(ctx, pending.address, pending.with_conduct, pending)
        pending = None
    if pending is not None:
        result.summary.append(f"An erase of {address} begun at {pending.started} had not finished: it is finished "
                              f"now{' (dry run: it would be)' if ctx.dry_run else ''}.")
        with_conduct = with_conduct or pending.with_conduct
    result.summary += _erase(ctx, address, with_conduct, pending)
    result.summary += [f"not included: {n}" for n in _not_included(ctx, with_conduct)]
    return result


def _erase(ctx: Context, address: str, with_conduct: bool, pending: Pending | None) -> list[str]:
    """Erase one address (finishing `pending`, its unfinished erase, if given); the summary's lines."""
    summary: list[str] = []
    tables = _tables(ctx, with_conduct)
    # A data problem's Source is a file's name ("checkin_responses.csv") or a table's ("Ambassadors").
    sources = {Path(t.table.removeprefix("Airtable table ")).name: t.rule for t in tables}
    names, places = whereabouts(ctx, address)  # read before the roster forgets them
    # The keyed hashes of the offers made to them, read before the inquiries forget the address: their referral
    # answers that carry no address are set aside from now on.
    offers = referrals_job.erased_offers(ctx, address)
    if pending is not None:  # what only the record still knows (the roster is erased already)
        names = list(dict.fromkeys((*pending.names, *names)))
        places |= set(pending.places)
        offers = sorted({*pending.offers, *offers})
    texts: list[str] = []
    # The person's texts that someone else's row holds too (two ambassadors reporting the same meetup): a file
    # repeating one is not theirs for that. Seen as the tables are read, among the texts known by then.
    candidates: set[str] = set(pending.texts) if pending is not None else set()
    shared: set[str] = set()
    verb = "would change" if ctx.dry_run else "changed"

    def change(rule: TableRule, erasure: Erasure, fixed: dict[str, str], left: dict[str, str]):
        def one(headers: list[str], row: list[str]) -> list[str] | None:
            rekeyed = erasure.rekey(rule, headers, row) if rule.rekeyed else row
            new: list[str] | None = rekeyed
            if owned(rule, headers, rekeyed, address):
                texts.extend(own_texts(rule, headers, rekeyed))
            elif candidates:
                shared.update(t for t in own_texts(rule, headers, rekeyed) if t in candidates)
            if concerns(rule, headers, rekeyed, address):
                new = erasure.row(rule, headers, rekeyed)
            elif _mine(rule, headers, rekeyed, address, places):  # a problem staff own about their roster row
                new = erasure.row(rule, headers, rekeyed, theirs=True)
            if new is not None and fixed:
                for i, h in enumerate(headers):
                    if h in fixed and new[i] != row[i]:
                        new[i] = row[i]  # the store cannot write it: it stays, and is named
                        left[h] = fixed[h]
            return new
        return one

    def erase_all(erasure: Erasure, dry_run: bool) -> list[tuple[PersonalTable, Written, dict[str, str]]]:
        done = []
        for t in tables:
            left: dict[str, str] = {}
            written = t.store.rewrite(t.table, change(t.rule, erasure, fixed[t.table], left), dry_run=dry_run)
            done.append((t, written, left))
            if not dry_run:
                ctx.checkpoint("erase:table")
        return done

    def erasure(renamed: Mapping[str, str]) -> Erasure:
        return Erasure(address, ctx.as_of, ctx.privacy.pseudonyms, sources, renamed=dict(renamed),
                       source_names=ctx.settings.problem_names)

    with _exclusive(ctx), _held(ctx):  # no run reads the responses or records a ledger step meanwhile
        fixed = {t.table: t.store.fixed(t.table) for t in tables}
        planned = erasure(pending.renamed if pending is not None else {})
        done = erase_all(planned, dry_run=True)  # every check before the first write
        record = (pending or Pending(address, ctx.clock().isoformat(timespec="seconds"), with_conduct)).joined(
            names, texts, sorted(places), planned.renamed, offers)
        candidates |= set(record.texts)
        if not ctx.dry_run:
            ctx.privacy.journal.begin(record)
            ctx.checkpoint("erase:journal")
            done = erase_all(erasure(record.renamed), dry_run=False)
        elif candidates - shared:  # a dry run reads once more to know which of their texts others share
            erase_all(erasure(record.renamed), dry_run=True)
        touched, kept = 0, 0
        for t, written, left in done:
            if written.changed:
                touched += written.changed
                what = "deleted" if t.rule.delete else "anonymised"
                summary.append(f"{t.rule.what} ({t.table}): {plural(written.changed, 'row')} {what}"
                               f"{' (dry run)' if ctx.dry_run else ''}.")
            for title, where in left.items():
                if where:
                    kept += 1
                    summary.append(f"{t.rule.what} ({t.table}): the field '{title}' "
                                   f"{'would be' if ctx.dry_run else 'is'} left as it is, as erase cannot "
                                   f"rewrite it ({where}); erase the person's data there by hand.")
        own = [t for t in record.texts if t not in shared]
        files = ctx.privacy.files.find(address, [*record.names, *own])
        # Earlier exports hold everything about them: once handed over, they go too.
        files += [PersonalFile(str(p), "export", p.name) for p in _exports_of(ctx.privacy.export_dir, address)]
        if files:
            gone = ctx.privacy.files.remove(files, dry_run=ctx.dry_run)
            touched += gone.deleted
            if gone.deleted:
                summary.append(f"files: {plural(gone.deleted, 'file')} {'would be ' if ctx.dry_run else ''}"
                               f"deleted (outbox messages, review documents, quarterly reports and exports naming "
                               f"them); `report --quarter` makes a report again without them.")
            if any(f.what == "the outbox's index" for f in files):
                summary.append(f"the outbox's index {'would be' if ctx.dry_run else 'is'} written again without them.")
                touched += 1
        if not ctx.dry_run:
            ctx.checkpoint("erase:files")
    if not ctx.dry_run:
        # The keyed hash on record: a live form's rows of theirs arrive erased from now on (ErasedResponses).
        pseudonym = ctx.privacy.pseudonyms.address(address)
        key = f"{ERASE_JOB}:{pseudonym}"
        if key not in ctx.stores.ledger.entries():
            with ctx.stores.ledger.batch():
                ctx.stores.ledger.record(LedgerEntry(key, ERASE_JOB, pseudonym, "sent", 1, "", "",
                                              ctx.clock().isoformat(timespec="seconds")))
        referrals_job.remember_erased_offers(ctx, address, list(record.offers))
        ctx.checkpoint("erase:ledger")
        ctx.stores.cache.clear()  # what earlier runs worked out may hold the address (also after a stopped erase)
        ctx.checkpoint("erase:cache")
        ctx.privacy.journal.end()
    if not touched:
        held = " that erase can change" if kept else ""
        summary.append(f"Nothing held about {address}{held}{' is left' if not ctx.dry_run else ''}: "
                       f"nothing {verb}.")
    else:
        pseudonym = "a keyed hash" if ctx.dry_run else ctx.privacy.pseudonyms.address(address)
        where = "everywhere but the fields named above" if kept else "everywhere"
        summary.append(f"{address} {'would be' if ctx.dry_run else 'is now'} {pseudonym} {where}; their "
                       f"activities still count where they counted, and no message goes to the erased "
                       f"address. Set their Status in the roster (removed or alumni) if they are leaving.")
    return summary


@contextmanager
def _exclusive(ctx: Context):
    """The run locks of `run-all` and `sync-checkins` while erasing: a run that read the responses before
    the erase could otherwise write the address back after it. A run under way makes the erase fail
    (exit 1), to be run again once it ends; a dry run takes nothing."""
    if ctx.dry_run:
        yield
        return
    try:
        with ctx.run_lock.hold("run-all"), ctx.run_lock.hold("sync-checkins"):
            yield
    except AlreadyRunning as exc:
        raise ServiceUnavailable(f"{exc}; nothing was erased: run erase again once it has finished") from None


def _held(ctx: Context):
    """The send lock while rewriting (no run records a ledger step meanwhile); a dry run takes nothing."""
    return nullcontext() if ctx.dry_run else ctx.mail.lock.hold()
