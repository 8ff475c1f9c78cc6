"""What each credential's verification page says: the page its QR code opens. Pure.

`credentials publish` writes, beside the issuer profile, key and status list, one static page per credential issued
(the mail ledger's sent certificate and perk notice keys) at `<uuid>/index.html`, the credential's id without its
`urn:uuid:`. A page names no one: it says which program issued the credential, what it is, read from the mail key
alone (a yearly certificate's years of service, an event certificate's event id, a free event access perk's quarter,
conference funding), the day its mail went (the ledger's `at`, in the program's time zone) and whether it is valid or revoked as of the day of
publishing, by the same status bits the published list sets (`revoked_indexes`): a page never disagrees with
`credentials verify`. Nothing else of the key shows: not the address, not the start date.

An erased person's keys hold their pseudonym (`domain.privacy`): they get no page, so the next publish takes theirs
away. Keys of another shape (none the program makes) get none either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from .certificates import EVENT, YEARLY, years_word
from .credentials import CONFERENCE_FUNDING, FREE_EVENT_ACCESS, credential_email, credential_id, status_index
from .privacy import is_erased
from .quarters import local_date
from .values import shown

VALID, REVOKED = "valid", "revoked"
#: The most characters of an event id or a quarter a page shows (a key's part may be of any length).
SHOWN_CHARS = 120


@dataclass(frozen=True)
class VerificationPage:
    """One credential's page: where it goes (`uuid`), what the credential is and its status on publishing."""

    uuid: str  # the credential's id without "urn:uuid:": the page's folder, and the QR code's last part
    kind: str  # the mail job: YEARLY, EVENT, FREE_EVENT_ACCESS or CONFERENCE_FUNDING
    title: str  # "Certificate of service"
    what: str  # "3 years of service as an ambassador": the key's kind, years, event id or quarter, shown inertly
    issued: date | None  # the day its mail went (None when the ledger's time cannot be read)
    status: str  # VALID or REVOKED

    @property
    def credential_id(self) -> str:
        return f"urn:uuid:{self.uuid}"


def described(key: str) -> tuple[str, str, str] | None:
    """The kind, title and description of the credential mailed under `key`, from the key alone; None for a key
    that carries no credential. Event ids and quarters are people's text: shown inertly (`values.shown`)."""
    kind, _, rest = key.partition(":")
    if kind == YEARLY:
        tail = rest.rsplit(":", 1)[-1]
        years = int(tail[1:]) if tail[:1] == "y" and tail[1:].isdigit() else 0
        return kind, "Certificate of service", (f"{years_word(years).capitalize()} of service as an ambassador"
                                                if years else "Service as an ambassador")
    if kind == EVENT:
        event = _part(rest.rsplit(":", 1)[0]) if ":" in rest else ""
        return kind, "Certificate of attendance", f"Attendance at the event {event}" if event else "Attendance"
    if kind == FREE_EVENT_ACCESS:
        quarter = _part(rest.rsplit(":", 1)[-1]) if ":" in rest else ""
        return kind, "Perk: free event access", (f"Free access to the program's events, earned for the quarter "
                                                 f"{quarter}" if quarter else "Free access to the program's events")
    if kind == CONFERENCE_FUNDING:
        return kind, "Perk: conference funding", "Eligible to ask the program for conference funding, after a full " \
                                                 "year of service"
    return None


def _part(text: str) -> str:
    """A part of a key as a page shows it: inert (`shown`) and at most SHOWN_CHARS characters."""
    text = shown(text)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def _day(at: str, tz: ZoneInfo) -> date | None:
    """The program's day of a ledger time (ISO; one with no zone is read as UTC, as the ledger writes it)."""
    try:
        instant = datetime.fromisoformat(at.strip())
    except ValueError:
        return None
    return local_date(instant if instant.tzinfo else instant.replace(tzinfo=UTC), tz)


def verification_pages(issued: Iterable[tuple[str, str]], revoked: set[int], keyed: Callable[[str], str],
                       tz: ZoneInfo) -> list[VerificationPage]:
    """The pages of the credentials `issued` (their mail keys and the ledger's `at`, whose day in the program's time
    zone `tz` is the day issued), sorted by uuid; `revoked`: the status bits `credentials publish` sets. No page for
    an erased person's key or a key that carries no credential."""
    pages = []
    for key, at in issued:
        what = described(key)
        if what is None or is_erased(credential_email(key)):
            continue
        kind, title, text = what
        pages.append(VerificationPage(
            uuid=credential_id(keyed, key).removeprefix("urn:uuid:"), kind=kind, title=title, what=text,
            issued=_day(at, tz), status=REVOKED if status_index(keyed, key) in revoked else VALID))
    return sorted(pages, key=lambda p: p.uuid)


@dataclass(frozen=True)
class Site:
    """The pages `credentials publish` writes in the folder: one per credential, and the front page, as of `as_of`
    (the day of publishing)."""

    as_of: date
    pages: tuple[VerificationPage, ...]


def served_by_folder(base_url: str) -> bool:
    """Whether the QR code's address (`Issuer.verify_url`) is a path under the published folder: a base URL
    ending in "/" or in neither "=" nor "#" gives `<base>/<uuid>`, which a static host serves from
    `<uuid>/index.html`. One ending in "=" (a query) or "#" (a fragment) is for a verifier service that takes the id:
    served from the folder, it opens the folder's front page (`index.html`), which cannot show one credential."""
    return bool(base_url) and not base_url.endswith(("=", "#"))
