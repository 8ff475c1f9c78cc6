"""The CalendarRenderer contract (`ports.CalendarRenderer`): deadlines drawn as one RFC 5545 calendar published to
its reader, read back by icalendar and by vobject (an independent parser); the program's time zone always in it;
the same entries and stamp always giving the same bytes; no text of an entry adding a property or a component.
Adapter: `IcsCalendarRenderer` (icalendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from automations.domain.calendar import CalendarEntry, Deadline, Text

STAMP = datetime(2026, 10, 1, 7, 30, tzinfo=UTC)
CLOSE = Deadline("checkin-close", "checkin-close-2026q3", date(2026, 10, 21), Text("Check-in for 2026Q3 closes"),
                 Text("The last day."), link="https://forms.example/viewform?usp=pp_url&entry.1=a%40b.org",
                 alarm_days=(2, 1))
EVENT = Deadline("funding-event", "funding-event-0123456789ab", date(2026, 11, 3), Text("Event: stickers"), Text("Keep it."),
                 all_day=True)


def entry(deadline: Deadline = CLOSE, seq: int = 0) -> CalendarEntry:
    """The deadline with its words as the mail layer gives them (here, its English)."""
    return CalendarEntry(f"{deadline.ident}@example.org", seq, deadline, deadline.summary.english,
                         deadline.description.english)


def lines(data: bytes) -> list[str]:
    """The content lines, unfolded."""
    return data.decode("utf-8").replace("\r\n ", "").split("\r\n")


class CalendarRendererContract:
    """A subclass gives `renderer`: a factory taking the program's zone."""

    @pytest.fixture
    def renderer(self):
        raise NotImplementedError

    def test_both_parsers_read_the_same_event(self, renderer):
        """UID, SEQUENCE, DTSTAMP, start and summary read alike by icalendar and vobject; METHOD:PUBLISH."""
        data = renderer("Europe/London").render([entry(seq=3)], STAMP)
        cal = icalendar.Calendar.from_ical(data)
        (ev,) = cal.walk("VEVENT")
        other = vobject.readOne(data.decode("utf-8"))
        assert str(cal["METHOD"]) == other.method.value == "PUBLISH" and str(cal["VERSION"]) == "2.0"
        assert str(ev["UID"]) == other.vevent.uid.value == "checkin-close-2026q3@example.org"
        assert int(ev["SEQUENCE"]) == int(other.vevent.sequence.value) == 3
        assert ev.decoded("DTSTAMP") == other.vevent.dtstamp.value == STAMP
        assert ev.decoded("DTSTART") == other.vevent.dtstart.value
        assert str(ev["SUMMARY"]) == other.vevent.summary.value == "Check-in for 2026Q3 closes"
        assert cal.get("PRODID") and "forms.example" in str(ev["DESCRIPTION"]) and str(ev["URL"]) == CLOSE.link

    @pytest.mark.parametrize("zone", ["Europe/London", "America/Los_Angeles", "Asia/Kolkata", "UTC"])
    def test_the_zone_is_always_there_and_the_deadline_ends_the_day_in_it(self, renderer, zone):
        """The VTIMEZONE is the program's, for a deadline and for an all-day event alike; a deadline is the last
        hour of its day there, an event the whole day (a DATE)."""
        tz = ZoneInfo(zone)
        for d, start in ((CLOSE, datetime(2026, 10, 21, 23, tzinfo=tz)), (EVENT, date(2026, 11, 3))):
            data = renderer(zone).render([entry(d)], STAMP)
            cal = icalendar.Calendar.from_ical(data)
            assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == [zone]
            assert vobject.readOne(data.decode("utf-8")).vtimezone.tzid.value == zone
            (ev,) = cal.walk("VEVENT")
            assert ev.decoded("DTSTART") == start
            if isinstance(start, datetime):
                assert ev.decoded("DTSTART").utcoffset() == start.utcoffset()
                assert ev.decoded("DTEND") == datetime(2026, 10, 22, tzinfo=tz)
            else:
                assert ev.decoded("DTEND") == start + timedelta(1)

    def test_same_entries_same_bytes(self, renderer):
        """Drawn twice (two renderers, as two runs): the same bytes; another SEQUENCE: other bytes."""
        one = renderer("Europe/London").render([entry(), entry(EVENT)], STAMP)
        assert renderer("Europe/London").render([entry(), entry(EVENT)], STAMP) == one
        assert renderer("Europe/London").render([entry(seq=1), entry(EVENT)], STAMP) != one

    def test_alarms_ring_in_the_morning_before(self, renderer):
        """A deadline's alarms: 09:00 in the zone, so many days before; an event with none has no VALARM."""
        data = renderer("Europe/London").render([entry(), entry(EVENT)], STAMP)
        close, event = icalendar.Calendar.from_ical(data).walk("VEVENT")
        start = close.decoded("DTSTART")
        rings = [start + a.decoded("TRIGGER") for a in close.walk("VALARM")]
        assert [r.replace(tzinfo=None) for r in rings] == [datetime(2026, 10, 19, 9), datetime(2026, 10, 20, 9)]
        assert list(event.walk("VALARM")) == []

    @pytest.mark.parametrize("hostile", [
        "a\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil@x\r\nSUMMARY:owned",
        "a\nATTACH;VALUE=URI:http://evil\nX-EVIL:1",
        "a\rBEGIN:VALARM\rTRIGGER:-PT1M\rEND:VALARM",
        "\u202eeviL\u202c \u2066isolate\u2069 zero\u200bwidth",
        "semi;colon,comma\\backslash:colon",
        "x" * 5000,
    ])
    def test_hostile_text_stays_inside_its_property(self, renderer, hostile):
        """A summary, description or link holding line breaks, component or property lines, bidi controls,
        separators or 5,000 characters: still one event with our UID and properties, the text inside its
        value with nothing invisible, no URL from a link that is no URI."""
        d = Deadline("blog-due", "blog-draft-0123456789ab", date(2026, 12, 14), Text(hostile), Text(hostile), link=hostile,
                     alarm_days=(1,))
        data = renderer("Europe/London").render([entry(d)], STAMP)
        got = lines(data)
        assert got.count("BEGIN:VEVENT") == got.count("END:VEVENT") == 1
        assert got.count("BEGIN:VALARM") == 1 and not any(line.startswith(("ATTACH", "X-EVIL", "TRIGGER:-PT1M",
                                                                            "UID:evil")) for line in got)
        names = sorted({line.split(":")[0].split(";")[0] for line in got if line})
        assert "URL" not in names
        cal = icalendar.Calendar.from_ical(data)
        (ev,) = cal.walk("VEVENT")
        other = vobject.readOne(data.decode("utf-8")).vevent
        assert str(ev["UID"]) == other.uid.value == "blog-draft-0123456789ab@example.org"
        assert str(ev["SUMMARY"]) == other.summary.value
        for invisible in ("\u202e", "\u202c", "\u2066", "\u2069", "\u200b", "\r", "\n"):
            assert invisible not in str(ev["SUMMARY"])
        if "semi" in hostile:
            assert str(ev["SUMMARY"]) == hostile

    def test_a_link_that_is_a_uri_is_the_url(self, renderer):
        """A web link or a local file's URI becomes URL; the description holds it as text too."""
        for link in ("https://docs.google.com/document/d/abc/edit", "file:///srv/drafts/blog-1.html"):
            d = Deadline("blog-due", "blog-draft-x", date(2026, 12, 14), Text("Due"), Text("The document:"),
                         link=link)
            (ev,) = icalendar.Calendar.from_ical(renderer("UTC").render([entry(d)], STAMP)).walk("VEVENT")
            assert str(ev["URL"]) == link and str(ev["DESCRIPTION"]).endswith(link)

    def test_nothing_to_draw_is_refused(self, renderer):
        """No entry: no empty calendar file."""
        with pytest.raises(ValueError):
            renderer("UTC").render([], STAMP)

    def test_content_type_publishes(self, renderer):
        made = renderer("UTC")
        assert made.content_type.startswith("text/calendar;") and "method=PUBLISH" in made.content_type


class TestIcsCalendarRenderer(CalendarRendererContract):
    @pytest.fixture
    def renderer(self):
        from automations.adapters.render.ics_calendar import IcsCalendarRenderer

        return lambda zone: IcsCalendarRenderer(zone, "Mautic Ambassador Program")
