"""`SheetsCheckinSource`: the check-in responses from the form's response spreadsheet (gspread).

The response tab is found and read as every form's is (`sheets_tabs.read_tab`): `checkin_form.sheet_tab` when
set (its case and spacing ignored), else the form's own (`Form responses 1`; after a relink, the newest
`Form Responses N` with the check-in form's questions), in two requests a run (three when several tabs could
be the form's). A configured tab with a newer one of the form's beside it stops the run, naming both and the
key. Cells are handed to ingestion as text, by position (a form with repeated sections repeats titles): the
Timestamp's and the date questions' serial numbers become ISO text in the sheet's own time zone, other numbers
their shortest text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ...domain.moments import written
from ...domain.values import norm_header
from ...errors import InputError
from ...ports import NewRows, read_all
from . import sheets_tabs as tabs
from .access import GoogleAccess
from .sheets_tabs import DEFAULT_TAB, TabChoice

EPOCH = datetime(1899, 12, 30)  # day 0 of a spreadsheet serial number
KEY = "checkin_form.sheet_tab"


def serial_to_datetime(serial: float) -> datetime:
    """A spreadsheet serial number (days since 1899-12-30, fraction = time of day) as wall-clock time."""
    return EPOCH + timedelta(days=serial)


def _moved(moment: datetime, sheet_tz: ZoneInfo | None, read_tz: ZoneInfo | None) -> datetime:
    """Sheet wall-clock time as wall-clock time in the zone ingestion reads (the same instant)."""
    if sheet_tz is not None and read_tz is not None and sheet_tz != read_tz:
        return moment.replace(tzinfo=sheet_tz).astimezone(read_tz).replace(tzinfo=None)
    return moment


def cell_text(value: object, as_date: bool, as_instant: bool, sheet_tz: ZoneInfo | None = None,
              read_tz: ZoneInfo | None = None, order: str = "") -> str:
    """A cell as the form's CSV download would show it, in ISO forms ingestion always reads.

    A timestamp is wall-clock time in the sheet's zone; it is written as wall-clock time in the zone
    ingestion reads timestamps in (`checkin_form.timezone`), so the instant is kept. A date or timestamp
    typed as text is read in the order the spreadsheet's locale writes (`order`) and, for a timestamp with no
    offset of its own, moved from the sheet's zone like a serial; text no rule reads stays as it is, for
    ingestion to name.
    """
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        if as_instant:
            return _moved(serial_to_datetime(value), sheet_tz, read_tz).strftime("%Y-%m-%d %H:%M:%S")
        if as_date:
            return serial_to_datetime(value).date().isoformat()
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = "" if value is None else str(value)
    if as_instant and text:
        moment = _text_moment(text, order)
        if moment is not None:
            return _moved(moment, sheet_tz, read_tz).strftime("%Y-%m-%d %H:%M:%S")
    return text


def _text_moment(text: str, order: str) -> datetime | None:
    """Wall-clock time of a timestamp typed as text, when its shape and the locale's order settle it."""
    w = written(text.strip())
    if w is None or w.time is None or w.zone or w.clock_error:
        return None
    orders = w.orders()
    use = "ymd" if w.year_first and orders else (orders[0] if len(orders) == 1 else (order if order in orders else ""))
    if not use:
        return None
    day = w.day(use)
    return datetime(day.year, day.month, day.day, *w.time)


def choose_tab(titles: Sequence[str], configured: str, sheet: str) -> TabChoice:
    """The check-in form's response tab among the spreadsheet's `titles` (`sheets_tabs.choose_tab`)."""
    return tabs.choose_tab(titles, configured, sheet, KEY)


class SheetsCheckinSource:
    def __init__(self, access: GoogleAccess, spreadsheet_id: str, tab: str, timestamp_title: str,
                 date_titles: Sequence[str], read_tz: ZoneInfo):
        self.access = access
        self.spreadsheet_id = spreadsheet_id
        self.tab = tab  # as configured; empty: the form's responses tab, found by its name
        self.sheet = f"Google Sheet {spreadsheet_id}"
        # Until a read finds the tab, the source goes by the configured tab, else Google's first name for it.
        self.where = f"{self.sheet}, tab '{tab or DEFAULT_TAB}'"
        self.timestamp_title = norm_header(timestamp_title)
        # A title with "{n}" matches any section's number.
        self.date_titles = [norm_header(t) for t in date_titles]
        self.time_zone: ZoneInfo | None = None
        self.read_tz = read_tz
        self.locale = ""
        self.told: tuple[str, str] = ("", "")  # the day/month order the spreadsheet's locale writes, once read

    def _is_date(self, title: str) -> bool:
        t = norm_header(title)
        for pattern in self.date_titles:
            if "{n}" in pattern:
                head, _, tail = pattern.partition("{n}")
                if t.startswith(head) and t.endswith(tail) and t[len(head):len(t) - len(tail)].isdigit():
                    return True
            elif t == pattern:
                return True
        return False

    def read_new(self, cursor: tuple | None) -> NewRows:
        """Every row: what the API returns cannot be compared with an earlier read more cheaply than it is
        read, and the ingest that follows is the smaller cost at a form's size."""
        return read_all(self)

    def _fits(self, header: Sequence[object]) -> bool:
        """Whether a header row is the check-in form's: its timestamp and an activity date question."""
        titles = [cell_text(h, False, False) for h in header]
        return any(norm_header(t) == self.timestamp_title for t in titles) and any(self._is_date(t) for t in titles)

    def read(self) -> tuple[list[str], Iterator[list[str]]]:
        tab = tabs.read_tab(self.access, self.spreadsheet_id, self.tab,
                            tabs.ResponseTab("the check-in form", "checkin_form.spreadsheet_id", KEY, self._fits))
        self.where, self.time_zone, self.locale = tab.where, tab.time_zone, tab.locale
        self.told = (tab.order, f"the spreadsheet's locale, {tab.locale}") if tab.order else ("", "")
        values = tab.values
        if not values:
            raise InputError(f"The {self.where} is empty: it needs at least its header row.")
        headers = [cell_text(h, False, False) for h in values[0]]
        kinds = [(norm_header(h) == self.timestamp_title, self._is_date(h)) for h in headers]
        width = len(headers)

        sheet_tz, read_tz, locale_order = self.time_zone, self.read_tz, self.told[0]

        def rows() -> Iterator[list[str]]:
            for raw in values[1:]:
                cells = list(raw) + [""] * (width - len(raw))
                yield [cell_text(v, k[1], k[0], sheet_tz, read_tz, locale_order)
                       for v, k in zip(cells, kinds + [(False, False)] * (len(cells) - width))]

        return headers, rows()
