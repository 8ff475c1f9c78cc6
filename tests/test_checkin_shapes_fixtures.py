"""The check-in shape fixtures (tests/fixtures/checkin_shapes/) are what their README says they are.

These tests check the fixture files themselves, not the package: each decodes in its stated encoding,
has its stated delimiter, line endings and quoting, holds the example's 123 responses (us_ambiguous.csv a
stated subset) under the example's header titles (plus the columns a file adds), and every answer other
than a rewritten timestamp, date or decimal equals the example's cell for cell. The rewritten values are
checked by meaning: each is parsed back and must be the example's instant, date or number.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "checkin_shapes"
EXAMPLE = ROOT / "data" / "checkin_responses.csv"
LONDON = ZoneInfo("Europe/London")

SECTION_STARTS = (4, 17, 30)
DATE_COLUMNS = (6, 19, 32)
NUMBER_COLUMNS = tuple(s + k for s in SECTION_STARTS for k in (5, 6, 7, 9, 10, 11))
HOURS_1, DATE_2 = 11, 19
SECTION_4_ROW = 98  # spreadsheet row (header = row 1), as README.md says
RECREATED_FROM_ROW = 92
MIXED_DAY_FIRST_ROWS = 61

BOMS = {"utf-8": b"", "utf-8-sig": b"\xef\xbb\xbf", "utf-16": b"\xff\xfe", "cp1252": b""}
CODECS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16-le", "cp1252": "cp1252"}

#: file: (encoding, delimiter, line ending, timestamp shape, date shape, decimal comma)
RESHAPED = {
    "forms_download.csv": ("utf-8", ",", "\r\n", "forms", "uk", False),
    "us_sheet.csv": ("utf-8", ",", "\r\n", "us", "us", False),
    "de_sheet.csv": ("utf-8", ",", "\r\n", "de", "de", False),
    "iso_sheet.csv": ("utf-8", ",", "\r\n", "iso", "iso", False),
    "excel_no_seconds.csv": ("utf-8-sig", ",", "\r\n", "excel_gb", "uk", False),
    "excel_semicolons.csv": ("utf-8-sig", ";", "\r\n", "excel_de", "de", True),
    "excel_unicode.txt": ("utf-16", "\t", "\r\n", "excel_gb", "uk", False),
}
#: files in the example's own shape (UTF-8, comma, LF) with added or moved columns
EXAMPLE_SHAPED = ("section_added.csv", "recreated_question.csv", "recreated_dated_question.csv",
                  "two_email_columns.csv", "mixed_orders.csv")
ALL_FILES = (*RESHAPED, *EXAMPLE_SHAPED, "latin1.csv", "us_ambiguous.csv")

NO_ZERO = r"(?:[1-9]|[1-9]\d)"  # 1-99 without a leading zero
TIMESTAMP_SHAPES = {
    "uk": (r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", "%d/%m/%Y %H:%M:%S"),
    "us": (rf"{NO_ZERO}/{NO_ZERO}/\d{{4}} (?:0|{NO_ZERO}):\d\d:\d\d", "%m/%d/%Y %H:%M:%S"),
    "de": (r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d", "%d.%m.%Y %H:%M:%S"),
    "iso": (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "%Y-%m-%d %H:%M:%S"),
    "excel_gb": (r"\d\d/\d\d/\d{4} \d\d:\d\d", "%d/%m/%Y %H:%M"),
    "excel_de": (r"\d\d\.\d\d\.\d{4} \d\d:\d\d", "%d.%m.%Y %H:%M"),
}
DATE_SHAPES = {
    "uk": (r"\d\d/\d\d/\d{4}", "%d/%m/%Y"),
    "us": (rf"{NO_ZERO}/{NO_ZERO}/\d{{4}}", "%m/%d/%Y"),
    "de": (r"\d\d\.\d\d\.\d{4}", "%d.%m.%Y"),
    "iso": (r"\d{4}-\d\d-\d\d", "%Y-%m-%d"),
}
FORMS_TS = re.compile(r"(\d{4})/(\d\d)/(\d\d) (1[0-2]|[1-9]):(\d\d):(\d\d) (AM|PM) (GMT|GMT\+1)")
DECIMAL = re.compile(r"\d+\.\d+")
THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")


def load_example() -> tuple[list[str], list[list[str]]]:
    with EXAMPLE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


HEADER, ROWS = load_example()


def read(name: str, encoding: str = "utf-8", delimiter: str = ",") -> tuple[str, list[str], list[list[str]]]:
    """The file's text (BOM checked and removed), header and data rows."""
    raw = (FIXTURES / name).read_bytes()
    bom = BOMS[encoding]
    if bom:
        assert raw.startswith(bom), f"{name}: no byte order mark"
    else:
        assert not raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")), f"{name}: unexpected BOM"
    text = raw[len(bom):].decode(CODECS[encoding])  # strict: raises if the file is not in its encoding
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return text, rows[0], rows[1:]


def example_ts(row: list[str]) -> datetime:
    return datetime.strptime(row[0], "%d/%m/%Y %H:%M:%S")


def example_date(value: str) -> date | None:
    if not re.fullmatch(r"\d\d/\d\d/\d{4}", value):
        return None
    return datetime.strptime(value, "%d/%m/%Y").date()


def check_timestamp(shape: str, value: str, source: list[str]) -> None:
    wall = example_ts(source)
    if shape == "forms":
        m = FORMS_TS.fullmatch(value)
        assert m, value
        y, mo, d, h, mi, s, half, zone = m.groups()
        hour = int(h) % 12 + (12 if half == "PM" else 0)
        assert datetime(int(y), int(mo), int(d), hour, int(mi), int(s)) == wall, (value, source[0])
        offset = wall.replace(tzinfo=LONDON).utcoffset().total_seconds()
        assert zone == ("GMT" if offset == 0 else "GMT+1"), (value, source[0])
        return
    pattern, fmt = TIMESTAMP_SHAPES[shape]
    assert re.fullmatch(pattern, value), (shape, value)
    expected = wall.replace(second=0) if shape.startswith("excel") else wall
    assert datetime.strptime(value, fmt) == expected, (value, source[0])


def check_row(row: list[str], source: list[str], ts_shape: str, date_shape: str, decimal_comma: bool) -> None:
    assert len(row) == len(source)
    check_timestamp(ts_shape, row[0], source)
    for col in range(1, len(source)):
        value, original = row[col], source[col]
        if col in DATE_COLUMNS and example_date(original) is not None:
            pattern, fmt = DATE_SHAPES[date_shape]
            assert re.fullmatch(pattern, value), (date_shape, value)
            assert datetime.strptime(value, fmt).date() == example_date(original)
        elif decimal_comma and col in NUMBER_COLUMNS and DECIMAL.fullmatch(original) \
                and not THOUSANDS.fullmatch(original):
            assert value == original.replace(".", ","), (value, original)
        else:
            assert value == original, (HEADER[col], value, original)


def check_lines(name: str, text: str, newline: str, records: int) -> None:
    """Every record ends with the stated line ending, the last one too (no cell holds a line break)."""
    if newline == "\r\n":
        assert text.count("\r\n") == text.count("\n") == text.count("\r") == records, name
    else:
        assert "\r" not in text and text.count("\n") == records, name
    assert text.endswith(newline)


def test_every_fixture_and_the_script_are_there():
    assert (FIXTURES / "build.py").is_file() and (FIXTURES / "README.md").is_file()
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    for name in ALL_FILES:
        assert (FIXTURES / name).is_file(), name
        assert f"`{name}`" in readme, f"README.md does not describe {name}"


def test_the_example_is_what_the_fixtures_were_built_from():
    assert len(ROWS) == 123 and len(HEADER) == 44


@pytest.mark.parametrize("name", list(RESHAPED))
def test_reshaped_files(name):
    encoding, delimiter, newline, ts_shape, date_shape, decimal_comma = RESHAPED[name]
    text, header, rows = read(name, encoding, delimiter)
    assert text.split(newline, 1)[0].count(delimiter) >= len(HEADER) - 1, "not the stated delimiter"
    assert header == HEADER
    assert len(rows) == 123
    check_lines(name, text, newline, 124)
    for row, source in zip(rows, ROWS):
        check_row(row, source, ts_shape, date_shape, decimal_comma)


def test_forms_download_quotes_every_cell():
    text, header, rows = read("forms_download.csv")
    for line, row in zip(text.split("\r\n"), [header, *rows]):
        assert line == ",".join('"' + cell.replace('"', '""') + '"' for cell in row)
    labels = {row[0].rsplit(" ", 1)[1] for row in rows}
    assert labels == {"GMT", "GMT+1"}, "the example spans both winter and British Summer Time"


def test_sheet_and_excel_files_quote_only_where_needed():
    for name in ("us_sheet.csv", "excel_no_seconds.csv"):
        text, _, _ = read(name, RESHAPED[name][0])
        assert text.startswith('Timestamp,Email Address,') and '"Engagements (likes, comments)"' in text
    text, header, rows = read("excel_semicolons.csv", "utf-8-sig", ";")
    assert ";Engagements (likes, comments);" in text
    with_semicolon = sum(1 for row in [header, *rows] for cell in row if ";" in cell)
    assert with_semicolon and text.count('"') == 2 * with_semicolon  # quoted: exactly the cells holding a ';'


def test_excel_semicolons_turns_decimals_only_into_decimal_commas():
    _, _, rows = read("excel_semicolons.csv", "utf-8-sig", ";")
    changed = [(r[c], s[c]) for r, s in zip(rows, ROWS) for c in NUMBER_COLUMNS if r[c] != s[c]]
    assert changed and all(new == old.replace(".", ",") and "." in old for new, old in changed)
    assert ("1,5", "1.5") in changed
    # '1.200' (views: one thousand two hundred) is a whole number and stays as typed
    assert any(s[13] == "1.200" and r[13] == "1.200" for r, s in zip(rows, ROWS))


def test_latin1_is_the_example_in_windows_1252():
    raw = (FIXTURES / "latin1.csv").read_bytes()
    assert any(b > 127 for b in raw), "no non-ASCII character"
    text, header, rows = read("latin1.csv", "cp1252")
    check_lines("latin1.csv", text, "\n", 124)
    assert header == HEADER and len(rows) == 123
    replaced = 0
    for row, source in zip(rows, ROWS):
        for col, (value, original) in enumerate(zip(row, source)):
            expected = original.encode("cp1252", errors="replace").decode("cp1252")
            assert value == expected
            if value != original:
                replaced += 1
                assert col == 2 and "?" in value  # only names with letters Windows-1252 lacks
    assert replaced == 8
    assert "José Álvarez" in text and "Zoë Müller" in text


def read_example_shaped(name: str) -> tuple[list[str], list[list[str]]]:
    text, header, rows = read(name)
    check_lines(name, text, "\n", 124)
    assert len(rows) == 123 and all(len(row) == len(header) for row in rows)
    return header, rows


def test_section_added():
    header, rows = read_example_shaped("section_added.csv")
    repeated = HEADER[7:17]
    assert repeated[0] == "Link (URL)" and repeated[-1] == "Description"
    assert header == HEADER + ["Activity 4: What kind of activity was it?", "Activity 4: Title",
                               "Activity 4: When did it take place?", *repeated]
    assert header[43] == "Anything else you'd like to tell the team?"
    for number, (row, source) in enumerate(zip(rows, ROWS), start=2):
        if number != SECTION_4_ROW:
            assert row[:44] == source and row[44:] == [""] * 13
            continue
        assert source[4] and source[17] and source[30], "the chosen response filled three sections"
        assert row[:30] == source[:30] and row[43] == source[43]
        assert row[30:43] == [""] * 13 and row[44:] == source[30:43]
        assert source[2] == "Chinedu Okafor" and source[31] == "Translated KB articles to Igbo"


@pytest.mark.parametrize("name, col", [("recreated_question.csv", HOURS_1), ("recreated_dated_question.csv", DATE_2)])
def test_recreated_question(name, col):
    header, rows = read_example_shaped(name)
    assert header == HEADER + [HEADER[col]]
    assert header.count(HEADER[col]) == (4 if col == HOURS_1 else 2)
    affected = set()
    for number, (row, source) in enumerate(zip(rows, ROWS), start=2):
        if number < RECREATED_FROM_ROW:
            assert row == source + [""]
            continue
        assert row[col] == "" and row[-1] == source[col]
        assert row[:col] + row[col + 1:-1] == source[:col] + source[col + 1:]
        if source[col]:
            affected.add(source[1].strip().lower())
    assert len(affected) >= 10


def test_two_email_columns():
    header, rows = read_example_shaped("two_email_columns.csv")
    assert header == ["Timestamp", "Email address", *HEADER[1:]]
    assert header[2] == "Email Address"
    for row, source in zip(rows, ROWS):
        assert [row[0], *row[2:]] == source
        assert re.fullmatch(r"[a-z0-9.]+@gmail\.com", row[1]) and row[1] != row[2].strip().lower()


def test_us_ambiguous_keeps_only_rows_no_value_of_which_tells_the_order():
    def ambiguous(source):
        if example_ts(source).day > 12:
            return False
        dates = [source[c] for c in DATE_COLUMNS if source[c]]
        return all(example_date(v) is not None and example_date(v).day <= 12 for v in dates)

    kept = [source for source in ROWS if ambiguous(source)]
    text, header, rows = read("us_ambiguous.csv")
    check_lines("us_ambiguous.csv", text, "\r\n", len(kept) + 1)
    assert header == HEADER and 0 < len(rows) == len(kept) < 123
    for row, source in zip(rows, kept):
        check_row(row, source, "us", "us", False)
        for value in [row[0].split()[0], *(row[c] for c in DATE_COLUMNS if row[c])]:
            month, day, _ = value.split("/")
            assert int(month) <= 12 and int(day) <= 12


def test_mixed_orders():
    header, rows = read_example_shaped("mixed_orders.csv")
    assert header == HEADER
    assert 0 < MIXED_DAY_FIRST_ROWS < 123 and abs(2 * MIXED_DAY_FIRST_ROWS - 123) == 1
    for index, (row, source) in enumerate(zip(rows, ROWS)):
        shape = "uk" if index < MIXED_DAY_FIRST_ROWS else "us"
        check_row(row, source, shape, shape, False)
    assert any(int(row[0].split("/")[1]) > 12 for row in rows[MIXED_DAY_FIRST_ROWS:]), \
        "the month-first half shows at least one value only month-first reads"
