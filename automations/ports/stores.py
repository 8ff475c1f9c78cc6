"""Store ports: the tables staff and the jobs keep, read and written row by row.

The roster, the derived reports (activities, check-ins, data problems), blog proposals, funding
requests, the conduct register, referral inquiries, the mail ledger, the work cache, every table
whole for `migrate` (`ProgramTables`) and a backend's schema (`Admin`, for `doctor` and `init`).
Each has a CSV-folder and an Airtable adapter (the work cache: a local file)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from ..domain.blog import Proposal
from ..domain.compliance import Resolved
from ..domain.conduct import Incident
from ..domain.funding import FundingRequest
from ..domain.migration import Held, Row, TablePlan
from ..domain.model import Activity, Ambassador, Checkin, Problem
from ..domain.problems import ProblemRecord
from ..domain.referrals import Inquiry
from .results import Written


@dataclass(frozen=True)
class StandingUpdate:
    """What the compliance job writes back on one ambassador's roster entry (the only fields it owns)."""

    standing: str
    streak: int
    perks: tuple[str, ...]
    last_checkin: date | None


class RosterStore(Protocol):
    """The ambassadors staff keep (a CSV file or their Airtable table)."""

    #: Where the roster lives, for messages ("data/ambassadors.csv", "Airtable table Ambassadors").
    where: str
    #: The name its rows' problems carry ("ambassadors.csv", "Ambassadors").
    source: str

    def read(self) -> tuple[list[Ambassador], list[Problem]]:
        """Every usable ambassador; every row that cannot be used becomes a Problem (never dropped)."""

    def write_standings(self, updates: Mapping[str, StandingUpdate], dry_run: bool = False) -> Written:
        """Set the standing fields of the ambassadors keyed by normalised email; touch nothing else.

        Only entries whose values differ are written; unknown emails are ignored. With `dry_run`, write
        nothing and return what the same call without it would return.
        """

    def standings(self) -> dict[str, str]:
        """The Standing column as it stands (what compliance last wrote), by normalised email."""


@dataclass(frozen=True)
class StoredReports:
    """What sync-checkins stored: every activity copy, every check-in, and the data problems on record."""

    activities: list[Activity]
    checkins: list[Checkin]
    problems: list[ProblemRecord]


class ReportStore(Protocol):
    """The activities, check-ins and data problems sync-checkins derives from the responses."""

    where: str
    problems_where: str  # where staff find the unusable rows (a file, a table)

    def exists(self) -> bool:
        """False when sync-checkins has never stored anything here."""

    def load(self) -> StoredReports:
        """Everything stored."""

    def save(self, resolved: Sequence[Resolved], checkins: Sequence[Checkin], dry_run: bool = False) -> Written:
        """Make the store hold exactly these activities and check-ins; write only what differs. Safe to
        repeat after a crash. With `dry_run`, write nothing and return what the real save would.

        Either sequence may also offer its records as fields, without building them (a full read's do): the
        copies an `as_fields()` giving each copy's `Activity` fields in the record's order with its resolution
        and winner row, the check-ins one giving each `Checkin`'s fields, in the order iterating gives. A store
        that writes cells from fields (`CsvReportStore`) reads them so; another may ignore it."""

    def load_problems(self) -> list[ProblemRecord]:
        """The data problems on record, with the statuses staff set (without reading anything else)."""

    def save_problems(self, records: Sequence[ProblemRecord], dry_run: bool = False) -> Written:
        """Make the problem table hold exactly these records; write only what differs. With `dry_run`,
        write nothing and return what the real save would."""

    def append(self, resolved: Sequence[Resolved], checkins: Sequence[Checkin]) -> Written | None:
        """Add copies and check-ins of responses after every one stored (nothing stored changes), without
        rewriting what is there. None, having written nothing, when this store cannot (it changed since
        its last save, or a copy does not come after those stored): the caller then saves everything."""

    def untouched(self) -> list[str]:
        """One sentence per table read in this run that holds records the program did not make (a person
        added them): they are never rewritten or deleted. Empty for a store that is the program's alone."""


@dataclass(frozen=True)
class BlogUpdate:
    """What the blog-reviews job writes on a proposal: its document's link and its stage history."""

    document: str
    history: tuple[tuple[str, date], ...]


class BlogStore(Protocol):
    """The blog proposals staff and ambassadors fill (a CSV file, an Airtable table)."""

    where: str
    source: str  # the name its rows' problems carry

    def read(self) -> tuple[list[Proposal], list[Problem]]:
        """Every usable proposal; a row that cannot be used is a Problem."""

    def record(self, updates: Mapping[str, BlogUpdate], dry_run: bool = False) -> Written:
        """Write the job's own fields of the proposals keyed by proposal key; nothing else. With
        `dry_run`, write nothing and return what the real call would."""


@dataclass(frozen=True)
class FundingUpdate:
    """What the funding job writes on a request: the day it first saw it, its flags, the reminders that went."""

    first_seen: date | None
    flags: tuple[str, ...]
    reminders: tuple[int, ...]  # days after the event


class FundingStore(Protocol):
    """The funding and swag requests staff keep (a CSV file, an Airtable table)."""

    where: str
    source: str

    def read(self, roster: Collection[str] | None = None) -> tuple[list[FundingRequest], list[Problem]]:
        """Every usable request; each thing wrong in a row that cannot be used is a Problem (all of a row's in
        the same read). With `roster` (its addresses), a request of an address not on it is one of them."""

    def record(self, updates: Mapping[str, FundingUpdate], dry_run: bool = False) -> Written:
        """Write the job's own fields of the requests keyed by request key; nothing else."""


class ConductStore(Protocol):
    """The conduct register (a CSV file, an Airtable table): read only by the `conduct` commands."""

    where: str

    def read(self) -> tuple[list[Incident], list[str]]:
        """Every incident, and a line (row number and reason, never the text) per row that cannot be read."""

    def delete(self, keys: Sequence[str], dry_run: bool = False) -> Written:
        """Delete the incidents with these keys; nothing else changes."""


class ReferralStore(Protocol):
    """The referral inquiries staff fill (a CSV file, an Airtable table)."""

    where: str
    source: str  # the name its rows' problems carry

    def read(self) -> tuple[list[Inquiry], list[Problem]]:
        """Every usable inquiry; a row that cannot be used is a Problem."""

    def record(self, inquiries: Sequence[Inquiry], dry_run: bool = False) -> Written:
        """Write the job's own fields (id, status, candidate, offer date, recommendation, history) of these
        inquiries; nothing else. With `dry_run`, write nothing and return what the real call would."""


@dataclass(frozen=True)
class LedgerEntry:
    """One step of one side effect: its key, what it was, and what became of it."""

    key: str
    job: str
    recipient: str
    status: str  # sending, sent or failed
    attempts: int
    error: str
    reference: str  # the Message-ID of an email; later the id of a document or a record
    at: str


class Ledger(Protocol):
    """Every side effect's idempotency key and its outcome: what is here as `sent` is never done again."""

    where: str

    def entries(self) -> dict[str, LedgerEntry]:
        """The latest entry of every key."""

    def refresh(self) -> None:
        """Forget anything cached: another run may have recorded steps meanwhile."""

    def begin(self, entries: Sequence[LedgerEntry]) -> None:
        """Store the `sending` steps of a batch, before any of its effects is applied (all at once
        where the store writes in batches): a ledger that refuses them stops the batch unsent."""

    def record(self, entry: LedgerEntry) -> None:
        """Store one step durably before returning."""

    def batch(self) -> AbstractContextManager[None]:
        """A context in which many steps are recorded; everything is durable when it exits."""


class WorkCache(Protocol):
    """What a run worked out, kept for the next run so that it only does new work (a file in the local
    folder). Derived state only: losing it costs one full run, never data. Entries live in named
    tables keyed by text; values are bytes."""

    def get(self, key: str) -> bytes | None:
        """A single value (None: not there)."""

    def rows(self, table: str, keys: Iterable[str] | None = None) -> dict[str, bytes]:
        """The entries of a table (those of `keys`, or all)."""

    def write(self, meta: Mapping[str, bytes | None], tables: Mapping[str, Mapping[str, bytes | None]],
              replace: Iterable[str] = (), promote: Iterable[str] = ()) -> None:
        """In one step: empty the tables in `replace`, keep the entries staged (`stage`) for the tables in
        `promote`, then set (None: delete) single values and table entries."""

    def stage(self, table: str, entries: Mapping[str, bytes]) -> None:
        """Set entries of `table` aside as they are made, so that the caller need not hold them: no read sees
        them until a `write` of this same cache object names the table in `promote`, and they are forgotten
        if the process ends before (a run that crashes leaves the state it found). Staging a key again
        replaces it. A cache that writes nothing (a dry run's) keeps nothing."""

    def clear(self) -> None:
        """Forget everything."""


class ProgramTables(Protocol):
    """Every table a program holds, whole, for `migrate`: a CSV folder, an Airtable base. Rows are canonical text
    by field role (`domain.migration`), so two stores compare by role whatever their titles and cell shapes."""

    where: str  # "local folder data", "Airtable base appXXXX"
    store_id: str  # the store as one text: two configurations naming the same store give the same

    def exists(self, role: str) -> bool:
        """Whether the table is there (a file, an Airtable table) to be read."""

    def read(self, role: str) -> list[Held]:
        """Every row of the table by role, with how the store finds it again and where its data problems place
        it."""

    def named(self, role: str) -> str:
        """The table as messages name it ("data/ambassadors.csv", "Airtable table Ambassadors")."""

    def titles(self, role: str) -> dict[str, str]:
        """field role -> the title its column or field has in this store."""

    def place_of(self, role: str, index: int) -> tuple[str, int] | None:
        """(source name, row number) by which this store's data problems name the row at `index` of the table
        as written; None when no problem names its rows."""

    def fit(self, role: str, rows: Sequence[Row]) -> tuple[list[Row], list[str], list[str]]:
        """The rows as this store would hold (and read back) them once written; notes on what that changes or
        adds; one sentence per value it cannot hold (the migration then writes nothing)."""

    def refusals(self, role: str, plan: TablePlan) -> list[str]:
        """One sentence per write of this plan the store would refuse (`write` would stop part-way): asked while
        planning, so a migration it refuses writes nothing."""

    def prepare(self, plans: Sequence[TablePlan], dry_run: bool) -> list[str]:
        """Make what the rows need before any is written (a field for staff's own column); a line for each."""

    def write(self, role: str, plan: TablePlan) -> None:
        """Make the table hold the plan's rows: its creations, updates and deletions (a file: its final rows)."""


@dataclass(frozen=True)
class Finding:
    """One line of `doctor`: a check that passed or failed."""

    ok: bool
    text: str
    blocking: bool = True  # a failed finding that stops the jobs from running


class ServiceCheck(Protocol):
    """A service the configuration uses besides the store (Google: its key, signing in, the Drive files named),
    which `doctor` checks."""

    def check(self) -> list[Finding]:
        """One finding a line: what works, and what does not with the fix."""


class Admin(Protocol):
    """A backend's schema: what `doctor` checks and `init` creates."""

    def check(self) -> list[Finding]:
        """Credentials, the store, every table and field and its type: one finding a line."""

    def init(self, dry_run: bool) -> list[str]:
        """Create what is missing; one line per thing created (or that would be)."""

    def lacks(self, roles: Sequence[str]) -> list[str]:
        """Of the tables of these roles ("ambassadors", "mail_ledger", ...), those the store lacks, as people name
        them ("table 'Ambassadors'"): empty when it has them all, so what reads them can be checked."""
