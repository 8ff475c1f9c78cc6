"""`GoogleAdmin`: what `doctor` checks of the Google side: the key, and signing in with it."""

from __future__ import annotations

from ...errors import StopRun
from ...ports import Finding
from .access import GoogleAccess


class GoogleAdmin:
    """A `ServiceCheck`: the service-account key, signing in with the scopes the jobs need, the Drive files."""

    def __init__(self, access: GoogleAccess, needs: tuple[str, ...], uses: str,
                 drive_files: tuple[tuple[str, str], ...] = ()):
        self.access = access
        self.needs = needs  # the scopes the configured jobs need, by name (google_access.SCOPES)
        self.uses = uses  # what the configuration uses Google for, for the message
        self.drive_files = drive_files  # (what it is, its id): the review template and folder

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
        return out + self._drive_findings(email)

    def _drive_findings(self, email: str) -> list[Finding]:
        """Each configured Drive file (the review template, its folder) exists and can be reached."""
        from googleapiclient.errors import HttpError

        from .access import http_error_text

        out: list[Finding] = []
        if not self.drive_files:
            return out
        drive = self.access.service("drive", "v3", "drive")
        for what, file_id in self.drive_files:
            try:
                meta = self.access.execute(drive.files().get(fileId=file_id, supportsAllDrives=True,
                                                             fields="id,name,driveId"), f"the {what}")
            except HttpError as exc:
                out.append(Finding(False, f"the {what} {file_id} cannot be reached by {email} ({http_error_text(exc)}): "
                                          f"share it with that address or check its id."))
                continue
            note = "" if meta.get("driveId") else " (not in a Shared Drive: copies may be refused for lack of storage)"
            out.append(Finding(True, f"the {what} '{meta.get('name', file_id)}' is reachable{note}."))
        return out

