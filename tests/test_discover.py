"""The `discover` job end to end, on the example program: activities found in the feeds and forum posts ambassadors
declared are stored once, listed in the check-in invitation with links that open the form pre-filled with one
activity section, left out of the receipt once reported; a source that cannot be read is one data problem of its
ambassador; nothing is requested of an address nobody declared; export and erase cover what was found. On the
local CSV folder and on the Airtable base (the fake on 127.0.0.1), with real HTTP to feed hosts and a forum faked
on 127.0.0.1."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from automations.domain.discovery import FoundActivity
from tests.conftest import outbox_messages, run_in_process
from tests.fake_discourse import FakeDiscourse
from tests.fake_feeds import FakeFeeds, declare_feeds

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"
ARJUN = "arjun.nair@example.com"
PRIYA = "priya.deshmukh@example.org"
ENTRIES = {"email": "entry.1000001", "kind": "entry.200{n}1", "title": "entry.200{n}2", "date": "entry.200{n}3",
           "link": "entry.200{n}4"}
CONTENT = "Content creation (social post, blog, video, podcast)"


def arjun_feed() -> str:
    """Arjun's blog: one post he reported with its link (2026-10-09), one he reported under its title and date
    with another link, one he has not reported, and one of a year ago."""
    items = [("Connected with university staff in Kochi", "Thu, 17 Sep 2026 10:00:00 GMT",
              "https://example.com/networking/connected-with-university-staff-in-kochi/?utm_source=rss"),
             ("Met the Kochi WordPress meetup organisers!", "Fri, 18 Sep 2026 09:00:00 GMT",
              "https://arjun.example/blog/wordpress-meetup"),
             ("Kochi Mautic day: the recap", "Sun, 20 Sep 2026 08:00:00 GMT", "https://arjun.example/blog/recap"),
             ("Old news", "Mon, 01 Sep 2025 08:00:00 GMT", "https://arjun.example/blog/old")]
    body = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid><pubDate>{d}</pubDate></item>"
                   for t, d, link in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Arjun</title>{body}</channel></rss>'


def set_feeds(program: Path, feeds: dict[str, str]) -> None:
    """Give ambassadors a Feeds cell in the program's roster."""
    declare_feeds(program.parent / "data" / "ambassadors.csv", feeds)


def configure(program: Path, forum_url: str, timeout: float = 10) -> None:
    """The fakes' addresses, and a timeout a busy machine never meets in a passing read (a test of a host that
    never answers gives a short one: there the timeout is what decides)."""
    data = yaml.safe_load(program.read_text(encoding="utf-8"))
    data["checkin_form"]["prefill_entries"] = ENTRIES
    data["forum"] = {"url": forum_url}
    data["discover"] = {"timeout_seconds": timeout, "requests_per_second_per_host": 10,
                        "allow_private_addresses": True}  # the fakes are on 127.0.0.1
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def hosts(program):
    """Arjun's blog and the YouTube feed of Priya on the feed host (with ETag and Last-Modified), Arjun's forum
    posts on the forum; the program configured to read them."""
    with FakeFeeds() as feeds, FakeDiscourse() as forum:
        blog = feeds.add("/arjun/rss.xml", arjun_feed(), etag='"arjun-1"', modified="Sun, 20 Sep 2026 08:00:00 GMT")
        tube = feeds.add("/feeds/videos.xml", (FIXTURES / "youtube.xml").read_bytes(), etag='"yt-7"',
                         content_type="application/atom+xml; charset=utf-8")
        with (program.parent / "data" / "ambassadors.csv").open(encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                if r["Forum handle"].strip():
                    forum.add_user(r["Forum handle"].strip())
        forum.add_post("arjun.nair", 812, "Segment filters on custom fields", "2026-08-03T07:30:00.000Z",
                       slug="segment-filters-on-custom-fields")
        set_feeds(program, {ARJUN: blog, PRIYA: f"{tube}\nnot-a-url"})
        configure(program, forum.url)
        yield feeds, forum, {"/arjun/rss.xml", "/feeds/videos.xml"}


def found_rows(program: Path) -> list[dict]:
    path = program.parent / "data" / "found_activities.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def text_of(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


class TestOnTheLocalFolder:
    def test_new_items_are_found_once(self, program, hosts):
        """Three of Arjun's posts and his forum topic, Priya's video; the old post is left out. A second run asks
        again with the validators (304s) and finds nothing new."""
        feeds, forum, declared = hosts
        run_in_process("--as-of", "2026-10-01", "sync-checkins", config=program)
        first = run_in_process("--as-of", "2026-10-01", "discover", config=program)
        rows = found_rows(program)
        assert sorted((r["Email"], r["Title"], r["Kind"]) for r in rows) == [
            (ARJUN, "Connected with university staff in Kochi", "content"),
            (ARJUN, "Kochi Mautic day: the recap", "content"),
            (ARJUN, "Met the Kochi WordPress meetup organisers!", "content"),
            (ARJUN, "Segment filters on custom fields", "community_support"),
            (PRIYA, "Mautic meetup Pune: email deliverability", "content")]
        assert "5 new found activities stored" in first.out and "0 could not be read" in first.out
        assert first.code == 0, first.err  # Priya's "not-a-url" is the roster's problem, put on record by the sync
        with (program.parent / "data" / "unusable_rows.csv").open(encoding="utf-8", newline="") as fh:
            roster = [r for r in csv.DictReader(fh) if r["Column"] == "Feeds"]
        assert [(r["Source"], r["Owner"]) for r in roster] == [("ambassadors.csv", "staff")]
        assert "'not-a-url'" in roster[0]["Problem"] and "other feeds are read" in roster[0]["Problem"]
        feeds.requests.clear()
        again = run_in_process("--as-of", "2026-10-02", "discover", config=program)
        assert again.code == 0, again.err
        assert "0 new found activities" in again.out and "2 unchanged since the last run" in again.out
        assert found_rows(program) == rows
        assert {r.headers.get("If-None-Match") for r in feeds.requests} == {'"arjun-1"', '"yt-7"'}
        assert set(feeds.paths()) <= declared
        assert {path for _, path, _ in forum.log} == {"/user_actions.json"}

    def test_what_no_mail_lists_any_more_is_deleted(self, program, hosts):
        """Once 2026Q4 has ended, the 2026Q3 items are listed nowhere: the next run deletes them."""
        run_in_process("--as-of", "2026-10-01", "sync-checkins", config=program)
        run_in_process("--as-of", "2026-10-01", "discover", config=program)
        later = run_in_process("--as-of", "2027-01-02", "discover", config=program)
        assert "5 found activities dated before 2026-10-01 were deleted" in later.out
        assert found_rows(program) == []

    def test_the_invitation_lists_them_with_prefilled_links(self, program, hosts):
        """Each link opens the form with the email and section 1 filled: the form's kind label, the title, the day
        (YYYY-MM-DD) and the link."""
        run_in_process("--as-of", "2026-10-01", "sync-checkins", config=program)
        run_in_process("--as-of", "2026-10-01", "discover", config=program)
        run_in_process("--as-of", "2026-10-01", "reminders", config=program)
        msgs = [m for m in outbox_messages(program.parent / "outbox")
                if m["X-Automation-Job"] == "checkin_invite" and ARJUN in m["To"]]
        assert len(msgs) == 1
        text = text_of(msgs[0])
        links = re.findall(r"Report it:\s+(\S+)", text)
        assert len(links) == 4
        decoded = [{k: v[0] for k, v in parse_qs(urlsplit(link).query).items()} for link in links]
        recap = next(d for d in decoded if d.get("entry.20012") == "Kochi Mautic day: the recap")
        assert recap == {"usp": "pp_url", "entry.1000001": ARJUN, "entry.20011": CONTENT,
                         "entry.20012": "Kochi Mautic day: the recap", "entry.20013": "2026-09-20",
                         "entry.20014": "https://arjun.example/blog/recap"}
        topic = next(d for d in decoded if d.get("entry.20012") == "Segment filters on custom fields")
        assert topic["entry.20011"] == "Community support (forum, onboarding)" and topic["entry.20013"] == "2026-08-03"
        html = msgs[0].get_body(preferencelist=("html",)).get_content()
        assert "Kochi Mautic day: the recap" in html and "entry.20012=Kochi%20Mautic%20day" in html

    def test_the_receipt_names_only_what_is_still_unreported(self, program, hosts):
        """Arjun's check-in of 2026-10-09 reported two of the posts (one by its link, one by its title and date):
        his receipt lists the other post and the forum topic only."""
        run_in_process("--as-of", "2026-10-01", "sync-checkins", config=program)
        run_in_process("--as-of", "2026-10-01", "discover", config=program)
        run_in_process("--as-of", "2026-10-12", "sync-checkins", config=program)
        run_in_process("--as-of", "2026-10-12", "reminders", config=program)
        receipt = next(m for m in outbox_messages(program.parent / "outbox")
                       if m["X-Automation-Job"] == "checkin_receipt" and ARJUN in m["To"])
        listed = re.findall(r"^  - (.+) \((?:Content|Community support), \d{1,2} \w+ 2026\)$", text_of(receipt), re.MULTILINE)
        assert listed == ["Segment filters on custom fields", "Kochi Mautic day: the recap"]

    def test_a_link_typed_wrong_in_a_report_stops_no_ones_mail(self, program, hosts):
        """Arjun typed his second activity's link as "https://example.com]/typo" (no parser reads it): reminders
        still go to everyone, and his receipt still matches that activity by its title and date."""
        path = program.parent / "data" / "checkin_responses.csv"
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        link = rows[0].index("Link (URL)", rows[0].index("Activity 2: Title"))
        typed = [r for r in rows[1:] if r[1] == ARJUN and r[0].startswith("09/10/2026")]
        assert len(typed) == 1
        typed[0][link] = "https://example.com]/typo"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
        run_in_process("--as-of", "2026-10-01", "sync-checkins", config=program)
        run_in_process("--as-of", "2026-10-01", "discover", config=program)
        run_in_process("--as-of", "2026-10-12", "sync-checkins", config=program)
        res = run_in_process("--as-of", "2026-10-12", "reminders", config=program)
        assert res.code in (0, 1) and "Traceback" not in res.err, res.err
        receipts = [m for m in outbox_messages(program.parent / "outbox") if m["X-Automation-Job"] == "checkin_receipt"]
        assert len({m["To"] for m in receipts}) > 1
        mine = next(m for m in receipts if ARJUN in m["To"])
        listed = re.findall(r"^  - (.+) \((?:Content|Community support), \d{1,2} \w+ 2026\)$", text_of(mine), re.MULTILINE)
        assert listed == ["Segment filters on custom fields", "Kochi Mautic day: the recap"]

    def test_staff_see_found_versus_reported_in_the_digest(self, program, hosts):
        """Monday 2026-10-12: Arjun reported two of his four found items (2026-10-09); the digest says so."""
        run_in_process("--as-of", "2026-10-01", "sync-checkins", config=program)
        run_in_process("--as-of", "2026-10-01", "discover", config=program)
        run_in_process("--as-of", "2026-10-12", "sync-checkins", config=program)
        run_in_process("--as-of", "2026-10-12", "digest", config=program)
        digest = next(m for m in outbox_messages(program.parent / "outbox") if m["X-Automation-Job"] == "staff_digest")
        text = text_of(digest)
        assert "FOUND VERSUS REPORTED, 2026Q3" in text
        assert "Arjun Nair: 4 found, 2 reported, 2 not reported (3 reports in all)" in text
        assert "Priya Deshmukh: 1 found, 0 reported, 1 not reported" in text
        assert "Found versus reported, 2026Q3" in digest.get_body(preferencelist=("html",)).get_content()

    def test_a_broken_source_is_one_problem_of_its_owner(self, program):
        """A 404, a host that never answers, a 10 MB body and bytes that are no feed: four problems, each owned by
        its ambassador, the run going on (exit 1 for new problems, then 0); the good feed is still read."""
        with FakeFeeds() as feeds:
            owners = {"rahul.verma@example.net": f"{feeds.url}/gone.xml",
                      "karan.mehta@example.org": feeds.hang("/slow.xml"),
                      PRIYA: feeds.huge("/huge.xml", 10 * 1024 * 1024),
                      ARJUN: feeds.add("/broken.xml", b"<html><body>not a feed <<<"),
                      "maria.silva@example.org": feeds.add("/ok.xml", (FIXTURES / "medium.xml").read_bytes())}
            set_feeds(program, owners)
            configure(program, "", timeout=0.5)
            run_in_process("--as-of", "2026-10-01", "sync-checkins", config=program)
            res = run_in_process("--as-of", "2026-10-01", "discover", config=program)
            assert res.code == 1 and "4 could not be read" in res.out
            with (program.parent / "data" / "unusable_rows.csv").open(encoding="utf-8", newline="") as fh:
                problems = [r for r in csv.DictReader(fh) if r["Source"] == "feeds"]
            by_owner = {r["Owner"]: r for r in problems}
            assert sorted(by_owner) == sorted(e for e in owners if e != "maria.silva@example.org")
            assert "404" in by_owner["rahul.verma@example.net"]["Problem"]
            assert "did not answer" in by_owner["karan.mehta@example.org"]["Problem"]
            assert "10,485,760 bytes" in by_owner[PRIYA]["Problem"]
            assert "not an RSS or Atom feed" in by_owner[ARJUN]["Problem"]
            assert all(r["Column"] == "Feeds" and r["Value"] == owners[r["Owner"]] for r in problems)
            assert feeds.sent.get("/huge.xml", 0) < 10 * 1024 * 1024
            again = run_in_process("--as-of", "2026-10-02", "discover", config=program)
            assert again.code == 0, again.err
            assert set(feeds.paths()) <= {urlsplit(u).path for u in owners.values()}

    def test_a_feed_declared_twice_is_found_once(self, program):
        """Arjun's blog under two spellings (the second with a query the host ignores): each post is stored once,
        and his invitation lists it once."""
        with FakeFeeds() as feeds:
            blog = feeds.add("/arjun/rss.xml", arjun_feed())
            set_feeds(program, {ARJUN: f"{blog} {blog}?via=feedburner"})
            configure(program, "")
            run_in_process("--as-of", "2026-10-01", "sync-checkins", config=program)
            res = run_in_process("--as-of", "2026-10-01", "discover", config=program)
            assert res.code == 0, res.err
            assert len(feeds.requests) == 2
        assert sorted(r["Title"] for r in found_rows(program)) == [
            "Connected with university staff in Kochi", "Kochi Mautic day: the recap",
            "Met the Kochi WordPress meetup organisers!"]

    def test_a_replay_as_of_an_earlier_day_leaves_later_items_for_later(self, program):
        """`--as-of 2026-09-18` keeps the two posts dated by then and leaves the recap of the 20th for later: the
        feed's validators are not kept, so the next run reads the feed whole (no 304) and finds the recap."""
        with FakeFeeds() as feeds:
            set_feeds(program, {ARJUN: feeds.add("/arjun/rss.xml", arjun_feed(), etag='"arjun-1"',
                                                 modified="Sun, 20 Sep 2026 08:00:00 GMT")})
            configure(program, "")
            early = run_in_process("--as-of", "2026-09-18", "discover", config=program)
            assert early.code == 0, early.err
            assert "Kochi Mautic day: the recap" not in {r["Title"] for r in found_rows(program)}
            later = run_in_process("--as-of", "2026-10-01", "discover", config=program)
            assert later.code == 0, later.err
            assert "Kochi Mautic day: the recap" in {r["Title"] for r in found_rows(program)}
            assert [r.headers.get("If-None-Match") for r in feeds.requests] == [None, None]
            again = run_in_process("--as-of", "2026-10-02", "discover", config=program)
            assert "1 unchanged since the last run" in again.out  # with nothing deferred, the memo is kept

    def test_a_surprise_reading_one_source_is_its_owners_problem(self, program):
        """Whatever goes wrong reading one source (here a reader that raises for Arjun's feed, as an unforeseen
        bug would) is one data problem of its ambassador; Priya's feed is still read and stored."""
        from dataclasses import replace

        from automations import bootstrap
        from automations.config import load_config
        from automations.jobs import discover

        class Surprising:
            def __init__(self, real, bad):
                self.real, self.bad = real, bad

            def read_feed(self, url, memo):
                if url == self.bad:
                    raise ValueError("Invalid IPv6 URL")
                return self.real.read_feed(url, memo)

            def read_forum(self, handle, since):
                return self.real.read_forum(handle, since)

        with FakeFeeds() as feeds:
            bad = feeds.add("/arjun/rss.xml", arjun_feed())
            good = feeds.add("/feeds/videos.xml", (FIXTURES / "youtube.xml").read_bytes())
            set_feeds(program, {ARJUN: bad, PRIYA: good})
            configure(program, "")
            ctx = bootstrap.build(load_config(program), date(2026, 10, 1), dry_run=False)
            ctx = replace(ctx, stores=replace(ctx.stores, feeds=Surprising(ctx.stores.feeds, bad)))
            result = discover.run(ctx)
        assert [(p.email, p.column, p.value) for p in result.problems] == [(ARJUN, "Feeds", bad)]
        assert "ValueError" in result.problems[0].reason and "1 could not be read" in result.summary[0]
        assert [r["Email"] for r in found_rows(program)] == [PRIYA]

    def test_export_and_erase_cover_what_was_found(self, program, hosts):
        run_in_process("--as-of", "2026-10-01", "sync-checkins", config=program)
        run_in_process("--as-of", "2026-10-01", "discover", config=program)
        exported = run_in_process("--as-of", "2026-10-02", "export", ARJUN, config=program)
        assert exported.code == 0, exported.err
        data = json.loads(next((program.parent / "exports").glob("*.json")).read_text(encoding="utf-8"))
        found = next(t for t in data["tables"] if t["what"] == "found activities")
        assert len(found["rows"]) == 4
        memo = next(t for t in data["tables"] if t["what"] == "feed memo (work cache)")
        assert '"arjun-1"' in memo["rows"][0]["etag_and_last_modified"]
        erased = run_in_process("--as-of", "2026-10-02", "erase", ARJUN, config=program)
        assert erased.code == 0, erased.err
        rows = found_rows(program)
        assert [r["Email"] for r in rows] == [PRIYA]
        assert ARJUN not in (program.parent / "data" / "found_activities.csv").read_text(encoding="utf-8")

    def test_a_dry_run_stores_nothing(self, program, hosts):
        run_in_process("--as-of", "2026-10-01", "sync-checkins", config=program)
        res = run_in_process("--as-of", "2026-10-01", "--dry-run", "discover", config=program)
        assert "5 new found activities would be stored" in res.out
        assert not (program.parent / "data" / "found_activities.csv").exists()

    def test_with_no_feed_declared_it_does_nothing_and_says_so(self, program):
        run_in_process("--as-of", "2026-10-19", "sync-checkins", config=program)
        res = run_in_process("--as-of", "2026-10-19", "discover", config=program)
        assert "nothing to discover" in res.out
        assert not (program.parent / "data" / "found_activities.csv").exists()


class TestOnAirtable:
    def test_new_items_are_found_once_and_listed(self, program, airtable_base):
        """The same program on the base: found activities in the table `init` made, once; the invitation lists
        them."""
        from automations.jobs import discover, mail_jobs, sync_checkins
        from tests.airtable_env import AirtableEnv, seed_roster, use_airtable

        fake, clock = airtable_base
        with FakeFeeds() as feeds:
            blog = feeds.add("/arjun/rss.xml", arjun_feed(), etag='"arjun-1"')
            set_feeds(program, {ARJUN: blog})
            configure(program, "")
            use_airtable(program, fake.url)
            env = AirtableEnv(fake, clock, program)
            assert any("Found activities" in line for line in env.ctx(date(2026, 10, 1)).stores.admin.init(False))
            seed_roster(env, program.parent / "data" / "ambassadors.csv")
            ctx = env.ctx(date(2026, 10, 1))
            synced = sync_checkins.run(ctx)
            first = discover.run(ctx)
            assert not first.problems
            records = env.records("Found activities")
            assert sorted(r["fields"]["Title"] for r in records) == [
                "Connected with university staff in Kochi", "Kochi Mautic day: the recap",
                "Met the Kochi WordPress meetup organisers!"]
            assert all(r["fields"]["Email"] == ARJUN and r["fields"]["Kind"] == "content" for r in records)
            again = discover.run(env.ctx(date(2026, 10, 2)))
            assert "0 new found activities" in again.summary[0] and "1 unchanged" in again.summary[0]
            assert len(env.records("Found activities")) == 3
            ctx = env.ctx(date(2026, 10, 1))
            found = ctx.stores.found.read()
            assert all(isinstance(f, FoundActivity) for f in found) and len(found) == 3
            mail_jobs.run(ctx, "reminders", synced=synced.data, problems=synced.data["problems"])
            invite = next(m for m in outbox_messages(program.parent / "outbox")
                          if m["X-Automation-Job"] == "checkin_invite" and ARJUN in m["To"])
            assert len(re.findall(r"Report it:\s+(\S+)", text_of(invite))) == 3
            assert set(feeds.paths()) == {"/arjun/rss.xml"}

    def test_a_base_from_before_discover_asks_for_init(self, program, airtable_base):
        """A base whose found activities' table is missing: nothing is found there (the mail goes on as before);
        storing what a declared feed gives stops the run with one sentence asking for `init`."""
        from automations.errors import StopRun
        from automations.jobs import discover
        from tests.airtable_env import AirtableEnv, seed_roster, use_airtable

        fake, clock = airtable_base
        with FakeFeeds() as feeds:
            set_feeds(program, {ARJUN: feeds.add("/arjun/rss.xml", arjun_feed())})
            configure(program, "")
            use_airtable(program, fake.url, tables={"found_activities": "Found things"})
            env = AirtableEnv(fake, clock, program)
            env.ctx(date(2026, 10, 1)).stores.admin.init(False)
            seed_roster(env, program.parent / "data" / "ambassadors.csv")
            data = yaml.safe_load(program.read_text(encoding="utf-8"))
            data["airtable"]["tables"] = {"found_activities": "Not made yet"}
            program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
            ctx = env.ctx(date(2026, 10, 1))
            assert ctx.stores.found.read() == []
            with pytest.raises(StopRun, match="run `init`"):
                discover.run(ctx)
            assert "Not made yet" not in {t["name"] for t in fake.tables("appTEST0000000001")}
