"""One fault model for every fake service (Airtable, Google, Discourse) and the SMTP server.

`Faults` holds per-request probabilities and two counters; `FaultDice` draws from a seeded RNG, so the
same sequence of requests meets the same faults (a fresh RNG each time a fake's `faults` is assigned).
Every default is zero: a fake without faults behaves as the real service on a good day.

What each fault is, as the real services show it (each fake renders it in its service's own words):

- ``429``: the service's rate-limit answer with its real body and headers (Airtable RATE_LIMIT_REACHED;
  Google RESOURCE_EXHAUSTED rateLimitExceeded; Discourse ``Retry-After`` + ``error_type: rate_limit``).
  SMTP has no 429: a server throttling a sender answers ``421 4.7.0`` and closes the connection
  (RFC 5321 4.2.3: 421 is "Service not available, closing transmission channel"; smtplib closes its
  side on 421, `SMTP.getreply`/`data`).
- ``5xx``: a transient server error, nothing applied (HTTP 500/502/503). In SMTP a 5xx is permanent
  (RFC 5321 4.2.1) and a client must not retry it, so the SMTP server answers the transient kind,
  ``451 4.3.0`` ("local error in processing").
- ``timeout``: the server holds the request for `hold_seconds` (set it longer than the client's
  timeout), then closes without an answer; nothing applied.
- ``drop``: the connection closes without an answer; nothing applied.
- ``lost_reply``: the request is applied, then the connection closes without the answer (a reply lost
  in a proxy or a crash between commit and reply); the client cannot tell it from ``drop``.
- ``401`` (Google only): the presented access token is revoked; google-auth refreshes once and retries.
- `token_expires_after`: after this many authenticated requests the credential stops working: the
  Airtable token answers 401 AUTHENTICATION_REQUIRED, the Discourse key 403 invalid_access (a revoked
  key), Google's access tokens expire (google-auth refreshes them, as it does every hour). Assigning
  new `faults` restores the credential (the next run's good token).
- `close_after` (SMTP only): the server drops the connection after accepting this many messages in one
  session (a server that closes mid-batch).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from werkzeug.serving import WSGIRequestHandler

RATE_FAULTS = ("401", "429", "5xx", "drop", "lost_reply", "timeout")  # the order the bands are drawn in


@dataclass(frozen=True)
class Faults:
    """Probabilities (summing to at most 1) of each fault per request, and the counters."""
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_drop: float = 0.0
    rate_lost_reply: float = 0.0
    rate_timeout: float = 0.0
    rate_401: float = 0.0  # Google: the presented access token is revoked
    token_expires_after: int | None = None  # authenticated requests before the credential stops working
    close_after: int | None = None  # SMTP: messages accepted in one session before the server hangs up
    hold_seconds: float = 0.5  # how long a `timeout` holds the request before closing
    seed: int = 1

    def __post_init__(self):
        rates = [getattr(self, f"rate_{name}") for name in RATE_FAULTS]
        if min(rates) < 0 or sum(rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must be non-negative and sum to at most 1")

    @property
    def any(self) -> bool:
        return any(getattr(self, f"rate_{n}") for n in RATE_FAULTS) or self.token_expires_after is not None \
            or self.close_after is not None


class FaultDice:
    """Draws the fault (or None) for each request from `faults`' seeded RNG; counts what it drew."""

    def __init__(self, faults: Faults):
        self.faults = faults
        self.rng = random.Random(faults.seed)
        self.authenticated = 0  # requests counted towards token_expires_after
        self.drawn: dict[str, int] = {}

    def draw(self, allowed: tuple[str, ...] = RATE_FAULTS) -> str | None:
        """One number per request, whatever is allowed, so the sequence of faults does not depend on which
        kinds a fake models; a fault the fake does not model is no fault."""
        roll = self.rng.random()
        for name in RATE_FAULTS:
            rate = getattr(self.faults, f"rate_{name}")
            if roll < rate:
                if name not in allowed:
                    return None
                self.drawn[name] = self.drawn.get(name, 0) + 1
                return name
            roll -= rate
        return None

    def token_expired(self) -> bool:
        """Count one authenticated request; True once the credential has outlived token_expires_after."""
        limit = self.faults.token_expires_after
        if limit is None:
            return False
        self.authenticated += 1
        return self.authenticated > limit


class Injectable:
    """A fake whose `faults` can be set at any time: each assignment starts a fresh seeded draw (`FaultDice`),
    so every scenario is repeatable. The fake provides `_fault_lock` (the lock its requests hold)."""

    _faults: Faults
    _dice: FaultDice

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        with self._fault_lock:
            self._faults, self._dice = value, FaultDice(value)


class SilenceableHandler(WSGIRequestHandler):
    """A quiet werkzeug handler that a fake can tell to close without answering (`silence`)."""

    def make_environ(self):
        environ = super().make_environ()
        environ["faults.handler"] = self
        return environ

    def log_request(self, *args, **kwargs) -> None:  # keeps test output quiet
        pass

    def log(self, type: str, message: str, *args) -> None:
        if type == "error":
            super().log(type, message, *args)


def silence(environ) -> None:
    """Whatever werkzeug writes from here on goes nowhere and the socket is closed, so the client sees the
    connection end without a status line (a drop, a lost reply, or a timeout once held)."""
    handler = environ["faults.handler"]
    handler.wfile = io.BytesIO()
    handler.close_connection = True
