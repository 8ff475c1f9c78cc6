"""`GoogleAdmin`: what `doctor` checks of the Google side: the key, and signing in with it."""

from __future__ import annotations

from ..errors import StopRun
from ..ports import Finding
from .google_access import GoogleAccess


class GoogleAdmin:
    def __init__(self, access: GoogleAccess, needs: tuple[str, ...], uses: str):
        self.access = access
        self.needs = needs  # the scopes the configured jobs need, by name (google_access.SCOPES)
        self.uses = uses  # what the configuration uses Google for, for the message

    def check(self) -> list[Finding]:
        from google.auth.exceptions import RefreshError, TransportError
        from google.auth.transport.requests import Request

        s = self.access.settings
        try:
            email = self.access.client_email
        except StopRun as exc:
            return [Finding(False, str(exc))]
        out = [Finding(True, f"Google service-account key {s.key_path} ({s.key_named_by}) is readable: "
                             f"{email}, for {self.uses}.")]
        try:
            self.access.credentials(*self.needs).refresh(Request())
        except (RefreshError, TransportError) as exc:
            kind = type(exc).__name__
            return out + [Finding(False, f"Google refused to sign in {email} with that key ({kind}): is the key "
                                         f"current, and delegation granted if google.subject is set?")]
        out.append(Finding(True, f"Google sign-in as {email}{f' for {s.subject}' if s.subject else ''} works "
                                 f"(scopes: {', '.join(self.needs)})."))
        return out

    def init(self, dry_run: bool) -> list[str]:
        return []
