"""Document ports: the files the program draws for people.

The certificate renderer (PDF), the quarterly report's renderers (its page, its PDF, the
newsletter's Markdown), the archive the report's files are kept in, and the calendar renderer
(the deadlines a message carries, as an iCalendar file)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..domain.calendar import CalendarEntry
from ..domain.certificates import Certificate
from ..domain.credentials import Issuer
from ..domain.report import ProgramReport
from ..domain.verify_pages import Site
from .results import Written


class CertificateRenderer(Protocol):
    """Draws a certificate as PDF bytes (fpdf2)."""

    name: str

    def covers(self, char: str) -> bool:
        """Whether the certificate fonts can draw this character (else it would show as an empty box)."""

    def prepare(self, certificates: Sequence[Certificate]) -> None:
        """Get ready to draw these (e.g. fonts cut down to their characters, once); optional for `render`."""

    def render(self, certificate: Certificate) -> bytes:
        """The certificate as a PDF; `DocumentFailed` when it cannot be drawn as it should."""

    def check(self) -> list[str]:
        """What is missing to draw certificates (fonts, images), one sentence each; empty when ready."""


class CredentialIssuer(Protocol):
    """Signs credentials with the program's key (a compact JWS) and writes the folder staff publish."""

    issuer: Issuer

    def sign(self, payload: dict) -> str:
        """The credential signed: a compact JWS whose payload is `payload`."""

    def jwk(self) -> dict:
        """The public key as a JWK."""

    def revoked(self) -> set[int]:
        """The status bits earlier publishes set (a revocation is permanent). `DocumentFailed` when their record
        cannot be read."""

    def keep_revoked(self, indexes: set[int]) -> bool:
        """Record `indexes` as the status bits set; whether the record changed."""

    def publish(self, folder: str, status_credential: dict, site: Site | None = None,
                dry_run: bool = False) -> Published:
        """Write the issuer profile, the public key and the signed status list in the folder at path `folder`
        (made if missing), each file only when its bytes change; with `site`, also each credential's verification
        page and the front page, and take away the pages of credentials no longer in it (only pages publish
        wrote). With `dry_run`, write and remove nothing: say what would be. `DocumentFailed` when a page cannot
        be drawn (then nothing is written)."""


@dataclass(frozen=True)
class Published:
    """What `CredentialIssuer.publish` did in the folder (or, in a dry run, would do); paths relative to it."""

    written: tuple[str, ...] = ()  # files created or changed
    unchanged: int = 0  # files already as they should be
    removed: tuple[str, ...] = ()  # pages of credentials no longer issued ("<uuid>/index.html")
    left: tuple[str, ...] = ()  # what publish would rewrite or remove but did not write itself: left as it is


class ReportRenderer(Protocol):
    """Draws the quarterly report as one file: the HTML page, the PDF, the newsletter's Markdown."""

    name: str
    filename: str  # the file it makes in the quarter's folder: "report.html", "report.pdf", "newsletter.md"

    def render(self, report: ProgramReport) -> bytes:
        """The file's bytes; the same report always gives the same bytes (a rerun rewrites nothing).
        `DocumentFailed` when it cannot be drawn."""


class ReportArchive(Protocol):
    """Where the quarterly reports are kept (a folder of files)."""

    where: str

    def write(self, quarter: str, files: Mapping[str, bytes], dry_run: bool = False) -> Written:
        """Put these files in the quarter's place, each atomically and only when its bytes differ. With
        `dry_run`, write nothing and return what the real call would (each file a part, named)."""


class CalendarRenderer(Protocol):
    """Draws deadlines as one calendar file (RFC 5545, `icalendar`), in the program's time zone."""

    name: str
    content_type: str  # the attachment's MIME type, with its parameters ("text/calendar; method=PUBLISH; ...")

    def render(self, entries: Sequence[CalendarEntry], stamp: datetime) -> bytes:
        """The entries as one calendar published to its reader, each with its UID, SEQUENCE and words (already in
        the reader's language: `CalendarEntry.summary`, `.description`), the time zone's definition always in it;
        `stamp` (an aware instant) is every entry's DTSTAMP. The same entries and stamp always give the same bytes;
        no text in an entry can add a property or a component."""
