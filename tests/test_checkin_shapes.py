"""Check-ins as Google and spreadsheets really write them (issue 16), through the real command line.

The fixtures in `tests/fixtures/checkin_shapes/` hold the example's 123 responses in the shapes real tools
write (their README names each shape's public source): the Forms download, a linked sheet's CSV in the US,
German and ISO locales, Excel re-saves (no seconds, semicolons, "Unicode text"), a form edited mid-quarter
(a section added, a question re-created), two email columns. Each gives the example's verdicts, or stops
with exit 2 before anything is written or sent where the data cannot be settled."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.conftest import ROOT, copy_example, go_live, outbox_messages, run_in_process, snapshot

SHAPES = ROOT / "tests" / "fixtures" / "checkin_shapes"
RESPONSES = "checkin_responses.csv"
AS_OF = "2026-10-19"
QUARTERS = ("2025Q4", "2026Q1", "2026Q2", "2026Q3")


@pytest.fixture
def cli():
    """The command line run in this process (click's runner): what is tested here is how each shape is read and
    judged, not the process."""
    return run_in_process


def shipped(folder: Path) -> Path:
    config = copy_example(folder)
    shutil.copytree(ROOT / "drafts", folder / "drafts")
    return config


def verdicts(cli, config: Path) -> dict:
    out = {}
    for q in QUARTERS:
        res = cli("--as-of", AS_OF, "compliance", "--quarter", q, "--format", "json", config=config)
        assert res.code in (0, 1), res.err
        out[q] = json.loads(res.out)
    return out


def problems(folder: Path) -> list[dict]:
    with (folder / "data" / "unusable_rows.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[list[str]], **kw) -> None:
    with path.open("w", encoding=kw.pop("encoding", "utf-8"), newline="") as fh:
        csv.writer(fh, lineterminator=kw.pop("lineterminator", "\n"), **kw).writerows(rows)


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def set_config(config: Path, **checkin_form) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["checkin_form"].update(checkin_form)
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def example_verdicts(tmp_path_factory):
    """The example's verdicts, read from its own download: what every readable shape must give."""
    folder = tmp_path_factory.mktemp("example")
    config = shipped(folder)
    assert run_in_process("--as-of", AS_OF, "sync-checkins", config=config).code == 0
    return verdicts(run_in_process, config)


READ_RIGHT = ["forms_download.csv", "us_sheet.csv", "de_sheet.csv", "iso_sheet.csv", "excel_no_seconds.csv",
              "excel_semicolons.csv", "excel_unicode.txt", "section_added.csv", "recreated_question.csv",
              "recreated_dated_question.csv", "two_email_columns.csv"]


@pytest.mark.parametrize("shape", READ_RIGHT)
def test_every_real_shape_gives_the_examples_verdicts(shape, tmp_path, cli, example_verdicts):
    """The file in its shape replaces the example's download: the same verdicts in every quarter, no new data
    problem (exit 0: the example's problems are those on record), and every problem on record still open."""
    config = shipped(tmp_path)
    shutil.copy(SHAPES / shape, tmp_path / "data" / RESPONSES)
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 0, res.err
    assert "0 new" in res.out and "0 fixed since the last run" in res.out
    assert verdicts(cli, config) == example_verdicts


def test_a_section_added_mid_quarter_is_read(tmp_path, cli):
    """Row 98 reports its third activity in the fourth section, added to the form mid-quarter: it is stored
    (section 4) and counts; doctor says the form has 4 sections."""
    config = go_live(shipped(tmp_path))
    shutil.copy(SHAPES / "section_added.csv", tmp_path / "data" / RESPONSES)
    assert cli("--as-of", AS_OF, "sync-checkins", config=config).code == 0
    with (tmp_path / "data" / "activities.csv").open(encoding="utf-8", newline="") as fh:
        row98 = [r for r in csv.DictReader(fh) if r["Row"] == "98"]
    assert {r["Section"] for r in row98} == {"1", "2", "4"}
    doctor = cli("--as-of", AS_OF, "doctor", config=config)
    assert "4 activity sections (1, 2, 3, 4) read from the header" in doctor.out
    set_config(config, activity_sections=3)
    doctor = cli("--as-of", AS_OF, "doctor", config=config)
    assert "checkin_form.activity_sections says 3" in doctor.err and doctor.code == 0


def test_doctor_reports_a_recreated_question_and_reads_every_timestamp(tmp_path, cli):
    config = shipped(tmp_path)
    shutil.copy(SHAPES / "recreated_question.csv", tmp_path / "data" / RESPONSES)
    res = cli("--as-of", AS_OF, "doctor", config=config)
    assert "'Hours spent' is in columns 12 and 45 (a question re-created on the form)" in res.out
    assert "timestamps: all 123 read (day/month order dmy" in res.out
    assert "activity dates: 1 of 269" in res.out and "'sometime in August'" in res.out


def test_an_ambiguous_source_stops_naming_the_key_then_reads_right_once_set(tmp_path, cli):
    """No timestamp or date of this US file has a day over 12: nothing settles the order, so the run stops
    (exit 2, nothing written or sent) naming checkin_form.date_order; set to mdy, it reads right."""
    config = shipped(tmp_path)
    shutil.copy(SHAPES / "us_ambiguous.csv", tmp_path / "data" / RESPONSES)
    before = snapshot(tmp_path / "data")
    res = cli("--as-of", AS_OF, "run-all", config=config)
    assert res.code == 2 and "checkin_form.date_order" in res.err and "Traceback" not in res.err
    assert snapshot(tmp_path / "data") == before and not (tmp_path / "outbox").exists()
    doctor = cli("--as-of", AS_OF, "doctor", config=config)
    assert doctor.code == 2 and "checkin_form.date_order" in doctor.err
    set_config(config, date_order="mdy")
    assert cli("--as-of", AS_OF, "sync-checkins", "--accept-shrink", config=config).code in (0, 1)
    with (tmp_path / "data" / "checkins.csv").open(encoding="utf-8", newline="") as fh:
        received = {r["Row"]: r["Received"] for r in csv.DictReader(fh)}
    # Row 2 of this file is the example's row 10: 1/7/2026 is 7 January, as the example's 07/01/2026.
    assert received["2"].startswith("2026-01-07")


def test_a_source_written_in_two_orders_stops(tmp_path, cli):
    config = shipped(tmp_path)
    shutil.copy(SHAPES / "mixed_orders.csv", tmp_path / "data" / RESPONSES)
    before = snapshot(tmp_path / "data")
    res = cli("--as-of", AS_OF, "run-all", config=config)
    assert res.code == 2 and "dates written two ways" in res.err and "row 63" in res.err
    assert snapshot(tmp_path / "data") == before and not (tmp_path / "outbox").exists()


def test_a_configured_order_the_data_contradicts_stops(tmp_path, cli):
    config = shipped(tmp_path)
    set_config(config, date_order="mdy")
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 2 and "checkin_form.date_order says mdy" in res.err and "set checkin_form.date_order to dmy" \
        in res.err


def test_a_file_in_another_encoding_is_one_sentence(tmp_path, cli):
    config = shipped(tmp_path)
    shutil.copy(SHAPES / "latin1.csv", tmp_path / "data" / RESPONSES)
    res = cli("--as-of", AS_OF, "run-all", config=config)
    assert res.code == 2 and "CSV UTF-8" in res.err and len(res.err.strip().splitlines()) == 1
    assert "Traceback" not in res.err


def test_two_email_columns_read_the_exact_title_and_a_pin_picks_the_other(tmp_path, cli):
    """`Email address` (collected by Google) and `Email Address` (the roster address, the configured title):
    the exact title wins. Pinning the other column makes every row match no one: the guard stops that run."""
    config = shipped(tmp_path)
    shutil.copy(SHAPES / "two_email_columns.csv", tmp_path / "data" / RESPONSES)
    assert cli("--as-of", AS_OF, "sync-checkins", config=config).code == 0
    set_config(config, column_positions={"email": "B"})
    before = snapshot(tmp_path / "data")
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 2 and "matches no ambassador" in res.err and "--accept-unusable" in res.err
    assert snapshot(tmp_path / "data") == before
    set_config(config, columns={"timestamp": "Timestamp", "email": "EMAIL ADDRESS",
                                "quarter": "Which quarter are you reporting on?"}, column_positions={})
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 2 and "two columns that may be the email question" in res.err \
        and "checkin_form.column_positions.email" in res.err


def test_a_recreated_email_question_is_read_as_one(tmp_path, cli, example_verdicts):
    """The email question deleted and re-created mid-quarter: Google keeps the old 'Email Address' column
    (filled in the older rows) and appends a new one with the same title (filled in the newer ones). Never
    both filled in a row: one question, the example's verdicts."""
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    rows = read_rows(path)
    rows[0].append("Email Address")
    for n, r in enumerate(rows[1:]):
        r.append(r[1] if n >= 60 else "")
        if n >= 60:
            r[1] = ""
    write_rows(path, rows)
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 0, res.err
    assert verdicts(cli, config) == example_verdicts


# -- the damage story -------------------------------------------------------------------------------------------

def unreadable_timestamps(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for r in rows[1:]:
        r[0] = r[0].replace("/", " of ", 1)  # "20 of 12/2025 07:53:01": no rule reads it
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_a_bad_file_then_the_good_one_again_loses_nothing_and_sends_nothing_twice(tmp_path, cli):
    """A run; then a download whose timestamps no rule reads: exit 2 naming the reason with an example, and
    nothing written or sent; then the good file again: nothing lost, nothing re-sent, staff's `ignored` and
    every First seen kept. The same with the Excel re-save without seconds, which now reads as the example."""
    config = shipped(tmp_path)
    good = (tmp_path / "data" / RESPONSES).read_bytes()
    assert cli("--as-of", AS_OF, "run-all", config=config).code == 0
    on_record = problems(tmp_path)
    assert any(r["Status"] == "ignored" for r in on_record)
    sent = len(outbox_messages(tmp_path / "outbox"))
    state = snapshot(tmp_path / "data")

    unreadable_timestamps(tmp_path / "data" / RESPONSES)
    state[RESPONSES] = (tmp_path / "data" / RESPONSES).read_bytes()
    bad = cli("--as-of", "2026-10-20", "run-all", config=config)
    assert bad.code == 2 and "Timestamp" in bad.err and "--accept-unusable" in bad.err and "of 12/2025" in bad.err
    assert snapshot(tmp_path / "data") == state and len(outbox_messages(tmp_path / "outbox")) == sent

    (tmp_path / "data" / RESPONSES).write_bytes(good)
    again = cli("--as-of", "2026-10-20", "run-all", config=config)
    assert again.code == 0, again.err
    assert problems(tmp_path) == on_record
    assert len(outbox_messages(tmp_path / "outbox")) == sent + len(outbox_messages(tmp_path / "outbox" / "2026-10-20"))
    assert not [m for m in outbox_messages(tmp_path / "outbox" / "2026-10-20")
                if m["X-Automation-Job"] == "data_problem"]

    sent = len(outbox_messages(tmp_path / "outbox"))
    shutil.copy(SHAPES / "excel_no_seconds.csv", tmp_path / "data" / RESPONSES)
    resaved = cli("--as-of", "2026-10-20", "run-all", config=config)
    assert resaved.code == 0, resaved.err
    assert problems(tmp_path) == on_record and len(outbox_messages(tmp_path / "outbox")) == sent


def test_accepted_bad_rows_close_nothing_and_ignored_survives(tmp_path, cli):
    """With --accept-unusable the run goes on: the rows it cannot read close none of their problems, and a
    problem staff ignored keeps its status and First seen when its row comes back."""
    config = shipped(tmp_path)
    good = (tmp_path / "data" / RESPONSES).read_bytes()
    assert cli("--as-of", AS_OF, "sync-checkins", config=config).code == 0
    on_record = {r["Problem ID"]: r for r in problems(tmp_path)}
    unreadable_timestamps(tmp_path / "data" / RESPONSES)
    res = cli("--as-of", AS_OF, "sync-checkins", "--accept-unusable", config=config)
    assert res.code == 1  # the unreadable timestamps are new problems
    after = {r["Problem ID"]: r for r in problems(tmp_path)}
    for pid, r in on_record.items():
        assert after[pid]["Status"] == r["Status"] and after[pid]["First seen"] == r["First seen"], pid
    (tmp_path / "data" / RESPONSES).write_bytes(good)
    back = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert back.code == 0
    final = {r["Problem ID"]: r for r in problems(tmp_path)}
    for pid, r in on_record.items():
        assert (final[pid]["Status"], final[pid]["First seen"]) == (r["Status"], r["First seen"]), pid


def test_on_airtable_a_bad_file_writes_nothing_and_the_good_one_keeps_staffs_decisions(airtable, program):
    """The same story on the Airtable backend (the real pyairtable client over HTTP to the fake base): staff
    ignore a problem in the Data problems table; a download no rule reads stops sync-checkins with the reason
    before any request writes; the good file again keeps the ignored status and every First seen."""
    from datetime import date

    from automations.errors import StopRun
    from automations.jobs import sync_checkins
    from tests.airtable_env import BASE

    day = date(2026, 10, 19)
    path = program.parent / "data" / RESPONSES
    good = path.read_bytes()
    sync_checkins.run(airtable.ctx(day))
    table = airtable.records("Data problems")
    stranger = next(r for r in table if r["fields"].get("Value") == "stranger@example.net")
    from pyairtable import Api

    from tests.airtable_env import TOKEN

    airtable.clock.advance(1.1)  # staff's edit, through the API, a second after the run
    Api(TOKEN, endpoint_url=airtable.fake.url).table(BASE, "Data problems").update(stranger["id"],
                                                                                   {"Status": "ignored"})
    before = {r["fields"]["Key"]: (r["fields"].get("Status"), r["fields"].get("First seen"))
              for r in airtable.records("Data problems")}
    stored = {t: len(airtable.records(t)) for t in ("Activities", "Check-ins", "Data problems")}

    unreadable_timestamps(path)
    airtable.fake.reset_log()
    with pytest.raises(StopRun, match="--accept-unusable"):
        sync_checkins.run(airtable.ctx(date(2026, 10, 20)))
    assert [r for r in airtable.fake.requests if r.kind == "write"] == []
    assert {t: len(airtable.records(t)) for t in stored} == stored

    path.write_bytes(good)
    sync_checkins.run(airtable.ctx(date(2026, 10, 20)))
    after = {r["fields"]["Key"]: (r["fields"].get("Status"), r["fields"].get("First seen"))
             for r in airtable.records("Data problems")}
    assert after == before and before[stranger["fields"]["Key"]][0] == "ignored"


# -- a person's file in another dialect, written back in its own ------------------------------------------------

@pytest.mark.parametrize("encoding,bom,sep", [("utf-8", b"\xef\xbb\xbf", ";"), ("utf-16-le", b"\xff\xfe", "\t")],
                         ids=["excel-semicolons", "excel-unicode-text"])
def test_a_roster_saved_by_excel_is_read_and_written_back_in_its_own_shape(tmp_path, cli, encoding, bom, sep):
    """The roster re-saved by Excel (semicolons and a BOM, or UTF-16 "Unicode text" with tabs, CRLF): read as
    the example's, and the standing columns the jobs keep are written into it in the same encoding, BOM and
    separator; every other cell as it was."""
    config = shipped(tmp_path)
    roster = tmp_path / "data" / "ambassadors.csv"
    with roster.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    text = "".join(sep.join(f'"{c}"' if sep in c or '"' in c else c for c in r) + "\r\n" for r in rows)
    roster.write_bytes(bom + text.encode(encoding))
    res = cli("--as-of", AS_OF, "run-all", config=config)
    assert res.code == 0, res.err
    raw = roster.read_bytes()
    assert raw.startswith(bom)
    got = list(csv.reader(raw[len(bom):].decode(encoding).splitlines(), delimiter=sep))
    assert got[0] == rows[0] and len(got) == len(rows)
    standing = got[0].index("Standing")
    assert {r[standing] for r in got[1:]} >= {"good"}
    for before, after in zip(rows[1:], got[1:]):
        assert after[:standing] == before[:standing]  # staff's cells untouched


# -- what a review found, each a test that failed before its fix ------------------------------------------------

def append_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def example_row(folder: Path, email: str) -> list[str]:
    with (folder / "data" / RESPONSES).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return list(next(r for r in rows[1:] if r[1] == email))


def test_a_date_typed_the_other_way_is_a_problem_of_its_cell_not_a_stop(tmp_path, cli):
    """An ambassador types a US date into a day-first sheet: that cell is a new data problem saying how to
    write it (exit 1); the run goes on and the other rows are read as before."""
    config = shipped(tmp_path)
    assert cli("--as-of", AS_OF, "sync-checkins", config=config).code == 0
    row = example_row(tmp_path, "rahul.verma@example.net")
    row[0], row[6] = "19/10/2026 09:00:00", "10/14/2026"
    append_rows(tmp_path / "data" / RESPONSES, [row])
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 1 and "'10/14/2026'" in res.err and "write it as 14/10/2026" in res.err


def test_deleting_a_row_or_sorting_the_sheet_is_not_damage(tmp_path, cli):
    """Sorting the responses by address, then deleting a row (--accept-shrink): no guard, no new problem
    (exit 0), and every problem on record keeps its status (staff's `ignored` too) and First seen day, under
    its row's new number."""
    config = shipped(tmp_path)
    assert cli("--as-of", AS_OF, "sync-checkins", config=config).code == 0
    on_record = sorted((r["Status"], r["First seen"], r["Column"], r["Value"]) for r in problems(tmp_path)
                       if r["Status"] != "fixed")
    path = tmp_path / "data" / RESPONSES
    rows = read_rows(path)
    write_rows(path, [rows[0]] + sorted(rows[1:], key=lambda r: r[1]))
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 0, res.err
    assert sorted((r["Status"], r["First seen"], r["Column"], r["Value"]) for r in problems(tmp_path)
                  if r["Status"] != "fixed") == on_record
    rows = read_rows(path)
    write_rows(path, [rows[0]] + [r for r in rows[1:] if r[1] != "hannah.schmidt@example.com"])
    res = cli("--as-of", AS_OF, "sync-checkins", "--accept-shrink", config=config)
    assert res.code == 0 and "--accept-unusable" not in res.err, res.err
    assert sorted((r["Status"], r["First seen"], r["Column"], r["Value"]) for r in problems(tmp_path)
                  if r["Status"] != "fixed") == on_record


def test_a_german_re_save_keeps_the_problems_ids(tmp_path, cli):
    """`25/10/2026` re-saved as `25.10.2026` is the same cell: its problem keeps its id, status and day."""
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    assert cli("--as-of", AS_OF, "sync-checkins", config=config).code == 0
    before = {r["Problem ID"]: (r["Status"], r["First seen"]) for r in problems(tmp_path)}
    shutil.copy(SHAPES / "de_sheet.csv", path)
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 0, res.err
    after = {r["Problem ID"]: (r["Status"], r["First seen"]) for r in problems(tmp_path)}
    assert after == before


def test_new_responses_from_unknown_addresses_are_problems_not_a_stop(tmp_path, cli):
    """Five responses appended from addresses not on the roster yet: five problems (exit 1); the share that
    stops a run is of the whole source, not of the rows appended since the last run."""
    config = shipped(tmp_path)
    assert cli("--as-of", AS_OF, "sync-checkins", config=config).code == 0
    row = example_row(tmp_path, "rahul.verma@example.net")
    new = [[f"19/10/2026 09:0{i}:00", f"newcomer{i}@example.org", *row[2:]] for i in range(5)]
    append_rows(tmp_path / "data" / RESPONSES, new)
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 1 and res.err.count("matches no ambassador") == 5 and "--accept-unusable" not in res.err


def test_a_cell_past_the_header_is_never_an_answer(tmp_path, cli):
    """A stray cell beyond the last column is nobody's answer, not even a re-created question's."""
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    shutil.copy(SHAPES / "recreated_question.csv", path)
    rows = read_rows(path)
    width = len(rows[0])
    target = next(i for i, r in enumerate(rows) if i > 0 and not r[11].strip() and not r[width - 1].strip()
                  and r[4].strip())
    rows[target] = rows[target] + ["7"]
    write_rows(path, rows)
    assert cli("--as-of", AS_OF, "sync-checkins", config=config).code == 0
    with (tmp_path / "data" / "activities.csv").open(encoding="utf-8", newline="") as fh:
        mine = [r for r in csv.DictReader(fh) if r["Row"] == str(target + 1) and r["Section"] == "1"]
    assert mine and all(r["Hours"] == "" for r in mine)


def test_an_appended_row_is_placed_as_a_full_read_places_it(tmp_path, cli):
    """With a re-created question appended at the end, a run that could read only the new rows reads them
    all: the new row's answer lands where a full read puts it, with no problem."""
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    lines = (SHAPES / "recreated_question.csv").read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:93]))
    assert cli("--as-of", AS_OF, "sync-checkins", "--accept-shrink", config=config).code in (0, 1)
    path.write_bytes(b"".join(lines[:94]))
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert "added by a form edit" not in res.err and "every response read" in res.out


def test_doctor_reads_a_recreated_date_column(tmp_path, cli):
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    shutil.copy(SHAPES / "recreated_dated_question.csv", path)
    rows = read_rows(path)
    last = next(i for i in range(len(rows) - 1, 0, -1) if rows[i][-1].strip())
    rows[last][-1] = "next Tuesday"
    write_rows(path, rows)
    res = cli("--as-of", AS_OF, "doctor", config=config)
    # Every date of the merged column is read (before, the copy was skipped: "1 of 162").
    assert "activity dates: 2 of 269" in res.out


def test_a_semicolon_roster_with_a_carriage_return_in_a_cell_keeps_every_row(tmp_path, cli):
    config = shipped(tmp_path)
    roster = tmp_path / "data" / "ambassadors.csv"
    with roster.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0].append("Contact notes")
    for r in rows[1:]:
        r.append("")
    rows[3][-1] = "Prefers calls\rafter 5pm"
    buf = __import__("io").StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows[:1])
    body = "".join(";".join(f'"{c}"' if any(x in c for x in ';"\r') else c for c in r) + "\n" for r in rows[1:])
    roster.write_text(buf.getvalue().replace("\r\n", "\n") + body, encoding="utf-8")
    assert cli("--as-of", AS_OF, "run-all", config=config).code == 0
    with roster.open(encoding="utf-8", newline="") as fh:
        back = list(csv.reader(fh, delimiter=";"))
    assert len(back) == len(rows) and back[3][rows[0].index("Contact notes")] == "Prefers calls\rafter 5pm"


def test_referral_answers_read_in_the_configured_order():
    from automations.domain.values import TimestampParser

    parse = TimestampParser((), ZoneInfo("Europe/London"), ZoneInfo("Europe/London"), "dmy")
    parse.settle(["05/10/2026 10:00:00"])
    assert parse("05/10/2026 10:00:00").date().isoformat() == "2026-10-05"


# -- what an attack on the reading found -------------------------------------------------------------------------

def test_a_section_whose_kind_question_was_retitled_stops_instead_of_being_lost(tmp_path, cli):
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    shutil.copy(SHAPES / "section_added.csv", path)
    rows = read_rows(path)
    rows[0] = [h.replace("Activity 4: What kind of activity was it?", "Activity 4: What kind of activity is it?")
               for h in rows[0]]
    write_rows(path, rows)
    before = snapshot(tmp_path / "data")
    res = cli("--as-of", AS_OF, "run-all", config=config)
    assert res.code == 2 and "'Activity 4: Title' but no column titled 'Activity 4: What kind" in res.err
    assert snapshot(tmp_path / "data") == before


def test_a_pin_chooses_the_column_and_a_pin_onto_a_used_column_stops(tmp_path, cli, example_verdicts):
    """`Activity 2: When did it take place?` re-created: pinning the new column makes it the question's (the old
    one is left out); pinning the email onto the Timestamp column stops with the key named."""
    config = shipped(tmp_path)
    shutil.copy(SHAPES / "recreated_dated_question.csv", tmp_path / "data" / RESPONSES)
    width = len(read_rows(tmp_path / "data" / RESPONSES)[0])
    set_config(config, column_positions={"2.date": str(width)})
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    doctor = cli("--as-of", AS_OF, "doctor", config=config)
    assert "is in columns" not in doctor.out  # one column, not a merge
    assert res.code in (0, 1)
    set_config(config, column_positions={"email": "A"})
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 2 and "would be read as both timestamp and email" in res.err \
        and "checkin_form.column_positions.email" in res.err


def test_doctor_stops_where_sync_checkins_would(tmp_path, cli):
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    unreadable_timestamps(path)
    res = cli("--as-of", AS_OF, "doctor", config=config)
    assert res.code == 2 and "timestamps: 123 of 123 (100%) cannot be read" in res.err
    shutil.copy(SHAPES / "two_email_columns.csv", path)
    set_config(config, column_positions={"email": "B"})
    res = cli("--as-of", AS_OF, "doctor", config=config)
    assert res.code == 2 and "match no ambassador on the roster" in res.err


def test_a_header_only_download_on_a_fresh_clone_stops(tmp_path, cli):
    """No work cache and no stored activities (a fresh clone): the problems on record say rows were read."""
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    before = snapshot(tmp_path / "data")
    res = cli("--as-of", AS_OF, "run-all", config=config)
    assert res.code == 2 and "only its header row" in res.err and snapshot(tmp_path / "data") == before


def test_utf16_without_a_bom_an_excel_sep_line_and_an_invisible_character_in_a_title(tmp_path, cli,
                                                                                     example_verdicts):
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    rows = read_rows(path)
    rows[0] = [h + "\u200b" if h == "Email Address" else h for h in rows[0]]  # pasted with a zero-width space
    text = "sep=;\r\n" + "".join(";".join(f'"{c}"' for c in r) + "\r\n" for r in rows)
    path.write_bytes(text.encode("utf-16-le"))
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 0, res.err
    assert verdicts(cli, config) == example_verdicts


def test_rows_the_job_does_not_change_keep_their_bytes(tmp_path, cli):
    """A roster with LF line endings, one cell holding a CRLF and one oddly quoted: only the standing columns
    of rows whose standing changes are rewritten; every other row keeps its bytes and the file its endings."""
    config = shipped(tmp_path)
    assert cli("--as-of", AS_OF, "run-all", config=config).code == 0
    roster = tmp_path / "data" / "ambassadors.csv"
    lines = roster.read_bytes().split(b"\n")
    notes = read_rows(roster)[0].index("Notes")
    cells = lines[3].split(b",")
    cells[notes] = b'"Call\r\nafter 5pm"'
    lines[3] = b",".join(cells)
    roster.write_bytes(b"\n".join(lines))
    before = roster.read_bytes()
    assert cli("--as-of", AS_OF, "run-all", config=config).code == 0
    assert roster.read_bytes() == before  # nothing to change: not a byte written
    assert cli("--as-of", "2027-01-10", "compliance", config=config).code in (0, 1)
    after = roster.read_bytes()
    assert after != before and b'"Call\r\nafter 5pm"' in after and after.count(b"\r\n") == 1


def test_one_answer_typed_month_first_does_not_decide_a_download(tmp_path, cli):
    """Google's download (timestamps year first) where every date answer reads both ways but one typed month
    first: that one answer does not decide how all the others read; the run stops naming the key."""
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    shutil.copy(SHAPES / "forms_download.csv", path)
    rows = read_rows(path)
    date_cols = [i for i, h in enumerate(rows[0]) if "When did it take place" in h]
    keep = [r for r in rows[1:] if all(not r[i] or (r[i][:2].isdigit() and int(r[i][:2]) <= 12) for i in date_cols)]
    keep[-1][date_cols[0]] = "09/23/2026"
    write_rows(path, [rows[0]] + keep, quoting=csv.QUOTE_ALL)
    res = cli("--as-of", AS_OF, "sync-checkins", "--accept-shrink", config=config)
    assert res.code == 2 and "checkin_form.date_order" in res.err


# -- what a second review found ------------------------------------------------------------------------------------

def test_new_responses_cannot_hide_old_ones_lost(tmp_path, cli):
    """15 of the 122 earlier timestamps become unreadable while 20 new responses arrive: totals would balance,
    but the guard counts which check-ins it lost, and stops."""
    config = shipped(tmp_path)
    assert cli("--as-of", AS_OF, "sync-checkins", config=config).code == 0
    path = tmp_path / "data" / RESPONSES
    rows = read_rows(path)
    for r in rows[1:16]:
        r[0] = r[0].replace("/", " of ", 1)
    donor = example_row(tmp_path, "rahul.verma@example.net")
    rows += [[f"19/10/2026 10:{i:02d}:00", donor[1], *donor[2:]] for i in range(20)]
    write_rows(path, rows)
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 2 and "15 of the 122 responses" in res.err


def test_a_row_skipped_for_its_address_still_closes_its_other_problems(tmp_path, cli):
    """Good file, a bad one accepted, the good one again: the bad file's problems close, including the one on
    the row of an address no ambassador has (a row skipped for its address was read, unlike one whose
    timestamp could not be)."""
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    good = path.read_bytes()
    assert cli("--as-of", AS_OF, "sync-checkins", config=config).code == 0
    unreadable_timestamps(path)
    assert cli("--as-of", AS_OF, "sync-checkins", "--accept-unusable", config=config).code == 1
    path.write_bytes(good)
    assert cli("--as-of", AS_OF, "sync-checkins", config=config).code == 0
    left = [r for r in problems(tmp_path) if r["Column"] == "Timestamp"]
    assert left and all(r["Status"] == "fixed" for r in left)


def test_a_source_whose_every_date_answer_is_unreadable_stops_on_a_first_run(tmp_path, cli):
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    rows = read_rows(path)
    dates = [i for i, h in enumerate(rows[0]) if "When did it take place" in h]
    for r in rows[1:]:
        for i in dates:
            if r[i].count("/") == 2:
                d, m, y = r[i].split("/")
                r[i] = f"{d}-{['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec'][int(m)-1]}-{y}"
    write_rows(path, rows)
    before = snapshot(tmp_path / "data")
    res = cli("--as-of", AS_OF, "run-all", config=config)
    assert res.code == 2 and "give no usable activity" in res.err and "When did it take place" in res.err
    assert snapshot(tmp_path / "data") == before and not (tmp_path / "outbox").exists()
    doctor = cli("--as-of", AS_OF, "doctor", config=config)
    assert doctor.code == 2 and "activity dates:" in doctor.err


def test_two_check_ins_in_one_minute_each_get_their_receipt(tmp_path, cli):
    config = shipped(tmp_path)
    path = tmp_path / "data" / RESPONSES
    donor = example_row(tmp_path, "rahul.verma@example.net")
    append_rows(path, [["19/10/2026 09:00:05", *donor[1:]]])
    assert cli("--as-of", AS_OF, "run-all", config=config).code in (0, 1)
    second = list(donor)
    second[0], second[5] = "19/10/2026 09:00:50", "Another talk at the same minute"
    append_rows(path, [second])
    assert cli("--as-of", AS_OF, "run-all", config=config).code in (0, 1)
    receipts = [m for m in outbox_messages(tmp_path / "outbox") if m["X-Automation-Job"] == "checkin_receipt"
                and "2026-10-19T09:00" in m["X-Automation-Key"] and "rahul" in m["X-Automation-Key"]]
    assert len(receipts) == 2


@pytest.mark.parametrize("shape", ["%d.%m.%Y", "%m/%d/%Y", "%-d/%-m/%Y"], ids=["german", "us", "uk-unpadded"])
def test_a_roster_whose_dates_were_re_saved_in_another_locale_reads_the_same(tmp_path, cli, example_verdicts, shape):
    """The roster's start dates and status history as Excel re-saves them in Germany or the US: read in the
    roster's own order (settled by its dates), the same verdicts."""
    from datetime import date as day

    config = shipped(tmp_path)
    roster = tmp_path / "data" / "ambassadors.csv"
    rows = read_rows(roster)
    start, history = rows[0].index("Start date"), rows[0].index("Status history")
    for r in rows[1:]:
        r[start] = day.fromisoformat(r[start]).strftime(shape)
        r[history] = "; ".join(day.fromisoformat(e.split()[0]).strftime(shape) + " " + e.split(None, 1)[1]
                               for e in r[history].split("; ") if e.strip())
    write_rows(roster, rows)
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 0, res.err
    assert verdicts(cli, config) == example_verdicts


def test_a_roster_whose_dates_all_read_both_ways_stops_naming_its_key(tmp_path, cli):
    config = shipped(tmp_path)
    roster = tmp_path / "data" / "ambassadors.csv"
    rows = read_rows(roster)
    start = rows[0].index("Start date")
    rows[1:] = [r for r in rows[1:] if int(r[start][8:10]) <= 12]
    for r in rows[1:]:
        r[start] = f"{r[start][8:10]}/{r[start][5:7]}/{r[start][:4]}"
    write_rows(roster, rows)
    res = cli("--as-of", AS_OF, "sync-checkins", config=config)
    assert res.code == 2 and "ambassadors.date_order" in res.err
