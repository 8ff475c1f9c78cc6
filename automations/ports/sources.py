"""Source ports: what people filled in elsewhere, read and never written.

The check-in form's responses (a CSV download, the linked Google Sheet, the Forms API), the
referral answer form's responses, and the event attendee lists."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from ..domain.certificates import Attendee
from ..domain.model import Problem
from ..domain.referrals import Answer


class CheckinSource(Protocol):
    """The check-in form's responses, as the form wrote them (never written to)."""

    @property
    def where(self) -> str:
        """Where the responses are read from, for people (a file, a sheet, a form)."""

    def read(self) -> tuple[list[str], Iterator[list[str]]]:
        """The question titles in form order (duplicates allowed) and the response rows, oldest first."""

    def read_new(self, cursor: tuple | None) -> NewRows:
        """The rows after those read when `cursor` (from an earlier `NewRows.cursor()`) was taken, if the
        rows before are unchanged; otherwise (or with no cursor) every row, as `read`."""


@dataclass
class NewRows:
    """What a response source has beyond a cursor: `mode` "same" (nothing new), "appended" (`rows` are
    the rows after the cursor, the first being sheet row `first_row`) or "full" (every row, from row 2).
    `cursor()`, once the rows are read, marks where this read ended, for the next one."""

    headers: list[str]
    rows: Iterable[list[str]]
    first_row: int
    mode: str
    cursor: Callable[[], tuple | None]
    #: What the source says of its dates' day/month order ("dmy"/"mdy", and the words naming why, such as a
    #: spreadsheet's locale); ("", "") when it says nothing and the values decide.
    told: tuple[str, str] = ("", "")


def read_all(source: CheckinSource) -> NewRows:
    """`read_new` for a source that cannot tell what is new (a live sheet, the Forms API): every row."""
    headers, rows = source.read()
    return NewRows(headers, rows, 2, "full", lambda: None, getattr(source, "told", ("", "")))


class AnswerSource(Protocol):
    """The referral answer form's responses: their CSV download, the form's linked sheet or the Forms API
    (never written to)."""

    where: str  # the file, sheet or form, for messages (doctor names it)
    source: str  # the name its problems carry: the same for every source, so a problem keeps its id

    def read(self) -> tuple[list[Answer], list[Problem]]:
        """Every usable answer; a row that cannot be used is a Problem."""


class AttendeeSource(Protocol):
    """The attendee lists of sprints and workshops (CSV files in a folder, an Airtable table)."""

    where: str

    def read(self) -> tuple[list[Attendee], list[Problem]]:
        """Every usable attendee line; a line (or a list) that cannot be used is a Problem."""
