"""Compliance over the work cache: each ambassador's record, recomputed only when it could have changed, and the
recent activities the mail planners look at."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from ...domain.codec import Decoder, pack, unpack
from ...domain.compliance import Rules, Track
from ...domain.model import Activity, Checkin
from ...domain.values import stable_digest
from ...ports import WorkCache
from .synced import ACTS, Synced

# -- compliance: each ambassador's record, recomputed only when it could have changed -----------------------------

SLIM = "slim"  # email -> (key, valid from, valid until, brief track rows, check-ins as (local day, instant))
SLIM_VERSION = "slim-2"
_CHUNK = 500  # ambassadors whose records are worked out (and staged) at a time


def activities_of(cache: WorkCache, synced: Synced, rules: Rules, emails: Iterable[str], since: float = float("-inf")
                  ) -> dict[str, tuple[list[Activity], list[Checkin]]]:
    """These ambassadors' copies (posts included) and check-ins, from this run's sync; with `since` (a POSIX
    time), only those received from then on (the others are not even decoded)."""
    emails = set(emails)
    if synced.full is not None:  # a full sync: every copy is still in memory, packed
        return {e: synced.full.received_since(e, since) for e in emails}
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

    from ...domain.compliance import history, perks
    from ...domain.quarters import latest_ended, local_date
    from ...domain.summary import as_rows, brief_history, from_rows, summarize, valid_until

    through = latest_ended(as_of)
    today = as_of.toordinal()
    keys = {a.email: stable_digest(SLIM_VERSION, repr(a), synced.digests.get(a.email, ""), config_digest, str(through),
                                   length=20) for a in roster}
    entries = {e: unpack(v) for e, v in cache.rows(SLIM).items()}
    tracks: list[Track | None] = []
    last: dict = {}
    stale: list = []
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
    index = {a.email: i for i, a in enumerate(roster)}
    staged = False
    kept: dict = {}  # the rows of quarters with no activity, once for this run (`brief_history`)
    for start in range(0, len(stale), _CHUNK):  # a chunk of ambassadors' copies rebuilt at a time
        chunk = stale[start:start + _CHUNK]
        got = activities_of(cache, synced, rules, (a.email for a in chunk)) if synced.full is None else {}
        writes: dict[str, bytes] = {}
        for amb in chunk:
            if synced.full is not None:
                # Each copy as its date, row and resolution, the records and their times not built: judged in brief
                # (`brief_history`) as sync resolved them, unless a copy arrived after `as_of` (then resolved again).
                copies, received, copy_days = synced.full.arrivals(amb.email, rules.tz)
                arrived = synced.full.checkin_arrivals(amb.email, rules.tz)
                if all(d <= as_of for d in received):  # `received_on`
                    brief = brief_history(amb, copies, rules, as_of, through, kept)
                else:
                    records = history(amb, [r.activity for r in synced.full.resolved(amb.email)], rules, as_of,
                                      through)
                    brief = as_rows(summarize(Track(amb, tuple(records), tuple(perks(amb, records, as_of, rules)))))
                # After a full read the record is kept in brief, as a rerun keeps it (`details` works it out again
                # for a message that needs it): the program's activities are not all held through the records.
                track = from_rows(amb, brief)
                seen = [(ts, i) for d, ts, i in arrived if d <= as_of]
                if seen:  # the first of the latest, as `max` of their times finds it
                    last[amb.email] = synced.full.checkin_instant(max(seen, key=lambda s: s[0])[1])
                checked = [(d, ts) for d, ts, _ in arrived]
            else:
                acts, checks = got.get(amb.email, ([], []))
                records = history(amb, acts, rules, as_of, through)
                track = Track(amb, tuple(records), tuple(perks(amb, records, as_of, rules)))
                brief = as_rows(summarize(track))
                copy_days = [local_date(a.received_at, rules.tz) for a in acts]
                checked = [(local_date(c.received_at, rules.tz), c.received_at.timestamp()) for c in checks]
                instants = [c.received_at for c, (d, _) in zip(checks, checked) if d <= as_of]
                if instants:
                    last[amb.email] = max(instants)
            tracks[index[amb.email]] = track
            days = copy_days + [d for d, _ in checked]
            if any(as_of - lookback <= d <= as_of for d in days):
                recent.add(amb.email)
            until = valid_until(amb, days, rules, as_of)
            writes[amb.email] = pack((keys[amb.email], today, until.toordinal(), brief,
                                      [(d.toordinal(), ts) for d, ts in checked]))
        if not dry_run:
            cache.stage(SLIM, writes)  # kept with the others in one write below
            staged = True
    gone: dict[str, bytes | None] = {e: None for e in set(entries) - set(keys)}
    if (staged or gone) and not dry_run:
        cache.write({}, {SLIM: gone}, promote=(SLIM,))
    done = [t for t in tracks if t is not None]  # every stale one was worked out above
    assert len(done) == len(tracks), "a track held in brief was left unworked"
    return done, last, len(stale), recent


def details(cache: WorkCache, synced: Synced, rules: Rules, as_of) -> Callable[[Track], Track]:
    """Works out a track held in brief in full (its activities), once per ambassador, when a message needs it."""
    from ...domain.compliance import history
    from ...domain.summary import is_brief

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
