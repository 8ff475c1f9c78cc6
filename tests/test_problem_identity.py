"""A problem is the same problem whatever the source its response was read from: the CSV download,
the linked sheet or the Forms API. Switching sources on the same day tells no one twice and keeps
staff's decisions (issue 17, item 8)."""

from __future__ import annotations

import csv
import json
import os
from datetime import date
from pathlib import Path

os.environ.setdefault("NO_GCE_CHECK", "true")

from automations import bootstrap
from automations.config import load_config
from automations.jobs import run_all
from tests.conftest import copy_example, outbox_messages
from tests.test_google import SA, SHEET, configure, example_rows, form_answers, google, london, sheet_cells

AS_OF = date(2026, 10, 19)


def problems(program: Path) -> dict[str, tuple[str, str, str]]:
    """Problem id -> (status, First seen, Closed), as staff see the file."""
    with (program.parent / "data" / "unusable_rows.csv").open(encoding="utf-8", newline="") as fh:
        return {r["Problem ID"]: (r["Status"], r["First seen"], r["Closed"]) for r in csv.DictReader(fh)}


def run(program: Path):
    ctx = bootstrap.build(load_config(program), AS_OF, dry_run=False)
    return run_all.run(ctx)


def new_problems(results) -> list:
    return [p for r in results for p in r.new_problems]


class TestSwitchingTheResponsesSource:
    def started_on_the_download(self, tmp_path: Path) -> Path:
        program = copy_example(tmp_path / "p")
        results = run(program)
        assert any(s == "ignored" for s, _, _ in problems(program).values())
        assert not new_problems(results)  # the example's problems are on record already
        return program

    def test_to_the_linked_sheet_sends_nothing_and_keeps_every_status(self, tmp_path):
        program = self.started_on_the_download(tmp_path)
        before, sent = problems(program), len(outbox_messages(program.parent / "outbox"))
        with _google(program) as (fake, _):
            use_the_linked_sheet(program, fake)
            results = run(program)
        assert not new_problems(results)
        assert problems(program) == before
        assert len(outbox_messages(program.parent / "outbox")) == sent

    def test_to_the_forms_api_sends_nothing_and_keeps_every_status(self, tmp_path):
        program = self.started_on_the_download(tmp_path)
        before, sent = problems(program), len(outbox_messages(program.parent / "outbox"))
        with _google(program) as (fake, _):
            ctx = bootstrap.build(load_config(program), AS_OF, dry_run=False)
            form_id, _url = ctx.makers.form_builder.create()
            configure(program, checkin_form={"source": "forms", "form_id": form_id})
            slots = json.loads((program.parent / "data" / "form_questions.json").read_text())["questions"]
            headers, rows = example_rows(program.parent / "data" / "checkin_responses.csv")
            for r in rows:
                fake.add_response(form_id, form_answers(slots, headers, r, 3), london(r[0]), None)
            results = run(program)
        assert not new_problems(results)
        assert problems(program) == before
        assert len(outbox_messages(program.parent / "outbox")) == sent

    def test_download_sheet_forms_and_back_on_one_day(self, tmp_path):
        """From the download to the sheet, to the Forms API, and back to the download, one run after each switch:
        every problem keeps its id, status and First seen, nothing new is found and nothing is sent."""
        program = self.started_on_the_download(tmp_path)
        before, sent = problems(program), len(outbox_messages(program.parent / "outbox"))
        with _google(program) as (fake, _):
            headers, rows = use_the_linked_sheet(program, fake)
            steps = [run(program)]
            form_id, _url = bootstrap.build(load_config(program), AS_OF, dry_run=False).makers.form_builder.create()
            slots = json.loads((program.parent / "data" / "form_questions.json").read_text())["questions"]
            for r in rows:
                fake.add_response(form_id, form_answers(slots, headers, r, 3), london(r[0]), None)
            configure(program, checkin_form={"source": "forms", "form_id": form_id})
            steps.append(run(program))
            configure(program, checkin_form={"source": "local"})
            steps.append(run(program))
        assert [new_problems(s) for s in steps] == [[], [], []]
        assert problems(program) == before
        assert len(outbox_messages(program.parent / "outbox")) == sent


class TestUpgradingAProgramOnTheLinkedSheet:
    def test_notes_that_went_under_the_sheets_ids_do_not_go_again(self, tmp_path):
        """A program that read the linked sheet before this version filed its problems under ids naming the
        sheet, and sent its data-problem notes under keys made of them. After the upgrade the ids name the
        download's file; the same day, no note goes again, and every problem keeps its status and First seen."""
        program = copy_example(tmp_path / "p")
        (program.parent / "data" / "unusable_rows.csv").unlink()  # day one files them under the sheet's ids
        with _google(program) as (fake, _):
            use_the_linked_sheet(program, fake)
            before = bootstrap.build(load_config(program), AS_OF, dry_run=False)
            before.problem_names = {}  # the previous version: each source by its own name
            first = run_all.run(before)
            notes = [m for m in outbox_messages(program.parent / "outbox") if m["X-Automation-Job"] == "data_problem"]
            assert notes and any(p.source.startswith("Google Sheet") for r in first for p in r.new_problems)
            on_file = {(s, f) for s, f, _ in problems(program).values()}
            sent = len(outbox_messages(program.parent / "outbox"))
            results = run(program)
        assert len(outbox_messages(program.parent / "outbox")) == sent
        assert not new_problems(results)
        assert {(s, f) for s, f, _ in problems(program).values()} == on_file

def use_the_linked_sheet(program: Path, fake) -> tuple[list[str], list[list[str]]]:
    """The example's responses in the form's linked sheet (São Paulo time, pt_BR), the program reading it; returns
    the download's header and rows."""
    headers, rows = example_rows(program.parent / "data" / "checkin_responses.csv")
    fake.add_spreadsheet(SHEET, time_zone="America/Sao_Paulo", locale="pt_BR",
                         tabs={"Form Responses 1": sheet_cells(headers, rows)}, share_with=(SA,))
    configure(program, checkin_form={"source": "sheets", "spreadsheet_id": SHEET})
    return headers, rows


def _google(program: Path):
    """The `google` fixture of tests.test_google, as a context manager."""
    import contextlib

    return contextlib.contextmanager(google.__wrapped__)(program)
