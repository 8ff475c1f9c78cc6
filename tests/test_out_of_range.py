"""Issue 18, "crashes instead of one sentence": a date no one can mean (year 9999, year 1) in a staff table is a
data problem of its row; `--as-of` and `report --quarter` outside the documented range are one sentence (exit
2); a template that raises while rendering fails that message only; an oversized cell or file is one clear
problem for every reader of staff files; a conduct register that is not UTF-8 stops before any mail goes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from tests.conftest import copy_example, run_cli

AS_OF = "2026-10-19"
PRIYA = "priya.deshmukh@example.org"
RANGE = "outside the dates the program reads (1900-01-01 to 2199-12-31)"


@pytest.fixture
def program(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def rewrite(path: Path, edit) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def set_cell(path: Path, email: str, column: str, value: str) -> None:
    def edit(rows):
        col = rows[0].index(column)
        for row in rows[1:]:
            if email in row:
                row[col] = value
                return
        raise AssertionError(f"{email} not in {path}")
    rewrite(path, edit)


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
    rewrite(data / "blog_proposals.csv", lambda rows: rows[1].__setitem__(rows[0].index("Published on"),
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
