"""The ports: the small typed interfaces between the jobs and the systems around them.

Jobs see only these. Each port has one adapter per technology under `adapters/` (a CSV
folder, an Airtable base, ...), chosen and built by `bootstrap` before a job starts, and one
contract test suite (`tests/contract/`) that every adapter of it passes. The core never sees a
CSV row or an Airtable record dict: rows and records become the domain's dataclasses inside
the adapters. Ports hold nothing technological: a service's limits live in its adapter.

Grouped by concern, one module each (every name is also here, so `from automations.ports import X`
works for all of them):

- `stores`: the tables staff and the jobs keep (roster, reports, blog, funding, conduct,
  referrals, ledger, work cache, program tables, a backend's schema);
- `sources`: what people filled in elsewhere (check-ins, referral answers, attendee lists);
- `effects`: the mailer, the send lock, the review-document drafter, the forum group, the form makers;
- `documents`: the certificate, report and calendar renderers, the report archive;
- `privacy`: personal tables and files, the erasure journal;
- `scheduling`: the run lock, progress, the scheduler's job runner, state and lock;
- `discovery`: the found activities and what reads the feeds and forum posts ambassadors declared;
- `results`: what ports give back (`Written`, `Usage`).
"""

from __future__ import annotations

from .discovery import (
    FoundStore,
    SourceReader,
)
from .documents import (
    CalendarRenderer,
    CertificateRenderer,
    CredentialIssuer,
    Published,
    ReportArchive,
    ReportRenderer,
)
from .effects import (
    FORUM_BATCH,
    AnswerFormMaker,
    CheckinFormMaker,
    Drafter,
    ForumGroup,
    ForumRefused,
    Mailer,
    ReferralForm,
    SendLock,
)
from .privacy import (
    ErasureJournal,
    PersonalFile,
    PersonalFiles,
    PersonalTable,
    PersonalTables,
)
from .results import (
    Usage,
    Written,
)
from .scheduling import (
    JobRunner,
    Progress,
    RunLock,
    RunOutcome,
    SchedulerLock,
    ScheduleState,
)
from .sources import (
    AnswerSource,
    AttendeeSource,
    CheckinSource,
    NewRows,
    read_all,
)
from .stores import (
    Admin,
    BlogStore,
    BlogUpdate,
    ConductStore,
    Finding,
    FundingStore,
    FundingUpdate,
    Ledger,
    LedgerEntry,
    ProgramTables,
    ReferralStore,
    ReportStore,
    RosterStore,
    ServiceCheck,
    StandingUpdate,
    StoredReports,
    WorkCache,
)

__all__ = [
    "FORUM_BATCH",
    "Admin",
    "AnswerFormMaker",
    "AnswerSource",
    "AttendeeSource",
    "BlogStore",
    "BlogUpdate",
    "CalendarRenderer",
    "CertificateRenderer",
    "CheckinFormMaker",
    "CheckinSource",
    "ConductStore",
    "CredentialIssuer",
    "Drafter",
    "ErasureJournal",
    "Finding",
    "ForumGroup",
    "ForumRefused",
    "FoundStore",
    "FundingStore",
    "FundingUpdate",
    "JobRunner",
    "Ledger",
    "LedgerEntry",
    "Mailer",
    "NewRows",
    "PersonalFile",
    "PersonalFiles",
    "PersonalTable",
    "PersonalTables",
    "ProgramTables",
    "Progress",
    "Published",
    "ReferralForm",
    "ReferralStore",
    "ReportArchive",
    "ReportRenderer",
    "ReportStore",
    "RosterStore",
    "RunLock",
    "RunOutcome",
    "ScheduleState",
    "SchedulerLock",
    "SendLock",
    "ServiceCheck",
    "SourceReader",
    "StandingUpdate",
    "StoredReports",
    "Usage",
    "WorkCache",
    "Written",
    "read_all",
]
