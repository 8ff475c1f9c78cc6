"""The forum's ambassadors group (it carries the Ambassadors badge): who belongs in it, as a pure plan.

The group should hold exactly the active ambassadors, matched by the roster's forum handle: an
active ambassador is added, one who became alumni or was removed is taken out, a paused one is
left as they are (in or out), and so is one whose start date has not come yet. The status is the
one on the run's day (`compliance.status_on`: the Status column, or the Status history for a
replayed day).

A member who matches no roster row is taken out too ("equal to the active ambassadors"; the badge
is the program's), except:
- the usernames in `forum.keep_usernames` (staff, moderators) and the group's owners, never touched;
- while the roster has rows that could not be read: such a row may be that member's, so nobody
  who matches no one is taken out until every row reads (they are "held" and counted).

Handles are compared as Discourse compares usernames: NFKC-normalised and lower-cased. A handle
written as `@name` or pasted as a profile link on the forum (`https://forum.example.org/u/name`)
is understood; anything else that is not a username (a link elsewhere, spaces, a comma) is a data
problem with its row, column, value and reason, and so is an active ambassador without a handle and
a handle that matches no forum user (looked up only for handles not in the group yet).

`removal_guard` is the safety catch for a broken roster read: a plan that would take out more than
`max_removal_share` of the group (and at least `min_guarded_removals` people), or that takes people
out while no active ambassador with a handle is left on the roster, is refused until staff confirm.

Every change carries a ledger key: `forum_add:<username>:<as of>` and `forum_remove:<username>:<as of>`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import unquote, urlsplit

from .compliance import status_on
from .model import Ambassador, Problem
from .privacy import is_erased

FORUM_ADD, FORUM_REMOVE = "forum_add", "forum_remove"

MEMBER, NOT_MEMBER, LEAVE = "member", "not_member", "leave"
_STATE = {"active": MEMBER, "paused": LEAVE, "alumni": NOT_MEMBER, "removed": NOT_MEMBER}
# When two roster rows name the same forum user (a rejoiner's old row, say), the stronger wish wins:
# an active row keeps them in, a paused one keeps them as they are.
_STRENGTH = {MEMBER: 2, LEAVE: 1, NOT_MEMBER: 0}

# Discourse usernames: letters and digits (Unicode ones when the forum allows them), '_', '.' and '-'.
# A comma would split the batch requests' username lists, so it can never pass.
_USERNAME = re.compile(r"^[\w.\-]{1,60}$")
_PROFILE_PATH = re.compile(r"/(?:u|users)/([^/?#]+)")  # …/u/<name>, …/u/<name>/summary, …
_BARE_LINK = re.compile(r"^[\w.-]+\.[a-z]{2,}/", re.IGNORECASE)  # forum.example.org/u/name, no scheme


@dataclass(frozen=True)
class ForumSettings:
    """What the plan needs to know besides the roster and the group."""

    group_name: str = "ambassadors"
    forum_host: str = ""  # the forum's host name, to read a profile link pasted as a handle
    handle_column: str = "Forum handle"  # the roster's column title, for problems
    keep_usernames: tuple[str, ...] = ()  # never taken out (staff, moderators)
    max_removal_share: float = 0.25
    min_guarded_removals: int = 3


@dataclass(frozen=True)
class Member:
    """A member of the group as the forum lists it."""

    username: str
    owner: bool = False


@dataclass(frozen=True)
class Wish:
    """What one roster row asks of the group: its handle, read, and whether the person belongs in it."""

    key: str  # `username_key` of the handle
    username: str  # the handle without '@' or the link around it
    value: str  # the cell as written
    email: str
    row: int
    state: str  # MEMBER (active), NOT_MEMBER (alumni, removed) or LEAVE (paused, not started yet)
    why: str  # the status behind the state, for people: "active", "alumni", ...


@dataclass(frozen=True)
class Change:
    """One membership change: who (as the forum spells them), whose roster row, and why."""

    username: str
    email: str  # the ambassador's; "" for a member who matches no roster row
    why: str

    def key(self, kind: str, as_of: date) -> str:
        return f"{kind}:{username_key(self.username)}:{as_of.isoformat()}"


@dataclass(frozen=True)
class ForumPlan:
    add: tuple[Change, ...]
    remove: tuple[Change, ...]
    problems: tuple[Problem, ...]
    members: int  # the group's size as read
    kept: tuple[str, ...] = ()  # members never touched: owners and forum.keep_usernames
    left_alone: tuple[str, ...] = ()  # members who are paused or have not started yet
    held: tuple[str, ...] = ()  # members matching no one, kept while the roster has unreadable rows
    wanted: int = 0  # roster rows that want their person in the group (active, with a readable handle)
    unmatched: tuple[str, ...] = field(default=())  # handles of active ambassadors no forum user has


def username_key(name: str) -> str:
    """A username as Discourse compares it (`User.normalize_username`: NFKC, then lower case)."""
    return unicodedata.normalize("NFKC", name).lower()


def read_handle(raw: str, forum_host: str = "") -> tuple[str, str]:
    """The forum username a roster cell holds, or ("", why it cannot be one).

    `@name` is `name`; a link to a profile on the forum (`https://<forum>/u/name`, `/users/name`,
    with or without `https://`) is `name`; a link to another site, or to a page that is not a
    profile, is refused, as is anything with characters a username never has."""
    text = raw.strip()
    if _BARE_LINK.match(text):
        text = "https://" + text
    if "://" in text:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        if forum_host and host.removeprefix("www.") != forum_host.lower().removeprefix("www."):
            return "", (f"is a link to {host or 'another site'}, not to a profile on the forum ({forum_host}): write "
                        f"the ambassador's forum username")
        found = _PROFILE_PATH.search(parts.path)
        if not found:
            return "", "is a link, but not to a forum profile (…/u/<username>): write the ambassador's forum username"
        text = unquote(found.group(1))
    text = text.removeprefix("@").strip()
    if not text:
        return "", "is not a forum username"
    if not _USERNAME.match(text):
        return "", ("is not a forum username (letters, digits, '_', '.' and '-' only, no spaces or commas): write "
                    "the username exactly as the forum shows it after @")
    return text, ""


def read_wishes(ambassadors: Iterable[Ambassador], as_of: date, settings: ForumSettings, source: str
                ) -> tuple[dict[str, Wish], list[Problem]]:
    """Each forum user the roster names, with what their row(s) ask for; and the rows' problems (an active
    ambassador with no handle or one that cannot be read, two active ambassadors with one handle)."""
    wishes: dict[str, Wish] = {}
    problems: list[Problem] = []
    column = settings.handle_column
    for a in sorted(ambassadors, key=lambda a: a.row):
        if is_erased(a.email):  # erased on request: their handle is a token, and they are no member to keep
            continue
        status = status_on(a, as_of)
        state = _STATE.get(status, LEAVE)
        if state == MEMBER and a.start_date > as_of:
            state, status = LEAVE, "not started yet"
        raw = a.forum_handle or ""
        if not raw.strip():
            if state == MEMBER:
                problems.append(Problem(source, a.row, column, "", "is empty: an active ambassador needs their forum "
                                        "username here to get the Ambassadors badge (the forum's ambassadors group)"))
            continue
        username, why = read_handle(raw, settings.forum_host)
        if why:
            if state != LEAVE:  # a paused row's handle decides nothing today
                problems.append(Problem(source, a.row, column, raw, why))
            continue
        wish = Wish(username_key(username), username, raw, a.email, a.row, state, status)
        before = wishes.get(wish.key)
        if before is not None and before.state == MEMBER and state == MEMBER:
            problems.append(Problem(source, a.row, column, raw, f"is also the forum handle of row {before.row} "
                                    f"({before.email}): two active ambassadors cannot share one forum user; correct "
                                    f"one of them"))
            continue
        if before is None or _STRENGTH[state] > _STRENGTH[before.state]:
            wishes[wish.key] = wish
    return wishes, problems


def to_look_up(wishes: Mapping[str, Wish], members: Sequence[Member]) -> list[Wish]:
    """The wishes whose person should be in the group and is not: their handle is checked on the forum."""
    present = {username_key(m.username) for m in members}
    return [w for w in wishes.values() if w.state == MEMBER and w.key not in present]


def plan_forum(wishes: Mapping[str, Wish], members: Sequence[Member], found: Mapping[str, str | None],
               settings: ForumSettings, source: str, roster_complete: bool = True) -> ForumPlan:
    """The changes that make the group what the roster asks for.

    `found` holds, for each wish of `to_look_up` (by key), the username as the forum spells it, or None
    when no forum user has that name (a data problem). `roster_complete` is False when some roster rows
    could not be read: members who match no one are then held, not taken out."""
    keep = {username_key(u) for u in settings.keep_usernames}
    present = {username_key(m.username): m for m in members}
    add, problems, unmatched = [], [], []
    for w in sorted(wishes.values(), key=lambda w: w.row):
        if w.state != MEMBER or w.key in present or w.key not in found:
            continue
        name = found[w.key]
        if name is None:
            unmatched.append(w.username)
            problems.append(Problem(source, w.row, settings.handle_column, w.value,
                                    "matches no user on the forum: write the ambassador's forum username (as the "
                                    "forum shows it after @), or ask them to sign up on the forum first"))
            continue
        add.append(Change(name, w.email, "active"))
    remove: list[Change] = []
    kept: list[str] = []
    left_alone: list[str] = []
    held: list[str] = []
    for m in sorted(members, key=lambda m: username_key(m.username)):
        k = username_key(m.username)
        wish = wishes.get(k)
        if k in keep or m.owner:
            kept.append(m.username)
        elif wish is not None and wish.state == MEMBER:
            continue
        elif wish is not None and wish.state == LEAVE:
            left_alone.append(m.username)
        elif wish is not None:  # alumni or removed
            remove.append(Change(m.username, wish.email, wish.why))
        elif roster_complete:
            remove.append(Change(m.username, "", "not an ambassador on the roster"))
        else:
            held.append(m.username)
    wanted = sum(1 for w in wishes.values() if w.state == MEMBER)
    return ForumPlan(tuple(add), tuple(remove), tuple(problems), len(members), tuple(kept), tuple(left_alone),
                     tuple(held), wanted, tuple(unmatched))


def removal_guard(plan: ForumPlan, settings: ForumSettings) -> str:
    """Why this plan must wait for staff's confirmation (one sentence), or "" when it may go ahead.

    A roster that was read wrong (an empty export, the wrong table, a renamed column) looks like
    everyone left: the group would be emptied. So a plan is held when it takes out more than
    `max_removal_share` of the members, at least `min_guarded_removals` of them, or takes anyone out while
    the roster names no active ambassador with a handle at all."""
    n = len(plan.remove)
    if not n:
        return ""
    if n >= settings.min_guarded_removals and n > settings.max_removal_share * plan.members:
        return (f"it would take {n} of the group's {plan.members} members out at once, more than "
                f"forum.max_removal_share ({settings.max_removal_share:.0%})")
    if plan.wanted == 0:
        return (f"it would take {n} member{'s' if n != 1 else ''} out while the roster names no active ambassador "
                f"with a forum handle (is the roster, or its '{settings.handle_column}' column, read right?)")
    return ""


def names(changes: Sequence[Change] | Sequence[str], limit: int = 10) -> str:
    """'a, b and c' (at most `limit` names, then how many more), for a summary line."""
    shown = [c.username if isinstance(c, Change) else c for c in changes]
    more = len(shown) - limit
    shown = shown[:limit]
    if more > 0:
        return ", ".join(shown) + f" and {more} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]
