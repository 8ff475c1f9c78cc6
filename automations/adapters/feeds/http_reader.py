"""`HttpSourceReader`: the feeds and forum posts ambassadors declared, read politely and safely over HTTP.

Feeds are fetched with `requests` and parsed with feedparser from the bytes read (never handed a URL or a
path: feedparser would fetch the one and open the other), which reads RSS 2.0, Atom, YouTube channel feeds
(Atom with `yt:` and `media:`), WordPress's `/feed/` and Medium's `/feed/@user` alike. Forum posts come from
Discourse's public `GET /user_actions.json?username=NAME&filter=4,5` (4: topics, 5: replies), newest first, a
page at a time by `offset`, without a key (only what anybody may read).

Being a good client:
- a conditional request when the last answer gave an `ETag` or `Last-Modified` (`If-None-Match`,
  `If-Modified-Since`); a 304 is "no news" and nothing is read;
- a timeout on connecting and on each read, and a deadline for the whole body;
- a size cap (`max_bytes`): a `Content-Length` over it is refused before a byte of the body is read, and a
  body without one stops being read past it;
- at most `requests_per_second` per host (host and port), whoever's feed it is; callers interleave hosts;
- a User-Agent naming the program;
- only http(s), and only the addresses declared: a redirect is followed (at most `max_redirects`) only to the
  same host and port (or from http to https on the same host), never elsewhere. A feed that moved to another
  host is a problem that says where to, for staff or the ambassador to declare the new address;
- the environment's proxy settings and `.netrc` are not used (`trust_env = False`), so no credential of the
  machine ever goes to a feed's host.

Every failure (a 404, a timeout, a body too large, a redirect elsewhere, a body that is no feed) is an answer
(`Fetched.error`, one sentence), never an exception: the job makes it one data problem of the ambassador.
"""

from __future__ import annotations

import html
import io
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import requests

from ...domain.discovery import FeedItem, Fetched, Memo

DEFAULT_PORTS = {"http": 80, "https": 443}
FORUM_PAGE = 30  # Discourse's user actions come 30 to a page


@dataclass(frozen=True)
class ReaderSettings:
    user_agent: str
    tz: ZoneInfo
    forum_url: str = ""
    timeout_seconds: float = 10.0
    max_bytes: int = 2_000_000
    requests_per_second: float = 2.0  # per host
    max_redirects: int = 3
    forum_pages: int = 5


class _Refused(Exception):
    """A source that cannot be read: the sentence says why."""


def _origin(url: str) -> tuple[str, str, int]:
    p = urlsplit(url)
    return p.scheme.lower(), (p.hostname or "").lower(), p.port or DEFAULT_PORTS.get(p.scheme.lower(), 0)


def same_place(declared: str, target: str) -> bool:
    """Whether a redirect's target is on the declared address's host and port (http to https on it allowed)."""
    ds, dh, dp = _origin(declared)
    ts, th, tp = _origin(target)
    if ts not in DEFAULT_PORTS or th != dh:
        return False
    return (ts, tp) == (ds, dp) or (ds == "http" and ts == "https" and dp == 80 and tp == 443)


def host_of(url: str) -> str:
    _, host, port = _origin(url)
    return f"{host}:{port}"


class HttpSourceReader:
    def __init__(self, settings: ReaderSettings, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["User-Agent"] = settings.user_agent
        self.requests = 0
        self.bytes_read = 0
        self._next: dict[str, float] = {}

    # -- the sources ------------------------------------------------------------------------------------

    def read_feed(self, url: str, memo: Memo | None) -> Fetched:
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"}
        if memo is not None and memo.etag:
            headers["If-None-Match"] = memo.etag
        if memo is not None and memo.modified:
            headers["If-Modified-Since"] = memo.modified
        before = self.requests
        try:
            answer = self._get(url, headers)
        except _Refused as exc:
            return Fetched(error=str(exc), requests=self.requests - before)
        if answer is None:
            return Fetched(unchanged=True, memo=memo, requests=self.requests - before)
        body, answered = answer
        new_memo = Memo(answered.get("ETag", "")[:500], answered.get("Last-Modified", "")[:100])
        import feedparser  # type: ignore[import-untyped]  # imported when a feed is read: it costs start-up time for nothing otherwise

        parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-type": answered.get("Content-Type", "")})
        if parsed.get("bozo") and not parsed.entries:
            why = type(parsed.get("bozo_exception")).__name__ if parsed.get("bozo_exception") else "not a feed"
            return Fetched(error=f"is not an RSS or Atom feed that can be read ({why})", memo=None,
                           requests=self.requests - before)
        items = []
        for e in parsed.entries:
            stamp = e.get("published_parsed") or e.get("updated_parsed")
            day = datetime(*stamp[:6]).replace(tzinfo=UTC).astimezone(self.settings.tz).date() if stamp else None
            title = str(e.get("title") or "")
            if "html" in str((e.get("title_detail") or {}).get("type", "")):  # Atom's type="html": text, not markup
                title = html.unescape(re.sub(r"<[^>]*>", "", title))
            items.append(FeedItem(str(e.get("id") or e.get("yt_videoid") or e.get("link") or ""), title, day,
                                  str(e.get("link") or "")))
        return Fetched(tuple(items), new_memo if (new_memo.etag or new_memo.modified) else None,
                       requests=self.requests - before)

    def read_forum(self, handle: str, since: date) -> Fetched:
        base = self.settings.forum_url.rstrip("/")
        if not base:
            return Fetched(error="cannot be read: forum.url is not set")
        before = self.requests
        items: list[FeedItem] = []
        offset = 0
        for _ in range(self.settings.forum_pages):
            url = f"{base}/user_actions.json"
            try:
                answer = self._get(url, {"Accept": "application/json"},
                                   {"username": handle, "filter": "4,5", "offset": str(offset)})
            except _Refused as exc:
                return Fetched(error=str(exc), requests=self.requests - before)
            if answer is None:
                break
            try:
                actions = json.loads(answer[0]).get("user_actions") or []
            except (ValueError, AttributeError):
                return Fetched(error="is not answered by the forum as its API does (no user_actions)",
                               requests=self.requests - before)
            if not isinstance(actions, list) or not actions:
                break
            oldest = None
            for a in actions:
                item = self._forum_item(base, a)
                if item is not None:
                    items.append(item)
                    oldest = item.day if oldest is None or (item.day and item.day < oldest) else oldest
            offset += len(actions)
            if len(actions) < FORUM_PAGE or (oldest is not None and oldest < since):
                break
        return Fetched(tuple(items), requests=self.requests - before)

    def _forum_item(self, base: str, a: object) -> FeedItem | None:
        if not isinstance(a, dict) or a.get("deleted") or a.get("hidden"):
            return None
        try:
            stamp = datetime.fromisoformat(str(a.get("created_at", "")).replace("Z", "+00:00"))
            topic, number = int(a["topic_id"]), int(a.get("post_number") or 1)
        except (KeyError, TypeError, ValueError):
            return None
        slug = str(a.get("slug") or "topic")
        title = str(a.get("title") or "")
        reply = a.get("action_type") == 5
        post = a.get("post_id")
        return FeedItem(f"post:{post}" if post else f"topic:{topic}/{number}",
                        f"Forum reply: {title}" if reply else title,
                        stamp.astimezone(self.settings.tz).date() if stamp.tzinfo else stamp.date(),
                        f"{base}/t/{slug}/{topic}/{number}" if reply else f"{base}/t/{slug}/{topic}")

    # -- HTTP -------------------------------------------------------------------------------------------

    def _pace(self, url: str) -> None:
        host = host_of(url)
        now = self.clock()
        due = self._next.get(host, now)
        if due > now:
            self.sleep(due - now)
            now = due
        self._next[host] = now + 1.0 / self.settings.requests_per_second

    def _get(self, url: str, headers: Mapping[str, str], params: Mapping[str, str] | None = None
             ) -> tuple[bytes, Mapping[str, str]] | None:
        """The body and headers of a 200, None for a 304; `_Refused` for anything else."""
        s = self.settings
        current = url
        for _ in range(s.max_redirects + 1):
            if urlsplit(current).scheme.lower() not in DEFAULT_PORTS:
                raise _Refused(f"is not an http(s) address ({current[:200]})")
            self._pace(current)
            self.requests += 1
            try:
                r = self.session.get(current, headers=dict(headers), params=params, stream=True,
                                     allow_redirects=False, timeout=(s.timeout_seconds, s.timeout_seconds))
            except requests.Timeout:
                raise _Refused(f"did not answer within {s.timeout_seconds:g} seconds") from None
            except requests.RequestException as exc:
                raise _Refused(f"could not be reached ({type(exc).__name__})") from None
            with r:
                if r.is_redirect:
                    target = urljoin(r.url, r.headers.get("Location", ""))
                    if not same_place(url, target):
                        raise _Refused(f"redirects to {target[:200]}, an address nobody declared (it was not "
                                       f"requested): declare that address instead if it is the feed's new home")
                    current, params = target, None
                    continue
                if r.status_code == 304:
                    return None
                if r.status_code != 200:
                    raise _Refused(f"answered {r.status_code} {r.reason or ''}".rstrip())
                length = r.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > s.max_bytes:
                    raise _Refused(f"is {int(length):,} bytes, more than the {s.max_bytes:,} a feed may be; "
                                   f"nothing of it was read")
                return self._body(r), r.headers
        raise _Refused(f"redirects more than {s.max_redirects} times")

    def _body(self, r: requests.Response) -> bytes:
        s = self.settings
        deadline = self.clock() + 3 * s.timeout_seconds
        body = bytearray()
        try:
            for chunk in r.iter_content(64 * 1024):
                body += chunk
                self.bytes_read += len(chunk)
                if len(body) > s.max_bytes:
                    raise _Refused(f"is more than the {s.max_bytes:,} bytes a feed may be; reading stopped there")
                if self.clock() > deadline:
                    raise _Refused(f"sent its answer too slowly (not done within {3 * s.timeout_seconds:g} "
                                   f"seconds)")
        except requests.RequestException as exc:
            raise _Refused(f"stopped answering part-way ({type(exc).__name__})") from None
        return bytes(body)
