"""What a sync worked out (`Synced`), the helpers both of its paths share, and keeping it in the work cache once
the store holds it (`remember`)."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import overload
from zoneinfo import ZoneInfo

from ...domain.codec import Decoder, PackedActivities, PackedCheckins, activity_fields, pack, unpack
from ...domain.compliance import CURRENT, DUPLICATE, LATE, SUPERSEDED, Resolved, Rules, resolve_copies
from ...domain.model import Activity, Checkin, Problem
from ...domain.quarters import local_date
from ...domain.source_guard import Tally, tally
from ...domain.values import stable_digest
from ...ports import WorkCache

VERSION = "sync-4"
ACTS = "acts"  # email -> [activity rows], [checkin rows]
_STAGE_BATCH = 500  # work-cache entries staged at a time (`WorkCache.stage`), as a full read makes them
TALLY = "tally"  # the first row of a batch read -> its check-ins' and activities' digests (`source_guard.Tally`)


def _sort_copies(resolved: Iterable[Resolved]) -> list[Resolved]:
    """The store's order: published posts (section 0) first, then the form's copies in sheet order."""
    return sorted(resolved, key=lambda r: (r.activity.section != 0, r.activity.row, r.activity.section))


_RESOLUTIONS = (CURRENT, DUPLICATE, SUPERSEDED, LATE)
_CODES = {r: i for i, r in enumerate(_RESOLUTIONS)}


class FullRead:
    """What a full read worked out, held compactly until the store is written and compliance has judged:
    every form copy packed in sheet order (`PackedActivities`) with how it was resolved, each ambassador's
    places among them, their published posts resolved, their check-ins. An ambassador's copies are rebuilt
    when asked for (`resolved`), so memory holds the packed copies, not the records of the program."""

    def __init__(self, copies: PackedActivities, checkins: PackedCheckins):
        self.copies = copies
        self.checkins = checkins
        self.places = _places(copies.emails)  # each ambassador's copies: their indexes in `copies`
        self.checkin_places = _places(checkins.emails)
        # The read is this one's from now on: each record's address is in the places, so the lists of them (a
        # pointer a record, some megabytes at the peak of a first run) go.
        copies.emails, checkins.emails = [], []
        self.posts: dict[str, list[Resolved]] = {}
        self._resolution = bytearray(len(copies))
        self._winner = array("I", bytes(4 * len(copies)))

    def keep(self, email: str, resolved: Sequence[Resolved]) -> None:
        """How this ambassador's copies resolved: their posts first, then their form copies (in `places` order)."""
        places = self.places.get(email, ())
        posts = len(resolved) - len(places)
        if posts:
            self.posts[email] = list(resolved[:posts])
        for i, r in zip(places, resolved[posts:]):
            self._resolution[i] = _RESOLUTIONS.index(r.resolution)
            self._winner[i] = r.winner_row

    def keep_resolutions(self, email: str, posts: Sequence[Resolved], resolutions: Sequence[tuple[str, int]]) -> None:
        """`keep`, given their posts resolved and their form copies' (resolution, winner row), in `places` order."""
        if posts:
            self.posts[email] = list(posts)
        codes, kept, winners = _CODES, self._resolution, self._winner
        for i, (resolution, winner) in zip(self.places.get(email, ()), resolutions):
            kept[i] = codes[resolution]
            winners[i] = winner

    def _at(self, i: int) -> Resolved:
        return Resolved(self.copies[i], _RESOLUTIONS[self._resolution[i]], self._winner[i])

    def resolved(self, email: str) -> list[Resolved]:
        """This ambassador's copies as they were resolved, in the order they were resolved in (posts first)."""
        places = self.places.get(email, ())
        as_read, make, resolution, winner = self.copies.as_read, self.copies.decoder.activity, self._resolution, \
            self._winner
        return self.posts.get(email, []) + [Resolved(make(row, as_read.get(i)), _RESOLUTIONS[resolution[i]], winner[i])
                                            for i, row in zip(places, self.copies.rows(places))]

    def arrivals(self, email: str, tz: ZoneInfo) -> tuple[list[tuple[date, tuple, str]], list[date], list[date]]:
        """This ambassador's copies as `resolved` gives them, without building the records or their times: each as
        (its date, its row, its resolution) (a post: its record's fields), for `summary.brief_history`; the date each
        was received (`received_on`) and the local date it arrived in `tz` (`local_date`)."""
        copies: list[tuple[date, tuple, str]] = []
        received: list[date] = []
        local: list[date] = []
        for r in self.posts.get(email, []):
            a = r.activity
            copies.append((a.date, activity_fields(a), r.resolution))
            received.append(a.received_at.date())
            local.append(local_date(a.received_at, tz))
        places = self.places.get(email, ())
        packed = self.copies
        as_read, day, days, resolution = packed.as_read, packed.decoder.day, packed.days, self._resolution
        known = packed.decoder._days  # `day`'s lookup, inline: every copy of the program passes here
        same_zone = packed.decoder.tz is tz
        for i, row in zip(places, packed.rows(places)):
            copies.append((known.get(row[4]) or day(row[4]), row, _RESOLUTIONS[resolution[i]]))
            instant = as_read.get(i)
            if instant is None and same_zone:  # rebuilt in `tz`: its own date is the one it has there
                arrived = known.get(days[i]) or day(days[i])
                received.append(arrived)
                local.append(arrived)
            else:
                instant = instant or packed.decoder.instant(row[5])
                received.append(instant.date())
                local.append(local_date(instant, tz))
        return copies, received, local

    def checkin_arrivals(self, email: str, tz: ZoneInfo) -> list[tuple[date, float, int]]:
        """This ambassador's check-ins, in order, as (the local date each arrived in `tz`, its POSIX time, its index
        for `checkin_instant`), without building them or their times."""
        places = self.checkin_places.get(email, ())
        packed = self.checkins
        as_read, day, days = packed.as_read, packed.decoder.day, packed.days
        known = packed.decoder._days
        same_zone = packed.decoder.tz is tz
        out = []
        for i, row in zip(places, packed.rows(places)):
            instant = as_read.get(i)
            if instant is None and same_zone:
                out.append((known.get(days[i]) or day(days[i]), row[1], i))
            else:
                out.append((local_date(instant or packed.decoder.instant(row[1]), tz), row[1], i))
        return out

    def checkin_instant(self, i: int) -> datetime:
        """When check-in `i` (an index `checkin_arrivals` gives) was received, as its record says it."""
        return self.checkins.as_read.get(i) or self.checkins.decoder.instant(self.checkins.row(i)[1])

    def checkins_of(self, email: str) -> list[Checkin]:
        places = self.checkin_places.get(email, ())
        as_read, make = self.checkins.as_read, self.checkins.decoder.checkin
        return [make(row, as_read.get(i)) for i, row in zip(places, self.checkins.rows(places))]

    def received_since(self, email: str, since: float) -> tuple[list[Activity], list[Checkin]]:
        """This ambassador's copies (posts first) and check-ins received from `since` (a POSIX time) on; the
        others are not rebuilt."""
        if since == float("-inf"):
            return [r.activity for r in self.resolved(email)], self.checkins_of(email)
        posts = [r.activity for r in self.posts.get(email, []) if r.activity.received_at.timestamp() >= since]
        return (posts + [self.copies[i] for i in self.places.get(email, ()) if self.copies.row(i)[5] >= since],
                [self.checkins[i] for i in self.checkin_places.get(email, ()) if self.checkins.row(i)[1] >= since])

    def in_store_order(self) -> Sequence[Resolved]:
        """Every copy, resolved, in the store's order (`_sort_copies`), each rebuilt as it is read."""
        return _StoreOrder(self)


def _places(emails: Iterable[str]) -> dict[str, array]:
    """Each address's indexes among these, in order."""
    out: dict[str, array] = {}
    for i, email in enumerate(emails):
        at = out.get(email)
        if at is None:
            at = out[email] = array("I")
        at.append(i)
    return out


class _StoreOrder(Sequence[Resolved]):
    """The copies of a `FullRead` in the store's order: the posts, then the form's copies in sheet order."""

    def __init__(self, read: FullRead):
        self.read = read
        self.posts = _sort_copies(r for rs in read.posts.values() for r in rs)
        n = len(read.copies)
        self.order: Sequence[int] = range(n) if read.copies.in_sheet_order else \
            sorted(range(n), key=lambda i: (read.copies.row(i)[6], read.copies.row(i)[7]))

    def __len__(self) -> int:
        return len(self.posts) + len(self.order)

    @overload
    def __getitem__(self, i: int) -> Resolved: ...

    @overload
    def __getitem__(self, i: slice) -> list[Resolved]: ...

    def __getitem__(self, i: int | slice) -> Resolved | list[Resolved]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.posts[i] if i < len(self.posts) else self.read._at(self.order[i - len(self.posts)])

    def __iter__(self) -> Iterator[Resolved]:
        yield from self.posts
        read = self.read
        copies, as_read, resolution, winner = read.copies, read.copies.as_read, read._resolution, read._winner
        make = copies.decoder.activity
        for i, row in zip(self.order, copies.rows(self.order)):  # `_at`, inline: every copy of the program passes here
            yield Resolved(make(row, as_read.get(i)), _RESOLUTIONS[resolution[i]], winner[i])

    def as_fields(self) -> Iterator[tuple[tuple, str, int]]:
        """The same copies, in the same order, as (the record's fields, resolution, winner row), the records not
        built (`ReportStore.save`: what the CSV store writes its cells from)."""
        for r in self.posts:
            yield activity_fields(r.activity), r.resolution, r.winner_row
        read = self.read
        copies, as_read, resolution, winner = read.copies, read.copies.as_read, read._resolution, read._winner
        decoder = copies.decoder
        days, instants, day, instant = decoder._days, decoder._instants, decoder.day, decoder.instant
        for i, row in zip(self.order, copies.rows(self.order)):  # `Decoder.activity_fields`, inline
            at = as_read.get(i) or instants.get(row[5]) or instant(row[5])
            yield ((row[0], row[1], row[2], row[3], days.get(row[4]) or day(row[4]), at, *row[6:]),
                   _RESOLUTIONS[resolution[i]], winner[i])


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
    everything: Callable[[], tuple[Sequence[Resolved], Sequence[Checkin]]] | None = None
    affected: set[str] = field(default_factory=set)  # ambassadors whose copies changed in this run
    previous_last_row: int | None = None  # the last row read by the run before (None: not known here)
    posts: list[Activity] = field(default_factory=list)  # the published blog posts, as activities
    unusable_rows: set[int] = field(default_factory=set)  # rows read in this run that gave no check-in
    unreadable_rows: set[int] = field(default_factory=set)  # ... of them, those whose timestamp could not be read
    tally_before: Tally | None = None  # what the source gave the last run (None: not known here)
    tally_now: Tally = field(default_factory=Tally)  # what the whole source gives now
    #: A full sync keeps what it worked out (every copy, packed, and how it resolved), for the store and compliance.
    full: FullRead | None = None
    _cache: tuple | None = None  # what to write to the work cache once the store is saved
    _tally: dict = field(default_factory=dict)  # the digests of this run's batch, for the TALLY table

    def all_copies(self) -> tuple[Sequence[Resolved], Sequence[Checkin]]:
        assert self.everything is not None
        return self.everything()


def _digest(rows: Sequence[tuple]) -> str:
    return stable_digest(repr(sorted(rows)), length=20)


def sorted_new(copies: list[Resolved]) -> list[Resolved]:
    return sorted(copies, key=lambda r: (r.activity.row, r.activity.section))


def post_rows_of(state: dict, email: str) -> list[tuple]:
    return state.get("post_rows", {}).get(email, [])


def _resolve(decoder: Decoder, acts: Sequence[tuple], posts: Sequence[tuple], rules: Rules) -> list[Resolved]:
    return resolve_copies([decoder.activity(t) for t in list(posts) + list(acts)], rules)


def _counts(resolved: Sequence[Resolved]) -> list[int]:
    c = Counter(r.resolution for r in resolved)
    return [c["current"], c["duplicate"], c["superseded"], c["late"], len(resolved)]


def _counts_of_resolutions(resolutions: Sequence[str]) -> list[int]:
    """`_counts` of copies given by their resolutions."""
    c = Counter(resolutions)
    return [c["current"], c["duplicate"], c["superseded"], c["late"], len(resolutions)]


def _total(rescount: Mapping[str, list]) -> Counter:
    total: Counter[str] = Counter()
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
        return Tally(kept[0], kept[1], kept[2])
    batches = [unpack(v, (b"", b"")) for _, v in sorted(cache.rows(TALLY).items())]
    return Tally(kept[0], kept[1], kept[2], b"".join(c for c, _ in batches), b"".join(a for _, a in batches))


def remember(cache: WorkCache, synced: Synced) -> None:
    """Keep what this sync worked out, once the store holds it (a crash before leaves the old state,
    whose cursor makes the next run read these rows again). A full read staged its entries as it made them
    (`WorkCache.stage`): they become the cache's in the same write as the state that claims them."""
    if synced._cache is None:
        return
    state, entries, *replace = synced._cache
    if not entries and not replace and not synced._tally and unpack(cache.get("sync")) == state:
        return  # nothing new: the cache stays byte for byte as it was
    cache.write({"sync": pack(state)}, {ACTS: entries, TALLY: synced._tally},
                replace=(ACTS, TALLY) if replace else (), promote=(ACTS,) if replace else ())
