"""Dates and timestamps as Google Forms, Google Sheets and spreadsheet re-saves write them.

One reading for every shape a response file may hold: the Forms download's
`2022/11/30 10:39:41 PM GMT+1`, a linked sheet's CSV in any locale (`4/11/2026 12:33:18`,
`16/05/2025 14:11:48`, `07.02.2025 00:13:31`, `2025-02-07 00:13:31`), an Excel re-save without
seconds (`20/12/2025 07:53`), ISO 8601 with `T`, `Z` or an offset. Fields may be unpadded; the
separator may be `/`, `-` or `.`; the clock 12- or 24-hour; the seconds and a fraction optional.

A year written first settles itself (year, month, day). Otherwise the day and the month may come in
either order, and that order is decided once **per source, never per cell** (`DayOrder`): from what
the source says of itself (a spreadsheet's locale), else from the values (a day over 12 settles it),
else from `checkin_form.date_order`; when nothing settles it the run stops with one sentence naming
that key. A value that reads only in the other order than the one decided is a source written two
ways: that stops the run too, naming both values. One column is never read two ways.

An offset written in the value (`GMT+1`, `Z`, `+02:00`) is honoured; a zone abbreviation (`CET`,
`EST`) is read in the configured zone when it is that zone's abbreviation at that moment, and is
a problem of the cell otherwise; no suffix means wall-clock time in the configured zone.

The package: `shapes` (a value's shape before its order is known, and the dates the program reads),
`order` (`DayOrder`: one day/month order per source, and `settle`), `reader` (`MomentReader`: timestamps and
dates read in that order and zone).
"""

from .order import DayOrder, Place, Unsettled, settle
from .reader import MomentReader, order_of_locale
from .shapes import EARLIEST_DATE, LATEST_DATE, OUT_OF_RANGE, in_range, written

__all__ = [
    "EARLIEST_DATE", "LATEST_DATE", "OUT_OF_RANGE", "DayOrder", "MomentReader", "Place", "Unsettled", "in_range",
    "order_of_locale", "settle", "written",
]
