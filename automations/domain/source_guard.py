"""The unusable-rows guard: a response source gone bad stops the run before it does harm.

A re-saved file, another locale or a form edited in a way the configuration does not read can make
every row unusable at once, and a run that went on would empty the stored activities, close every
problem as "fixed", rewrite standings and remind people who met the quarter. So each run keeps what
the source gave (`Tally`: rows, rows skipped, and which check-ins and activities it read), and the next
run compares by identity, not by row position: staff may sort the sheet or delete a row
(`--accept-shrink`), and neither is damage; new responses cannot hide old ones lost. A run stops,
before anything is written or sent, when:

- it would lose more than `max_newly_unusable_share` of the check-ins or of the activities the last run
  read (beyond what the deleted rows can account for), or
- more than `max_unusable_share` of the source's rows (all of them, not only those read this time)
  give no usable activity.

The sentence names the commonest reason, an example value and the fix; `--accept-unusable` confirms.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .codec import PackedActivities, PackedCheckins
from .model import Activity, Checkin, Problem


@dataclass(frozen=True)
class Tally:
    """What a response source gave: data rows read, rows skipped whole, rows with a check-in but no usable
    activity, and who its usable check-ins and activities are (4-byte digests, in `checkin_keys` and
    `activity_keys`, so that the next run can tell which of them it lost, whatever the rows' order)."""

    rows: int = 0
    skipped: int = 0
    empty: int = 0
    checkin_keys: bytes = b""
    activity_keys: bytes = b""

    @property
    def checkins(self) -> int:
        return len(self.checkin_keys) // 4

    @property
    def activities(self) -> int:
        return len(self.activity_keys) // 4

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.rows + other.rows, self.skipped + other.skipped, self.empty + other.empty,
                     self.checkin_keys + other.checkin_keys, self.activity_keys + other.activity_keys)

    def as_tuple(self) -> tuple[object, ...]:
        return (self.rows, self.skipped, self.empty, self.checkin_keys, self.activity_keys)


def tally(rows: int, skipped: int, empty: int, checkins: Iterable[Checkin], activities: Iterable[Activity]) -> Tally:
    """A source's tally from what ingestion read. A check-in is its address and the minute it arrived (a
    spreadsheet re-save that drops the seconds is the same check-in); an activity its id."""
    by_email: dict[str, int] = {}
    out = bytearray()
    # Packed check-ins (a full read's) are read as their rows (address, POSIX time, ...), not rebuilt.
    sent = (t[:2] for t in checkins.rows()) if isinstance(checkins, PackedCheckins) else \
        ((c.email, c.received_at.timestamp()) for c in checkins)
    for email, ts in sent:
        seed = by_email.get(email)
        if seed is None:
            seed = by_email[email] = zlib.crc32(email.encode())
        out += zlib.crc32(b"%d" % (int(ts) // 60), seed).to_bytes(4, "little")
    if isinstance(activities, PackedActivities):  # kept as they were read: not rebuilt for this
        ak = bytes(activities.id_keys)
    else:
        ak = bytes.fromhex("".join([a.id[2:10] for a in activities]))
    return Tally(rows, skipped, empty, bytes(out), ak)


def _lost(before: bytes, now: bytes) -> int:
    """How many of the digests in `before` are not in `now` (counted with their repeats)."""
    have = Counter(now[i:i + 4] for i in range(0, len(now), 4))
    lost = 0
    for i in range(0, len(before), 4):
        key = before[i:i + 4]
        if have[key] > 0:
            have[key] -= 1
        else:
            lost += 1
    return lost


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
        # Which of the last run's check-ins and activities are gone (new rows cannot hide them), less what the
        # rows deleted since may have held.
        deleted = max(0, before.rows - now.rows)
        per_row = max(1, math.ceil(2 * before.activities / before.checkins))
        lost_checkins = _lost(before.checkin_keys, now.checkin_keys) - deleted
        lost_acts = _lost(before.activity_keys, now.activity_keys) - deleted * per_row
        share = limits.max_newly_unusable_share
        if lost_checkins >= limits.min_rows and lost_checkins / before.checkins > share:
            what = (f"would make {lost_checkins} of the {before.checkins} responses usable on the last run unusable "
                    f"(more than guards.max_newly_unusable_share, {share:.0%})")
            return _sentence(where, what, [p for p in problems if p.row in skipped_rows] or list(problems))
        if before.activities and lost_acts >= limits.min_rows and lost_acts / before.activities > share:
            what = (f"would lose {lost_acts} of the {before.activities} activities read on the last run (more than "
                    f"guards.max_newly_unusable_share, {share:.0%})")
            return _sentence(where, what, [p for p in problems if "was skipped" in p.reason] or list(problems))
    unusable = now.skipped + now.empty  # rows skipped whole, and check-ins none of whose activities could be used
    if now.rows and unusable >= limits.min_rows and unusable / now.rows > limits.max_unusable_share:
        what = (f"have {unusable} of {now.rows} rows that give no usable activity (more than "
                f"guards.max_unusable_share, {limits.max_unusable_share:.0%})")
        return _sentence(where, what, [p for p in problems if p.row in skipped_rows or "was skipped" in p.reason]
                         or list(problems))
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
