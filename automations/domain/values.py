"""Reading the values people type into a form: numbers, dates, timestamps, emails.

Each parser returns the value or raises ValueError with the end of a sentence that says what
is wrong ("is not a whole number"). They are cached: a form repeats the same few thousand
strings many times.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from .moments import DayOrder, MomentReader, Unsettled, in_range

_SPACES = re.compile(r"\s+")
# 1200, 1,200, 1.200, 1 200, 1'200, 12,000,000
_GROUPED = re.compile(r"^\d{1,3}(?:([,. '\u00a0\u202f])\d{3})?(?:\1\d{3})*$")
_PLAIN_INT = re.compile(r"^\d+$")
_DECIMAL = re.compile(r"^\d+(?:[.,]\d+)?$")
_APPROX = re.compile(r"^(?:~|≈|approx\.?|about|ca\.?|circa)\s*", re.IGNORECASE)



def iso_date(text: str) -> date:
    """An ISO date (yyyy-mm-dd) in the readable range, or ValueError."""
    return in_range(date.fromisoformat(text.strip()))


def stable_digest(*parts: str, length: int = 16) -> str:
    """A short id that is the same on every run and machine for the same parts."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:length]


#: The most bytes a file name the program builds from people's text may take: ext4 (and most file systems)
#: allow 255 bytes per name, and every file is written through a temporary name beside it 14 bytes longer
#: (`.<name>.XXXXXXXX.tmp`); the rest is margin.
NAME_BYTES = 200


def capped_name(stem: str, suffix: str = "", limit: int = NAME_BYTES) -> str:
    """`stem + suffix` as a file name of at most `limit` bytes in UTF-8 (bytes, not characters: a CJK
    character takes three): as it is when it fits; else the stem cut on a character boundary, followed by a
    digest of the whole stem, so two long names that start alike stay two names."""
    if len((stem + suffix).encode("utf-8")) <= limit:
        return stem + suffix
    digest = stable_digest(stem, length=10)
    room = max(limit - len(suffix.encode("utf-8")) - len(digest) - 1, 0)
    return f"{stem.encode('utf-8')[:room].decode('utf-8', 'ignore')}-{digest}{suffix}"


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


def looks_like_address(email: str) -> bool:
    """Whether text (normalised) can be an email address: one "@" with something on each side, no space. The
    one check every table uses (`x@`, `@x`, `ana@@x` and `a b@x` are not addresses anywhere)."""
    local, at, domain = email.partition("@")
    return bool(at and local and domain) and "@" not in domain and not any(c.isspace() for c in email)


def normalize_title(raw: str) -> str:
    """The form of a title used to recognize the same activity twice."""
    return " ".join(raw.split()).casefold()


# Invisible format characters (Unicode category Cf) a title may carry: soft hyphen, zero-width spaces and joiners,
# bidi marks and isolates, the byte-order mark.
_INVISIBLE = re.compile("[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")


#: What a name must not carry into a column header or a field's name: control characters (C0 and C1), line and
#: paragraph separators, and the invisible format characters above (a bidi override makes a name read otherwise).
HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]|" + _INVISIBLE.pattern)


#: What a name drawn or written for people to read must not carry: controls, and the invisible format characters
#: above that reorder or hide text (bidi overrides, embeddings, isolates and marks, zero-width spaces, word
#: joiners, the byte-order mark). The zero-width joiner and non-joiner stay: Persian, Indic scripts and emoji
#: need them to be drawn right, and they reorder nothing.
_TRICKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]|(?![\u200c\u200d])" + _INVISIBLE.pattern)


def shown(text: str, lines: bool = False) -> str:
    """A person's text as it is drawn on a certificate or written into a document: read in the order it
    was typed (no bidi override can draw "Eve" as "evE" or hide a part), nothing invisible in it, controls
    as spaces, spacing collapsed; line breaks as spaces too, or with `lines` kept (a summary's paragraphs)."""
    if lines:
        return "\n".join(shown(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")).strip()
    return " ".join(_TRICKS.sub(lambda m: " " if m.group(0) < "\xa0" or m.group(0) in "\u2028\u2029" else "",
                                text).split())


def plainly(text: str) -> str:
    """`text` with each `HIDDEN` character written as its code (`\\u202e`), to name it in a message."""
    return HIDDEN.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def visible(text: str) -> str:
    """Text without invisible format characters (a title pasted with a zero-width space reads as typed)."""
    return _INVISIBLE.sub("", text)


def norm_header(title: str) -> str:
    """A column title as compared: spacing, case, a spreadsheet's byte-order mark and invisible format
    characters (zero-width spaces, bidi marks, pasted in with a title) do not matter."""
    return " ".join(_INVISIBLE.sub("", title).split()).casefold()


def titled_rows(headers: Sequence[str], rows: Iterable[Sequence[str]]
                ) -> Iterator[tuple[int, Callable[[str], str]]]:
    """The rows of a table people fill, blank ones skipped: each with its sheet row number (the header is
    row 1) and a getter of its cell under a column title (spacing and case ignored; the first column with
    that title; "" when the row is short or the column missing)."""
    index = {norm_header(h): i for i, h in reversed(list(enumerate(headers)))}
    for row_no, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue

        def get(title: str, row: Sequence[str] = row) -> str:
            i = index.get(norm_header(title))
            return row[i] if i is not None and i < len(row) else ""

        yield row_no, get


def clean_text(raw: str) -> str:
    """Collapse runs of whitespace (line breaks included) into one space."""
    return " ".join(raw.split())


def _strip_approx(text: str) -> str:
    text = _APPROX.sub("", text.strip())
    return text[:-1].rstrip() if text.endswith("+") else text


@lru_cache(maxsize=65536)
def parse_count(raw: str) -> int | None:
    """A whole number as people write it: '1,200', '1.200', '1 200', '~300', '300+'.

    A single separator followed by exactly three digits is a thousands separator: counts of
    people and views are whole numbers, so '1.200' is one thousand two hundred.
    """
    text = _strip_approx(raw)
    if not text:
        return None
    if _PLAIN_INT.match(text):
        return int(text)
    if _GROUPED.match(text):
        return int(re.sub(r"\D", "", text))
    raise ValueError("is not a whole number")


@lru_cache(maxsize=65536)
def parse_decimal(raw: str) -> float | None:
    """A number of hours: '2', '2.5', '2,5', '~3'. A decimal comma is accepted."""
    text = _strip_approx(raw)
    if not text:
        return None
    for suffix in ("hours", "hour", "hrs", "hr", "h"):
        if text.lower().endswith(suffix):
            text = text[: -len(suffix)].rstrip()
            break
    if _DECIMAL.match(text):
        value = float(text.replace(",", "."))
        return value
    if _GROUPED.match(text):
        return float(re.sub(r"\D", "", text))
    raise ValueError("is not a number of hours")


@lru_cache(maxsize=65536)
def parse_date(raw: str, formats: tuple[str, ...]) -> date:
    text = raw.strip()
    for fmt in formats:
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return in_range(day)
    raise ValueError(f"is not a date (expected a form like {datetime(2026, 8, 14).strftime(formats[0])})")


class TimestampParser:
    """Reads the timestamps of a small Google Forms response file (the referral answers) in every shape
    `moments` knows, in the sheet's zone. The day/month order is decided once for the column (`settle`): the
    configured one, else the one its values read in; when nothing settles it, each value that reads both
    ways is a problem of its cell, naming checkin_form.date_order (never read one way or the other)."""

    def __init__(self, formats: tuple[str, ...], tz: ZoneInfo, out_tz: ZoneInfo, order: str = "",
                 where: str = "the referral answers"):
        self._order = DayOrder(where, configured=order)
        self._read = MomentReader(self._order, tz, out_tz, formats)

    def settle(self, values: Iterable[str]) -> None:
        """Decide the order from the whole column before reading it (a mix of orders stops the run)."""
        for n, raw in enumerate(values, start=2):
            if raw:
                self._order.observe(raw, f"row {n}")
        if not self._order.settled and self._order.configured:
            self._order.finish()  # nothing in the column said otherwise: the configured order holds

    def __call__(self, raw: str) -> datetime:
        try:
            return self._read.timestamp(raw)
        except Unsettled:
            raise ValueError("can be read day first or month first: set checkin_form.date_order") from None
