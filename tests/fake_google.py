"""A stateful fake of the Google APIs this project uses, served over real HTTP on loopback.

One werkzeug server on 127.0.0.1 (one port) answers the OAuth token endpoint and five APIs,
whose paths do not overlap:

  POST /token                                   OAuth 2.0 JWT-bearer grant (service accounts)
  /v4/spreadsheets/...                          Sheets v4 (what gspread 6.2.1 calls)
  /v1/forms/...                                 Forms v1
  /drive/v3/files/...                           Drive v3
  /v1/documents/...                             Docs v1
  /gmail/v1/users/{userId}/messages/send        Gmail v1

The real client libraries talk to it unchanged: google-auth signs a JWT with a service-account
key whose ``token_uri`` points here (``make_service_account_key``), gspread is given an
HTTPClient subclass that rewrites its hard-coded hosts, and google-api-python-client is built
from its shipped discovery documents with ``client_options={"api_endpoint": ...}``. Nothing is
lenient on purpose: tokens are verified (RS256 signature, issuer, audience, lifetime, scope,
delegation), every API request needs a live token carrying one of the scopes the discovery
document lists for that method, each file is visible only to the principals it is shared with,
and request bodies are checked against the discovery schemas (an unknown field is a 400, as
on Google's front end). Anything the fake does not model answers 501 with a message saying
so, rather than a plausible-looking success.

Documented behaviour (Google's reference pages, the discovery documents shipped with
google-api-python-client 2.202, or the client libraries' source):
  - Token endpoint: form-encoded ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` +
    ``assertion``; answer ``{"access_token", "expires_in": 3599, "token_type": "Bearer"}``;
    errors as ``{"error", "error_description"}`` (invalid_grant "Invalid JWT Signature.",
    unauthorized_client for delegation the admin has not granted, invalid_scope).
    google-auth 2.62 puts ``aud = https://oauth2.googleapis.com/token`` in the assertion
    whatever the key's token_uri is (service_account._GOOGLE_OAUTH2_TOKEN_ENDPOINT), and
    Google documents that value as the required audience; the fake accepts it and its own
    token URL, nothing else.
  - Self-signed JWTs used directly as bearer tokens (``always_use_jwt_access``) are accepted
    when signed by a registered key with iss == sub and either a ``scope`` claim or
    ``aud = https://<service>.googleapis.com/`` (AIP-4111). They cannot carry delegation.
  - Per-method scopes: copied from the discovery documents' ``scopes`` lists.
  - Errors: ``{"error": {"code", "message", "status"}}``; Drive and Gmail (older front end)
    also carry ``"errors": [{"message", "domain", "reason", ...}]``. 401 UNAUTHENTICATED
    "Request had invalid authentication credentials. ..."; 403 PERMISSION_DENIED "Request had
    insufficient authentication scopes."; 404 NOT_FOUND "Requested entity was not found.";
    Drive 404 "File not found: <id>." (also when the caller cannot see the file); Drive 403
    storageQuotaExceeded "The user's Drive storage quota has been exceeded." when a service
    account without delegation creates a file outside a shared drive; Gmail 400
    FAILED_PRECONDITION "Precondition check failed." for a service account without
    delegation; "Invalid JSON payload received. Unknown name ..." for unknown body fields.
  - Sheets: metadata fields, values.get/batchGet with valueRenderOption, dateTimeRenderOption
    and majorDimension; trailing empty rows and cells trimmed; ``values`` omitted when empty;
    "Unable to parse range: X" for an unknown tab; "exceeds grid limits"; date-times are
    serial numbers (days since 1899-12-30) in the sheet's own time zone. A spreadsheet holds any
    tabs seeded (``add_spreadsheet(tabs=...)``), listed in ``sheets[].properties`` (title, sheetId,
    index) in their order. A linked form's tab is named "Form Responses 1" ("Form responses 1" in
    newer sheets); a form relinked to the same spreadsheet writes to a new tab "Form Responses N"
    and the old one stops receiving (Google Docs Editors Help, "Choose where to save form
    responses"; seed both tabs to model it).
  - Forms: forms.create copies only info.title and info.documentTitle; items come through
    batchUpdate (all or nothing); a form created through the API after 30 June 2026 starts
    unpublished and takes no responses until setPublishSettings publishes it;
    isAcceptingResponses=true with isPublished=false is an error; responses.list pages with
    pageSize (at most 5000) and pageToken, filters ``timestamp > T`` / ``timestamp >= T``
    (RFC 3339 UTC "Zulu" only), and does not return ``formId`` in list items.
  - Docs: replaceAllText is case-insensitive unless ``matchCase`` is true; ``occurrencesChanged``
    is omitted when 0 (proto3 JSON leaves out default values; the same rule is applied to all
    Forms output, so false booleans such as ``isPublished`` are absent, not ``false``).
  - Drive: items in a shared drive are "File not found" unless ``supportsAllDrives=true``;
    default fields (kind, id, name, mimeType for files; kind, id, type, role for permissions)
    unless ``fields`` asks for more; an unknown name in ``fields`` is 400 "Invalid field
    selection"; ``sendNotificationEmail`` defaults to true.

Assumed (plausible, not verified against the live services; flagged on purpose):
  - Exact wording of: the Forms create/batchUpdate validation messages, the page-token
    mismatch and bad-filter messages, "This operation is not supported for this document"
    for Sheets/Forms/Docs calls on another kind of file, the Drive insufficientFilePermissions
    / cannotAddParent / invalid-role messages, Gmail "Recipient address required" and
    "Delegation denied for X", the audience and lifetime ``error_description`` texts.
  - Response timestamps: Forms createTime with milliseconds and lastSubmittedTime with
    microseconds; responses listed oldest first.
  - A new form's documentTitle is "Untitled form" unless given; an unpublished form shows
    ``"publishSettings": {}`` (everything in it is a default value).
  - ``unpublished=false`` on forms.create still publishes (the parameter exists; the new
    default applies only when it is unset).
  - FORMATTED_VALUE rendering: numbers in "automatic" format (no grouping, at most 10
    significant digits, the locale's decimal separator), booleans in the locale's words
    (TRUE/VERDADEIRO...), date-times in the locale's default date-time pattern. Only the
    locales in ``_LOCALES`` are modelled; others are refused when seeding.
  - Sheet names in ranges match case-insensitively; a copy without a name is "Copy of X".
  - Forms API calls (get, batchUpdate, responses) need edit access to the form; Docs
    batchUpdate and Drive copy-destination / permissions.create need writer access.
  - Files shared on a folder are shared with everything below it (Drive inheritance); a
    folder created with ``shared_drive=True`` sits at the root of its own shared drive whose
    members are ``share_with``.
  - ``drive.file`` reaches only files this OAuth client created through the API.
  - Injected 5xx faults pick 500 or 503; the fault bodies are the common Google shapes.

Faults: each API request (never /token) draws one number from random.Random(seed), re-seeded
whenever ``faults`` is assigned; below rate_401 it is a 401, then the next rate_429 band a 429,
then rate_5xx a 5xx, then (``tests.faults``) a drop, a lost reply (applied, then no answer) and a
timeout (held ``hold_seconds``, then no answer); ``token_expires_after`` expires every access token
after that many authenticated requests (google-auth signs in again). The same sequence of requests
therefore meets the same faults. A 401 fault
kills the presented token, so two 401s in a row exhaust google-auth's single refresh-and-retry
and reach the caller, as a real revoked session would. ``revoke_tokens`` does not affect
self-signed JWTs (there is nothing server-side to revoke).

Not modelled (answers 501): Sheets writes, Drive files.list/create/update/delete, media
uploads, Docs requests other than replaceAllText, Forms watches, spreadsheets.get with
includeGridData=true. google-auth 2.62 also starts a background "regional access boundary"
lookup at https://iamcredentials.googleapis.com for undelegated service-account credentials;
that host is hard-coded in google-auth and never reaches this server.
"""

from __future__ import annotations

import base64
import copy
import email
import email.policy
import functools
import hashlib
import importlib.util
import json
import random
import re
import string
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.wrappers import Request, Response

from tests.faults import Faults, Injectable, SilenceableHandler, silence
from tests.loopback import LoopbackServer

# ---------------------------------------------------------------------------------------------
# Constants

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME = 3599
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 300  # seconds of iat-in-the-future tolerated (assumed; Google allows some skew)
FORMS_MAX_PAGE = 5000

_AUTH = "https://www.googleapis.com/auth/"


def _scopes(*names: str) -> frozenset[str]:
    return frozenset(n if n.startswith("https://") else _AUTH + n for n in names)


# Which scopes each method accepts, copied from the discovery documents' "scopes" lists.
SHEETS_READ = _scopes("drive", "drive.file", "drive.readonly", "spreadsheets", "spreadsheets.readonly")
FORMS_READ = _scopes("drive", "drive.file", "drive.readonly", "forms.body", "forms.body.readonly")
FORMS_WRITE = _scopes("drive", "drive.file", "forms.body")
FORMS_RESPONSES = _scopes("drive", "drive.file", "forms.responses.readonly")
DRIVE_GET = _scopes("drive", "drive.appdata", "drive.file", "drive.meet.readonly", "drive.metadata",
                    "drive.metadata.readonly", "drive.photos.readonly", "drive.readonly")
DRIVE_COPY = _scopes("drive", "drive.appdata", "drive.file", "drive.photos.readonly")
DRIVE_SHARE = _scopes("drive", "drive.file")
DRIVE_PERMISSIONS_LIST = _scopes("drive", "drive.file", "drive.meet.readonly", "drive.metadata",
                                 "drive.metadata.readonly", "drive.photos.readonly", "drive.readonly")
DOCS_READ = _scopes("documents", "documents.readonly", "drive", "drive.file", "drive.readonly")
DOCS_WRITE = _scopes("documents", "drive", "drive.file")
GMAIL_SEND = _scopes("https://mail.google.com/", "gmail.addons.current.action.compose", "gmail.compose",
                     "gmail.modify", "gmail.send")
# Scopes that reach every file shared with the principal. drive.file reaches only the files this
# OAuth client created; drive.appdata/photos/meet reach none of the files modelled here.
_BROAD = _scopes("drive", "drive.readonly", "drive.metadata", "drive.metadata.readonly", "spreadsheets",
                 "spreadsheets.readonly", "forms.body", "forms.body.readonly", "forms.responses.readonly",
                 "documents", "documents.readonly")
_DRIVE_FILE = _AUTH + "drive.file"

# Host each API answers on, for self-signed JWT audiences (AIP-4111).
_SERVICE_HOSTS = {"sheets": "sheets.googleapis.com", "forms": "forms.googleapis.com",
                  "drive": "www.googleapis.com", "docs": "docs.googleapis.com", "gmail": "gmail.googleapis.com"}

MIME = {"folder": "application/vnd.google-apps.folder", "document": "application/vnd.google-apps.document",
        "spreadsheet": "application/vnd.google-apps.spreadsheet", "form": "application/vnd.google-apps.form"}
_ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 5, "owner": 6}

_UNAUTHENTICATED = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
                    "or other valid authentication credential. See "
                    "https://developers.google.com/identity/sign-in/web/devconsole-project.")
_MISSING_CREDENTIALS = ("Request is missing required authentication credential. Expected OAuth 2 access token, "
                        "login cookie or other valid authentication credential. See "
                        "https://developers.google.com/identity/sign-in/web/devconsole-project.")
_INSUFFICIENT_SCOPES = "Request had insufficient authentication scopes."
_NO_PERMISSION = "The caller does not have permission"
_NOT_FOUND = "Requested entity was not found."
_WRONG_KIND = "This operation is not supported for this document"
_QUOTA_MESSAGES = {
    "sheets": "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of "
              "service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
    "forms": "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of "
             "service 'forms.googleapis.com' for consumer 'project_number:000000000000'.",
    "docs": "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of "
            "service 'docs.googleapis.com' for consumer 'project_number:000000000000'.",
    "drive": "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service "
             "'drive.googleapis.com' for consumer 'project_number:000000000000'.",
    "gmail": "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service "
             "'gmail.googleapis.com' for consumer 'project_number:000000000000'.",
}
_NOT_FOUND_HTML = ("<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
                   "  <title>Error 404 (Not Found)!!1</title>\n"
                   "  <p><b>404.</b> <ins>That\u2019s an error.</ins>\n  <p>The requested URL <code>{path}</code> was "
                   "not found on this server.  <ins>That\u2019s all we know.</ins>\n")

_ID_CHARS = string.ascii_letters + string.digits + "-_"


# ---------------------------------------------------------------------------------------------
# Public value types

GoogleFaults = Faults  # the shared fault model (tests.faults); the name kept for the tests that use it


@dataclass
class GRequest:
    """One HTTP request as the fake saw it. api is None for paths outside every API; fault is
    "401", "429", "5xx", "drop", "lost_reply", "timeout", "token_expired" or None; principal is the user or service account the token acts as."""
    method: str
    path: str
    api: str | None
    status: int | None
    at: float
    fault: str | None = None
    principal: str | None = None


@dataclass(frozen=True)
class DateTime:
    """A date-time cell: a naive datetime read as wall-clock time in the sheet's time zone."""
    value: datetime

    def __post_init__(self):
        if not isinstance(self.value, datetime) or self.value.tzinfo is not None:
            raise ValueError("DateTime takes a naive datetime (wall-clock time in the sheet's time zone)")

    @property
    def serial(self) -> float:
        return (self.value - _SERIAL_EPOCH) / timedelta(days=1)


_SERIAL_EPOCH = datetime(1899, 12, 30)


class _NoAnswer(Exception):
    """An injected drop or timeout: the request is not handled and the connection closes unanswered."""


class GoogleError(Exception):
    """Any answer other than 200, raised anywhere below and turned into the HTTP reply."""

    def __init__(self, status: int, body: Any, headers: dict | None = None, html: bool = False):
        super().__init__(status, body)
        self.status, self.body, self.headers, self.html = status, body, headers or {}, html


# ---------------------------------------------------------------------------------------------
# Error bodies

def _api_error(api: str | None, code: int, status: str | None, message: str, reason: str | None = None,
               domain: str = "global", location: str | None = None, location_type: str | None = None,
               errors_message: str | None = None, details: list | None = None,
               headers: dict | None = None) -> GoogleError:
    """Google's JSON error. Drive and Gmail also carry the older "errors" list; Drive's own
    backend errors have no "status" (pass status=None)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if api in ("drive", "gmail"):
        item = {"message": errors_message or message, "domain": domain, "reason": reason or "invalid"}
        if location:
            item.update(location=location, locationType=location_type or "parameter")
        error["errors"] = [item]
    if status:
        error["status"] = status
    if details:
        error["details"] = details
    return GoogleError(code, {"error": error}, headers)


def _error_info(api: str, reason: str) -> list:
    return [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com",
             "metadata": {"service": f"{api}.googleapis.com"}}]


def _unauthenticated(api: str, missing: bool = False) -> GoogleError:
    return _api_error(api, 401, "UNAUTHENTICATED", _MISSING_CREDENTIALS if missing else _UNAUTHENTICATED,
                      reason="required" if missing else "authError",
                      errors_message="Login Required." if missing else "Invalid Credentials",
                      location="Authorization", location_type="header",
                      details=_error_info(api, "CREDENTIALS_MISSING" if missing else "ACCESS_TOKEN_EXPIRED"),
                      headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'
                                                   + ("" if missing else ', error="invalid_token"')})


def _insufficient_scopes(api: str) -> GoogleError:
    return _api_error(api, 403, "PERMISSION_DENIED", _INSUFFICIENT_SCOPES, reason="insufficientPermissions",
                      errors_message="Insufficient Permission",
                      details=_error_info(api, "ACCESS_TOKEN_SCOPE_INSUFFICIENT"),
                      headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
                                                   'error="insufficient_scope"'})


def _invalid(api: str, message: str, reason: str = "invalidArgument") -> GoogleError:
    return _api_error(api, 400, "INVALID_ARGUMENT", message, reason=reason)


def _not_found(api: str) -> GoogleError:
    return _api_error(api, 404, "NOT_FOUND", _NOT_FOUND, reason="notFound")


def _denied(api: str) -> GoogleError:
    return _api_error(api, 403, "PERMISSION_DENIED", _NO_PERMISSION, reason="forbidden")


def _file_not_found(file_id: str, location: str = "fileId") -> GoogleError:
    message = f"File not found: {file_id}."
    return _api_error("drive", 404, None, message, reason="notFound", location=location)


def _not_modelled(api: str | None, what: str) -> GoogleError:
    return GoogleError(501, {"error": {"code": 501, "message": f"fake_google does not model {what}",
                                       "status": "UNIMPLEMENTED"}})


def _no_route(path: str) -> GoogleError:
    return GoogleError(404, _NOT_FOUND_HTML.format(path=path), html=True)


def _oauth_error(status: int, error: str, description: str) -> GoogleError:
    return GoogleError(status, {"error": error, "error_description": description})


# ---------------------------------------------------------------------------------------------
# Service-account keys and JWTs

def make_service_account_key(client_email: str = "automation@test-project.iam.gserviceaccount.com",
                             token_uri: str = GOOGLE_TOKEN_URI, project_id: str | None = None,
                             path: str | Path | None = None) -> dict:
    """A new RSA-2048 key in the exact JSON shape of a downloaded service-account key file.

    token_uri is passed in because the fake must be started first (fake.url + "/token"). With
    path, the JSON is also written there (as the real file would be).
    """
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    if project_id is None:
        domain = client_email.split("@", 1)[-1]
        project_id = domain.split(".", 1)[0] if domain.endswith(".iam.gserviceaccount.com") else "test-project"
    rng = random.SystemRandom()
    key = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": "".join(rng.choice("0123456789abcdef") for _ in range(40)),
        "private_key": pem,
        "client_email": client_email,
        "client_id": str(rng.randrange(10**20, 10**21)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + quote(client_email, safe=""),
        "universe_domain": "googleapis.com",
    }
    if path is not None:
        Path(path).write_text(json.dumps(key, indent=2) + "\n")
    return key


def _b64decode(text: str) -> bytes:
    """Base64 in either alphabet, padded or not (what proto3 JSON accepts for bytes)."""
    text = text.strip().replace("-", "+").replace("_", "/")
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text):
        raise ValueError("not base64")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _split_jwt(token: str) -> tuple[dict, dict, bytes, bytes]:
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("a JWT has three parts")
    header, payload = (json.loads(_b64decode(p)) for p in parts[:2])
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("JWT header and payload must be objects")
    return header, payload, f"{parts[0]}.{parts[1]}".encode(), _b64decode(parts[2])


def _rs256_ok(public_key, signed: bytes, signature: bytes) -> bool:
    try:
        public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError):
        return False


@dataclass
class _Token:
    value: str
    client_email: str
    subject: str | None
    scopes: frozenset[str]
    expires_at: float
    live: bool = True
    audience_api: str | None = None  # self-signed JWT with an audience instead of scopes

    @property
    def principal(self) -> str:
        return self.subject or self.client_email


# ---------------------------------------------------------------------------------------------
# Discovery schemas: request-body validation and Drive's field names

@functools.cache
def _discovery(name: str) -> dict:
    spec = importlib.util.find_spec("googleapiclient")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("google-api-python-client is needed for its discovery documents")
    folder = Path(next(iter(spec.submodule_search_locations))) / "discovery_cache" / "documents"
    return json.loads((folder / f"{name}.json").read_text())


_DOCS = {"sheets": "sheets.v4", "forms": "forms.v1", "drive": "drive.v3", "docs": "docs.v1", "gmail": "gmail.v1"}


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


_SCALAR_TYPES = {"string": "TYPE_STRING", "boolean": "TYPE_BOOL", "integer": "TYPE_INT32", "number": "TYPE_DOUBLE"}


def _validate_body(api: str, schema_name: str, body: Any) -> Any:
    """Check a JSON body against the discovery schema the way Google's front end does (unknown
    names and wrong JSON types are 400) and return it with snake_case names made camelCase."""
    schemas = _discovery(_DOCS[api])["schemas"]

    def bad(message: str) -> GoogleError:
        return _api_error(api, 400, "INVALID_ARGUMENT", message, reason="invalid",
                          details=[{"@type": "type.googleapis.com/google.rpc.BadRequest",
                                    "fieldViolations": [{"description": message}]}])

    def walk(value: Any, spec: dict, where: str) -> Any:
        if "$ref" in spec:
            if not isinstance(value, dict):
                raise bad(f"Invalid value at '{where or 'message'}' ({spec['$ref']}), {json.dumps(value)}")
            return message(value, spec["$ref"], where)
        kind = spec.get("type")
        if kind == "array":
            if not isinstance(value, list):
                raise bad(f"Invalid value at '{where}' (TYPE_ARRAY), {json.dumps(value)}")
            return [walk(v, spec.get("items", {}), f"{where}[{i}]") for i, v in enumerate(value)]
        if kind == "object" and "additionalProperties" in spec:
            if not isinstance(value, dict):
                raise bad(f"Invalid value at '{where}' (TYPE_MAP), {json.dumps(value)}")
            return {k: walk(v, spec["additionalProperties"], f"{where}[{k}]") for k, v in value.items()}
        if kind in _SCALAR_TYPES and value is not None:
            ok = {"string": isinstance(value, str), "boolean": isinstance(value, bool),
                  "integer": (isinstance(value, int) and not isinstance(value, bool))
                  or (isinstance(value, str) and re.fullmatch(r"-?\d+", value) is not None),
                  "number": isinstance(value, (int, float)) and not isinstance(value, bool)}[kind]
            if not ok:
                raise bad(f"Invalid value at '{where}' ({_SCALAR_TYPES[kind]}), {json.dumps(value)}")
            if "enum" in spec and value not in spec["enum"]:
                raise bad(f"Invalid value at '{where}' (TYPE_ENUM), {json.dumps(value)}")
        return value

    def message(value: dict, name: str, where: str) -> dict:
        props = schemas[name].get("properties", {})
        out = {}
        for key, item in value.items():
            camel = _camel(key)
            if camel not in props:
                at = f" at '{where}'" if where else ""
                raise bad(f'Invalid JSON payload received. Unknown name "{key}"{at}: Cannot find field.')
            child = f"{where}.{_snake(camel)}" if where else _snake(camel)
            out[camel] = walk(item, props[camel], child)
        return out

    if not isinstance(body, dict):
        raise bad("Invalid JSON payload received. Expected an object.")
    return message(body, schema_name, "")


# ---------------------------------------------------------------------------------------------
# Partial responses: the `fields` system parameter

def _parse_mask(text: str) -> dict:
    """'a,b/c,d(e,f)' -> {"a": True, "b": {"c": True}, "d": {"e": True, "f": True}}."""
    pos = 0

    def name() -> str:
        nonlocal pos
        m = re.compile(r"\s*([A-Za-z_*][A-Za-z0-9_]*)\s*").match(text, pos)
        if not m:
            raise ValueError(text)
        pos = m.end()
        return _camel(m.group(1))

    def selection() -> dict:
        nonlocal pos
        tree: dict = {}
        while True:
            path = [name()]
            while pos < len(text) and text[pos] in "/.":
                pos += 1
                path.append(name())
            sub: Any = True
            if pos < len(text) and text[pos] == "(":
                pos += 1
                sub = selection()
                if pos >= len(text) or text[pos] != ")":
                    raise ValueError(text)
                pos += 1
            _mask_insert(tree, path, sub)
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            return tree

    tree = selection()
    if pos != len(text):
        raise ValueError(text)
    return tree


def _mask_insert(tree: dict, path: list[str], sub: Any) -> None:
    node = tree
    for part in path[:-1]:
        if node.get(part) is True:
            return  # everything under `part` is already selected
        node = node.setdefault(part, {})
    last = path[-1]
    if sub is True or node.get(last) is True:
        node[last] = True
    else:
        node[last] = {**node.get(last, {}), **sub}


def _apply_mask(value: Any, tree: Any) -> Any:
    if tree is True:
        return value
    if isinstance(value, list):
        return [_apply_mask(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, sub in tree.items():
        keys = list(value) if key == "*" else [key]
        for k in keys:
            if k in value:
                out[k] = _apply_mask(value[k], sub)
    return out


def _check_mask(tree: Any, schema_name: str, schemas: dict) -> None:
    """Drive refuses field names its schema does not have."""
    if tree is True:
        return
    props = schemas[schema_name].get("properties", {})
    for key, sub in tree.items():
        if key == "*":
            continue
        if key not in props:
            raise _api_error("drive", 400, None, f"Invalid field selection {key}", reason="invalidParameter",
                             location="fields")
        spec = props[key]
        ref = spec.get("$ref") or spec.get("items", {}).get("$ref")
        if ref and sub is not True:
            _check_mask(sub, ref, schemas)


def _proto3(value: Any) -> Any:
    """Proto3 JSON leaves out scalar fields holding their default value (false, 0, "", [])."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _proto3(v)
            if v is False or v == "" or v == [] or (isinstance(v, (int, float)) and not isinstance(v, bool)
                                                   and v == 0):
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [_proto3(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Sheets: locales, cell rendering, A1 ranges

@dataclass(frozen=True)
class _Locale:
    decimal: str
    true: str
    false: str
    datetime_pattern: str


# The default date-time pattern Sheets applies to form timestamps, per spreadsheet locale (assumed).
_LOCALES = {
    "en_US": _Locale(".", "TRUE", "FALSE", "M/d/yyyy H:mm:ss"),
    "en_GB": _Locale(".", "TRUE", "FALSE", "dd/MM/yyyy HH:mm:ss"),
    "pt_BR": _Locale(",", "VERDADEIRO", "FALSO", "dd/MM/yyyy HH:mm:ss"),
    "pt_PT": _Locale(",", "VERDADEIRO", "FALSO", "dd/MM/yyyy HH:mm:ss"),
    "es_ES": _Locale(",", "VERDADERO", "FALSO", "d/M/yyyy H:mm:ss"),
    "fr_FR": _Locale(",", "VRAI", "FAUX", "dd/MM/yyyy HH:mm:ss"),
    "de_DE": _Locale(",", "WAHR", "FALSCH", "d.M.yyyy H:mm:ss"),
}


def _format_datetime(serial: float, pattern: str) -> str:
    moment = _SERIAL_EPOCH + timedelta(seconds=round(serial * 86400))
    values = {"yyyy": f"{moment.year:04d}", "MM": f"{moment.month:02d}", "M": str(moment.month),
              "dd": f"{moment.day:02d}", "d": str(moment.day), "HH": f"{moment.hour:02d}", "H": str(moment.hour),
              "mm": f"{moment.minute:02d}", "ss": f"{moment.second:02d}"}
    return re.sub(r"yyyy|MM|M|dd|d|HH|H|mm|ss", lambda m: values[m.group(0)], pattern)


def _format_number(value: int | float, locale: _Locale) -> str:
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        text = str(int(value))
    else:
        text = format(value, ".10g")
    return text.replace(".", locale.decimal)


def _render_cell(cell: Any, value_option: str, datetime_option: str, locale: _Locale) -> Any:
    if isinstance(cell, DateTime):
        if value_option == "FORMATTED_VALUE" or datetime_option == "FORMATTED_STRING":
            return _format_datetime(cell.serial, locale.datetime_pattern)
        return cell.serial
    if isinstance(cell, bool):
        return (locale.true if cell else locale.false) if value_option == "FORMATTED_VALUE" else cell
    if isinstance(cell, (int, float)):
        return _format_number(cell, locale) if value_option == "FORMATTED_VALUE" else cell
    return cell


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _column_letters(index: int) -> str:
    out, index = "", index + 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _quote_sheet(title: str) -> str:
    # The API writes a sheet name bare only when it cannot be misread (letters/digits/underscore,
    # not a cell reference such as "AB12").
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(r"[A-Za-z]{1,3}\d+", title):
        return title
    return "'" + title.replace("'", "''") + "'"


_ENDPOINT = re.compile(r"([A-Za-z]{1,3})?([1-9]\d*)?")


class _Tab:
    def __init__(self, title: str, sheet_id: int, rows: list[list]):
        self.title, self.sheet_id = title, sheet_id
        self.rows = [list(r) for r in rows]

    @property
    def row_count(self) -> int:
        return max(1000, len(self.rows))

    @property
    def column_count(self) -> int:
        return max([26] + [len(r) for r in self.rows])

    def properties(self, index: int) -> dict:
        return {"sheetId": self.sheet_id, "title": self.title, "index": index, "sheetType": "GRID",
                "gridProperties": {"rowCount": self.row_count, "columnCount": self.column_count}}


class _Book:
    """A spreadsheet's contents; its title is the Drive file's name."""

    def __init__(self, time_zone: str, locale: str):
        self.time_zone, self.locale = time_zone, locale
        self.tabs: list[_Tab] = []

    def tab(self, title: str) -> _Tab | None:
        exact = next((t for t in self.tabs if t.title == title), None)
        return exact or next((t for t in self.tabs if t.title.lower() == title.lower()), None)


def _parse_range(book: _Book, text: str) -> tuple[_Tab, int, int, int, int]:
    """An A1 range -> (tab, first row, first column, last row, last column), 0-based inclusive."""
    failure = _invalid("sheets", f"Unable to parse range: {text}")
    cells: str | None
    if text.startswith("'"):
        i, name = 1, []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1:i + 2] == "'":
                    name.append("'")
                    i += 2
                    continue
                break
            name.append(text[i])
            i += 1
        else:
            raise failure
        rest = text[i + 1:]
        if rest and not rest.startswith("!"):
            raise failure
        tab, cells = book.tab("".join(name)), (rest[1:] if rest else None)
    elif "!" in text:
        title, cells = text.rsplit("!", 1)
        tab = book.tab(title)
    else:
        tab, cells = book.tab(text), None
        if tab is None and book.tabs:  # a bare A1 range means the first sheet
            tab, cells = book.tabs[0], text
    if tab is None:
        raise failure
    if cells is None:
        return tab, 0, 0, tab.row_count - 1, tab.column_count - 1
    ends = cells.split(":")
    if len(ends) > 2 or not cells:
        raise failure
    parsed = []
    for end in ends:
        m = _ENDPOINT.fullmatch(end)
        if not m or not (m.group(1) or m.group(2)):
            raise failure
        parsed.append((_column_index(m.group(1)) if m.group(1) else None,
                       int(m.group(2)) - 1 if m.group(2) else None))
    shapes = tuple("full" if c is not None and r is not None else "col" if c is not None else "row"
                   for c, r in parsed)
    if len(parsed) == 1:
        if shapes != ("full",):
            raise failure  # a lone "A" or "3" is a named range, which is not modelled
        col, row = parsed[0]
        first_row, first_col, last_row, last_col = row, col, row, col
    else:
        if shapes not in {("full", "full"), ("col", "col"), ("row", "row"), ("full", "col"), ("col", "full")}:
            raise failure  # "1:B", "A1:5" and the like
        (c0, r0), (c1, r1) = parsed
        first_row, last_row = (r0 or 0), (r1 if r1 is not None else tab.row_count - 1)
        first_col, last_col = (c0 or 0), (c1 if c1 is not None else tab.column_count - 1)
        first_row, last_row = sorted((first_row, last_row))
        first_col, last_col = sorted((first_col, last_col))
    if first_row >= tab.row_count or first_col >= tab.column_count:
        raise _invalid("sheets", f"Range ({_quote_sheet(tab.title)}!{cells}) exceeds grid limits. Max rows: "
                                 f"{tab.row_count}, max columns: {tab.column_count}")
    return tab, first_row, first_col, min(last_row, tab.row_count - 1), min(last_col, tab.column_count - 1)


def _a1(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    start = f"{_column_letters(first_col)}{first_row + 1}"
    if (first_row, first_col) == (last_row, last_col):
        return start
    return f"{start}:{_column_letters(last_col)}{last_row + 1}"


def _trim(grid: list[list]) -> list[list]:
    """The API drops trailing empty cells of each row and trailing empty rows."""
    out = []
    for row in grid:
        row = list(row)
        while row and row[-1] in (None, ""):
            row.pop()
        out.append(["" if c is None else c for c in row])
    while out and not out[-1]:
        out.pop()
    return out


# ---------------------------------------------------------------------------------------------
# Timestamps

def _rfc3339(moment: datetime, digits: int) -> str:
    moment = moment.astimezone(UTC)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits == 0:
        return base + "Z"
    return f"{base}.{moment.microsecond:06d}"[: len(base) + 1 + digits] + "Z"


def _nanos(moment: datetime) -> int:
    moment = moment.astimezone(UTC)
    whole = int((moment.replace(microsecond=0) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
    return whole * 10**9 + moment.microsecond * 1000


_ZULU = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z")


def _parse_zulu_nanos(text: str) -> int | None:
    m = _ZULU.fullmatch(text)
    if not m:
        return None
    try:
        whole = datetime(*(int(g) for g in m.groups()[:6]), tzinfo=UTC)
    except ValueError:
        return None
    return _nanos(whole) + int((m.group(7) or "").ljust(9, "0") or 0)


# ---------------------------------------------------------------------------------------------
# Files (Drive's view of everything) and their contents

@dataclass
class _File:
    id: str
    kind: str  # folder | document | spreadsheet | form
    name: str
    parents: list[str]
    drive_id: str | None
    permissions: list[dict]
    created_by_app: str | None = None  # OAuth client (service account) that created it via the API
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    content: Any = None  # _Book | dict (form) | dict (document) | None


@dataclass
class _Doc:
    text: str
    revision: str


def _permission_id(email_address: str) -> str:
    # A user's permission id is the same on every file (Drive's behaviour), so derive it.
    return str(int(hashlib.sha256(email_address.lower().encode()).hexdigest(), 16))[:20]


def _share_list(share_with: Iterable[Any], default_role: str = "writer") -> list[dict]:
    out = []
    for entry in share_with:
        address, role = (entry, default_role) if isinstance(entry, str) else tuple(entry)
        if role not in _ROLE_RANK:
            raise ValueError(f"unknown role {role!r}")
        out.append({"kind": "drive#permission", "id": _permission_id(address), "type": "user",
                    "emailAddress": address, "role": role})
    return out


# ---------------------------------------------------------------------------------------------
# The server

class _Handler(SilenceableHandler):
    """Keeps test output quiet; can close without an answer (the drop, lost-reply and timeout faults)."""


_PREFIXES = (("/token", "token"), ("/v4/spreadsheets", "sheets"), ("/v1/forms", "forms"), ("/drive/v3/", "drive"),
             ("/upload/drive/", "drive"), ("/v1/documents", "docs"), ("/gmail/v1/", "gmail"),
             ("/upload/gmail/", "gmail"))


def _api_of(path: str) -> str | None:
    for prefix, api in _PREFIXES:
        if path == prefix or path.startswith(prefix + ("" if prefix.endswith("/") else "/")) \
                or (prefix != "/token" and path.startswith(prefix + ":")):
            return api
    return None


class FakeGoogle(Injectable, LoopbackServer):
    """The fake services. See the module docstring for what it models."""

    server_name = "fake-google"
    request_handler = _Handler

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.requests: list[GRequest] = []
        self.sent_mail: list[dict] = []
        self.on_request: Callable[[GRequest], None] | None = None
        self.url: str | None = None
        self._lock = threading.RLock()
        self._ids = random.Random()
        self._keys: dict[str, dict[str, Any]] = {}  # client_email -> {private_key_id: public key}
        self._delegation: dict[str, tuple[frozenset[str], frozenset[str] | None]] = {}
        self._tokens: dict[str, _Token] = {}
        self._dead_jwts: set[str] = set()
        self._files: dict[str, _File] = {}
        self._threads: dict[str, set[str]] = {}  # mailbox -> thread ids
        self.faults = GoogleFaults()

    # -- lifecycle ------------------------------------------------------------------------------


    @property
    def _fault_lock(self):
        return self._lock

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- identities ------------------------------------------------------------------------------

    def register_service_account(self, key: dict) -> None:
        """Trust this key's public part for its client_email (as creating the key in IAM does)."""
        private = serialization.load_pem_private_key(key["private_key"].encode(), password=None)
        with self._lock:
            self._keys.setdefault(key["client_email"], {})[key["private_key_id"]] = private.public_key()

    def allow_delegation(self, client_email: str, subjects: Iterable[str] = (),
                         scopes: Iterable[str] | None = None) -> None:
        """Domain-wide delegation: which users the service account may impersonate, and (None =
        any) which scopes the Workspace admin authorised for it."""
        with self._lock:
            self._delegation[client_email] = (frozenset(s.lower() for s in subjects),
                                              None if scopes is None else frozenset(scopes))

    def revoke_tokens(self) -> None:
        """Every access token issued so far now answers 401, which makes google-auth refresh."""
        with self._lock:
            for token in self._tokens.values():
                token.live = False

    # -- seeding and inspection (no HTTP, not logged) -----------------------------------------

    def add_spreadsheet(self, spreadsheet_id: str, title: str = "Check-in responses",
                        time_zone: str = "America/Sao_Paulo", locale: str = "pt_BR",
                        tabs: dict[str, list[list]] | None = None, share_with: Iterable[Any] = (),
                        parent: str | None = None) -> None:
        if locale not in _LOCALES:
            raise ValueError(f"locale {locale!r} is not modelled (known: {sorted(_LOCALES)})")
        ZoneInfo(time_zone)  # an unknown IANA zone raises here, as the Sheets UI would refuse it
        book = _Book(time_zone, locale)
        for i, (name, rows) in enumerate((tabs or {"Sheet1": []}).items()):
            book.tabs.append(_Tab(name, 0 if i == 0 else self._sheet_id(), self._checked_rows(rows)))
        with self._lock:
            self._add_file(spreadsheet_id, "spreadsheet", title, parent, share_with, book)

    def set_values(self, spreadsheet_id: str, tab: str, rows: list[list]) -> None:
        """Replace a tab's cells (the tab is added at the end if it does not exist)."""
        with self._lock:
            book = self._seeded(spreadsheet_id, "spreadsheet").content
            existing = next((t for t in book.tabs if t.title == tab), None)
            if existing is None:
                book.tabs.append(_Tab(tab, self._sheet_id(), self._checked_rows(rows)))
            else:
                existing.rows = self._checked_rows(rows)

    def add_form(self, form_id: str, title: str, items: list[dict], share_with: Iterable[Any] = (),
                 published: bool | None = True, parent: str | None = None, document_title: str | None = None,
                 linked_sheet_id: str | None = None, collect_email: bool = False) -> dict:
        """A form made in the Forms UI. published: True (published and accepting responses),
        False (unpublished), None (a legacy form, which has no publishSettings)."""
        form = self._new_form(form_id, title, document_title or title, published)
        form["items"] = copy.deepcopy(items)
        if linked_sheet_id:
            form["linkedSheetId"] = linked_sheet_id
        if collect_email:
            form["settings"]["emailCollectionType"] = "VERIFIED"
        self._check_item_ids(form["items"])
        with self._lock:
            self._add_file(form_id, "form", document_title or title, parent, share_with, form)
        return self.forms(form_id)

    def add_response(self, form_id: str, answers: dict[str, list[str]], submitted: datetime,
                     email: str | None = None) -> str:
        """A respondent submits the form; returns the response id."""
        if submitted.tzinfo is None:
            raise ValueError("submitted must be timezone-aware")
        with self._lock:
            form = self._seeded(form_id, "form").content
            state = form.get("publishSettings", {}).get("publishState") if "publishSettings" in form else None
            if state is not None and not (state.get("isPublished") and state.get("isAcceptingResponses")):
                raise ValueError(f"form {form_id} is not accepting responses (publish it first)")
            questions = set(self._question_ids(form["items"]))
            unknown = set(answers) - questions
            if unknown:
                raise ValueError(f"no such question ids in form {form_id}: {sorted(unknown)}")
            response_id = "ACYDBN" + self._random_id(50)
            form["_responses"].append({"responseId": response_id, "submitted": submitted, "email": email,
                                       "answers": {q: [str(v) for v in vals] for q, vals in answers.items()}})
            return response_id

    def rename_item(self, form_id: str, item_id: str, new_title: str) -> None:
        """An editor retitles an item in the Forms UI (its ids do not change)."""
        with self._lock:
            form = self._seeded(form_id, "form").content
            item = next((i for i in form["items"] if i.get("itemId") == item_id), None)
            if item is None:
                raise KeyError(f"no item {item_id} in form {form_id}")
            item["title"] = new_title
            self._bump_form(form)

    def file_ids(self, kind: str) -> list[str]:
        """The ids of the files of one kind ("form", "document", "spreadsheet") the fake holds, as Drive's
        files.list filtered by mimeType would list them."""
        with self._lock:
            return sorted(i for i, f in self._files.items() if f.kind == kind)

    def forms(self, form_id: str) -> dict:
        """The form as forms.get returns it."""
        with self._lock:
            return self._form_view(self._seeded(form_id, "form").content)

    def add_folder(self, folder_id: str, name: str, shared_drive: bool = True, share_with: Iterable[Any] = (),
                   parent: str | None = None) -> None:
        """A folder. With shared_drive=True it sits at the root of its own shared drive whose
        members are share_with; otherwise it is in someone's My Drive."""
        with self._lock:
            if shared_drive and parent is None:
                drive_id = "0A" + self._random_id(11, string.ascii_letters + string.digits) + "Uk9PVA"
                self._add_file(folder_id, "folder", name, None, share_with, None)
                self._files[folder_id].drive_id = drive_id
                self._files[folder_id].parents = [drive_id]
            else:
                self._add_file(folder_id, "folder", name, parent, share_with, None)

    def add_document(self, doc_id: str, title: str, text: str, parent: str | None = None,
                     share_with: Iterable[Any] = ()) -> None:
        """A Google Doc whose body is this plain text."""
        with self._lock:
            self._add_file(doc_id, "document", title, parent, share_with, _Doc(text, self._revision()))

    def document_text(self, doc_id: str) -> str:
        with self._lock:
            return self._seeded(doc_id, "document").content.text

    def files(self) -> dict[str, dict]:
        """Every file: name, parents, mimeType, driveId, createdByApp, and its own permissions
        (including the fake-only sendNotificationEmail/emailMessage recorded at creation)."""
        with self._lock:
            return {f.id: {"name": f.name, "parents": list(f.parents), "mimeType": MIME[f.kind],
                           "driveId": f.drive_id, "createdByApp": f.created_by_app,
                           "permissions": copy.deepcopy(f.permissions)} for f in self._files.values()}

    # helpers for seeding

    def _add_file(self, file_id: str, kind: str, name: str, parent: str | None, share_with: Iterable[Any],
                  content: Any) -> _File:
        if file_id in self._files:
            raise ValueError(f"file id {file_id} already exists")
        drive_id = None
        if parent is not None:
            folder = self._files.get(parent)
            if folder is None or folder.kind != "folder":
                raise ValueError(f"parent {parent} is not a known folder")
            drive_id = folder.drive_id
        created = _File(file_id, kind, name, [parent] if parent else [], drive_id, _share_list(share_with),
                        content=content)
        self._files[file_id] = created
        return created

    def _seeded(self, file_id: str, kind: str) -> _File:
        found = self._files.get(file_id)
        if found is None or found.kind != kind:
            raise KeyError(f"no {kind} {file_id}")
        return found

    @staticmethod
    def _checked_rows(rows: list[list]) -> list[list]:
        for row in rows:
            for cell in row:
                if cell is not None and not isinstance(cell, (str, int, float, bool, DateTime)):
                    raise ValueError(f"unsupported cell value {cell!r}")
        return [list(r) for r in rows]

    def _sheet_id(self) -> int:
        return self._ids.randrange(1, 2**31 - 1)

    def _random_id(self, length: int, alphabet: str = _ID_CHARS) -> str:
        return "".join(self._ids.choice(alphabet) for _ in range(length))

    def _new_file_id(self) -> str:
        while True:
            candidate = "1" + self._random_id(43)
            if candidate not in self._files:
                return candidate

    def _revision(self) -> str:
        return "ALBJ4L" + self._random_id(40, string.ascii_letters + string.digits + "_-")

    # -- HTTP plumbing ---------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
        raw_path = raw.split("?", 1)[0]
        api = _api_of(raw_path)
        entry = GRequest(request.method, raw_path, api, None, self.clock())
        with self._lock:
            try:
                if api not in (None, "token"):
                    entry.fault = self._draw_fault()
                    if entry.fault in ("drop", "timeout"):  # nothing applied, no answer
                        raise _NoAnswer()
                    if entry.fault and entry.fault != "lost_reply":
                        known = self._tokens.get(self._bearer(request) or "")
                        entry.principal = known.principal if known else None
                        raise self._fault(api, entry.fault, request)
                status, body, headers, html = 200, self._route(request, raw_path, api, entry), {}, False
            except GoogleError as e:
                status, body, headers, html = e.status, e.body, e.headers, e.html
                if e.status == 401 and entry.fault is None and getattr(e, "expired", False):
                    entry.fault = "token_expired"
            except _NoAnswer:
                status, body, headers, html = 500, {}, {}, False
            except Exception:
                # A bug in the fake: log it as a 500 and let werkzeug print the traceback.
                entry.status = 500
                self.requests.append(entry)
                raise
            entry.status = status
            self.requests.append(entry)
        if self.on_request is not None:
            self.on_request(entry)
        if entry.fault == "timeout":  # held past the client's timeout (outside the lock: others go on)
            time.sleep(self._faults.hold_seconds)
        if entry.fault in ("drop", "lost_reply", "timeout"):
            entry.status = None
            silence(environ)
        text = body if html else json.dumps(body, indent=2)
        response = Response(text, status=f"{status} {HTTPStatus(status).phrase}",
                            content_type=("text/html" if html else "application/json") + "; charset=UTF-8",
                            headers=headers)
        return response(environ, start_response)

    def _draw_fault(self) -> str | None:
        return self._dice.draw()

    def _fault(self, api: str, fault: str, request: Request) -> GoogleError:
        if fault == "401":
            token = self._tokens.get(self._bearer(request) or "")
            if token is not None:
                token.live = False
            elif self._bearer(request):
                self._dead_jwts.add(self._bearer(request))
            return _unauthenticated(api)
        if fault == "429":
            return _api_error(api, 429, "RESOURCE_EXHAUSTED", _QUOTA_MESSAGES[api], reason="rateLimitExceeded",
                              domain="usageLimits", details=_error_info(api, "RATE_LIMIT_EXCEEDED"))
        if self._dice.rng.random() < 0.5:
            return _api_error(api, 500, "INTERNAL", "Internal error encountered.", reason="backendError")
        return _api_error(api, 503, "UNAVAILABLE", "The service is currently unavailable.", reason="backendError")

    def _route(self, request: Request, raw_path: str, api: str | None, entry: GRequest) -> Any:
        if api is None:
            raise _no_route(raw_path)
        if api == "token":
            if raw_path != "/token" or request.method != "POST":
                raise _no_route(raw_path)
            return self._token_grant(request, entry)
        if raw_path.startswith("/upload/"):
            raise _not_modelled(api, "media uploads (they also ignore the api_endpoint override)")
        alt = request.args.get("alt", "json")
        if alt != "json":
            raise _not_modelled(api, f"alt={alt}")
        handler = {"sheets": self._sheets, "forms": self._forms_api, "drive": self._drive, "docs": self._docs,
                   "gmail": self._gmail}[api]
        return handler(request, raw_path, entry)

    @staticmethod
    def _segments(raw_path: str, prefix: str) -> list[str]:
        """Raw path segments after the prefix, split before decoding (so %2F stays in a segment)."""
        rest = raw_path[len(prefix):].strip("/")
        return rest.split("/") if rest else []

    @staticmethod
    def _verb(segment: str) -> tuple[str, str | None]:
        """'abc:batchUpdate' -> ('abc', 'batchUpdate'); ids are decoded after the split."""
        if ":" in segment:
            name, verb = segment.rsplit(":", 1)
            return unquote(name), verb
        return unquote(segment), None

    @staticmethod
    def _json(request: Request, api: str) -> Any:
        data = request.get_data()
        if not data.strip():
            return {}
        try:
            return json.loads(data)
        except ValueError:
            raise _invalid(api, "Invalid JSON payload received. Unexpected token.", reason="parseError") from None

    @staticmethod
    def _flag(request: Request, name: str, default: bool, api: str) -> bool:
        value = request.args.get(name)
        if value is None:
            return default
        if value.lower() not in ("true", "false"):
            raise _invalid(api, f"Invalid value '{value}'. Values must match the following regular expression: "
                                f"'(?i)(true|false)'", reason="invalidParameter")
        return value.lower() == "true"

    def _mask(self, request: Request, value: dict, api: str, schema: str | None = None) -> dict:
        text = request.args.get("fields")
        if not text:
            return value
        try:
            tree = _parse_mask(text)
        except ValueError:
            raise _invalid(api, f"Invalid field selection {text}", reason="invalidParameter") from None
        if schema is not None:
            _check_mask(tree, schema, _discovery(_DOCS[api])["schemas"])
        return _apply_mask(value, tree)

    # -- tokens ----------------------------------------------------------------------------------

    @staticmethod
    def _bearer(request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if header[:7].lower() != "bearer " or not header[7:].strip():
            return None
        return header[7:].strip()

    def _token_grant(self, request: Request, entry: GRequest) -> dict:
        if request.mimetype != "application/x-www-form-urlencoded":
            raise _oauth_error(400, "invalid_request", "Invalid request: body must be form-encoded.")
        grant_type = request.form.get("grant_type", "")
        if grant_type != JWT_GRANT:
            raise _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        assertion = request.form.get("assertion")
        if not assertion:
            raise _oauth_error(400, "invalid_request", "Missing required parameter: assertion")
        now = self.clock()
        claims = self._verified_claims(assertion, now)
        if claims.get("aud") not in (GOOGLE_TOKEN_URI, f"{self.url}/token"):
            raise _oauth_error(400, "invalid_grant", "Invalid JWT: Failed audience check.")
        scopes = frozenset(str(claims.get("scope") or "").split())
        if not scopes:
            raise _oauth_error(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        issuer = claims["iss"]
        subject = claims.get("sub")
        if subject in (None, "", issuer):
            subject = None
        else:
            allowed = self._delegation.get(issuer)
            if allowed is None or (allowed[1] is not None and not scopes <= allowed[1]):
                raise _oauth_error(401, "unauthorized_client",
                                   "Client is unauthorized to retrieve access tokens using this method, or client "
                                   "not authorized for any of the scopes requested.")
            if str(subject).lower() not in allowed[0]:
                raise _oauth_error(400, "invalid_grant", "Invalid email or User ID")
        value = "ya29.c." + self._random_id(120, string.ascii_letters + string.digits + "-_")
        self._tokens[value] = _Token(value, issuer, subject, scopes, now + TOKEN_LIFETIME)
        entry.principal = subject or issuer
        return {"access_token": value, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"}

    def _verified_claims(self, assertion: str, now: float) -> dict:
        """The claims of an RS256 JWT signed by a registered service-account key."""
        try:
            header, claims, signed, signature = _split_jwt(assertion)
        except (ValueError, TypeError):
            raise _oauth_error(400, "invalid_grant", "Invalid JWT: malformed assertion.") from None
        issuer = claims.get("iss")
        keys = self._keys.get(issuer) if isinstance(issuer, str) else None
        if not keys:
            raise _oauth_error(400, "invalid_grant", "Invalid grant: account not found")
        if header.get("alg") != "RS256":
            raise _oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        kid = header.get("kid")
        candidates = [keys[kid]] if kid in keys else ([] if kid else list(keys.values()))
        if not any(_rs256_ok(k, signed, signature) for k in candidates):
            raise _oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)) or exp <= now \
                or iat > now + CLOCK_SKEW or exp - iat > MAX_ASSERTION_LIFETIME or exp <= iat:
            raise _oauth_error(400, "invalid_grant",
                               "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                               "timeframe. Check your iat and exp values in the JWT claim.")
        return claims

    def _authorize(self, request: Request, api: str, accepted: frozenset[str], entry: GRequest) -> _Token:
        value = self._bearer(request)
        if value is None:
            raise _unauthenticated(api, missing=True)
        token = self._tokens.get(value) or self._self_signed(value, api)
        if token is None or not token.live or token.expires_at <= self.clock():
            raise _unauthenticated(api)
        if self._dice.token_expired():
            # faults.token_expires_after: every access token issued so far expires now (as each does after an
            # hour); google-auth signs in again and the count starts over for the new token.
            for t in self._tokens.values():
                t.live = False
            self._dice.authenticated = 0
            error = _unauthenticated(api)
            error.expired = True
            raise error
        entry.principal = token.principal
        if token.audience_api != api and not token.scopes & accepted:
            raise _insufficient_scopes(api)
        return token

    def _self_signed(self, value: str, api: str) -> _Token | None:
        """A self-signed JWT used as the bearer token (service accounts, AIP-4111)."""
        if value.count(".") != 2 or value in self._dead_jwts:
            return None
        try:
            claims = self._verified_claims(value, self.clock())
        except GoogleError:
            return None
        if claims.get("sub", claims["iss"]) != claims["iss"]:
            return None
        scopes = frozenset(str(claims.get("scope") or "").split())
        audience_api = api if claims.get("aud") == f"https://{_SERVICE_HOSTS[api]}/" else None
        if not scopes and audience_api is None:
            return None
        return _Token(value, claims["iss"], None, scopes, float(claims["exp"]), audience_api=audience_api)

    # -- access to files -------------------------------------------------------------------------

    def _role(self, f: _File, principal: str) -> int:
        """The caller's best role on a file, its own permissions or inherited from its folders."""
        best, node, seen = 0, f, set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            for p in node.permissions:
                if p.get("emailAddress", "").lower() == principal.lower():
                    best = max(best, _ROLE_RANK[p["role"]])
            node = self._files.get(node.parents[0]) if node.parents else None
        return best

    def _reach(self, f: _File, token: _Token, accepted: frozenset[str]) -> int:
        """Role the token can use on the file: 0 when its scopes do not reach the file at all."""
        usable = token.scopes & accepted
        if token.audience_api is not None or usable & _BROAD:
            return self._role(f, token.principal)
        if _DRIVE_FILE in usable and f.created_by_app == token.client_email:
            return self._role(f, token.principal)
        return 0

    def _content_file(self, api: str, file_id: str, kind: str, token: _Token, accepted: frozenset[str],
                      need: str) -> _File:
        """A Sheets/Forms/Docs resource: 404 unknown, 403 not shared, 400 wrong kind of file."""
        f = self._files.get(file_id)
        if f is None:
            raise _not_found(api)
        if self._reach(f, token, accepted) < _ROLE_RANK[need]:
            raise _denied(api)
        if f.kind != kind:
            raise _api_error(api, 400, "FAILED_PRECONDITION", _WRONG_KIND, reason="failedPrecondition")
        return f

    # -- Sheets ----------------------------------------------------------------------------------

    def _sheets(self, request: Request, raw_path: str, entry: GRequest) -> dict:
        segs = self._segments(raw_path, "/v4/spreadsheets")
        if request.method != "GET" or not segs:
            raise _not_modelled("sheets", f"{request.method} {raw_path}")
        spreadsheet_id, verb = self._verb(segs[0])
        if verb is not None:
            raise _not_modelled("sheets", f"spreadsheets:{verb}")
        token = self._authorize(request, "sheets", SHEETS_READ, entry)
        if len(segs) == 1:
            book = self._content_file("sheets", spreadsheet_id, "spreadsheet", token, SHEETS_READ, "reader")
            return self._mask(request, self._spreadsheet(request, book), "sheets")
        if len(segs) == 2 and segs[1] == "values:batchGet":
            f = self._content_file("sheets", spreadsheet_id, "spreadsheet", token, SHEETS_READ, "reader")
            options = self._value_options(request)
            ranges = request.args.getlist("ranges")
            out = {"spreadsheetId": spreadsheet_id,
                   "valueRanges": [self._value_range(f.content, r, *options) for r in ranges]}
            return self._mask(request, out if ranges else {"spreadsheetId": spreadsheet_id}, "sheets")
        if len(segs) == 3 and segs[1] == "values":
            f = self._content_file("sheets", spreadsheet_id, "spreadsheet", token, SHEETS_READ, "reader")
            options = self._value_options(request)
            return self._mask(request, self._value_range(f.content, unquote(segs[2]), *options), "sheets")
        raise _not_modelled("sheets", f"{request.method} {raw_path}")

    def _spreadsheet(self, request: Request, f: _File) -> dict:
        if self._flag(request, "includeGridData", False, "sheets"):
            raise _not_modelled("sheets", "includeGridData=true")
        book: _Book = f.content
        wanted = None
        if request.args.getlist("ranges"):
            wanted = {_parse_range(book, r)[0].title for r in request.args.getlist("ranges")}
        sheets = [{"properties": t.properties(i)} for i, t in enumerate(book.tabs)
                  if wanted is None or t.title in wanted]
        return {"spreadsheetId": f.id,
                "properties": {"title": f.name, "locale": book.locale, "autoRecalc": "ON_CHANGE",
                               "timeZone": book.time_zone,
                               "defaultFormat": {"backgroundColor": {"red": 1, "green": 1, "blue": 1},
                                                 "verticalAlignment": "BOTTOM", "wrapStrategy": "OVERFLOW_CELL",
                                                 "textFormat": {"fontFamily": "arial", "fontSize": 10}}},
                "sheets": sheets,
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{f.id}/edit"}

    @staticmethod
    def _value_options(request: Request) -> tuple[str, str, str]:
        def enum(name: str, allowed: tuple[str, ...], default: str, type_name: str) -> str:
            value = request.args.get(name, default)
            if value not in allowed:
                raise _invalid("sheets", f"Invalid value at '{_snake(name)}' "
                                         f"(type.googleapis.com/google.apps.sheets.v4.{type_name}), \"{value}\"")
            return value

        value_option = enum("valueRenderOption", ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"),
                            "FORMATTED_VALUE", "ValueRenderOption")
        datetime_option = enum("dateTimeRenderOption", ("SERIAL_NUMBER", "FORMATTED_STRING"), "SERIAL_NUMBER",
                               "DateTimeRenderOption")
        dimension = enum("majorDimension", ("DIMENSION_UNSPECIFIED", "ROWS", "COLUMNS"), "ROWS", "Dimension")
        return value_option, datetime_option, "ROWS" if dimension == "DIMENSION_UNSPECIFIED" else dimension

    def _value_range(self, book: _Book, range_text: str, value_option: str, datetime_option: str,
                     dimension: str) -> dict:
        tab, r0, c0, r1, c1 = _parse_range(book, range_text)
        locale = _LOCALES[book.locale]
        grid = []
        for r in range(r0, min(r1, len(tab.rows) - 1) + 1):
            row = tab.rows[r]
            grid.append([_render_cell(row[c], value_option, datetime_option, locale)
                         if c < len(row) and row[c] is not None else None for c in range(c0, c1 + 1)])
        if dimension == "COLUMNS":
            width = max((len(row) for row in grid), default=0)
            grid = [[row[c] if c < len(row) else None for row in grid] for c in range(width)]
        out = {"range": f"{_quote_sheet(tab.title)}!{_a1(r0, c0, r1, c1)}", "majorDimension": dimension}
        values = _trim(grid)
        if values:
            out["values"] = values
        return out

    # -- Forms -----------------------------------------------------------------------------------

    def _forms_api(self, request: Request, raw_path: str, entry: GRequest) -> dict:
        segs = self._segments(raw_path, "/v1/forms")
        method = request.method
        if not segs and method == "POST":
            token = self._authorize(request, "forms", FORMS_WRITE, entry)
            return self._mask(request, self._create_form(request, token), "forms")
        if not segs:
            raise _not_modelled("forms", f"{method} {raw_path}")
        form_id, verb = self._verb(segs[0])
        if len(segs) == 1 and verb is None and method == "GET":
            token = self._authorize(request, "forms", FORMS_READ, entry)
            f = self._content_file("forms", form_id, "form", token, FORMS_READ, "writer")
            return self._mask(request, self._form_view(f.content), "forms")
        if len(segs) == 1 and verb == "batchUpdate" and method == "POST":
            token = self._authorize(request, "forms", FORMS_WRITE, entry)
            f = self._content_file("forms", form_id, "form", token, FORMS_WRITE, "writer")
            body = _validate_body("forms", "BatchUpdateFormRequest", self._json(request, "forms"))
            return self._mask(request, self._batch_update_form(f.content, body), "forms")
        if len(segs) == 1 and verb == "setPublishSettings" and method == "POST":
            token = self._authorize(request, "forms", FORMS_WRITE, entry)
            f = self._content_file("forms", form_id, "form", token, FORMS_WRITE, "writer")
            body = _validate_body("forms", "SetPublishSettingsRequest", self._json(request, "forms"))
            return self._mask(request, self._set_publish_settings(f.content, body), "forms")
        if verb is None and len(segs) in (2, 3) and segs[1] == "responses" and method == "GET":
            token = self._authorize(request, "forms", FORMS_RESPONSES, entry)
            f = self._content_file("forms", form_id, "form", token, FORMS_RESPONSES, "writer")
            if len(segs) == 2:
                return self._mask(request, self._list_responses(f.content, request), "forms")
            response_id = unquote(segs[2])
            found = next((r for r in f.content["_responses"] if r["responseId"] == response_id), None)
            if found is None:
                raise _not_found("forms")
            return self._mask(request, self._response_view(f.content, found, with_form_id=True), "forms")
        raise _not_modelled("forms", f"{method} {raw_path}")

    def _new_form(self, form_id: str, title: str, document_title: str, published: bool | None) -> dict:
        form = {"formId": form_id, "info": {"title": title, "documentTitle": document_title},
                "settings": {"emailCollectionType": "DO_NOT_COLLECT"}, "items": [],
                "revisionId": "00000001",
                "responderUri": f"https://docs.google.com/forms/d/e/1FAIpQLS{self._random_id(48)}/viewform",
                "_responses": []}
        if published is not None:
            form["publishSettings"] = {"publishState": {"isPublished": published,
                                                        "isAcceptingResponses": published}}
        return form

    def _form_view(self, form: dict) -> dict:
        view = {k: copy.deepcopy(v) for k, v in form.items() if not k.startswith("_")}
        # The output is proto3 JSON: false/0/""/[] fields are absent and a form without items has
        # no "items". An unpublished form shows "publishSettings": {} (as reported by users of the
        # live API; the all-default publishState is not sent either).
        return self._drop_default_state(_proto3(view))

    @staticmethod
    def _drop_default_state(view: dict) -> dict:
        if view.get("publishSettings", {}).get("publishState") == {}:
            del view["publishSettings"]["publishState"]
        return view

    def _create_form(self, request: Request, token: _Token) -> dict:
        body = _validate_body("forms", "Form", self._json(request, "forms"))
        extra = sorted(k for k in body if k != "info") + sorted(
            f"info.{k}" for k in body.get("info", {}) if k not in ("title", "documentTitle"))
        if extra:
            raise _invalid("forms", "Only info.title and info.document_title may be set when creating a form; "
                                    f"use forms.batchUpdate for everything else (found: {', '.join(extra)}).")
        title = body.get("info", {}).get("title")
        if not title:
            raise _invalid("forms", "info.title is required.")
        # Forms created through the API after 30 June 2026 start unpublished.
        published = not self._flag(request, "unpublished", False, "forms") if "unpublished" in request.args else False
        form_id = self._new_file_id()
        form = self._new_form(form_id, title, body["info"].get("documentTitle") or "Untitled form", published)
        created = _File(form_id, "form", form["info"]["documentTitle"], [], None,
                        _share_list([(token.principal, "owner")]), created_by_app=token.client_email,
                        content=form)
        self._files[form_id] = created
        return self._form_view(form)

    def _bump_form(self, form: dict) -> None:
        form["revisionId"] = f"{int(form['revisionId']) + 1:08d}"

    @staticmethod
    def _question_ids(items: list[dict]) -> list[str]:
        out = []
        for item in items:
            if "questionItem" in item:
                out.append(item["questionItem"].get("question", {}).get("questionId"))
            for q in item.get("questionGroupItem", {}).get("questions", []):
                out.append(q.get("questionId"))
        return [q for q in out if q]

    def _check_item_ids(self, items: list[dict]) -> None:
        item_ids = [i.get("itemId") for i in items]
        if None in item_ids or len(set(item_ids)) != len(item_ids):
            raise ValueError("every item needs a unique itemId")
        question_ids = self._question_ids(items)
        if len(set(question_ids)) != len(question_ids):
            raise ValueError("question ids must be unique")

    def _hex_id(self, taken: set[str]) -> str:
        while True:
            candidate = f"{self._ids.getrandbits(32):08x}"
            if candidate not in taken:
                taken.add(candidate)
                return candidate

    _ITEM_KINDS = ("questionItem", "questionGroupItem", "pageBreakItem", "textItem", "imageItem", "videoItem")
    _QUESTION_KINDS = ("choiceQuestion", "textQuestion", "scaleQuestion", "dateQuestion", "timeQuestion",
                       "fileUploadQuestion", "rowQuestion", "ratingQuestion")

    def _batch_update_form(self, form: dict, body: dict) -> dict:
        required = body.get("writeControl", {}).get("requiredRevisionId")
        if required is not None and required != form["revisionId"]:
            raise _api_error("forms", 400, "FAILED_PRECONDITION",
                             f"The required revision ID {required} does not match the latest revision "
                             f"{form['revisionId']}.")
        work = copy.deepcopy(form)  # all or nothing
        replies = []
        for n, req in enumerate(body.get("requests", [])):
            kinds = [k for k in req if req[k] is not None]
            if len(kinds) != 1:
                raise _invalid("forms", f"Invalid requests[{n}]: exactly one kind of request must be set.")
            kind = kinds[0]
            handler = {"createItem": self._form_create_item, "updateItem": self._form_update_item,
                       "deleteItem": self._form_delete_item, "moveItem": self._form_move_item,
                       "updateFormInfo": self._form_update_info, "updateSettings": self._form_update_settings}[kind]
            replies.append(handler(work, req[kind], f"requests[{n}].{_snake(kind)}"))
        if body.get("requests"):
            self._bump_form(work)
        form.clear()
        form.update(work)
        out: dict[str, Any] = {"replies": replies, "writeControl": {"requiredRevisionId": form["revisionId"]}}
        if body.get("includeFormInResponse"):
            out["form"] = self._form_view(form)
        return _proto3(out)

    def _location(self, work: dict, location: dict | None, where: str, inclusive: bool = False) -> int:
        if not isinstance(location, dict) or "index" not in location:
            raise _invalid("forms", f"Invalid {where}: location is required.")
        index = int(location["index"])
        if not 0 <= index < len(work["items"]) + (1 if inclusive else 0):
            raise _invalid("forms", f"Invalid {where}: index {index} must be in range "
                                    f"[0, {len(work['items']) + (1 if inclusive else 0)}).")
        return index

    def _checked_item(self, work: dict, item: dict, where: str) -> None:
        kinds = [k for k in self._ITEM_KINDS if k in item]
        if len(kinds) != 1:
            raise _invalid("forms", f"Invalid {where}.item: exactly one item kind must be set.")
        questions = []
        if "questionItem" in item:
            question = item["questionItem"].get("question")
            if not isinstance(question, dict):
                raise _invalid("forms", f"Invalid {where}.item.question_item: question is required.")
            questions.append(question)
        questions += item.get("questionGroupItem", {}).get("questions", [])
        for q in questions:
            q_kinds = [k for k in self._QUESTION_KINDS if k in q]
            if len(q_kinds) != 1:
                raise _invalid("forms", f"Invalid {where}.item: each question needs exactly one question kind.")
            choice = q.get("choiceQuestion")
            if choice is not None and (choice.get("type") not in ("RADIO", "CHECKBOX", "DROP_DOWN")
                                       or not choice.get("options")):
                raise _invalid("forms", f"Invalid {where}.item: a choice question needs a type and options.")

    def _form_create_item(self, work: dict, req: dict, where: str) -> dict:
        item = copy.deepcopy(req.get("item"))
        if not isinstance(item, dict):
            raise _invalid("forms", f"Invalid {where}: item is required.")
        index = self._location(work, req.get("location"), where, inclusive=True)
        self._checked_item(work, item, where)
        taken = {i["itemId"] for i in work["items"]} | set(self._question_ids(work["items"]))
        if item.get("itemId") in taken:
            raise _invalid("forms", f"Invalid {where}: item id {item['itemId']} is already used.")
        item["itemId"] = item.get("itemId") or self._hex_id(taken)
        taken.add(item["itemId"])
        questions = ([item["questionItem"]["question"]] if "questionItem" in item else []) + \
            item.get("questionGroupItem", {}).get("questions", [])
        for q in questions:
            if q.get("questionId") in taken:
                raise _invalid("forms", f"Invalid {where}: question id {q['questionId']} is already used.")
            q["questionId"] = q.get("questionId") or self._hex_id(taken)
            taken.add(q["questionId"])
        work["items"].insert(index, item)
        reply: dict[str, Any] = {"itemId": item["itemId"]}
        if questions:
            reply["questionId"] = [q["questionId"] for q in questions]
        return {"createItem": reply}

    @staticmethod
    def _mask_paths(mask: Any, where: str) -> list[list[str]]:
        if not isinstance(mask, str) or not mask.strip():
            raise _invalid("forms", f"Invalid {where}: update_mask is required.")
        return [[_camel(p) for p in path.strip().split(".")] for path in mask.split(",")]

    @staticmethod
    def _copy_path(target: dict, source: dict, path: list[str]) -> None:
        if path == ["*"]:
            target.clear()
            target.update(copy.deepcopy(source))
            return
        for part in path[:-1]:
            source = source.get(part, {}) if isinstance(source, dict) else {}
            target = target.setdefault(part, {})
        if isinstance(source, dict) and path[-1] in source:
            target[path[-1]] = copy.deepcopy(source[path[-1]])
        else:
            target.pop(path[-1], None)

    def _form_update_item(self, work: dict, req: dict, where: str) -> dict:
        index = self._location(work, req.get("location"), where)
        paths = self._mask_paths(req.get("updateMask"), where)
        item = copy.deepcopy(work["items"][index])
        new = req.get("item") or {}
        for path in paths:
            self._copy_path(item, new, path)
        if not item.get("itemId"):
            item["itemId"] = self._hex_id({i["itemId"] for i in work["items"]})
        self._checked_item(work, item, where)
        work["items"][index] = item
        return {}

    def _form_delete_item(self, work: dict, req: dict, where: str) -> dict:
        del work["items"][self._location(work, req.get("location"), where)]
        return {}

    def _form_move_item(self, work: dict, req: dict, where: str) -> dict:
        item = work["items"].pop(self._location(work, req.get("originalLocation"), where))
        work["items"].insert(self._location(work, req.get("newLocation"), where, inclusive=True), item)
        return {}

    def _form_update_info(self, work: dict, req: dict, where: str) -> dict:
        paths = self._mask_paths(req.get("updateMask"), where)
        if any(p[0] == "documentTitle" for p in paths):
            raise _invalid("forms", f"Invalid {where}: info.document_title cannot be updated.")
        info = req.get("info") or {}
        for path in paths:
            if path == ["*"]:
                work["info"] = {**{k: v for k, v in info.items() if k != "documentTitle"},
                                "documentTitle": work["info"].get("documentTitle")}
            else:
                self._copy_path(work["info"], info, path)
        return {}

    def _form_update_settings(self, work: dict, req: dict, where: str) -> dict:
        for path in self._mask_paths(req.get("updateMask"), where):
            self._copy_path(work["settings"], req.get("settings") or {}, path)
        return {}

    def _set_publish_settings(self, form: dict, body: dict) -> dict:
        if "publishSettings" not in form:
            raise _api_error("forms", 400, "FAILED_PRECONDITION",
                             "Legacy forms do not support publish settings.")
        mask = body.get("updateMask") or "*"
        if any(p.strip() not in ("*", "publishState", "publish_state", "publishState.isPublished",
                                 "publishState.isAcceptingResponses", "publish_state.is_published",
                                 "publish_state.is_accepting_responses") for p in mask.split(",")):
            raise _invalid("forms", f"Invalid update_mask: {mask}")
        state = (body.get("publishSettings") or {}).get("publishState")
        if not isinstance(state, dict) or "isPublished" not in state or "isAcceptingResponses" not in state:
            raise _invalid("forms", "publish_settings.publish_state.is_published and is_accepting_responses must "
                                    "both be set.")
        if state["isAcceptingResponses"] and not state["isPublished"]:
            raise _invalid("forms", "A form that is not published cannot accept responses.")
        form["publishSettings"] = {"publishState": {"isPublished": bool(state["isPublished"]),
                                                    "isAcceptingResponses": bool(state["isAcceptingResponses"])}}
        return self._drop_default_state(_proto3({"formId": form["formId"],
                                                 "publishSettings": form["publishSettings"]}))

    def _response_view(self, form: dict, response: dict, with_form_id: bool) -> dict:
        out: dict[str, Any] = {"responseId": response["responseId"],
                               "createTime": _rfc3339(response["submitted"], 3),
                               "lastSubmittedTime": _rfc3339(response["submitted"], 6)}
        if with_form_id:
            out = {"formId": form["formId"], **out}
        if response["email"]:
            out["respondentEmail"] = response["email"]
        answers = {q: {"questionId": q, "textAnswers": {"answers": [{"value": v} for v in values]}}
                   for q, values in response["answers"].items() if values}
        if answers:
            out["answers"] = answers
        return out

    def _list_responses(self, form: dict, request: Request) -> dict:
        raw_size = request.args.get("pageSize", "0")
        if not re.fullmatch(r"-?\d+", raw_size):
            raise _invalid("forms", f"Invalid value at 'page_size' (TYPE_INT32), \"{raw_size}\"")
        size = int(raw_size)
        if size < 0:
            raise _invalid("forms", "page_size must not be negative.")
        size = min(size or FORMS_MAX_PAGE, FORMS_MAX_PAGE)
        text = request.args.get("filter", "")
        keep = self._response_filter(text)
        start = 0
        if request.args.get("pageToken"):
            start = self._read_page_token(request.args["pageToken"], form["formId"], text)
        chosen = sorted((r for r in form["_responses"] if keep(r)), key=lambda r: _nanos(r["submitted"]))
        page = chosen[start:start + size]
        out: dict[str, Any] = {}
        if page:
            out["responses"] = [self._response_view(form, r, with_form_id=False) for r in page]
        if start + size < len(chosen):
            token = json.dumps({"f": form["formId"], "q": text, "o": start + size}).encode()
            out["nextPageToken"] = base64.urlsafe_b64encode(token).decode().rstrip("=")
        return out

    @staticmethod
    def _response_filter(text: str) -> Callable[[dict], bool]:
        if not text.strip():
            return lambda r: True
        m = re.fullmatch(r"\s*timestamp\s*(>=|>)\s*(\S+)\s*", text)
        nanos = _parse_zulu_nanos(m.group(2)) if m else None
        if nanos is None:
            raise _invalid("forms", f"Invalid filter: {text}. Only 'timestamp > T' and 'timestamp >= T' with an "
                                    "RFC 3339 UTC (\"Zulu\") timestamp are supported.")
        if m.group(1) == ">":
            return lambda r: _nanos(r["submitted"]) > nanos
        return lambda r: _nanos(r["submitted"]) >= nanos

    @staticmethod
    def _read_page_token(token: str, form_id: str, text: str) -> int:
        try:
            data = json.loads(_b64decode(token))
            if data["f"] == form_id and data["q"] == text and isinstance(data["o"], int):
                return data["o"]
        except (ValueError, KeyError, TypeError):
            pass
        raise _invalid("forms", "Invalid page token: it does not belong to this form and filter.")

    # -- Drive -----------------------------------------------------------------------------------

    def _drive(self, request: Request, raw_path: str, entry: GRequest) -> dict:
        segs = self._segments(raw_path, "/drive/v3")
        method = request.method
        if len(segs) < 2 or segs[0] != "files":
            raise _not_modelled("drive", f"{method} {raw_path}")
        file_id = unquote(segs[1])
        all_drives = self._flag(request, "supportsAllDrives", False, "drive") or \
            self._flag(request, "supportsTeamDrives", False, "drive")
        if len(segs) == 2 and method == "GET":
            token = self._authorize(request, "drive", DRIVE_GET, entry)
            f = self._drive_file(file_id, token, DRIVE_GET, all_drives)
            return self._drive_fields(request, self._file_resource(f, token), "File", ("kind", "id", "name",
                                                                                      "mimeType"))
        if len(segs) == 3 and segs[2] == "copy" and method == "POST":
            token = self._authorize(request, "drive", DRIVE_COPY, entry)
            return self._copy(request, file_id, token, all_drives)
        if len(segs) == 3 and segs[2] == "permissions" and method == "POST":
            token = self._authorize(request, "drive", DRIVE_SHARE, entry)
            return self._share(request, file_id, token, all_drives)
        if len(segs) == 3 and segs[2] == "permissions" and method == "GET":
            token = self._authorize(request, "drive", DRIVE_PERMISSIONS_LIST, entry)
            f = self._drive_file(file_id, token, DRIVE_PERMISSIONS_LIST, all_drives)
            listing = {"kind": "drive#permissionList", "permissions": self._visible_permissions(f)}
            if not request.args.get("fields"):
                listing["permissions"] = [{k: p[k] for k in ("kind", "id", "type", "role")}
                                          for p in listing["permissions"]]
                return listing
            return self._drive_fields(request, listing, "PermissionList", None)
        raise _not_modelled("drive", f"{method} {raw_path}")

    def _drive_fields(self, request: Request, resource: dict, schema: str, defaults: tuple | None) -> dict:
        if not request.args.get("fields") and defaults is not None:
            return {k: resource[k] for k in defaults if k in resource}
        return self._mask(request, resource, "drive", schema)

    def _drive_file(self, file_id: str, token: _Token, accepted: frozenset[str], all_drives: bool,
                    need: str = "reader", location: str = "fileId") -> _File:
        """Drive answers "File not found" for files the caller cannot see, and for shared-drive
        items when the request does not declare supportsAllDrives."""
        f = self._files.get(file_id)
        if f is None or self._reach(f, token, accepted) < _ROLE_RANK["reader"] or (f.drive_id and not all_drives):
            raise _file_not_found(file_id, location)
        if self._reach(f, token, accepted) < _ROLE_RANK[need]:
            raise _api_error("drive", 403, None, "The user does not have sufficient permissions for this file.",
                             reason="insufficientFilePermissions")
        return f

    def _file_resource(self, f: _File, token: _Token) -> dict:
        links = {"document": f"https://docs.google.com/document/d/{f.id}/edit?usp=drivesdk",
                 "spreadsheet": f"https://docs.google.com/spreadsheets/d/{f.id}/edit?usp=drivesdk",
                 "form": f"https://docs.google.com/forms/d/{f.id}/edit?usp=drivesdk",
                 "folder": f"https://drive.google.com/drive/folders/{f.id}"}
        role = self._role(f, token.principal)
        out: dict[str, Any] = {"kind": "drive#file", "id": f.id, "name": f.name, "mimeType": MIME[f.kind],
                               "parents": list(f.parents), "webViewLink": links[f.kind], "trashed": False,
                               "createdTime": _rfc3339(f.created, 3), "modifiedTime": _rfc3339(f.created, 3),
                               "capabilities": {"canEdit": role >= 3, "canCopy": f.kind != "folder",
                                                "canShare": role >= 3}}
        if f.drive_id:
            out["driveId"] = f.drive_id
        else:
            out["permissions"] = self._visible_permissions(f)
            out["owners"] = [{"kind": "drive#user", "emailAddress": p["emailAddress"], "me":
                              p["emailAddress"].lower() == token.principal.lower()}
                             for p in f.permissions if p["role"] == "owner"]
        return out

    def _visible_permissions(self, f: _File) -> list[dict]:
        out, node, seen = [], f, set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            for p in node.permissions:
                view = {k: v for k, v in p.items() if k in ("kind", "id", "type", "emailAddress", "role", "domain")}
                view["deleted"] = False
                if f.drive_id:
                    view["permissionDetails"] = [{"permissionType": "file", "role": p["role"],
                                                  "inherited": node is not f,
                                                  **({"inheritedFrom": node.id} if node is not f else {})}]
                if node is f or not any(v["id"] == view["id"] for v in out):
                    out.append(view)
            node = self._files.get(node.parents[0]) if node.parents else None
        return out

    def _copy(self, request: Request, file_id: str, token: _Token, all_drives: bool) -> dict:
        source = self._drive_file(file_id, token, DRIVE_COPY, all_drives)
        body = self._json(request, "drive")
        if not isinstance(body, dict):
            raise _invalid("drive", "Invalid JSON payload received.", reason="parseError")
        if source.kind == "folder":
            raise _api_error("drive", 403, None, "This file cannot be copied by the user.", reason="cannotCopyFile")
        parents = body.get("parents")
        if parents is not None and (not isinstance(parents, list) or not all(isinstance(p, str) for p in parents)):
            raise _invalid("drive", "Invalid value for parents.", reason="invalid")
        if parents and len(parents) > 1:
            raise _api_error("drive", 403, None, "Increasing the number of parents is not allowed.",
                             reason="cannotAddParent")
        if parents:
            parent = self._drive_file(parents[0], token, DRIVE_COPY, all_drives, need="writer", location="parents")
            if parent.kind != "folder":
                raise _invalid("drive", "The specified parent is not a folder.", reason="notAFolder")
        else:  # the copy goes next to the source when the caller may write there, else to My Drive
            near = self._files.get(source.parents[0]) if source.parents else None
            parent = near if near is not None and self._reach(near, token, DRIVE_COPY) >= 3 else None
        drive_id = parent.drive_id if parent is not None else None
        if drive_id is None and token.subject is None:
            # Service accounts have no Drive storage of their own.
            raise _api_error("drive", 403, None, "The user's Drive storage quota has been exceeded.",
                             reason="storageQuotaExceeded", domain="usageLimits")
        new_id = self._new_file_id()
        name = body.get("name") or f"Copy of {source.name}"
        content = copy.deepcopy(source.content)
        if source.kind == "document":
            content.revision = self._revision()
        elif source.kind == "form":
            content.update(formId=new_id, _responses=[], revisionId="00000001")
            content["info"]["documentTitle"] = name
        owner = [] if drive_id else _share_list([(token.principal, "owner")])
        copy_file = _File(new_id, source.kind, name, [parent.id] if parent is not None else [], drive_id, owner,
                          created_by_app=token.client_email, content=content)
        self._files[new_id] = copy_file
        return self._drive_fields(request, self._file_resource(copy_file, token), "File",
                                  ("kind", "id", "name", "mimeType"))

    def _share(self, request: Request, file_id: str, token: _Token, all_drives: bool) -> dict:
        f = self._drive_file(file_id, token, DRIVE_SHARE, all_drives, need="writer")
        body = self._json(request, "drive")
        if not isinstance(body, dict):
            raise _invalid("drive", "Invalid JSON payload received.", reason="parseError")
        kind, role = body.get("type"), body.get("role")
        if not kind:
            raise _api_error("drive", 400, None, "The permission type field is required.", reason="required",
                             location="permission.type")
        if not role:
            raise _api_error("drive", 400, None, "The permission role field is required.", reason="required",
                             location="permission.role")
        if kind not in ("user", "group", "domain", "anyone"):
            raise _invalid("drive", "The permission type is invalid.", reason="invalid")
        if role not in _ROLE_RANK:
            raise _invalid("drive", "The permission role is invalid.", reason="invalid")
        if kind in ("user", "group") and not body.get("emailAddress"):
            raise _api_error("drive", 400, None, "The permission emailAddress field is required.",
                             reason="required", location="permission.emailAddress")
        if role == "owner" and not self._flag(request, "transferOwnership", False, "drive"):
            raise _api_error("drive", 403, None, "The transferOwnership parameter must be enabled when the "
                                                 "permission role is 'owner'.", reason="forbidden")
        notify = self._flag(request, "sendNotificationEmail", True, "drive")
        address = body.get("emailAddress") or body.get("domain") or "anyone"
        permission = {"kind": "drive#permission",
                      "id": "anyoneWithLink" if kind == "anyone" else _permission_id(address), "type": kind,
                      "role": role}
        if kind in ("user", "group"):
            permission["emailAddress"] = address
        if kind == "domain":
            permission["domain"] = address
        f.permissions = [p for p in f.permissions if p["id"] != permission["id"]]
        f.permissions.append({**permission, "sendNotificationEmail": notify,
                              "emailMessage": request.args.get("emailMessage")})
        return self._drive_fields(request, permission, "Permission", ("kind", "id", "type", "role"))

    # -- Docs ------------------------------------------------------------------------------------

    def _docs(self, request: Request, raw_path: str, entry: GRequest) -> dict:
        segs = self._segments(raw_path, "/v1/documents")
        if len(segs) != 1:
            raise _not_modelled("docs", f"{request.method} {raw_path}")
        doc_id, verb = self._verb(segs[0])
        if verb is None and request.method == "GET":
            token = self._authorize(request, "docs", DOCS_READ, entry)
            f = self._content_file("docs", doc_id, "document", token, DOCS_READ, "reader")
            tabs = self._flag(request, "includeTabsContent", False, "docs")
            return self._mask(request, self._document(f, tabs), "docs")
        if verb == "batchUpdate" and request.method == "POST":
            token = self._authorize(request, "docs", DOCS_WRITE, entry)
            f = self._content_file("docs", doc_id, "document", token, DOCS_WRITE, "writer")
            body = _validate_body("docs", "BatchUpdateDocumentRequest", self._json(request, "docs"))
            return self._docs_batch_update(f, body)
        raise _not_modelled("docs", f"{request.method} {raw_path}")

    @staticmethod
    def _utf16(text: str) -> int:
        return len(text.encode("utf-16-le")) // 2

    def _document(self, f: _File, tabs: bool) -> dict:
        doc: _Doc = f.content
        text = doc.text if doc.text.endswith("\n") else doc.text + "\n"  # a body always ends in a newline
        content: list[dict] = [{"endIndex": 1, "sectionBreak": {"sectionStyle": {
            "columnSeparatorStyle": "NONE", "contentDirection": "LEFT_TO_RIGHT", "sectionType": "CONTINUOUS"}}}]
        index = 1
        for line in text.splitlines(keepends=True):
            end = index + self._utf16(line)
            content.append({"startIndex": index, "endIndex": end, "paragraph": {
                "elements": [{"startIndex": index, "endIndex": end, "textRun": {"content": line, "textStyle": {}}}],
                "paragraphStyle": {"namedStyleType": "NORMAL_TEXT", "direction": "LEFT_TO_RIGHT"}}})
            index = end
        style = {"background": {"color": {}}, "pageNumberStart": 1, "marginTop": {"magnitude": 72, "unit": "PT"},
                 "pageSize": {"height": {"magnitude": 792, "unit": "PT"}, "width": {"magnitude": 612, "unit": "PT"}}}
        body = {"body": {"content": content}, "documentStyle": style,
                "namedStyles": {"styles": [{"namedStyleType": "NORMAL_TEXT", "textStyle": {}}]}}
        out: dict[str, Any] = {"title": f.name}
        if tabs:
            out["tabs"] = [{"tabProperties": {"tabId": "t.0", "title": "Tab 1"}, "documentTab": body}]
        else:
            out.update(body)
        out.update(revisionId=doc.revision, suggestionsViewMode="SUGGESTIONS_INLINE", documentId=f.id)
        return out

    def _docs_batch_update(self, f: _File, body: dict) -> dict:
        doc: _Doc = f.content
        required = body.get("writeControl", {}).get("requiredRevisionId")
        if required is not None and required != doc.revision:
            raise _invalid("docs", f"The document revision {required} does not match the latest revision.")
        text, replies = doc.text, []
        for n, req in enumerate(body.get("requests", [])):
            kinds = [k for k in req if req[k] is not None]
            if len(kinds) != 1:
                raise _invalid("docs", f"Invalid requests[{n}]: exactly one kind of request must be set.")
            if kinds[0] != "replaceAllText":
                raise _not_modelled("docs", f"{kinds[0]} requests (only replaceAllText is modelled)")
            text, count = self._replace_all(text, req["replaceAllText"], n)
            # proto3 JSON: occurrencesChanged is left out when it is 0.
            replies.append({"replaceAllText": {"occurrencesChanged": count} if count else {}})
        if body.get("requests") and text != doc.text:
            doc.text, doc.revision = text, self._revision()
        out: dict[str, Any] = {"replies": replies} if replies else {}
        return {**out, "writeControl": {"requiredRevisionId": doc.revision}, "documentId": f.id}

    @staticmethod
    def _replace_all(text: str, req: dict, n: int) -> tuple[str, int]:
        criteria = req.get("containsText") or {}
        needle = criteria.get("text") or ""
        if not needle:
            raise _invalid("docs", f"Invalid requests[{n}].replaceAllText: The text to search for must not be "
                                   "empty.")
        tabs = (req.get("tabsCriteria") or {}).get("tabIds")
        if tabs and tabs != ["t.0"]:
            raise _invalid("docs", f"Invalid requests[{n}].replaceAllText: unknown tab ids {tabs}.")
        try:
            pattern = re.compile(needle if criteria.get("searchByRegex") else re.escape(needle),
                                 0 if criteria.get("matchCase") else re.IGNORECASE)
        except re.error:
            raise _invalid("docs", f"Invalid requests[{n}].replaceAllText: invalid regular expression.") from None
        replacement = req.get("replaceText") or ""
        return pattern.subn(lambda m: replacement, text)

    # -- Gmail -----------------------------------------------------------------------------------

    def _gmail(self, request: Request, raw_path: str, entry: GRequest) -> dict:
        segs = self._segments(raw_path, "/gmail/v1")
        if not (len(segs) == 4 and segs[0] == "users" and segs[2:] == ["messages", "send"]
                and request.method == "POST"):
            raise _not_modelled("gmail", f"{request.method} {raw_path}")
        token = self._authorize(request, "gmail", GMAIL_SEND, entry)
        user_id = unquote(segs[1])
        body = _validate_body("gmail", "Message", self._json(request, "gmail"))
        if token.subject is None:
            # A service account has no mailbox of its own.
            raise _api_error("gmail", 400, "FAILED_PRECONDITION", "Precondition check failed.",
                             reason="failedPrecondition")
        if user_id != "me" and user_id.lower() != token.subject.lower():
            raise _api_error("gmail", 403, "PERMISSION_DENIED", f"Delegation denied for {token.subject}",
                             reason="forbidden")
        if not body.get("raw"):
            raise _invalid("gmail", "'raw' RFC822 payload message string or uploading message via /upload/* URL "
                                    "required")
        try:
            raw = _b64decode(body["raw"])
        except ValueError:
            raise _invalid("gmail", f"Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed for "
                                    f"\"{body['raw'][:40]}\"") from None
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        if not any(parsed.get_all(h) for h in ("To", "Cc", "Bcc")):
            raise _invalid("gmail", "Recipient address required")
        mailbox = token.subject.lower()
        threads = self._threads.setdefault(mailbox, set())
        message_id = f"{self._ids.getrandbits(64):016x}"
        thread_id = body.get("threadId") or message_id
        if body.get("threadId") and thread_id not in threads:
            raise _not_found("gmail")
        threads.add(thread_id)
        self.sent_mail.append({"user_id": token.subject, "raw_bytes": raw, "message_id": message_id,
                               "thread_id": thread_id})
        return {"id": message_id, "threadId": thread_id, "labelIds": ["SENT"]}
