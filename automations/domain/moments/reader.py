"""Reading timestamps and dates in a source's order and zone (`MomentReader`), and the order a spreadsheet's
locale says."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from .order import DayOrder, Place
from .shapes import _COMMON, Written, _offset, in_range, written


class MomentReader:
    """Reads a source's timestamps (as aware datetimes in `out_tz`) and dates, in its decided `order`.

    `zone`: the wall-clock zone of values without an offset (the response sheet's). `formats`: extra
    strptime formats staff configured, tried when a value has none of the built-in shapes."""

    def __init__(self, order: DayOrder, zone: ZoneInfo, out_tz: ZoneInfo, formats: Sequence[str] = (),
                 date_formats: Sequence[str] = ()):
        self.order = order
        self.zone = zone
        self.out_tz = out_tz
        self.formats = tuple(formats)
        self.date_formats = tuple(date_formats)
        self._dates: dict[str, date] = {}
        self.same_zone = zone is out_tz

    def timestamp(self, raw: str, place: Place = ("", "")) -> datetime:
        """`place`: where the cell is, as text or (row, column), said only if the value cannot be read."""
        text = raw.strip()
        order = self.order.order
        m = _COMMON.match(text) if order in ("dmy", "mdy") else None
        if m is not None:
            a, _, b, y, h, mi, sec = m.groups()
            if y[:2] in ("19", "20", "21"):
                dd, month = (int(a), int(b)) if order == "dmy" else (int(b), int(a))
                try:
                    naive = datetime(int(y), month, dd, int(h), int(mi), int(sec) if sec else 0, 0, self.zone)
                except ValueError:
                    pass  # not a date in this order: the full reading below says why (or that the file mixes orders)
                else:
                    return naive if self.same_zone else naive.astimezone(self.out_tz)
        elif len(text) >= 19 and text[4] == "-" and text[10] in " T":
            try:
                parsed = datetime.fromisoformat(text)  # ISO, as the Google sources hand it over
            except ValueError:
                pass
            else:
                if not 1900 <= parsed.year <= 2199:
                    raise ValueError("is not a date that exists")
                local = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=self.zone)
                return local if local.tzinfo is self.out_tz else local.astimezone(self.out_tz)
        w = written(text)
        if w is None or w.time is None:
            return self._by_format(text, w)
        if w.clock_error:
            raise ValueError(w.clock_error)
        day = self.order.day_of(w, text, place)
        h, mi, s, us = w.time
        naive = datetime(day.year, day.month, day.day, h, mi, s, us)
        if not w.zone:
            local = naive.replace(tzinfo=self.zone)
        elif w.zone == "UTC":
            local = naive.replace(tzinfo=UTC)
        elif w.zone[0] in "+-":
            local = naive.replace(tzinfo=_offset(w.zone))
        else:
            local = naive.replace(tzinfo=self.zone)
            if local.tzname() != w.zone:
                raise ValueError(f"is in the time zone '{w.zone}', which is not the response sheet's "
                                 f"({self.zone.key}, '{local.tzname()}' then): set checkin_form.timezone to the "
                                 f"form's time zone")
        return local.astimezone(self.out_tz)

    def _by_format(self, text: str, w: Written | None) -> datetime:
        for fmt in self.formats:
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=self.zone)
            return parsed.astimezone(self.out_tz)
        if w is not None:
            raise ValueError("has a date but no time of day (a spreadsheet re-save may have dropped it)")
        raise ValueError("is not a date and time the response sheet writes")

    def date(self, raw: str, place: Place = ("", "")) -> date:
        known = self._dates.get(raw)
        if known is not None:
            return known
        text = raw.strip()
        w = written(text)
        if w is not None and not w.clock_error:
            day = self.order.day_of(w, text, place, typed=True)
            if self.order.settled or w.year_first:
                self._dates[raw] = day  # the same answer reads the same way for the rest of the source
            return day
        for fmt in self.date_formats:
            try:
                day = datetime.strptime(text, fmt).date()
            except ValueError:
                continue
            return in_range(day)
        example = {"dmy": "14/08/2026", "mdy": "08/14/2026"}.get(self.order.order, "2026-08-14")
        raise ValueError(f"is not a date (expected a form like {example})")


def order_of_locale(locale: str) -> str:
    """The day/month order a spreadsheet locale ("en_US", "de_DE") writes short dates in ("" if unknown)."""
    if not locale:
        return ""
    from babel import Locale, UnknownLocaleError  # only a Google Sheet has a locale: not loaded otherwise

    try:
        pattern = Locale.parse(locale.replace("-", "_")).date_formats["short"].pattern
    except (UnknownLocaleError, ValueError, KeyError, TypeError):
        return ""
    letters = [c for c in pattern if c in "dMy"]
    firsts = "".join(dict.fromkeys(c.lower() for c in letters))
    return {"dmy": "dmy", "mdy": "mdy", "ymd": "ymd"}.get(firsts, "")
