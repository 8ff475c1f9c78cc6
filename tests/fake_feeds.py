"""A stateful fake of the web hosts that serve ambassadors' feeds, over real HTTP on 127.0.0.1.

Each feed is a path with its bytes, its Content-Type and (like a real blog host, WordPress or YouTube) an `ETag`
and a `Last-Modified`; a conditional request naming either as they stand is answered 304 with no body, as
RFC 9110 has it. Besides feeds it serves what goes wrong out there: a 404 (any path it does not know), a
redirect (`redirect(path, location)`), a host that accepts the connection and never answers (`hang(path)`: held
until the server stops, so a client's timeout decides, never a sleep), a huge body (`huge(path, size,
length=...)`: streamed 64 KiB at a time, with or without a Content-Length; `sent[path]` counts the bytes it
handed over), a host that drips its answer (`drip(path)`: a byte, then another a moment later, until the
server stops or `DRIP_LIMIT` bytes, each within any read timeout, so only a deadline for the whole answer ends
it), and bytes that are no feed. `requests` records every request it received (method, path with its
query, headers), so a test can show that nothing was asked of an address nobody declared.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.wrappers import Request, Response

from tests.faults import SilenceableHandler
from tests.loopback import LoopbackServer

CHUNK = 64 * 1024
DRIP_LIMIT = 600  # bytes a dripping host sends at most (a minute of them): a client without a deadline gets them all
DRIP_GAP = 0.1  # seconds between two of them (waiting on the stop event, so stopping the server ends the drip)


@dataclass
class Served:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str = ""
    modified: str = ""


@dataclass
class Seen:
    method: str
    path: str  # with its query string
    headers: dict[str, str] = field(default_factory=dict)


class _Quiet(SilenceableHandler):
    """Keeps test output quiet."""


class FakeFeeds(LoopbackServer):
    server_name = "fake-feeds"
    request_handler = _Quiet

    def __init__(self):
        self.feeds: dict[str, Served] = {}
        self.redirects: dict[str, str] = {}
        self.hanging: set[str] = set()
        self.huge_bodies: dict[str, tuple[int, bool]] = {}
        self.dripping: set[str] = set()
        self.sent: dict[str, int] = {}
        self.requests: list[Seen] = []
        self.hung = threading.Event()  # set when a hanging request has arrived
        self._release = threading.Event()
        self._lock = threading.Lock()

    # -- seeding (tests only) ------------------------------------------------------------------------------------

    def add(self, path: str, body: bytes | str, content_type: str = "application/rss+xml; charset=utf-8",
            etag: str = "", modified: str = "") -> str:
        """Serve `body` at `path`; the feed's full address is returned."""
        self.feeds[path] = Served(body.encode("utf-8") if isinstance(body, str) else body, content_type, etag,
                                  modified)
        return f"{self.url}{path}"

    def redirect(self, path: str, location: str, status: int = 301) -> str:
        self.redirects[path] = f"{status} {location}"
        return f"{self.url}{path}"

    def hang(self, path: str) -> str:
        self.hanging.add(path)
        return f"{self.url}{path}"

    def drip(self, path: str) -> str:
        self.dripping.add(path)
        return f"{self.url}{path}"

    def huge(self, path: str, size: int, length: bool = True) -> str:
        self.huge_bodies[path] = (size, length)
        return f"{self.url}{path}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def stop(self) -> None:
        self._release.set()  # a hanging request ends (its client has given up long before)
        super().stop()

    # -- HTTP -----------------------------------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        path = request.path
        with self._lock:
            self.requests.append(Seen(request.method, request.full_path.rstrip("?"), dict(request.headers)))
        if path in self.hanging:
            self.hung.set()
            self._release.wait()
            return Response("", status=200)(environ, start_response)
        if path in self.redirects:
            status, location = self.redirects[path].split(" ", 1)
            # the Location exactly as given (werkzeug's Response would rewrite it, or fail on a hostile one)
            start_response(f"{status} Moved", [("Location", location), ("Content-Length", "0")])
            return [b""]
        if path in self.dripping:
            return Response(self._drip(path), status=200, content_type="application/rss+xml",
                            direct_passthrough=True)(environ, start_response)
        if path in self.huge_bodies:
            size, with_length = self.huge_bodies[path]
            headers = {"Content-Length": str(size)} if with_length else {}
            return Response(self._stream(path, size), status=200, headers=headers,
                            content_type="application/rss+xml", direct_passthrough=True)(environ, start_response)
        served = self.feeds.get(path)
        if served is None:
            return Response("<html><body><h1>Not Found</h1></body></html>", status=404,
                            content_type="text/html")(environ, start_response)
        headers = {k: v for k, v in (("ETag", served.etag), ("Last-Modified", served.modified)) if v}
        inm, ims = request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")
        if (served.etag and inm == served.etag) or (served.modified and not inm and ims == served.modified):
            return Response(status=304, headers=headers)(environ, start_response)
        return Response(served.body, status=200, headers=headers, content_type=served.content_type)(environ,
                                                                                                   start_response)

    def _stream(self, path: str, size: int):
        left = size
        self.sent[path] = 0
        while left > 0:
            n = min(CHUNK, left)
            left -= n
            self.sent[path] += n
            yield b"<!--" + b"x" * (n - 7) + b"-->"

    def _drip(self, path: str):
        self.sent[path] = 0
        while self.sent[path] < DRIP_LIMIT:
            self.sent[path] += 1
            yield b"<"
            if self._release.wait(DRIP_GAP):
                return


def declare_feeds(roster: Path, feeds: dict[str, str]) -> None:
    """Give ambassadors a Feeds cell in the roster CSV at `roster` (a column added at its end, as staff would):
    `feeds` maps an address (the second column, as the example roster has it) to the cell's text."""
    with roster.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0].append("Feeds")
    for r in rows[1:]:
        r.append(feeds.get(r[1].strip().lower(), ""))
    with roster.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
