"""A source's day/month order, decided once per source (`DayOrder`), and `settle`, which decides it from the rows
before any is read."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from ...errors import InputError
from .shapes import EARLIEST_DATE, LATEST_DATE, ORDER_WORDS, OUT_OF_RANGE, Written, written

#: Where a cell is: said in words, or (cheaper for every cell of a big file) as (row, column title).
Place = str | tuple[int | str, str]


def where_of(place: Place) -> str:
    """A cell's place in words: given as text, or (cheaper for every cell of a big file) as (row, column)."""
    if isinstance(place, tuple):
        return f"row {place[0]}, column '{place[1]}'"
    return place


class Unsettled(Exception):
    """A value that reads in two orders, before the source's order is decided."""


@dataclass
class DayOrder:
    """The day/month order of one source, decided once for all its date and timestamp cells.

    `told`: what the source says of itself ("mdy" from an en_US spreadsheet's locale), with `told_by`
    (the words naming it). `configured`: `checkin_form.date_order` ("" when not set). `where`: the
    source, for messages. Until an order is decided, `observe` takes values one by one.

    The machine-written Timestamp column decides: its first value that reads in one order only settles
    the source (and must agree with `told` or `configured`); one that reads only the other way later is
    a source written two ways, and stops the run. Answers people type (the activity dates) follow the
    source's order: one that reads only the other way is a problem of its cell, never a reason to stop
    nor to read the timestamps another way. Only when no timestamp says anything of day and month (all
    written year first, as Google's download writes them) do the answers' own values decide, provided
    they agree with each other."""

    where: str
    told: str = ""
    told_by: str = ""
    configured: str = ""
    key: str = "checkin_form.date_order"
    order: str = ""
    evidence: str = ""  # the value (and its place) that decided the order
    ambiguous: str = ""  # the first timestamp seen that reads both ways (and its place)
    typed: dict[str, str] = field(default_factory=dict)  # order -> the first typed answer reading only that way
    typed_count: dict[str, int] = field(default_factory=dict)  # order -> how many typed answers read only that way
    typed_total: int = 0  # typed answers seen (that look like a date with day and month)
    typed_ambiguous: str = ""

    def __post_init__(self) -> None:
        if self.told:
            self.order = self.told
            self.evidence = self.told_by

    @property
    def settled(self) -> bool:
        return bool(self.order)

    def observe(self, raw: str, place: Place, typed: bool = False) -> None:
        """Look at one value (a timestamp, or with `typed` an answer a person typed; `place` names its row and
        column)."""
        w = written(raw.strip()) if raw else None
        if w is None or w.year_first:
            return
        orders = w.orders()
        shown = f"'{raw.strip()}' ({place})"
        if typed:
            self.typed_total += 1
            if len(orders) == 2:
                self.typed_ambiguous = self.typed_ambiguous or shown
            elif len(orders) == 1:
                self.typed.setdefault(orders[0], shown)
                self.typed_count[orders[0]] = self.typed_count.get(orders[0], 0) + 1
            return
        if len(orders) == 2:
            self.ambiguous = self.ambiguous or shown
        elif len(orders) == 1:
            self.check(orders[0], raw, place)

    def check(self, only: str, raw: str, place: Place) -> None:
        """A timestamp that reads in the order `only` and no other: it decides the order, or must agree with it."""
        shown = f"'{raw.strip()}' ({where_of(place)})"
        if not self.order:
            self._decide(only, shown)
            return
        if only != self.order:
            if self.told:
                raise InputError(
                    f"{shown} in {self.where} reads only {ORDER_WORDS[only]}, but the source writes dates "
                    f"{ORDER_WORDS[self.order]} ({self.told_by}): the file holds dates written two ways; nothing "
                    f"was read; make that cell agree with the others.")
            raise InputError(
                f"{self.where} holds dates written two ways: {self.evidence} reads only {ORDER_WORDS[self.order]}, "
                f"{shown} only {ORDER_WORDS[only]} (a file pasted together from two locales?); nothing was read; "
                f"make them one order.")

    def _decide(self, only: str, shown: str) -> None:
        if self.configured and self.configured != only:
            raise InputError(
                f"The dates in {self.where} are written {ORDER_WORDS[only]}, as {shown} shows, but {self.key} "
                f"says {self.configured}: nothing was read; set {self.key} to {only} (or leave it empty to "
                f"settle it from the data).")
        self.order = only
        self.evidence = shown

    def _typed_say(self) -> str:
        """The order the typed answers clearly write ("" when they do not): at least two of them, a fifth of
        all, read only that way, and next to none only the other way (a person or two typing otherwise)."""
        if not self.typed_count:
            return ""
        best = max(self.typed_count, key=lambda order: self.typed_count[order])
        n = self.typed_count[best]
        other = sum(c for o, c in self.typed_count.items() if o != best)
        return best if n >= 2 and n >= 0.2 * self.typed_total and other <= 0.1 * n else ""

    def finish(self) -> None:
        """At the end of the values: decide from the typed answers (when no timestamp could), from
        configuration, or stop when nothing settles the order."""
        if self.order:
            return
        said = self._typed_say()
        if not self.ambiguous and said:
            self._decide(said, self.typed[said])
            return
        if self.configured:
            if said and said != self.configured:
                raise InputError(
                    f"The date answers in {self.where} are written {ORDER_WORDS[said]} ({self.typed_count[said]} "
                    f"of them read only that way, e.g. {self.typed[said]}), but {self.key} says {self.configured} "
                    f"and no timestamp tells otherwise: nothing was read; set {self.key} to {said}.")
            self.order = self.configured
            self.evidence = self.key
            return
        if self.ambiguous or self.typed_ambiguous:
            raise InputError(
                f"The dates in {self.where} can be read day first or month first (no day is over 12, e.g. "
                f"{self.ambiguous or self.typed_ambiguous}): nothing was read; set {self.key} to dmy or mdy "
                f"(the order the response sheet's locale writes).")
        if self.typed:
            shown = ", ".join(f"{v} reads only {ORDER_WORDS[o]}" for o, v in self.typed.items())
            raise InputError(
                f"The date answers in {self.where} do not say clearly how they are written ({shown}) and no "
                f"timestamp tells which order the source uses: nothing was read; set {self.key} to dmy or mdy.")

    def day_of(self, w: Written, raw: str, place: Place, typed: bool = False) -> date:
        """The date a value means in this source's order (deciding it, or checking the value against it)."""
        if not EARLIEST_DATE.year <= (w.a if w.year_first else w.c) <= LATEST_DATE.year:
            raise ValueError(OUT_OF_RANGE)
        if w.year_first:
            if not w.orders():
                raise ValueError("is not a date that exists")
            return w.day("ymd")
        orders = w.orders()
        if not orders:
            raise ValueError("is not a date that exists")
        if len(orders) == 1 and orders[0] != self.order:
            if not typed or not self.order:
                if typed:
                    raise Unsettled(raw)
                self.check(orders[0], raw, place)
                return w.day(orders[0])
            if self.order == "ymd":
                raise ValueError(f"is not written year first (like 2026-08-14), as {self.key} (ymd) says")
            meant = w.day(orders[0])
            as_source = meant.strftime("%d/%m/%Y" if self.order == "dmy" else "%m/%d/%Y")
            raise ValueError(f"reads only {ORDER_WORDS[orders[0]]}, but this source writes dates "
                             f"{ORDER_WORDS[self.order]}: if {meant.isoformat()} is meant, write it as {as_source}")
        if not self.order:
            raise Unsettled(raw)
        return w.day(self.order)


T = TypeVar("T")


def settle(order: DayOrder, rows: Iterable[T], cells_of: Callable[[T], Iterable[tuple[str, Place, bool]]]
           ) -> Iterator[T]:
    """The rows, unchanged and in order, with `order` decided before any row is handed on: rows are held back
    only until a value settles the order (usually the first few), or to the end when none does (then
    `order.finish()` decides from configuration or stops). `cells_of(row)` gives (value, place, typed) of the
    row's timestamp and date cells (`typed`: an answer a person typed)."""
    held: list[T] = []
    for row in rows:
        if order.settled:
            if held:
                yield from held
                held = []
            yield row
            continue
        for raw, place, typed in cells_of(row):
            if raw:
                order.observe(raw, place, typed)
        held.append(row)
    if not order.settled:
        order.finish()
    yield from held
