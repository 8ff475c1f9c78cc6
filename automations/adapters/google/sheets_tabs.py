"""A form's response tab in a Google spreadsheet, found and read the same way for every source (gspread): the
check-in responses and the referral answers.

Finding the tab. A linked form writes to a tab Google names `Form Responses 1` (newer sheets: `Form responses
1`); a form relinked to the same spreadsheet writes to a new tab `Form Responses N` and the old one stops
receiving (Google's "Choose where to save form responses"). A name is matched one way everywhere: its case and
its inner spacing ignored; two tabs whose names differ only so are one sentence naming both, never a guess.
With no tab configured, the form's tab is found: the only response tab, else, of several, the newest whose
header row is the form's (`fits`); a spreadsheet with a single tab of another name is read from it. A
configured tab is read whatever its case, and a newer response tab with the form's questions beside it stops
the run naming both and the key: reading it would miss every response since the relink.

Reading it. Two requests: the spreadsheet's properties (time zone, locale and the tabs' names, at no extra
cost) and the tab's values, unformatted (no number guessing: "0123" stays "0123") with date-times as serial
numbers (`sheets_checkin_source.cell_text` turns them into text); one more (the candidates' header rows) only
when several tabs could be the form's. gspread's URLs are fixed, so a subclass of its HTTP client rewrites
them to the configured endpoint, and retries 429/5xx within the budget every Google client here shares
(`GoogleAccess.attempts`; gspread's own back-off client never stops).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...domain.moments import order_of_locale
from ...errors import InputError, StopRun
from .access import RETRY_STATUSES, GoogleAccess

#: The tab a linked form writes to, whatever the case ("Form responses 1", "Form Responses 14").
RESPONSES_TAB = re.compile(r"^\s*form\s+responses\s+(\d+)\s*$", re.IGNORECASE)
#: The name a source goes by before its tab is found (the name problems found in it are filed under).
DEFAULT_TAB = "Form Responses 1"
GOOGLE_PREFIXES = ("https://sheets.googleapis.com", "https://www.googleapis.com")


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


def sheets_client(access: GoogleAccess):
    """gspread's client, signed in with the read-only scope, talking to the configured endpoint."""
    import gspread

    client = gspread.authorize(access.credentials("sheets"), http_client=_http_client(access))
    client.set_timeout(access.settings.timeout_seconds)
    return client


def fold(name: str) -> str:
    """A tab's name as names are matched: its case and its inner spacing ignored."""
    return " ".join(name.split()).casefold()


def responses_number(title: str) -> int | None:
    """N of a tab named as a linked form names its responses' tab (`Form Responses N`, any case), else None."""
    m = RESPONSES_TAB.match(title)
    return int(m.group(1)) if m else None


def _listed(titles: Sequence[str]) -> str:
    return ", ".join(f"'{t}'" for t in titles) or "none"


def _alone(title: str, titles: Sequence[str], sheet: str, key: str) -> str:
    """The tab, when no other tab's name differs from it only in case or spacing; else one sentence naming them."""
    alike = [t for t in titles if fold(t) == fold(title)]
    if len(alike) > 1:
        raise InputError(f"The {sheet} has the tabs {_listed(alike)}, whose names differ only in case or spacing: "
                         f"which one the form writes to cannot be told; rename the other in the spreadsheet (or "
                         f"delete it), then set {key} to the form's tab or leave it empty.")
    return title


def find_tab(titles: Sequence[str], wanted: str, sheet: str, key: str) -> str | None:
    """The tab called `wanted`, its case and inner spacing ignored (None when there is none; two such tabs are
    one sentence naming both)."""
    alike = [t for t in titles if fold(t) == fold(wanted)]
    return _alone(alike[0], titles, sheet, key) if alike else None


@dataclass(frozen=True)
class TabChoice:
    """The tab to read, and the tabs whose header rows decide whether it is right."""

    title: str
    newer: tuple[str, ...] = ()  # response tabs numbered above the configured one, newest first
    candidates: tuple[str, ...] = ()  # with no tab configured, every response tab, newest first


def choose_tab(titles: Sequence[str], configured: str, sheet: str, key: str) -> TabChoice:
    """The response tab among the spreadsheet's `titles`: the configured one (`find_tab`), else the only response
    tab, else (several) the newest; a spreadsheet with a single tab of another name is read from it. `sheet` names
    the spreadsheet and `key` the configuration key in the sentence that stops the run."""
    numbered = sorted(((n, t) for t in titles if (n := responses_number(t)) is not None), reverse=True)
    if configured.strip():
        match = find_tab(titles, configured, sheet, key)
        if match is None:
            raise InputError(f"The {sheet} has no tab '{configured}' ({key}); its tabs are {_listed(titles)}: set "
                             f"{key} to the tab the form writes to, or empty to find the form's responses tab.")
        mine = responses_number(match)
        return TabChoice(match, newer=tuple(t for n, t in numbered if mine is not None and n > mine))
    if not numbered:
        if len(titles) == 1:
            return TabChoice(titles[0])
        raise InputError(f"The {sheet} has no 'Form responses N' tab (its tabs are {_listed(titles)}): set {key} to "
                         f"the tab the form writes to.")
    if len(numbered) == 1:
        return TabChoice(_alone(numbered[0][1], titles, sheet, key))
    return TabChoice(numbered[0][1], candidates=tuple(t for _, t in numbered))


@dataclass(frozen=True)
class SheetTab:
    """What a source needs of its tab: its name as the spreadsheet has it, the source as messages name it
    (`where`), the zone its date-times are written in, the locale's day/month order ("dmy", "mdy" or "" when
    unknown) and the values, row by row."""

    title: str
    where: str
    time_zone: ZoneInfo
    locale: str
    order: str
    values: list[list]


@dataclass(frozen=True)
class ResponseTab:
    """Which form's tab to read, and how the run names it: `form` ("the check-in form"), the keys naming the
    spreadsheet and the tab, and `fits`, whether a header row is that form's."""

    form: str
    id_key: str
    tab_key: str
    fits: Callable[[Sequence[object]], bool]


def _decide(access: GoogleAccess, http, spreadsheet_id: str, sheet: str, choice: TabChoice, titles: Sequence[str],
            form: ResponseTab) -> tuple[str, str]:
    """The tab to read and a note on the others, reading their header rows when several could be the form's."""
    look = choice.newer or choice.candidates
    if not look:
        return choice.title, ""
    ranges = [f"'{t.replace(chr(39), chr(39) * 2)}'!1:1" for t in look]
    got = http.values_batch_get(spreadsheet_id, ranges, params={"valueRenderOption": "UNFORMATTED_VALUE",
                                                                "majorDimension": "ROWS"})
    access.usage.read_table(sheet, 1)
    heads = [(r.get("values") or [[]])[0] for r in got.get("valueRanges", [])]
    fitting = [t for t, head in zip(look, heads) if form.fits(head)]
    if choice.newer and fitting:
        raise InputError(
            f"The form was relinked: the {sheet} has the tab '{fitting[0]}' with {form.form}'s questions, newer "
            f"than the configured tab '{choice.title}' (a form relinked to its spreadsheet writes to a new tab, and "
            f"the old one receives nothing more): set {form.tab_key} to '{fitting[0]}', or empty to follow the "
            f"newest (or rename that tab if it belongs to another form).")
    if not choice.candidates:
        return choice.title, ""
    title = _alone(fitting[0] if fitting else choice.title, titles, sheet, form.tab_key)
    older = [t for t in fitting if t != title]
    others = [t for t in choice.candidates if t not in fitting]
    said = [f"the newest of {form.form}'s response tabs, beside {', '.join(map(repr, older))}: the form was "
            f"relinked, and a relinked form writes to a new tab"] if older else []
    said += [f"{', '.join(map(repr, others))} hold{'s' if len(others) == 1 else ''} another form's "
             f"responses"] if others and fitting else []
    return title, f" ({'; '.join(said)})" if said else ""


def read_tab(access: GoogleAccess, spreadsheet_id: str, configured: str, form: ResponseTab) -> SheetTab:
    """The form's response tab of the spreadsheet (`choose_tab`), in two requests (three when several tabs
    could be the form's)."""
    from gspread.exceptions import APIError

    sheet = f"Google Sheet {spreadsheet_id}"
    where = f"{sheet}, tab '{configured or DEFAULT_TAB}'"
    http = sheets_client(access).http_client
    try:
        meta = http.spreadsheets_get(spreadsheet_id,
                                     params={"fields": "properties(timeZone,locale),sheets.properties.title"})
        titles = [s.get("properties", {}).get("title", "") for s in meta.get("sheets", [])]
        title, note = _decide(access, http, spreadsheet_id, sheet, choose_tab(titles, configured, sheet, form.tab_key),
                              titles, form)
        where = f"{sheet}, tab '{title}'{note}"
        quoted = title.replace("'", "''")  # a quote in a tab's name is doubled in A1 notation
        data = http.values_get(spreadsheet_id, f"'{quoted}'",
                               params={"valueRenderOption": "UNFORMATTED_VALUE",
                                       "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"})
    except APIError as exc:
        code = exc.response.status_code
        if code in (403, 404):
            raise InputError(f"The {where} cannot be read by {access.client_email} (HTTP {code}): share the "
                             f"spreadsheet with that address (Viewer) and check {form.id_key}.") from None
        if code == 400 and "parse range" in str(exc.error.get("message", "")):
            raise InputError(f"The {where} cannot be read: the spreadsheet has no such tab ({form.tab_key}).") \
                from None
        raise StopRun(f"Google Sheets refused to read the {where} (HTTP {code}).") from None
    access.usage.read_table(where, 1)  # the fewest: the values alone (the properties cost one more)
    props = meta.get("properties", {})
    zone, locale = props.get("timeZone", ""), props.get("locale", "")
    try:
        time_zone = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"The {where} has the time zone {zone!r}, which this machine does not know: its "
                         f"timestamps cannot be placed in time (set the spreadsheet's time zone).") from None
    order = order_of_locale(locale)
    return SheetTab(title, where, time_zone, locale, order if order in ("dmy", "mdy") else "",
                    data.get("values", []))
