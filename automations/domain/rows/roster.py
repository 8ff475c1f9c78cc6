"""The roster's rows into ambassadors (`parse_roster`), with their status history and the cells a source could
not give as text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ...errors import InputError
from ..model import Ambassador, Problem
from ..moments import OUT_OF_RANGE, DayOrder, MomentReader, Unsettled
from ..values import clean_text, looks_like_address, norm_header, normalize_email, parse_date
from ..words import OUR_WORDS, RosterWords


@dataclass(frozen=True)
class CellFlaw:
    """A roster cell its source could not give as text (a formula's error in Airtable, a checkbox where a name
    belongs...): the row's problem shows `value` and says `what` is wrong and the `fix`; the cell is read as
    empty. The CSV roster has none: its cells are text."""

    value: str  # the cell as a person sees it ("#ERROR!")
    what: str  # what is wrong, as the rest of a sentence about the value ("is the error ...")
    fix: str  # what staff do about it ("correct the formula in Airtable")


#: The fields the roster must have a column for.
ROSTER_REQUIRED = ("name", "email", "start_date", "status")


@dataclass(frozen=True)
class RosterLayout:
    source: str
    fields: Mapping[str, str]  # field -> column title
    date_order: str = ""  # ambassadors.date_order: dmy, mdy, ymd, or "" (settled from the roster's own dates)
    words: RosterWords = OUR_WORDS  # staff's status words (ambassadors.status_values)


def _roster_dates(rows: Sequence[Sequence[str]], layout: RosterLayout, cols: Mapping[str, int | None]
                  ) -> MomentReader:
    """A reader of the roster's dates (start dates, status history), in one order for the whole file: a
    roster re-saved by a spreadsheet writes `02.10.2023` or `10/2/2023`, never both. `cols`: where each
    field is, as `parse_roster` found it."""
    order = DayOrder(layout.source, configured=layout.date_order, key="ambassadors.date_order")
    dated = [(f, i) for f in ("start_date", "status_history") if (i := cols.get(f)) is not None]
    for n, row in enumerate(rows, start=2):
        for f, i in dated:
            if i >= len(row) or not row[i].strip():
                continue
            cells = [row[i]] if f == "start_date" else [day for _, day, _ in _history_entries(row[i])]
            for cell in cells:
                order.observe(cell, f"row {n}, column '{layout.fields[f]}'", typed=True)
    order.finish()
    return MomentReader(order, ZoneInfo("UTC"), ZoneInfo("UTC"))


def parse_roster(headers: Sequence[str], rows: Iterable[Sequence[str]], layout: RosterLayout,
                 flaws: Mapping[tuple[int, str], CellFlaw] | None = None) -> tuple[list[Ambassador], list[Problem]]:
    """The roster's usable rows; each row that cannot be used becomes a Problem.

    `flaws`: the cells the source could not give as text, by (row number, field), each given as "" in `rows`:
    each is a problem of its row; one in the email, status or start date skips the ambassador, any other is read
    as empty and the row goes on. A row blank but for its flaws is a blank record (a formula errs on one), and
    skipped as blank rows are."""
    index = {norm_header(h): i for i, h in reversed(list(enumerate(headers)))}
    cols: dict[str, int | None] = {}
    for field, title in layout.fields.items():
        cols[field] = index.get(norm_header(title))
        if cols[field] is None and field in ROSTER_REQUIRED:
            raise InputError(f"The roster {layout.source} has no column '{title}' "
                             f"(ambassadors.fields.{field} in config.yaml).")
    out: list[Ambassador] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    words = layout.words
    rows = list(rows)
    dates = _roster_dates(rows, layout, cols)

    def read_date(text: str) -> date:
        try:
            return dates.date(text)
        except Unsettled:
            raise ValueError("can be read day first or month first: set ambassadors.date_order") from None

    for row_no, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue

        # This row and its number are bound now (a closure would see the loop's latest).
        def get(field: str, *, row: Sequence[str] = row) -> str:
            i = cols.get(field)
            return row[i] if i is not None and i < len(row) else ""

        def bad(field: str, reason: str, *, row_no: int = row_no) -> None:
            problems.append(Problem(layout.source, row_no, layout.fields[field], get(field), reason,
                                    normalize_email(get("email"))))

        def flawed(field: str, then: str, *, row_no: int = row_no) -> bool:
            """Report the field's flaw, if it has one (`then`: what became of the row or the cell)."""
            flaw = flaws.get((row_no, field)) if flaws else None
            if flaw is not None:
                problems.append(Problem(layout.source, row_no, layout.fields[field], flaw.value,
                                        f"{flaw.what}; {then}: {flaw.fix}", normalize_email(get("email"))))
            return flaw is not None

        for field in layout.fields:
            if field not in ("email", "start_date", "status"):
                flawed(field, f"the {field.replace('_', ' ')} {'were' if field == 'languages' else 'was'} read "
                              f"as empty")
        if flawed("email", "the ambassador was skipped"):
            continue
        email = normalize_email(get("email"))
        several = _addresses(email)
        if len(several) > 1:
            bad("email", f"holds {len(several)} addresses ({', '.join(several)}): the roster needs one address "
                         f"per ambassador; the ambassador was skipped")
            continue
        email = several[0] if several else email
        if not looks_like_address(email):
            bad("email", "is not an email address; the ambassador was skipped")
            continue
        if email in seen:
            bad("email", f"is already on row {seen[email]}; this row was skipped")
            continue
        if flawed("status", "the ambassador was skipped"):
            continue
        typed = get("status").strip()
        status = words.status(typed)
        if status is None:
            bad("status", f"{'is empty' if not typed else words.unknown_status()}; the ambassador was skipped")
            continue
        if flawed("start_date", "the ambassador was skipped"):
            continue
        try:
            start = read_date(get("start_date"))
        except ValueError as exc:
            bad("start_date", f"{exc}; the ambassador was skipped")
            continue
        seen[email] = row_no
        languages = tuple(x.strip().lower() for x in get("languages").replace(",", ";").split(";") if x.strip())
        changes: tuple[tuple[date, str], ...] = ()
        if "status_history" in layout.fields and get("status_history").strip():
            try:
                changes = parse_status_history(get("status_history"), read_date, words)
            except ValueError as exc:
                bad("status_history", f"{exc}; the status history was ignored: the Status column "
                                      f"('{typed}') holds for all time")
            else:
                last_day, last_status = changes[-1]
                if last_status != status:
                    said = words.status_word(last_status)
                    bad("status_history", f"ends with '{said}' on {last_day.isoformat()}, but the Status "
                                          f"column says '{typed}': add the date it became '{typed}'; until "
                                          f"then '{typed}' is taken to hold from {last_day.isoformat()} on")
        feeds = _feeds(get("feeds"), lambda reason: bad("feeds", reason)) if "feeds" in layout.fields else ()
        out.append(Ambassador(
            email=email, name=clean_text(get("name")) or email, country=clean_text(get("country")),
            region=clean_text(get("region")), university=clean_text(get("university")), languages=languages,
            start_date=start, status=status, row=row_no, status_history=changes,
            forum_handle=clean_text(get("forum_handle")), chat_handle=clean_text(get("chat_handle")), feeds=feeds,
            preferred_name=clean_text(get("preferred_name")),
        ))
    return out, problems


_FEED_SPLIT = re.compile(r"[\s,;]+")
_FEED_URL = re.compile(r"https?://[^\s/?#@]+(/[^\s]*)?", re.IGNORECASE)


def _readable(url: str) -> bool:
    """Whether a feed's address has a host and a port that is a number up to 65535 (none: the scheme's), and
    no backslash (which clients read in different ways)."""
    if "\\" in url:
        return False
    try:
        parts = urlsplit(url)
        return bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:
        return False


def _feeds(cell: str, bad: Callable[[str], None]) -> tuple[str, ...]:
    """The feeds of a Feeds cell: http(s) addresses separated by spaces, commas or line breaks. Anything else
    there is the row's problem (the addresses that can be read are kept)."""
    out: list[str] = []
    for part in _FEED_SPLIT.split(cell.strip()):
        if not part:
            continue
        if not _FEED_URL.fullmatch(part) or not _readable(part) or any(ord(c) < 32 or 0x200e <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069
                                                for c in part):
            bad(f"holds '{part[:80]}', which is not a feed's http(s) address; the ambassador's other feeds are read")
            continue
        if part not in out:
            out.append(part)
    return tuple(out)


def _addresses(cell: str) -> list[str]:
    """The distinct addresses of an email cell that holds several (a lookup of two records, "a@x; b@y")."""
    parts = [p.strip() for p in re.split(r"[;,]", cell) if p.strip()]
    return list(dict.fromkeys(parts)) if len(parts) > 1 else parts


HISTORY_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")  # as the start date, when no roster order is given


def _history_entries(text: str) -> Iterator[tuple[str, str, str]]:
    """Each entry of a status history: (the entry as shown, its date's text, the rest)."""
    for raw in re.split(r"[;\n\r]+", text):
        entry = raw.strip()
        if entry:
            parts = entry.split(None, 1)
            yield " ".join(entry.split()), parts[0].rstrip(":,"), parts[1] if len(parts) > 1 else ""


def parse_status_history(text: str, read_date: Callable[[str], date] | None = None, words: RosterWords = OUR_WORDS
                         ) -> tuple[tuple[date, str], ...]:
    """Staff's "Status history": dated changes such as `2026-10-05 paused; 2027-01-10 active`.

    Entries are separated by `;` or line breaks, each a date (ISO or d/m/Y, like the start date)
    then a status; a colon or dash between them and a note in brackets after the status are
    allowed ("2026-05-04 paused (parental leave)"); a status is any of the roster's status words (`words`:
    staff's, `ambassadors.status_values`), returned as ours. Returned ascending by date. Raise
    ValueError naming the first entry that cannot be read, or two differing entries on one day.
    """
    by_day: dict[date, str] = {}
    for shown, raw_day, rest in _history_entries(text):
        if not rest:
            raise ValueError(f"has the entry '{shown}', which is not a date and a status (like 2026-10-05 paused)")
        typed = re.sub(r"\s*\([^()]*\)$", "", rest.strip().lstrip(":-–—,").strip())
        try:
            day = read_date(raw_day) if read_date is not None else parse_date(raw_day, HISTORY_DATE_FORMATS)
        except ValueError as exc:
            if str(exc) == OUT_OF_RANGE:
                raise ValueError(f"has the entry '{shown}', whose date '{raw_day}' {exc}") from None
            raise ValueError(f"has the entry '{shown}', whose date '{raw_day}' is not a date like 2026-10-05 "
                             f"or 05/10/2026") from None
        status = words.status(typed)
        if status is None:
            raise ValueError(f"has the entry '{shown}', whose status '{typed}' {words.unknown_status()}")
        if by_day.get(day, status) != status:
            raise ValueError(f"has two statuses on {day.isoformat()} ('{words.status_word(by_day[day])}' and "
                             f"'{typed}')")
        by_day[day] = status
    if not by_day:
        raise ValueError("has no dated status in it (like 2026-10-05 paused)")
    return tuple(sorted(by_day.items()))
