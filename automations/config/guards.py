"""The `guards` section: the checks that stop a run before it does harm at scale, until staff confirm."""

from __future__ import annotations

from pydantic import Field

from .checks import Strict


class GuardsConfig(Strict):
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
