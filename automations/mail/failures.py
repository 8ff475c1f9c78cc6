"""How sending a message fails, whatever sends it (the outbox, SMTP, Gmail): what delivery does with each."""

from __future__ import annotations

from ..effects import ActionFailed
from ..errors import StopRun


class TemporaryFailure(ActionFailed):
    """The message may go through if tried again later."""


class PermanentFailure(ActionFailed):
    """The message will not go through as it is (e.g. the server refuses the address)."""


class ServerUnreachable(TemporaryFailure):
    """No connection to the mail server after the bounded tries: the rest of the batch waits."""

    stops_batch = True


class LoginRefused(StopRun):
    """The mail server refused the login: a credentials problem that stops the run (exit 2)."""
