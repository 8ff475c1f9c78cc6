"""The `airtable` section: the base, its token's variable, table and field names, pacing and retries."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator

from .checks import Strict, env_name

#: Tables staff keep that the project reads (field titles fixed, no renaming through airtable.fields).
STAFF_TABLES = ("funding_requests", "conduct_register", "referral_inquiries")


class AirtableTables(Strict):
    """The base's table names, by role. Later tables (blog reviews, inquiries, funding requests,
    certificates, conduct) get their role here when their jobs arrive; see docs/airtable.md."""

    ambassadors: str = "Ambassadors"
    activities: str = "Activities"
    checkins: str = "Check-ins"
    problems: str = "Data problems"
    mail_ledger: str = "Mail ledger"
    found_activities: str = "Found activities"
    blog_reviews: str = "Blog reviews"
    referral_inquiries: str = "Referral inquiries"
    funding_requests: str = "Funding requests"
    conduct_register: str = "Conduct register"
    event_attendees: str = "Event attendees"


class AirtableConfig(Strict):
    base_id: str = ""
    # The NAME of the environment variable holding the personal access token (never the token).
    token_env: Annotated[str, env_name("AIRTABLE_TOKEN")] = "AIRTABLE_TOKEN"
    # Empty: the real API. Set for tests or a proxy (e.g. http://127.0.0.1:8099).
    endpoint_url: str = ""
    tables: AirtableTables = AirtableTables()
    # Field titles of the project's own tables, by table role and field role, where staff renamed them.
    fields: dict[str, dict[str, str]] = Field(default_factory=dict)
    # Airtable allows 5 requests a second per base; the client never goes faster than this.
    requests_per_second: float = Field(5, gt=0, le=5)
    # The tables read on every run (Ambassadors, Activities, Check-ins, Data problems, Mail ledger) are kept on
    # this machine and asked only for what changed; every this many run days each is read whole again, which
    # is when a record deleted in Airtable is noticed. 0: read them whole on every run.
    full_read_days: int = Field(7, ge=0, le=366)
    # Tries per request on a 429, a 5xx or a dropped connection, then the run stops (exit 1).
    max_attempts: int = Field(5, ge=1, le=20)
    # After a 429 Airtable refuses every request for 30 seconds: wait this long before the next try.
    rate_limit_wait_seconds: float = Field(30, ge=0)
    retry_backoff_seconds: float = Field(1, ge=0)
    timeout_seconds: float = Field(30, gt=0)


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
