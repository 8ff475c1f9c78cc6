"""A stateful fake of the Discourse endpoints the forum job uses, served over real HTTP on loopback.

It answers as Discourse's own controllers do (read from discourse/discourse: `GroupsController`
`show`, `members`, `add_members`, `remove_member`, `users_from_params`; `ApplicationController`'s
rescue handlers; `lib/json_error.rb`; `Auth::DefaultCurrentUserProvider`), so the project's real
`requests` client is tested against the same answers production gives:

- Credentials: the `Api-Key` and `Api-Username` headers. A key it does not know, or a username that is
  not the key's (or no user): 403 `{"errors": ["You are not permitted to view the requested resource. The
  API username or key is invalid."], "error_type": "invalid_access"}`. A key in the URL (`?api_key=`) is
  ignored, as Discourse ignores it outside a few RSS routes: the request is anonymous. Anonymous:
  a GET of a group that is not public is 404 (`find_group` hides it), a PUT or DELETE is 403 with the
  plain body `["BAD CSRF"]` (`handle_unverified_request`). An API user who is not an admin may not
  change the group: 403 `{"errors": ["You are not permitted to view the requested resource."],
  "error_type": "invalid_access"}`; the same for any change to an automatic group.
- Rate limit: an admin key may make `admin_requests_per_minute` [60] requests in any 60 seconds (by
  `clock()`); one more is refused, and not counted, with 429, `Retry-After: <seconds until the oldest
  leaves the window>`, `Discourse-Rate-Limit-Error-Code: admin_api_key_rate_limit` and `{"errors":
  ["You’ve performed this action too many times. Please wait 26 seconds before trying again."],
  "error_type": "rate_limit", "extras": {"wait_seconds": 26, "time_left": "26 seconds"}}`.
- `GET /groups/{name}.json` (name in any case): `{"group": {...}, "extras": {"visible_group_names": [...]}}`;
  unknown: 404 `{"errors": ["The requested URL or resource could not be found."], "error_type": "not_found"}`.
- `GET /groups/{name}/members.json?limit=&offset=`: `limit` defaults to 50 and must be an integer from 0
  to 1000, `offset` 0 or more, else 400 `{"errors": ["You supplied invalid parameters to the request:
  limit"], "error_type": "invalid_parameters"}`; members ordered owners first, then by lower-cased
  username descending (`asc` present: ascending); `owners` lists every owner; `meta: {total, limit, offset}`.
- `PUT /groups/{id}/members.json` with `usernames` (comma-separated; JSON body, form or query): the
  usernames are matched in any case, unknown ones dropped silently; none known: 400 "...: usernames";
  more than 1,000 users: 422 "You can't add more than 1000 users to a group at once"; every one a
  member already: 422 `{"errors": ["'a, b' are already members of this group."]}` (one: "'a' is
  already a member of this group."); else every one is added and the answer is
  `{"success": "OK", "usernames": [...], "emails": []}`. An unknown id: 404.
- `DELETE /groups/{id}/members.json` with `usernames`: none known: 400; each member taken out, each
  non-member skipped: `{"success": "OK", "usernames": [taken out], "skipped_usernames": [...]}`.
- `GET /u/{username}.json`: `{"user_badges": [], "user": {"id", "username", "name", ...}}` (the username as the
  forum spells it), or 404 not_found.
- `GET /user_actions.json?username=&filter=4,5&offset=&limit=` (`UserActionsController#index`, public, no key
  needed): a user's actions of the types in `filter` (4: new topic, 5: reply), newest first, `limit` (default
  30, at most 60) from `offset`, as `{"user_actions": [...]}` with Discourse's fields (`action_type`,
  `created_at`, `title`, `slug`, `topic_id`, `post_id`, `post_number`, `username`, `excerpt`, `deleted`,
  `hidden`...); no `username`: 400 invalid_parameters; an unknown user: 404 not_found. Seed with `add_post`.
Not verified (flagged on purpose): the exact wording of the "already a member", "too many users" and
"usernames or emails required" messages (Discourse's locale file was not read; these are close
guesses), the anonymous answers (they depend on the group's visibility settings), and the extra
fields of the group and user serializers, of which only the ones the job reads matter.

Faults for retry tests: `fail_next(n, status)` answers the next n requests with a 5xx and a small
HTML page, as a proxy in front of Discourse does. `faults` (`tests.faults.Faults`, seeded) injects at
rates: a 429 exactly as the key's limit answers it (`Retry-After: 5`, not counted in the window), a
502 proxy page, a drop, a timeout (held, then no answer) and a lost reply (the change made, the answer
lost); `token_expires_after` revokes the key after that many requests (403 invalid_access, as for a key
an admin revoked). `log` keeps (method, path, status) of every request (status 0: no answer).
`echo_headers(status)`: from then on every request is answered `status` with an error whose text repeats
the request's headers, `Api-Key` included, as a debugging proxy or a misconfigured gateway in front of a
forum does (not Discourse's own behaviour; issue 18: such a body must never get the key printed).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote

from werkzeug.wrappers import Request, Response

from tests.faults import Faults, Injectable, SilenceableHandler, silence
from tests.loopback import LoopbackServer

MEMBERS_MAX_PAGE_SIZE = 1000
MEMBERS_DEFAULT_PAGE_SIZE = 50
ADD_MEMBERS_LIMIT = 1000

NOT_FOUND = "The requested URL or resource could not be found."
INVALID_ACCESS = "You are not permitted to view the requested resource."
INVALID_API = "You are not permitted to view the requested resource. The API username or key is invalid."


@dataclass
class User:
    id: int
    username: str
    name: str = ""
    admin: bool = False


@dataclass
class Group:
    id: int
    name: str
    public: bool = False  # visible to anonymous visitors
    automatic: bool = False
    members: dict[int, bool] = field(default_factory=dict)  # user id -> owner


class _Quiet(SilenceableHandler):
    """Keeps test output quiet; can close without an answer (the drop, lost-reply and timeout faults)."""


class FakeDiscourse(Injectable, LoopbackServer):
    server_name = "fake-discourse"
    request_handler = _Quiet

    def __init__(self, api_key: str = "discourse-test-key", clock: Callable[[], float] = time.monotonic,
                 admin_requests_per_minute: int = 60):
        self.api_key = api_key
        self.clock = clock
        self.limit = admin_requests_per_minute
        self.users: dict[str, User] = {}  # by lower-cased username
        self.groups: dict[str, Group] = {}  # by lower-cased name
        self.log: list[tuple[str, str, int]] = []
        self.urls: list[str] = []  # every request's full URL, to show no key ever travels in one
        self._window: deque[float] = deque()
        self._fail: list[int] = []
        self._echo_status: int | None = None
        self._lose: list[str] = []
        self._lock = threading.Lock()
        self._ids = 0
        self.faults = Faults()
        self.users["system"] = User(-1, "system", "system", admin=True)  # Discourse's own, not a human user
        self.posts: dict[str, list[dict]] = {}  # by lower-cased username: their user actions (types 4 and 5)

    # -- seeding and inspection (tests only) ---------------------------------------------------

    def add_user(self, username: str, name: str = "", admin: bool = False) -> User:
        self._ids += 1
        user = User(self._ids, username, name or username, admin)
        self.users[username.lower()] = user
        return user

    def add_group(self, name: str, members: list[str] = (), owners: list[str] = (), public: bool = False,
                  automatic: bool = False) -> Group:
        self._ids += 1
        group = Group(40 + self._ids, name, public, automatic)
        for u in members:
            group.members[self.users[u.lower()].id] = False
        for u in owners:
            group.members[self.users[u.lower()].id] = True
        self.groups[name.lower()] = group
        return group

    def add_post(self, username: str, topic_id: int, title: str, created_at: str, post_number: int = 1,
                 slug: str = "", excerpt: str = "") -> dict:
        """A topic (post_number 1: action type 4) or a reply (5) by a user, at `created_at` (ISO 8601, UTC)."""
        self._ids += 1
        user = self.users[username.lower()]
        action = {"excerpt": excerpt, "action_type": 4 if post_number == 1 else 5, "created_at": created_at,
                  "avatar_template": f"/user_avatar/forum/{user.username}/{{size}}/1.png",
                  "acting_avatar_template": f"/user_avatar/forum/{user.username}/{{size}}/1.png",
                  "slug": slug or "-".join(title.lower().split()), "topic_id": topic_id, "target_user_id": user.id,
                  "target_name": user.name, "target_username": user.username, "post_number": post_number,
                  "post_id": 1000 + self._ids, "reply_to_post_number": None, "username": user.username,
                  "name": user.name, "user_id": user.id, "acting_username": user.username,
                  "acting_name": user.name, "acting_user_id": user.id, "title": title, "deleted": False,
                  "hidden": False, "post_type": 1, "action_code": None, "category_id": 7, "closed": False,
                  "archived": False}
        self.posts.setdefault(username.lower(), []).append(action)
        return action

    def member_names(self, group: str) -> list[str]:
        g = self.groups[group.lower()]
        return sorted(u.username for u in self.users.values() if u.id in g.members)

    def fail_next(self, n: int, status: int = 502, method: str = "") -> None:
        """The next n requests (of `method`, or any) answer `status` with a proxy's HTML page."""
        self._fail.extend([(status, method)] * n)

    def echo_headers(self, status: int = 400) -> None:
        """Every request from now on answers `status` with an error text holding the request's headers."""
        self._echo_status = status

    def lose_next_reply(self, method: str = "PUT") -> None:
        """The next request of `method` is carried out, and its answer lost (the connection closes)."""
        self._lose.append(method)

    def changes(self) -> list[tuple[str, str, int]]:
        """The requests that could change something (PUT, DELETE)."""
        return [entry for entry in self.log if entry[0] in ("PUT", "DELETE", "POST")]

    def reset_log(self) -> None:
        self.log.clear()
        self.urls.clear()

    @property
    def _fault_lock(self):
        return self._lock

    # -- HTTP ----------------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            fault = self._dice.draw(("429", "5xx", "drop", "lost_reply", "timeout"))
            if self._lose and self._lose[0] == request.method:
                self._lose.pop(0)
                fault = "lost_reply"
            if fault == "429":
                response = _error(429, "You’ve performed this action too many times. Please wait 5 seconds before "
                                       "trying again.", "rate_limit", extras={"wait_seconds": 5, "time_left": "5 seconds"},
                                  headers={"Retry-After": "5", "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit"})
            elif fault == "5xx":
                response = Response("<html><body><h1>502</h1>Bad gateway</body></html>", status=502,
                                    content_type="text/html")
            elif fault in ("drop", "timeout"):
                response = Response("", status=500)
            else:
                response = self._answer(request)
            quiet = fault in ("drop", "timeout", "lost_reply")
            self.log.append((request.method, request.path, 0 if quiet else response.status_code))
            self.urls.append(request.url)
        if fault == "timeout":  # held past the client's timeout (outside the lock: others go on)
            time.sleep(self._faults.hold_seconds)
        if quiet:
            silence(environ)
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        if self._echo_status is not None:
            return _error(self._echo_status, f"Bad request. Request headers: {dict(request.headers)}",
                          "invalid_parameters")
        if self._fail and self._fail[0][1] in ("", request.method):
            status, _ = self._fail.pop(0)
            return Response(f"<html><body><h1>{status}</h1>Bad gateway</body></html>", status=status,
                            content_type="text/html")
        key = request.headers.get("Api-Key")
        user = None
        if key is not None:
            user = self.users.get((request.headers.get("Api-Username") or "").lower())
            if key != self.api_key or user is None or self._dice.token_expired():
                return _error(403, INVALID_API, "invalid_access")
            limited = self._rate_limit()
            if limited is not None:
                return limited
        path, method = request.path, request.method
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if method == "GET" and len(parts) == 2 and parts[0] == "groups" and parts[1].endswith(".json"):
            return self._show(user, parts[1][:-5])
        if method == "GET" and len(parts) == 3 and parts[0] == "groups" and parts[2] == "members.json":
            return self._members(user, parts[1], request)
        if method in ("PUT", "DELETE") and len(parts) == 3 and parts[0] == "groups" and parts[2] == "members.json":
            if user is None:
                return Response('["BAD CSRF"]', status=403, content_type="text/plain")
            return self._change(user, parts[1], request)
        if method == "GET" and parts == ["user_actions.json"]:
            return self._user_actions(request)
        if method == "GET" and len(parts) == 2 and parts[0] == "u" and parts[1].endswith(".json"):
            found = self.users.get(parts[1][:-5].lower())
            if found is None:
                return _error(404, NOT_FOUND, "not_found")
            return _json({"user_badges": [], "user": _user(found)})
        return _error(404, NOT_FOUND, "not_found")

    def _rate_limit(self) -> Response | None:
        now = self.clock()
        while self._window and self._window[0] <= now - 60:
            self._window.popleft()
        if len(self._window) >= self.limit:
            wait = max(1, math.ceil(self._window[0] + 60 - now))
            message = f"You’ve performed this action too many times. Please wait {wait} seconds before trying again."
            return _error(429, message, "rate_limit", extras={"wait_seconds": wait, "time_left": f"{wait} seconds"},
                          headers={"Retry-After": str(wait),
                                   "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit"})
        self._window.append(now)
        return None

    def _visible(self, user: User | None, name: str) -> Group | None:
        group = self.groups.get(name.lower())
        if group is None:
            return None
        if group.public or (user is not None and (user.admin or user.id in group.members)):
            return group
        return None

    def _show(self, user: User | None, name: str) -> Response:
        group = self._visible(user, name)
        if group is None:
            return _error(404, NOT_FOUND, "not_found")
        return _json({"group": {"id": group.id, "name": group.name, "automatic": group.automatic,
                                "user_count": len(group.members), "visibility_level": 0 if group.public else 2,
                                "is_group_owner": False, "is_group_user": user is not None and
                                user.id in group.members},
                      "extras": {"visible_group_names": sorted(g.name for g in self.groups.values()
                                                               if self._visible(user, g.name))}})

    def _members(self, user: User | None, name: str, request: Request) -> Response:
        group = self._visible(user, name)
        if group is None:
            return _error(404, NOT_FOUND, "not_found")
        args = request.args
        try:
            limit = int(args["limit"]) if "limit" in args else MEMBERS_DEFAULT_PAGE_SIZE
        except ValueError:
            return _invalid("limit")
        if limit < 0 or limit > MEMBERS_MAX_PAGE_SIZE:
            return _invalid("limit")
        try:
            offset = int(args.get("offset") or 0)
        except ValueError:
            offset = 0  # Ruby's to_i reads "x" as 0
        if offset < 0:
            return _invalid("offset")
        people = [u for u in self.users.values() if u.id in group.members and u.id > 0]  # `human_users`
        ascending = bool(args.get("asc"))
        people.sort(key=lambda u: u.username.lower(), reverse=not ascending)
        people.sort(key=lambda u: not group.members[u.id])  # owners first (a stable sort keeps the rest)
        page = people[offset:offset + limit]
        return _json({"members": [_user(u) for u in page],
                      "owners": [_user(u) for u in people if group.members[u.id]],
                      "meta": {"total": len(people), "limit": limit, "offset": offset}})

    def _user_actions(self, request: Request) -> Response:
        args = request.args
        name = (args.get("username") or "").lower()
        if not name:
            return _invalid("username")
        if name not in self.users:
            return _error(404, NOT_FOUND, "not_found")
        try:
            offset = max(0, int(args.get("offset") or 0))
            limit = min(60, max(1, int(args.get("limit") or 30)))
        except ValueError:
            return _invalid("offset")
        types = {int(t) for t in (args.get("filter") or "").split(",") if t.strip().isdigit()}
        actions = sorted((a for a in self.posts.get(name, []) if not types or a["action_type"] in types),
                         key=lambda a: a["created_at"], reverse=True)
        return _json({"user_actions": actions[offset:offset + limit]})

    def _change(self, user: User, group_id: str, request: Request) -> Response:
        group = next((g for g in self.groups.values() if str(g.id) == group_id.removesuffix(".json")), None)
        if group is None:
            return _error(404, NOT_FOUND, "not_found")
        if not user.admin or group.automatic:
            return _error(403, INVALID_ACCESS, "invalid_access")
        raw = _param(request, "usernames")
        wanted = [] if not raw else [n.lower() for n in raw.split(",")]
        users = [self.users[n] for n in dict.fromkeys(wanted) if n in self.users]
        if request.method == "PUT":
            if not raw:
                return _invalid("You must specify usernames or emails")
            if not users:
                return _invalid("usernames")
            if len(users) > ADD_MEMBERS_LIMIT:
                return _error(422, f"You can't add more than {ADD_MEMBERS_LIMIT} users to a group at once")
            already = sorted(u.username for u in users if u.id in group.members)
            if already and len(already) == len(users):
                text = (f"'{already[0]}' is already a member of this group." if len(already) == 1 else
                        f"'{', '.join(already)}' are already members of this group.")
                return _error(422, text)
            for u in users:
                group.members.setdefault(u.id, False)
            return _json({"success": "OK", "usernames": [u.username for u in users], "emails": []})
        if not users:
            return _invalid("usernames" if raw else "user_ids or usernames or user_emails must be present")
        removed, skipped = [], []
        for u in users:
            if group.members.pop(u.id, None) is not None:
                removed.append(u.username)
            else:
                skipped.append(u.username)
        return _json({"success": "OK", "usernames": removed, "skipped_usernames": skipped})


def _param(request: Request, name: str) -> str:
    """A parameter as Rails merges them: the JSON body, the form, then the query string."""
    if request.mimetype == "application/json":
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
        except ValueError:
            body = {}
        if isinstance(body, dict) and body.get(name) is not None:
            return str(body[name])
    if name in request.form:
        return request.form[name]
    values = parse_qs(request.query_string.decode()).get(name)
    return values[0] if values else ""


def _user(u: User) -> dict:
    return {"id": u.id, "username": u.username, "name": u.name, "avatar_template": f"/user_avatar/{u.username}/{{size}}/1.png",
            "title": None, "last_posted_at": None, "last_seen_at": None, "added_at": "2026-01-01T00:00:00.000Z",
            "timezone": "Europe/London", "primary_group_name": None}


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    content_type="application/json; charset=utf-8")


def _error(status: int, message: str, error_type: str | None = None, extras: dict | None = None,
           headers: dict | None = None) -> Response:
    body: dict = {"errors": [message]}
    if error_type:
        body["error_type"] = error_type
    if extras:
        body["extras"] = extras
    return _json(body, status, headers)


def _invalid(what: str) -> Response:
    return _error(400, f"You supplied invalid parameters to the request: {what}", "invalid_parameters")
