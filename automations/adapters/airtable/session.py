"""Airtable's request limits kept in one HTTP session: pacing, retries and the count of what is sent.

Airtable allows 5 requests a second per base and answers a 429 with a 30-second penalty on the
whole base; pyairtable's own retry gives up after about 3 seconds. So `AirtableClient` turns
pyairtable's retry off and replaces its HTTP session by `PacedSession`, which (1) never sends more
than the configured requests in any second, (2) retries a 429, a 5xx or a dropped connection a
bounded number of times, waiting out the penalty after a 429, and (3) counts what it sends in a
`Usage`. Its messages name the table only, never the token.

The budget is kept by every process of the machine that talks to the base, together: with a
`pace_file` (bootstrap passes `<local.dir>/.locks/pacing.json`) the send times live there
(`files.pacing.SharedPacer`, keyed `airtable:<base id>`), so a command started right after another, or
beside it (the scheduler's children), never takes the base over the limit; a 429 one process meets
holds every process off for the penalty. A request holds its place from the moment it is sent until
its answer is back, and for a second after that (a little over: Airtable counts on its own clock).
Without a file (tests that build a client alone) the budget is this session's own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from ...errors import ServiceUnavailable
from ...ports import Usage
from ..files.pacing import SharedPacer


@dataclass(frozen=True)
class AirtableSettings:
    base_id: str
    token: str
    endpoint_url: str  # empty: the real API
    token_env: str  # for messages: the variable's name, never its value
    requests_per_second: float = 5
    max_attempts: int = 5
    rate_limit_wait_seconds: float = 30
    retry_backoff_seconds: float = 1
    timeout_seconds: float = 30


class PacedSession(requests.Session):
    """A requests session that keeps to the rate limit, retries within a budget, and counts."""

    def __init__(self, settings: AirtableSettings, usage: Usage, clock: Callable[[], float],
                 sleep: Callable[[float], None], pace_file: Path | None = None):
        super().__init__()
        self.settings = settings
        self.usage = usage
        self.clock = clock
        self.sleep = sleep
        self.per_second = max(1, math.floor(settings.requests_per_second))
        self.window = self.per_second / settings.requests_per_second  # seconds that hold per_second requests
        # A little over the window, so a server counting with its own clock never sees one too many. A request
        # in flight longer than both timeouts (connect and read) has been given up.
        self.pacer = SharedPacer(pace_file, f"airtable:{settings.base_id}", self.per_second, self.window * 1.05,
                                 clock=clock, sleep=sleep, open_for=2 * settings.timeout_seconds + self.window)
        #: Set while sending a request that is not safe to repeat (a plain create): only a 429, which Airtable
        #: answers before doing anything, is tried again.
        self.once = False
        #: The `Date` header of the last answer: Airtable's clock, which the mirrors' cursors are taken from.
        self.last_date: str | None = None

    def _count(self, method: str, url: str) -> None:
        if "/v0/meta/" in url:
            self.usage.meta += 1
        elif method == "GET" or url.endswith("/listRecords"):
            self.usage.reads += 1
        else:
            self.usage.writes += 1

    def request(self, method, url, *args, **kwargs):  # requests' signature
        s = self.settings
        last = ""
        for attempt in range(1, s.max_attempts + 1):
            if attempt > 1:
                self.usage.retries += 1
            self._count(method.upper(), str(url))
            try:
                with self.pacer.sending():
                    response = super().request(method, url, *args, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"no answer ({type(exc).__name__})"
                if self.once:
                    break
                self.sleep(s.retry_backoff_seconds * 2 ** (attempt - 1))
                continue
            if response.status_code == 429:
                last = "429 rate limit"
                self.pacer.hold_off(s.rate_limit_wait_seconds)  # every process waits the penalty out
                self.sleep(s.rate_limit_wait_seconds)
                continue
            if response.status_code >= 500:
                last = f"{response.status_code} server error"
                if self.once:
                    break
                self.sleep(s.retry_backoff_seconds * 2 ** (attempt - 1))
                continue
            self.last_date = response.headers.get("Date")
            return response
        if self.once:
            raise ServiceUnavailable(f"Airtable did not answer {method} {_table_of(str(url))} ({last}), a request not "
                                     f"safe to repeat: the next run finds what landed and completes the work.")
        raise ServiceUnavailable(f"Airtable did not answer {method} {_table_of(str(url))} after {s.max_attempts} "
                                 f"tries (last: {last}); the next run completes the work.")


def _table_of(url: str) -> str:
    path = url.split("?", 1)[0]
    parts = [requests.utils.unquote(p) for p in path.split("/v0/", 1)[-1].split("/")]
    return "/".join(parts[1:3]) if parts and parts[0] == "meta" else (parts[1] if len(parts) > 1 else path)
