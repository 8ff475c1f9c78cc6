"""A stateful fake of the Airtable Web API, served over real HTTP on loopback.

The real ``pyairtable`` client talks to it unchanged (``pyairtable.Api(token,
endpoint_url=fake.url)``), so tests exercise the same requests, pagination and error
handling that production does. It is deliberately not lenient: it enforces Airtable's
limits (10 records per write, 100 per page, 16,000-character URLs, N requests per
second per base followed by a 30 s penalty) and answers with Airtable's status codes and
error bodies. Faults (`tests.faults`: 429s, 5xx, dropped connections, replies lost after the
write was applied, requests held past the client's timeout, a token that expires after N
requests) are injected from a seeded RNG so retry and idempotency tests are repeatable,
and the rate limiter reads an injectable clock (ManualClock) so no test has to sleep.

Error bodies, and where they come from:
  401 {"error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}}
      for a missing or wrong token (Airtable support "API common troubleshooting"; the
      body as quoted in public issue threads).
  403 INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND with Airtable's long message, for an unknown
      base or table (body quoted on Airtable's "Errors" page; users report 403, not 404,
      for a wrong table name).
  404 {"error": {"type": "MODEL_ID_NOT_FOUND", "message": "Record not found"}} for an
      unknown record id (a recorded real GET response in a public nock fixture; reused for
      PATCH/PUT/DELETE of one record and for batch deletes).
  422 INVALID_RECORDS "A maximum of 10 records can be created per request but you have
      provided 11." (quoted by a pyairtable maintainer); ROW_DOES_NOT_EXIST "Record ID
      rec... does not exist in this table"; INVALID_VALUE_FOR_COLUMN 'Field "X" cannot
      accept ...'; INVALID_MULTIPLE_CHOICE_OPTIONS 'Insufficient permissions to create new
      select option ""X""' (doubled quotes as Airtable sends them);
      INVALID_FILTER_BY_FORMULA "The formula for filtering records is invalid: Unknown
      field names: x" / "...: Invalid formula. Please check your formula text.";
      INVALID_REQUEST_BODY "Could not parse request body" (all quoted in public issue
      threads); LIST_RECORDS_ITERATOR_NOT_AVAILABLE (type and status documented; the
      message is ours); UNKNOWN_FIELD_NAME (type seen; message format from memory).
  429 {"errors": [{"error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please
      try again later"}]} (real responses quoted in public issues; the Errors page gives
      the message). Note the list shape: there is no top-level "error" key.
Not verified against the live service (plausible, and flagged here on purpose): 404
  {"error": "NOT_FOUND"} for an undefined route, the 414 body, the 5xx bodies,
  INVALID_REQUEST_MISSING_FIELDS, INVALID_REQUEST_UNKNOWN for bad parameters and upsert
  conflicts, VIEW_NAME_NOT_FOUND, and the schema errors DUPLICATE_TABLE_NAME,
  DUPLICATE_OR_EMPTY_FIELD_NAME, INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE,
  UNSUPPORTED_FIELD_TYPE_FOR_CREATE, INVALID_PRIMARY_FIELD_TYPE.

Rate limit: more than ``rate_limit_per_second`` requests to one base inside any 1-second
window (by ``clock()``) answers 429 and starts a penalty of ``penalty_seconds`` during
which every request to that base answers 429. Airtable documents "wait 30 seconds" but
not whether requests during the penalty extend it; here they do not. The per-token limit
(50/s across bases) is not modelled; whoami is not rate limited.

Upserts match fieldsToMergeOn values exactly (case-sensitive); two records with the same key
in one request are refused (422) rather than guessed at. Field names are matched exactly,
but must be unique case-insensitively, as in Airtable.

Field types and cell shapes (Airtable's field model, as pyairtable's ``api/types.py`` and
``models/schema.py`` document them): a linked-record field (``multipleRecordLinks``, options
``{linkedTableId, isReversed, prefersSingleRecordLink}``) holds and takes an array of record ids of
the linked table; with typecast, text is matched against the linked table's primary field and a
record is created there when nothing matches (INTEGRATIONS.md). A collaborator
(``singleCollaborator``; ``multipleCollaborators``: an array) reads as ``{id, email, name}`` and is
written as ``{id}`` or ``{email}`` of a collaborator of the base (``add_user``); only ``id`` is sure
(pyairtable's ``CollaboratorDict`` marks ``email`` and ``name`` optional): ``add_user`` with no email
makes one read as ``{id, name}``. Deleting a record takes its id out of every link to it, as
Airtable's interface shows it (``remove`` does it as staff would, between two requests). Lookups
(``multipleLookupValues``: an array), formulas, rollups and counts are computed: the API neither
creates nor writes them (422 as for any computed field); tests make them with ``create_table`` /
``add_field`` (options as the schema shows them, with ``result``) and give their values to
``insert`` in the shape the API returns. Not modelled: the inverse field Airtable adds to the linked
table, recomputing lookups when their source changes. Not verified against the service (plausible,
flagged): ROW_DOES_NOT_EXIST for an unknown record id in a link, INVALID_VALUE_FOR_COLUMN for an
unknown collaborator. A text cell holds at most ``MAX_TEXT`` (100,000) characters, as Airtable support
documents for single line and long text fields; a longer one is 422 INVALID_VALUE_FOR_COLUMN (the code
plausible, not verified).

Permissions: ``permission_level`` is the token's user's level on the bases (``GET meta/bases``
``permissionLevel``): "create" (a creator) or "edit" (an Editor). An Editor's token is refused a new
select option even with typecast (422 INVALID_MULTIPLE_CHOICE_OPTIONS, 'Insufficient permissions to
create new select option ""X""': INTEGRATIONS.md and public threads quote it) and any schema change
(403 INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND: plausible, not verified).

Table descriptions: a table may carry a `description` (Airtable's table model: "description
optional<string>"), given when it is created (POST .../tables) or changed by PATCH
.../tables/{id} with `name` and/or `description` (Airtable's "Update table"); GET .../tables returns
it only when set. pyairtable's `Base.create_table` documents "Must be no longer than 20k
characters": a longer one, or one that is not a string, is refused here with 422
INVALID_REQUEST_UNKNOWN (the type is ours).

Formulas: only ``{Field} = 'text'``, ``{Field} = number``, ``= TRUE()/FALSE()``,
``RECORD_ID() = 'rec...'``, ``IS_AFTER(a, b)`` / ``IS_BEFORE(a, b)`` of ``CREATED_TIME()``,
``LAST_MODIFIED_TIME([{Field}, ...])`` and ``DATETIME_PARSE('ISO text')`` (INTEGRATIONS.md: what incremental
reads use), and AND/OR/NOT of those are understood; anything else answers 422 INVALID_FILTER_BY_FORMULA
although real Airtable would accept it. LAST_MODIFIED_TIME() is when any cell (with fields: any of those)
last changed through the API or a seeding helper, a record never changed answering its creation time for the
cells it was made with (Airtable documents "the most recent modification made by a user in a non-computed
field"; that an unmodified record answers its creation time is plausible, not verified: the program's
filter also asks CREATED_TIME(), so either way a new record is found). A computed value (a lookup) set by a
test moves no time, as Airtable's recomputation moves none; `remove` unlinking a deleted record moves none
either (not verified). Times are the fake's wall clock (`wall`, by default the real one), which also writes
every answer's `Date` header.
"""

from __future__ import annotations

import json
import math
import random
import re
import string
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request, Response

from tests.faults import Faults, Injectable, SilenceableHandler, silence
from tests.loopback import LoopbackServer

MAX_RECORDS_PER_WRITE = 10
MAX_PAGE_SIZE = 100
MAX_URL_LENGTH = 16_000
MAX_DESCRIPTION = 20_000  # characters of a table's description
ITERATOR_TTL_SECONDS = 600.0  # Airtable expires list iterators after "client inactivity"

_ID_CHARS = string.ascii_letters + string.digits
_PERMISSIONS_MESSAGE = ("Invalid permissions, or the requested model was not found. Check that both your "
                        "user and your token have the required permissions, and that the model names "
                        "and/or ids are correct.")
_RATE_LIMIT_BODY = {"errors": [{"error": "RATE_LIMIT_REACHED",
                                "message": "Rate limit exceeded. Please try again later"}]}
_BAD_PARAMS = "Invalid request: parameter validation failed. Check your request data."

#: The most characters a text cell holds (Airtable support, "Long text field" / "Single line text field":
#: 100,000 characters); a longer value is refused with INVALID_VALUE_FOR_COLUMN (the code plausible, not verified).
MAX_TEXT = 100_000
_TEXT_TYPES = {"singleLineText", "multilineText", "email", "url", "phoneNumber", "richText"}
_MAX_PRECISION = {"number": 8, "percent": 8, "currency": 7}
_LINK = "multipleRecordLinks"
_PEOPLE = {"singleCollaborator", "multipleCollaborators"}
_WRITABLE_TYPES = _TEXT_TYPES | set(_MAX_PRECISION) | {"checkbox", "date", "dateTime", "singleSelect",
                                                        "multipleSelects", _LINK} | _PEOPLE
# Computed by Airtable: never written through the API, nor created by it; seeded by tests with their values.
_COMPUTED_TYPES = {"formula", "rollup", "multipleLookupValues", "count"}
_RECORD_ID = re.compile(r"^rec[A-Za-z0-9]{14}$")
_NOT_PRIMARY = {"checkbox", "singleSelect", "multipleSelects"}
_DATE_FORMATS = {"local": "l", "friendly": "LL", "us": "M/D/YYYY", "european": "D/M/YYYY", "iso": "YYYY-MM-DD"}
_TIME_FORMATS = {"12hour": "h:mma", "24hour": "HH:mm"}
_CHECKBOX_COLORS = {"greenBright", "tealBright", "cyanBright", "blueBright", "purpleBright", "pinkBright",
                    "redBright", "orangeBright", "yellowBright", "grayBright"}
_CHECKBOX_ICONS = {"check", "xCheckbox", "star", "heart", "thumbsUp", "flag", "dot"}
_CHOICE_COLORS = ["blueLight2", "cyanLight2", "tealLight2", "greenLight2", "yellowLight2", "orangeLight2",
                  "redLight2", "pinkLight2", "purpleLight2", "grayLight2"]


class ManualClock:
    """A clock that only moves when told to, so rate-limit tests need not sleep."""

    def __init__(self, start: float = 0.0):
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def wall(self) -> datetime:
        """The clock as a wall time (a fixed day plus its seconds): a fake base's created and modified times."""
        return datetime(2026, 12, 1, tzinfo=UTC) + timedelta(seconds=self.now())

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not run backwards")
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)


@dataclass
class RequestInfo:
    """One HTTP request as the fake saw it. status is None when the connection was dropped
    before any answer; fault is "429", "5xx", "drop", "lost_reply", "timeout", "token_expired" or None."""
    method: str
    path: str
    status: int | None
    base_id: str | None
    table: str | None
    records: int
    at: float
    kind: str  # "read" | "write" | "meta" | "other"
    fault: str | None = None


class ApiError(Exception):
    """An answer other than 200; raised anywhere below and turned into the HTTP reply."""

    def __init__(self, status: int, error_type: str | None = None, message: str | None = None,
                 body: Any = None):
        if body is None:
            body = {"error": {"type": error_type, "message": message} if message else {"type": error_type}}
        super().__init__(status, body)
        self.status, self.body = status, body


def _unprocessable(error_type: str, message: str | None = None) -> ApiError:
    return ApiError(422, error_type, message)


def _bad_params(message: str = _BAD_PARAMS) -> ApiError:
    return _unprocessable("INVALID_REQUEST_UNKNOWN", message)


def _no_model() -> ApiError:
    return ApiError(403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", _PERMISSIONS_MESSAGE)


def _no_route() -> ApiError:
    return ApiError(404, body={"error": "NOT_FOUND"})


def _no_record() -> ApiError:
    return ApiError(404, "MODEL_ID_NOT_FOUND", "Record not found")


# ---------------------------------------------------------------------------------------------
# Values: what a field accepts on write and how it is stored (stored values are never empty).

def _js_number(value: float | int) -> float | int:
    # Airtable serialises numbers the JavaScript way: 3.0 comes back as 3.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _rounded(value: float, places: int) -> float | int:
    quantum = Decimal(1).scaleb(-places)
    return _js_number(float(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)))


def _zone(name: str | None):
    if not name or name in ("utc", "client"):
        return UTC
    return ZoneInfo(name)


def _iso_utc(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _parse_date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # A full timestamp is accepted and truncated to its (UTC) date.
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date().isoformat()


def _parse_datetime(value: Any, zone_name: str | None) -> str | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:  # no offset given: the field's time zone applies
        moment = moment.replace(tzinfo=_zone(zone_name))
    return _iso_utc(moment)


def _as_text(value: Any) -> str:
    """A stored value as formulas and cellFormat=string see it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ", ".join(_as_text(v) for v in value)
    if isinstance(value, dict):  # a collaborator shows their name
        return str(value.get("name") or value.get("email") or "")
    return str(_js_number(value)) if isinstance(value, float) else str(value)


def _as_number(value: Any) -> float | None:
    if value is None:
        return 0.0  # a blank cell equals 0 in Airtable formulas
    if isinstance(value, (bool, int, float)):
        return float(value)
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# filterByFormula: a small parser for the subset documented in the module docstring.

_TOKEN = re.compile(r"""\s*(?:(?P<field>\{[^}]*\})|(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
                    r"""|(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_]\w*)|(?P<op>[=(),]))""")


def _formula_error(detail: str = "Invalid formula. Please check your formula text.") -> ApiError:
    return _unprocessable("INVALID_FILTER_BY_FORMULA", f"The formula for filtering records is invalid: {detail}")


class _Formula:
    def __init__(self, text: str, table: _Table):
        self.table, self.tokens, self.pos, self.unknown = table, [], 0, []
        at = 0
        text = text.rstrip()
        while at < len(text):
            m = _TOKEN.match(text, at)
            if not m:
                raise _formula_error()
            self.tokens.append((m.lastgroup, m.group(m.lastgroup)))
            at = m.end()
        self.tree = self._expr()
        if self.pos != len(self.tokens):
            raise _formula_error()
        if self.unknown:
            raise _formula_error("Unknown field names: " + ", ".join(n.lower() for n in self.unknown))

    def _take(self, kind: str | None = None, text: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise _formula_error()
        token = self.tokens[self.pos]
        if (kind and token[0] != kind) or (text and token[1] != text):
            raise _formula_error()
        self.pos += 1
        return token

    def _peek(self, offset: int = 0) -> tuple[str, str]:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else ("end", "")

    def _expr(self):
        kind, text = self._peek()
        name = text.upper()
        if kind == "name" and name in ("AND", "OR", "NOT", "IS_AFTER", "IS_BEFORE") and self._peek(1) == ("op", "("):
            self.pos += 2
            args = [self._expr() if name in ("AND", "OR", "NOT") else self._operand()]
            while self._peek() == ("op", ","):
                self.pos += 1
                args.append(self._expr() if name in ("AND", "OR", "NOT") else self._operand())
            self._take("op", ")")
            if (name == "NOT" and len(args) != 1) or (name.startswith("IS_") and len(args) != 2):
                raise _formula_error()
            return (name, args)
        left = self._operand()
        self._take("op", "=")
        return ("EQ", left, self._operand())

    def _operand(self):
        kind, text = self._take()
        if kind == "field":
            field = self.table.field(text[1:-1])
            if field is None:
                self.unknown.append(text[1:-1])
                return ("const", None)
            return ("field", field["id"])
        if kind == "str":
            return ("const", re.sub(r"\\(.)", r"\1", text[1:-1]))
        if kind == "num":
            return ("const", float(text))
        name = text.upper()
        if kind == "name" and name in ("RECORD_ID", "TRUE", "FALSE", "CREATED_TIME", "LAST_MODIFIED_TIME",
                                       "DATETIME_PARSE"):
            self._take("op", "(")
            args = []
            while self._peek() != ("op", ")"):
                if args:
                    self._take("op", ",")
                args.append(self._operand())
            self._take("op", ")")
            if name == "LAST_MODIFIED_TIME":
                if any(a[0] != "field" and a != ("const", None) for a in args):
                    raise _formula_error()
                return ("modified", [a[1] for a in args if a[0] == "field"] if args else None)
            if name == "DATETIME_PARSE":
                if len(args) != 1 or args[0][0] != "const" or not isinstance(args[0][1], str):
                    raise _formula_error()
                return ("const", _moment(args[0][1]))
            if args:
                raise _formula_error()
            return {"RECORD_ID": ("record_id", None), "CREATED_TIME": ("created", None)}.get(
                name, ("const", name == "TRUE"))
        raise _formula_error()

    def matches(self, record: dict) -> bool:
        return self._eval(self.tree, record)

    def _eval(self, node, record) -> bool:
        if node[0] == "AND":
            return all(self._eval(n, record) for n in node[1])
        if node[0] == "OR":
            return any(self._eval(n, record) for n in node[1])
        if node[0] == "NOT":
            return not self._eval(node[1][0], record)
        if node[0] in ("IS_AFTER", "IS_BEFORE"):
            # Dates compared as moments; a blank (a cell never set, text that is no date) compares as false.
            a, b = (_moment(self._value(n, record)) for n in node[1])
            if a is None or b is None:
                return False
            return a > b if node[0] == "IS_AFTER" else a < b
        left, right = (self._value(n, record) for n in node[1:])
        if any(isinstance(v, (bool, int, float)) for v in (left, right)):
            a, b = _as_number(left), _as_number(right)
            return a is not None and a == b
        return _as_text(left) == _as_text(right)

    @staticmethod
    def _value(node, record):
        if node[0] == "field":
            return record["cells"].get(node[1])
        if node[0] == "created":
            return record["createdTime"]
        if node[0] == "modified":
            # LAST_MODIFIED_TIME(): when any of the named cells (no names: any cell) last changed; a record never
            # changed since it was made answers its creation time for the cells it was made with.
            stamps = record.get("modified", {})
            times = [t for k, t in stamps.items() if node[1] is None or k in node[1]]
            return max(times) if times else None
        return record["id"] if node[0] == "record_id" else node[1]


def _moment(value: Any) -> datetime | None:
    """A value as a moment in UTC, as IS_AFTER reads it (an ISO text or a datetime); None: no date."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Schema: tables and fields, kept in the same shape GET .../tables returns.

class _Table:
    def __init__(self, table_id: str, name: str, fields: list[dict], view_id: str, description: str | None):
        self.id, self.name, self.fields, self.description = table_id, name, fields, description
        self.view = {"id": view_id, "name": "Grid view", "type": "grid"}
        self.records: dict[str, dict] = {}  # id -> {"id", "createdTime", "cells": {field id: value}}

    def field(self, key: str) -> dict | None:
        # The API matches field names exactly (case-sensitive), or field ids.
        return next((f for f in self.fields if key in (f["id"], f["name"])), None)

    def meta(self, visible_fields: bool = False) -> dict:
        view = dict(self.view)
        if visible_fields:
            view["visibleFieldIds"] = [f["id"] for f in self.fields]
        out = {"id": self.id, "name": self.name, "primaryFieldId": self.fields[0]["id"],
               "fields": json.loads(json.dumps(self.fields)), "views": [view]}
        if self.description:
            out["description"] = self.description
        return out


def _options_error(field_name: str, detail: str) -> ApiError:
    return _unprocessable("INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE",
                          f'Invalid options for field "{field_name}": {detail}')


def _format_option(value: Any, names: dict[str, str], what: str, field_name: str) -> dict:
    # Airtable takes {"name": ...} with an optional "format" that must match the name.
    if not isinstance(value, dict) or value.get("name") not in names:
        raise _options_error(field_name, f"{what}.name must be one of {sorted(names)}")
    if value.get("format", names[value["name"]]) != names[value["name"]]:
        raise _options_error(field_name, f"{what}.format does not match {what}.name")
    return {"name": value["name"], "format": names[value["name"]]}


# ---------------------------------------------------------------------------------------------

class _Handler(SilenceableHandler):
    """Answers carry the fake's own clock in their `Date` header (Airtable's clock, to the client)."""

    def date_time_string(self, timestamp=None):
        fake = getattr(self.server.app, "__self__", None)
        if timestamp is None and isinstance(fake, FakeAirtable):
            return format_datetime(fake.now(), usegmt=True)
        return super().date_time_string(timestamp)


class FakeAirtable(Injectable, LoopbackServer):
    """The fake service. See the module docstring for what it models."""

    server_name = "fake-airtable"
    request_handler = _Handler

    def __init__(self, token: str = "patFAKE.secret", base_ids: tuple[str, ...] = ("appTEST0000000001",),
                 rate_limit_per_second: int | None = 5, penalty_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic, permission_level: str = "create",
                 wall: Callable[[], datetime] | None = None):
        self.token = token
        #: The base's wall clock: records' created and modified times and the answers' `Date` header. A test on a
        #: ManualClock passes one that moves with it (`ManualClock.wall`), so times between runs are the clock's.
        self.wall = wall
        #: The token's user's permission on the bases: "create" (a creator: may add select options with typecast,
        #: tables and fields) or "edit" (an Editor: records only). Tests may change it between requests.
        self.permission_level = permission_level
        self.users: dict[str, dict] = {}  # the bases' collaborators by user id: {id, email, name}
        self._seed = False  # inside a seeding helper: computed values and unknown collaborators are taken
        self.rate_limit_per_second = rate_limit_per_second
        self.penalty_seconds = penalty_seconds
        self.clock = clock
        self.on_request: Callable[[RequestInfo], None] | None = None
        #: Set to a status: every request is answered so, with an error message repeating the request's headers
        #: (the token's `Authorization: Bearer ...` included), as a debugging proxy or misconfigured gateway in
        #: front of the API does. Not Airtable's own behaviour (issue 18: such a body must never get the token
        #: printed).
        self.echo_headers_status: int | None = None
        self.requests: list[RequestInfo] = []
        self.url: str | None = None
        self._lock = threading.RLock()
        self._ids = random.Random()
        self._bases: dict[str, dict[str, _Table]] = {b: {} for b in base_ids}
        self._windows: dict[str, deque] = {}
        self._penalty_until: dict[str, float] = {}
        self._iterators: dict[str, dict] = {}
        self.faults = Faults()

    # -- lifecycle --------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.wall() if self.wall is not None else datetime.now(UTC)

    @property
    def _fault_lock(self):
        return self._lock

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def rate_window_clear(self, base_id: str) -> bool:
        """Whether no request to `base_id` lies in the rate limit's current 1-second window and no penalty
        runs: a client that paces itself from now on meets no 429 left by an earlier one (a test waits on
        this after killing a client mid-run, instead of sleeping a guessed second)."""
        with self._lock:
            now = self.clock()
            window = self._windows.get(base_id, ())
            return now >= self._penalty_until.get(base_id, -math.inf) and not [t for t in window if t > now - 1.0]

    # -- seeding and inspection (no HTTP, no rate limit, not logged) -------------------------

    def create_table(self, base_id: str, name: str, fields: list[dict], description: str | None = None) -> dict:
        """A table as staff made it in Airtable's interface: besides what the API creates, its fields may be
        lookups, formulas, rollups and counts (`options` as the schema shows them, with `result`)."""
        body = {"name": name, "fields": fields, **({"description": description} if description else {})}
        with self._lock:
            return self._seeding(self._create_table, base_id, body)

    def add_field(self, base_id: str, table: str, spec: dict) -> dict:
        """A field added in Airtable's interface (any type `create_table` takes), at the end of the table."""
        with self._lock:
            t = self._seeding(self._table, base_id, table)
            field = self._seeding(self._build_field, spec, {f["name"].lower() for f in t.fields}, base_id)
            t.fields.append(field)
            return json.loads(json.dumps(field))

    def add_user(self, email: str, name: str) -> dict:
        """A collaborator of the bases (whom collaborator fields can name); with `email` "", one whom the API
        gives without an email ({id, name})."""
        with self._lock:
            user = {"id": self._new_id("usr"), **({"email": email} if email else {}), "name": name}
            self.users[user["id"]] = user
            return dict(user)

    def remove(self, base_id: str, table: str, record_ids: list[str]) -> None:
        """Delete records as staff do in Airtable's interface (no HTTP, not logged), links to them included."""
        with self._lock:
            t = self._seeding(self._table, base_id, table)
            for record_id in record_ids:
                del t.records[record_id]
            self._unlink(set(record_ids))

    def delete_table(self, base_id: str, table: str) -> None:
        """Delete a table as staff do in Airtable's interface (the Web API has no endpoint that deletes a table:
        https://airtable.com/developers/web/api/model/table-model lists create and update only). A table another
        table links to is refused here: what Airtable then does to the linking fields (they become text) is not
        modelled."""
        with self._lock:
            t = self._seeding(self._table, base_id, table)
            base = self._base(base_id)
            linking = [f["name"] for other in base.values() if other is not t for f in other.fields
                       if (f.get("options") or {}).get("linkedTableId") == t.id]
            if linking:
                raise ValueError(f"fields {linking} link to table {t.name}: deleting it is not modelled")
            for key in [k for k, v in base.items() if v is t]:
                del base[key]

    def tables(self, base_id: str) -> list[dict]:
        with self._lock:
            return [t.meta() for t in self._seeding(self._base, base_id).values()]

    def records(self, base_id: str, table: str) -> list[dict]:
        with self._lock:
            t = self._seeding(self._table, base_id, table)
            return [self._render(t, r) for r in t.records.values()]

    def insert(self, base_id: str, table: str, rows: list[dict]) -> list[dict]:
        """Create records as the API would with typecast=true, but without the 10-record limit and whatever the
        token's permission. Computed fields (lookup, formula, rollup, count) take the value given, in the shape
        the API returns it (a lookup: an array); a collaborator given as {email, name} is added to the users."""
        with self._lock:
            t = self._seeding(self._table, base_id, table)
            pending: dict[str, list[str]] = {}
            cells = [self._seeding(self._cells, t, row, True, pending) for row in rows]
            self._commit_choices(t, pending)
            return [self._render(t, self._new_record(t, c)) for c in cells]

    def _seeding(self, func, *args):
        self._seed = True
        try:
            return func(*args)
        except ApiError as e:
            raise ValueError(e.body) from None
        finally:
            self._seed = False

    # -- HTTP plumbing -----------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
        raw_path = raw.split("?", 1)[0]
        parts = raw_path.split("/")
        # Split the raw path, then decode, so a table name containing "%2F" stays one segment.
        segments = [unquote(p) for p in parts[2:]] if parts[:2] == ["", "v0"] else None
        info = self._describe(request, raw_path, segments)
        if self.on_request is not None:
            self.on_request(info)
        with self._lock:
            fault = self._draw_fault()
            if self.echo_headers_status is not None:
                status = self.echo_headers_status
                body = {"error": {"type": "INVALID_REQUEST_UNKNOWN",
                                  "message": f"Invalid request; request headers: {dict(request.headers)}"}}
            elif fault == "429":
                status, body = 429, _RATE_LIMIT_BODY
            elif fault == "5xx":
                status = self._dice.rng.choice((500, 502, 503))
                body = {"error": {"type": "SERVER_ERROR", "message": "Server error, please retry"}}
            elif fault in ("drop", "timeout"):
                status, body = None, None
            else:
                status, body = self._handle(request, segments, info, len(request.host_url) - 1 + len(raw))
            limit = self._faults.token_expires_after
            if status == 401 and limit is not None and self._dice.authenticated > limit:
                fault = "token_expired"
            info.status, info.fault = status, fault
            self.requests.append(info)
        if fault == "timeout":  # held past the client's timeout (outside the lock: others go on)
            time.sleep(self._faults.hold_seconds)
        if fault in ("drop", "lost_reply", "timeout"):
            silence(environ)
        code = status or 500
        response = Response(json.dumps(body), status=f"{code} {HTTPStatus(code).phrase}",
                            content_type="application/json; charset=utf-8")
        return response(environ, start_response)

    def _draw_fault(self) -> str | None:
        return self._dice.draw(("429", "5xx", "drop", "lost_reply", "timeout"))

    def _describe(self, request: Request, path: str, segs: list[str] | None) -> RequestInfo:
        method, kind, base, table, count = request.method, "other", None, None, 0
        if segs and segs[0] == "meta":
            kind = "meta"
            if len(segs) > 2 and segs[1] == "bases":
                base, table = segs[2], (segs[4] if len(segs) > 4 else None)
        elif segs and len(segs) in (2, 3) and segs[0]:
            base, table = segs[0], segs[1]
            if method == "GET" or (method == "POST" and segs[2:] == ["listRecords"]):
                kind = "read"
            elif method in ("POST", "PATCH", "PUT", "DELETE") and not (method == "POST" and len(segs) == 3):
                kind, count = "write", self._write_size(request, len(segs) == 3)
        return RequestInfo(method, path, None, base, table, count, self.clock(), kind)

    @staticmethod
    def _write_size(request: Request, single: bool) -> int:
        if single:
            return 1
        if request.method == "DELETE":
            return len(request.args.getlist("records[]"))
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            return 0
        if isinstance(body, dict) and isinstance(body.get("records"), list):
            return len(body["records"])
        return 1 if isinstance(body, dict) and "fields" in body else 0

    def _handle(self, request: Request, segs: list[str] | None, info: RequestInfo, url_length: int):
        try:
            if url_length > MAX_URL_LENGTH:
                raise ApiError(414, "URL_TOO_LONG", f"The URL is {url_length} characters long; the limit is "
                                                    f"{MAX_URL_LENGTH}. Use POST .../listRecords instead.")
            # An expired token (faults.token_expires_after) answers as a wrong one does.
            if request.headers.get("Authorization") != f"Bearer {self.token}" or self._dice.token_expired():
                raise ApiError(401, "AUTHENTICATION_REQUIRED", "Authentication required")
            if not segs:
                raise _no_route()
            if info.base_id is not None:
                self._check_rate(info.base_id, info.at)
            body = self._meta(request, segs[1:]) if segs[0] == "meta" else self._data(request, segs, info)
            return 200, body
        except ApiError as e:
            return e.status, e.body

    def _check_rate(self, base_id: str, now: float) -> None:
        if self.rate_limit_per_second is None:
            return
        if now < self._penalty_until.get(base_id, -math.inf):
            raise ApiError(429, body=_RATE_LIMIT_BODY)  # does not extend the penalty
        window = self._windows.setdefault(base_id, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.rate_limit_per_second:
            self._penalty_until[base_id] = now + self.penalty_seconds
            raise ApiError(429, body=_RATE_LIMIT_BODY)
        window.append(now)

    @staticmethod
    def _json_body(request: Request) -> dict:
        try:
            body = json.loads(request.get_data() or b"")
        except ValueError:
            raise _unprocessable("INVALID_REQUEST_BODY", "Could not parse request body") from None
        if not isinstance(body, dict):
            raise _unprocessable("INVALID_REQUEST_BODY", "Could not parse request body")
        return body

    # -- lookups and small helpers -------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return prefix + "".join(self._ids.choice(_ID_CHARS) for _ in range(14))

    def _base(self, base_id: str) -> dict[str, _Table]:
        if base_id not in self._bases:
            raise _no_model()
        return self._bases[base_id]

    def _table(self, base_id: str, key: str) -> _Table:
        tables = self._base(base_id)
        found = tables.get(key) or next((t for t in tables.values() if t.name == key), None)
        if found is None:
            raise _no_model()
        return found

    @staticmethod
    def _field(table: _Table, key: Any) -> dict:
        field = table.field(key) if isinstance(key, str) else None
        if field is None:
            raise _unprocessable("UNKNOWN_FIELD_NAME", f'Unknown field name: "{key}"')
        return field

    @staticmethod
    def _flag(source: dict, key: str) -> bool:
        value = source.get(key, False)
        if isinstance(value, str):  # query-string form
            if value.lower() in ("1", "true", "0", "false", ""):
                return value.lower() in ("1", "true")
            raise _bad_params()
        if value is None or isinstance(value, bool):
            return bool(value)
        raise _bad_params()

    @staticmethod
    def _only_keys(body: dict, allowed: set[str]) -> None:
        extra = sorted(set(body) - allowed)
        if extra:
            raise _bad_params(f"{_BAD_PARAMS} Unknown parameter(s): {', '.join(extra)}")

    def _render(self, table: _Table, record: dict, by_id: bool = False, only: set[str] | None = None,
                as_string: bool = False, comment_count: bool = False) -> dict:
        fields = {}
        for f in table.fields:
            value = record["cells"].get(f["id"])
            if value is None or (only is not None and f["id"] not in only):
                continue  # empty cells are omitted, as Airtable does
            fields[f["id"] if by_id else f["name"]] = _as_text(value) if as_string else json.loads(json.dumps(value))
        out = {"id": record["id"], "createdTime": record["createdTime"], "fields": fields}
        if comment_count:
            out["commentCount"] = 0
        return out

    # -- records -----------------------------------------------------------------------------

    def _data(self, request: Request, segs: list[str], info: RequestInfo):
        if len(segs) not in (2, 3) or not segs[0]:
            raise _no_route()
        table, method = self._table(segs[0], segs[1]), request.method
        if len(segs) == 2:
            if method == "GET":
                return self._list(table, self._query_options(request), info)
            handlers = {"POST": self._create, "PATCH": self._update_many, "PUT": self._update_many,
                        "DELETE": self._delete_many}
            if method in handlers:
                return handlers[method](table, request)
        elif segs[2] == "listRecords":
            if method == "POST":
                options = {**self._json_body(request), **{k: request.args[k] for k in ("timeZone", "userLocale")
                                                          if k in request.args}}
                return self._list(table, options, info)
        else:
            return self._one(table, request, segs[2], info)
        raise _no_route()

    @staticmethod
    def _query_options(request: Request) -> dict:
        args, options, sort = request.args, {}, {}
        for key in ("pageSize", "maxRecords", "offset", "filterByFormula", "view", "cellFormat", "timeZone",
                    "userLocale", "returnFieldsByFieldId"):
            if key in args:
                options[key] = args[key]
        if "fields[]" in args:
            options["fields"] = args.getlist("fields[]")
        if "recordMetadata[]" in args:
            options["recordMetadata"] = args.getlist("recordMetadata[]")
        for key, value in args.items(multi=True):
            m = re.fullmatch(r"sort\[(\d+)\]\[(field|direction)\]", key)
            if m:
                sort.setdefault(int(m.group(1)), {})[m.group(2)] = value
        if sort:
            options["sort"] = [sort[i] for i in sorted(sort)]
        return options

    @staticmethod
    def _int_option(options: dict, key: str, low: int, high: int | None, default: int | None) -> int | None:
        value = options.get(key)
        if value is None:
            return default
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
            raise _bad_params(f"{_BAD_PARAMS} {key} must be an integer from {low}"
                              + (f" to {high}" if high else ""))
        return value

    def _list(self, table: _Table, options: dict, info: RequestInfo) -> dict:
        page_size = self._int_option(options, "pageSize", 1, MAX_PAGE_SIZE, MAX_PAGE_SIZE)
        max_records = self._int_option(options, "maxRecords", 1, None, None)
        by_id = self._flag(options, "returnFieldsByFieldId")
        as_string = self._cell_format(options)
        only = None
        if options.get("fields") is not None:
            if not isinstance(options["fields"], list):
                raise _bad_params()
            only = {self._field(table, key)["id"] for key in options["fields"]}
        metadata = options.get("recordMetadata") or []
        if options.get("offset"):
            ids, position = self._resume(table, options["offset"], info.at)
        else:
            self._check_view(table, options.get("view"))
            found = list(table.records.values())
            if options.get("filterByFormula"):
                if not isinstance(options["filterByFormula"], str):
                    raise _bad_params()
                formula = _Formula(options["filterByFormula"], table)
                found = [r for r in found if formula.matches(r)]
            ids, position = [r["id"] for r in self._sorted(table, found, options.get("sort"))][:max_records], 0
        page = []
        while position < len(ids) and len(page) < page_size:
            record = table.records.get(ids[position])  # deleted since the first page: skipped
            position += 1
            if record is not None:
                page.append(record)
        out = {"records": [self._render(table, r, by_id, only, as_string, "commentCount" in metadata) for r in page]}
        if position < len(ids):
            out["offset"] = self._new_iterator(table, ids, position, info.at)
        info.records = len(page)
        return out

    @staticmethod
    def _cell_format(options: dict) -> bool:
        cell_format = options.get("cellFormat", "json")
        if cell_format not in ("json", "string"):
            raise _bad_params(f"{_BAD_PARAMS} cellFormat must be json or string")
        if cell_format == "string" and not (options.get("timeZone") and options.get("userLocale")):
            raise _bad_params(f"{_BAD_PARAMS} timeZone and userLocale are required when cellFormat is string")
        return cell_format == "string"

    @staticmethod
    def _check_view(table: _Table, view: Any) -> None:
        if view is not None and view not in (table.view["id"], table.view["name"]):
            raise _unprocessable("VIEW_NAME_NOT_FOUND", f'Could not find view "{view}" in table {table.name}')

    def _sorted(self, table: _Table, found: list[dict], sort: Any) -> list[dict]:
        if sort is None:
            return found
        if not isinstance(sort, list) or not all(isinstance(s, dict) and "field" in s for s in sort):
            raise _bad_params()
        for spec in reversed(sort):  # stable sorts, last key first
            field_id = self._field(table, spec["field"])["id"]
            direction = spec.get("direction", "asc")
            if direction not in ("asc", "desc"):
                raise _bad_params(f"{_BAD_PARAMS} sort direction must be asc or desc")

            def key(record, fid=field_id):
                value = record["cells"].get(fid)
                if value is None:
                    return (0, 0)
                return (1, value) if isinstance(value, (int, float)) else (2, _as_text(value).lower())

            found.sort(key=key, reverse=direction == "desc")
        return found

    def _new_iterator(self, table: _Table, ids: list[str], position: int, now: float) -> str:
        for token in [k for k, v in self._iterators.items() if now - v["at"] > ITERATOR_TTL_SECONDS]:
            del self._iterators[token]
        token = f"{self._new_id('itr')}/{ids[position]}"
        self._iterators[token] = {"table": table.id, "ids": ids, "position": position, "at": now}
        return token

    def _resume(self, table: _Table, token: Any, now: float) -> tuple[list[str], int]:
        state = self._iterators.get(token) if isinstance(token, str) else None
        if state is None or state["table"] != table.id or now - state["at"] > ITERATOR_TTL_SECONDS:
            raise _unprocessable("LIST_RECORDS_ITERATOR_NOT_AVAILABLE",
                                 "The list records iterator is no longer available; start listing again")
        return state["ids"], state["position"]

    def _one(self, table: _Table, request: Request, record_id: str, info: RequestInfo):
        record = table.records.get(record_id)
        if record is None:
            raise _no_record()
        if request.method == "GET":
            options, info.records = request.args, 1
            return self._render(table, record, self._flag(options, "returnFieldsByFieldId"), None,
                                self._cell_format(options))
        if request.method == "DELETE":
            del table.records[record_id]
            return {"id": record_id, "deleted": True}
        if request.method in ("PATCH", "PUT"):
            body = self._json_body(request)
            self._only_keys(body, {"fields", "typecast", "returnFieldsByFieldId"})
            pending: dict[str, list[str]] = {}
            cells = self._cells(table, self._fields_of(body), self._flag(body, "typecast"), pending)
            self._commit_choices(table, pending)
            self._apply(record, cells, replace=request.method == "PUT")
            return self._render(table, record, self._flag(body, "returnFieldsByFieldId"))
        raise _no_route()

    @staticmethod
    def _record_list(value: Any, verb: str) -> list[dict]:
        if not isinstance(value, list) or not value:
            raise _unprocessable("INVALID_RECORDS", "You must provide an array of up to 10 record objects")
        if len(value) > MAX_RECORDS_PER_WRITE:
            raise _unprocessable("INVALID_RECORDS", f"A maximum of {MAX_RECORDS_PER_WRITE} records can be {verb} "
                                                    f"per request but you have provided {len(value)}.")
        if not all(isinstance(item, dict) for item in value):
            raise _bad_params()
        return value

    @staticmethod
    def _fields_of(item: dict) -> dict:
        if not isinstance(item.get("fields"), dict):
            raise _unprocessable("INVALID_REQUEST_MISSING_FIELDS", 'Could not find field "fields" in the request body')
        return item["fields"]

    def _create(self, table: _Table, request: Request) -> dict:
        body = self._json_body(request)
        self._only_keys(body, {"records", "fields", "typecast", "returnFieldsByFieldId"})
        typecast, by_id = self._flag(body, "typecast"), self._flag(body, "returnFieldsByFieldId")
        single = "records" not in body
        items = [body] if single else self._record_list(body["records"], "created")
        pending: dict[str, list[str]] = {}
        # Validate every record before writing any: a request succeeds or fails as a whole.
        cells = [self._cells(table, self._fields_of(item), typecast, pending) for item in items]
        self._commit_choices(table, pending)
        created = [self._render(table, self._new_record(table, c), by_id) for c in cells]
        return created[0] if single else {"records": created}

    def _update_many(self, table: _Table, request: Request) -> dict:
        body = self._json_body(request)
        self._only_keys(body, {"records", "typecast", "returnFieldsByFieldId", "performUpsert"})
        typecast, by_id = self._flag(body, "typecast"), self._flag(body, "returnFieldsByFieldId")
        items = self._record_list(body.get("records"), "updated")
        merge_on = self._merge_fields(table, body["performUpsert"]) if "performUpsert" in body else None
        pending: dict[str, list[str]] = {}
        plans, keys = [], set()
        for item in items:
            self._only_keys(item, {"id", "fields"})
            cells = self._cells(table, self._fields_of(item), typecast, pending)
            record_id = item.get("id")
            if record_id is not None:
                if not isinstance(record_id, str) or record_id not in table.records:
                    raise _unprocessable("ROW_DOES_NOT_EXIST", f"Record ID {record_id} does not exist in this table")
            elif merge_on is None:
                raise _bad_params(f"{_BAD_PARAMS} Each record needs an id unless performUpsert is set")
            else:
                missing = [f["name"] for f in merge_on if cells.get(f["id"]) is None]
                if missing:
                    raise _bad_params(f"{_BAD_PARAMS} Record is missing fieldsToMergeOn value(s): {', '.join(missing)}")
                self._upsert_match(table, merge_on, cells)  # raises on an ambiguous key
                key = json.dumps([cells[f["id"]] for f in merge_on])
                if key in keys:  # strict on purpose: one request, one record per key
                    raise _bad_params(f"{_BAD_PARAMS} Two records in the request have the same fieldsToMergeOn values")
                keys.add(key)
            plans.append((record_id, cells))
        self._commit_choices(table, pending)
        created, updated, records = [], [], []
        for record_id, cells in plans:
            if record_id is None:
                record_id = self._upsert_match(table, merge_on, cells)
                if record_id is None:
                    record = self._new_record(table, cells)
                    created.append(record["id"])
                    records.append(record)
                    continue
            record = table.records[record_id]
            self._apply(record, cells, replace=request.method == "PUT")
            updated.append(record_id)
            records.append(record)
        out = {"records": [self._render(table, r, by_id) for r in records]}
        if merge_on is not None:
            out.update(createdRecords=created, updatedRecords=updated)
        return out

    def _merge_fields(self, table: _Table, upsert: Any) -> list[dict]:
        keys = upsert.get("fieldsToMergeOn") if isinstance(upsert, dict) else None
        if not isinstance(keys, list) or not 1 <= len(keys) <= 3:
            raise _bad_params(f"{_BAD_PARAMS} performUpsert.fieldsToMergeOn must list 1 to 3 fields")
        fields = [self._field(table, k) for k in keys]
        if any(f["type"] == "checkbox" for f in fields):
            raise _bad_params(f"{_BAD_PARAMS} fieldsToMergeOn cannot use a checkbox field")
        return fields

    @staticmethod
    def _upsert_match(table: _Table, merge_on: list[dict], cells: dict) -> str | None:
        hits = [r["id"] for r in table.records.values()
                if all(r["cells"].get(f["id"]) == cells[f["id"]] for f in merge_on)]
        if len(hits) > 1:
            raise _bad_params("Cannot update: more than one record matches the fieldsToMergeOn values")
        return hits[0] if hits else None

    def _delete_many(self, table: _Table, request: Request) -> dict:
        ids = list(dict.fromkeys(request.args.getlist("records[]")))
        if not ids:
            raise _unprocessable("INVALID_RECORDS", "You must provide an array of up to 10 record ids")
        if len(ids) > MAX_RECORDS_PER_WRITE:
            raise _unprocessable("INVALID_RECORDS", f"A maximum of {MAX_RECORDS_PER_WRITE} records can be deleted "
                                                    f"per request but you have provided {len(ids)}.")
        if any(i not in table.records for i in ids):
            raise _no_record()
        for record_id in ids:
            del table.records[record_id]
        self._unlink(set(ids))
        return {"records": [{"id": i, "deleted": True} for i in ids]}

    def _unlink(self, ids: set[str]) -> None:
        """Take deleted records' ids out of every linked-record cell of the bases."""
        for tables in self._bases.values():
            for t in tables.values():
                links = [f["id"] for f in t.fields if f["type"] == _LINK]
                for record in t.records.values():
                    for fid in links:
                        kept = [v for v in record["cells"].get(fid) or [] if v not in ids]
                        if kept:
                            record["cells"][fid] = kept
                        else:
                            record["cells"].pop(fid, None)

    def _new_record(self, table: _Table, cells: dict) -> dict:
        record_id = self._new_id("rec")
        now = self.now()
        kept = {k: v for k, v in cells.items() if v is not None}
        # When each cell last changed (LAST_MODIFIED_TIME): a cell given at creation changed then.
        record = {"id": record_id, "createdTime": _iso_utc(now), "cells": kept, "modified": dict.fromkeys(kept, now)}
        table.records[record_id] = record
        return record

    def _apply(self, record: dict, cells: dict, replace: bool) -> None:
        merged = {} if replace else dict(record["cells"])
        merged.update(cells)
        now = self.now()
        before = record["cells"]
        record["cells"] = {k: v for k, v in merged.items() if v is not None}
        stamps = record.setdefault("modified", {})
        for k in set(before) | set(record["cells"]):  # a cell whose value changed (emptied included)
            if before.get(k) != record["cells"].get(k):
                stamps[k] = now

    # -- field values --------------------------------------------------------------------------

    def _cells(self, table: _Table, fields: dict, typecast: bool, pending: dict[str, list[str]]) -> dict:
        """Validate a record's fields; returns {field id: stored value or None (= clear)}."""
        out = {}
        for key, value in fields.items():
            field = self._field(table, key)
            out[field["id"]] = self._coerce(field, value, typecast, pending)
        return out

    def _coerce(self, field: dict, value: Any, typecast: bool, pending: dict[str, list[str]]) -> Any:
        kind, name = field["type"], field["name"]
        invalid = _unprocessable("INVALID_VALUE_FOR_COLUMN", f'Field "{name}" cannot accept the provided value')
        if kind in _COMPUTED_TYPES and self._seed:
            return json.loads(json.dumps(value)) if value not in (None, "", []) else None
        if kind not in _WRITABLE_TYPES:
            raise _unprocessable("INVALID_VALUE_FOR_COLUMN", f'Field "{name}" cannot accept a value because the '
                                                             f'field is computed')
        if value is None:
            return None
        if kind == _LINK:
            return self._links(field, value, typecast, pending, invalid)
        if kind in _PEOPLE:
            return self._collaborators(field, value, invalid)
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind in _TEXT_TYPES:
            if typecast and is_number:
                return _as_text(value)
            if not isinstance(value, str):
                raise invalid
            if len(value) > MAX_TEXT:
                raise invalid
            return value or None
        if kind in _MAX_PRECISION:
            if typecast and isinstance(value, str):
                try:
                    value, is_number = float(value.strip()), True
                except ValueError:
                    raise invalid from None
            if not is_number or not math.isfinite(value):
                raise invalid
            places = field["options"]["precision"] + (2 if kind == "percent" else 0)
            return _rounded(value, places)
        if kind == "checkbox":
            if typecast and isinstance(value, str) and value.lower() in ("true", "false", ""):
                value = value.lower() == "true"
            if not isinstance(value, bool):
                raise invalid
            return value or None  # unchecked reads back as absent
        if kind == "date":
            stored = _parse_date(value)
        elif kind == "dateTime":
            stored = _parse_datetime(value, field["options"]["timeZone"])
        else:
            stored = self._select(field, value, typecast, pending)
        if stored is None and value != "" and value != []:
            raise invalid
        return stored

    def _select(self, field: dict, value: Any, typecast: bool, pending: dict[str, list[str]]) -> Any:
        if field["type"] == "multipleSelects" and typecast and isinstance(value, str):
            value = [value]
        if field["type"] == "singleSelect":
            return self._choice(field, value, typecast, pending) if isinstance(value, str) and value else None
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return None
        return [self._choice(field, v, typecast, pending) for v in dict.fromkeys(value)] or None

    def _links(self, field: dict, value: Any, typecast: bool, pending: dict[str, list], invalid: ApiError) -> Any:
        """Record ids of the linked table. With typecast, text is matched against the linked table's primary
        field (its text, exactly) and a record is created there when none matches."""
        if typecast and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise invalid
        linked = self._table_by_id(field["options"]["linkedTableId"])
        primary = linked.fields[0]["id"]
        out = []
        for v in value:
            if _RECORD_ID.match(v):
                if v not in linked.records:
                    raise _unprocessable("ROW_DOES_NOT_EXIST", f"Record ID {v} does not exist in this table")
                out.append(v)
                continue
            if not typecast:
                raise invalid
            new = pending.setdefault(f"link:{linked.id}", [])
            hit = next((r["id"] for r in linked.records.values() if _as_text(r["cells"].get(primary)) == v), None)
            hit = hit or next((i for i, text in new if text == v), None)
            if hit is None:
                hit = self._new_id("rec")
                new.append((hit, v))
            out.append(hit)
        return list(dict.fromkeys(out)) or None

    def _collaborators(self, field: dict, value: Any, invalid: ApiError) -> Any:
        """{id} or {email} of a collaborator of the bases, stored (and read) as {id, email, name}."""
        many = field["type"] == "multipleCollaborators"
        items = value if many and isinstance(value, list) else [value] if not many else None
        if items is None or not all(isinstance(v, dict) and (v.get("id") or v.get("email")) for v in items):
            raise invalid
        out = []
        for v in items:
            email = str(v.get("email") or "").lower()
            user = self.users.get(v.get("id", "")) or next(
                (u for u in self.users.values() if email and u.get("email", "").lower() == email), None)
            if user is None and self._seed and v.get("email"):
                user = {"id": self._new_id("usr"), "email": v["email"], "name": v.get("name") or v["email"]}
                self.users[user["id"]] = user
            if user is None:
                raise invalid
            out.append(dict(user))
        return (out or None) if many else out[0]

    def _table_by_id(self, table_id: str) -> _Table:
        found = next((t for tables in self._bases.values() for t in tables.values() if t.id == table_id), None)
        if found is None:
            raise _no_model()
        return found

    def _choice(self, field: dict, name: str, typecast: bool, pending: dict[str, list[str]]) -> str:
        known = [c["name"] for c in field["options"]["choices"]] + pending.get(field["id"], [])
        if name in known:
            return name
        if not typecast or (self.permission_level != "create" and not self._seed):
            raise _unprocessable("INVALID_MULTIPLE_CHOICE_OPTIONS",
                                 f'Insufficient permissions to create new select option ""{name}""')
        pending.setdefault(field["id"], []).append(name)
        return name

    def _commit_choices(self, table: _Table, pending: dict[str, list]) -> None:
        for field_id, names in pending.items():
            if field_id.startswith("link:"):  # records typecast text created in a linked table
                linked = self._table_by_id(field_id.removeprefix("link:"))
                for record_id, text in names:
                    now = self.now()
                    linked.records[record_id] = {"id": record_id, "createdTime": _iso_utc(now),
                                                 "cells": {linked.fields[0]["id"]: text},
                                                 "modified": {linked.fields[0]["id"]: now}}
                continue
            choices = table.field(field_id)["options"]["choices"]
            for name in names:
                color = _CHOICE_COLORS[len(choices) % len(_CHOICE_COLORS)]
                choices.append({"id": self._new_id("sel"), "name": name, "color": color})

    # -- metadata ------------------------------------------------------------------------------

    def _meta(self, request: Request, segs: list[str]):
        method, n = request.method, len(segs)
        if segs == ["whoami"] and method == "GET":
            return {"id": "usrFAKE0000000001", "scopes": ["data.records:read", "data.records:write",
                                                          "schema.bases:read", "schema.bases:write"]}
        if segs == ["bases"] and method == "GET":
            return {"bases": [{"id": b, "name": b, "permissionLevel": self.permission_level} for b in self._bases]}
        if n < 3 or segs[0] != "bases" or segs[2] != "tables":
            raise _no_route()
        base_id = segs[1]
        if n == 3 and method == "GET":
            # pyairtable sends include=visibleFieldIds; the documented form is include[]=...
            visible = "visibleFieldIds" in request.args.getlist("include[]") + request.args.getlist("include")
            return {"tables": [t.meta(visible) for t in self._base(base_id).values()]}
        if method in ("POST", "PATCH") and self.permission_level != "create":
            raise _no_model()  # an Editor changes records, never the schema
        if n == 3 and method == "POST":
            return self._create_table(base_id, self._json_body(request))
        if n < 4:
            raise _no_route()
        table = self._table(base_id, segs[3])
        if n == 4 and method == "PATCH":
            return self._update_table(base_id, table, self._json_body(request))
        if n == 5 and segs[4] == "fields" and method == "POST":
            body = self._json_body(request)
            field = self._build_field(body, {f["name"].lower() for f in table.fields}, base_id)
            table.fields.append(field)
            return json.loads(json.dumps(field))
        if n == 6 and segs[4] == "fields" and method == "PATCH":
            return self._update_field(table, segs[5], self._json_body(request))
        raise _no_route()

    def _create_table(self, base_id: str, body: dict) -> dict:
        tables = self._base(base_id)
        self._only_keys(body, {"name", "description", "fields"})
        name, fields = body.get("name"), body.get("fields")
        self._check_table_name(tables, name)
        if not isinstance(fields, list) or not fields:
            raise _bad_params(f"{_BAD_PARAMS} A table needs at least one field")
        built, taken = [], set()
        for spec in fields:
            built.append(self._build_field(spec, taken, base_id))
            taken.add(built[-1]["name"].lower())
        if built[0]["type"] in _NOT_PRIMARY:
            raise _unprocessable("INVALID_PRIMARY_FIELD_TYPE",
                                 f'Field type "{built[0]["type"]}" cannot be the primary field')
        table = _Table(self._new_id("tbl"), name, built, self._new_id("viw"), self._description(body))
        tables[table.id] = table
        return table.meta()

    @staticmethod
    def _check_table_name(tables: dict[str, _Table], name: Any, current: _Table | None = None) -> None:
        if not isinstance(name, str) or not name.strip():
            raise _bad_params(f"{_BAD_PARAMS} A table needs a name")
        # Table and field names are unique case-insensitively in Airtable.
        if any(t is not current and t.name.lower() == name.lower() for t in tables.values()):
            raise _unprocessable("DUPLICATE_TABLE_NAME", f'A table named "{name}" already exists')

    def _update_table(self, base_id: str, table: _Table, body: dict) -> dict:
        self._only_keys(body, {"name", "description"})
        if "name" in body:
            self._check_table_name(self._base(base_id), body["name"], table)
            table.name = body["name"]
        if "description" in body:
            table.description = self._description(body)
        return table.meta()

    @staticmethod
    def _description(body: dict) -> str | None:
        text = body.get("description")
        if text is not None and (not isinstance(text, str) or len(text) > MAX_DESCRIPTION):
            raise _bad_params(f"{_BAD_PARAMS} description must be a string of at most {MAX_DESCRIPTION} characters")
        return text

    def _update_field(self, table: _Table, field_id: str, body: dict) -> dict:
        field = next((f for f in table.fields if f["id"] == field_id), None)
        if field is None:
            raise _no_model()
        self._only_keys(body, {"name", "description"})
        if "name" in body:
            others = {f["name"].lower() for f in table.fields if f is not field}
            if not isinstance(body["name"], str) or not body["name"].strip() or body["name"].lower() in others:
                raise _unprocessable("DUPLICATE_OR_EMPTY_FIELD_NAME", f'Field name "{body["name"]}" is empty or taken')
            field["name"] = body["name"]
        if body.get("description"):
            field["description"] = body["description"]
        return json.loads(json.dumps(field))

    def _build_field(self, spec: Any, taken: set[str], base_id: str) -> dict:
        if not isinstance(spec, dict):
            raise _bad_params()
        self._only_keys(spec, {"name", "type", "description", "options"})
        name, kind = spec.get("name"), spec.get("type")
        if not isinstance(name, str) or not name.strip() or name.lower() in taken:
            raise _unprocessable("DUPLICATE_OR_EMPTY_FIELD_NAME", f'Field name "{name}" is empty or already used')
        if kind not in _WRITABLE_TYPES and not (self._seed and kind in _COMPUTED_TYPES):
            raise _unprocessable("UNSUPPORTED_FIELD_TYPE_FOR_CREATE", f'Creating fields of type "{kind}" is not '
                                                                      f'supported')
        field = {"id": self._new_id("fld"), "name": name, "type": kind}
        if spec.get("description"):
            field["description"] = spec["description"]
        options = self._field_options(kind, spec.get("options"), name, base_id)
        if options is not None:
            field["options"] = options
        return field

    def _field_options(self, kind: str, options: Any, name: str, base_id: str) -> dict | None:
        """Validate write-format options (Airtable field model) and return the read format."""
        if kind in _COMPUTED_TYPES:  # seeded: the schema's options as given (formula, result, isValid, ...)
            return {"isValid": True, **json.loads(json.dumps(options or {}))}
        if kind in _PEOPLE:
            return None
        if kind == _LINK:
            target = (options or {}).get("linkedTableId") if isinstance(options, dict) else None
            if target not in self._base(base_id):
                raise _options_error(name, "linkedTableId must be a table of the same base")
            return {"linkedTableId": target, "isReversed": False, "prefersSingleRecordLink": False}
        if kind in _TEXT_TYPES:
            if options:
                raise _options_error(name, f"{kind} takes no options")
            return None
        if not isinstance(options, dict):
            raise _options_error(name, f"{kind} requires options")
        if kind in _MAX_PRECISION:
            precision = options.get("precision")
            if isinstance(precision, bool) or not isinstance(precision, int) \
                    or not 0 <= precision <= _MAX_PRECISION[kind]:
                raise _options_error(name, f"precision must be an integer from 0 to {_MAX_PRECISION[kind]}")
            if kind != "currency":
                return {"precision": precision}
            if not isinstance(options.get("symbol"), str):
                raise _options_error(name, "currency requires a symbol")
            return {"precision": precision, "symbol": options["symbol"]}
        if kind == "checkbox":
            if options.get("color") not in _CHECKBOX_COLORS or options.get("icon") not in _CHECKBOX_ICONS:
                raise _options_error(name, "checkbox requires a valid color and icon")
            return {"color": options["color"], "icon": options["icon"]}
        if kind in ("date", "dateTime"):
            out = {"dateFormat": _format_option(options.get("dateFormat"), _DATE_FORMATS, "dateFormat", name)}
            if kind == "dateTime":
                out["timeFormat"] = _format_option(options.get("timeFormat"), _TIME_FORMATS, "timeFormat", name)
                out["timeZone"] = self._time_zone(options.get("timeZone"), name)
            return out
        choices = options.get("choices")
        if not isinstance(choices, list) or not all(isinstance(c, dict) and isinstance(c.get("name"), str)
                                                    and c["name"] for c in choices):
            raise _options_error(name, "choices must be a list of {name, color?}")
        if len({c["name"] for c in choices}) != len(choices):
            raise _options_error(name, "choice names must be unique")
        return {"choices": [{"id": self._new_id("sel"), "name": c["name"],
                             **({"color": c["color"]} if c.get("color") else {})} for c in choices]}

    @staticmethod
    def _time_zone(value: Any, name: str) -> str:
        try:
            if isinstance(value, str) and value:
                _zone(value)
                return value
        except (ValueError, KeyError, OSError):
            pass
        raise _options_error(name, 'timeZone must be "utc", "client" or an IANA time zone')
