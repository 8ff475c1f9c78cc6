"""The Discourse fake answers as Discourse does (its controllers' status codes and bodies), seen over
real HTTP with plain `requests`, so the forum job's tests stand on what production answers."""

from __future__ import annotations

import pytest
import requests

from tests.fake_airtable import ManualClock
from tests.fake_discourse import FakeDiscourse

KEY = "discourse-test-key"
ADMIN = {"Api-Key": KEY, "Api-Username": "system"}


@pytest.fixture
def clock():
    return ManualClock(start=5000.0)


@pytest.fixture
def fake(clock):
    with FakeDiscourse(api_key=KEY, clock=clock.now) as fake:
        for name in ("priya_d", "Zoe_M", "tombaker", "staffer", "member1"):
            fake.add_user(name)
        fake.add_user("moderator", admin=False)
        fake.add_group("ambassadors", members=["tombaker", "priya_d", "member1"], owners=["staffer"])
        fake.add_group("trust_level_1", members=["priya_d"], automatic=True, public=True)
        yield fake


def call(fake, method: str, path: str, headers=ADMIN, **kwargs) -> requests.Response:
    return requests.request(method, fake.url + path, headers=headers, timeout=10, **kwargs)


def group_id(fake) -> int:
    return fake.groups["ambassadors"].id


class TestCredentials:
    def test_a_wrong_key_is_403_invalid_access_with_discourses_words(self, fake):
        """A key the forum does not know is refused with 403 and the API-credentials message."""
        r = call(fake, "GET", "/groups/ambassadors.json", headers={"Api-Key": "nope", "Api-Username": "system"})
        assert r.status_code == 403
        assert r.json() == {"errors": ["You are not permitted to view the requested resource. The API username or "
                                       "key is invalid."], "error_type": "invalid_access"}

    def test_an_unknown_api_username_is_refused_like_a_wrong_key(self, fake):
        """A right key with a username no one has is the same 403."""
        r = call(fake, "GET", "/groups/ambassadors.json", headers={"Api-Key": KEY, "Api-Username": "ghost"})
        assert r.status_code == 403 and r.json()["error_type"] == "invalid_access"

    def test_a_key_in_the_url_is_ignored_and_a_private_group_is_hidden(self, fake):
        """A key in the query string does not authenticate: the request is anonymous and the group is 404."""
        r = call(fake, "GET", f"/groups/ambassadors/members.json?api_key={KEY}&api_username=system", headers={})
        assert r.status_code == 404 and r.json()["error_type"] == "not_found"

    def test_an_anonymous_change_is_refused_as_bad_csrf(self, fake):
        """A PUT without the key headers is Rails' CSRF refusal (403, a plain ["BAD CSRF"])."""
        r = call(fake, "PUT", f"/groups/{group_id(fake)}/members.json", headers={}, json={"usernames": "Zoe_M"})
        assert r.status_code == 403 and r.text == '["BAD CSRF"]'
        assert "Zoe_M" not in fake.member_names("ambassadors")

    def test_a_user_who_is_not_an_admin_cannot_change_the_group(self, fake):
        """An API user without admin rights gets 403 invalid_access (the plain message) on a change."""
        r = call(fake, "PUT", f"/groups/{group_id(fake)}/members.json",
                 headers={"Api-Key": KEY, "Api-Username": "moderator"}, json={"usernames": "Zoe_M"})
        assert r.status_code == 403
        assert r.json() == {"errors": ["You are not permitted to view the requested resource."],
                            "error_type": "invalid_access"}

    def test_an_automatic_group_cannot_be_changed(self, fake):
        """Trust-level groups are Discourse's own: an admin's change is 403 too."""
        r = call(fake, "PUT", f"/groups/{fake.groups['trust_level_1'].id}/members.json", json={"usernames": "Zoe_M"})
        assert r.status_code == 403


class TestReading:
    def test_the_group_by_name_in_any_case_with_its_id(self, fake):
        """GET /groups/{name}.json finds the group whatever the name's case, and gives its numeric id."""
        r = call(fake, "GET", "/groups/Ambassadors.json")
        assert r.status_code == 200 and r.json()["group"]["id"] == group_id(fake)
        assert r.headers["Content-Type"] == "application/json; charset=utf-8"

    def test_an_unknown_group_is_404_not_found(self, fake):
        """A group that does not exist answers Discourse's not-found body."""
        r = call(fake, "GET", "/groups/nobody/members.json")
        assert r.status_code == 404
        assert r.json() == {"errors": ["The requested URL or resource could not be found."], "error_type": "not_found"}

    def test_members_page_owners_first_then_by_name_descending(self, fake):
        """Pages follow limit and offset; owners come first, then usernames from z to a; meta has the total."""
        first = call(fake, "GET", "/groups/ambassadors/members.json", params={"limit": 2, "offset": 0}).json()
        second = call(fake, "GET", "/groups/ambassadors/members.json", params={"limit": 2, "offset": 2}).json()
        assert [u["username"] for u in first["members"]] == ["staffer", "tombaker"]
        assert [u["username"] for u in second["members"]] == ["priya_d", "member1"]
        assert first["meta"] == {"total": 4, "limit": 2, "offset": 0}
        assert [u["username"] for u in first["owners"]] == ["staffer"]

    @pytest.mark.parametrize("limit", ["1001", "-1", "many"])
    def test_a_limit_out_of_range_is_400_invalid_parameters(self, fake, limit):
        """limit must be an integer from 0 to 1000 (fetch_limit_from_params)."""
        r = call(fake, "GET", "/groups/ambassadors/members.json", params={"limit": limit})
        assert r.status_code == 400
        assert r.json() == {"errors": ["You supplied invalid parameters to the request: limit"],
                            "error_type": "invalid_parameters"}

    def test_a_user_in_any_case_and_an_unknown_one(self, fake):
        """GET /u/{name}.json matches any case and answers the forum's spelling; no such user is 404."""
        r = call(fake, "GET", "/u/zoe_m.json")
        assert r.status_code == 200 and r.json()["user"]["username"] == "Zoe_M"
        assert call(fake, "GET", "/u/nobody.json").status_code == 404


class TestChanges:
    def test_add_takes_known_usernames_and_drops_unknown_ones(self, fake):
        """A comma-separated list: known users (any case) are added, unknown ones silently left out."""
        r = call(fake, "PUT", f"/groups/{group_id(fake)}/members.json", json={"usernames": "zoe_m,nobody"})
        assert r.status_code == 200 and r.json() == {"success": "OK", "usernames": ["Zoe_M"], "emails": []}
        assert "Zoe_M" in fake.member_names("ambassadors")

    def test_add_of_only_unknown_usernames_is_400(self, fake):
        """No user found at all is invalid parameters: usernames."""
        r = call(fake, "PUT", f"/groups/{group_id(fake)}/members.json", data={"usernames": "nobody,ghost"})
        assert r.status_code == 400 and r.json()["errors"] == ["You supplied invalid parameters to the request: "
                                                               "usernames"]

    def test_add_of_members_only_is_422_already_members(self, fake):
        """Adding only people who are members already is refused with 422 naming them."""
        r = call(fake, "PUT", f"/groups/{group_id(fake)}/members.json", json={"usernames": "priya_d,tombaker"})
        assert r.status_code == 422
        assert r.json() == {"errors": ["'priya_d, tombaker' are already members of this group."]}

    def test_add_to_an_unknown_group_id_is_404(self, fake):
        """The write endpoints take the group's id; an unknown one is not found."""
        r = call(fake, "PUT", "/groups/999/members.json", json={"usernames": "Zoe_M"})
        assert r.status_code == 404

    def test_remove_answers_who_went_and_who_was_not_a_member(self, fake):
        """DELETE takes members out and lists the others as skipped_usernames."""
        r = call(fake, "DELETE", f"/groups/{group_id(fake)}/members.json", json={"usernames": "tombaker,Zoe_M"})
        assert r.json() == {"success": "OK", "usernames": ["tombaker"], "skipped_usernames": ["Zoe_M"]}
        assert "tombaker" not in fake.member_names("ambassadors")

    def test_a_server_fault_is_a_5xx_page_and_changes_nothing(self, fake):
        """An injected fault answers 502 with HTML before the request reaches the group."""
        fake.fail_next(1)
        r = call(fake, "PUT", f"/groups/{group_id(fake)}/members.json", json={"usernames": "Zoe_M"})
        assert r.status_code == 502 and "Zoe_M" not in fake.member_names("ambassadors")


class TestRateLimit:
    def test_the_61st_request_in_a_minute_is_429_with_retry_after(self, fake, clock):
        """An admin key may make 60 requests in any 60 seconds; the next is 429 with Retry-After, the
        error code header and the wait in the body, and is not counted."""
        for _ in range(60):
            clock.advance(0.5)
            assert call(fake, "GET", "/u/priya_d.json").status_code == 200
        r = call(fake, "GET", "/u/priya_d.json")
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "31"  # the first went at +0.5 s; now is +30 s
        assert r.headers["Discourse-Rate-Limit-Error-Code"] == "admin_api_key_rate_limit"
        assert r.json() == {"errors": ["You’ve performed this action too many times. Please wait 31 seconds before "
                                       "trying again."], "error_type": "rate_limit",
                            "extras": {"wait_seconds": 31, "time_left": "31 seconds"}}
        clock.advance(31)
        assert call(fake, "GET", "/u/priya_d.json").status_code == 200
