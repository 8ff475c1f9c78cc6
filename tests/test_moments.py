"""Dates and timestamps in the shapes Google Forms, Google Sheets and spreadsheet re-saves write, and the
day/month order decided once per source (`automations.domain.moments`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automations.domain.moments import DayOrder, MomentReader, Unsettled, order_of_locale, settle, written
from automations.errors import InputError

LONDON = ZoneInfo("Europe/London")
UTC = UTC


def reader(order: str = "", configured: str = "") -> MomentReader:
    return MomentReader(DayOrder("the test file", told=order, told_by="a test", configured=configured), LONDON,
                        LONDON)


@pytest.mark.parametrize("text,order,instant", [
    # Google Forms' download: 12-hour clock, GMT and GMT+N suffixes honoured as offsets.
    ("2022/11/30 10:39:41 PM GMT+1", "", datetime(2022, 11, 30, 21, 39, 41, tzinfo=UTC)),
    ("2025/12/20 7:53:01 AM GMT", "", datetime(2025, 12, 20, 7, 53, 1, tzinfo=UTC)),
    ("2026/01/05 12:05:00 AM GMT", "", datetime(2026, 1, 5, 0, 5, tzinfo=UTC)),
    ("2026/01/05 12:05:00 PM GMT", "", datetime(2026, 1, 5, 12, 5, tzinfo=UTC)),
    ("2016/08/15 7:16:01 PM GMT+2", "", datetime(2016, 8, 15, 17, 16, 1, tzinfo=UTC)),
    ("2026/03/01 9:00:00 AM GMT-05:30", "", datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
    # Linked sheets' CSV in their locales, wall-clock time in the sheet's zone (London: BST in summer).
    ("4/11/2026 12:33:18", "mdy", datetime(2026, 4, 11, 11, 33, 18, tzinfo=UTC)),
    ("16/05/2025 14:11:48", "", datetime(2025, 5, 16, 13, 11, 48, tzinfo=UTC)),
    ("07.02.2025 00:13:31", "dmy", datetime(2025, 2, 7, 0, 13, 31, tzinfo=UTC)),
    ("7/2/2025 0:13:31", "dmy", datetime(2025, 2, 7, 0, 13, 31, tzinfo=UTC)),
    ("2025-02-07 00:13:31", "", datetime(2025, 2, 7, 0, 13, 31, tzinfo=UTC)),
    ("2025-02-07T00:13:31Z", "", datetime(2025, 2, 7, 0, 13, 31, tzinfo=UTC)),
    ("2025-07-02T10:00:00+02:00", "", datetime(2025, 7, 2, 8, 0, tzinfo=UTC)),
    # Excel re-saves: seconds dropped, two-digit years.
    ("20/12/2025 07:53", "", datetime(2025, 12, 20, 7, 53, tzinfo=UTC)),
    ("12/20/25 7:53 PM", "", datetime(2025, 12, 20, 19, 53, tzinfo=UTC)),
    # A zone abbreviation that is the sheet's own at that moment.
    ("2026/07/01 10:00:00 AM BST", "", datetime(2026, 7, 1, 9, 0, tzinfo=UTC)),
])
def test_every_shape_reads_as_its_instant(text, order, instant):
    assert reader(order).timestamp(text) == instant


@pytest.mark.parametrize("text,why", [
    ("2026/07/01 10:00:00 AM CET", "time zone 'CET'"),
    ("14/08/2026 25:00", "does not exist"),
    ("14/08/2026 13:00 PM", "12-hour clock"),
    ("14/08/2026", "no time of day"),
    ("yesterday", "not a date and time"),
    ("31/02/2026 10:00:00", "not a date that exists"),
])
def test_what_cannot_be_read_says_why(text, why):
    with pytest.raises(ValueError, match=why):
        reader("dmy").timestamp(text)


@pytest.mark.parametrize("text,order,day", [
    ("25/11/2025", "dmy", date(2025, 11, 25)), ("11/25/2025", "mdy", date(2025, 11, 25)),
    ("5/1/2026", "mdy", date(2026, 5, 1)), ("5/1/2026", "dmy", date(2026, 1, 5)),
    ("25.11.2025", "dmy", date(2025, 11, 25)), ("2025-11-25", "", date(2025, 11, 25)),
    ("1986-05-19 14:51", "", date(1986, 5, 19)), ("25/11/25", "dmy", date(2025, 11, 25)),
])
def test_dates_in_every_shape(text, order, day):
    assert reader(order).date(text) == day


def test_a_typed_answer_against_the_sources_order_is_a_problem_of_its_cell_not_a_stop():
    """An ambassador types 10/14/2026 in a day-first source: the cell is a problem saying how to write it; the
    timestamps are not read another way and the run does not stop."""
    with pytest.raises(ValueError, match="write it as 14/10/2026"):
        reader("dmy").date("10/14/2026")


def test_typed_answers_do_not_outvote_the_timestamps():
    """Timestamps that read both ways and one typed answer that reads month first: nothing settles the order
    (the answer is a person's, not the sheet's), so the key is named rather than the timestamps misread."""
    order = DayOrder("f.csv")
    order.observe("02/10/2026 10:00:00", "row 2")
    order.observe("9/15/2026", "row 2, column 'date'", typed=True)
    with pytest.raises(InputError, match=r"checkin_form.date_order"):
        order.finish()


def test_when_every_timestamp_is_year_first_the_answers_decide_if_they_agree():
    order = DayOrder("download.csv")
    order.observe("2025/12/20 7:53:01 AM GMT", "row 2")
    for n, answer in enumerate(["25/11/2025", "03/11/2025", "18/10/2025", "07/10/2025"], start=2):
        order.observe(answer, f"row {n}, column 'date'", typed=True)
    order.finish()
    assert order.order == "dmy"
    # One answer typed month first among eight that read both ways is one person's habit, not the source's.
    one = DayOrder("download.csv")
    for n, answer in enumerate(["05/10/2025", "04/02/2026", "03/03/2026", "01/07/2026", "09/23/2026"], start=2):
        one.observe(answer, f"row {n}", typed=True)
    with pytest.raises(InputError, match=r"checkin_form.date_order"):
        one.finish()
    # Configuration the answers clearly contradict, with no timestamp to say otherwise: stop, naming the key.
    wrong = DayOrder("download.csv", configured="mdy")
    for n, answer in enumerate(["25/11/2025", "18/10/2025", "03/11/2025"], start=2):
        wrong.observe(answer, f"row {n}", typed=True)
    with pytest.raises(InputError, match="says mdy"):
        wrong.finish()
    both = DayOrder("download.csv")
    both.observe("25/11/2025", "row 2", typed=True)
    both.observe("11/25/2025", "row 3", typed=True)
    with pytest.raises(InputError, match="do not say clearly"):
        both.finish()


@pytest.mark.parametrize("text", ["1/2/0026 10:00:00", "2026/01/02 10:00:00 AM GMT+99", "1/2/26000 10:00"])
def test_impossible_years_and_offsets_are_problems(text):
    with pytest.raises(ValueError):
        reader("dmy").timestamp(text)


def test_ymd_configured_refuses_a_day_month_value():
    """checkin_form.date_order: ymd, and a value written day and month first: a problem of its cell, never
    read month first by default."""
    order = DayOrder("f.csv", configured="ymd")
    order.finish()
    with pytest.raises(ValueError, match="year first"):
        MomentReader(order, LONDON, LONDON).date("05/10/2026")
    with pytest.raises(ValueError, match="year first"):
        MomentReader(order, LONDON, LONDON).timestamp("05/10/2026 10:00:00")


def test_an_ambiguous_value_waits_for_the_order():
    with pytest.raises(Unsettled):
        reader().date("5/1/2026")


def test_the_first_value_that_reads_one_way_settles_the_source_and_a_contradiction_stops():
    order = DayOrder("f.csv")
    order.observe("4/11/2026 12:33:18", "row 2")
    assert not order.settled and "row 2" in order.ambiguous
    order.observe("4/13/2026 12:33:18", "row 3")
    assert order.order == "mdy" and "row 3" in order.evidence
    with pytest.raises(InputError, match=r"written two ways.*row 3.*row 9"):
        order.observe("13/4/2026 12:33:18", "row 9")


def test_nothing_settles_then_configuration_decides_else_the_key_is_named():
    order = DayOrder("f.csv")
    order.observe("4/11/2026", "row 2")
    with pytest.raises(InputError, match=r"checkin_form.date_order"):
        order.finish()
    configured = DayOrder("f.csv", configured="mdy")
    configured.observe("4/11/2026", "row 2")
    configured.finish()
    assert configured.order == "mdy"


def test_configuration_the_values_contradict_stops():
    order = DayOrder("f.csv", configured="mdy")
    with pytest.raises(InputError, match=r"checkin_form.date_order says mdy"):
        order.observe("25/11/2025", "row 5")


def test_a_locale_decides_and_a_value_against_it_stops():
    order = DayOrder("sheet", told="mdy", told_by="the spreadsheet's locale, en_US")
    assert order.settled
    with pytest.raises(InputError, match="en_US"):
        order.observe("25/11/2025", "row 5")


def test_settle_holds_rows_only_until_the_order_is_known_and_keeps_their_order():
    order = DayOrder("f.csv")
    rows = [("5/1/2026",), ("6/2/2026",), ("25/3/2026",), ("7/4/2026",)]
    seen = []

    def cells(row):
        seen.append(row)
        return [(row[0], "x", False)]

    out = list(settle(order, rows, cells))
    assert out == rows and order.order == "dmy"
    assert seen == rows[:3]  # the rows after the settling one are not even looked at


@pytest.mark.parametrize("locale,order", [("en_US", "mdy"), ("en_GB", "dmy"), ("de_DE", "dmy"), ("es_ES", "dmy"),
                                          ("pt_BR", "dmy"), ("ja_JP", "ymd"), ("fr_CA", "ymd"), ("xx_YY", "")])
def test_a_spreadsheet_locale_says_its_order(locale, order):
    assert order_of_locale(locale) == order


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
       st.sampled_from(["dmy", "mdy"]), st.sampled_from(["/", ".", "-"]), st.booleans(), st.booleans())
def test_any_moment_written_in_a_locale_reads_back(moment, order, sep, seconds, twelve):
    """Whatever a locale writes (order, separator, padding, clock, seconds) reads back as what was meant."""
    moment = moment.replace(microsecond=0, second=moment.second if seconds else 0)
    first, second = (moment.day, moment.month) if order == "dmy" else (moment.month, moment.day)
    clock = (f"{(moment.hour % 12) or 12}:{moment.minute:02d}" + (f":{moment.second:02d}" if seconds else "")
             + (" PM" if moment.hour >= 12 else " AM")) if twelve else \
        f"{moment.hour}:{moment.minute:02d}" + (f":{moment.second:02d}" if seconds else "")
    text = f"{first}{sep}{second}{sep}{moment.year} {clock}"
    got = MomentReader(DayOrder("f", told=order, told_by="x"), UTC_ZONE, UTC_ZONE).timestamp(text)
    assert got.replace(tzinfo=None) == moment
    assert written(text) is not None


UTC_ZONE = ZoneInfo("UTC")
