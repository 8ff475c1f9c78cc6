"""The SourceReader contract, on `HttpSourceReader` (the real `requests` and feedparser) against feed hosts and the
forum faked on 127.0.0.1: the entries of RSS 2.0, Atom, a YouTube channel's feed, WordPress's and Medium's
feeds; forum topics and replies a page at a time; a conditional request answered 304 reads nothing; a 404, a
host that never answers, a 10 MB body and bytes that are no feed are each an answer with one sentence, never
an exception; nothing is ever asked of an address nobody declared, redirects included."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automations.adapters.feeds.http_reader import HttpSourceReader, ReaderSettings
from automations.domain.discovery import Memo
from tests.fake_airtable import ManualClock
from tests.fake_discourse import FakeDiscourse
from tests.fake_feeds import FakeFeeds

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

    def test_a_host_that_never_answers_is_an_answer(self, reader):
        """The host takes the connection and says nothing until the test ends: the client's timeout decides."""
        r, feeds, _ = reader
        got = r.read_feed(feeds.hang("/slow.xml"), None)
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
                                                forum.url, timeout_seconds=0.5, max_bytes=2_000_000,
                                                requests_per_second=2),
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
