"""`discover`: the activities found in the feeds and forum posts the ambassadors declared.

For each active ambassador's declared sources (`domain.discovery.sources_of`), read in an order that spreads
each host's requests out, the new items dated in the quarter being reported or since become found activities,
stored once (`FoundStore.add` keeps keys it holds). Found activities count for nothing; the check-in mail lists
the unreported ones. A source that cannot be read is one data problem of its ambassador (source "feeds", their
roster row, the column that declares it, the address), closed by itself once the source reads again. Anything
raised while reading one source (a bug no test foresaw, hostile bytes) is that source's problem too: the run goes
on to the next.

The conditional-request memo (each source's last `ETag` and `Last-Modified`) is kept in the work cache (table
`feed_memo`, keyed by the ambassador's address and the source), not in the store: it is derived state, losing
it costs one full fetch of each feed and never a found item (those are in the store, keyed), it changes on most
runs and would otherwise cost an Airtable write per feed and run, and `erase` empties the work cache anyway. It
is written after the found items are stored, so a run stopped between the two reads the same items again. It is
not kept when the answer held an item dated after the run's day (a replay with `--as-of`): that item is left for
a later run, which a 304 would never show it.

Found activities dated before the quarter being reported are deleted by the same run (`FoundStore.forget_before`):
no mail lists them any more, and no source can give them again.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..context import Context
from ..domain.discovery import FEED, Memo, Source, interleaved, new_found, sameness, sources_of, window_start
from ..domain.model import Problem
from ..ports import FoundStore
from .base import JobResult, load_roster, plural, record_problems

#: The name a source's data problems carry.
FEEDS_SOURCE = "feeds"
MEMO_TABLE = "feed_memo"


def _host(source: Source) -> str:
    if source.kind != FEED:
        return "forum"
    try:
        p = urlsplit(source.address)
        return f"{(p.hostname or '').lower()}:{p.port or p.scheme}"
    except ValueError:  # an address that cannot be read: the reader says so, as the source's problem
        return source.address


def run(ctx: Context) -> JobResult:
    result = JobResult("discover")
    roster, roster_problems = load_roster(ctx)
    people = {a.email for a in roster}
    d = ctx.settings.discover
    store, reader = ctx.stores.found, ctx.stores.feeds
    sources = sources_of(roster, forum=d.forum)
    if not sources or store is None or reader is None:
        result.summary.append("No ambassador declared a feed (ambassadors.fields.feeds) or, with forum.url set, a "
                              "forum handle: nothing to discover.")
        if store is not None:
            _forget(ctx, store, result)
        record_problems(ctx, result, roster_problems, people, closing_sources=(FEEDS_SOURCE,))
        return result
    stored = store.read()
    known = {f.key for f in stored} | {sameness(f) for f in stored}
    memos = ctx.stores.cache.rows(MEMO_TABLE, [s.memo_key for s in sources])
    problems: list[Problem] = []
    found = []
    kept: dict[str, bytes | None] = {}
    unchanged = requests = 0
    since = window_start(ctx.as_of)
    for source in interleaved(sources, _host):
        column = d.feeds_column if source.kind == FEED else d.handle_column
        try:
            if source.kind == FEED:
                raw = memos.get(source.memo_key)
                fetched = reader.read_feed(source.address, Memo.from_text(raw.decode("utf-8")) if raw else None)
            else:
                fetched = reader.read_forum(source.address, since)
            requests += fetched.requests
            if fetched.error:
                problems.append(Problem(FEEDS_SOURCE, source.row, column, source.address,
                                        f"{fetched.error}; nothing was found there this run", source.email))
                continue
            if fetched.unchanged:
                unchanged += 1
                continue
            new = new_found(source, fetched.items, known, ctx.as_of)
        except Exception as exc:  # noqa: BLE001  one source's surprise is its owner's problem, never the run's end
            problems.append(Problem(FEEDS_SOURCE, source.row, column, source.address,
                                    f"could not be read ({type(exc).__name__}: {str(exc)[:200]}); nothing was "
                                    f"found there this run", source.email))
            continue
        known.update(f.key for f in new)
        known.update(sameness(f) for f in new)
        found += new
        if source.kind == FEED:
            # An item dated after as_of (a replay with --as-of) is left for a later run: with the memo kept, that
            # run would get a 304 and never see it.
            deferred = any(i.day is not None and i.day > ctx.as_of for i in fetched.items)
            memo = None if deferred or not fetched.memo else fetched.memo.to_text().encode("utf-8")
            if memos.get(source.memo_key) != memo:
                kept[source.memo_key] = memo
    written = store.add(found, dry_run=ctx.dry_run)
    if not ctx.dry_run and kept:
        ctx.stores.cache.write({}, {MEMO_TABLE: kept})
    owners = len({s.email for s in sources})
    verb = "would be stored" if ctx.dry_run else "stored"
    result.summary.append(
        f"{plural(len(sources), 'source')} of {plural(owners, 'ambassador')} read in {plural(requests, 'request')}: "
        f"{plural(written.created, 'new found activity', 'new found activities')} {verb} in {store.where}, "
        f"{unchanged} unchanged since the last run, {len(problems)} could not be read.")
    _forget(ctx, store, result)
    record_problems(ctx, result, [*roster_problems, *problems], people, closing_sources=(FEEDS_SOURCE,))
    result.data["found"] = found
    return result


def _forget(ctx: Context, store: FoundStore, result: JobResult) -> None:
    """Found activities dated before the quarter being reported are no longer listed anywhere: deleted (kept
    only as long as needed; no source gives them again, `new_found` keeping nothing that old)."""
    before = window_start(ctx.as_of)
    gone = store.forget_before(before, dry_run=ctx.dry_run)
    if gone.deleted:
        would = "would be" if ctx.dry_run else "were"
        result.summary.append(f"{plural(gone.deleted, 'found activity', 'found activities')} dated "
                              f"before {before.isoformat()} {would} deleted from {store.where}: no mail lists them "
                              f"any more.")
