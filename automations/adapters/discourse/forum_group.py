"""`DiscourseForumGroup`: the forum's ambassadors group through Discourse's admin API (`requests`).

Four endpoints, as Discourse's `GroupsController` and `UsersController` answer them:
- `GET /groups/{name}.json`: the group, for its numeric id (the write endpoints take the id);
- `GET /groups/{name}/members.json?limit=&offset=`: the members, a page at a time (at most 1,000 a page;
  `meta.total` says how many), owners flagged in the `owners` list;
- `PUT` and `DELETE /groups/{id}/members.json` with `usernames` a comma-separated list: add answers the
  usernames it added, remove the ones it took out and those that were not members (`skipped_usernames`);
- `GET /u/{username}.json`: a user (matched in any case), 404 when there is none.

The admin API key travels in the `Api-Key` and `Api-Username` headers only, never in a URL, and
never in a message: errors name the endpoint and Discourse's own error text. Discourse allows an admin
key 60 requests a minute (a sliding window, shared by everything using the key), so the client never
sends more than `requests_per_minute` in any 60 seconds, and after a 429 waits what `Retry-After` (or
the body's `extras.wait_seconds`) says before trying again. A 5xx or no answer is tried again after a
doubling pause. Both within `max_attempts`; then `ServiceUnavailable` (exit 1; the next run reads the
group again and finishes). The minute's budget is kept by every process of the machine together: with a
`pace_file` (bootstrap passes `<local.dir>/.locks/pacing.json`) the send times live there
(`files.pacing.SharedPacer`, keyed `forum:<host>`), so the forum job of one command and of the next, or
of the scheduler's children side by side, never take the key over its minute together, and a 429's
wait holds every one of them off. A refused key is `StopRun` (exit 2); a refused change is `ForumRefused`.

A change retried after a lost answer may have landed the first time: a remove is then answered as
"skipped", an add of people who are all members already with a 422 "... already members of this
group." Both mean the group is as asked, so both are done, not refused.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from ...domain.forum import Member
from ...errors import ServiceUnavailable, StopRun
from ...ports import FORUM_BATCH, ForumRefused
from ...redaction import redact
from ..files.pacing import SharedPacer

PAGE = 1000  # members per page: Discourse's largest (MEMBERS_MAX_PAGE_SIZE)
WINDOW_SECONDS = 60.0  # Discourse counts an admin key's requests per minute
ALREADY_MEMBERS = re.compile(r"(is already a member|are already members) of this group")
LONGEST_WAIT = 120.0  # a 429 asking for longer than this (a daily limit) is not waited out in a run


@dataclass(frozen=True)
class DiscourseSettings:
    url: str  # the forum's address, e.g. https://forum.example.org
    group_name: str
    api_username: str
    api_key: str
    api_key_env: str  # for messages: the variable's name, never its value
    requests_per_minute: float = 60
    max_attempts: int = 5
    timeout_seconds: float = 30
    retry_backoff_seconds: float = 2


class DiscourseForumGroup:
    def __init__(self, settings: DiscourseSettings, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, page_size: int = PAGE, pace_file: Path | None = None):
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.page_size = page_size
        self.base = settings.url.rstrip("/")
        self.where = f"forum group '{settings.group_name}' at {self.base}"
        self.requests = 0
        self.retries = 0
        self.per_window = max(1, math.floor(settings.requests_per_minute))
        # A little over the minute, so the forum's own clock never counts one too many; keyed by the forum's host
        # (never a key or a password a URL might carry).
        where = urlsplit(self.base)
        try:
            port = where.port
        except ValueError:  # not a port: the host alone names the forum
            port = None
        host = f"{where.hostname or 'forum'}{f':{port}' if port else ''}"
        self.pacer = SharedPacer(pace_file, f"forum:{host}", self.per_window, WINDOW_SECONDS * 1.02, clock=clock,
                                 sleep=sleep, open_for=2 * settings.timeout_seconds + WINDOW_SECONDS)
        self._session = requests.Session()
        self._group_id: int | None = None

    # -- the port ------------------------------------------------------------------------------

    def ready(self) -> None:
        """Stop the run (one sentence) when there is no key to send: checked before a job changes anything."""
        if not self.settings.api_key:
            raise StopRun(f"forum.url is set, but the forum's admin API key is not: put it in the environment "
                          f"variable {self.settings.api_key_env} (nothing was changed).")

    def group_id(self) -> int:
        if self._group_id is None:
            body = self._call("GET", f"/groups/{quote(self.settings.group_name, safe='')}.json", "the group")
            try:
                self._group_id = int(body["group"]["id"])
            except (KeyError, TypeError, ValueError):
                raise ServiceUnavailable(f"The forum answered GET /groups/{self.settings.group_name}.json without "
                                         f"the group's id; the next run tries again.") from None
        return self._group_id

    def members(self) -> list[Member]:
        name = quote(self.settings.group_name, safe="")
        out: dict[str, Member] = {}
        offset = 0
        while True:
            body = self._call("GET", f"/groups/{name}/members.json", "the group's members",
                              params={"limit": self.page_size, "offset": offset})
            owners = {u.get("username") for u in body.get("owners") or []}
            page = body.get("members") or []
            for u in page:
                username = u.get("username")
                if username:
                    out[username.lower()] = Member(username, username in owners)
            total = int((body.get("meta") or {}).get("total", 0) or 0)
            offset += len(page)
            if not page or offset >= total:
                return list(out.values())

    def find_user(self, handle: str) -> str | None:
        body = self._call("GET", f"/u/{quote(handle, safe='')}.json", "a user", missing_ok=True)
        if body is None:
            return None
        return (body.get("user") or {}).get("username") or None

    def add(self, usernames: Sequence[str]) -> list[str]:
        self._batch(usernames)
        try:
            body = self._call("PUT", f"/groups/{self.group_id()}/members.json", "an add to the group",
                              json={"usernames": ",".join(usernames)}, refusable=True)
        except ForumRefused as exc:
            # Discourse refuses (422) an add of people who are all members already: after a lost answer the
            # first try landed (or someone added them meanwhile). The group is as asked: done.
            if str(exc).startswith("422:") and ALREADY_MEMBERS.search(str(exc)):
                return list(usernames)
            raise
        return list(body.get("usernames") or [])

    def remove(self, usernames: Sequence[str]) -> list[str]:
        self._batch(usernames)
        body = self._call("DELETE", f"/groups/{self.group_id()}/members.json", "a removal from the group",
                          json={"usernames": ",".join(usernames)}, refusable=True)
        return [*(body.get("usernames") or []), *(body.get("skipped_usernames") or [])]

    # -- HTTP ----------------------------------------------------------------------------------

    @staticmethod
    def _batch(usernames: Sequence[str]) -> None:
        if not usernames or len(usernames) > FORUM_BATCH:
            raise ValueError(f"a membership request carries 1 to {FORUM_BATCH} usernames, not {len(usernames)}")

    def _call(self, method: str, path: str, what: str, *, params: dict | None = None, json: Any = None,
              missing_ok: bool = False, refusable: bool = False) -> Any:
        """One API call, paced and retried within the budget; the decoded JSON answer (None: a 404 that
        `missing_ok` allows)."""
        s = self.settings
        self.ready()
        headers = {"Api-Key": s.api_key, "Api-Username": s.api_username, "Accept": "application/json"}
        last = ""
        for attempt in range(1, s.max_attempts + 1):
            if attempt > 1:
                self.retries += 1
            self.requests += 1
            try:
                with self.pacer.sending():
                    response = self._session.request(method, self.base + path, params=params, json=json,
                                                     headers=headers, timeout=s.timeout_seconds, allow_redirects=False)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"no answer ({type(exc).__name__})"
                self.sleep(s.retry_backoff_seconds * 2 ** (attempt - 1))
                continue
            status = response.status_code
            if status == 429:
                wait = _retry_after(response)
                last = f"429 rate limit, asked to wait {wait:g} seconds"
                if wait > LONGEST_WAIT:
                    break
                self.pacer.hold_off(wait)  # the key's budget is spent for every process using it
                if attempt < s.max_attempts:
                    self.sleep(wait)
                continue
            if status >= 500:
                last = f"{status} server error"
                self.sleep(s.retry_backoff_seconds * 2 ** (attempt - 1))
                continue
            if 200 <= status < 300:
                try:
                    return response.json()
                except ValueError:
                    raise ServiceUnavailable(f"The forum answered {method} {path} with something that is not JSON "
                                             f"(HTTP {status}); is forum.url ({self.base}) the forum's address?") from None
            return self._refused(response, method, path, what, missing_ok, refusable)
        raise ServiceUnavailable(f"The forum ({self.base}) did not answer {method} {path} after {attempt} "
                                 f"tr{'y' if attempt == 1 else 'ies'} (last: {last}); the next run completes the work.")

    def _refused(self, response: requests.Response, method: str, path: str, what: str, missing_ok: bool,
                 refusable: bool) -> None:
        s = self.settings
        status = response.status_code
        said = _errors(response)
        if status == 404 and missing_ok:
            return None
        if status == 403:
            raise StopRun(f"The forum ({self.base}) refused {method} {path} for the API user '{s.api_username}' "
                          f"with the key in {s.api_key_env} (403: {said}): check forum.api_username, and that the "
                          f"key is an admin key that is still active.")
        if status == 404:
            raise StopRun(f"The forum ({self.base}) has no group '{s.group_name}' that the API user "
                          f"'{s.api_username}' can see (404 on {what}): check forum.group_name and forum.url.")
        if status in (301, 302, 303, 307, 308):
            raise StopRun(f"The forum answered {method} {path} with a redirect ({status}): forum.url ({self.base}) "
                          f"should be the forum's own address (https://..., no path).")
        if refusable:
            raise ForumRefused(f"{status}: {said}")
        raise ServiceUnavailable(f"The forum refused {method} {path} ({status}: {said}).")


def _errors(response: requests.Response) -> str:
    """Discourse's error text (`{"errors": [...], "error_type": ...}`), or the status line; without any secret
    (`redaction`: a proxy in front may echo the request's headers, the Api-Key among them), redacted before it
    is cut so no part of a key is left."""
    return redact(_error_text(response))[:300]


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or f"HTTP {response.status_code}"
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        return "; ".join(str(e) for e in body["errors"])[:20000]
    if isinstance(body, list) and body:
        return "; ".join(str(e) for e in body)[:20000]
    return response.reason or f"HTTP {response.status_code}"


def _retry_after(response: requests.Response) -> float:
    """Seconds a 429 asks to wait: the Retry-After header, else the body's extras.wait_seconds, else 10."""
    header = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        return max(0.0, float(response.json()["extras"]["wait_seconds"]))
    except (ValueError, KeyError, TypeError):
        return 10.0
