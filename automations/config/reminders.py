"""The `reminders` section: when each check-in message goes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..domain.messages import Schedule
from .checks import Strict, default_of


class RemindersConfig(Strict):
    """When each check-in message goes; every date is relative to a quarter or its window."""

    # The check-in invitation goes this many days after the quarter's last day (0: on the day after).
    invite_days_after_end: int = Field(default_of(Schedule, "invite_days_after_end"), ge=0)
    # Reminders to those who have not met the quarter, this many days before the window closes.
    reminder_days_before_close: list[int] = Field(
        default_factory=lambda: list(default_of(Schedule, "reminder_days_before_close")))
    # A receipt is sent for a check-in at most this many days after it arrived.
    receipt_max_age_days: int = Field(default_of(Schedule, "receipt_max_age_days"), ge=0)
    # Standing and perk notices go at most this many days after the quarter became final.
    notice_max_age_days: int = Field(default_of(Schedule, "notice_max_age_days"), ge=0)
    # The staff digest goes once a week, on the first run on or after this weekday.
    digest_weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = \
        default_of(Schedule, "digest_weekday")
    # The welcome goes only to ambassadors whose start date is at most this many days before the run
    # (and not after it): a first run on a running program welcomes no one who joined long ago.
    welcome_max_age_days: int = Field(default_of(Schedule, "welcome_max_age_days"), ge=0)
