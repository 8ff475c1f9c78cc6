"""Calendar quarters in the program's time zone, and their check-in windows.

An instant belongs to the quarter of its local date in the program's time zone: a response
sent at 23:30 on 30 September in London is in Q3 even though it is Q3's last half hour. A
quarter's check-in window closes at the end of the day `window_days` after the quarter ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*Q\s*([1-4])\s*$", re.IGNORECASE)
_QUARTER_ALT_RE = re.compile(r"^\s*Q\s*([1-4])\s*-?\s*(\d{4})\s*$", re.IGNORECASE)


#: The days a run may treat as today (`--as-of`) and the quarters `--quarter` may name (docs/commands.md, "The command line"):
#: outside them a run stops with one sentence, never a crash of the date arithmetic or a certificate for
#: thousands of years.
FIRST_RUN_DAY, LAST_RUN_DAY = date(2000, 1, 1), date(2199, 12, 31)


def check_run_day(day: date) -> date:
    """`day`, or ValueError (the end of a sentence) when it lies outside FIRST_RUN_DAY .. LAST_RUN_DAY."""
    if not FIRST_RUN_DAY <= day <= LAST_RUN_DAY:
        raise ValueError(f"is outside the days a run may treat as today ({FIRST_RUN_DAY.isoformat()} to "
                         f"{LAST_RUN_DAY.isoformat()})")
    return day


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def of(cls, day: date) -> Quarter:
        return _quarter_of(day.year, day.month)

    @classmethod
    def of_instant(cls, instant: datetime, tz: ZoneInfo) -> Quarter:
        """The quarter of an aware instant, read in the program's time zone."""
        return cls.of(local_date(instant, tz))

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Read '2026Q3', '2026 Q3', '2026-Q3' or 'Q3 2026'; raise ValueError otherwise."""
        m = _QUARTER_RE.match(text)
        alt = None if m else _QUARTER_ALT_RE.match(text)
        if m:
            quarter = cls(int(m.group(1)), int(m.group(2)))
        elif alt:
            quarter = cls(int(alt.group(2)), int(alt.group(1)))
        else:
            raise ValueError(f"'{text}' is not a quarter like 2026Q3")
        if not FIRST_RUN_DAY.year <= quarter.year <= LAST_RUN_DAY.year:
            raise ValueError(f"'{text.strip()}' is outside the quarters the program reads ({FIRST_RUN_DAY.year}Q1 to "
                             f"{LAST_RUN_DAY.year}Q4)")
        return quarter

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        """The quarter's last day."""
        return _end(self.year, self.q)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def prev(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def window_closes(self, window_days: int) -> date:
        """The last day on which a response still counts for this quarter."""
        return _closes(self.year, self.q, window_days)

    def start_instant(self, tz: ZoneInfo) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=tz)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"


# Quarter arithmetic runs millions of times over a large program: memoise the few values.
@cache
def _quarter_of(year: int, month: int) -> Quarter:
    return Quarter(year, (month - 1) // 3 + 1)


@cache
def _end(year: int, q: int) -> date:
    return (date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)) - timedelta(days=1)


@cache
def _closes(year: int, q: int, window_days: int) -> date:
    return _end(year, q) + timedelta(days=window_days)


@lru_cache(maxsize=4096)
def parse_quarter(text: str) -> Quarter | None:
    """Quarter.parse, or None for text that is not a quarter (cached: forms repeat these)."""
    try:
        return Quarter.parse(text)
    except ValueError:
        return None


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no place in time; attach its zone first")
    return instant.astimezone(tz).date()


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from `first` to `last`, both included (empty when first > last)."""
    out = []
    q = first
    while q <= last:
        out.append(q)
        q = q.next()
    return out


def latest_ended(as_of: date) -> Quarter:
    """The quarter a compliance run looks at by default: the last one that has ended.

    On any day it is the quarter whose window is open, or the one whose window closed most
    recently; the current quarter is still running and has no verdict yet.
    """
    return Quarter.of(as_of).prev()


def latest_final(as_of: date, window_days: int) -> Quarter:
    """The latest quarter whose verdict is final on `as_of` (its window has closed)."""
    q = latest_ended(as_of)
    while q.window_closes(window_days) >= as_of:
        q = q.prev()
    return q
