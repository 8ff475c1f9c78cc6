"""The `digest` section: what the weekly staff digest lists."""

from __future__ import annotations

from pydantic import Field

from ..domain.messages import Schedule
from .checks import Strict, default_of


class DigestConfig(Strict):
    """What the weekly staff digest lists beyond the week's news."""

    # From this week of a quarter on (week 1: its first seven days), the digest lists the active ambassadors
    # who do not have the quarter's full reports yet (`at-risk` lists them on any day).
    at_risk_from_week: int = Field(default_of(Schedule, "at_risk_from_week"), ge=1, le=14)
