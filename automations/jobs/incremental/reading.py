"""`sync`: the responses beyond the cursor read, and only the ambassadors they touch resolved again; or
everything read again, as on the first run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from ...domain.checkins import FormLayout, Ingested, day_order, ingest, late_problems
from ...domain.codec import (
    Decoder,
    PackedActivities,
    PackedCheckins,
    activity_row,
    checkin_row,
    pack,
    problem_row,
    problems_of,
    unpack,
)
from ...domain.compliance import LATE, Resolved, Rules, resolve_rows
from ...domain.form_layout import map_columns
from ...domain.model import Activity, Problem
from ...domain.source_guard import Tally
from ...domain.values import stable_digest
from ...ports import NewRows, WorkCache
from .synced import (
    _STAGE_BATCH,
    ACTS,
    VERSION,
    FullRead,
    Synced,
    _counts,
    _counts_of,
    _counts_of_resolutions,
    _digest,
    _everything,
    _kept_tally,
    _resolve,
    _tally,
    _total,
    post_rows_of,
    sorted_new,
)


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


def _full(cache: WorkCache, new: NewRows, layout: FormLayout, rules: Rules, known: Mapping[str, object],
          post_rows: Mapping[str, list], post_digest: Mapping[str, str], config_digest: str, emails_digest: str,
          decoder: Decoder) -> Synced:
    """Every response read, each copy packed as it is read (`PackedActivities`). Each ambassador is then worked
    out once, in turn: their copies rebuilt and resolved (what the store, the late problems and compliance all
    read: `FullRead` keeps how), their work-cache entry made from the packed rows and staged at once. What is
    held for the whole program is the packed copies and the check-ins; the records of one ambassador at a time."""
    packed, packed_checks = PackedActivities(decoder), PackedCheckins(decoder)
    ingested = ingest(new.headers, new.rows, layout, known, first_row=2,
                      order=day_order(layout, layout.source, new.told), into=(packed, packed_checks))
    now = _tally(ingested, 2)
    read = FullRead(packed, packed_checks)
    late: dict[str, list] = {}
    rescount: dict[str, list] = {}
    digests: dict[str, str] = {}
    batch: dict[str, bytes] = {}
    for email in set(read.places) | set(post_rows) | set(read.checkin_places):
        at = read.places.get(email, ())
        acts = list(packed.rows(at))
        posts = post_rows.get(email, [])
        # Resolved from their rows and the days they arrived: only the posts' and the late copies' records are built.
        post_records = [decoder.activity(t) for t in posts]
        resolutions = resolve_rows(posts + acts, [a.received_at.toordinal() for a in post_records] +
                                   [packed.days[i] for i in at], decoder.day, rules)
        read.keep_resolutions(email, [Resolved(a, *how) for a, how in zip(post_records, resolutions)],
                              resolutions[len(posts):])
        late[email] = [problem_row(p) for p in late_problems(
            (Resolved(post_records[k] if k < len(posts) else
                      decoder.activity(acts[k - len(posts)], packed.as_read.get(at[k - len(posts)])), *how)
             for k, how in enumerate(resolutions) if how[0] == LATE), layout, rules.window_days)]
        rescount[email] = _counts_of_resolutions([how[0] for how in resolutions])
        checks = list(packed_checks.rows(read.checkin_places.get(email, ())))
        digests[email] = _digest(acts + checks + list(post_rows.get(email, [])))
        if acts or checks:
            batch[email] = pack((acts, checks))
            if len(batch) >= _STAGE_BATCH:
                cache.stage(ACTS, batch)
                batch = {}
    cache.stage(ACTS, batch)
    state = {"version": VERSION, "config": config_digest, "emails": emails_digest, "cursor": new.cursor(),
             "late": late, "rescount": rescount, "digests": digests, "posts": dict(post_digest),
             "post_rows": {e: list(r) for e, r in post_rows.items()},
             "problems": [problem_row(p) for p in ingested.problems], "last_row": ingested.last_row,
             "responses": len(ingested.checkins), "order": ingested.order}
    state["tally"] = _counts_of(now)
    checkins = packed_checks if packed_checks.in_sheet_order else sorted(packed_checks, key=lambda c: c.row)
    copies = read.in_store_order()
    out = Synced("full", ingested.problems + [p for rows in late.values() for p in problems_of(rows)],
                 ingested.last_row, len(ingested.checkins), _total(rescount), digests,
                 affected=set(digests) | set(read.checkin_places), unusable_rows=ingested.unusable_rows,
                 unreadable_rows=ingested.unreadable_rows, tally_now=now)
    out.everything = lambda: (copies, checkins)
    out._cache = (state, {}, True)  # the entries are staged: `remember` promotes them with this state
    out._tally = {f"{2:09d}": pack((now.checkin_keys, now.activity_keys))}
    out.full = read
    return out
