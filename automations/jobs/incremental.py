"""Incremental sync: read only the responses not seen before, redo only the ambassadors they touch.

What a run of `sync-checkins` worked out is kept in the work cache (a port; a SQLite file in the
local folder), per ambassador: their activity copies and check-ins as plain tuples, the late
problems of their copies, a digest of everything that decides their record. The next run asks the
response source for what it has beyond the cursor it stopped at:

- nothing new (the same bytes): nothing is ingested, resolved or written;
- rows appended after the cursor (a form only ever appends): only those rows are ingested, and only
  the ambassadors they belong to are resolved again; the report store is asked to append the new
  copies (it writes everything instead when it cannot: a copy that changed resolution, a store
  someone edited);
- anything else (an earlier row edited or deleted, another file, a roster that gained or lost an
  email, another configuration or version): everything is read again, as on the first run.

The result is the same as a full run's, whatever path was taken: `tests/test_incremental.py` checks
it against a full run after each kind of change.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, Iterable, Mapping, Sequence

from ..domain.checkins import FormLayout, Ingested, day_order, ingest, late_problems
from ..domain.codec import Decoder, activity_row, checkin_row, pack, problem_row, problems_of, unpack
from ..domain.compliance import Resolved, Rules, Track, resolve_copies
from ..domain.model import Activity, Checkin, Problem
from ..domain.form_layout import map_columns
from ..domain.source_guard import Tally, tally
from ..domain.values import stable_digest
from ..ports import NewRows, WorkCache

VERSION = "sync-4"
ACTS = "acts"  # email -> [activity rows], [checkin rows]
TALLY = "tally"  # the first row of a batch read -> its check-ins' and activities' digests (`source_guard.Tally`)


def _sort_copies(resolved: Iterable[Resolved]) -> list[Resolved]:
    """The store's order: published posts (section 0) first, then the form's copies in sheet order."""
    return sorted(resolved, key=lambda r: (r.activity.section != 0, r.activity.row, r.activity.section))


@dataclass
class Synced:
    """What a sync worked out, whichever path it took."""

    mode: str  # "unchanged", "appended" or "full"
    problems: list[Problem]  # everything the responses and posts hold that cannot be used (not the roster's)
    last_row: int  # the sheet row of the last response read so far
    responses: int  # check-ins on record
    resolutions: Counter  # copies by resolution
    digests: dict[str, str]  # per ambassador: a digest of their copies and check-ins (what decides their record)
    new_copies: list[Resolved] = field(default_factory=list)  # appended: the copies to add to the store
    new_checkins: list[Checkin] = field(default_factory=list)
    changed_copies: bool = False  # appended: an earlier copy changed resolution (the store needs a rewrite)
    everything: Callable[[], tuple[list[Resolved], list[Checkin]]] | None = None
    affected: set[str] = field(default_factory=set)  # ambassadors whose copies changed in this run
    previous_last_row: int | None = None  # the last row read by the run before (None: not known here)
    posts: list[Activity] = field(default_factory=list)  # the published blog posts, as activities
    unusable_rows: set[int] = field(default_factory=set)  # rows read in this run that gave no check-in
    unreadable_rows: set[int] = field(default_factory=set)  # ... of them, those whose timestamp could not be read
    tally_before: Tally | None = None  # what the source gave the last run (None: not known here)
    tally_now: Tally = field(default_factory=Tally)  # what the whole source gives now
    #: A full sync keeps what it ingested, by ambassador (copies with posts, check-ins), for compliance.
    objects: tuple[dict, dict] | None = None
    _cache: tuple | None = None  # what to write to the work cache once the store is saved
    _tally: dict = field(default_factory=dict)  # the digests of this run's batch, for the TALLY table

    def all_copies(self) -> tuple[list[Resolved], list[Checkin]]:
        assert self.everything is not None
        return self.everything()


def _digest(rows: Sequence[tuple]) -> str:
    return stable_digest(repr(sorted(rows)), length=20)


def sync(cache: WorkCache, fetch: Callable[[tuple | None], NewRows], layout: FormLayout, rules: Rules,
         known: Mapping[str, object], posts: Sequence[Activity], config_digest: str) -> Synced:
    decoder = Decoder(rules.tz)
    emails_digest = stable_digest(*sorted(known), length=20)
    state = unpack(cache.get("sync"), {})
    valid = (state.get("version") == VERSION and state.get("config") == config_digest
             and state.get("emails") == emails_digest)
    new = fetch(state.get("cursor") if valid else None)
    if new.mode == "appended" and map_columns(new.headers, layout).needs_rows():
        # A re-created question appended at the end is placed by all the rows: read them all, as a full run does.
        new = fetch(None)
    post_rows: dict[str, list[tuple]] = defaultdict(list)
    for a in posts:
        post_rows[a.email].append(activity_row(a))
    post_digest = {e: _digest(rows) for e, rows in post_rows.items()}

    if new.mode == "full" or not valid:
        out = _full(cache, new, layout, rules, known, post_rows, post_digest, config_digest, emails_digest, decoder)
        out.previous_last_row = state.get("last_row")
        # What the last run read, whatever its configuration was (its digests read only here, on a full read).
        out.tally_before = _kept_tally(state, cache) if state.get("tally") else None
    else:
        out = _appended(cache, new, layout, rules, known, state, post_rows, post_digest, decoder)
    out.posts = list(posts)
    return out


def _appended(cache: WorkCache, new: NewRows, layout: FormLayout, rules: Rules, known: Mapping[str, object],
              state: dict, post_rows: Mapping[str, list], post_digest: Mapping[str, str], decoder: Decoder) -> Synced:
    """The rows after the cursor (none when the source is unchanged): only the ambassadors they, or a changed
    post, belong to are resolved again."""
    old_posts = state.get("posts", {})
    posts_changed = {e for e in set(post_digest) | set(old_posts) if post_digest.get(e) != old_posts.get(e)}
    appended = new.mode == "appended"
    ingested = ingest(new.headers, new.rows, layout, known, first_row=new.first_row,
                      order=day_order(layout, layout.source, new.told, state.get("order", ""))) \
        if appended else Ingested([], [], [])
    new_acts, new_checks = _rows_by_email(ingested)
    affected = set(new_acts) | set(new_checks) | posts_changed
    redo = _Redo(state, decoder, rules, layout, post_rows)
    stored = {e: unpack(v, ([], [])) for e, v in cache.rows(ACTS, affected).items()} if affected else {}
    for email in sorted(affected):
        redo.ambassador(email, stored.get(email, ([], [])), new_acts.get(email, []), new_checks.get(email, []))
    problems = problems_of(state.get("problems", [])) + ingested.problems
    batch = _tally(ingested, new.first_row) if appended else None
    new_state = _next_state(state, new, ingested, batch, redo, post_rows, post_digest, problems)
    out = Synced("appended" if affected or appended else "unchanged",
                 problems + [p for rows in redo.late.values() for p in problems_of(rows)], new_state["last_row"],
                 new_state["responses"], _total(redo.rescount), redo.digests, sorted_new(redo.new_copies),
                 sorted(ingested.checkins, key=lambda c: c.row), bool(posts_changed) or redo.changed_copies,
                 affected=affected, unusable_rows=ingested.unusable_rows, unreadable_rows=ingested.unreadable_rows,
                 tally_now=_kept_tally(new_state))
    entries = redo.entries
    out.everything = lambda: _everything(cache, decoder, rules, post_rows, entries)
    out._cache = (new_state, entries)
    out._tally = {f"{new.first_row:09d}": pack((batch.checkin_keys, batch.activity_keys))} \
        if batch is not None and batch.rows else {}
    return out


def _rows_by_email(ingested: Ingested) -> tuple[dict[str, list[tuple]], dict[str, list[tuple]]]:
    """The ingested activities and check-ins as the work cache keeps them, by ambassador."""
    acts: dict[str, list[tuple]] = defaultdict(list)
    checks: dict[str, list[tuple]] = defaultdict(list)
    for a in ingested.activities:
        acts[a.email].append(activity_row(a))
    for c in ingested.checkins:
        checks[c.email].append(checkin_row(c))
    return acts, checks


class _Redo:
    """Resolves again the ambassadors an appended run touched, one at a time, into the state's per-ambassador
    tables (late problems, resolution counts, digests) and the work cache's entries."""

    def __init__(self, state: dict, decoder: Decoder, rules: Rules, layout: FormLayout,
                 post_rows: Mapping[str, list]) -> None:
        self.state, self.decoder, self.rules, self.layout, self.post_rows = state, decoder, rules, layout, post_rows
        self.late: dict[str, list] = state.get("late", {})
        self.rescount: dict[str, list] = state.get("rescount", {})
        self.digests: dict[str, str] = state.get("digests", {})
        self.entries: dict[str, bytes | None] = {}
        self.new_copies: list[Resolved] = []
        self.changed_copies = False  # an earlier copy changed resolution

    def ambassador(self, email: str, stored: tuple[list, list], added_acts: list[tuple],
                   added_checks: list[tuple]) -> None:
        acts, checks = stored
        before = {(t[6], t[7]): None for t in acts}
        old_resolved = _resolve(self.decoder, acts, post_rows_of(self.state, email), self.rules) \
            if acts and added_acts else None
        acts = list(acts) + added_acts
        checks = list(checks) + added_checks
        self.entries[email] = pack((acts, checks))
        resolved = _resolve(self.decoder, acts, self.post_rows.get(email, []), self.rules)
        if old_resolved is not None and _moved(old_resolved, resolved):
            self.changed_copies = True
        self.new_copies += [r for r in resolved
                            if r.activity.section != 0 and (r.activity.row, r.activity.section) not in before]
        self.late[email] = [problem_row(p) for p in late_problems(resolved, self.layout, self.rules.window_days)]
        self.rescount[email] = _counts(resolved)
        self.digests[email] = _digest(acts + checks + self.post_rows.get(email, []))


def _moved(old: Sequence[Resolved], new: Sequence[Resolved]) -> bool:
    """Whether a copy resolved before resolves otherwise now (or to another winner)."""
    was = {(r.activity.row, r.activity.section): (r.resolution, r.winner_row) for r in old}
    return any((r.activity.row, r.activity.section) in was and
               was[(r.activity.row, r.activity.section)] != (r.resolution, r.winner_row) for r in new)


def _next_state(state: dict, new: NewRows, ingested: Ingested, batch: Tally | None, redo: _Redo,
                post_rows: Mapping[str, list], post_digest: Mapping[str, str], problems: list[Problem]) -> dict:
    """The state an appended (or unchanged) run leaves for the next."""
    last_row = ingested.last_row if ingested.last_row > 1 else state.get("last_row", 1)
    return dict(state, cursor=new.cursor(), late=redo.late, post_rows={e: list(r) for e, r in post_rows.items()},
                rescount=redo.rescount, digests=redo.digests, posts=post_digest,
                problems=[problem_row(p) for p in problems], last_row=max(last_row, state.get("last_row", 1)),
                order=ingested.order or state.get("order", ""),
                tally=_counts_of(_kept_tally(state) + batch) if batch is not None else state.get("tally"),
                responses=state.get("responses", 0) + len(ingested.checkins))


def sorted_new(copies: list[Resolved]) -> list[Resolved]:
    return sorted(copies, key=lambda r: (r.activity.row, r.activity.section))


def post_rows_of(state: dict, email: str) -> list[tuple]:
    return state.get("post_rows", {}).get(email, [])


def _resolve(decoder: Decoder, acts: Sequence[tuple], posts: Sequence[tuple], rules: Rules) -> list[Resolved]:
    return resolve_copies([decoder.activity(t) for t in list(posts) + list(acts)], rules)


def _counts(resolved: Sequence[Resolved]) -> list[int]:
    c = Counter(r.resolution for r in resolved)
    return [c["current"], c["duplicate"], c["superseded"], c["late"], len(resolved)]


def _total(rescount: Mapping[str, list]) -> Counter:
    total = Counter()
    for cur, dup, sup, late, n in rescount.values():
        total.update(current=cur, duplicate=dup, superseded=sup, late=late, all=n)
    return total


def _everything(cache: WorkCache, decoder: Decoder, rules: Rules, post_rows: Mapping[str, list],
                pending: Mapping[str, bytes | None]) -> tuple[list[Resolved], list[Checkin]]:
    """Every copy and check-in, resolved, in the store's order (what a full save writes)."""
    stored = cache.rows(ACTS)
    stored.update({k: v for k, v in pending.items() if v is not None})
    resolved: list[Resolved] = []
    checkins: list[Checkin] = []
    for email in set(stored) | set(post_rows):
        acts, checks = unpack(stored.get(email), ([], []))
        resolved += _resolve(decoder, acts, post_rows.get(email, []), rules)
        checkins += [decoder.checkin(t) for t in checks]
    return _sort_copies(resolved), sorted(checkins, key=lambda c: c.row)


def _full(cache: WorkCache, new: NewRows, layout: FormLayout, rules: Rules, known: Mapping[str, object],
          post_rows: Mapping[str, list], post_digest: Mapping[str, str], config_digest: str, emails_digest: str,
          decoder: Decoder) -> Synced:
    ingested = ingest(new.headers, new.rows, layout, known, first_row=2,
                      order=day_order(layout, layout.source, new.told))
    acts: dict[str, list[tuple]] = defaultdict(list)
    checks: dict[str, list[tuple]] = defaultdict(list)
    for a in ingested.activities:
        acts[a.email].append(activity_row(a))
    for c in ingested.checkins:
        checks[c.email].append(checkin_row(c))
    by_email: dict[str, list[Activity]] = defaultdict(list)
    for a in ingested.activities:
        by_email[a.email].append(a)
    checks_of: dict[str, list[Checkin]] = defaultdict(list)
    for c in ingested.checkins:
        checks_of[c.email].append(c)
    with_posts: dict[str, list[Activity]] = {}
    late: dict[str, list] = {}
    rescount: dict[str, list] = {}
    digests: dict[str, str] = {}
    resolved_all: list[Resolved] = []
    for email in set(by_email) | set(post_rows) | set(checks):
        own_posts = [decoder.activity(t) for t in post_rows.get(email, [])]
        with_posts[email] = own_posts + by_email.get(email, [])
        resolved = resolve_copies(with_posts[email], rules)
        resolved_all += resolved
        late[email] = [problem_row(p) for p in late_problems(resolved, layout, rules.window_days)]
        rescount[email] = _counts(resolved)
        digests[email] = _digest(acts.get(email, []) + checks.get(email, []) + list(post_rows.get(email, [])))
    entries = {e: pack((acts.get(e, []), checks.get(e, []))) for e in set(acts) | set(checks)}
    state = {"version": VERSION, "config": config_digest, "emails": emails_digest, "cursor": new.cursor(),
             "late": late, "rescount": rescount, "digests": digests, "posts": dict(post_digest),
             "post_rows": {e: list(r) for e, r in post_rows.items()},
             "problems": [problem_row(p) for p in ingested.problems], "last_row": ingested.last_row,
             "responses": len(ingested.checkins), "order": ingested.order}
    now = _tally(ingested, 2)
    state["tally"] = _counts_of(now)
    checkins = sorted(ingested.checkins, key=lambda c: c.row)
    copies = _sort_copies(resolved_all)
    out = Synced("full", ingested.problems + [p for rows in late.values() for p in problems_of(rows)],
                 ingested.last_row, len(ingested.checkins), _total(rescount), digests,
                 affected=set(digests) | set(checks), unusable_rows=ingested.unusable_rows,
                 unreadable_rows=ingested.unreadable_rows, tally_now=now)
    out.everything = lambda: (copies, checkins)
    out._cache = (state, entries, True)
    out._tally = {f"{2:09d}": pack((now.checkin_keys, now.activity_keys))}
    out.objects = (with_posts, dict(checks_of))
    return out


def _tally(ingested, first_row: int) -> Tally:
    return tally(max(0, ingested.last_row - first_row + 1), len(ingested.unusable_rows), len(ingested.empty_rows),
                 ingested.checkins, ingested.activities)


def _counts_of(t: Tally) -> tuple[int, int, int]:
    return (t.rows, t.skipped, t.empty)


def _kept_tally(state: dict, cache: WorkCache | None = None) -> Tally:
    """The tally kept by the last run: its counts (in the state), and with `cache` its digests too."""
    kept = state.get("tally")
    if not kept or len(kept) != 3:
        return Tally()
    if cache is None:
        return Tally(*kept)
    batches = [unpack(v, (b"", b"")) for _, v in sorted(cache.rows(TALLY).items())]
    return Tally(*kept, b"".join(c for c, _ in batches), b"".join(a for _, a in batches))


def remember(cache: WorkCache, synced: Synced) -> None:
    """Keep what this sync worked out, once the store holds it (a crash before leaves the old state,
    whose cursor makes the next run read these rows again)."""
    if synced._cache is None:
        return
    state, entries, *replace = synced._cache
    if not entries and not replace and not synced._tally and unpack(cache.get("sync")) == state:
        return  # nothing new: the cache stays byte for byte as it was
    cache.write({"sync": pack(state)}, {ACTS: entries, TALLY: synced._tally},
                replace=(ACTS, TALLY) if replace else ())


# -- compliance: each ambassador's record, recomputed only when it could have changed -----------------------------

SLIM = "slim"  # email -> (key, valid from, valid until, brief track rows, check-ins as (local day, instant))
SLIM_VERSION = "slim-2"


def activities_of(cache: WorkCache, synced: Synced, rules: Rules, emails: Iterable[str], since: float = float("-inf")
                  ) -> dict[str, tuple[list[Activity], list[Checkin]]]:
    """These ambassadors' copies (posts included) and check-ins, from this run's sync; with `since` (a POSIX
    time), only those received from then on (the others are not even decoded)."""
    emails = set(emails)
    if synced.objects is not None:  # a full sync: every record is still in memory, as ingested
        acts, checks = synced.objects
        return {e: ([a for a in acts.get(e, []) if a.received_at.timestamp() >= since],
                    [c for c in checks.get(e, []) if c.received_at.timestamp() >= since]) for e in emails}
    decoder = Decoder(rules.tz)
    pending = synced._cache[1] if synced._cache else {}
    stored = {e: v for e, v in pending.items() if e in emails and v is not None}
    missing = emails - set(stored)
    if missing:
        stored.update(cache.rows(ACTS, missing))
    state = synced._cache[0] if synced._cache else {}
    posts = state.get("post_rows", {})
    out = {}
    for email in emails:
        acts, checks = unpack(stored.get(email), ([], []))
        out[email] = ([decoder.activity(t) for t in list(posts.get(email, [])) + list(acts) if t[5] >= since],
                      [decoder.checkin(t) for t in checks if t[1] >= since])
    return out


def judge(cache: WorkCache, synced: Synced, roster, rules: Rules, as_of, config_digest: str, dry_run: bool,
          lookback: timedelta = timedelta(days=31)):
    """Every ambassador's track through the latest ended quarter (brief where nothing changed, full where it was
    recomputed), the last check-in of each, and how many were recomputed."""
    from datetime import datetime

    from ..domain.compliance import history, perks
    from ..domain.quarters import latest_ended, local_date
    from ..domain.summary import as_rows, from_rows, summarize, valid_until

    through = latest_ended(as_of)
    today = as_of.toordinal()
    keys = {a.email: stable_digest(SLIM_VERSION, repr(a), synced.digests.get(a.email, ""), config_digest, str(through),
                                   length=20) for a in roster}
    entries = {e: unpack(v) for e, v in cache.rows(SLIM).items()}
    tracks, last, stale = [], {}, []
    horizon = (as_of - lookback).toordinal()
    recent: set[str] = set()
    for amb in roster:
        e = entries.get(amb.email)
        if e and e[0] == keys[amb.email] and e[1] <= today < e[2]:
            tracks.append(from_rows(amb, e[3]))
            # The check-ins as (local day, instant), in order: the last one by today, and whether any is recent.
            seen = [ts for day, ts in e[4] if day <= today]
            if seen:
                last[amb.email] = datetime.fromtimestamp(max(seen), rules.tz)
            if any(horizon <= day <= today for day, _ in e[4]):
                recent.add(amb.email)
        else:
            tracks.append(None)
            stale.append(amb)
    got = activities_of(cache, synced, rules, (a.email for a in stale)) if stale else {}
    writes: dict[str, bytes | None] = {}
    index = {a.email: i for i, a in enumerate(roster)}
    for amb in stale:
        acts, checks = got.get(amb.email, ([], []))
        records = history(amb, acts, rules, as_of, through)
        full = Track(amb, tuple(records), tuple(perks(amb, records, as_of, rules)))
        tracks[index[amb.email]] = full
        days = [local_date(a.received_at, rules.tz) for a in acts] + [local_date(c.received_at, rules.tz) for c in checks]
        seen = [c.received_at for c in checks if local_date(c.received_at, rules.tz) <= as_of]
        if seen:
            last[amb.email] = max(seen)
        if any(as_of - lookback <= d <= as_of for d in days):
            recent.add(amb.email)
        until = valid_until(amb, days, rules, as_of)
        writes[amb.email] = pack((keys[amb.email], today, until.toordinal(), as_rows(summarize(full)),
                                  [(local_date(c.received_at, rules.tz).toordinal(), c.received_at.timestamp())
                                   for c in checks]))
    gone = set(entries) - set(keys)
    writes.update({e: None for e in gone})
    if writes and not dry_run:
        cache.write({}, {SLIM: writes})
    return tracks, last, len(stale), recent


def details(cache: WorkCache, synced: Synced, rules: Rules, as_of) -> Callable[[Track], Track]:
    """Works out a track held in brief in full (its activities), once per ambassador, when a message needs it."""
    from ..domain.compliance import history
    from ..domain.summary import is_brief

    memo: dict[str, Track] = {}

    def full(track: Track) -> Track:
        if not is_brief(track):
            return track
        email = track.ambassador.email
        if email not in memo:
            acts, _ = activities_of(cache, synced, rules, [email])[email]
            records = history(track.ambassador, acts, rules, as_of, track.records[-1].verdict.quarter)
            memo[email] = Track(track.ambassador, tuple(records), track.perks)
        return memo[email]

    return full


def recent(cache: WorkCache, synced: Synced, rules: Rules, emails: Iterable[str], as_of, lookback: timedelta
           ) -> tuple[list[Activity], list[Checkin]]:
    """The activities and check-ins received in the last `lookback` days (what the mail planners look at:
    receipts, the digest's week, data-problem notes), of these ambassadors, in sheet order."""
    from datetime import datetime, time

    since = datetime.combine(as_of - lookback, time(0), rules.tz).timestamp()
    got = activities_of(cache, synced, rules, emails, since)
    acts = sorted((a for copies, _ in got.values() for a in copies), key=lambda a: (a.row, a.section))
    checks = sorted((c for _, cs in got.values() for c in cs), key=lambda c: c.row)
    return acts, checks
