"""Which records of the program's own tables the program made: those whose key has its shape.

Every record the jobs write to their own tables (activities, check-ins, data problems, the mail
ledger) carries its idempotency key, built by the program in a shape of its own per table. A record
whose key has that shape is the program's: the jobs rewrite it, and delete it when its key is no
longer wanted (or when a second record holds the same key). Any other record (no key, or a key a
person typed) is not the program's: the jobs never rewrite nor delete it, and name it (`doctor`,
and a line in the job's output), so a person's record is never lost to a run.

The shapes (each key is matched whole):
- activities: `<activity id>:<sheet row>:<section>`, the id `a-` and 14 hex digits (`checkins.activity_id`);
- checkins: `<sheet row>:<email>` (after `erase`, the email is the pseudonym, still an address);
- problems: `p-` and 12 hex digits (`problems.problem_id`);
- mail_ledger: `<job>:<what>`, the job a lowercase name (`checkin_reminder:2026Q3:ana@x.org:d-14`);
- found_activities: `f-` and 16 hex digits (`discovery.found_key`).
"""

from __future__ import annotations

import re

KEY_SHAPES: dict[str, re.Pattern[str]] = {
    "activities": re.compile(r"a-[0-9a-f]{14}:[0-9]+:[0-9]+"),
    "checkins": re.compile(r"[0-9]+:[^\s@]+@[^\s@]+"),
    "problems": re.compile(r"p-[0-9a-f]{12}"),
    "mail_ledger": re.compile(r"[a-z][a-z0-9_]*:\S.*", re.DOTALL),
    "found_activities": re.compile(r"f-[0-9a-f]{16}"),
}

#: How the shapes are said to people (doctor, init, the docs).
KEY_SAYINGS: dict[str, str] = {
    "activities": "`a-<14 hex digits>:<row>:<section>`",
    "checkins": "`<row>:<email>`",
    "problems": "`p-<12 hex digits>`",
    "mail_ledger": "`<job>:<what>`",
    "found_activities": "`f-<16 hex digits>`",
}


def activity_key(activity_id: str, row: object, section: object) -> str:
    """The key the program gives one copy of one activity: its identity, and where that copy was written."""
    return f"{activity_id}:{row}:{section}"


def checkin_key(row: object, email: str) -> str:
    """The key the program gives one check-in: its response's row and the ambassador's email."""
    return f"{row}:{email}"


def program_key(role: str, key: object) -> bool:
    """Whether `key` (a record's Key cell, as read) is one the program makes for the table of `role`."""
    return isinstance(key, str) and KEY_SHAPES[role].fullmatch(key) is not None
