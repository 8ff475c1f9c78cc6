"""The `program` section (its name, time zone, the check-in rules) and `local` (the data folder)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from ..domain.compliance import Rules
from ..domain.model import ACTIVITY_KINDS, METRIC_FIELDS
from .checks import Address, Strict, Zone, default_of

DEFAULT_FULL_REPORT = {
    "event": ["goal", "registrations", "attendees", "hours"],
    "talk": ["goal", "registrations", "attendees", "hours"],
    "content": ["audience", "views", "engagements", "reshares", "link"],
    "networking": ["goal", "hours", "link|description"],
    "documentation": ["goal", "hours", "link|description"],
    "advocacy": ["goal", "hours", "link|description"],
    "community_support": ["goal", "hours", "link|description"],
}


class ProgramConfig(Strict):
    name: str = "Mautic Ambassador Program"
    timezone: Zone = "Europe/London"
    min_full_reports: int = Field(default_of(Rules, "min_full_reports"), ge=1)
    checkin_window_days: int = Field(default_of(Rules, "window_days"), ge=0)
    # A joiner with less than this share of a quarter left is exempt for that quarter.
    late_joiner_fraction: float = Field(default_of(Rules, "late_joiner_fraction"), ge=0, le=1)
    full_report_fields: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_FULL_REPORT))
    lead_name: str = "Program lead"
    support_email: Address = "ambassadors@example.org"
    # The forum's private category where a new ambassador introduces themselves (the welcome links it).
    forum_intro_url: str = ""
    # Where an ambassador asks for funding or swag; empty: the welcome says to write to the support address.
    funding_url: str = ""


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


class LocalConfig(Strict):
    dir: Path = Path("data")
