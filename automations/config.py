"""Configuration: `config.yaml` loaded once, validated into a typed object, passed down.

Nothing else in the project reads the file or the environment for settings. A wrong key,
a bad type or a missing file becomes one `ConfigError` sentence that names the key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .domain.model import ACTIVITY_KINDS, METRIC_FIELDS, PERKS, ROSTER_STATUSES, STANDINGS
from .domain.words import RosterWords, mapping_errors
from .errors import ConfigError
from .mail.message import valid_address


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _address(value: str) -> str:
    """An address the mail can go to or come from: the check every recipient passes (`valid_address`)."""
    if not valid_address(value):
        raise ValueError(f"{value!r} is not an email address (one @ with a name before it and a domain with a dot "
                         f"after it, no spaces or control characters)")
    return value


#: An email address in the configuration, checked when it loads (not when the first message fails).
Address = Annotated[str, AfterValidator(_address)]


DEFAULT_FULL_REPORT = {
    "event": ["goal", "registrations", "attendees", "hours"],
    "talk": ["goal", "registrations", "attendees", "hours"],
    "content": ["audience", "views", "engagements", "reshares", "link"],
    "networking": ["goal", "hours", "link|description"],
    "documentation": ["goal", "hours", "link|description"],
    "advocacy": ["goal", "hours", "link|description"],
    "community_support": ["goal", "hours", "link|description"],
}


class ProgramConfig(_Strict):
    name: str = "Mautic Ambassador Program"
    timezone: str = "Europe/London"
    min_full_reports: int = Field(2, ge=1)
    checkin_window_days: int = Field(21, ge=0)
    # A joiner with less than this share of a quarter left is exempt for that quarter.
    late_joiner_fraction: float = Field(0.5, ge=0, le=1)
    full_report_fields: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_FULL_REPORT))
    lead_name: str = "Program lead"
    support_email: Address = "ambassadors@example.org"
    # The forum's private category where a new ambassador introduces themselves (the welcome links it).
    forum_intro_url: str = ""
    # Where an ambassador asks for funding or swag; empty: the welcome says to write to the support address.
    funding_url: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a known IANA time zone (e.g. Europe/London)") from None
        return value

    @field_validator("full_report_fields")
    @classmethod
    def _known_fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for kind, fields in value.items():
            if kind not in ACTIVITY_KINDS:
                raise ValueError(f"'{kind}' is not an activity kind (one of {', '.join(ACTIVITY_KINDS)})")
            for spec in fields:
                for name in spec.split("|"):
                    if name not in METRIC_FIELDS:
                        raise ValueError(
                            f"'{name}' under '{kind}' is not a report field (one of {', '.join(METRIC_FIELDS)})"
                        )
        missing = [k for k in ACTIVITY_KINDS if k not in value]
        if missing:
            raise ValueError(f"no full-report fields for {', '.join(missing)}")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class LocalConfig(_Strict):
    dir: Path = Path("data")


class SmtpConfig(_Strict):
    host: str = "localhost"
    port: int = Field(587, ge=1, le=65535)
    # starttls: plain connection upgraded with STARTTLS; ssl: implicit TLS (port 465); none: loopback only.
    security: Literal["starttls", "ssl", "none"] = "starttls"
    # Names of the environment variables holding the login (never the values themselves).
    username_env: str = "SMTP_USERNAME"
    password_env: str = "SMTP_PASSWORD"
    timeout_seconds: float = Field(30, gt=0)
    # A CA bundle to trust for a relay with a private certificate; empty: the system's CAs.
    ca_file: str = ""
    # At most this many messages a second (0: no limit).
    rate_per_second: float = Field(5, ge=0)
    # Tries per message on a temporary failure (4xx reply or a dropped connection).
    max_attempts: int = Field(3, ge=1, le=10)
    retry_backoff_seconds: float = Field(2, ge=0)

    @field_validator("username_env", "password_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        return env_var_name(value, "SMTP_PASSWORD", required=False)

    @model_validator(mode="after")
    def _no_cleartext_login(self) -> "SmtpConfig":
        if self.security == "none" and self.host not in _LOOPBACK:
            raise ValueError(f"security 'none' sends mail and any login unencrypted: it is allowed only for a "
                             f"server on this machine (localhost), not {self.host}")
        return self


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_var_name(value: str, example: str, required: bool = True) -> str:
    """A setting that names an environment variable: the name, never the secret itself. The value is not
    repeated in the message: a secret pasted there must not reach a log."""
    if (value or required) and not _ENV_NAME.match(value):
        raise ValueError(f"must be the NAME of an environment variable (like {example}), never the secret itself")
    return value
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


class MailConfig(_Strict):
    transport: Literal["outbox", "smtp", "gmail"] = "outbox"
    outbox_dir: Path = Path("outbox")
    from_address: Address = "ambassadors@example.org"
    from_name: str = "Mautic Ambassador Program"
    # Staff who receive the digest and staff notices.
    staff_addresses: list[Address] = Field(default_factory=lambda: ["ambassador-staff@example.org"])
    templates_dir: Path = Path("templates/emails")
    smtp: SmtpConfig = SmtpConfig()
    # A second run waits this long for the first to finish sending, then stops.
    lock_timeout_seconds: float = Field(120, ge=0)


class GuardsConfig(_Strict):
    """Checks that stop a run before it does harm at scale, until staff confirm."""

    # Standing notices are held when more than this share of active ambassadors would be warned or put
    # under review at once (and at least `min_held_notices` of them): staff look first.
    max_warning_share: float = Field(0.25, ge=0, le=1)
    min_held_notices: int = Field(5, ge=1)
    # sync-checkins stops before any write or send when a run would make unusable more than this share of the
    # response rows that were usable on the last run (a re-saved file, a changed locale), or when more than
    # `max_unusable_share` of a source's rows are unusable; --accept-unusable confirms.
    max_newly_unusable_share: float = Field(0.1, ge=0, le=1)
    max_unusable_share: float = Field(0.5, ge=0, le=1)
    min_guarded_rows: int = Field(5, ge=1)  # ... and only when at least this many rows would be unusable


class RemindersConfig(_Strict):
    """When each check-in message goes; every date is relative to a quarter or its window."""

    # The check-in invitation goes this many days after the quarter's last day (0: on the day after).
    invite_days_after_end: int = Field(0, ge=0)
    # Reminders to those who have not met the quarter, this many days before the window closes.
    reminder_days_before_close: list[int] = Field(default_factory=lambda: [10, 3])
    # A receipt is sent for a check-in at most this many days after it arrived.
    receipt_max_age_days: int = Field(7, ge=0)
    # Standing and perk notices go at most this many days after the quarter became final.
    notice_max_age_days: int = Field(30, ge=0)
    # The staff digest goes once a week, on the first run on or after this weekday.
    digest_weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "monday"
    # The welcome goes only to ambassadors whose start date is at most this many days before the run
    # (and not after it): a first run on a running program welcomes no one who joined long ago.
    welcome_max_age_days: int = Field(30, ge=0)


DEFAULT_ACTIVITY_COLUMNS = {
    "kind": "Activity {n}: What kind of activity was it?",
    "title": "Activity {n}: Title",
    "date": "Activity {n}: When did it take place?",
    "link": "Link (URL)",
    "goal": "What was the goal?",
    "registrations": "Number of registrations",
    "attendees": "Number of attendees",
    "hours": "Hours spent",
    "audience": "Target audience",
    "views": "Views",
    "engagements": "Engagements (likes, comments)",
    "reshares": "Reshares",
    "description": "Description",
}

DEFAULT_ACTIVITY_KINDS = {
    "Networking": "networking",
    "Content creation (social post, blog, video, podcast)": "content",
    "Documentation or translation": "documentation",
    "Organizing an event (user group, MautiCamp, sprint, workshop)": "event",
    "Giving a talk": "talk",
    "Advocacy (local point of contact)": "advocacy",
    "Community support (forum, onboarding)": "community_support",
}


class CheckinColumns(_Strict):
    timestamp: str = "Timestamp"
    email: str = "Email Address"
    quarter: str = "Which quarter are you reporting on?"


class CheckinFormConfig(_Strict):
    # Where the responses are read: local (the CSV download in local.dir), whatever the store backend is.
    source: Literal["local", "sheets", "forms"] = "local"
    file: str = "checkin_responses.csv"
    columns: CheckinColumns = CheckinColumns()
    # The activity sections are counted from the response sheet's header (a section added mid-quarter is
    # read); when set, this is only checked against it (doctor says when they differ), and `init --form`
    # creates this many (3 when unset).
    activity_sections: int | None = Field(None, ge=1, le=50)
    # A question pinned to a column of the responses by its number or letter, where two columns could be it:
    # {email: C}, or "<section>.<field>" for an activity question ({"2.hours": AU}).
    column_positions: dict[str, str] = Field(default_factory=dict)
    # The order of day and month in the responses' dates: dmy, mdy or ymd. Empty: settled from the source
    # (a Google Sheet's locale, else a value with a day over 12); a run stops when nothing settles it.
    date_order: Literal["", "dmy", "mdy", "ymd"] = ""
    # A title holding "{n}" names section n's column; a title without it is repeated in every
    # section (Google Forms does that when a section is copied) and the n-th occurrence is used.
    activity_columns: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ACTIVITY_COLUMNS))
    activity_kinds: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ACTIVITY_KINDS))
    # Every shape Google Forms, Google Sheets (any locale) and spreadsheet re-saves write is read without
    # these; they are extra strptime formats, tried only for a value none of those shapes reads.
    timestamp_formats: list[str] = Field(default_factory=list)
    date_formats: list[str] = Field(default_factory=list)
    # Time zone of the response spreadsheet; empty means the program's time zone.
    timezone: str = ""
    # With source "sheets": the response spreadsheet (the id in its URL) and its response tab. Empty: the tab
    # the form writes to, found by its name ("Form responses 1", any case; after a relink, the newest
    # "Form Responses N" with the form's questions). Set, that tab is read (its case and spacing ignored), and a
    # run stops if the form was relinked to a newer one.
    spreadsheet_id: str = ""
    sheet_tab: str = ""
    # With source "forms": the form's id (in its edit URL); `init --form` creates one and prints it.
    form_id: str = ""
    form_url: str = "https://docs.google.com/forms/d/e/EXAMPLE/viewform"
    # The form's pre-fill parameter for the email question (e.g. "entry.1234567890"); empty: none.
    prefill_email_entry: str = ""

    @field_validator("activity_columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = ("kind", "title", "date", *METRIC_FIELDS)
        for key in value:
            if key not in allowed:
                raise ValueError(f"'{key}' is not an activity column (one of {', '.join(dict.fromkeys(allowed))})")
        for key in ("kind", "title", "date"):
            if key not in value:
                raise ValueError(f"the '{key}' activity column is required")
        return value

    @field_validator("column_positions", mode="before")
    @classmethod
    def _positions(cls, value):
        if not isinstance(value, dict):
            return value
        out = {}
        for key, where in value.items():
            key = str(key)
            n, dot, f = key.partition(".")
            if not (key in ("timestamp", "email", "quarter") or (dot and n.isdigit() and f)):
                raise ValueError(f"'{key}' is not timestamp, email, quarter or <section>.<field> (like 2.hours)")
            text = str(where).strip()
            if not re.fullmatch(r"\d{1,4}|[A-Za-z]{1,3}", text) or text == "0":
                raise ValueError(f"{key}: '{where}' is not a column number (1, 2, ...) or letter (A, B, ..., AU)")
            out[key] = text
        return out

    @field_validator("activity_kinds")
    @classmethod
    def _kinds(cls, value: dict[str, str]) -> dict[str, str]:
        for label, kind in value.items():
            if kind not in ACTIVITY_KINDS:
                raise ValueError(
                    f"'{kind}' (for the choice '{label}') is not an activity kind (one of {', '.join(ACTIVITY_KINDS)})"
                )
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value:
            ProgramConfig._known_zone(value)
        return value


DEFAULT_AMBASSADOR_FIELDS = {
    "name": "Name",
    "email": "Email",
    "country": "Country",
    "region": "Region",
    "university": "University",
    "languages": "Languages",
    "start_date": "Start date",
    "status": "Status",
    "forum_handle": "Forum handle",
    "chat_handle": "Chat handle",
    # Optional: dated status changes staff record ("2026-10-05 paused; 2027-01-10 active"). A roster
    # without this column, or an empty cell, keeps the Status column for all time.
    "status_history": "Status history",
}

DEFAULT_STANDING_FIELDS = {
    "standing": "Standing",
    "streak": "Streak",
    "perks": "Perks",
    "last_checkin": "Last check-in",
}


class AmbassadorsConfig(_Strict):
    file: str = "ambassadors.csv"
    fields: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_AMBASSADOR_FIELDS))
    # The order of day and month in the roster's dates (start dates, status history): dmy, mdy or ymd. Empty:
    # settled from the roster's own dates; a roster whose dates all read both ways stops naming this key.
    date_order: Literal["", "dmy", "mdy", "ymd"] = ""
    # Columns the compliance job writes back; every other column is left as a person wrote it.
    standing_fields: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_STANDING_FIELDS))
    # Staff's words (all optional; what is not mapped keeps the program's own word). status_values: each of our
    # statuses and the words staff type for it ({active: [Active, Onboarding], paused: [On leave]}), matched
    # trimmed and in any case; a status word that means none is a data problem of its row.
    status_values: dict[str, list[str]] = Field(default_factory=dict)
    # The one word compliance writes for each standing ({good: Good standing, warned: Warning}) and each perk
    # ({free_event_access: Free event access}): on Airtable, an option the field already has.
    standing_values: dict[str, str] = Field(default_factory=dict)
    perk_values: dict[str, str] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: dict[str, str]) -> dict[str, str]:
        merged = {**DEFAULT_AMBASSADOR_FIELDS, **value}
        unknown = [k for k in value if k not in DEFAULT_AMBASSADOR_FIELDS]
        if unknown:
            raise ValueError(f"'{unknown[0]}' is not an ambassador field (one of {', '.join(DEFAULT_AMBASSADOR_FIELDS)})")
        return merged

    @field_validator("standing_fields")
    @classmethod
    def _standing(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = [k for k in value if k not in DEFAULT_STANDING_FIELDS]
        if unknown:
            raise ValueError(f"'{unknown[0]}' is not a standing field (one of {', '.join(DEFAULT_STANDING_FIELDS)})")
        return {**DEFAULT_STANDING_FIELDS, **value}

    @field_validator("status_values", mode="before")
    @classmethod
    def _status_words(cls, value):
        if isinstance(value, dict):  # a single word is a list of one: {alumni: Alumni}
            value = {k: [v] if isinstance(v, str) else v for k, v in value.items()}
            _words_ok(value, ROSTER_STATUSES, "status", "ambassadors.status_values")
        return value

    @field_validator("standing_values")
    @classmethod
    def _standing_words(cls, value: dict[str, str]) -> dict[str, str]:
        _words_ok({k: [v] for k, v in value.items()}, STANDINGS, "standing", "ambassadors.standing_values")
        return value

    @field_validator("perk_values")
    @classmethod
    def _perk_words(cls, value: dict[str, str]) -> dict[str, str]:
        _words_ok({k: [v] for k, v in value.items()}, PERKS, "perk", "ambassadors.perk_values")
        return value

    @property
    def words(self) -> RosterWords:
        return RosterWords(self.status_values, self.standing_values, self.perk_values)


def _words_ok(value: dict, ours, what: str, key: str) -> None:
    for words in value.values():
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            return  # pydantic names the wrong type
    errors = mapping_errors(value, ours, what, key)
    if errors:
        raise ValueError(errors[0])


class BlogReviewsConfig(_Strict):
    """The blog-review job: proposals, their review documents, and when a stale stage earns a nudge."""

    # Where proposals are filled: blog_proposals.csv in local.dir, or the Airtable table
    # airtable.tables.blog_reviews with backend airtable.
    file: str = "blog_proposals.csv"
    # local: HTML files in drafts_dir from template_file; google: copies of template_document_id in folder_id.
    documents: Literal["local", "google"] = "local"
    drafts_dir: Path = Path("drafts")
    template_file: Path = Path("templates/documents/blog_review.html")
    template_document_id: str = ""
    folder_id: str = ""  # a Shared Drive folder (a service account has no Drive storage of its own)
    # Reviewers for a proposal that names none.
    reviewers: list[Address] = Field(default_factory=lambda: ["ambassador-staff@example.org"])
    # Days a proposal may sit in a stage before whoever holds it gets one nudge for that stage.
    stale_days: dict[str, int] = Field(default_factory=lambda: {"proposed": 14, "draft": 21, "first_review": 7,
                                                                "final_review": 7, "scheduled": 30})

    @field_validator("stale_days")
    @classmethod
    def _stages(cls, value: dict[str, int]) -> dict[str, int]:
        stages = ("proposed", "draft", "first_review", "final_review", "scheduled")
        for stage, days in value.items():
            if stage not in stages:
                raise ValueError(f"'{stage}' is not a stage a proposal can stall in (one of {', '.join(stages)})")
            if days < 0:
                raise ValueError(f"'{stage}' has {days} days: it must be 0 or more")
        return value

    @model_validator(mode="after")
    def _google_ready(self) -> "BlogReviewsConfig":
        if self.documents == "google" and not (self.template_document_id and self.folder_id):
            raise ValueError("documents 'google' needs template_document_id and folder_id")
        return self


class FundingConfig(_Strict):
    """The `funding` job: lead time, large events, budgets and invoice reminders."""

    # The requests staff keep: this file in local.dir, or the table airtable.tables.funding_requests.
    file: str = "funding_requests.csv"
    # A request less than this many days before its event is flagged to the ambassador and staff.
    lead_days: int = Field(60, ge=0)
    # What asked for that names one of these (case and spaces ignored) is a large event, flagged at once.
    large_event_keywords: list[str] = Field(default_factory=lambda: ["MautiCamp", "Mautic Conference"])
    # Budgets per period (the event's quarter or year) and currency: {EUR: 5000, USD: 2000}.
    budget_period: Literal["quarter", "year"] = "year"
    budgets: dict[str, float] = Field(default_factory=dict)
    # Staff are warned once when approved amounts reach this share of a period's budget (and once when over it).
    budget_warning_share: float = Field(0.8, gt=0, le=1)
    # Days after an approved request's event on which the ambassador is reminded until invoice and evidence arrive.
    reminder_days_after_event: list[int] = Field(default_factory=lambda: [3, 10, 24])

    @field_validator("budgets")
    @classmethod
    def _currencies(cls, value: dict[str, float]) -> dict[str, float]:
        for currency, amount in value.items():
            if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
                raise ValueError(f"'{currency}' is not a three-letter currency code in capitals (EUR, USD, ...)")
            if amount <= 0:
                raise ValueError(f"the {currency} budget is {amount}: it must be more than 0")
        return value

    @field_validator("reminder_days_after_event")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if any(d < 0 for d in value) or sorted(set(value)) != value:
            raise ValueError("must be days after the event, 0 or more, in increasing order without repeats")
        return value


class ConductConfig(_Strict):
    """The conduct register: where it is kept, who may read it, and for how long."""

    # This file in local.dir, or the table airtable.tables.conduct_register.
    file: str = "conduct_register.csv"
    # The addresses allowed to read it with `conduct list` / `conduct show` (--reader); empty: nobody.
    readers: list[Address] = Field(default_factory=list)
    # An incident is deleted this many days after its date.
    retention_days: int = Field(730, ge=1)


class RetentionConfig(_Strict):
    """How long the `retention` job (in run-all) keeps what the jobs made."""

    # Mail-ledger steps are deleted this many days after their last attempt. At least 400: longer than
    # any message waits to be sent (a year's certificate, a quarter's reminders), so none goes again.
    ledger_days: int = Field(1095, ge=400)
    # A data problem closed as fixed is deleted this many days after it closed (ignored ones stay: they
    # are staff's decision, and the row is still there).
    fixed_problems_days: int = Field(365, ge=1)
    # Messages in the outbox folder (the `outbox` transport's copies) are deleted after this many days.
    outbox_days: int = Field(90, ge=1)


class PrivacyConfig(_Strict):
    """`export EMAIL`, `erase EMAIL` and the retention job."""

    # The environment variable holding the secret key of the keyed hashes `erase` leaves in place of an
    # address; without it, a key is made once and kept in local.dir/.privacy_key (git-ignored).
    key_env: str = "AUTOMATIONS_PRIVACY_KEY"

    @field_validator("key_env")
    @classmethod
    def _key_env_name(cls, value: str) -> str:
        return env_var_name(value, "AUTOMATIONS_PRIVACY_KEY")

    # Where `export` writes its JSON and HTML files (relative to this file's folder; git-ignored).
    export_dir: str = "exports"
    # Files the program writes are 0600 and its folders 0700, whatever the umask; true: 0640 and 0750, for a
    # staff group sharing the machine. The conduct register and exports stay 0600 either way (file_modes.py).
    group_readable: bool = False
    retention: RetentionConfig = RetentionConfig()


class ReferralsConfig(_Strict):
    """The `referrals` job: the inquiries staff fill, the answer form and how long an offer waits."""

    # The inquiries: this file in local.dir, or the table airtable.tables.referral_inquiries.
    file: str = "referral_inquiries.csv"
    # Where the answer form's responses are read, whatever the store backend is: local (their CSV download,
    # answers_file in local.dir), sheets (the form's linked response sheet) or forms (the Forms API).
    answers_source: Literal["local", "sheets", "forms"] = "local"
    answers_file: str = "referral_answers.csv"
    # With answers_source "sheets": the form's linked spreadsheet (the id in its URL) and its response tab, as
    # checkin_form.sheet_tab: empty, the tab the form writes to, found by its name ("Form responses 1", any case;
    # after a relink, the newest "Form Responses N" with the answer form's questions); set, that tab is read
    # (its case and spacing ignored), and a run stops if the form was relinked to a newer one.
    answers_spreadsheet_id: str = ""
    answers_sheet_tab: str = ""
    # With answers_source "forms": the answer form's id (in its edit URL); `init --referral-form` prints it.
    answers_form_id: str = ""
    # Days a candidate has to answer an offer before it passes to the next one.
    answer_days: int = Field(5, ge=1)
    # The answer form's link, and its pre-fill parameters for the offer code and the answer questions.
    answer_form_url: str = ""
    prefill_code_entry: str = "entry.2000001"
    prefill_answer_entry: str = "entry.2000002"


class ForumConfig(_Strict):
    """The `forum` job: the forum's ambassadors group (the Ambassadors badge) kept equal to the active ambassadors."""

    # The forum's address (Discourse), e.g. https://forum.mautic.org (with its folder, if it has one); empty:
    # the job does nothing.
    url: str = ""
    # The group that carries the badge (its name in the group's URL, /g/<name>).
    group_name: str = "ambassadors"
    # The forum user the admin API key acts as (an admin; "system" for an all-users key).
    api_username: str = "system"
    # The NAME of the environment variable holding the admin API key (never the key).
    api_key_env: str = "DISCOURSE_API_KEY"
    # Members never taken out of the group although they are no ambassador (staff, moderators).
    keep_usernames: list[str] = Field(default_factory=list)
    # Discourse allows an admin key 60 requests a minute: the client never goes faster than this.
    requests_per_minute: float = Field(60, gt=0, le=600)
    # Tries per request on a 429, a 5xx or no answer, then the run stops (exit 1).
    max_attempts: int = Field(5, ge=1, le=20)
    timeout_seconds: float = Field(30, gt=0)
    # A run that would take out more than this share of the members (and at least min_guarded_removals)
    # stops before changing anything, until staff confirm with --accept-removals.
    max_removal_share: float = Field(0.25, ge=0, le=1)
    min_guarded_removals: int = Field(3, ge=1)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError(f"'{value}' is not the forum's address (like https://forum.example.org)")
        return value.rstrip("/")

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        return env_var_name(value, "DISCOURSE_API_KEY")


class CertificatesConfig(_Strict):
    """The `certificates` job: yearly service certificates and event attendance certificates (PDFs by mail)."""

    # A certificate is due from its day (the anniversary, the event) for this many days; older ones are
    # never sent, so a first run on a running program does not send the certificates of years gone by.
    freshness_days: int = Field(30, ge=0, le=365)
    # The signer's role under program.lead_name, and the images on the certificate (PNG, JPEG or SVG).
    lead_title: str = "Program lead"
    signature_image: Path = Path("templates/certificates/signature.png")
    logo: Path = Path("templates/certificates/logo.svg")
    # Event attendee lists (local backend): one CSV per event in this folder of local.dir, named
    # "<YYYY-MM-DD> <event name>.csv", with Name and Email columns (on Airtable: the Event attendees table).
    attendees_dir: str = "attendees"


class ReportConfig(_Strict):
    """The `report` job: the quarterly program report (HTML, PDF) and the newsletter's material."""

    # Where the reports go: <dir>/<quarter>/report.html, report.pdf and newsletter.md.
    dir: Path = Path("reports")
    # The report's templates (Jinja2): report.html and newsletter.md.
    templates_dir: Path = Path("templates/report")
    # Quarters in the compliance history: the report's quarter and the ones before it.
    quarters_shown: int = Field(4, ge=1, le=12)
    # Rows of each engagement ranking (events and talks; content).
    top_activities: int = Field(10, ge=1, le=50)
    # An activity with fewer registrations (events, talks) or views (content) than this is not ranked.
    min_audience: int = Field(20, ge=0)
    # The appendix listing every ambassador's quarter (false: a report to forward beyond staff).
    ambassador_table: bool = True
    # Activities the newsletter credits, taken in turn from the top of both engagement rankings.
    newsletter_highlights: int = Field(6, ge=0, le=50)
    # Mail the final report (the page attached) to mail.staff_addresses, once per quarter.
    email_staff: bool = True


class GoogleEndpoints(_Strict):
    """Where each Google API is reached; empty: Google itself. Set for tests or a proxy."""

    sheets: str = ""
    forms: str = ""
    drive: str = ""
    docs: str = ""
    gmail: str = ""


class GoogleConfig(_Strict):
    # The service-account key file (its shape: credentials.example.json); a relative path is read from
    # the config file's folder. The environment variable named by credentials_env, when set, wins.
    credentials_file: Path = Path("credentials.json")
    credentials_env: str = "GOOGLE_APPLICATION_CREDENTIALS"
    # Domain-wide delegation: the user the service account acts as (needed for Gmail; empty: itself).
    subject: str = ""
    endpoints: GoogleEndpoints = GoogleEndpoints()
    # Tries per request on a 429 or a 5xx, then the run stops (exit 1).
    max_attempts: int = Field(5, ge=1, le=20)
    retry_backoff_seconds: float = Field(2, ge=0)
    timeout_seconds: float = Field(60, gt=0)

    @field_validator("credentials_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        return env_var_name(value, "GOOGLE_APPLICATION_CREDENTIALS", required=False)


#: Tables staff keep that the project reads (field titles fixed, no renaming through airtable.fields).
STAFF_TABLES = ("funding_requests", "conduct_register", "referral_inquiries")


class AirtableTables(_Strict):
    """The base's table names, by role. Later tables (blog reviews, inquiries, funding requests,
    certificates, conduct) get their role here when their jobs arrive; see docs/airtable.md."""

    ambassadors: str = "Ambassadors"
    activities: str = "Activities"
    checkins: str = "Check-ins"
    problems: str = "Data problems"
    mail_ledger: str = "Mail ledger"
    blog_reviews: str = "Blog reviews"
    referral_inquiries: str = "Referral inquiries"
    funding_requests: str = "Funding requests"
    conduct_register: str = "Conduct register"
    event_attendees: str = "Event attendees"


class AirtableConfig(_Strict):
    base_id: str = ""
    # The NAME of the environment variable holding the personal access token (never the token).
    token_env: str = "AIRTABLE_TOKEN"
    # Empty: the real API. Set for tests or a proxy (e.g. http://127.0.0.1:8099).
    endpoint_url: str = ""
    tables: AirtableTables = AirtableTables()
    # Field titles of the project's own tables, by table role and field role, where staff renamed them.
    fields: dict[str, dict[str, str]] = Field(default_factory=dict)
    # Airtable allows 5 requests a second per base; the client never goes faster than this.
    requests_per_second: float = Field(5, gt=0, le=5)
    # Tries per request on a 429, a 5xx or a dropped connection, then the run stops (exit 1).
    max_attempts: int = Field(5, ge=1, le=20)
    # After a 429 Airtable refuses every request for 30 seconds: wait this long before the next try.
    rate_limit_wait_seconds: float = Field(30, ge=0)
    retry_backoff_seconds: float = Field(1, ge=0)
    timeout_seconds: float = Field(30, gt=0)

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        return env_var_name(value, "AIRTABLE_TOKEN")

    @field_validator("base_id")
    @classmethod
    def _base(cls, value: str) -> str:
        if value and not re.fullmatch(r"app[A-Za-z0-9]{14}", value):
            raise ValueError(f"'{value}' is not an Airtable base id (app followed by 14 letters and digits, as in the "
                             f"base's URL)")
        return value

    @field_validator("endpoint_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"'{value}' is not an http(s) URL")
        return value.rstrip("/")

    @field_validator("fields")
    @classmethod
    def _known_roles(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        roles = [r for r in AirtableTables.model_fields if r not in ("ambassadors", "blog_reviews")
                 and r not in STAFF_TABLES]
        for role in value:
            if role not in roles:
                raise ValueError(f"'{role}' is not a table of the project's own (one of {', '.join(roles)}; the "
                                 f"ambassadors table's fields are ambassadors.fields)")
        return value


#: The jobs the scheduler runs by default and when (schedule.jobs): the daily cycle, the certificates
#: (not part of run-all), and the quarterly report kept up to date once a week.
DEFAULT_SCHEDULE = {"run-all": "every day at 06:30", "certificates": "every day at 06:45",
                    "report": "every monday at 07:00"}


class ScheduleConfig(_Strict):
    """The long-running scheduler (`schedule`) and the run lock every job command takes."""

    # Each job (a command, named as on the command line) and its cadence: "every day at 06:30", "every
    # monday at 07:00", "every hour at :15", "every 2 hours", "every 15 minutes" (domain/cadence.py).
    jobs: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SCHEDULE))
    # The zone of the times in `jobs`; empty: program.timezone.
    timezone: str = ""
    # A slot missed while the scheduler was down: run it once at start (once), or wait for the next (skip).
    catch_up: Literal["once", "skip"] = "once"
    # A second run of a command waits this long for the first to finish, then skips (exit 0)...
    lock_wait_seconds: float = Field(60, ge=0)
    # ... unless the first has held the lock this long: then it may be stuck, and the second exits 1.
    stuck_after_minutes: float = Field(180, gt=0)
    # On SIGTERM, how long the scheduler waits for the running job to stop before killing it.
    stop_wait_seconds: float = Field(60, ge=0)

    @field_validator("jobs")
    @classmethod
    def _cadences(cls, value: dict[str, str]) -> dict[str, str]:
        from .domain.cadence import CadenceError, parse

        for name, text in value.items():
            try:
                parse(text)
            except CadenceError as exc:
                raise ValueError(f"the job '{name}' has the cadence {text!r}, which {exc.reason}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value:
            ProgramConfig._known_zone(value)
        return value


class LoggingConfig(_Strict):
    """What the scheduler logs on stderr (one line per event; secrets redacted)."""

    # plain: lines for people; json: one JSON object a line, for a log collector.
    format: Literal["plain", "json"] = "plain"


class Config(_Strict):
    program: ProgramConfig = ProgramConfig()
    backend: Literal["local", "airtable"] = "local"
    local: LocalConfig = LocalConfig()
    airtable: AirtableConfig = AirtableConfig()
    google: GoogleConfig = GoogleConfig()
    blog_reviews: BlogReviewsConfig = BlogReviewsConfig()
    certificates: CertificatesConfig = CertificatesConfig()
    referrals: ReferralsConfig = ReferralsConfig()
    funding: FundingConfig = FundingConfig()
    conduct: ConductConfig = ConductConfig()
    forum: ForumConfig = ForumConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    report: ReportConfig = ReportConfig()
    mail: MailConfig = MailConfig()
    reminders: RemindersConfig = RemindersConfig()
    guards: GuardsConfig = GuardsConfig()
    checkin_form: CheckinFormConfig = CheckinFormConfig()
    ambassadors: AmbassadorsConfig = AmbassadorsConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    logging: LoggingConfig = LoggingConfig()
    # Folder the config file lives in: relative paths are read from here.
    base_dir: Path = Path(".")

    def path(self, p: Path | str) -> Path:
        p = Path(p)
        return p if p.is_absolute() else self.base_dir / p

    @model_validator(mode="after")
    def _backend_ready(self) -> "Config":
        if self.backend == "airtable" and not self.airtable.base_id:
            raise ValueError("backend 'airtable' needs airtable.base_id (the app... id in the base's URL)")
        f, r = self.checkin_form, self.referrals
        # (the source key, its value, the source, the key it needs, that key's value, where to find it)
        for key, source, wanted, needed, value, hint in (
                ("checkin_form.source", f.source, "sheets", "checkin_form.spreadsheet_id", f.spreadsheet_id,
                 "the id in the response spreadsheet's URL"),
                ("checkin_form.source", f.source, "forms", "checkin_form.form_id", f.form_id,
                 "run `init --form` to create the form"),
                ("referrals.answers_source", r.answers_source, "sheets", "referrals.answers_spreadsheet_id",
                 r.answers_spreadsheet_id, "the id in the answer form's response spreadsheet's URL"),
                ("referrals.answers_source", r.answers_source, "forms", "referrals.answers_form_id", r.answers_form_id,
                 "run `init --referral-form` to create the form")):
            if source == wanted and not value:
                raise ValueError(f"{key} '{wanted}' needs {needed} ({hint})")
        return self

    @model_validator(mode="after")
    def _transport_ready(self) -> "Config":
        # A transport that validates but cannot send would fail every message, run after run. (gmail's
        # key may come from the environment, so bootstrap checks it: `GmailMailer.ready`.)
        ca = self.mail.smtp.ca_file
        if self.mail.transport == "smtp" and ca and not self.path(ca).is_file():
            raise ValueError(f"mail.transport 'smtp' needs the CA bundle named by mail.smtp.ca_file ({ca!r}), but "
                             f"{self.path(ca)} is not a file: put the relay's CA certificate there, or leave ca_file "
                             f"empty to trust the system's")
        return self

    @property
    def local_dir(self) -> Path:
        return self.path(self.local.dir)

    @property
    def sheet_tz(self) -> ZoneInfo:
        return ZoneInfo(self.checkin_form.timezone or self.program.timezone)


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    kind = error["type"]
    if not error["loc"]:  # a check across keys: its sentence names them
        return error["msg"].removeprefix("Value error, ")
    if where.endswith("_env"):
        return f"'{where}': {error['msg'].removeprefix('Value error, ')}"
    if kind == "extra_forbidden":
        return f"'{where}' is not a configuration key this version knows"
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if kind.startswith(("int_", "float_", "bool_", "string_", "literal_", "dict_", "list_", "path_")):
        return f"'{where}' has the value {value!r}: {message[0].lower() + message[1:]}"
    return f"'{where}': {message}"


def load_config(path: Path | str) -> Config:
    """Read and validate the configuration file, or raise ConfigError with one sentence."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"The configuration file {path} does not exist (pass --config PATH).")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"The configuration file {path} is not valid YAML{where}.") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"The configuration file {path} must hold a mapping of keys, not {type(raw).__name__}.")
    raw.pop("base_dir", None)
    try:
        return Config(**raw, base_dir=path.resolve().parent)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"In {path}: {_describe(first)}.") from None
