"""`GoogleAccess`: the service-account key, credentials per job with the smallest scopes, and
API clients pointed at the configured endpoints, with a bounded retry of our own.

The key is read once and checked before any request: a missing, unreadable or malformed key, or a
key of another type, is one sentence naming the file (never its content). Credentials are made by
google-auth from the key (the JWT flow against the key's `token_uri`); google-auth refreshes the
access token when it expires or when an API answers 401. Nothing connects while building.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import ConfigError, ServiceUnavailable, StopRun
from ...ports import Usage
from ...redaction import redact

SCOPES = {
    "sheets": ("https://www.googleapis.com/auth/spreadsheets.readonly",),
    "forms_read": ("https://www.googleapis.com/auth/forms.body.readonly",
                   "https://www.googleapis.com/auth/forms.responses.readonly"),
    "forms_write": ("https://www.googleapis.com/auth/forms.body",),
    "drive": ("https://www.googleapis.com/auth/drive",),
    "docs": ("https://www.googleapis.com/auth/documents",),
    "gmail": ("https://www.googleapis.com/auth/gmail.send",),
}
REQUIRED_KEYS = ("private_key", "client_email", "token_uri")
RETRY_STATUSES = (429, 500, 502, 503, 504)
RATE_REASONS = ("rateLimitExceeded", "userRateLimitExceeded")  # Drive and Gmail say "slow down" with a 403


@dataclass(frozen=True)
class GoogleSettings:
    key_path: Path
    key_named_by: str  # "google.credentials_file" or "the environment variable X", for messages
    subject: str = ""
    endpoints: Mapping[str, str] = field(default_factory=dict)
    max_attempts: int = 5
    retry_backoff_seconds: float = 2
    timeout_seconds: float = 60


def load_key(path: Path, named_by: str) -> dict:
    """The service-account key as a dict, or one sentence on what is wrong with the file."""
    where = f"The Google service-account key {path} ({named_by})"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist: download a JSON key for the service account (its shape is in "
                          f"credentials.example.json).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where} cannot be read ({type(exc).__name__}).") from None
    try:
        key = json.loads(text)
    except ValueError:
        raise ConfigError(f"{where} is not JSON: it should be the key file exactly as downloaded.") from None
    if not isinstance(key, dict):
        raise ConfigError(f"{where} is not a JSON key object.")
    if key.get("type") != "service_account":
        kind = key.get("type")
        raise ConfigError(f"{where} is a key of type {kind!r}, not a service-account key ('service_account').")
    missing = [k for k in REQUIRED_KEYS if not key.get(k)]
    if missing:
        raise ConfigError(f"{where} lacks {', '.join(missing)}.")
    from google.oauth2 import service_account

    try:
        service_account.Credentials.from_service_account_info(key)
    except (ValueError, TypeError):
        raise ConfigError(f"{where} has a private key that cannot be read: download the key again.") from None
    return key


class GoogleAccess:
    """One key, one `Usage`; credentials and clients for each job's needs."""

    def __init__(self, settings: GoogleSettings, *, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.sleep = sleep
        self.usage = Usage("Google")
        self._key: dict | None = None

    @property
    def key(self) -> dict:
        if self._key is None:
            self._key = load_key(self.settings.key_path, self.settings.key_named_by)
        return self._key

    @property
    def client_email(self) -> str:
        return self.key["client_email"]

    def credentials(self, *needs: str, subject: str | None = None):
        from google.oauth2 import service_account

        scopes = [s for need in needs for s in SCOPES[need]]
        kind = service_account.Credentials
        if any(self.settings.endpoints.values()):
            kind = _credentials_off_google()
        creds = kind.from_service_account_info(self.key, scopes=scopes)
        who = self.settings.subject if subject is None else subject
        return creds.with_subject(who) if who else creds

    def service(self, name: str, version: str, *needs: str, subject: str | None = None):
        """A google-api-python-client service built offline from its shipped discovery document."""
        from googleapiclient.discovery import build

        endpoint = self.settings.endpoints.get(name, "")
        options = {}
        if endpoint:
            options["api_endpoint"] = endpoint.rstrip("/") + ("/drive/v3/" if name == "drive" else "/")
        import google_auth_httplib2
        import httplib2

        http = google_auth_httplib2.AuthorizedHttp(self.credentials(*needs, subject=subject),
                                                   http=httplib2.Http(timeout=self.settings.timeout_seconds))
        return build(name, version, http=http, static_discovery=True, cache_discovery=False,
                     client_options=options or None)

    def signed_in_refused(self, exc: Exception) -> StopRun:
        s = self.settings
        return StopRun(f"Google refused to sign in the service account of {s.key_path} ({s.key_named_by}) "
                       f"({type(exc).__name__}): the key may be revoked, or delegation not granted.")

    def attempts(self, call: Callable[[], Any], what: str, retry_why: Callable[[Exception], str | None],
                 write: bool = False) -> Any:
        """Run `call` with the bounded retry every Google client here shares: `retry_why(exc)` names why
        an error is worth another try (or None: raise it). Each try is counted; a sign-in Google
        refuses stops the run at once."""
        from google.auth.exceptions import RefreshError

        s = self.settings
        last = ""
        for attempt in range(1, s.max_attempts + 1):
            if attempt > 1:
                self.usage.retries += 1
            if write:
                self.usage.writes += 1
            else:
                self.usage.reads += 1
            try:
                return call()
            except RefreshError as exc:
                raise self.signed_in_refused(exc) from None
            except Exception as exc:  # retry_why decides; anything else is raised as it is
                why = retry_why(exc)
                if why is None:
                    raise
                last = why
            self.sleep(s.retry_backoff_seconds * 2 ** (attempt - 1))
        raise ServiceUnavailable(f"Google did not answer {what} after {s.max_attempts} tries (last: {last}); the next "
                                 f"run completes the work.")

    def execute(self, request, what: str, write: bool = False, repeatable: bool = True) -> Any:
        """Run one API request with a bounded retry on 429, a rate-limit 403 and 5xx.

        A write that creates something (`repeatable=False`) is retried only when Google said it
        did nothing (a 429 or a rate-limit 403): after a 5xx or a lost answer it may have been done,
        so it is left to the ledger and the next run instead of being repeated blindly. A 401 is
        tried once more (the library signs in again first); a sign-in Google refuses stops the run.
        """
        from google.auth.exceptions import TransportError
        from googleapiclient.errors import HttpError

        unauthorized: list[HttpError] = []

        def retry_why(exc: Exception) -> str | None:
            if isinstance(exc, HttpError):
                status = exc.resp.status
                rate = status == 429 or (status == 403 and any(r in http_error_text(exc, reasons=True)
                                                                for r in RATE_REASONS))
                if status == 401 and not unauthorized:
                    unauthorized.append(exc)
                    return "401"
                return str(status) if rate or (status in RETRY_STATUSES and repeatable) else None
            if isinstance(exc, (TransportError, ConnectionError, TimeoutError, OSError)):
                if not repeatable:
                    raise ServiceUnavailable(f"Google gave no answer to {what} ({type(exc).__name__}); whether it "
                                             f"was done is checked by the next run.") from None
                return type(exc).__name__
            return None

        return self.attempts(request.execute, what, retry_why, write)


def _credentials_off_google():
    """Service-account credentials for APIs reached through other endpoints (a proxy, a test server).

    google-auth looks up the account's allowed regions at Google's IAM service after signing in;
    with the APIs elsewhere that lookup would be the one request to Google, so it is not made.
    """
    from google.oauth2 import service_account

    class Credentials(service_account.Credentials):
        def _is_regional_access_boundary_lookup_required(self) -> bool:
            return False

    return Credentials


def http_error_text(exc, reasons: bool = False) -> str:
    """Google's error status and message from an HttpError, without any secret (`redaction`); with
    `reasons`, the older front ends' reason codes too (rateLimitExceeded...)."""
    return redact(_http_error_text(exc, reasons))


def _http_error_text(exc, reasons: bool) -> str:
    try:
        body = json.loads(exc.content.decode("utf-8"))
        err = body.get("error", {})
        if isinstance(err, dict):
            why = " ".join(str(e.get("reason", "")) for e in err.get("errors", []) if isinstance(e, dict))
            text = f"{exc.resp.status} {err.get('status', '')}: {err.get('message', '')}".strip()
            return f"{text} {why}".strip() if reasons else text
    except (ValueError, AttributeError):
        pass
    return str(getattr(exc.resp, "status", "error"))
