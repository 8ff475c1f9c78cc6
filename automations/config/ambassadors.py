"""The `ambassadors` section: the roster's file, its columns and staff's words for statuses, standings and perks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ..domain.model import PERKS, ROSTER_STATUSES, STANDINGS
from ..domain.words import RosterWords, mapping_errors
from .checks import Strict

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
    # Optional: the name the mail greets them by ("Lan" for Nguyễn Thị Lan); empty: the whole name.
    "preferred_name": "Preferred name",
    # Optional: dated status changes staff record ("2026-10-05 paused; 2027-01-10 active"). A roster
    # without this column, or an empty cell, keeps the Status column for all time.
    "status_history": "Status history",
    # Optional: the RSS or Atom feeds the ambassador declared (a blog, a YouTube channel's feed, a podcast), one
    # or more http(s) addresses separated by spaces, commas or line breaks; `discover` reads them.
    "feeds": "Feeds",
}


DEFAULT_STANDING_FIELDS = {
    "standing": "Standing",
    "streak": "Streak",
    "perks": "Perks",
    "last_checkin": "Last check-in",
}


class AmbassadorsConfig(Strict):
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
