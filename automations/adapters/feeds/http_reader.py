"""`HttpSourceReader`: the feeds and forum posts ambassadors declared, read politely and safely over HTTP.

Feeds are fetched with `requests` and parsed with feedparser from the bytes read (never handed a URL or a
path: feedparser would fetch the one and open the other), which reads RSS 2.0, Atom, YouTube channel feeds
(Atom with `yt:` and `media:`), WordPress's `/feed/` and Medium's `/feed/@user` alike. Forum posts come from
Discourse's public `GET /user_actions.json?username=NAME&filter=4,5` (4: topics, 5: replies), newest first, a
page at a time by `offset`, without a key (only what anybody may read).

Being a good client:
- a conditional request when the last answer gave an `ETag` or `Last-Modified` (`If-None-Match`,
  `If-Modified-Since`); a 304 is "no news" and nothing is read;
- a timeout on connecting and on each read, and a deadline for the whole body, checked after each piece read
  (read as it arrives, never waiting for a fixed amount), so a host that drips a byte now and then is cut off;
- a size cap (`max_bytes`): a `Content-Length` over it is refused before a byte of the body is read, and a
  body without one stops being read past it;
- at most `requests_per_second` per host (host and port), whoever's feed it is; callers interleave hosts;
- a User-Agent naming the program;
- only http(s), and only the addresses declared: a redirect is followed (at most `max_redirects`) only to the
  same host and port (or from http to https on the same host), never elsewhere. A feed that moved to another
  host is a problem that says where to, for staff or the ambassador to declare the new address. Addresses are
  judged as the library that connects reads them (requests prepares, urllib3 parses), and a Location with a
  backslash or a user name before its host is refused outright: parsers disagree on where those go;
- only public addresses: the host's addresses are looked up and one that is loopback, private, link-local,
  multicast, reserved or unspecified is refused, for the declared address and every redirect, naming the
  address, before any request (`allow_private_addresses` lifts this, for tests and intranets). The connection
  then goes to the address checked (`_PinnedAdapter`; the name stays the Host and, for https, the SNI and the
  certificate's name), so a name that answers differently a moment later (DNS rebinding) gains nothing;
- the environment's proxy settings and `.netrc` are not used (`trust_env = False`), so no credential of the
  machine ever goes to a feed's host.

Every failure (a 404, a timeout, a body too large, a redirect elsewhere, a body that is no feed, an address
that cannot be read) is an answer (`Fetched.error`, one sentence), never an exception: the job makes it one data
problem of the ambassador. An entry whose date no calendar holds in the program's zone (year 0; the first or last
day moved across the date line) has no day, and is never found.
"""

from __future__ import annotations

import html
import io
import ipaddress
import json
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

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
    allow_private_addresses: bool = False  # loopback, private, link-local... (for tests and intranets only)


class _Refused(Exception):
    """A source that cannot be read: the sentence says why."""


def _origin(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of `url` as the library that connects reads them (requests prepares the URL,
    urllib3 parses it): judging with another parser lets `http://evil.org\\@good.org/` pass for good.org while
    the connection goes to evil.org. ValueError when the address cannot be read (a port of letters or past
    65535, a broken IPv6 literal)."""
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
        p = parse_url(prepared)
    except (requests.RequestException, LocationParseError, ValueError) as exc:
        raise ValueError(f"not an address that can be read: {url[:200]}") from exc
    scheme = (p.scheme or "").lower()
    return scheme, (p.host or "").lower().strip("[]"), p.port or DEFAULT_PORTS.get(scheme, 0)


def same_place(declared: str, target: str) -> bool:
    """Whether a redirect's target is on the declared address's host and port (http to https on it allowed),
    as the connecting library reads both; an address that cannot be read is never the same place."""
    try:
        ds, dh, dp = _origin(declared)
        ts, th, tp = _origin(target)
    except ValueError:
        return False
    if ts not in DEFAULT_PORTS or not th or th != dh:
        return False
    return (ts, tp) == (ds, dp) or (ds == "http" and ts == "https" and dp == 80 and tp == 443)


def host_of(url: str) -> str:
    try:
        _, host, port = _origin(url)
    except ValueError:
        return url[:200]
    return f"{host}:{port}"


def _hidden_authority(location: str) -> bool:
    """Whether a Location holds a backslash or a userinfo (`user@host`): parsers disagree on where such an
    address goes, so it is refused outright."""
    if "\\" in location:
        return True
    rest = location.split("//", 1)[1] if "//" in location else ""
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    return "@" in authority


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    """The addresses `host` has (the system's resolver), each once, in its order."""
    return list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


class _PinnedAdapter(HTTPAdapter):
    """Connects to the address the reader checked (`pins`: (host, port) -> IP), not to a second lookup of the
    name, so a name that resolves to a public address when checked and to a private one a moment later
    (DNS rebinding) still reaches only the address checked. HTTPS keeps the name for SNI and the certificate."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self.pins: dict[tuple[str, int], str] = {}

    def build_connection_pool_key_attributes(self, request: requests.PreparedRequest, verify: Any, cert: Any = None
                                             ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        scheme, host = host_params["scheme"], str(host_params["host"]).strip("[]").lower()
        port = host_params["port"] or DEFAULT_PORTS.get(scheme, 0)
        ip = self.pins.get((host, port))
        if ip is not None and ip != host:
            host_params["host"] = ip
            if scheme == "https":
                pool_kwargs["server_hostname"] = host
                pool_kwargs["assert_hostname"] = host
        return host_params, pool_kwargs


class HttpSourceReader:
    def __init__(self, settings: ReaderSettings, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 resolve: Callable[[str, int], list[str]] | None = None):
        self.settings = settings
        self.resolve = resolve or _resolve
        self.clock = clock
        self.sleep = sleep
        self.session = requests.Session()
        self.session.trust_env = False
        self._adapter = _PinnedAdapter()
        self.session.mount("http://", self._adapter)
        self.session.mount("https://", self._adapter)
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
            day = self._day(e.get("published_parsed") or e.get("updated_parsed"))
            title = str(e.get("title") or "")
            if "html" in str((e.get("title_detail") or {}).get("type", "")):  # Atom's type="html": text, not markup
                title = html.unescape(re.sub(r"<[^>]*>", "", title))
            items.append(FeedItem(str(e.get("id") or e.get("yt_videoid") or e.get("link") or ""), title, day,
                                  str(e.get("link") or "")))
        return Fetched(tuple(items), new_memo if (new_memo.etag or new_memo.modified) else None,
                       requests=self.requests - before)

    def _day(self, stamp: Any) -> date | None:
        """An entry's day in the program's time zone; None (the entry is left out) for no date, or one no
        calendar holds (year 0, or 0001-01-01 and 9999-12-31 moved across the date line)."""
        if not stamp:
            return None
        try:
            return datetime(*stamp[:6]).replace(tzinfo=UTC).astimezone(self.settings.tz).date()
        except (ValueError, OverflowError, TypeError):
            return None

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
            day = stamp.astimezone(self.settings.tz).date() if stamp.tzinfo else stamp.date()
            topic, number = int(a["topic_id"]), int(a.get("post_number") or 1)
        except (KeyError, TypeError, ValueError, OverflowError):
            return None
        slug = str(a.get("slug") or "topic")
        title = str(a.get("title") or "")
        reply = a.get("action_type") == 5
        post = a.get("post_id")
        return FeedItem(f"post:{post}" if post else f"topic:{topic}/{number}",
                        f"Forum reply: {title}" if reply else title,
                        day,
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
        try:
            current = requests.Request("GET", url, params=params).prepare().url or ""
        except (requests.RequestException, ValueError):
            raise _Refused(f"is not an address that can be read ({url[:200]})") from None
        if _hidden_authority(url):
            raise _Refused("holds a backslash or a user name before its host, which clients read in different "
                           "ways: it was not requested")
        for _ in range(s.max_redirects + 1):
            self._check(current)
            self._pace(current)
            self.requests += 1
            try:
                # the name as the URL has it (the connection goes to the address checked: see _PinnedAdapter)
                sent = {**headers, "Host": parse_url(current).netloc or ""}
                r = self.session.get(current, headers=sent, stream=True,
                                     allow_redirects=False, timeout=(s.timeout_seconds, s.timeout_seconds))
            except requests.Timeout:
                raise _Refused(f"did not answer within {s.timeout_seconds:g} seconds") from None
            except requests.RequestException as exc:
                raise _Refused(f"could not be reached ({type(exc).__name__})") from None
            with r:
                if r.is_redirect:
                    location = r.headers.get("Location", "")
                    try:
                        target = urljoin(current, location)
                    except ValueError:
                        target = location
                    if _hidden_authority(location):
                        raise _Refused(f"redirects to {location[:200]!r}, an address with a backslash or a user "
                                       f"name before its host (it was not requested)")
                    if not same_place(url, target):
                        raise _Refused(f"redirects to {target[:200]}, an address nobody declared (it was not "
                                       f"requested): declare that address instead if it is the feed's new home")
                    current = requests.Request("GET", target).prepare().url or ""
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

    def _check(self, url: str) -> None:
        """Refuse `url` unless it is http(s) on a public address (`allow_private_addresses` aside); pin the
        connection to the address checked."""
        try:
            scheme, host, port = _origin(url)
        except ValueError:
            raise _Refused(f"is not an address that can be read ({url[:200]})") from None
        if scheme not in DEFAULT_PORTS or not host:
            raise _Refused(f"is not an http(s) address ({url[:200]})")
        try:
            addresses = [str(ipaddress.ip_address(host))]  # an address written as one is not looked up
        except ValueError:
            addresses = []
        try:
            addresses = addresses or self.resolve(host, port)
        except (OSError, UnicodeError):
            raise _Refused(f"could not be reached (the name {host[:200]} does not resolve)") from None
        if not self.settings.allow_private_addresses:
            for address in addresses:
                if not _public(address):
                    raise _Refused(f"is at {address}, which is not a public address (loopback, private, "
                                   f"link-local, reserved): it was not requested")
        if addresses:
            self._adapter.pins[(host, port)] = addresses[0]

    def _body(self, r: requests.Response) -> bytes:
        """The body, read a piece at a time as it arrives (never waiting for a fixed amount), the size cap and
        the whole answer's deadline checked after each piece: a host that drips a byte now and then is cut off
        at the deadline, not held for as long as each byte comes within the read timeout."""
        s = self.settings
        deadline = self.clock() + 3 * s.timeout_seconds
        body = bytearray()
        try:
            while True:
                chunk = r.raw.read1(16 * 1024, decode_content=True)
                if not chunk:
                    break
                body += chunk
                self.bytes_read += len(chunk)
                if len(body) > s.max_bytes:
                    raise _Refused(f"is more than the {s.max_bytes:,} bytes a feed may be; reading stopped there")
                if self.clock() > deadline:
                    raise _Refused(f"sent its answer too slowly (not done within {3 * s.timeout_seconds:g} "
                                   f"seconds)")
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if isinstance(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError, socket.timeout)):
                raise _Refused(f"did not answer within {s.timeout_seconds:g} seconds part-way") from None
            raise _Refused(f"stopped answering part-way ({type(exc).__name__})") from None
        return bytes(body)
