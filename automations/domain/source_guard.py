"""The unusable-rows guard: a response source gone bad stops the run before it does harm.

A re-saved file, another locale or a form edited in a way the configuration does not read can make
every row unusable at once, and a run that went on would empty the stored activities, close every
problem as "fixed", rewrite standings and remind people who met the quarter. So each run keeps, per
response row, what it gave (`usable_map`: nothing, or a check-in and how many activities), and the
next run compares: when more than `max_newly_unusable_share` of the rows usable last time would give
less, or more than `max_unusable_share` of the rows read are unusable at all, the run stops with one
sentence naming the commonest reason, an example and the fix, before anything is written or sent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from .model import Checkin, Problem


def usable_map(checkins: Iterable[Checkin], last_row: int, first_row: int = 2, before: bytes = b"") -> bytes:
    """Per response row from row 2 on: 0 (no check-in), else 1 + its activities (at most 255). `before`: the
    map of the rows before `first_row`, kept."""
    out = bytearray(before[: max(0, first_row - 2)])
    out.extend(b"\0" * (max(0, last_row - 1) - len(out)))
    for c in checkins:
        i = c.row - 2
        if 0 <= i < len(out):
            out[i] = min(255, 1 + c.activities)
    return bytes(out)


@dataclass(frozen=True)
class Limits:
    max_newly_unusable_share: float
    max_unusable_share: float
    min_rows: int


def _reason(p: Problem) -> str:
    return p.reason.split(";")[0].strip()


def check(before: bytes | None, after: bytes, problems: Sequence[Problem], unusable_rows: Iterable[int],
          rows_read: int, where: str, limits: Limits) -> str | None:
    """The sentence that stops the run, or None when the source looks sound."""
    unusable = set(unusable_rows)
    newly: list[int] = []
    base = 0
    if before:
        for i, was in enumerate(before):
            if not was:
                continue
            base += 1
            now = after[i] if i < len(after) else None
            if now is not None and now < was:
                newly.append(i + 2)
    if base and len(newly) >= limits.min_rows and len(newly) / base > limits.max_newly_unusable_share:
        what = (f"would make {len(newly)} of the {base} response rows that were usable on the last run unusable or "
                f"short of activities (more than guards.max_newly_unusable_share, "
                f"{limits.max_newly_unusable_share:.0%})")
        return _sentence(where, what, set(newly), problems)
    if rows_read and len(unusable) >= limits.min_rows and len(unusable) / rows_read > limits.max_unusable_share:
        what = (f"have {len(unusable)} of {rows_read} rows that cannot be used (more than "
                f"guards.max_unusable_share, {limits.max_unusable_share:.0%})")
        return _sentence(where, what, unusable, problems)
    return None


def _sentence(where: str, what: str, rows: set[int], problems: Sequence[Problem]) -> str:
    mine = [p for p in problems if p.row in rows]
    if mine:
        counts = Counter((p.column, _reason(p)) for p in mine)
        (column, reason), n = counts.most_common(1)[0]
        example = next(p for p in mine if (p.column, _reason(p)) == (column, reason))
        shown = example.value if len(example.value) <= 60 else example.value[:57] + "..."
        why = (f"the commonest reason, in {n} row{'s' if n != 1 else ''}: column '{column}' {reason} "
               f"(row {example.row}: '{shown}')")
    else:
        why = "those rows give fewer activities than before, with no problem named (a column read differently?)"
    return (f"The check-in responses in {where} {what}; {why}. Nothing was written or sent: fix the source or the "
            f"configuration that reads it, or run again with --accept-unusable if this is right.")
