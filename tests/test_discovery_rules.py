"""The rules of found activities (`domain.discovery`) and the roster's Feeds cell: what a source's items become,
what counts as reported, the pre-filled link, the order hosts are read in; hostile text from a feed never becomes
anything but one plain line."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

from automations.domain.checkins import RosterLayout, parse_roster
from automations.domain.discovery import (
    FEED,
    FORUM,
    FeedItem,
    FoundActivity,
    Prefill,
    Source,
    interleaved,
    is_reported,
    link_identity,
    new_found,
    prefill_link,
    safe_link,
    sameness,
    tallies,
    title_identity,
    unreported,
)
from automations.domain.quarters import Quarter
from tests.factories import activity

AS_OF = date(2026, 10, 12)
BLOG = Source("ana@example.org", FEED, "https://ana.example/rss.xml", 2)


def found(title="Segments in Mautic 5", day=date(2026, 8, 18), link="https://ana.example/segments", email="ana@example.org"):
    return FoundActivity(email, "feed:https://ana.example/rss.xml", link or title, "content", title, day, link, AS_OF)


class TestNewFound:
    def test_items_of_the_quarter_being_reported_and_since_only(self):
        items = [FeedItem("1", "In Q3", date(2026, 7, 1), "https://a.example/1"),
                 FeedItem("2", "In Q2", date(2026, 6, 30), "https://a.example/2"),
                 FeedItem("3", "Tomorrow", date(2026, 10, 13), "https://a.example/3"),
                 FeedItem("4", "No date", None, "https://a.example/4")]
        assert [f.title for f in new_found(BLOG, items, (), AS_OF)] == ["In Q3"]

    def test_an_item_stored_already_or_twice_in_the_feed_is_new_once(self):
        item = FeedItem("1", "Post", date(2026, 8, 1), "https://a.example/1")
        first = new_found(BLOG, [item, item], (), AS_OF)
        assert len(first) == 1
        assert new_found(BLOG, [item], {first[0].key}, AS_OF) == []

    def test_the_source_suggests_the_kind(self):
        item = FeedItem("post:9", "Answer", date(2026, 8, 1), "https://forum.example/t/x/1/2")
        forum = Source("ana@example.org", FORUM, "ana", 2)
        assert new_found(forum, [item], (), AS_OF)[0].kind == "community_support"
        assert new_found(BLOG, [item], (), AS_OF)[0].kind == "content"

    def test_hostile_text_becomes_one_plain_line(self):
        """Bidi controls and line breaks out, a huge title cut, a javascript: link dropped; template syntax stays
        text (the mail's autoescaping shows it as written)."""
        title = "\u202eevil\u202c\r\nSubject: x {{ config }} " + "A" * 5000
        got = new_found(BLOG, [FeedItem("1", title, date(2026, 8, 1), "javascript:alert(1)")], (), AS_OF)[0]
        assert "\u202e" not in got.title and "\n" not in got.title and "\r" not in got.title
        assert len(got.title) == 300 and "{{ config }}" in got.title
        assert got.link == ""


class TestTypedAndHostileLinks:
    """A link no parser can read (a broken IPv6 literal, a stray bracket, a port of letters) is no link: it
    never raises, so one feed's item or one ambassador's typo never stops discover or reminders for everyone."""

    def test_a_feed_link_that_is_no_url_is_left_out(self):
        for bad in ("http://[oops/x", "http://example.org:abc/x", "http://example.org:99999/x"):
            assert safe_link(bad) == ""
        got = new_found(BLOG, [FeedItem("1", "Broken link", date(2026, 8, 1), "http://[oops/x")], (), AS_OF)
        assert [(f.title, f.link) for f in got] == [("Broken link", "")]

    def test_a_typed_link_that_is_no_url_is_compared_by_title_and_date(self):
        """Ana typed "https://example.com]/typo": her other found item is still listed, the typed one matched
        by its title and date."""
        assert link_identity("https://example.com]/typo") == "" and link_identity("http://[oops/x") == ""
        typed = activity(date(2026, 8, 18), email="ana@example.org", kind="content", title="Segments in Mautic 5",
                         link="https://example.com]/typo")
        items = [found(), found("Another", link="https://ana.example/another")]
        assert [f.title for f in unreported(items, [typed], "ana@example.org", Quarter(2026, 3))] == ["Another"]


class TestOneItemOnce:
    """A feed declared under two spellings, or a post two feeds give, is one item per ambassador: stored once,
    listed once, counted once."""

    def test_a_feed_under_two_spellings_is_found_once(self):
        items = [FeedItem("https://b.example/p1", "Post one", date(2026, 9, 10), "https://b.example/p1")]
        first = new_found(Source("a@x.org", FEED, "http://b.example/feed", 2), items, (), AS_OF)
        known = {f.key for f in first} | {sameness(f) for f in first}
        again = new_found(Source("a@x.org", FEED, "https://b.example/feed/", 2), items, known, AS_OF)
        assert len(first) == 1 and again == []
        other = new_found(Source("bo@x.org", FEED, "https://b.example/feed/", 3), items, known, AS_OF)
        assert len(other) == 1  # another ambassador's feed: their own item

    def test_what_is_stored_twice_is_listed_and_counted_once(self):
        """Items stored before this rule (two sources, one link in two spellings) are listed and tallied once."""
        a = FoundActivity("ana@example.org", "feed:http://b.example/feed", "p1", "content", "Post one",
                          date(2026, 9, 10), "http://www.b.example/p1/", AS_OF)
        b = FoundActivity("ana@example.org", "feed:https://b.example/feed/", "p1", "content", "Post one",
                          date(2026, 9, 10), "https://b.example/p1?utm_source=rss", AS_OF)
        assert [f.title for f in unreported([a, b], [], "ana@example.org", Quarter(2026, 3))] == ["Post one"]
        [tally] = tallies([a, b], [], {}, Quarter(2026, 3))
        assert (tally.found, tally.reported) == (1, 0)


class TestReported:
    def test_the_same_link_in_another_spelling(self):
        assert link_identity("https://www.Ana.example/segments/?utm_source=rss&utm_medium=feed#top") == \
            link_identity("http://ana.example/segments")
        assert link_identity("https://ana.example/p?id=1") != link_identity("https://ana.example/p?id=2")

    def test_the_same_title_and_date_when_the_links_differ(self):
        assert title_identity("Mautic 5: what's NEW!") == title_identity("mautic 5 - whats new")
        a = activity(date(2026, 8, 18), email="ana@example.org", title="SEGMENTS in Mautic 5!",
                     link="https://medium.com/@ana/other")
        assert is_reported(found(), [a])
        assert not is_reported(found(day=date(2026, 8, 19)), [a])

    def test_unreported_is_the_quarters_and_the_persons(self):
        reported = activity(date(2026, 8, 18), email="ana@example.org", title="x", link="https://ana.example/segments")
        items = [found(), found("Another", date(2026, 9, 1), "https://ana.example/another"),
                 found("Old", date(2026, 5, 1), "https://ana.example/old"),
                 found("Someone else's", date(2026, 9, 2), "https://bo.example/x", email="bo@example.org")]
        assert [f.title for f in unreported(items, [reported], "ana@example.org", Quarter(2026, 3))] == ["Another"]


class TestPrefill:
    def test_the_link_decodes_to_one_section(self):
        p = Prefill("https://docs.google.com/forms/d/e/X/viewform",
                    {"email": "entry.1", "kind": "entry.2{n}1", "title": "entry.2{n}2", "date": "entry.2{n}3",
                     "link": "entry.2{n}4"}, {"content": "Content creation (social post, blog, video, podcast)"})
        link = prefill_link(p, "ana+x@example.org", found("A & B = C?"))
        query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
        assert query == {"usp": "pp_url", "entry.1": "ana+x@example.org",
                         "entry.211": "Content creation (social post, blog, video, podcast)", "entry.212": "A & B = C?",
                         "entry.213": "2026-08-18", "entry.214": "https://ana.example/segments"}

    def test_no_entries_no_link(self):
        assert prefill_link(Prefill("https://forms.example/f", {}, {}), "a@x.org", found()) == ""


def test_hosts_are_taken_in_turn():
    sources = [Source(f"a{i}@x.org", FEED, f"https://{h}.example/{i}", i) for i, h in enumerate("aaab")]
    order = interleaved(sources, lambda s: urlsplit(s.address).hostname or "")
    assert [urlsplit(s.address).hostname for s in order] == ["a.example", "b.example", "a.example", "a.example"]


class TestTheFeedsCell:
    LAYOUT = RosterLayout("ambassadors.csv", {"name": "Name", "email": "Email", "start_date": "Start date",
                                              "status": "Status", "feeds": "Feeds"})
    HEADERS = ("Name", "Email", "Start date", "Status", "Feeds")

    def test_several_addresses_any_separator(self):
        rows = [["Ana", "ana@example.org", "2024-01-01", "active",
                 "https://ana.example/rss.xml, https://medium.com/feed/@ana\nhttps://ana.example/rss.xml"]]
        people, problems = parse_roster(self.HEADERS, rows, self.LAYOUT)
        assert people[0].feeds == ("https://ana.example/rss.xml", "https://medium.com/feed/@ana") and not problems

    def test_anything_else_is_a_problem_naming_row_column_value(self):
        cell = "ftp://ana.example/feed https://ok.example/rss \u202ehttps://x.example/feed javascript:alert(1)"
        people, problems = parse_roster(self.HEADERS, [["Ana", "ana@example.org", "2024-01-01", "active", cell]],
                                        self.LAYOUT)
        assert people[0].feeds == ("https://ok.example/rss",)
        assert [(p.row, p.column, p.value, p.email) for p in problems] == [(2, "Feeds", cell, "ana@example.org")] * 3
        assert "'ftp://ana.example/feed'" in problems[0].reason and "other feeds are read" in problems[0].reason

    def test_a_port_that_is_no_port_is_a_problem(self):
        """Letters, past 65535, 0, or a backslash: the row's problem, never an address the reader chokes on."""
        cell = ("http://example.org:abc/feed https://ok.example/rss http://example.org:70000/feed "
                "http://example.org:0/feed http://evil.example\\.ok.example/feed https://ok.example:8443/rss")
        people, problems = parse_roster(self.HEADERS, [["Ana", "ana@example.org", "2024-01-01", "active", cell]],
                                        self.LAYOUT)
        assert people[0].feeds == ("https://ok.example/rss", "https://ok.example:8443/rss")
        assert len(problems) == 4 and "'http://example.org:abc/feed'" in problems[0].reason

    def test_feeds_stay_out_of_repr(self):
        """The work cache keys reused records by repr: a feed added changes no verdict."""
        rows = [["Ana", "ana@example.org", "2024-01-01", "active", "https://ana.example/rss.xml"]]
        people, _ = parse_roster(self.HEADERS, rows, self.LAYOUT)
        assert "ana.example" not in repr(people[0])
