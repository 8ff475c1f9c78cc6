"""The ForumGroup contract (`ports.ForumGroup`): the forum's ambassadors group, read in full, changed in batches,
a refusal said in the forum's words. Adapter: `DiscourseForumGroup` (requests, over HTTP against
tests/fake_discourse.py on 127.0.0.1, which answers as Discourse's GroupsController and UsersController do)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from automations.errors import StopRun
from automations.ports import ForumRefused

KEY = "discourse-contract-key"
#: The group as staff left it: an owner, members (more than a page of the adapter's), and users who are not members.
MEMBERS = ["ana", "Bo.Silva", "cy", "di", "ed"]
OWNERS = ["staffowner"]
OTHERS = ["Zoe.Mueller", "farid"]


@dataclass
class Harness:
    make: Callable[..., object]  # make(key=KEY): a group adapter (a new run); key "": none configured
    members: Callable[[], list[str]]  # the group's members as the forum holds them, read without the port
    changes: Callable[[], int]  # requests that could have changed the group
    urls: Callable[[], list[str]] = list  # every request's full URL, as the forum saw it


class ForumGroupContract:
    @pytest.fixture
    def harness(self):
        raise NotImplementedError

    def test_members_are_read_in_full_with_owners_flagged(self, harness):
        got = harness.make().members()
        assert sorted((m.username, m.owner) for m in got) == sorted(
            [(u, False) for u in MEMBERS] + [(u, True) for u in OWNERS])

    def test_a_user_is_found_in_any_case(self, harness):
        group = harness.make()
        assert group.find_user("zoe.mueller") == "Zoe.Mueller" and group.find_user("BO.SILVA") == "Bo.Silva"
        assert group.find_user("nobody-here") is None

    def test_add_returns_those_added_and_they_are_members(self, harness):
        added = harness.make().add(["Zoe.Mueller", "farid"])
        assert sorted(added) == ["Zoe.Mueller", "farid"]
        assert {"Zoe.Mueller", "farid"} <= set(harness.members())

    def test_remove_returns_those_no_longer_members(self, harness):
        """Taken out now, or not members anyway: either way no longer in the group."""
        gone = harness.make().remove(["cy", "farid"])
        assert sorted(gone) == ["cy", "farid"]
        assert "cy" not in harness.members() and "ana" in harness.members()

    def test_more_than_a_batch_is_not_sent(self, harness):
        from automations.ports import FORUM_BATCH

        with pytest.raises(ValueError):
            harness.make().add([f"user{i}" for i in range(FORUM_BATCH + 1)])
        assert harness.changes() == 0

    def test_a_refused_change_is_said_in_the_forums_words(self, harness):
        """A change the forum refuses (no such users) raises `ForumRefused`; the group stays as it was."""
        before = harness.members()
        with pytest.raises(ForumRefused):
            harness.make().add(["no-such-user"])
        assert harness.members() == before

    def test_no_key_stops_before_anything_is_asked(self, harness):
        group = harness.make(key="")
        with pytest.raises(StopRun, match="nothing was changed"):
            group.ready()
        assert group.requests == 0 and harness.changes() == 0

    def test_requests_are_counted_and_it_names_where(self, harness):
        group = harness.make()
        group.members()
        assert group.requests >= 1 and group.retries == 0 and group.where

    def test_reading_changes_nothing(self, harness):
        group = harness.make()
        group.members()
        group.find_user("ana")
        assert harness.changes() == 0


class TestDiscourseForumGroup(ForumGroupContract):
    @pytest.fixture
    def harness(self):
        from automations.adapters.discourse.forum_group import (
            DiscourseForumGroup,
            DiscourseSettings,
        )
        from tests.fake_airtable import ManualClock
        from tests.fake_discourse import FakeDiscourse

        clock = ManualClock(start=10_000.0)
        with FakeDiscourse(api_key=KEY, clock=clock.now) as fake:
            for name in [*MEMBERS, *OWNERS, *OTHERS]:
                fake.add_user(name)
            fake.add_group("ambassadors", members=MEMBERS, owners=OWNERS)

            def make(key=KEY):
                settings = DiscourseSettings(fake.url, "ambassadors", "system", key, "DISCOURSE_API_KEY",
                                             retry_backoff_seconds=0)
                # Two members a page, so a full read takes several pages.
                return DiscourseForumGroup(settings, clock=clock.now, sleep=clock.advance, page_size=2)

            yield Harness(make, lambda: fake.member_names("ambassadors"), lambda: len(fake.changes()),
                          lambda: list(fake.urls))

    def test_the_key_never_travels_in_a_url(self, harness):
        """The admin key goes in headers only (Discourse's Api-Key), so no proxy or log keeps it."""
        group = harness.make()
        group.members()
        group.add(["farid"])
        urls = harness.urls()
        assert len(urls) == group.requests >= 3 and not [u for u in urls if KEY in u]
