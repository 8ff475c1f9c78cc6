"""Activities found for the ambassadors (`discover`): what their declared feeds and forum posts hold, kept as
*found activities*, listed in their check-in mail with a link that opens the form pre-filled, never counted.

Only the sources an ambassador declared are read: each address of the roster's Feeds column (an RSS or Atom
feed: a blog, a YouTube channel's feed, a podcast) and their forum handle (their topics and replies). Each
item read becomes a `FoundActivity` the first time it is seen, keyed by (ambassador, source, the item's id):
the next run finds it again and adds nothing. One item is found once per ambassador (`sameness`: its link as
compared, else its id) even when a feed is declared under two spellings or two feeds give one post. A found activity decides no verdict: compliance reads only what
the ambassador reported in the form.

The kind is a suggestion the ambassador may change in the form (`suggest_kind`): the form's own choice says
"Content creation (social post, blog, video, podcast)", so a blog post, a Medium or WordPress article, a
YouTube video and a podcast episode are all `content`; a forum topic or reply is `community_support`. A
recorded talk published as a video is a talk, but nothing in a feed says so: the ambassador picks "Giving a
talk" in the form.

Found versus reported (`unreported`): a found item is reported when one of the ambassador's activities has
the same link (compared without scheme, `www.`, trailing slash, fragment and tracking parameters, host in
any case), or else the same title (compared in any case, punctuation and spacing ignored) and the same date.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from .model import Activity, Ambassador
from .quarters import Quarter, latest_ended
from .values import stable_digest

Day = date

FEED = "feed"
FORUM = "forum"

#: The form's kinds a source suggests (see the module's docstring).
FORUM_KIND = "community_support"
FEED_KIND = "content"

#: The most characters kept of a found item's title and link (a feed may hold anything).
TITLE_LIMIT = 300
LINK_LIMIT = 2000


@dataclass(frozen=True)
class DiscoverSettings:
    """The roster's columns `discover`'s problems name, and whether forum handles are read (forum.url is set)."""

    feeds_column: str = "Feeds"
    handle_column: str = "Forum handle"
    forum: bool = False


@dataclass(frozen=True)
class Source:
    """One source an ambassador declared: a feed's address, or their forum handle."""

    email: str
    kind: str  # FEED or FORUM
    address: str  # the feed's URL, or the forum handle
    row: int  # the ambassador's roster row, for the problems it may give

    @property
    def memo_key(self) -> str:
        """Where the conditional-request memo of this source is kept (the ambassador first, so that erase finds it)."""
        return f"{self.email}\n{self.kind}:{self.address}"


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed or one forum post, as read."""

    item_id: str  # the entry's id (guid, Atom id, yt:videoId), or the post's id; else its link
    title: str
    day: date | None  # when it was published (updated when no published date), in the program's time zone
    link: str


@dataclass(frozen=True)
class Memo:
    """What a source answered last time, for a conditional request (`If-None-Match`, `If-Modified-Since`)."""

    etag: str = ""
    modified: str = ""

    def to_text(self) -> str:
        return f"{self.etag}\n{self.modified}"

    @classmethod
    def from_text(cls, text: str) -> Memo:
        etag, _, modified = text.partition("\n")
        return cls(etag, modified)


@dataclass(frozen=True)
class Fetched:
    """What reading one source gave: its items (none when unchanged), the memo to keep, or why it failed."""

    items: tuple[FeedItem, ...] = ()
    memo: Memo | None = None
    unchanged: bool = False  # a 304: nothing was read
    error: str = ""  # a sentence: why nothing could be read (a 404, a timeout, a body too large, not a feed)
    requests: int = 0


@dataclass(frozen=True, slots=True)
class FoundActivity:
    """An item found in a source an ambassador declared: a suggestion for their check-in, never counted."""

    email: str
    source: str  # "feed:<address>" or "forum:<handle>"
    item_id: str
    kind: str  # suggested (one of model.ACTIVITY_KINDS)
    title: str
    date: date
    link: str
    first_seen: Day  # (`date` names the field above here)

    @property
    def key(self) -> str:
        return found_key(self.email, self.source, self.item_id)


def found_key(email: str, source: str, item_id: str) -> str:
    """The found activity's identity (and its record's Key): the same item of the same source for the same person."""
    return "f-" + stable_digest(email, source, item_id)


def suggest_kind(source: Source) -> str:
    """The form's kind a source's items suggest (see the module's docstring for why a video is content)."""
    return FORUM_KIND if source.kind == FORUM else FEED_KIND


def sources_of(ambassadors: Iterable[Ambassador], forum: bool) -> list[Source]:
    """The sources of the active ambassadors: their feeds, and their forum handle when the forum is configured."""
    out: list[Source] = []
    for a in ambassadors:
        if a.status != "active":
            continue
        out += [Source(a.email, FEED, url, a.row) for url in a.feeds]
        if forum and a.forum_handle.strip():
            out.append(Source(a.email, FORUM, a.forum_handle.strip().lstrip("@"), a.row))
    return out


def interleaved(sources: Sequence[Source], host: Callable[[Source], str]) -> list[Source]:
    """The sources in an order that spreads each host's requests out (one of each host in turn), so that a
    per-host pace seldom makes the run wait: a thousand blogs on a thousand hosts are read without a pause."""
    by_host: dict[str, list[Source]] = {}
    for s in sources:
        by_host.setdefault(host(s), []).append(s)
    queues = list(by_host.values())
    out: list[Source] = []
    for i in range(max((len(q) for q in queues), default=0)):
        out += [q[i] for q in queues if i < len(q)]
    return out


def window_start(as_of: date) -> date:
    """The first day an item may be dated to be kept: the start of the quarter being reported (the latest
    ended one), so a first run on a feed with years of posts keeps only what the next check-ins can use."""
    return latest_ended(as_of).start


def clean(text: str, limit: int) -> str:
    """Text from a feed as one line: control and bidirectional characters out, spacing collapsed, cut to `limit`."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    one = " ".join(kept.split())
    return one if len(one) <= limit else one[:limit - 1] + "…"


def safe_link(link: str) -> str:
    """An item's link when it is an http(s) URL (nothing else is ever put in a mail); else empty."""
    link = clean(link, LINK_LIMIT)
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018  (raises on a port that is no number or past 65535)
    except ValueError:  # "http://[oops/x": no URL at all
        return ""
    return link if parts.scheme in ("http", "https") and parts.hostname and " " not in link else ""


def sameness(f: FoundActivity) -> str:
    """What makes two found items of one ambassador one item: their links as compared (`link_identity`), else
    their ids. A feed declared under two spellings (`http://b.example/feed`, `https://b.example/feed/`) or a
    post given by two feeds is one item, found and listed once."""
    ident = link_identity(f.link) if f.link else ""
    return f"{f.email}\n" + (f"link:{ident}" if ident else f"id:{f.item_id}")


def distinct(found: Iterable[FoundActivity]) -> list[FoundActivity]:
    """Each item once per ambassador (`sameness`), the first seen kept (then the least key: the same on every run)."""
    out: dict[str, FoundActivity] = {}
    for f in sorted(found, key=lambda f: (f.first_seen, f.key)):
        out.setdefault(sameness(f), f)
    return list(out.values())


def not_stored(found: Iterable[FoundActivity], stored: Iterable[FoundActivity]) -> list[FoundActivity]:
    """What a store adds of `found`: each key once, none it holds already (every `FoundStore` adapter's rule)."""
    known = {f.key for f in stored}
    new: dict[str, FoundActivity] = {}
    for f in found:
        if f.key not in known:
            new.setdefault(f.key, f)
    return list(new.values())


def new_found(source: Source, items: Iterable[FeedItem], known: Iterable[str], as_of: date) -> list[FoundActivity]:
    """The items of one source not yet stored, dated from `window_start` to `as_of`. `known` holds the stored
    items' keys and may hold their `sameness` too: an item the same as a stored one is not new."""
    known = set(known)
    start = window_start(as_of)
    label = f"{source.kind}:{source.address}"
    out: dict[str, FoundActivity] = {}
    for item in items:
        if item.day is None or not (start <= item.day <= as_of):
            continue
        link = safe_link(item.link)
        title = clean(item.title, TITLE_LIMIT) or link
        item_id = clean(item.item_id, LINK_LIMIT) or link
        if not item_id or not title:
            continue
        f = FoundActivity(source.email, label, item_id, suggest_kind(source), title, item.day, link, as_of)
        same = sameness(f)
        if f.key not in known and same not in known and same not in out:
            out[same] = f
    return list(out.values())


# -- found versus reported --------------------------------------------------------------------------------------

_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|mc_cid|mc_eid|ref|source)$", re.IGNORECASE)


def link_identity(link: str) -> str:
    """A link as compared: no scheme, no `www.`, host in lower case, no trailing slash, fragment or tracking
    parameters ("https://www.Example.org/post/?utm_source=x" and "http://example.org/post" are one)."""
    try:
        parts = urlsplit(link.strip())
    except ValueError:  # a link typed wrong ("https://example.com]/typo") is no link: compared by title and date
        return ""
    if not parts.netloc:
        return ""
    host = parts.netloc.lower().removeprefix("www.")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    return f"{host}{parts.path.rstrip('/')}" + (f"?{query}" if query else "")


def title_identity(title: str) -> str:
    """A title as compared: letters and digits only, in any case ("Mautic 5: what's new!" = "mautic 5 whats new")."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in folded if c != "'" and c != "’").split())


def is_reported(found: FoundActivity, reported: Sequence[Activity]) -> bool:
    """Whether one of the ambassador's reported activities is this found item (by link, else title and date)."""
    link = link_identity(found.link) if found.link else ""
    title = title_identity(found.title)
    for a in reported:
        if link and a.link and link_identity(a.link) == link:
            return True
        if a.date == found.date and title and title_identity(a.title) == title:
            return True
    return False


def unreported(found: Iterable[FoundActivity], activities: Iterable[Activity], email: str,
               quarter: Quarter) -> list[FoundActivity]:
    """The ambassador's found items dated in `quarter` that none of their reported activities is, by date."""
    mine = [a for a in activities if a.email == email]
    # Their own items only, before `distinct`: items of different ambassadors are never the same (`sameness` begins
    # with the address), so the rest of the program's need not be sorted and compared for each ambassador.
    return sorted((f for f in distinct(f for f in found if f.email == email) if quarter.start <= f.date <= quarter.end
                   and not is_reported(f, mine)), key=lambda f: (f.date, f.title))


@dataclass(frozen=True)
class Tally:
    """Found versus reported for one ambassador and one quarter (staff's view)."""

    email: str
    name: str
    found: int
    reported: int  # of the found, those reported
    activities: int  # every activity the ambassador reported for the quarter

    @property
    def unreported(self) -> int:
        return self.found - self.reported


def tallies(found: Iterable[FoundActivity], activities: Iterable[Activity], names: Mapping[str, str],
            quarter: Quarter) -> list[Tally]:
    """Per ambassador with anything found in `quarter`: how much was found, how much of it was reported."""
    by_email: dict[str, list[FoundActivity]] = {}
    for f in distinct(found):
        if quarter.start <= f.date <= quarter.end:
            by_email.setdefault(f.email, []).append(f)
    acts: dict[str, list[Activity]] = {}
    for a in activities:
        if quarter.start <= a.date <= quarter.end:
            acts.setdefault(a.email, []).append(a)
    out = []
    for email, items in sorted(by_email.items()):
        mine = acts.get(email, [])
        reported = sum(1 for f in items if is_reported(f, mine))
        ids = {a.id for a in mine}
        out.append(Tally(email, names.get(email, email), len(items), reported, len(ids)))
    return out


# -- the form pre-filled ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Prefill:
    """The check-in form's pre-fill parameters (`checkin_form.prefill_entries`): field -> `entry.N`, where an
    activity field's may hold `{n}`, the section's number; and the form's label of each kind."""

    form_url: str
    entries: Mapping[str, str]
    kind_labels: Mapping[str, str]  # kind -> the form's choice label (checkin_form.activity_kinds reversed)

    @property
    def enabled(self) -> bool:
        return bool(self.form_url and self.entries)


def prefill_link(p: Prefill, email: str, found: FoundActivity, section: int = 1) -> str:
    """The form's link with the email and one activity section filled from a found item (the date as the
    form's pre-fill takes it, YYYY-MM-DD); empty when no pre-fill entries are configured."""
    if not p.enabled:
        return ""
    values = {"email": email, "kind": p.kind_labels.get(found.kind, ""), "title": found.title,
              "date": found.date.isoformat(), "link": found.link}
    pairs = [("usp", "pp_url")]
    for field, entry in p.entries.items():
        value = values.get(field, "")
        if value:
            pairs.append((entry.replace("{n}", str(section)), value))
    sep = "&" if "?" in p.form_url else "?"
    return p.form_url + sep + urlencode(pairs, quote_via=quote)


def found_view(f: FoundActivity, p: Prefill | None, kind_names: Mapping[str, str]) -> dict[str, str]:
    """A found item as plain data for a template."""
    return {"title": f.title, "date": f.date.isoformat(), "kind": kind_names.get(f.kind, f.kind), "link": f.link,
            "prefill_link": prefill_link(p, f.email, f) if p is not None else ""}
