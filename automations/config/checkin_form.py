"""The `checkin_form` section: where the check-in responses are read and how their columns, choices and dates are
read."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from ..domain.model import ACTIVITY_KINDS, METRIC_FIELDS
from .checks import Strict, ZoneOrEmpty

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


class CheckinColumns(Strict):
    timestamp: str = "Timestamp"
    email: str = "Email Address"
    quarter: str = "Which quarter are you reporting on?"


class CheckinFormConfig(Strict):
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
    timezone: ZoneOrEmpty = ""
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
    # The form's pre-fill parameters, for the links that open it with a found activity filled in one section:
    # {email: entry.N, kind: "entry.N{n}", title: ..., date: ..., link: ...}, "{n}" standing for the section's
    # number where the sections' ids differ by it. Empty: the mail lists found activities without such links.
    prefill_entries: dict[str, str] = Field(default_factory=dict)

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

    @field_validator("prefill_entries")
    @classmethod
    def _prefill(cls, value: dict[str, str]) -> dict[str, str]:
        for key, entry in value.items():
            if key not in ("email", "kind", "title", "date", "link"):
                raise ValueError(f"'{key}' is not a pre-filled field (one of email, kind, title, date, link)")
            if not re.fullmatch(r"entry\.\d+", str(entry).replace("{n}", "1")):
                raise ValueError(f"{key}: '{entry}' is not a form's pre-fill parameter (like entry.1234567890, with "
                                 f"{{n}} where the section's number goes)")
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
