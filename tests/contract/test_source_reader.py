"""The SourceReader contract, on `HttpSourceReader` (the real `requests` and feedparser) against feed hosts and the
forum faked on 127.0.0.1: the entries of RSS 2.0, Atom, a YouTube channel's feed, WordPress's and Medium's
feeds; forum topics and replies a page at a time; a conditional request answered 304 reads nothing; a 404, a
host that never answers, a 10 MB body and bytes that are no feed are each an answer with one sentence, never
an exception; nothing is ever asked of an address nobody declared, redirects included."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automations.adapters.feeds.http_reader import HttpSourceReader, ReaderSettings
from automations.domain.discovery import Memo
from tests.fake_airtable import ManualClock
from tests.fake_discourse import FakeDiscourse
from tests.fake_feeds import DRIP_LIMIT, FakeFeeds

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
ETAG = '"5f2-1a2b3c"'
MODIFIED = "Fri, 02 Oct 2026 09:00:00 GMT"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class SourceReaderContract:
    """`reader` is (the reader, the feed host, the forum) with the fixtures served."""

    @pytest.fixture
    def reader(self):
        raise NotImplementedError

    @pytest.mark.parametrize(("name", "expected"), [
        ("rss2.xml", [("https://ana.example/blog/segmentos-dinamicos", "Segmentos dinâmicos no Mautic 5",
                       date(2026, 8, 18), "https://ana.example/blog/segmentos-dinamicos"),
                      ("ana-blog-2026-09-07", "Mautic & WordPress: a quick integration", date(2026, 9, 7),
                       "https://ana.example/blog/mautic-wordpress?utm_source=rss&utm_medium=feed"),
                      ("https://ana.example/blog/old-post", "An old post from last year", date(2025, 3, 5),
                       "https://ana.example/blog/old-post")]),
        ("atom.xml", [("tag:oleg.example,2026:translation-status", "Translating Mautic into Ukrainian: where we are",
                       date(2026, 7, 21), "https://oleg.example/2026/translation-status"),
                      ("tag:oleg.example,2026:campaign-tips", "Campaign builder tips", date(2026, 9, 12),
                       "https://oleg.example/2026/campaign-tips")]),
        ("youtube.xml", [("yt:video:Xq1a2B3c4D5", "Mautic meetup Pune: email deliverability", date(2026, 8, 29),
                          "https://www.youtube.com/watch?v=Xq1a2B3c4D5")]),
        ("wordpress.xml", [("https://mautic-chile.example/?p=412", "Taller: automatización de marketing con Mautic",
                            date(2026, 9, 24), "https://mautic-chile.example/2026/09/taller-automatizacion/")]),
        ("medium.xml", [("https://medium.com/p/9f8e7d6c5b4a", "Lead scoring in Mautic, step by step",
                         date(2026, 8, 12), "https://medium.com/@kwame/lead-scoring-in-mautic-step-by-step-"
                                            "9f8e7d6c5b4a?source=rss-1a2b3c4d5e6f------2")]),
    ])
    def test_each_shape_of_feed_gives_its_entries(self, reader, name, expected):
        """Ids, titles (an Atom html title as text), days in the program's time zone, links, in the feed's order."""
        r, feeds, _ = reader
        got = r.read_feed(feeds.add(f"/{name}", fixture(name)), None)
        assert not got.error and not got.unchanged
        assert [(i.item_id, i.title, i.day, i.link) for i in got.items] == expected

    def test_a_conditional_request_gets_304_and_reads_nothing(self, reader):
        """The memo of the first answer goes back as If-None-Match and If-Modified-Since; the 304 has no items."""
        r, feeds, _ = reader
        url = feeds.add("/rss.xml", fixture("rss2.xml"), etag=ETAG, modified=MODIFIED)
        first = r.read_feed(url, None)
        assert first.memo == Memo(ETAG, MODIFIED) and len(first.items) == 3
        again = r.read_feed(url, first.memo)
        assert again.unchanged and again.items == () and not again.error
        sent = feeds.requests[-1].headers
        assert (sent.get("If-None-Match"), sent.get("If-Modified-Since")) == (ETAG, MODIFIED)
        assert "automations" in sent.get("User-Agent", "")

    def test_a_404_is_an_answer(self, reader):
        r, feeds, _ = reader
        got = r.read_feed(f"{feeds.url}/gone.xml", None)
        assert got.items == () and "404" in got.error

    def test_a_host_that_never_answers_is_an_answer(self, reader, impatient):
        """The host takes the connection and says nothing until the test ends: the client's timeout decides (the
        `impatient` reader's, short; every other test's reader has one no busy machine meets)."""
        _, feeds, _ = reader
        got = impatient.read_feed(feeds.hang("/slow.xml"), None)
        assert feeds.hung.is_set() and "did not answer" in got.error

    def test_a_10_mb_body_is_refused_without_reading_it(self, reader):
        """Its Content-Length says 10 MB: refused before a byte of the body is read."""
        r, feeds, _ = reader
        got = r.read_feed(feeds.huge("/huge.xml", 10 * 1024 * 1024), None)
        assert "10,485,760 bytes" in got.error and r.bytes_read == 0

    def test_a_10_mb_body_without_a_length_stops_being_read_at_the_cap(self, reader):
        r, feeds, _ = reader
        got = r.read_feed(feeds.huge("/endless.xml", 10 * 1024 * 1024, length=False), None)
        assert "more than the" in got.error
        assert r.bytes_read <= r.settings.max_bytes + 64 * 1024

    def test_bytes_that_are_no_feed_are_an_answer(self, reader):
        r, feeds, _ = reader
        got = r.read_feed(feeds.add("/broken.xml", b"this is not xml at all <<<"), None)
        assert got.items == () and "not an RSS or Atom feed" in got.error

    def test_a_redirect_elsewhere_is_never_followed(self, reader):
        """Another host (another port of 127.0.0.1 counts as one) is named, never requested."""
        r, feeds, _ = reader
        with FakeFeeds() as elsewhere:
            target = elsewhere.add("/feed.xml", fixture("rss2.xml"))
            got = r.read_feed(feeds.redirect("/moved.xml", target), None)
            assert "nobody declared" in got.error and target in got.error
            assert elsewhere.requests == []
        assert feeds.paths() == ["/moved.xml"]

    def test_a_redirect_on_the_same_host_is_followed(self, reader):
        r, feeds, _ = reader
        feeds.add("/feed/", fixture("wordpress.xml"))
        got = r.read_feed(feeds.redirect("/feed", "/feed/"), None)
        assert not got.error and len(got.items) == 1
        assert feeds.paths() == ["/feed", "/feed/"]

    def test_only_http_addresses_are_read(self, reader):
        r, feeds, _ = reader
        got = r.read_feed(feeds.redirect("/file", "file:///etc/passwd"), None)
        assert got.error and got.items == ()

    @pytest.mark.parametrize("shape", ["{other}\\@{same}/x", "http://someone@{same_host}/x"])
    def test_a_redirect_with_a_backslash_or_a_user_name_is_refused(self, reader, shape):
        """`http://evil\\@good/` is good to one parser and evil to the one that connects: refused outright, and
        the other host hears nothing."""
        r, feeds, _ = reader
        with FakeFeeds() as elsewhere:
            elsewhere.add("/x", fixture("rss2.xml"))
            same_host = feeds.url.removeprefix("http://")
            location = shape.format(other=elsewhere.url, same=same_host, same_host=same_host)
            got = r.read_feed(feeds.redirect("/moved.xml", location), None)
            assert "backslash or a user name" in got.error and got.items == ()
            assert elsewhere.requests == []
        assert feeds.paths() == ["/moved.xml"]

    def test_a_port_that_is_no_port_is_an_answer(self, reader):
        """Declared with letters for a port: nothing requested; redirected to one: refused, never an exception."""
        r, feeds, _ = reader
        declared = r.read_feed("http://127.0.0.1:abc/feed", None)
        assert "not an address that can be read" in declared.error and declared.requests == 0
        moved = r.read_feed(feeds.redirect("/moved.xml", "http://127.0.0.1:abc/"), None)
        assert "nobody declared" in moved.error and feeds.paths() == ["/moved.xml"]

    def test_a_forum_post_dated_beyond_the_calendar_is_left_out(self, reader):
        """A `created_at` that no calendar holds in the program's zone (year 1 east of UTC, 9999 west of it)
        leaves that post out; the others are read."""
        r, _, forum = reader
        forum.add_post("ana", 700, "Too early", "0001-01-01T00:00:00+05:00")
        forum.add_post("ana", 701, "Too late", "9999-12-31T23:59:59-05:00")
        forum.add_post("ana", 702, "Fine", "2026-09-01T10:00:00.000Z")
        got = r.read_forum("ana", date(2026, 7, 1))
        assert not got.error and [i.title for i in got.items] == ["Fine"]

    def test_forum_topics_and_replies_a_page_at_a_time(self, reader):
        """45 posts: two pages (offset 0, 30), newest first; a topic links to the topic, a reply to its post."""
        r, _, forum = reader
        for n in range(45):
            forum.add_post("ana", 500 + n, f"Question {n}", f"2026-09-{1 + n % 28:02d}T10:{n:02d}:00.000Z",
                           post_number=1 if n % 3 == 0 else 4)
        got = r.read_forum("ana", date(2026, 7, 1))
        assert not got.error and len(got.items) == 45 and got.requests == 2
        topic = next(i for i in got.items if i.title == "Question 0")
        reply = next(i for i in got.items if i.title == "Forum reply: Question 1")
        assert topic.link == f"{forum.url}/t/question-0/500" and topic.day == date(2026, 9, 1)
        assert reply.link == f"{forum.url}/t/question-1/501/4"
        assert [p for _, p, _ in forum.log] == ["/user_actions.json"] * 2
        assert all("Api-Key" not in u for u in forum.urls)

    def test_an_unknown_forum_user_is_an_answer(self, reader):
        r, _, _ = reader
        got = r.read_forum("nobody_here", date(2026, 7, 1))
        assert got.items == () and "404" in got.error


class TestHttpSourceReader(SourceReaderContract):
    @pytest.fixture
    def reader(self):
        clock = ManualClock(start=100.0)
        with FakeFeeds() as feeds, FakeDiscourse() as forum:
            forum.add_user("ana")
            r = HttpSourceReader(ReaderSettings("Ambassador Program automations (test)", ZoneInfo("Europe/London"),
                                                forum.url, timeout_seconds=10, max_bytes=2_000_000,
                                                requests_per_second=2, allow_private_addresses=True),
                                 clock=clock.now, sleep=clock.advance)
            yield r, feeds, forum

    def test_requests_to_one_host_are_paced(self, reader):
        """At most requests_per_second to a host: the third request of a second waits (on the manual clock)."""
        r, feeds, _ = reader
        url = feeds.add("/a.xml", fixture("atom.xml"))
        start = r.clock()
        for _ in range(3):
            r.read_feed(url, None)
        assert r.clock() - start == pytest.approx(1.0)

    @pytest.fixture
    def impatient(self):
        return self.reader_for(timeout=0.5)

    def reader_for(self, tz: str = "Europe/London", allow_private: bool = True, timeout: float = 10,
                   **kw) -> HttpSourceReader:
        return HttpSourceReader(ReaderSettings("Ambassador Program automations (test)", ZoneInfo(tz),
                                               timeout_seconds=timeout, allow_private_addresses=allow_private), **kw)

    @pytest.mark.parametrize(("tz", "stamp"), [("America/New_York", "0001-01-01T00:00:00Z"),
                                               ("Asia/Kolkata", "9999-12-31T23:59:59Z"),
                                               ("Europe/London", "0000-01-01T00:00:00Z")])
    def test_an_entry_dated_beyond_the_calendar_is_left_out(self, reader, tz, stamp):
        """Year 0, or the first or last day moved across the date line into the program's zone: that entry has
        no day (and is never found); the feed's other entry is read."""
        _, feeds, _ = reader
        entry = '<entry><id>{0}</id><title>{0}</title><link href="https://a.example/{0}"/><published>{1}</published></entry>'
        body = (f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>'
                f'{entry.format("odd", stamp)}{entry.format("fine", "2026-09-01T10:00:00Z")}</feed>')
        got = self.reader_for(tz).read_feed(feeds.add("/odd.xml", body), None)
        assert not got.error and [(i.title, i.day) for i in got.items] == [("odd", None), ("fine", date(2026, 9, 1))]

    def test_an_address_that_is_not_public_is_never_requested(self, reader):
        """Off by default: loopback, private, link-local (a cloud's metadata service) and a name with any such
        address are refused naming the address, before any request."""
        _, feeds, _ = reader
        url = feeds.add("/a.xml", fixture("atom.xml"))
        port = url.split(":")[2].split("/")[0]
        names = {"intranet.example": ["10.0.0.7"], "metadata.example": ["169.254.169.254"],
                 "mixed.example": ["93.184.216.34", "192.168.1.1"]}
        r = self.reader_for(allow_private=False, resolve=lambda host, _port: names[host])
        got = r.read_feed(url, None)
        assert "is at 127.0.0.1, which is not a public address" in got.error and got.requests == 0
        for name, addresses in names.items():
            assert f"is at {addresses[-1]}," in r.read_feed(f"http://{name}:{port}/a.xml", None).error
        assert feeds.requests == [] and r.requests == 0

    def test_the_connection_goes_to_the_address_checked(self, reader):
        """The name is looked up once, checked, and the request sent to that address with the name as its Host
        (no second lookup a rebinding name could answer differently)."""
        _, feeds, _ = reader
        url = feeds.add("/a.xml", fixture("atom.xml"))
        port = url.split(":")[2].split("/")[0]
        r = self.reader_for(resolve=lambda host, _port: ["127.0.0.1"] if host == "feeds.invalid" else [])
        got = r.read_feed(f"http://feeds.invalid:{port}/a.xml", None)
        assert not got.error and len(got.items) == 2
        assert feeds.requests[-1].headers["Host"] == f"feeds.invalid:{port}"

    def test_a_host_that_drips_its_answer_is_cut_off_at_the_deadline(self, reader):
        """A byte now and then, each well within the read timeout: the whole answer's deadline (three timeouts,
        on the reader's real clock) ends it as one answer, long before the host would have finished."""
        _, feeds, _ = reader
        r = self.reader_for(clock=time.monotonic, timeout=3)  # a deadline of 9 s against a drip of a minute
        got = r.read_feed(feeds.drip("/drip.xml"), None)
        assert "sent its answer too slowly" in got.error and got.items == ()
        assert feeds.sent["/drip.xml"] < DRIP_LIMIT
