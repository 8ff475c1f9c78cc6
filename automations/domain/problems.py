"""Data problems with a life cycle: found, reported once, kept open, fixed or ignored.

A problem is a row or cell a job could not use (`model.Problem`). Its record adds what staff and
the jobs need to follow it: a stable id, the day it was first seen, who owns it (the ambassador
who wrote the row, or staff), a status staff can set and the day it closed.

- `open`: reported and not resolved. A run that finds only problems already on record exits 0.
- `fixed`: the row was corrected (the job no longer finds it: it closes by itself, dated), or staff
  say so. A problem staff marked fixed that is found again is open again, and counts as new. One that
  closed by itself and comes back (a bad file, then the good one again) is open again with its First
  seen day, and is not new: nobody is told about it twice.
- `ignored`: staff decided it needs nothing (a test response, a stranger's row). It is kept, never
  listed or counted again; if it is no longer found its Closed day is set and it stays ignored, so
  that staff's decision holds if the same value comes back.

A problem whose row could not be read at all in a run (its timestamp, say, became unreadable) is
neither found nor fixed by that run: its record stays as it was.

The id is a digest of where the problem is (the source, the row, the column) and the value there,
not of the reason's wording, so rewording a message in a later version neither reopens nor
duplicates anything, and a corrected cell is a different problem. The source counts by what it is,
not by where it was read: the check-in responses from their CSV download, the linked sheet or the
Forms API, the roster from its CSV file or its Airtable table, are one source each (`SourceNames`
gives each its local file's name), so switching sources or backends keeps every id, status and
First seen day, and tells no one twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType

from .model import Problem
from .values import stable_digest

OPEN, FIXED, IGNORED = "open", "fixed", "ignored"
PROBLEM_STATUSES = (OPEN, FIXED, IGNORED)
STAFF = "staff"  # the owner of a problem in a table staff fill (the roster)


_DATE_CELL = re.compile(r"^(\d{1,4})[.\-](\d{1,2})[.\-](\d{1,4})$")


def _id_value(value: str) -> str:
    """A cell's value as its problem's id takes it: a date written with dots or dashes (a German or ISO
    re-save) as with slashes, so that a re-saved file's problems keep their ids."""
    m = _DATE_CELL.match(value.strip())
    return "/".join(m.groups()) if m and len(m.group(1)) <= 2 else value


#: A source's name as its problems give it (a sheet and tab, an Airtable table) -> the name its problems' ids
#: use (the local file's: what the local backend and the CSV download call it). A name ending with `*` stands for
#: every name it begins (`Google Sheet *`: any sheet and tab the responses were read from, this run or before).
SourceNames = Mapping[str, str]
NO_NAMES: SourceNames = MappingProxyType({})


def id_source(source: str, names: SourceNames = NO_NAMES) -> str:
    """The name a problem's id takes for its source: the same whichever backend or form source read it."""
    if source in names:
        return names[source]
    base = source.replace("\\", "/").rsplit("/", 1)[-1]  # the file's name, wherever the folder is
    if base in names:
        return names[base]
    return next((name for start, name in names.items() if start.endswith("*") and source.startswith(start[:-1])),
                base)


def source_ids(names: SourceNames = NO_NAMES) -> Callable[[str], str]:
    """`id_source` with these names, each source's worked out once (a run's problems come from a few sources)."""
    memo: dict[str, str] = {}

    def source_id(source: str) -> str:
        got = memo.get(source)
        if got is None:
            got = memo[source] = id_source(source, names)
        return got

    return source_id


def problem_id(p: Problem, names: SourceNames = NO_NAMES, source_id: Callable[[str], str] | None = None) -> str:
    """`source_id`: `source_ids(names)`, when many problems are named (the same ids, each source worked out once)."""
    source = source_id(p.source) if source_id is not None else id_source(p.source, names)
    return "p-" + stable_digest(source, str(p.row), p.column, _id_value(p.value), length=12)


#: What a problem is apart from its row: (source, column, value, reason).
Sameness = tuple[str, str, str, str]


def _same_problem(p: Problem, source_id: Callable[[str], str]) -> Sameness:
    """What a problem is, wherever its row now sits (a sorted sheet, a deleted row above it)."""
    return source_id(p.source), p.column, _id_value(p.value), p.reason


#: Words staff type for a status, read as that status (trimmed, in any case; spaces, dashes, underscores and
#: apostrophes do not count: "Won't fix", "wont-fix", "WONTFIX").
STATUS_WORDS = MappingProxyType({FIXED: ("done", "resolved", "closed", "solved"),
                                 IGNORED: ("ignore", "skip", "skipped", "won't fix", "not a problem")})


def _word(text: str) -> str:
    return re.sub(r"[\s_'\u2019-]+", "", text.strip().lower())


STATUS_SYNONYMS = MappingProxyType({_word(w): st for st, words in STATUS_WORDS.items() for w in words})


def read_status(text: str) -> str:
    """A status as staff may type it ("Ignored ", "FIXED", "Done", "Won't fix"); anything else, or
    nothing, is open (`unknown_status` tells which words were not understood)."""
    status = _word(text)
    return status if status in PROBLEM_STATUSES else STATUS_SYNONYMS.get(status, OPEN)


def unknown_status(text: str) -> str:
    """The word staff typed as a Status when it means no status (read as open), as typed; else ""."""
    word = " ".join(text.split())
    return word if word and _word(word) not in PROBLEM_STATUSES and _word(word) not in STATUS_SYNONYMS else ""


def accepted_statuses() -> str:
    """The words a Status may hold, for a message."""
    return f"{OPEN}, {FIXED} (or {', '.join(STATUS_WORDS[FIXED])}), {IGNORED} (or {', '.join(STATUS_WORDS[IGNORED])})"


@dataclass(frozen=True, slots=True)
class ProblemRecord:
    problem: Problem
    status: str = OPEN
    first_seen: date | None = None  # None: on record from before problems had dates
    closed: date | None = None
    owner: str = STAFF  # an ambassador's email, or "staff"
    id: str = field(default="")
    typed: str = field(default="", compare=False)  # a Status word staff typed that means no status (read open)

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", problem_id(self.problem))

    @property
    def listed(self) -> bool:
        """Whether staff (and the owner) still need to see it."""
        return self.status == OPEN


@dataclass
class Reconciled:
    """The problem store after a run, and what changed in it."""

    records: list[ProblemRecord]  # the store's content from now on
    new: list[ProblemRecord]  # first found in this run, or found again after being fixed
    known: list[ProblemRecord]  # found again, already on record and open
    closed: list[ProblemRecord]  # not found any more: fixed by themselves in this run
    changed: bool

    @property
    def open(self) -> list[ProblemRecord]:
        return [r for r in self.records if r.status == OPEN]


def _moved(by_id: dict[str, ProblemRecord], found: Sequence[tuple[str, Problem]], closing: set[str],
           source_id: Callable[[str], str]) -> dict[str, str]:
    """New id -> old id, for problems found on another row than the one on record (the sheet sorted, a row
    deleted above): a record not found again, of a source read in full, with the same column, value and
    reason as exactly one new problem, and no other such record. `found`: (id, problem) pairs."""
    fresh: dict[Sameness, list[str]] = {}
    for pid, p in found:
        if pid not in by_id:
            fresh.setdefault(_same_problem(p, source_id), []).append(pid)
    if not fresh:
        return {}
    found_ids = {pid for pid, _ in found}
    gone: dict[Sameness, list[str]] = {}
    for pid, r in by_id.items():
        if pid not in found_ids and source_id(r.problem.source) in closing and \
                not (r.status == FIXED and r.closed is None):
            gone.setdefault(_same_problem(r.problem, source_id), []).append(pid)
    return {new[0]: old[0] for key, new in fresh.items() if len(new) == 1
            for old in [gone.get(key, [])] if len(old) == 1}


def _by_id(stored: Sequence[ProblemRecord], source_id: Callable[[str], str]) -> dict[str, ProblemRecord]:
    """The records on file by the ids they take now. Two that become one (the same cell on record under two
    names of its source) keep the one that holds staff's decision (ignored, then fixed by staff), else the open
    one, else the one that closed by itself; the earliest First seen of the two stays."""
    out: dict[str, ProblemRecord] = {}
    for r in stored:
        pid = problem_id(r.problem, source_id=source_id)
        r = r if r.id == pid else replace(r, id=pid)
        had = out.get(pid)
        if had is not None:
            first = min((d for d in (r.first_seen, had.first_seen) if d is not None), default=None)
            r = replace(min(r, had, key=_weight), first_seen=first)
        out[pid] = r
    return out


def _weight(r: ProblemRecord) -> int:
    """How much a record says of staff's decision: ignored, fixed by staff, open, fixed by itself."""
    if r.status == IGNORED:
        return 0
    if r.status == FIXED:
        return 1 if r.closed is None else 3
    return 2


def _order(r: ProblemRecord) -> tuple[str, int, str, str]:
    return (r.problem.source, r.problem.row, r.problem.column, r.id)


def reconcile(stored: Sequence[ProblemRecord], found: Iterable[Problem], as_of: date,
              closing_sources: Iterable[str] = (), staff_sources: Iterable[str] = (),
              people: Collection[str] | None = None, unread: Collection[tuple[str, int]] = (),
              names: SourceNames = NO_NAMES) -> Reconciled:
    """Bring the stored records up to date with the problems a run found.

    Found and unknown: a new open record. Found and on record: its text is refreshed, its status
    kept (a fixed one reopens). On record, open or ignored, from a source in `closing_sources` (one the
    run read in full) and not found: fixed, dated `as_of`. Problems from `staff_sources` are
    staff's to fix; the others belong to the ambassador whose email the row holds, where that email
    is one of `people` (the roster), else to staff. `unread`: (source, row) of rows this run skipped whole;
    their other records are left as they are (a row that cannot be read says nothing of its cells).
    `names`: the sources' names their ids take (`SourceNames`); a record on file under another name of its
    source (read from the download before, from the sheet now) is the same record, under the id it takes now.
    """
    source_id = source_ids(names)
    unread = {(source_id(s), row) for s, row in unread}
    staff_sources = {source_id(s) for s in staff_sources}
    closing = {source_id(s) for s in closing_sources}
    by_id = _by_id(stored, source_id)
    out: dict[str, ProblemRecord] = dict(by_id)
    new: list[ProblemRecord] = []
    known: list[ProblemRecord] = []
    seen: set[str] = set()
    pairs = [(problem_id(p, source_id=source_id), p) for p in found]
    moved = _moved(by_id, pairs, closing, source_id)
    for pid, p in pairs:
        if pid in seen:
            continue
        seen.add(pid)
        mine = p.email and source_id(p.source) not in staff_sources and (people is None or p.email in people)
        owner = p.email if mine else STAFF
        old = by_id.get(pid)
        if old is None and pid in moved:  # the same problem on another row: staff's decision goes with it
            seen.add(moved[pid])
            old = out.pop(moved[pid])
        if old is None:
            rec = ProblemRecord(p, OPEN, as_of, None, owner, pid)
            new.append(rec)
        elif old.status == FIXED and old.closed is not None and old.first_seen is not None:
            rec = ProblemRecord(p, OPEN, old.first_seen, None, owner, pid)  # closed by itself, back again
            known.append(rec)
        elif old.status == FIXED:
            rec = ProblemRecord(p, OPEN, as_of, None, owner, pid)
            new.append(rec)
        else:
            rec = replace(old, problem=p, owner=owner, closed=None, id=pid)
            if rec.status == OPEN:
                known.append(rec)
        out[pid] = rec
    closed: list[ProblemRecord] = []
    for pid, old in by_id.items():
        source = source_id(old.problem.source)
        if pid in seen or old.status == FIXED or source not in closing:
            continue
        if (source, old.problem.row) in unread:
            continue
        if old.status == IGNORED:
            if old.closed is None:
                out[pid] = replace(old, closed=as_of)  # staff's decision kept, should it come back
            continue
        out[pid] = replace(old, status=FIXED, closed=as_of)
        closed.append(out[pid])
    records = sorted(out.values(), key=_order)
    # (records moved to another row were replaced above, under their new ids)
    changed = records != sorted(stored, key=_order)
    return Reconciled(records, sorted(new, key=_order), sorted(known, key=_order), closed, changed)
