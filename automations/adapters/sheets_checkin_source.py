"""`SheetsCheckinSource`: the check-in responses from the form's response spreadsheet (gspread).

Two requests a run: the spreadsheet's properties (its time zone, locale and tab titles) and the
response tab's values, read unformatted (no number guessing: "0123" stays "0123") with dates as
serial numbers. The response tab is `checkin_form.sheet_tab` when set (matched whatever its case),
else the form's: a linked form writes to a tab Google names `Form Responses 1` (newer sheets:
`Form responses 1`); a form relinked to the same spreadsheet writes to a new tab `Form Responses N`
and the old one stops receiving (Google's "Choose where to save form responses"), so of several the
newest with the check-in form's questions is read (one more request: their header rows). A
configured tab with such a newer tab beside it stops the run, naming both and the key: reading it
would miss every response since the relink. Cells
are handed to ingestion as text, by position (a form with repeated sections repeats titles):
the Timestamp's and the date questions' serial numbers become ISO text in the sheet's own time
zone, other numbers their shortest text. gspread's URLs are fixed, so a subclass of its HTTP
client rewrites them to the configured endpoint, and retries 429/5xx within the budget every
Google client here shares (`GoogleAccess.attempts`; gspread's own back-off client never stops).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..ports import NewRows, read_all
from ..domain.moments import order_of_locale, written
from ..domain.values import norm_header
from ..errors import InputError, StopRun
from .google_access import RETRY_STATUSES, GoogleAccess

EPOCH = datetime(1899, 12, 30)  # day 0 of a spreadsheet serial number
#: The tab a linked form writes to, whatever the case ("Form responses 1", "Form Responses 14").
RESPONSES_TAB = re.compile(r"^\s*form\s+responses\s+(\d+)\s*$", re.IGNORECASE)
#: The name the source goes by before its tab is found (the name problems found in it are filed under).
DEFAULT_TAB = "Form Responses 1"
KEY = "checkin_form.sheet_tab"
GOOGLE_PREFIXES = ("https://sheets.googleapis.com", "https://www.googleapis.com")


def serial_to_datetime(serial: float) -> datetime:
    """A spreadsheet serial number (days since 1899-12-30, fraction = time of day) as wall-clock time."""
    return EPOCH + timedelta(days=serial)


def _http_client(access: GoogleAccess):
    """A gspread HTTP client class that talks to the configured endpoint and retries within a budget."""
    from gspread.exceptions import APIError
    from gspread.http_client import HTTPClient

    endpoint = access.settings.endpoints.get("sheets", "").rstrip("/")

    class PacedHTTPClient(HTTPClient):
        def request(self, method, endpoint_url, *args, **kwargs):
            url = endpoint_url
            if endpoint:
                for prefix in GOOGLE_PREFIXES:
                    if url.startswith(prefix):
                        url = endpoint + url[len(prefix):]

            def retry_why(exc: Exception) -> str | None:
                if isinstance(exc, APIError):
                    code = exc.response.status_code
                    return str(code) if code in RETRY_STATUSES else None
                return type(exc).__name__ if isinstance(exc, (ConnectionError, OSError)) else None

            return access.attempts(lambda: super(PacedHTTPClient, self).request(method, url, *args, **kwargs),
                                   "reading the response sheet", retry_why)

    return PacedHTTPClient


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


def responses_number(title: str) -> int | None:
    """N of a tab named as a linked form names its responses' tab (`Form Responses N`, any case), else None."""
    m = RESPONSES_TAB.match(title)
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class TabChoice:
    """The tab to read, and the tabs whose header rows decide whether it is right."""

    title: str
    newer: tuple[str, ...] = ()  # response tabs numbered above the configured one, newest first
    candidates: tuple[str, ...] = ()  # with no tab configured, every response tab, newest first


def choose_tab(titles: Sequence[str], configured: str, sheet: str) -> TabChoice:
    """The response tab among the spreadsheet's `titles`: the configured one (exactly, else whatever its
    case), else the only response tab, else (several) the newest; a spreadsheet with a single tab of
    another name is read from it. `sheet` names the spreadsheet in the sentence that stops the run."""
    listed = ", ".join(f"'{t}'" for t in titles)
    numbered = sorted(((n, t) for t in titles if (n := responses_number(t)) is not None), reverse=True)
    if configured:
        match = next((t for t in titles if t == configured), None) or \
            next((t for t in titles if t.strip().casefold() == configured.strip().casefold()), None)
        if match is None:
            raise InputError(f"The {sheet} has no tab '{configured}' ({KEY}); its tabs are {listed}: set {KEY} to "
                             f"the tab the form writes to, or empty to find the form's responses tab.")
        mine = responses_number(match)
        return TabChoice(match, newer=tuple(t for n, t in numbered if mine is not None and n > mine))
    if not numbered:
        if len(titles) == 1:
            return TabChoice(titles[0])
        raise InputError(f"The {sheet} has no 'Form responses N' tab (its tabs are {listed}): set {KEY} to the tab "
                         f"the form writes to.")
    if len(numbered) == 1:
        return TabChoice(numbered[0][1])
    return TabChoice(numbered[0][1], candidates=tuple(t for _, t in numbered))


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

    def _client(self):
        import gspread

        client = gspread.authorize(self.access.credentials("sheets"), http_client=_http_client(self.access))
        client.set_timeout(self.access.settings.timeout_seconds)
        return client

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

    def _tab(self, http, titles: Sequence[str]) -> str:
        """The tab to read (`choose_tab`), its header rows read when several could be it; `where` names it."""
        choice = choose_tab(titles, self.tab, self.sheet)
        look = choice.newer or choice.candidates
        title, note = choice.title, ""
        if look:
            ranges = [f"'{t.replace(chr(39), chr(39) * 2)}'!1:1" for t in look]
            got = http.values_batch_get(self.spreadsheet_id, ranges, params={"valueRenderOption": "UNFORMATTED_VALUE",
                                                                           "majorDimension": "ROWS"})
            self.access.usage.read_table(self.sheet, 1)
            heads = [(r.get("values") or [[]])[0] for r in got.get("valueRanges", [])]
            fitting = [t for t, head in zip(look, heads) if self._fits(head)]
            if choice.newer and fitting:
                raise InputError(
                    f"The form was relinked: the {self.sheet} has the tab '{fitting[0]}' with the check-in form's "
                    f"questions, newer than the configured tab '{choice.title}' (a form relinked to its spreadsheet "
                    f"writes to a new tab, and the old one receives nothing more): set {KEY} to '{fitting[0]}', or "
                    f"empty to follow the newest (or rename that tab if it belongs to another form).")
            if choice.candidates:
                title = fitting[0] if fitting else choice.title
                older = [t for t in fitting if t != title]
                others = [t for t in choice.candidates if t not in fitting]
                said = [f"the newest of the check-in form's response tabs, beside {', '.join(map(repr, older))}: the "
                        f"form was relinked, and a relinked form writes to a new tab"] if older else []
                said += [f"{', '.join(map(repr, others))} hold{'s' if len(others) == 1 else ''} another form's "
                         f"responses"] if others and fitting else []
                note = f" ({'; '.join(said)})" if said else ""
        self.where = f"{self.sheet}, tab '{title}'{note}"
        return title

    def read(self) -> tuple[list[str], Iterator[list[str]]]:
        from gspread.exceptions import APIError

        http = self._client().http_client
        try:
            meta = http.spreadsheets_get(self.spreadsheet_id,
                                         params={"fields": "properties(timeZone,locale),sheets.properties.title"})
            titles = [s.get("properties", {}).get("title", "") for s in meta.get("sheets", [])]
            tab = self._tab(http, titles).replace("'", "''")  # a quote in a tab's name is doubled in A1 notation
            data = http.values_get(self.spreadsheet_id, f"'{tab}'",
                                   params={"valueRenderOption": "UNFORMATTED_VALUE",
                                           "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"})
        except APIError as exc:
            raise self._refused(exc) from None
        self.access.usage.read_table(self.where, 1)  # the fewest: the values alone (the time zone costs one more)
        zone = meta.get("properties", {}).get("timeZone", "")
        self.locale = meta.get("properties", {}).get("locale", "")
        order = order_of_locale(self.locale)
        self.told = (order, f"the spreadsheet's locale, {self.locale}") if order in ("dmy", "mdy") else ("", "")
        try:
            self.time_zone = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(f"The {self.where} has the time zone {zone!r}, which this machine does not know: its "
                             f"timestamps cannot be placed in time (set the spreadsheet's time zone).") from None
        values = data.get("values", [])
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

    def _refused(self, exc) -> StopRun:
        code = exc.response.status_code
        who = self.access.client_email
        if code in (403, 404):
            return InputError(f"The {self.where} cannot be read by {who} (HTTP {code}): share the spreadsheet with "
                              f"that address (Viewer) and check checkin_form.spreadsheet_id.")
        if code == 400 and "parse range" in str(exc.error.get("message", "")):
            return InputError(f"The {self.where} cannot be read: the spreadsheet has no such tab ({KEY}).")
        return StopRun(f"Google Sheets refused to read the {self.where} (HTTP {code}).")
