"""`GmailMailer`: mail through the Gmail API, as the configured sender (domain-wide delegation).

Each message is the same RFC 5322 bytes the other transports send (every contract header, the
Message-ID derived from the key), passed whole as a base64url `raw` body to
`users.messages.send` (media uploads ignore the endpoint override, so they are not used). The
idempotency is the mail ledger's, as for every transport. A 429 or 5xx is retried within the
configured budget, then the message is a temporary failure for the next run; a refusal (bad
address, no delegation) is a permanent one; a refused key or delegation stops the run. With a DKIM
signer (`mail.dkim_selector`) the raw message carries the program's own signature, besides the one
Google Workspace adds for its domain when it is set up to.
"""

from __future__ import annotations

import base64
from typing import Any

from ...errors import ConfigError, ServiceUnavailable, StopRun
from ...mail.dkim import DkimError, DkimSigner
from ...mail.failures import PermanentFailure, TemporaryFailure
from ...mail.message import Outgoing
from .access import GoogleAccess, http_error_text


class GmailMailer:
    name = "gmail"

    def __init__(self, access: GoogleAccess, sender: str, signer: DkimSigner | None = None):
        self.access = access
        self.signer = signer
        self.sender = sender
        self._service: Any = None  # Gmail's API service: google-api-python-client builds it at run time, untyped

    def ready(self) -> None:
        """Raise one sentence (ConfigError) unless the service-account key Gmail sends with is there and
        readable. Checked when a run starts and before a batch: without it every message would fail, and
        each would be recorded in the ledger as sending, then failed."""
        try:
            _ = self.access.key  # reading the key is the check
        except ConfigError as exc:
            text = str(exc)
            raise ConfigError(f"mail.transport 'gmail' needs a Google service-account key (with domain-wide "
                              f"delegation to send as {self.sender}): {text[:1].lower()}{text[1:]}") from None

    def __enter__(self) -> GmailMailer:
        self.ready()
        if self.signer is not None:
            self.signer.ready()  # a missing or bad key stops the run (one sentence) before the batch starts
        return self

    def __exit__(self, *exc) -> None:
        self._service = None

    def send(self, msg: Outgoing) -> None:
        from google.auth.exceptions import RefreshError
        from googleapiclient.errors import HttpError

        if self._service is None:
            self._service = self.access.service("gmail", "v1", "gmail", subject=self.sender)
        try:
            data = self.signer.sign(msg.data) if self.signer is not None else msg.data
        except DkimError as exc:
            raise PermanentFailure(str(exc)) from None
        raw = base64.urlsafe_b64encode(data).decode("ascii")
        try:
            self.access.execute(self._service.users().messages().send(userId="me", body={"raw": raw}),
                                f"sending {msg.key}", write=True, repeatable=False)
        except RefreshError:
            raise StopRun(f"Google refused the service account's sign-in as {self.sender} (is domain-wide delegation "
                          f"granted for the gmail.send scope?); nothing more was sent.") from None
        except HttpError as exc:
            text = http_error_text(exc)
            if exc.resp.status == 400 and "FAILED_PRECONDITION" in text:
                raise StopRun(f"Gmail refused to send as {self.sender} ({text}): the service account needs "
                              f"domain-wide delegation (google.subject) to send mail.") from None
            if exc.resp.status >= 500 or exc.resp.status == 429:
                raise TemporaryFailure(f"Gmail could not take the message now ({text})") from None
            raise PermanentFailure(f"Gmail refused the message ({text})") from None
        except ServiceUnavailable as exc:
            raise TemporaryFailure(str(exc)) from None
