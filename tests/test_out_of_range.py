"""Issue 18, "crashes instead of one sentence": a date no one can mean (year 9999, year 1) in a staff table is a
data problem of its row; `--as-of` and `report --quarter` outside the documented range are one sentence (exit
2); a template that raises while rendering fails that message only; an oversized cell or file is one clear
problem for every reader of staff files; a conduct register that is not UTF-8 stops before any mail goes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import copy_example, run_cli, snapshot
from tests.test_cli_safeguards import edit_csv

AS_OF = "2026-10-19"
PRIYA = "priya.deshmukh@example.org"
RANGE = "outside the dates the program reads (1900-01-01 to 2199-12-31)"


@pytest.fixture
def program(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def set_cell(path: Path, email: str, column: str, value: str) -> None:
    def edit(rows):
        col = rows[0].index(column)
        for row in rows[1:]:
            if email in row:
                row[col] = value
                return
        raise AssertionError(f"{email} not in {path}")
    edit_csv(path, edit)


def write_table(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])


def test_a_year_9999_date_in_any_staff_table_is_a_problem_of_its_row(program: Path):
    data = program.parent / "data"
    set_cell(data / "ambassadors.csv", PRIYA, "Start date", "9999-10-02")
    set_cell(data / "ambassadors.csv", "arjun.nair@example.com", "Status history", "0001-01-05 paused")
    write_table(data / "conduct_register.csv", ["Email", "Date", "Step", "Description", "Recorded by"],
                [[PRIYA, "9999-11-23", "warning", "late", "staff@example.org"]])
    write_table(data / "funding_requests.csv",
                ["Ambassador email", "What", "Kind", "Amount", "Currency", "Event date", "Region", "Status",
                 "Approved amount", "Invoice", "Invoice received", "Evidence", "Requested on", "First seen",
                 "Flags", "Reminders sent"],
                [["joao.pereira@example.com", "Travel", "travel", "300", "EUR", "9999-11-23", "", "requested",
                  "", "", "", "", "", "", "", ""]])
    edit_csv(data / "blog_proposals.csv", lambda rows: rows[1].__setitem__(rows[0].index("Published on"),
                                                                          "9999-01-01"))
    run = run_cli("--as-of", AS_OF, "run-all", config=program)
    assert run.code == 1, run.err
    assert "Traceback" not in run.err and "Summary of run-all" in run.out
    said = run.out + run.err
    assert f"ambassadors.csv row 2, column 'Start date': '9999-10-02' is {RANGE}" in said
    assert "column 'Status history'" in said and f"whose date '0001-01-05' is {RANGE}" in said
    assert f"funding_requests.csv row 2, column 'Event date': '9999-11-23' is {RANGE}" in said
    assert f"column 'Published on': '9999-01-01' is {RANGE}" in said
    assert "conduct register: 1 row unreadable" in run.out
    # the others still got their mail
    assert list((program.parent / "outbox").rglob("*.eml"))


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31", "2200-01-01"])
def test_an_as_of_outside_the_documented_range_is_one_sentence(program: Path, day: str):
    run = run_cli("--as-of", day, "run-all", config=program)
    assert run.code == 2 and "Traceback" not in run.err
    assert f"'{day}' is outside the days a run may treat as today (2000-01-01 to 2199-12-31)" in run.err
    assert not (program.parent / "outbox").exists()


@pytest.mark.parametrize("quarter", ["0001Q1", "9999Q3", "Q1 1999"])
def test_a_quarter_outside_the_documented_range_is_one_sentence(program: Path, quarter: str):
    for command in ("report", "compliance"):
        run = run_cli("--as-of", AS_OF, command, "--quarter", quarter, config=program)
        assert run.code == 2 and "Traceback" not in run.err, run.err
        assert run.err.strip() == (f"Error: --quarter '{quarter}' is outside the quarters the program reads "
                                   f"(2000Q1 to 2199Q4).")
    assert not (program.parent / "reports").exists()


def test_the_edges_of_the_range_run(program: Path):
    run = run_cli("--as-of", "2199-12-31", "--dry-run", "run-all", config=program)
    assert run.code in (0, 1) and "Traceback" not in run.err and "Summary of run-all" in run.out


def test_a_template_raising_while_rendering_fails_that_message_only(program: Path):
    """`{{ 1/0 }}` for one recipient: that reminder is a failure of the job, named; every other message goes."""
    template = program.parent / "templates" / "emails" / "checkin_reminder.txt"
    template.write_text(template.read_text(encoding="utf-8")
                        + "{% if 'Daan' in recipient_name %}{{ 1/0 }}{% endif %}\n", encoding="utf-8")
    run = run_cli("--as-of", AS_OF, "run-all", config=program)
    assert run.code == 1 and "Traceback" not in run.err and "Summary of run-all" in run.out
    failed = [line for line in run.err.splitlines() if line.startswith("failed:")]
    assert len(failed) == 1, run.err
    assert "checkin_reminder:2026Q3:daan.janssen@example.com" in failed[0]
    assert "checkin_reminder.txt failed (line" in failed[0] and "ZeroDivisionError: division by zero" in failed[0]
    sent = [p.name for p in (program.parent / "outbox").rglob("*.eml")]
    assert any("checkin_reminder" in n for n in sent) and not any("daan" in n.lower() for n in sent)


def test_a_cell_over_the_limit_stops_export_and_erase_with_one_sentence_before_any_write(program: Path):
    """Every reader of staff files holds cells to the same limit (10 MiB): `run-all`, `export` and `erase`
    each say so in one sentence (exit 2), and `erase` has changed nothing when it says it."""
    folder = program.parent
    blog = folder / "data" / "blog_proposals.csv"
    original = blog.read_bytes()
    edit_csv(blog, lambda rows: rows[-1].__setitem__(rows[0].index("Summary"), "x" * (10 * 1024 * 1024 + 1)))
    before = snapshot(folder)
    for args in (["export", PRIYA], ["erase", PRIYA], ["run-all"]):
        run = run_cli("--as-of", AS_OF, *args, config=program)
        assert run.code == 2 and "Traceback" not in run.err, (args, run.err[-2000:])
        assert "blog_proposals.csv cannot be read at row" in run.err and "larger than 10 MiB" in run.err, args
        assert len(run.err.strip().splitlines()) == 1, args
        if args[0] == "erase":
            after = snapshot(folder)  # the privacy key and the mail lock may be new; nothing there was changed
            assert {name: after.get(name) for name in before} == before
    # fixed, erase goes through
    blog.write_bytes(original)
    run = run_cli("--as-of", AS_OF, "erase", PRIYA, config=program)
    assert run.code == 0, run.err
    assert PRIYA.encode() not in (folder / "data" / "ambassadors.csv").read_bytes()


def test_a_conduct_register_not_in_utf8_stops_run_all_before_any_mail(program: Path):
    folder = program.parent
    (folder / "data" / "conduct_register.csv").write_bytes(
        b"Email,Date,Step,Description,Recorded by\r\n"
        + f"{PRIYA},2026-09-01,warning,caf\xe9 incident,staff@example.org\r\n".encode("cp1252"))
    before = snapshot(folder)
    run = run_cli("--as-of", AS_OF, "run-all", config=program)
    assert run.code == 2 and "Traceback" not in run.err
    assert run.err.strip().startswith("Error: The conduct register file ") and "is not UTF-8" in run.err
    assert not (folder / "outbox").exists()
    after = snapshot(folder)
    assert {name: after.get(name) for name in before} == before


def test_a_report_template_raising_fails_that_file_only(program: Path):
    newsletter = program.parent / "templates" / "report" / "newsletter.md"
    newsletter.write_text(newsletter.read_text(encoding="utf-8") + "{{ 1/0 }}\n", encoding="utf-8")
    assert run_cli("--as-of", AS_OF, "sync-checkins", config=program).code in (0, 1)
    run = run_cli("--as-of", AS_OF, "report", "--quarter", "2026Q3", config=program)
    assert run.code == 1 and "Traceback" not in run.err, run.err
    assert "newsletter.md" in run.err and "ZeroDivisionError: division by zero; not written" in run.err
    folder = program.parent / "reports" / "2026Q3"
    assert (folder / "report.html").is_file() and not (folder / "newsletter.md").exists()


def test_a_file_over_the_size_limit_is_one_sentence_for_every_reader(program: Path):
    """A staff file over 1 GiB (made sparse here: no disk, no time) is refused before it is read, by `run-all`,
    `export` and `erase` alike, with one sentence (exit 2), and nothing is changed."""
    folder = program.parent
    before = {name: data for name, data in snapshot(folder).items() if not name.endswith("blog_proposals.csv")}
    with (folder / "data" / "blog_proposals.csv").open("r+b") as fh:
        fh.truncate((1 << 30) + 1)
    for args in (["run-all"], ["export", PRIYA], ["erase", PRIYA]):
        run = run_cli("--as-of", AS_OF, *args, config=program)
        assert run.code == 2 and "Traceback" not in run.err, (args, run.err[-2000:])
        lines = run.err.strip().splitlines()
        assert len(lines) == 1 and "blog_proposals.csv holds 1,073,741,825 bytes, more than the 1 GiB" in lines[0]
    assert {name: (folder / name).read_bytes() for name in before} == before


def test_a_year_9999_start_date_in_an_airtable_roster_is_a_problem_of_its_record(program: Path, airtable_base):
    """The same on the Airtable backend: a date field staff set to 9999-10-02 (Airtable's date fields take any
    ISO date of years 0001..9999) is that record's data problem; the rest of the run goes on."""
    from datetime import date

    from tests.airtable_env import AirtableEnv, seed_roster, use_airtable

    fake, clock = airtable_base
    set_cell(program.parent / "data" / "ambassadors.csv", PRIYA, "Start date", "9999-10-02")
    use_airtable(program, fake.url)
    env = AirtableEnv(fake, clock, program)
    env.ctx(date(2026, 10, 19)).stores.admin.init(dry_run=False)
    seed_roster(env, program.parent / "data" / "ambassadors.csv")
    from automations.jobs import run_all

    results = run_all.run(env.ctx(date(2026, 10, 19)))
    problems = [p for r in results for p in r.problems]
    bad = {(p.source, p.row, p.column, p.value, p.reason) for p in problems if "9999-10-02" in p.value}
    assert bad == {("Ambassadors", 2, "Start date", "9999-10-02", f"is {RANGE}; the ambassador was skipped")}
    assert any(r.job == "retention" for r in results)  # the run went on to its last step
