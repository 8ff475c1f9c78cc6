"""In-memory adapters of the ports, for fast unit tests: each keeps state that tests assert on.

They pass the same contract suites (`tests/contract/`) as the CSV and Airtable adapters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from automations.adapters.memory.work_cache import MemoryWorkCache
from automations.domain.checkins import RosterLayout, parse_roster
from automations.domain.compliance import Resolved
from automations.domain.model import Ambassador, Checkin, Problem
from automations.domain.problems import ProblemRecord
from automations.domain.values import stable_digest
from automations.domain.words import OUR_WORDS, RosterWords
from automations.ports import LedgerEntry, NewRows, StandingUpdate, StoredReports, Written


class FakeRosterStore:
    """A roster given as a header row and rows of text, as a person would type them."""

    where = "memory roster"
    source = "memory roster"

    def __init__(self, headers: Sequence[str], rows: Sequence[Sequence[str]], fields: Mapping[str, str],
                 words: RosterWords = OUR_WORDS):
        self.headers, self.rows = list(headers), [list(r) for r in rows]
        self.layout = RosterLayout("memory roster", dict(fields), words=words)
        self.written: dict[str, StandingUpdate] = {}  # what compliance wrote, by email (in our words)

    def read(self) -> tuple[list[Ambassador], list[Problem]]:
        return parse_roster(self.headers, self.rows, self.layout)

    def write_standings(self, updates: Mapping[str, StandingUpdate], dry_run: bool = False) -> Written:
        known = {a.email for a in self.read()[0]}
        changed = {e: u for e, u in updates.items() if e in known and self.written.get(e) != u}
        if not dry_run:
            self.written.update(changed)
        return Written(updated=len(changed), where=self.where)

    def standings(self) -> dict[str, str]:
        return {e: u.standing for e, u in self.written.items()}


class FakeReportStore:
    where = "memory reports"
    problems_where = "memory problems"

    def __init__(self) -> None:
        self.stored: StoredReports | None = None
        self.problems: list[ProblemRecord] = []

    def exists(self) -> bool:
        return self.stored is not None

    def load(self) -> StoredReports:
        s = self.stored or StoredReports([], [], [])
        return StoredReports(list(s.activities), list(s.checkins), self.load_problems())

    def save(self, resolved: Sequence[Resolved], checkins: Sequence[Checkin], dry_run: bool = False) -> Written:
        new = StoredReports([r.activity for r in resolved], list(checkins), [])
        old = self.stored or StoredReports([], [], [])
        if not dry_run:
            self.stored = new
        changed = sum(a != b for a, b in ((old.activities, new.activities), (old.checkins, new.checkins)))
        return Written(updated=changed, unit="table", where=self.where)

    def append(self, resolved, checkins):
        old = self.stored or StoredReports([], [], [])
        if any(r.activity.row <= max((a.row for a in old.activities if a.section), default=0) for r in resolved):
            return None
        self.stored = StoredReports(old.activities + [r.activity for r in resolved], old.checkins + list(checkins), [])
        return Written(created=len(resolved) + len(checkins), unit="table")

    def load_problems(self) -> list[ProblemRecord]:
        return list(self.problems)

    def untouched(self) -> list[str]:
        return []

    def save_problems(self, records: Sequence[ProblemRecord], dry_run: bool = False) -> Written:
        changed = list(records) != self.problems
        if not dry_run:
            self.problems = list(records)
        return Written(updated=int(changed), unit="table", where=self.problems_where)


class FakeLedger:
    where = "memory ledger"

    def __init__(self) -> None:
        self.steps: list[LedgerEntry] = []

    def entries(self) -> dict[str, LedgerEntry]:
        return {e.key: e for e in self.steps}

    def refresh(self) -> None:
        pass

    def begin(self, entries: Sequence[LedgerEntry]) -> None:
        self.steps.extend(entries)

    def record(self, entry: LedgerEntry) -> None:
        self.steps.append(entry)

    @contextmanager
    def batch(self) -> Iterator[None]:
        yield


class FakeCheckinSource:
    where = "memory responses"

    def __init__(self, headers: Sequence[str], rows: Sequence[Sequence[str]]):
        self.headers, self.rows = list(headers), [list(r) for r in rows]

    def read(self):
        return list(self.headers), iter([list(r) for r in self.rows])

    def read_new(self, cursor):
        """The same contract as the CSV download's: a cursor is (rows read, a digest of them)."""
        def digest(rows):
            return stable_digest(repr(self.headers), repr(rows))

        n = len(self.rows)
        if cursor and cursor[0] <= n and digest(self.rows[:cursor[0]]) == cursor[1]:
            tail = [list(r) for r in self.rows[cursor[0]:]]
            return NewRows(list(self.headers), iter(tail), cursor[0] + 2, "appended" if tail else "same",
                           lambda: (n, digest(self.rows)))
        return NewRows(list(self.headers), iter([list(r) for r in self.rows]), 2, "full",
                       lambda: (n, digest(self.rows)))


FakeWorkCache = MemoryWorkCache  # the package's own in-memory adapter



class FakeMailer:
    """Keeps every message it is handed."""

    name = "memory"

    def __init__(self) -> None:
        self.sent: list = []

    def __enter__(self) -> FakeMailer:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def send(self, msg) -> None:
        self.sent.append(msg)


class FakeSendLock:
    def __init__(self) -> None:
        self.held = 0

    @contextmanager
    def hold(self) -> Iterator[bool]:
        self.held += 1
        yield False


class FakeFoundStore:
    """The found activities in memory, in the order they were added."""

    where = "memory found activities"

    def __init__(self) -> None:
        self.found: dict[str, object] = {}

    def read(self) -> list:
        return list(self.found.values())

    def forget_before(self, day, dry_run: bool = False) -> Written:
        old = [k for k, f in self.found.items() if f.date < day]
        if not dry_run:
            for k in old:
                del self.found[k]
        return Written(deleted=len(old), where=self.where)

    def add(self, found: Sequence, dry_run: bool = False) -> Written:
        new = {}
        for f in found:
            if f.key not in self.found:
                new.setdefault(f.key, f)
        if not dry_run:
            self.found.update(new)
        return Written(created=len(new), where=self.where)
