"""Reading Airtable's refusals: the reply a refused request got, and Airtable's error type and message
from it, without any secret."""

from __future__ import annotations

import requests

from ...redaction import redact


def reply_of(exc: requests.HTTPError) -> requests.Response:
    """The reply a refused request got (`raise_for_status`, which raises every HTTPError here, attaches it)."""
    if exc.response is None:  # raised without a reply: nothing to read, so it goes on as it is
        raise exc
    return exc.response


def error_type(exc: requests.HTTPError) -> str:
    """Airtable's error type and message from a refused request, without any secret (`redaction`: a proxy in
    front may echo the request's headers, the token among them, in its error body)."""
    return redact(_error_type(exc))


def _error_type(exc: requests.HTTPError) -> str:
    try:
        body = reply_of(exc).json()
    except ValueError:
        return f"HTTP {reply_of(exc).status_code}"
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return f"{err.get('type', 'ERROR')}: {err.get('message', '')}".rstrip(": ")
    if isinstance(err, str):
        return err
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return f"{errors[0].get('error', 'ERROR')}: {errors[0].get('message', '')}"
    return f"HTTP {reply_of(exc).status_code}"
