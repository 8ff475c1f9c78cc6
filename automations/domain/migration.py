"""Moving a program from one store to another (`migrate`): what to create, update and delete, and when to refuse.

Every table a program holds is seen here as a list of rows, each a mapping of a field's role (`email`,
`start_date`, `key`, ...; a column of staff's own as `+<its title>`) to its *canonical* text: the same
value gives the same text whichever store it came from (a CSV cell, an Airtable number, date, list or
date-time), so two stores are compared by role, never by their titles or cell shapes. Empty values are
left out: an empty cell and a missing one are the same.

Rows are matched on their table's natural key (`Shape.identity`: a program record's `Key`, an
ambassador's email, a proposal's author and title, ...), the n-th row with a key in the source with the
n-th row with that key in the destination (a table may hold a key twice). Then, per pair:

- the same in both: nothing to do;
- only in the source: created;
- different, or only in the destination: updated (or deleted) when the destination's row is one that
  `migrate` itself wrote from this same source (its digest is in the journal the destination keeps) and
  nobody changed since; otherwise the destination holds data that did not come from here, and the whole
  migration is refused before anything is written (`Plan.foreign`).

So a first migration into an empty base creates everything; a second one writes nothing; one resumed
after a kill creates what is missing; one after the source moved on brings the changes over; and a
destination with other people in its roster, or one that has been running on its own since, is never
overwritten.

The program's own tables (activities, check-ins, data problems, the mail ledger) hold, besides the
program's records, any a person added on a base (no Key, or a Key of their own: `domain.ownership`),
which the jobs there leave alone. Those are never copied (`program_rows`: a local folder's files are
wholly the program's, and its jobs would stop on such a row or take it for one of their own), and a
destination's own are left as they are (`TablePlan.left`), neither refused nor deleted, unless
migrate itself wrote them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from .funding import parse_amount
from .model import Problem
from .ownership import KEY_SHAPES, program_key
from .problems import NO_NAMES, SourceNames, problem_id
from .values import stable_digest

EXTRA = "+"  # the role of a column staff added themselves: "+Notes"

Row = dict[str, str]

#: The kinds of value a field holds, as far as comparing and converting them goes.
TEXT, NUMBER, DATE, DATETIME, MULTI, SELECT = "text", "number", "date", "datetime", "multi", "select"
#: A funding request's amount: read as the funding job reads it (`funding.parse_amount`: "1.200" is 1200,
#: "1,200.50" is 1200.5, "€ 80" is 80); a value the job cannot read is kept as it was written.
AMOUNT = "amount"


@dataclass(frozen=True)
class Shape:
    """One table of a program: its role (as `airtable.tables` names it), what staff call it, the field roles
    that identify a row, and whether only `conduct.readers` may read it."""

    role: str
    what: str
    identity: tuple[str, ...]
    restricted: bool = False
    owned: tuple[str, ...] = ()  # the fields the program's jobs write into staff's table (the rest are staff's)


#: Every table `migrate` copies, in the order they are planned (the roster and staff's tables before the data
#: problems, which name their rows).
SHAPES: tuple[Shape, ...] = (
    Shape("ambassadors", "roster", ("email",), owned=("standing", "streak", "perks", "last_checkin")),
    Shape("blog_reviews", "blog proposals", ("author", "title"), owned=("document", "history")),
    Shape("referral_inquiries", "referral inquiries", ("contact_email", "organization"),
          owned=("inquiry_id", "status", "current", "offered_at", "recommended", "history")),
    Shape("funding_requests", "funding requests", ("ambassador", "what", "event_date"),
          owned=("first_seen", "flags", "reminders")),
    Shape("event_attendees", "event attendees", ("event", "date", "email")),
    Shape("conduct_register", "conduct register", ("email", "date", "step"), restricted=True),
    Shape("activities", "activities", ("key",)),
    Shape("checkins", "check-ins", ("key",)),
    Shape("problems", "data problems", ("key",)),
    Shape("mail_ledger", "mail ledger", ("key",)),
    Shape("found_activities", "found activities", ("key",)),
)
SHAPE = {s.role: s for s in SHAPES}
#: The order the tables are written in: the mail ledger first (a destination run after a stop part-way never
#: sends again what had gone), the data problems next (staff's statuses), the rest after.
WRITE_ORDER = ("mail_ledger", "problems", "ambassadors", "blog_reviews", "referral_inquiries", "funding_requests",
               "event_attendees", "conduct_register", "activities", "checkins", "found_activities")


# -- canonical values --------------------------------------------------------------------------------------------

_SPLIT = re.compile(r"\s*;\s*")


def _number(text: str) -> str:
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        return text
    if not d.is_finite():
        return text
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def amount_text(value: object) -> str:
    """An amount (a cell's text, or a number a base holds) as the funding job reads it, as a plain number ("1200.5");
    one the job cannot read (a data problem there) as it was written."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = repr(value) if isinstance(value, float) else str(value)
    try:
        amount = parse_amount(text)
    except ValueError:
        return text
    return "" if amount is None else _number(str(amount))


def utc_text(moment: datetime) -> str:
    """A moment as Airtable returns a dateTime cell: UTC, milliseconds, 'Z'."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _moment(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text  # a moment without its zone is not one instant: kept as written
    return utc_text(moment)


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        return text


def items(text: str) -> list[str]:
    """The items of a multiple choice written as text ("mr; hi; en", or "en, fr" without a semicolon)."""
    parts = _SPLIT.split(text) if ";" in text else text.split(",")
    return [p.strip() for p in parts if p.strip()]


def canonical(kind: str, value: object) -> str:
    """A value of a field of this kind as text that is the same whichever store held it: a number without
    trailing zeros, a date as ISO, a moment in UTC with milliseconds and 'Z', a multiple choice as "a; b"
    (in its order). A value that does not read as its kind is kept as written (converting it may then be
    refused, naming the cell)."""
    if value is None or value is False:
        return ""
    if value is True:
        return "yes"
    if isinstance(value, list):
        texts = [canonical(TEXT, v) for v in value]
        return "; ".join(t for t in texts if t)
    if isinstance(value, dict):  # a collaborator, an attachment, a linked item: what a person reads
        return str(value.get("email") or value.get("url") or value.get("name") or "")
    if kind == AMOUNT:
        return amount_text(value) if (not isinstance(value, str) or value.strip()) else ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return ""
        return _number(repr(value) if isinstance(value, float) else str(value))
    text = str(value)
    if not text.strip():
        return ""
    if kind == NUMBER:
        return _number(text)
    if kind == DATE:
        return _day(text)
    if kind == DATETIME:
        return _moment(text)
    if kind == MULTI:
        return "; ".join(items(text))
    return text


def clean(row: Mapping[str, str]) -> Row:
    """A row without its empty values (an empty cell is the same as a missing one)."""
    return {k: v for k, v in row.items() if v != ""}


def digest(row: Mapping[str, str]) -> str:
    return stable_digest(*(f"{k}\x1e{v}" for k, v in sorted(clean(row).items())), length=20)


def identity(shape: Shape, row: Mapping[str, str]) -> str:
    """A row's natural key, compared without case or surrounding space."""
    return "\x1f".join(" ".join(row.get(r, "").split()).casefold() for r in shape.identity)


def shown(shape: Shape, row: Mapping[str, str]) -> str:
    """A row's natural key as a person reads it ("a@example.org", "Title / a@example.org")."""
    return " / ".join(row.get(r, "") for r in shape.identity if row.get(r, "")) or "(a row without its key)"


def programs(shape: Shape, row: Mapping[str, str]) -> bool:
    """Whether the row is one the program made: any row of staff's tables; in the program's own tables, a row
    whose Key has the shape the program gives it (`domain.ownership`)."""
    return shape.role not in KEY_SHAPES or program_key(shape.role, row.get("key", ""))


def program_rows(shape: Shape, rows: Iterable[Sourced]) -> tuple[list[Sourced], list[str]]:
    """The rows the program made, and the keys (as shown) of the others: records a person added to the program's
    own tables, which `migrate` never copies."""
    kept: list[Sourced] = []
    skipped: list[Sourced] = []
    for s in rows:
        (kept if programs(shape, s.row) else skipped).append(s)
    return kept, [shown(shape, s.row) for s in skipped]


# -- planning ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sourced:
    """A source row and where its store's data problems place it ((source name, row number); None: not named)."""

    row: Row
    place: tuple[str, int] | None = None


@dataclass(frozen=True)
class Held:
    """A row a store holds, how the store finds it again (a record id, a row index), and where its data problems
    place it."""

    ref: object
    row: Row
    place: tuple[str, int] | None = None


@dataclass
class TablePlan:
    shape: Shape
    create: list[Row] = field(default_factory=list)
    update: list[tuple[object, Row, Row]] = field(default_factory=list)  # (ref, new row, row held now)
    delete: list[object] = field(default_factory=list)
    final: list[Sourced] = field(default_factory=list)  # what the table holds afterwards, in its order
    unchanged: int = 0
    foreign: list[str] = field(default_factory=list)  # the keys of rows that did not come from this source
    changed_since: list[str] = field(default_factory=list)  # ... of rows changed since migrate wrote them
    #: (key as shown, field role, the source's value, the destination's) of each staff field that differs in a row
    #: migrate did not write (a roster staff typed into the base themselves)
    differ: list[tuple[str, str, str, str]] = field(default_factory=list)
    adopted: int = 0  # rows staff typed that hold the source's values but for the program's own fields: updated
    left: list[str] = field(default_factory=list)  # ... of rows a person added to a program's table, left alone
    mine: set[str] = field(default_factory=set)  # the digests of the rows migrate wrote that the table then holds

    @property
    def changed(self) -> int:
        return len(self.create) + len(self.update) + len(self.delete)

    @property
    def refused(self) -> bool:
        return bool(self.foreign or self.changed_since)

    def writing(self) -> set[str]:
        """The digests of the rows about to be created or updated (recorded before they are written)."""
        return {digest(r) for r in self.create} | {digest(new) for _, new, _ in self.update}


def staff_differences(shape: Shape, source: Mapping[str, str], held: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(field role, the source's value, the destination's) of each field but the program's own that the two rows
    hold differently (an email spelled otherwise too: adopting never rewrites what staff typed)."""
    return [(r, source.get(r, ""), held.get(r, "")) for r in sorted((set(source) | set(held)) - set(shape.owned))
            if source.get(r, "") != held.get(r, "")]


def plan_table(shape: Shape, source: Sequence[Sourced], held: Sequence[Held], ours: Iterable[str]) -> TablePlan:
    """What to write so that the destination's table holds the source's rows (see the module's docstring).
    `ours`: the digests of the rows migrate wrote (or was about to write) into this table from this source.
    `plan.mine`: the digests of the rows migrate wrote that the table holds afterwards (created or updated now,
    or written before and unchanged since), never of a row it found there as it is."""
    ours = set(ours)
    plan = TablePlan(shape)
    wanted: dict[str, list[Sourced]] = {}
    for s in source:
        wanted.setdefault(identity(shape, s.row), []).append(s)
    taken: dict[str, int] = {}
    matched: set[int] = set()  # ids of the source rows paired with a held row
    for h in held:
        if not programs(shape, h.row) and digest(h.row) not in ours:
            plan.left.append(shown(shape, h.row))  # a person's record (the jobs there leave it alone too)
            plan.final.append(Sourced(h.row))
            continue
        key = identity(shape, h.row)
        n = taken.get(key, 0)
        taken[key] = n + 1
        pair = wanted.get(key, [])
        twin = pair[n] if n < len(pair) else None
        mine = digest(h.row) in ours
        if twin is None:
            if mine:
                plan.delete.append(h.ref)  # migrate wrote it, the source no longer has it
            else:
                plan.foreign.append(shown(shape, h.row))
                plan.final.append(Sourced(h.row))
            continue
        matched.add(id(twin))
        plan.final.append(twin)
        if digest(twin.row) == digest(h.row):
            plan.unchanged += 1
            if mine:
                plan.mine.add(digest(twin.row))
        elif mine:
            plan.update.append((h.ref, twin.row, h.row))
            plan.mine.add(digest(twin.row))
        elif shape.owned and not (wrong := staff_differences(shape, twin.row, h.row)):
            # The same row, typed by staff: adopted, its program-owned fields (standing, streak...) brought over.
            # It stays staff'twin (not journaled as migrate'twin): a later migrate updates it again, never deletes it.
            plan.update.append((h.ref, twin.row, h.row))
            plan.adopted += 1
        else:
            plan.changed_since.append(shown(shape, h.row))
            if shape.owned:
                plan.differ += [(shown(shape, h.row), r, a, b) for r, a, b in wrong]
    for s in source:
        if id(s) not in matched:
            plan.create.append(s.row)
            plan.final.append(s)
            plan.mine.add(digest(s.row))
    return plan


# -- data problems in their new place ----------------------------------------------------------------------------

def readdress(rows: Sequence[Sourced], moves: Mapping[tuple[str, int], tuple[str, int]],
              columns: Mapping[tuple[str, str], str], names: SourceNames = NO_NAMES) -> tuple[list[Sourced], int]:
    """The data problems as the destination's stores will name them: a problem about a roster (or staff
    table) row says the destination's table name and row number, and its column title by role
    (`columns`: (old source, old title) -> new title), with the id that follows from them. Problems of the
    check-in responses (read from the same form by both) stay as they are. Returns the rows and how many
    moved."""
    out: list[Sourced] = []
    moved = 0
    for s in rows:
        r = s.row
        try:
            place = (r.get("source", ""), int(r.get("row") or 0))
        except ValueError:
            out.append(s)
            continue
        target = moves.get(place)
        column = columns.get((place[0], r.get("column", "")), r.get("column", ""))
        if target is None and column == r.get("column", ""):
            out.append(s)
            continue
        source, row_no = target or place
        new = dict(r, source=source, row=str(row_no), column=column)
        problem = Problem(source, row_no, column, new.get("value", ""), new.get("problem", ""))
        new["key"] = problem_id(problem, names)  # the id the destination's jobs give it (`problems.SourceNames`)
        out.append(Sourced(clean(new), s.place))
        moved += 1
    return out, moved


def moves_of(plans: Iterable[TablePlan], place_of: Callable[[str, int], tuple[str, int] | None]
             ) -> dict[tuple[str, int], tuple[str, int]]:
    """(source name, row) -> (destination name, row) of every row whose place the migration changes.
    `place_of(table role, index in the final table)`: where the destination's store names that row."""
    out = {}
    for plan in plans:
        for i, s in enumerate(plan.final):
            if s.place is None:
                continue
            target = place_of(plan.shape.role, i)
            if target is not None and target != s.place:
                out[s.place] = target
    return out
