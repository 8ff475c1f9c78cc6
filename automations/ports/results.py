"""What ports give back about their work: `Written` (what a write changed, or with `dry_run` would
change) and `Usage` (the requests a remote adapter made in a run, against the fewest its work could
have taken). Plain values: every store port returns the one, bootstrap collects the other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Written:
    """What a write did (or, with `dry_run=True`, would do): records (or rows) created, updated and
    deleted. All zero: nothing changed."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unit: str = "record"  # the CSV folder rewrites whole files: its unit is "file"
    where: str = ""  # the one file or table this write is about ("": not named, or a sum of several)
    parts: tuple[Written, ...] = ()  # a sum's writes, each naming its `where`

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted

    def __add__(self, other: Written) -> Written:
        return Written(self.created + other.created, self.updated + other.updated, self.deleted + other.deleted,
                       self.unit, parts=(*(self.parts or (self,)), *(other.parts or (other,))))

    def describe(self) -> str:
        if not self.changed:
            return "already up to date"
        parts = [f"{n} {what}" for n, what in ((self.created, "created"), (self.updated, "updated"),
                                                 (self.deleted, "deleted")) if n]
        return f"{self.unit}s " + ", ".join(parts)

    def would(self, where: str) -> str:
        """What a dry run says the real write would change, `where` naming the store: "would create
        data/activities.csv, update data/checkins.csv", "would create 3, update 2 records in Airtable
        table Activities", or "<where>: already up to date, nothing would be written"."""
        if not self.changed:
            return f"{where}: already up to date, nothing would be written"
        files: dict[str, list[str]] = {}
        clauses = []
        for part in self.parts or (self,):
            if not part.changed:
                continue
            if part.unit == "file" and part.where:  # one file: created, rewritten or removed as a whole
                verb = "create" if part.created else "update" if part.updated else "delete"
                files.setdefault(verb, []).append(part.where)
                continue
            counts = [(n, verb) for n, verb in ((part.created, "create"), (part.updated, "update"),
                                                (part.deleted, "delete")) if n]
            noun = part.unit if counts[-1][0] == 1 else f"{part.unit}s"
            clauses.append(", ".join(f"{verb} {n}" for n, verb in counts) + f" {noun} in {part.where or where}")
        clauses[:0] = [f"{verb} {_and(names)}" for verb, names in files.items()]
        return "would " + "; ".join(clauses)


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass
class Usage:
    """Requests a remote adapter made in a run, against the fewest its work could have taken.

    The lower bound follows from the work, not from the requests: for each table read, its pages
    (Airtable: records / 100, rounded up) once, however often it was read; for each table written,
    the distinct records changed / `write_batch` (rounded up), however many requests carried them.
    """

    service: str
    reads: int = 0
    writes: int = 0
    meta: int = 0
    retries: int = 0
    pages_read: dict[str, int] = field(default_factory=dict)
    changed: dict[str, set] = field(default_factory=dict)
    #: Records one write request may carry: the service's limit, set by its adapter (Airtable's: 10).
    write_batch: int = 1
    #: What the adapter found on the way that staff should know (one sentence each), said after `line()`.
    notes: list[str] = field(default_factory=list)

    def read_table(self, table: str, pages: int) -> None:
        """The fewest requests that read this table (its pages), counted once however often it is read."""
        self.pages_read[table] = max(pages, self.pages_read.get(table, 0))

    def change(self, table: str, identities) -> None:
        self.changed.setdefault(table, set()).update(identities)

    @property
    def requests(self) -> int:
        return self.reads + self.writes + self.meta

    @property
    def lower_bound(self) -> int:
        return sum(self.pages_read.values()) + sum(-(-len(ids) // self.write_batch) for ids in self.changed.values())

    def line(self) -> str:
        ratio = f", {self.requests / self.lower_bound:.2f}x" if self.lower_bound else ""
        return (f"{self.service}: {self.requests} requests ({self.reads} reads, {self.writes} writes, {self.meta} "
                f"schema; {self.retries} retried) against a lower bound of {self.lower_bound}{ratio}."
                + "".join(f" {n}" for n in dict.fromkeys(self.notes)))
