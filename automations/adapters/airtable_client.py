"""`AirtableClient`: pyairtable, within Airtable's limits, with every request counted.

Airtable allows 5 requests a second per base and answers a 429 with a 30-second penalty on the
whole base; pyairtable's own retry gives up after about 3 seconds. So pyairtable's retry is
off and its HTTP session is replaced by one that (1) never sends more than the configured
requests in any second, (2) retries a 429, a 5xx or a dropped connection a bounded number of
times, waiting out the penalty after a 429, and (3) counts what it sends in a `Usage`.

Every write the stores make is an upsert on a key field, an update by record id or a delete by
id, so a retry after a lost reply cannot duplicate a record. The token goes in a header and
is never put into a message: errors name the table and Airtable's error type only.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

import requests
from pyairtable import Api
from pyairtable.api.table import Table

from ..errors import ServiceUnavailable, StopRun
from ..ports import WRITE_BATCH as BATCH
from ..ports import Usage

PAGE = 100  # records per list page


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


class _PacedSession(requests.Session):
    """A requests session that keeps to the rate limit, retries within a budget, and counts."""

    def __init__(self, settings: AirtableSettings, usage: Usage, clock: Callable[[], float],
                 sleep: Callable[[float], None]):
        super().__init__()
        self.settings = settings
        self.usage = usage
        self.clock = clock
        self.sleep = sleep
        self.per_second = max(1, math.floor(settings.requests_per_second))
        self.window = self.per_second / settings.requests_per_second  # seconds that hold per_second requests
        self.sent: deque[float] = deque(maxlen=self.per_second)
        #: Set while sending a request that is not safe to repeat (a plain create): only a 429, which Airtable
        #: answers before doing anything, is tried again.
        self.once = False

    def _pace(self) -> None:
        if len(self.sent) == self.per_second:
            # A little over the window, so a server counting with its own clock never sees one too many.
            wait = self.sent[0] + self.window * 1.05 - self.clock()
            if wait > 0:
                self.sleep(wait)
        self.sent.append(self.clock())

    def _count(self, method: str, url: str) -> None:
        if "/v0/meta/" in url:
            self.usage.meta += 1
        elif method == "GET" or url.endswith("/listRecords"):
            self.usage.reads += 1
        else:
            self.usage.writes += 1

    def request(self, method, url, *args, **kwargs):  # noqa: D401 - requests' signature
        s = self.settings
        last = ""
        for attempt in range(1, s.max_attempts + 1):
            if attempt > 1:
                self.usage.retries += 1
            self._pace()
            self._count(method.upper(), str(url))
            try:
                response = super().request(method, url, *args, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"no answer ({type(exc).__name__})"
                if self.once:
                    break
                self.sleep(s.retry_backoff_seconds * 2 ** (attempt - 1))
                continue
            if response.status_code == 429:
                last = "429 rate limit"
                self.sleep(s.rate_limit_wait_seconds)
                continue
            if response.status_code >= 500:
                last = f"{response.status_code} server error"
                if self.once:
                    break
                self.sleep(s.retry_backoff_seconds * 2 ** (attempt - 1))
                continue
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


def error_type(exc: requests.HTTPError) -> str:
    """Airtable's error type and message from a refused request (never the request's headers)."""
    try:
        body = exc.response.json()
    except ValueError:
        return f"HTTP {exc.response.status_code}"
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return f"{err.get('type', 'ERROR')}: {err.get('message', '')}".rstrip(": ")
    if isinstance(err, str):
        return err
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return f"{errors[0].get('error', 'ERROR')}: {errors[0].get('message', '')}"
    return f"HTTP {exc.response.status_code}"


class AirtableClient:
    """One base, one paced session, one `Usage`: shared by every Airtable adapter of a run."""

    def __init__(self, settings: AirtableSettings, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if not settings.token:
            raise StopRun(f"backend 'airtable' needs a personal access token in the environment variable "
                          f"{settings.token_env} (it is not set).")
        self.settings = settings
        self.usage = Usage("Airtable")
        kwargs: dict[str, Any] = {"timeout": (settings.timeout_seconds, settings.timeout_seconds),
                                  "retry_strategy": None}
        if settings.endpoint_url:
            kwargs["endpoint_url"] = settings.endpoint_url
        self.api = Api(settings.token, **kwargs)
        session = _PacedSession(settings, self.usage, clock, sleep)
        session.headers.update(self.api.session.headers)
        self.api.session = session
        self.base = self.api.base(settings.base_id)
        self._created = 0  # records `create` sent, for the usage's count of distinct records changed

    def table(self, name: str) -> Table:
        return self.base.table(name)

    def refused(self, exc: requests.HTTPError, what: str) -> StopRun:
        """A refused request as one sentence a person can act on."""
        status = exc.response.status_code
        kind = error_type(exc)
        if status == 401:
            return StopRun(f"Airtable refused the token in {self.settings.token_env} ({kind}): set a valid personal "
                           f"access token.")
        if status in (403, 404):
            return StopRun(f"Airtable: {what} cannot be reached with the token in {self.settings.token_env} ({kind}): "
                           f"check airtable.base_id, the table names and the token's scopes and access; "
                           f"`doctor` says which.")
        if status == 422:
            return StopRun(f"Airtable refused {what} ({kind}): run `doctor` to compare the base with the "
                           f"configuration.")
        return StopRun(f"Airtable refused {what} ({kind}).")

    # -- reading and writing in the fewest requests ---------------------------------------------------
    def all_records(self, name: str, fields: Sequence[str], optional: Sequence[str] = ()) -> list[dict]:
        """Every record of a table with only `fields`, in pages of 100 (the offset chain).

        `optional` fields are asked for too; if the table lacks one, it is read again without them.
        """
        wanted = list(dict.fromkeys([*fields, *optional]))
        try:
            records = self.table(name).all(fields=wanted, page_size=PAGE)
        except requests.HTTPError as exc:
            if optional and exc.response.status_code == 422 and "UNKNOWN_FIELD_NAME" in error_type(exc):
                return self.all_records(name, [f for f in fields if f not in optional])
            raise self.refused(exc, f"reading the table '{name}'") from None
        self.usage.read_table(name, max(1, math.ceil(len(records) / PAGE)))
        return records

    def upsert(self, name: str, records: Sequence[dict], key_field: str) -> None:
        """Create or update records matched on `key_field`, ten to a request (a rerun never duplicates)."""
        self.usage.change(name, (f[key_field] for f in records))
        self._write(name, records, lambda t, chunk: t.batch_upsert([{"fields": f} for f in chunk], [key_field],
                                                                   typecast=True))

    def update(self, name: str, records: Sequence[tuple[str, dict]]) -> None:
        """Update records by id, ten to a request; fields not named are left alone."""
        self.usage.change(name, (i for i, _ in records))
        self._write(name, records, lambda t, chunk: t.batch_update([{"id": i, "fields": f} for i, f in chunk],
                                                                   typecast=True))

    def create(self, name: str, records: Sequence[dict], key_fields: Sequence[str] = ()) -> None:
        """Create records, ten to a request. With `key_fields`, as upserts matched on them (a retry after a lost
        reply finds the records that landed); without, each request is sent once (a 429 apart), so a request
        left unanswered stops the run (`ServiceUnavailable`) rather than risking a second copy: the caller
        reads the table again on its next run and creates only what is missing."""
        self._created += len(records)
        self.usage.change(name, (("created", self._created - i) for i in range(len(records))))
        if key_fields:
            self._write(name, records, lambda t, chunk: t.batch_upsert([{"fields": f} for f in chunk],
                                                                       list(key_fields), typecast=True))
            return
        session = self.api.session

        def once(t: Table, chunk: Sequence) -> None:
            session.once = True
            try:
                t.batch_create(list(chunk), typecast=True)
            finally:
                session.once = False

        self._write(name, records, once)

    def delete(self, name: str, record_ids: Sequence[str]) -> None:
        self.usage.change(name, record_ids)

        def one(t: Table, chunk: Sequence[str]) -> None:
            try:
                t.batch_delete(list(chunk))
            except requests.HTTPError as exc:
                # After a lost reply the retry finds them gone already: done. Anything else is refused.
                if exc.response.status_code != 404:
                    raise

        self._write(name, record_ids, one)

    def _write(self, name: str, items: Sequence, send: Callable[[Table, Sequence], object]) -> None:
        if not items:
            return
        table = self.table(name)
        for chunk in chunks(items, BATCH):
            try:
                send(table, chunk)
            except requests.HTTPError as exc:
                raise self.refused(exc, f"a write to the table '{name}'") from None


def chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def present(value: object) -> bool:
    """Airtable leaves empty cells out of a record: these values are the same as no value."""
    if value is None or value is False:  # 0 is a value: an event with 0 attendees reported them
        return False
    return not (isinstance(value, (str, list, tuple)) and len(value) == 0)


def same(stored: dict, wanted: dict, names: Iterable[str]) -> bool:
    """Whether a stored record already holds the wanted values (empty and missing are alike)."""
    for n in names:
        a, b = stored.get(n), wanted.get(n)
        if not present(a) and not present(b):
            continue
        if isinstance(a, list) or isinstance(b, list):  # a multiple select: its order is not data
            if sorted(map(str, a or [])) != sorted(map(str, b or [])):
                return False
        elif a != b:
            return False
    return True
