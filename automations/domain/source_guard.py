"""The unusable-rows guard: a response source gone bad stops the run before it does harm.

A re-saved file, another locale or a form edited in a way the configuration does not read can make
every row unusable at once, and a run that went on would empty the stored activities, close every
problem as "fixed", rewrite standings and remind people who met the quarter. So each run keeps what
the source gave (`Tally`: rows read, rows skipped whole, check-ins, activities), and the next run
compares. Totals, not row positions: staff may sort the sheet or delete a row (`--accept-shrink`), and
neither is damage. A run stops, before anything is written or sent, when:

- it would lose more than `max_newly_unusable_share` of the check-ins or of the activities the last run
  got (beyond what the deleted rows can account for), or
- more than `max_unusable_share` of the source's rows (all of them, not only those read this time)
  cannot be used at all.

The sentence names the commonest reason, an example value and the fix; `--accept-unusable` confirms.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from .model import Problem


@dataclass(frozen=True)
class Tally:
    """What a response source gave: data rows read, rows skipped whole, check-ins and activities."""

    rows: int = 0
    skipped: int = 0
    checkins: int = 0
    activities: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.rows + other.rows, self.skipped + other.skipped, self.checkins + other.checkins,
                     self.activities + other.activities)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.rows, self.skipped, self.checkins, self.activities)


@dataclass(frozen=True)
class Limits:
    max_newly_unusable_share: float
    max_unusable_share: float
    min_rows: int


def _reason(p: Problem) -> str:
    return p.reason.split(";")[0].strip()


def _kind(p: Problem) -> tuple[str, str]:
    """What makes two problems the same reason: the column's question and the reason without its values
    (dates, titles, section numbers), so that a hundred 'write it as ...' count as one reason."""
    column = re.sub(r"\d+", "#", p.column)
    return column, re.sub(r"'[^']*'|\d+", "…", _reason(p))


def check(before: Tally | None, now: Tally, problems: Sequence[Problem], skipped_rows: set[int], where: str,
          limits: Limits) -> str | None:
    """The sentence that stops the run, or None when the source looks sound. `before`: what the last run's
    source gave (None: nothing to compare, as on a first run); `now`: the whole source as it is now."""
    if before is not None and before.checkins:
        deleted = max(0, before.rows - now.rows)
        per_row = max(1, math.ceil(2 * before.activities / before.checkins))  # what a deleted row may have held
        lost_checkins = before.checkins - now.checkins - deleted
        lost_acts = before.activities - now.activities - deleted * per_row
        share = limits.max_newly_unusable_share
        if lost_checkins >= limits.min_rows and lost_checkins / before.checkins > share:
            what = (f"would make {lost_checkins} of the {before.checkins} responses usable on the last run unusable "
                    f"(more than guards.max_newly_unusable_share, {share:.0%})")
            return _sentence(where, what, [p for p in problems if p.row in skipped_rows] or list(problems))
        if before.activities and lost_acts >= limits.min_rows and lost_acts / before.activities > share:
            what = (f"would lose {lost_acts} of the {before.activities} activities read on the last run (more than "
                    f"guards.max_newly_unusable_share, {share:.0%})")
            return _sentence(where, what, [p for p in problems if "was skipped" in p.reason] or list(problems))
    if now.rows and now.skipped >= limits.min_rows and now.skipped / now.rows > limits.max_unusable_share:
        what = (f"have {now.skipped} of {now.rows} rows that cannot be used (more than guards.max_unusable_share, "
                f"{limits.max_unusable_share:.0%})")
        return _sentence(where, what, [p for p in problems if p.row in skipped_rows] or list(problems))
    return None


def _sentence(where: str, what: str, mine: Sequence[Problem]) -> str:
    if mine:
        counts = Counter(_kind(p) for p in mine)
        kind, n = counts.most_common(1)[0]
        example = next(p for p in mine if _kind(p) == kind)
        column, reason = example.column, _reason(example)
        shown = example.value if len(example.value) <= 60 else example.value[:57] + "..."
        why = (f"the commonest reason, in {n} row{'s' if n != 1 else ''}: column '{column}' {reason} "
               f"(row {example.row}: '{shown}')")
    else:
        why = "no problem names them (a column read differently?)"
    return (f"The check-in responses in {where} {what}; {why}. Nothing was written or sent: fix the source or the "
            f"configuration that reads it, or run again with --accept-unusable if this is right.")
