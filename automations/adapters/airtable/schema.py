"""The Airtable base the project expects: each table, each field and its type.

`init` creates what is missing from these specs; `doctor` compares the base with them. The
Ambassadors table is staff's own: its field titles are `ambassadors.fields` and
`ambassadors.standing_fields` (as in the CSV roster), several types are accepted for staff's
fields (lookups, formulas and rollups giving a readable value, linked records, collaborators,
date-times), and the jobs write only the standing fields. Its Status, Standing and Perks options
are staff's words (`RosterWords`): `init` creates them so, `doctor` names any the base lacks. The
other tables are the project's own: each has a primary `Key` field holding the record's
idempotency key, which writes upsert on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...domain.model import ACTIVITY_KINDS, PERKS, STANDINGS
from ...domain.problems import PROBLEM_STATUSES
from ...domain.words import OUR_WORDS, RosterWords

RESOLUTIONS = ("current", "duplicate", "superseded", "late")
LEDGER_STATUSES = ("sending", "sent", "failed")

TEXT = ("singleLineText", "multilineText", "richText")
#: Field types whose value Airtable computes: the API writes nothing into them. Airtable's field model marks each
#: read-only (AI text, auto number, button, count, created by/time, formula, last modified by/time, lookup, rollup,
#: sync source); pyairtable's `orm.fields.READONLY_FIELDS` gives the same types (and its manual sort), formula and
#: rollup aside (it has no field class for them). A lookup is `multipleLookupValues`: there is no type "lookup".
COMPUTED = ("formula", "rollup", "multipleLookupValues", "count", "autoNumber", "createdTime", "lastModifiedTime",
            "createdBy", "lastModifiedBy", "button", "aiText", "externalSyncSource", "manualSort")
#: The computed fields staff's roster fields may be: read as the value they give (`options.result` names its type).
DERIVED = ("formula", "rollup", "multipleLookupValues")
LINK = "multipleRecordLinks"  # record ids: read through the linked table's primary field
PEOPLE = ("singleCollaborator", "multipleCollaborators", "createdBy", "lastModifiedBy")  # {id, email, name}


@dataclass(frozen=True)
class FieldSpec:
    role: str  # the project's name for it
    name: str  # its title in the base
    type: str  # the type init creates
    options: Mapping | None = None
    accepts: tuple[str, ...] = ()  # other types doctor accepts (staff's own fields)
    optional: bool = False  # the jobs run without it (init still adds it; doctor only mentions it)
    written: bool = False  # the jobs write it: a select must have every option of `options`
    words_key: str = ""  # the configuration key that maps its options to staff's words
    needs: tuple[str, ...] = ()  # a field the jobs read: the options staff's words say it has (Status)

    def create_body(self) -> dict:
        body: dict = {"name": self.name, "type": self.type}
        if self.options is not None:
            body["options"] = dict(self.options)
        return body

    def allows(self, kind: str) -> bool:
        return kind == self.type or kind in self.accepts

    @property
    def choices(self) -> list[str]:
        return [c["name"] for c in (self.options or {}).get("choices", [])]


@dataclass(frozen=True)
class TableSpec:
    role: str
    name: str
    fields: tuple[FieldSpec, ...]
    owned: bool = True  # False for staff's table: init adds fields, the jobs write only some

    def field(self, role: str) -> FieldSpec:
        return next(f for f in self.fields if f.role == role)

    def name_of(self, role: str) -> str:
        return self.field(role).name

    @property
    def key(self) -> str:
        return self.fields[0].name


def _choices(names) -> dict:
    return {"choices": [{"name": n} for n in names]}


def _number(precision: int = 0) -> dict:
    return {"precision": precision}


DATE = {"dateFormat": {"name": "iso"}}
DATETIME = {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"}, "timeZone": "utc"}

# (role, default title, type, options, other accepted types) of the project's own tables.
#: The program's own tables: (role, title, Airtable type, options) of each field.
OWN_TABLES: dict[str, list[tuple[str, str, str, Mapping[str, Any] | None]]] = {
    "activities": [
        ("key", "Key", "singleLineText", None), ("activity_id", "Activity ID", "singleLineText", None),
        ("email", "Email", "email", None), ("kind", "Kind", "singleSelect", _choices(ACTIVITY_KINDS)),
        ("title", "Title", "singleLineText", None), ("date", "Date", "date", DATE),
        ("received", "Received", "dateTime", DATETIME), ("row", "Row", "number", _number()),
        ("section", "Section", "number", _number()), ("reported_quarter", "Reported quarter", "singleLineText", None),
        ("resolution", "Resolution", "singleSelect", _choices(RESOLUTIONS)),
        ("winner_row", "Winner row", "number", _number()), ("link", "Link", "multilineText", None),
        ("goal", "Goal", "multilineText", None), ("audience", "Audience", "multilineText", None),
        ("description", "Description", "multilineText", None),
        ("registrations", "Registrations", "number", _number()), ("attendees", "Attendees", "number", _number()),
        ("views", "Views", "number", _number()), ("engagements", "Engagements", "number", _number()),
        ("reshares", "Reshares", "number", _number()), ("hours", "Hours", "number", _number(2)),
    ],
    "checkins": [
        ("key", "Key", "singleLineText", None), ("email", "Email", "email", None),
        ("received", "Received", "dateTime", DATETIME), ("row", "Row", "number", _number()),
        ("reported_quarter", "Reported quarter", "singleLineText", None),
        ("activities", "Activities", "number", _number()),
    ],
    "problems": [
        ("key", "Key", "singleLineText", None),
        ("status", "Status", "singleSelect", _choices(PROBLEM_STATUSES)),
        ("first_seen", "First seen", "date", DATE), ("closed", "Closed", "date", DATE),
        ("email", "Owner", "singleLineText", None), ("source", "Source", "singleLineText", None),
        ("row", "Row", "number", _number()), ("column", "Column", "singleLineText", None),
        ("value", "Value", "multilineText", None), ("problem", "Problem", "multilineText", None),
    ],
    "found_activities": [
        ("key", "Key", "singleLineText", None), ("email", "Email", "email", None),
        ("source", "Source", "singleLineText", None), ("item_id", "Item ID", "multilineText", None),
        ("kind", "Kind", "singleSelect", _choices(ACTIVITY_KINDS)), ("title", "Title", "multilineText", None),
        ("date", "Date", "date", DATE), ("link", "Link", "multilineText", None),
        ("first_seen", "First seen", "date", DATE),
    ],
    "mail_ledger": [
        ("key", "Key", "singleLineText", None), ("job", "Job", "singleLineText", None),
        ("recipient", "Recipient", "singleLineText", None),
        ("status", "Status", "singleSelect", _choices(LEDGER_STATUSES)),
        ("attempts", "Attempts", "number", _number()), ("error", "Error", "multilineText", None),
        ("reference", "Message-ID", "singleLineText", None), ("at", "Last attempt", "dateTime", DATETIME),
        ("sent_at", "Sent at", "dateTime", DATETIME),
    ],
}

# Staff's roster: the type init creates, and the other types doctor accepts (what the roster store reads).
_PLACE = (*TEXT, "singleSelect", *DERIVED, LINK)
ROSTER_FIELDS: dict[str, tuple[str, Mapping | None, tuple[str, ...]]] = {
    "name": ("singleLineText", None, (*TEXT, *DERIVED, LINK, *PEOPLE)),
    "email": ("email", None, (*TEXT, *DERIVED, LINK, *PEOPLE)),
    "country": ("singleLineText", None, _PLACE),
    "region": ("singleLineText", None, _PLACE),
    "university": ("singleLineText", None, _PLACE),
    "languages": ("multipleSelects", _choices(("en",)), _PLACE),
    "start_date": ("date", DATE, ("dateTime", *DERIVED)),
    "status": ("singleSelect", None, (*TEXT, *DERIVED, LINK)),  # its options: the status words
    "forum_handle": ("singleLineText", None, (*TEXT, *DERIVED)),
    "chat_handle": ("singleLineText", None, (*TEXT, *DERIVED)),
    "preferred_name": ("singleLineText", None, (*TEXT, *DERIVED)),
    "status_history": ("multilineText", None, (*TEXT, *DERIVED)),
    "feeds": ("multilineText", None, (*TEXT, "url", *DERIVED)),
}
# Staff's roster fields the jobs can do without: no Status history means the Status column for all time; no Feeds,
# no feed to read; no Preferred name, mail greets everyone by their whole name.
OPTIONAL_ROSTER_FIELDS = ("status_history", "feeds", "preferred_name")
STANDING_FIELDS: dict[str, tuple[str, Mapping | None, tuple[str, ...]]] = {
    "standing": ("singleSelect", _choices(STANDINGS), ()),
    "streak": ("number", _number(), ()),
    "perks": ("multipleSelects", _choices(PERKS), ()),
    "last_checkin": ("date", DATE, ()),
}


# The blog proposals: people fill the first seven fields, the job writes Document and Stage history.
BLOG_FIELDS: dict[str, tuple[str, str, Mapping | None, tuple[str, ...]]] = {
    "title": ("Title", "singleLineText", None, TEXT),
    "author": ("Author email", "email", None, TEXT),
    "summary": ("Summary", "multilineText", None, TEXT),
    "reviewers": ("Reviewers", "singleLineText", None, TEXT),
    "stage": ("Stage", "singleSelect", _choices(("proposed", "draft", "first review", "final review", "scheduled",
                                                "published")), TEXT),
    "published_url": ("Published URL", "url", None, TEXT),
    "published_on": ("Published on", "date", DATE, ()),
    "document": ("Document", "url", None, TEXT),
    "history": ("Stage history", "multilineText", None, TEXT),
}

# The referral inquiries: staff fill the first nine fields (in `domain.referrals.PEOPLE_COLUMNS` order), the
# `referrals` job writes the last six (`JOB_COLUMNS`).
REFERRAL_FIELDS: dict[str, tuple[str, str, Mapping | None, tuple[str, ...]]] = {
    "organization": ("Organization", "singleLineText", None, TEXT),
    "contact_name": ("Contact name", "singleLineText", None, TEXT),
    "contact_email": ("Contact email", "email", None, TEXT),
    "country": ("Country", "singleLineText", None, (*TEXT, "singleSelect")),
    "region": ("Region", "singleLineText", None, (*TEXT, "singleSelect")),
    "language": ("Language", "singleLineText", None, (*TEXT, "singleSelect")),
    "need": ("Need", "singleSelect", _choices(("training", "services", "getting started")), TEXT),
    "details": ("Details", "multilineText", None, TEXT),
    "summary": ("Summary for ambassadors", "multilineText", None, TEXT),
    "inquiry_id": ("Inquiry ID", "singleLineText", None, TEXT),
    "status": ("Referral status", "singleSelect", _choices(("new", "offered", "accepted", "exhausted")), TEXT),
    "current": ("Current candidate", "singleLineText", None, (*TEXT, "email")),
    "offered_at": ("Offered at", "date", DATE, ()),
    "recommended": ("Recommended ambassador", "singleLineText", None, (*TEXT, "email")),
    "history": ("Referral history", "multilineText", None, TEXT),
}


# The funding and swag requests: staff fill the first thirteen fields, the `funding` job writes the last three.
FUNDING_FIELDS: dict[str, tuple[str, str, Mapping | None, tuple[str, ...]]] = {
    "ambassador": ("Ambassador email", "email", None, TEXT),
    "what": ("What", "singleLineText", None, TEXT),
    "kind": ("Kind", "singleLineText", None, (*TEXT, "singleSelect")),
    "amount": ("Amount", "number", _number(2), ("currency",)),
    "currency": ("Currency", "singleLineText", None, (*TEXT, "singleSelect")),
    "event_date": ("Event date", "date", DATE, ()),
    "region": ("Region", "singleLineText", None, (*TEXT, "singleSelect")),
    "status": ("Status", "singleSelect", _choices(("requested", "approved", "rejected", "paid")), TEXT),
    "approved_amount": ("Approved amount", "number", _number(2), ("currency",)),
    "invoice": ("Invoice", "url", None, (*TEXT, "multipleAttachments")),
    "invoice_received": ("Invoice received", "date", DATE, ()),
    "evidence": ("Evidence", "multilineText", None, (*TEXT, "url", "multipleAttachments")),
    "requested_on": ("Requested on", "date", DATE, ("createdTime",)),
    "first_seen": ("First seen", "date", DATE, ()),
    "flags": ("Flags", "multilineText", None, TEXT),
    "reminders": ("Reminders sent", "singleLineText", None, TEXT),
}

# The conduct register: staff's only; the `conduct` commands read it, retention deletes old records.
CONDUCT_FIELDS: dict[str, tuple[str, str, Mapping | None, tuple[str, ...]]] = {
    "email": ("Email", "email", None, TEXT),
    "date": ("Date", "date", DATE, ()),
    "step": ("Step", "singleSelect", _choices(("admonishment", "warning", "removal")), TEXT),
    "description": ("Description", "multilineText", None, TEXT),
    "recorded_by": ("Recorded by", "singleLineText", None, (*TEXT, "email")),
}

# The attendees of sprints and workshops, staff's (one record per attendee and event): the `certificates`
# job sends each one an attendance certificate.
ATTENDEE_FIELDS: dict[str, tuple[str, str, Mapping | None, tuple[str, ...]]] = {
    "name": ("Name", "singleLineText", None, TEXT),
    "event": ("Event", "singleLineText", None, (*TEXT, "singleSelect")),
    "date": ("Date", "date", DATE, ()),
    "email": ("Email", "email", None, TEXT),
}

@dataclass(frozen=True)
class BaseSpec:
    tables: dict[str, TableSpec] = field(default_factory=dict)

    def __getitem__(self, role: str) -> TableSpec:
        return self.tables[role]


def base_spec(table_names: Mapping[str, str], renamed: Mapping[str, Mapping[str, str]],
              roster_fields: Mapping[str, str], standing_fields: Mapping[str, str],
              words: RosterWords = OUR_WORDS) -> BaseSpec:
    """The expected base, from the configuration's table names and field titles, and staff's words for the
    roster's Status, Standing and Perks options."""
    tables: dict[str, TableSpec] = {}
    roster = [FieldSpec(role, roster_fields[role], kind, opts, accepts, optional=role in OPTIONAL_ROSTER_FIELDS)
              for role, (kind, opts, accepts) in ROSTER_FIELDS.items()]
    status = next(i for i, f in enumerate(roster) if f.role == "status")
    roster[status] = FieldSpec("status", roster[status].name, "singleSelect", _choices(words.status_words()),
                               roster[status].accepts, words_key="ambassadors.status_values",
                               needs=words.staff_status_words)
    worded = {"standing": (list(words.standings.values()), "ambassadors.standing_values"),
              "perks": (list(words.perks.values()), "ambassadors.perk_values")}
    for role, (kind, opts, accepts) in STANDING_FIELDS.items():
        if role in worded:
            opts = _choices(worded[role][0])
        roster.append(FieldSpec(role, standing_fields[role], kind, opts, accepts, written=True,
                                words_key=worded.get(role, ("", ""))[1]))
    tables["ambassadors"] = TableSpec("ambassadors", table_names["ambassadors"], tuple(roster), owned=False)
    blog = tuple(FieldSpec(role, title, kind, opts, accepts) for role, (title, kind, opts, accepts) in BLOG_FIELDS.items())
    tables["blog_reviews"] = TableSpec("blog_reviews", table_names["blog_reviews"], blog, owned=False)
    tables["referral_inquiries"] = TableSpec("referral_inquiries", table_names["referral_inquiries"], tuple(
        FieldSpec(role, title, kind, opts, accepts, written=role == "status")  # the job's own select
        for role, (title, kind, opts, accepts) in REFERRAL_FIELDS.items()), owned=False)
    for role, specs in (("funding_requests", FUNDING_FIELDS), ("conduct_register", CONDUCT_FIELDS)):
        tables[role] = TableSpec(role, table_names[role], tuple(FieldSpec(r, title, kind, opts, accepts) for r, (
            title, kind, opts, accepts) in specs.items()), owned=False)
    tables["event_attendees"] = TableSpec("event_attendees", table_names["event_attendees"], tuple(
        FieldSpec(r, title, kind, opts, accepts) for r, (title, kind, opts, accepts) in ATTENDEE_FIELDS.items()),
        owned=False)
    for role, own in OWN_TABLES.items():
        names = renamed.get(role, {})
        fields = tuple(FieldSpec(r, names.get(r, title), kind, opts, written=True) for r, title, kind, opts in own)
        tables[role] = TableSpec(role, table_names[role], fields)
    return BaseSpec(tables)
