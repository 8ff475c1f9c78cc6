"""Effect ports: what acts on the world beyond the program's own tables.

The mailer (the outbox folder, SMTP, Gmail) and the send lock that lets one run send at a time,
the drafter that makes and shares review documents, the forum's ambassadors group, and the makers of
the program's Google forms (`init --form`, `init --referral-form`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from ..domain.forum import Member as ForumMember
from ..mail.message import Outgoing


class Mailer(Protocol):
    """Where a composed message goes (`mail.transport`): the outbox folder, an SMTP server, Gmail. Its
    failures are `mail.failures`' `TemporaryFailure`, `PermanentFailure` (and `ServerUnreachable`,
    which stops the batch) and `LoginRefused`."""

    name: str

    def __enter__(self) -> Mailer: ...

    def __exit__(self, *exc) -> None: ...

    def send(self, msg: Outgoing) -> None:
        """Hand one message over; return only once it is accepted, else raise a failure."""


class SendLock(Protocol):
    """Only one run applies side effects at a time."""

    def hold(self) -> AbstractContextManager[bool]:
        """Wait for the lock (bounded); the value says whether another run held it meanwhile."""


class Drafter(Protocol):
    """Makes a proposal's review document from the template and shares it (Google Docs, HTML files)."""

    name: str

    def create(self, key: str, title: str, fields: Mapping[str, str], share_with: Sequence[str]) -> str:
        """Make the document with every placeholder filled, share it, and return its link. A placeholder
        left unfilled raises `DocumentFailed` (nothing is shared)."""

    def link(self, reference: str) -> str:
        """What a person clicks in a mail to open the document `create` returned (or the Document field holds):
        a web link as it is, a local file as a `file:` URI of its absolute path."""


class ForumRefused(Exception):
    """The forum refused a membership change (its own words in the message, never a credential): the
    change did not happen; the job records it failed, and the next run reads the group and tries again."""


class ForumGroup(Protocol):
    """The forum's ambassadors group (Discourse): the members it has, and changes to them."""

    #: The group and the forum, for messages ("forum group 'ambassadors' at https://forum.example.org").
    where: str
    #: Requests made so far, and how many of them were tries again after a 429, a 5xx or no answer.
    requests: int
    retries: int

    def ready(self) -> None:
        """Raise `StopRun` (one sentence) when a credential is missing: checked before anything changes."""

    def members(self) -> list[ForumMember]:
        """Every member as the forum lists them now (owners flagged), read in full."""

    def find_user(self, handle: str) -> str | None:
        """The username as the forum spells it, for a handle in any case; None when no user has it."""

    def add(self, usernames: Sequence[str]) -> list[str]:
        """Add these users (at most `FORUM_BATCH`, none a member yet); the usernames the forum added."""

    def remove(self, usernames: Sequence[str]) -> list[str]:
        """Take these users out (at most `FORUM_BATCH`); the usernames no longer members (taken out now,
        or not members anyway)."""


FORUM_BATCH = 100  # usernames one membership request carries (Discourse takes up to 1,000 to add)


class CheckinFormMaker(Protocol):
    """`init --form`: makes the check-in form from the configuration and publishes it (Google Forms)."""

    existing: str  # the configured form's id ("": none configured)

    @property
    def sections(self) -> int:
        """The activity sections the form will have."""

    def plan(self) -> list[dict]:
        """The form's items as the Forms API takes them (nothing made)."""

    def create(self) -> tuple[str, str]:
        """Make and publish the form: its id and the address people fill it at."""


@dataclass
class ReferralForm:
    """What `init --referral-form` made or found, and what it did to it."""

    form_id: str
    url: str = ""
    entries: dict[str, str] = field(default_factory=dict)  # role -> "entry.N"
    linked_sheet: str = ""
    done: list[str] = field(default_factory=list)  # "created", "added the questions", "published it"
    would: list[str] = field(default_factory=list)  # the same, in a dry run
    notes: list[str] = field(default_factory=list)  # what staff must do themselves


class AnswerFormMaker(Protocol):
    """`init --referral-form`: makes the referral answer form once, finishes a half-made one, publishes it."""

    def ensure(self, dry_run: bool = False) -> ReferralForm:
        """The form as it is (made or finished now), or what would be done (`dry_run`: nothing changes)."""
