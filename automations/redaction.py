"""Secrets out of every error text: one helper for whatever reaches stderr or a log.

A server may echo the request's headers in an error body (a proxy's "400 Bad Request" page, a debug
endpoint), and that body becomes part of the sentence a run prints. `redact` replaces in any text:

- every secret value the configuration names, as `bootstrap.secret_values` reads them from the
  environment and the credentials file (installed once by `bootstrap.load_config`, `install`);
- the base64 forms of each (`encoded_forms`): a server may echo what it was sent, and SMTP's AUTH sends
  the login and password base64-encoded (`SmtpMailer` adds its AUTH PLAIN string's forms too);
- whatever looks like a credential even when it is not ours: `Bearer <token>`, an Airtable personal
  access token (`pat` + 14 characters + `.` + 64 hex), and the value of an `Api-Key`, `Api-Username`'s
  sibling headers (`Api-Key: ...`, `"Api-Key": "..."`), `Authorization: ...` and `X-Goog-Api-Key`.

Every line the command line prints goes through it (`cli.echo`), and the scheduler's log
(`run_log.RedactSecrets`) uses the same function.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

REDACTED = "[redacted]"
#: A value shorter than this is not treated as a secret: replacing it everywhere would garble the text.
MIN_SECRET_LENGTH = 4

_LOOKS_SECRET = [
    # Authorization: Bearer <token> (and any "bearer <token>" in a body).
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + REDACTED),
    # An Airtable personal access token (its documented shape: patXXXXXXXXXXXXXX.<64 hex>).
    (re.compile(r"\bpat[A-Za-z0-9]{14}\.[A-Za-z0-9]{16,}"), REDACTED),
    # A header echoed as `Name: value` or as a JSON/dict item `"Name": "value"`.
    (re.compile(r"""(?i)(["']?\b(?:api[-_]key|x-goog-api-key|authorization|x-api-key)\b["']?\s*[:=]\s*["']?)"""
                r"""(?!\[redacted\])(?:bearer\s+)?[^\s"',;}]{4,}"""), r"\1" + REDACTED),
]

_secrets: list[str] = []


def encoded_forms(*values: str) -> list[str]:
    """Each value and its base64 forms (standard and URL-safe, with and without the padding)."""
    out = []
    for v in values:
        if not v:
            continue
        out.append(v)
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            b = enc(v.encode("utf-8")).decode("ascii")
            out += [b, b.rstrip("=")]
    return out


def install(secrets: Iterable[str]) -> None:
    """Add these secret values (and their base64 forms) to those `redact` removes (for the rest of the process)."""
    global _secrets
    merged = {s for s in list(_secrets) + encoded_forms(*secrets) if s and len(s) >= MIN_SECRET_LENGTH}
    _secrets = sorted(merged, key=len, reverse=True)  # longest first: a secret holding another goes whole


def redact(text: str, secrets: Iterable[str] | None = None, also: Iterable[str] = ()) -> str:
    """`text` without any installed secret (or those given), nor the `also` ones, and without anything that
    looks like one."""
    values = sorted({s for s in (*(_secrets if secrets is None else secrets), *also)
                     if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
    for secret in values:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _LOOKS_SECRET:
        text = pattern.sub(replacement, text)
    return text
