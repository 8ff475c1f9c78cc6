"""Privacy ports: what `export`, `erase` and `retention` go through.

Every table that may hold a person's data, read and rewritten row by row whatever it holds
(`PersonalTables`, each table with its rule: `PersonalTable`), the files the jobs made about people
(`PersonalFiles`), and the journal in which `erase` records its work before its first write."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from ..domain.privacy import Pending, TableRule
from .results import Written


class PersonalTables(Protocol):
    """Tables read and rewritten row by row, whatever they hold (`export`, `erase` and `retention`): a
    folder of CSV files, an Airtable base. Rows are lists of text under the table's column titles (a
    title may repeat, as in the form's responses)."""

    def tables(self) -> list[str]:
        """The tables it has (those that do not exist yet are left out)."""

    def read(self, table: str) -> tuple[list[str], Iterable[list[str]]]:
        """The column titles and every row, as text (to be read once, in order: a large table streams)."""

    def rewrite(self, table: str, change: Callable[[list[str], list[str]], list[str] | None],
                dry_run: bool = False) -> Written:
        """Give each row to `change` and store what it returns: the same row (nothing to do), another
        row (updated) or None (deleted). Only rows that differ are written. With `dry_run`, write
        nothing and return what the real call would (having checked what it would write, as the real
        call does before its first write)."""

    def fixed(self, table: str) -> dict[str, str]:
        """The columns a rewrite must leave as they are (the store computes them, or they hold a link, a
        user, a file, a number...), by title, each with where its value lives, for a person to change it there
        ("" for one that holds nothing of a person: a created time). A CSV file has none."""


@dataclass(frozen=True)
class PersonalTable:
    """One table that may hold people's data: how it holds them (`rule`), the adapter, the table's name."""

    rule: TableRule
    store: PersonalTables
    table: str


@dataclass(frozen=True)
class PersonalFile:
    """A file the program made that concerns one person (an email in the outbox, a review document)."""

    path: str
    what: str
    detail: str = ""


class PersonalFiles(Protocol):
    """Files the jobs made about people (the outbox's messages, the review documents)."""

    def find(self, address: str, names: Sequence[str] = ()) -> list[PersonalFile]:
        """The files addressed to this address, or naming it or one of these names."""

    def remove(self, files: Sequence[PersonalFile], dry_run: bool = False) -> Written:
        """Delete these files (and what belongs to them, e.g. a message's attachments)."""

    def older_than(self, days: int, today: date) -> list[PersonalFile]:
        """The files made more than `days` days before `today` (retention)."""


class ErasureJournal(Protocol):
    """Where `erase` records what it will erase before its first write, until it has finished (`Pending`)."""

    def load(self) -> Pending | None:
        """The unfinished erase, if there is one (a record that cannot be read stops the run: `StopRun`)."""

    def begin(self, pending: Pending) -> None:
        """Record it (replacing any earlier record), durably, before the erase's first write."""

    def end(self) -> None:
        """The erase has finished: the record goes."""
