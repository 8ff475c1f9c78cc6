"""`Context`: everything one run of a job is given, and nothing it must look up.

Built by `bootstrap.build` alone; a job reads it and never builds an adapter. It holds ports (`ports/`), the
domain's settings and values, and the run's facts (its day, whether it is a dry run, what staff confirmed), then
bundles: `stores`, `mail`, `makers` (documents, forms, the forum), `privacy` and `settings`. Every port a
configuration always has is there, typed as such: only what a configuration may leave out is optional (the
forum group without `forum.url`, a local ledger left behind), so a job checks for exactly what it may lack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .domain.blog import BlogSettings
from .domain.checkins import FormLayout
from .domain.compliance import Rules
from .domain.discovery import DiscoverSettings, Prefill
from .domain.forum import ForumSettings
from .domain.funding import FundingSettings
from .domain.messages import Schedule
from .domain.privacy import Pseudonyms, Retention
from .domain.referrals import ReferralSettings
from .domain.report import ReportSettings
from .domain.words import OUR_WORDS, RosterWords
from .mail.dkim import DkimSigner
from .mail.message import Sender
from .mail.templates import TemplateRenderer
from .ports import (
    Admin,
    AnswerFormMaker,
    AnswerSource,
    AttendeeSource,
    BlogStore,
    CalendarRenderer,
    CertificateRenderer,
    CheckinFormMaker,
    CheckinSource,
    ConductStore,
    CredentialIssuer,
    Drafter,
    ErasureJournal,
    ForumGroup,
    FoundStore,
    FundingStore,
    Ledger,
    Mailer,
    PersonalFiles,
    PersonalTable,
    ProgramTables,
    Progress,
    ReferralStore,
    ReportArchive,
    ReportRenderer,
    ReportStore,
    RosterStore,
    RunLock,
    SendLock,
    ServiceCheck,
    SourceReader,
    Usage,
    WorkCache,
)
from .stopping import StopRequest


@dataclass(frozen=True)
class MailSettings:
    """What the mail jobs need to know besides the ports."""

    form_url: str
    prefill_email_entry: str
    staff: tuple[str, ...]
    transport: str
    outbox_dir: Path
    templates_dir: Path
    summary: str  # the transport in one phrase, for doctor
    #: The form's pre-fill parameters for the links that open it with a found activity in one section.
    prefill: Prefill | None = None


@dataclass(frozen=True)
class Guards:
    """The shares and counts past which a run stops to ask staff (`guards`)."""

    max_warning_share: float
    min_held_notices: int
    max_newly_unusable_share: float
    max_unusable_share: float
    min_guarded_rows: int


@dataclass(kw_only=True)
class Stores:
    """What the jobs read and write: the program's tables and staff's, whichever backend holds them."""

    roster: RosterStore
    checkins: CheckinSource
    reports: ReportStore
    ledger: Ledger
    admin: Admin
    blog: BlogStore
    referrals: ReferralStore
    answers: AnswerSource
    funding: FundingStore
    conduct: ConductStore
    attendees: AttendeeSource
    #: What earlier runs worked out (responses read, records in brief), so a rerun does only new work.
    cache: WorkCache
    #: On Airtable: the mail ledger a local run of this program left in `local.dir`, if there is one. Mail that
    #: went from there and is not in the base's ledger would go again: `send` stops instead (run `migrate`).
    left_behind: Ledger | None = None
    #: What doctor checks besides the store (the Google key and sign-in, when the configuration uses Google).
    checks: list[ServiceCheck] = field(default_factory=list)
    #: The activities `discover` found, and what reads the feeds and forum posts ambassadors declared.
    found: FoundStore | None = None
    feeds: SourceReader | None = None


@dataclass(kw_only=True)
class Mail:
    """Sending: the settings, the transport, the send lock, the templates and who mail is from."""

    settings: MailSettings
    lock: SendLock
    mailer: Mailer
    renderer: TemplateRenderer
    sender: Sender
    calendar: CalendarRenderer  # the deadlines a message carries, as its .ics attachment
    signer: DkimSigner | None = None  # the DKIM key every transport signs with (mail.dkim_selector); None: unsigned


@dataclass(kw_only=True)
class Makers:
    """What the jobs make besides mail: review documents, certificates, the report's files, the Google forms,
    the forum group's changes."""

    drafter: Drafter
    certificates: CertificateRenderer
    report_renderers: tuple[ReportRenderer, ...]
    report_archive: ReportArchive
    #: `init --form`: makes the check-in form (Google Forms).
    form_builder: CheckinFormMaker
    #: `init --referral-form`: makes the answer form (Google Forms) once.
    referral_form: AnswerFormMaker
    #: The forum's ambassadors group; None when forum.url is empty (the forum job has nothing to do).
    forum: ForumGroup | None = None
    #: Certificates' verifiable credentials (the program's Ed25519 key); None: certificates go as PDFs only.
    credentials: CredentialIssuer | None = None


@dataclass(kw_only=True)
class Privacy:
    """`export`, `erase` and `retention`: every table that may hold a person's data, the files the jobs made about
    people, the keyed hashes erasing leaves, how long things are kept."""

    tables: list[PersonalTable]
    files: PersonalFiles
    pseudonyms: Pseudonyms
    retention: Retention
    export_dir: Path
    #: `erase` records what it will erase here before its first write, and finishes from it after a stop.
    journal: ErasureJournal
    #: The config's folder: an export names the program's files relative to it (no server path in it).
    program_dir: Path


@dataclass(kw_only=True)
class Settings:
    """The rules and settings the jobs decide by (domain values built from the configuration)."""

    rules: Rules
    form: FormLayout
    schedule: Schedule
    guards: Guards
    blog: BlogSettings
    referrals: ReferralSettings
    funding: FundingSettings
    conduct_readers: tuple[str, ...]
    conduct_retention_days: int
    certificate_freshness_days: int
    report: ReportSettings
    forum: ForumSettings
    #: A digest of every setting the derived state depends on (rules, the form's layout): another one
    #: makes the next sync start over.
    fingerprint: str
    #: The names problems' ids take for their sources, whichever backend or form source read them
    #: (`domain.problems.SourceNames`).
    problem_names: Mapping[str, str]
    #: What `discover` names its problems by, and whether the forum's posts are read.
    discover: DiscoverSettings = field(default_factory=lambda: DiscoverSettings())


@dataclass(kw_only=True)
class Context:
    """Everything a job needs for one run: the run's facts, then the bundles: `stores`, `mail`, `makers`,
    `privacy` and `settings`."""

    as_of: date
    dry_run: bool
    #: The run's clock for what it records (a ledger step's time, when an erase began): UTC now.
    clock: Callable[[], datetime]
    #: What staff confirmed on the command line: "shrink" (a smaller response source is right),
    #: "notices" (send standing notices held for their number), "forum_removals" (the forum group may lose
    #: more than forum.max_removal_share of its members).
    confirmed: frozenset[str] = frozenset()
    #: A graceful stop asked for (SIGTERM, Ctrl-C): `effects.apply` and `run-all` stop at their next safe point.
    stop: StopRequest = field(default_factory=StopRequest)
    #: One run of each command at a time on this machine (cron, the scheduler, a person): the command line
    #: holds it for the whole run.
    run_lock: RunLock
    #: A bar on long work when stdout is a terminal (rich), nothing under cron.
    progress: Progress
    #: Called at each point where work that must finish may be cut short (`erase`'s steps), with the point's
    #: name: nothing in a normal run; a failpoint (`AUTOMATIONS_FAILPOINT`) kills the process there.
    checkpoint: Callable[[str], None] = field(default=lambda name: None)
    #: Requests each remote adapter made in the run, for the summary.
    usage: list[Usage] = field(default_factory=list)
    #: In a dry run: the data problems as the jobs run so far would have left them (none is saved), so a
    #: later job of run-all compares with that, as it would with the store after a real run.
    dry_problems: list | None = None

    stores: Stores
    mail: Mail
    makers: Makers
    privacy: Privacy
    settings: Settings


@dataclass
class Migration:
    """What `migrate` needs besides the destination's `Context`: both stores as whole tables, the source's
    readers of the conduct register, the local files the other configuration reads that go along, and where
    the destination keeps what migrate wrote."""

    source: ProgramTables
    dest: ProgramTables
    source_config: Path
    source_readers: tuple[str, ...]
    dest_readers: tuple[str, ...]
    files: list[tuple[Path, Path, str]]  # (the source's file, the destination's, what it is)
    journal: WorkCache
    marker: Path
    source_lock: RunLock | None  # the source's run locks, when they are not the destination's
    usage: list[Usage] = field(default_factory=list)
    #: The roster's words in each configuration (`ambassadors.status_values`, ...): a status, standing or perk
    #: is copied as the same status, standing or perk, in the destination's words.
    source_words: RosterWords = OUR_WORDS
    dest_words: RosterWords = OUR_WORDS
