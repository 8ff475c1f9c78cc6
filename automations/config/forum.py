"""The `forum` section: the forum's ambassadors group and the Discourse API that keeps it."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator

from ..domain.forum import ForumSettings
from .checks import Strict, default_of, env_name


class ForumConfig(Strict):
    """The `forum` job: the forum's ambassadors group (the Ambassadors badge) kept equal to the active ambassadors."""

    # The forum's address (Discourse), e.g. https://forum.mautic.org (with its folder, if it has one); empty:
    # the job does nothing.
    url: str = ""
    # The group that carries the badge (its name in the group's URL, /g/<name>).
    group_name: str = default_of(ForumSettings, "group_name")
    # The forum user the admin API key acts as (an admin; "system" for an all-users key).
    api_username: str = "system"
    # The NAME of the environment variable holding the admin API key (never the key).
    api_key_env: Annotated[str, env_name("DISCOURSE_API_KEY")] = "DISCOURSE_API_KEY"
    # Members never taken out of the group although they are no ambassador (staff, moderators).
    keep_usernames: list[str] = Field(default_factory=lambda: list(default_of(ForumSettings, "keep_usernames")))
    # Discourse allows an admin key 60 requests a minute: the client never goes faster than this.
    requests_per_minute: float = Field(60, gt=0, le=600)
    # Tries per request on a 429, a 5xx or no answer, then the run stops (exit 1).
    max_attempts: int = Field(5, ge=1, le=20)
    timeout_seconds: float = Field(30, gt=0)
    # A run that would take out more than this share of the members (and at least min_guarded_removals)
    # stops before changing anything, until staff confirm with --accept-removals.
    max_removal_share: float = Field(default_of(ForumSettings, "max_removal_share"), ge=0, le=1)
    min_guarded_removals: int = Field(default_of(ForumSettings, "min_guarded_removals"), ge=1)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError(f"'{value}' is not the forum's address (like https://forum.example.org)")
        return value.rstrip("/")
