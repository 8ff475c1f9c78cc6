"""One tab of a Google spreadsheet as a response source reads it (gspread): the spreadsheet's time zone and
locale, the tab found by its name whatever the case, and the tab's values unformatted.

Two requests, as for the check-in sheet: the spreadsheet's properties (with its tabs' names, at no extra
cost) and the tab's values (numbers unguessed, date-times as serial numbers; `sheets_checkin_source.cell_text`
turns them into text). A form's response tab is called `Form Responses 1` in older sheets and
`Form responses 1` in newer ones, so the configured name is matched without regard to case or spacing; a
name that matches no tab is one sentence listing the tabs there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..domain.moments import order_of_locale
from ..errors import InputError, StopRun
from .google_access import GoogleAccess
from .sheets_checkin_source import _http_client


@dataclass(frozen=True)
class SheetTab:
    """What a source needs of one tab: its name as the spreadsheet has it, the zone its date-times are
    written in, the locale's day/month order ("dmy", "mdy" or "" when unknown) and the values, row by row."""

    title: str
    time_zone: ZoneInfo
    locale: str
    order: str
    values: list[list]


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def find_tab(titles: Sequence[str], wanted: str) -> str | None:
    """The tab called `wanted`: that exact name, else the one name that differs from it only by case or
    spacing (None when there is none, or more than one)."""
    if wanted in titles:
        return wanted
    close = [t for t in titles if _fold(t) == _fold(wanted)]
    return close[0] if len(close) == 1 else None


def sheets_client(access: GoogleAccess):
    """gspread's client, signed in with the read-only scope, talking to the configured endpoint."""
    import gspread

    client = gspread.authorize(access.credentials("sheets"), http_client=_http_client(access))
    client.set_timeout(access.settings.timeout_seconds)
    return client


def read_tab(access: GoogleAccess, spreadsheet_id: str, wanted: str, where: str, id_key: str, tab_key: str
             ) -> SheetTab:
    """The tab `wanted` of the spreadsheet, in two requests. `where` names the source in messages; `id_key` and
    `tab_key` the configuration keys that name the spreadsheet and the tab."""
    from gspread.exceptions import APIError

    http = sheets_client(access).http_client
    try:
        meta = http.spreadsheets_get(spreadsheet_id,
                                     params={"fields": "properties(timeZone,locale),sheets.properties.title"})
        titles = [s.get("properties", {}).get("title", "") for s in meta.get("sheets", [])]
        title = find_tab(titles, wanted)
        if title is None:
            raise InputError(f"The {where} has no tab '{wanted}' ({tab_key}); its tabs are "
                             f"{', '.join(repr(t) for t in titles) or 'none'}: nothing was read.")
        quoted = title.replace("'", "''")  # a quote in a tab's name is doubled in A1 notation
        data = http.values_get(spreadsheet_id, f"'{quoted}'",
                               params={"valueRenderOption": "UNFORMATTED_VALUE",
                                       "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"})
    except APIError as exc:
        code = exc.response.status_code
        if code in (403, 404):
            raise InputError(f"The {where} cannot be read by {access.client_email} (HTTP {code}): share the "
                             f"spreadsheet with that address (Viewer) and check {id_key}.") from None
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
    return SheetTab(title, time_zone, locale, order if order in ("dmy", "mdy") else "", data.get("values", []))
