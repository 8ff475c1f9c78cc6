"""The ports: the small typed interfaces between the jobs and the systems around them.

Jobs see only these. Each port has one adapter per technology under `adapters/` (a CSV
folder, an Airtable base, ...), chosen and built by `bootstrap` before a job starts, and one
contract test suite (`tests/contract/`) that every adapter of it passes. The core never sees a
CSV row or an Airtable record dict: rows and records become the domain's dataclasses inside
the adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Collection, ContextManager, Iterable, Iterator, Mapping, Protocol, Sequence

from .domain.blog import Proposal
from .domain.certificates import Attendee, Certificate
from .domain.conduct import Incident
from .domain.forum import Member as ForumMember
from .domain.funding import FundingRequest
from .domain.compliance import Resolved
from .domain.model import Activity, Ambassador, Checkin, Problem
from .domain.migration import Held, Row, TablePlan
from .domain.privacy import Pending, TableRule
from .domain.problems import ProblemRecord
from .domain.referrals import Answer, Inquiry
from .domain.report import ProgramReport


@dataclass(frozen=True)
class StandingUpdate:
    """What the compliance job writes back on one ambassador's roster entry (the only fields it owns)."""

    standing: str
    streak: int
    perks: tuple[str, ...]
    last_checkin: date | None


@dataclass(frozen=True)
class Written:
    """What a write did (or, with `dry_run=True`, would do): records (or rows) created, updated and
    deleted. All zero: nothing changed."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unit: str = "record"  # the CSV folder rewrites whole files: its unit is "file"
    where: str = ""  # the one file or table this write is about ("": not named, or a sum of several)
    parts: tuple["Written", ...] = ()  # a sum's writes, each naming its `where`

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted

    def __add__(self, other: "Written") -> "Written":
        return Written(self.created + other.created, self.updated + other.updated, self.deleted + other.deleted,
                       self.unit, parts=(*(self.parts or (self,)), *(other.parts or (other,))))

    def describe(self) -> str:
        if not self.changed:
            return "already up to date"
        parts = [f"{n} {what}" for n, what in ((self.created, "created"), (self.updated, "updated"),
                                                 (self.deleted, "deleted")) if n]
        return f"{self.unit}s " + ", ".join(parts)

    def would(self, where: str) -> str:
        """What a dry run says the real write would change, `where` naming the store: "would create
        data/activities.csv, update data/checkins.csv", "would create 3, update 2 records in Airtable
        table Activities", or "<where>: already up to date, nothing would be written"."""
        if not self.changed:
            return f"{where}: already up to date, nothing would be written"
        files: dict[str, list[str]] = {}
        clauses = []
        for part in self.parts or (self,):
            if not part.changed:
                continue
            if part.unit == "file" and part.where:  # one file: created, rewritten or removed as a whole
                verb = "create" if part.created else "update" if part.updated else "delete"
                files.setdefault(verb, []).append(part.where)
                continue
            counts = [(n, verb) for n, verb in ((part.created, "create"), (part.updated, "update"),
                                                (part.deleted, "delete")) if n]
            noun = part.unit if counts[-1][0] == 1 else f"{part.unit}s"
            clauses.append(", ".join(f"{verb} {n}" for n, verb in counts) + f" {noun} in {part.where or where}")
        clauses[:0] = [f"{verb} {_and(names)}" for verb, names in files.items()]
        return "would " + "; ".join(clauses)


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class StoredReports:
    """What sync-checkins stored: every activity copy, every check-in, and the data problems on record."""

    activities: list[Activity]
    checkins: list[Checkin]
    problems: list[ProblemRecord]


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


class CheckinSource(Protocol):
    """The check-in form's responses, as the form wrote them (never written to)."""

    where: str

    def read(self) -> tuple[list[str], Iterator[list[str]]]:
        """The question titles in form order (duplicates allowed) and the response rows, oldest first."""

    def read_new(self, cursor: tuple | None) -> "NewRows":
        """The rows after those read when `cursor` (from an earlier `NewRows.cursor()`) was taken, if the
        rows before are unchanged; otherwise (or with no cursor) every row, as `read`."""


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
        repeat after a crash. With `dry_run`, write nothing and return what the real save would."""

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


class AnswerSource(Protocol):
    """The referral answer form's responses: their CSV download, the form's linked sheet or the Forms API
    (never written to)."""

    where: str  # the file, sheet or form, for messages (doctor names it)
    source: str  # the name its problems carry: the same for every source, so a problem keeps its id

    def read(self) -> tuple[list[Answer], list[Problem]]:
        """Every usable answer; a row that cannot be used is a Problem."""


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


class AttendeeSource(Protocol):
    """The attendee lists of sprints and workshops (CSV files in a folder, an Airtable table)."""

    where: str

    def read(self) -> tuple[list[Attendee], list[Problem]]:
        """Every usable attendee line; a line (or a list) that cannot be used is a Problem."""


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


class Drafter(Protocol):
    """Makes a proposal's review document from the template and shares it (Google Docs, HTML files)."""

    name: str

    def create(self, key: str, title: str, fields: Mapping[str, str], share_with: Sequence[str]) -> str:
        """Make the document with every placeholder filled, share it, and return its link. A placeholder
        left unfilled raises `DocumentFailed` (nothing is shared)."""

    def link(self, reference: str) -> str:
        """What a person clicks in a mail to open the document `create` returned (or the Document field holds):
        a web link as it is, a local file as a `file:` URI of its absolute path."""


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

    def batch(self) -> ContextManager[None]:
        """A context in which many steps are recorded; everything is durable when it exits."""


class SendLock(Protocol):
    """Only one run applies side effects at a time."""

    def hold(self) -> ContextManager[bool]:
        """Wait for the lock (bounded); the value says whether another run held it meanwhile."""


class RunLock(Protocol):
    """One run of each command at a time on this machine, whoever started it (cron, the scheduler, a person)."""

    def hold(self, command: str, wait_seconds: float | None = None) -> ContextManager[None]:
        """Hold `command`'s lock for the run, waiting (bounded) for another run of it to end; raise
        `errors.AlreadyRunning` when it does not."""


WRITE_BATCH = 10  # records one write request may carry (Airtable's limit)


@dataclass(frozen=True)
class Finding:
    """One line of `doctor`: a check that passed or failed."""

    ok: bool
    text: str
    blocking: bool = True  # a failed finding that stops the jobs from running


class Admin(Protocol):
    """A backend's schema: what `doctor` checks and `init` creates."""

    def check(self) -> list[Finding]:
        """Credentials, the store, every table and field and its type: one finding a line."""

    def init(self, dry_run: bool) -> list[str]:
        """Create what is missing; one line per thing created (or that would be)."""

    def lacks(self, roles: Sequence[str]) -> list[str]:
        """Of the tables of these roles ("ambassadors", "mail_ledger", ...), those the store lacks, as people name
        them ("table 'Ambassadors'"): empty when it has them all, so what reads them can be checked."""


@dataclass
class Usage:
    """Requests a remote adapter made in a run, against the fewest its work could have taken.

    The lower bound follows from the work, not from the requests: for each table read, its pages
    (Airtable: records / 100, rounded up) once, however often it was read; for each table written,
    the distinct records changed / 10 (rounded up), however many requests carried them.
    """

    service: str
    reads: int = 0
    writes: int = 0
    meta: int = 0
    retries: int = 0
    pages_read: dict[str, int] = field(default_factory=dict)
    changed: dict[str, set] = field(default_factory=dict)

    def read_table(self, table: str, pages: int) -> None:
        """The fewest requests that read this table (its pages), counted once however often it is read."""
        self.pages_read[table] = max(pages, self.pages_read.get(table, 0))

    def change(self, table: str, identities) -> None:
        self.changed.setdefault(table, set()).update(identities)

    @property
    def requests(self) -> int:
        return self.reads + self.writes + self.meta

    @property
    def lower_bound(self) -> int:
        return sum(self.pages_read.values()) + sum(-(-len(ids) // WRITE_BATCH) for ids in self.changed.values())

    def line(self) -> str:
        ratio = f", {self.requests / self.lower_bound:.2f}x" if self.lower_bound else ""
        return (f"{self.service}: {self.requests} requests ({self.reads} reads, {self.writes} writes, {self.meta} "
                f"schema; {self.retries} retried) against a lower bound of {self.lower_bound}{ratio}.")


@dataclass
class NewRows:
    """What a response source has beyond a cursor: `mode` "same" (nothing new), "appended" (`rows` are
    the rows after the cursor, the first being sheet row `first_row`) or "full" (every row, from row 2).
    `cursor()`, once the rows are read, marks where this read ended, for the next one."""

    headers: list[str]
    rows: Iterable[list[str]]
    first_row: int
    mode: str
    cursor: Callable[[], tuple | None]
    #: What the source says of its dates' day/month order ("dmy"/"mdy", and the words naming why, such as a
    #: spreadsheet's locale); ("", "") when it says nothing and the values decide.
    told: tuple[str, str] = ("", "")


def read_all(source: CheckinSource) -> NewRows:
    """`read_new` for a source that cannot tell what is new (a live sheet, the Forms API): every row."""
    headers, rows = source.read()
    return NewRows(headers, rows, 2, "full", lambda: None, getattr(source, "told", ("", "")))


class WorkCache(Protocol):
    """What a run worked out, kept for the next run so that it only does new work (a file in the local
    folder). Derived state only: losing it costs one full run, never data. Entries live in named
    tables keyed by text; values are bytes."""

    def get(self, key: str) -> bytes | None:
        """A single value (None: not there)."""

    def rows(self, table: str, keys: Iterable[str] | None = None) -> dict[str, bytes]:
        """The entries of a table (those of `keys`, or all)."""

    def write(self, meta: Mapping[str, bytes | None], tables: Mapping[str, Mapping[str, bytes | None]],
              replace: Iterable[str] = ()) -> None:
        """In one step: set (None: delete) single values and table entries, after emptying the tables in
        `replace`."""

    def clear(self) -> None:
        """Forget everything."""


class PersonalTables(Protocol):
    """Tables read and rewritten row by row, whatever they hold (`export`, `erase` and `retention`): a
    folder of CSV files, an Airtable base. Rows are lists of text under the table's column titles (a
    title may repeat, as in the form's responses)."""

    def tables(self) -> list[str]:
        """The tables it has (those that do not exist yet are left out)."""

    def read(self, table: str) -> tuple[list[str], Iterable[list[str]]]:
        """The column titles and every row, as text (to be read once, in order: a large table streams)."""

    def rewrite(self, table: str, change: Callable[[list[str], list[str]], list[str] | None],
                dry_run: bool = False) -> Written:
        """Give each row to `change` and store what it returns: the same row (nothing to do), another
        row (updated) or None (deleted). Only rows that differ are written. With `dry_run`, write
        nothing and return what the real call would (having checked what it would write, as the real
        call does before its first write)."""

    def fixed(self, table: str) -> dict[str, str]:
        """The columns a rewrite must leave as they are (the store computes them, or they hold a link, a
        user, a file, a number...), by title, each with where its value lives, for a person to change it there
        ("" for one that holds nothing of a person: a created time). A CSV file has none."""


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
class PersonalTable:
    """One table that may hold people's data: how it holds them (`rule`), the adapter, the table's name."""

    rule: TableRule
    store: PersonalTables
    table: str


@dataclass(frozen=True)
class PersonalFile:
    """A file the program made that concerns one person (an email in the outbox, a review document)."""

    path: str
    what: str
    detail: str = ""


class PersonalFiles(Protocol):
    """Files the jobs made about people (the outbox's messages, the review documents)."""

    def find(self, address: str, names: Sequence[str] = ()) -> list[PersonalFile]:
        """The files addressed to this address, or naming it or one of these names."""

    def remove(self, files: Sequence[PersonalFile], dry_run: bool = False) -> Written:
        """Delete these files (and what belongs to them, e.g. a message's attachments)."""

    def older_than(self, days: int, today: date) -> list[PersonalFile]:
        """The files made more than `days` days before `today` (retention)."""


class ErasureJournal(Protocol):
    """Where `erase` records what it will erase before its first write, until it has finished (`Pending`)."""

    def load(self) -> Pending | None:
        """The unfinished erase, if there is one (a record that cannot be read stops the run: `StopRun`)."""

    def begin(self, pending: Pending) -> None:
        """Record it (replacing any earlier record), durably, before the erase's first write."""

    def end(self) -> None:
        """The erase has finished: the record goes."""


class Progress(Protocol):
    """Shows how far long work has got: a bar on a terminal, nothing under cron (where the log lines tell)."""

    def track(self, items: Iterable, total: int | None, what: str) -> Iterator:
        """`items`, unchanged, while showing how many of `total` (None: unknown) are done."""
