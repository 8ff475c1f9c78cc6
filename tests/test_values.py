"""Reading what people type: numbers, dates, emails."""

from datetime import date

import pytest

from automations.domain.values import normalize_email, normalize_title, parse_count, parse_date, parse_decimal


class TestCounts:
    @pytest.mark.parametrize("text", ["1200", "1,200", "1.200", "1 200", "1'200", "~1200", "1200+", " 1,200 "])
    def test_thousands_written_any_way(self, text):
        """'1,200' and '1.200' both mean one thousand two hundred."""
        assert parse_count(text) == 1200

    def test_leading_zero_stays_a_number(self):
        """'0123' is 123 (a form field, not an identifier)."""
        assert parse_count("0123") == 123

    def test_empty_is_missing(self):
        """An empty cell is a missing value, not zero."""
        assert parse_count("  ") is None

    @pytest.mark.parametrize("text", ["lots", "1.5", "12,34", "-3", "1,2,3"])
    def test_not_a_whole_number(self, text):
        """Words, decimals and negative numbers are rejected with the reason."""
        with pytest.raises(ValueError, match="not a whole number"):
            parse_count(text)


class TestHours:
    @pytest.mark.parametrize("text,value", [("2,5", 2.5), ("1.5", 1.5), ("3 hours", 3.0), ("~2", 2.0), ("4h", 4.0)])
    def test_decimal_comma_and_units(self, text, value):
        """Hours accept a decimal comma and a unit."""
        assert parse_decimal(text) == value

    def test_words_rejected(self):
        """'a few' is not a number of hours."""
        with pytest.raises(ValueError, match="hours"):
            parse_decimal("a few")


def test_dates_in_sheet_locale():
    """UK-locale dates read day first; ISO dates read too."""
    assert parse_date("02/07/2026", ("%d/%m/%Y", "%Y-%m-%d")) == date(2026, 7, 2)
    assert parse_date("2026-07-02", ("%d/%m/%Y", "%Y-%m-%d")) == date(2026, 7, 2)
    with pytest.raises(ValueError, match="not a date"):
        parse_date("sometime in August", ("%d/%m/%Y",))


def test_email_case_and_spaces():
    """Emails match whatever the case and surrounding spaces."""
    assert normalize_email("  Maria.Silva@Example.ORG ") == "maria.silva@example.org"


def test_title_identity():
    """Titles that differ only in case and spacing are the same title."""
    assert normalize_title(" Meetup  Pune #4") == normalize_title("meetup pune #4")


def test_one_address_check_for_every_table():
    """`looks_like_address`: one "@" with text on both sides and no space; the roster, the conduct register and
    the referral inquiries all use it."""
    from automations.domain.values import looks_like_address

    assert looks_like_address("ana@example.org") and looks_like_address("a.b+c@x")
    for bad in ("x@", "@x", "ana@@example.org", "a b@example.org", "ana", "", "a@b@c"):
        assert not looks_like_address(bad), bad
