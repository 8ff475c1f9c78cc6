"""Data problems with a life cycle, honest exit codes, and the guards that stop a run before harm."""

from __future__ import annotations

import csv
import email
import re
import shutil
from dataclasses import replace
from datetime import date
from email import policy
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from automations.domain.model import Problem
from automations.domain.problems import (
    FIXED,
    IGNORED,
    OPEN,
    STAFF,
    ProblemRecord,
    read_status,
    reconcile,
    unknown_status,
)
from tests.conftest import ROOT, copy_example, outbox_messages, run_in_process, snapshot


@pytest.fixture
def cli():
    """The command line run in this process (click's runner): what the jobs decide is tested here, not the
    process (tests/test_cli.py and the overlap and lock tests run real processes)."""
    return run_in_process

RESPONSES = "checkin_responses.csv"


def p(row: int, value: str = "soon", column: str = "Date", email_: str = "ana@example.org",
      source: str = RESPONSES) -> Problem:
    return Problem(source, row, column, value, "is not a date", email_)


# -- the life cycle, as a pure function ------------------------------------------------------------------------

def test_new_problems_open_with_the_day_and_their_owner():
    got = reconcile([], [p(5), p(6, email_="x@stranger.org"), p(2, source="ambassadors.csv", email_="ana@example.org")],
                    date(2026, 10, 1), staff_sources=["ambassadors.csv"], people={"ana@example.org"})
    assert [r.status for r in got.new] == [OPEN] * 3 and got.known == [] and got.changed
    owners = {r.problem.row: r.owner for r in got.records}
    assert owners == {5: "ana@example.org", 6: STAFF, 2: STAFF}  # a stranger's row and the roster are staff's
    assert all(r.first_seen == date(2026, 10, 1) for r in got.records)


def test_known_problems_keep_their_status_and_are_not_new():
    first = reconcile([], [p(5), p(6)], date(2026, 10, 1), [RESPONSES])
    ignored = [r if r.problem.row == 5 else ProblemRecord(r.problem, IGNORED, r.first_seen, None, r.owner)
               for r in first.records]
    again = reconcile(ignored, [p(5), p(6)], date(2026, 10, 2), [RESPONSES])
    assert again.new == [] and [r.problem.row for r in again.known] == [5]  # the ignored one is not listed
    assert {r.problem.row: r.status for r in again.records} == {5: OPEN, 6: IGNORED}
    assert all(r.first_seen == date(2026, 10, 1) for r in again.records) and not again.changed


def test_a_corrected_row_closes_its_problem_and_a_new_value_is_a_new_problem():
    first = reconcile([], [p(5, "soon")], date(2026, 10, 1), [RESPONSES])
    fixed = reconcile(first.records, [p(5, "sometime")], date(2026, 10, 3), [RESPONSES])
    assert [(r.problem.value, r.status, r.closed) for r in fixed.records] == [
        ("soon", FIXED, date(2026, 10, 3)), ("sometime", OPEN, None)] or \
        sorted((r.problem.value, r.status, r.closed) for r in fixed.records) == [
        ("sometime", OPEN, None), ("soon", FIXED, date(2026, 10, 3))]
    assert [r.problem.value for r in fixed.new] == ["sometime"] and len(fixed.closed) == 1
    # Found again after it closed by itself (a bad file, then the good one again): open again, with its First
    # seen day, and not new: nobody is told twice about the same problem.
    back = reconcile(fixed.records, [p(5, "soon")], date(2026, 10, 4), [RESPONSES])
    assert back.new == [] and [(r.problem.value, r.first_seen, r.status) for r in back.known] == [
        ("soon", date(2026, 10, 1), OPEN)]
    # Staff marked one fixed that is still there: open again, and new (someone has to look again).
    staff_fixed = [replace(r, status=FIXED, closed=None) for r in first.records]
    again = reconcile(staff_fixed, [p(5, "soon")], date(2026, 10, 4), [RESPONSES])
    assert [r.problem.value for r in again.new] == ["soon"]


def test_an_ignored_problem_that_vanishes_and_comes_back_stays_ignored():
    first = reconcile([], [p(5, "soon")], date(2026, 10, 1), [RESPONSES])
    ignored = [replace(r, status=IGNORED) for r in first.records]
    gone = reconcile(ignored, [], date(2026, 10, 3), [RESPONSES])
    assert [(r.status, r.closed, r.first_seen) for r in gone.records] == [(IGNORED, date(2026, 10, 3),
                                                                          date(2026, 10, 1))]
    assert gone.closed == []  # not "fixed": staff's decision is kept
    back = reconcile(gone.records, [p(5, "soon")], date(2026, 10, 4), [RESPONSES])
    assert back.new == [] and back.known == []
    assert [(r.status, r.closed, r.first_seen) for r in back.records] == [(IGNORED, None, date(2026, 10, 1))]


def test_a_row_that_could_not_be_read_closes_none_of_its_problems():
    first = reconcile([], [p(5, "soon"), p(6, "later")], date(2026, 10, 1), [RESPONSES])
    after = reconcile(first.records, [], date(2026, 10, 2), [RESPONSES], unread={(RESPONSES, 5)})
    assert {r.problem.row: r.status for r in after.records} == {5: OPEN, 6: FIXED}


def test_only_sources_read_in_full_close_problems():
    first = reconcile([], [p(5), p(3, source="ambassadors.csv")], date(2026, 10, 1))
    # A job that read only the roster finds nothing there: the roster's problem closes, the responses' stays.
    later = reconcile(first.records, [], date(2026, 10, 2), closing_sources=["ambassadors.csv"])
    assert {r.problem.source: r.status for r in later.records} == {RESPONSES: OPEN, "ambassadors.csv": FIXED}


def test_the_id_ignores_the_wording_and_the_folder():
    a = ProblemRecord(Problem("data/checkin_responses.csv", 5, "Date", "soon", "is not a date"))
    b = ProblemRecord(Problem("checkin_responses.csv", 5, "Date", "soon", "cannot be read as a date (v2)"))
    assert a.id == b.id and a.id != ProblemRecord(Problem(RESPONSES, 6, "Date", "soon", "x")).id


# -- the shipped example and the README's first command -----------------------------------------------------------

class TestOneSourceUnderSeveralNames:
    """The responses read from their download, the linked sheet or the Forms API, the roster from its CSV file or
    its Airtable table: one source each, so a problem keeps its id, status and First seen day across a switch."""

    SHEET = "Google Sheet 1abc, tab 'Form Responses 1'"
    NAMES: ClassVar[dict[str, str]] = {SHEET: RESPONSES}

    def test_a_record_from_the_download_is_the_same_problem_read_from_the_sheet(self):
        on_file = reconcile([], [p(5), p(9, "x")], date(2026, 10, 1)).records
        on_file = [replace(r, status=IGNORED) if r.problem.row == 9 else r for r in on_file]
        got = reconcile(on_file, [p(5, source=self.SHEET), p(9, "x", source=self.SHEET)], date(2026, 10, 2),
                        closing_sources=[self.SHEET], names=self.NAMES)
        assert got.new == [] and got.closed == []
        assert {r.id: (r.status, r.first_seen) for r in got.records} == \
               {r.id: (r.status, r.first_seen) for r in on_file}
        assert {r.problem.source for r in got.records} == {self.SHEET}  # where it is read now, for people

    def test_a_record_under_the_old_name_closes_when_the_new_source_no_longer_finds_it(self):
        on_file = reconcile([], [p(5)], date(2026, 10, 1)).records
        got = reconcile(on_file, [], date(2026, 10, 2), closing_sources=[self.SHEET], names=self.NAMES)
        assert [(r.status, r.closed) for r in got.records] == [(FIXED, date(2026, 10, 2))]

    def test_two_records_that_become_one_keep_staffs_decision(self):
        """The same cell on file under both names (two versions' records): the one staff decided on stays."""
        mine = reconcile([], [p(5)], date(2026, 10, 1)).records[0]
        theirs = replace(reconcile([], [p(5, source=self.SHEET)], date(2026, 9, 1)).records[0], status=IGNORED)
        got = reconcile([mine, theirs], [p(5, source=self.SHEET)], date(2026, 10, 2), names=self.NAMES)
        assert [(r.status, r.first_seen) for r in got.records] == [(IGNORED, date(2026, 9, 1))]
        assert got.new == [] and got.known == []

    def test_staffs_ignored_wins_over_a_record_that_closed_by_itself(self):
        """The download's record closed by itself when the sheet took over (an earlier version), and staff ignored
        the sheet's: after the upgrade the one record is ignored, with the earlier First seen."""
        old = replace(reconcile([], [p(5)], date(2026, 8, 1)).records[0], status=FIXED, closed=date(2026, 9, 2))
        sheet = replace(reconcile([], [p(5, source=self.SHEET)], date(2026, 9, 2)).records[0], status=IGNORED)
        got = reconcile([old, sheet], [p(5, source=self.SHEET)], date(2026, 10, 2), names=self.NAMES)
        assert [(r.status, r.first_seen) for r in got.records] == [(IGNORED, date(2026, 8, 1))]
        assert got.new == [] and got.known == []


def test_a_response_of_an_unusable_roster_row_says_so(tmp_path, cli):
    """An ambassador's roster row cannot be used (a status word that means nothing): their responses are skipped
    naming that roster row, not as "matches no ambassador on the roster", which would be false."""
    program = copy_example(tmp_path, "unusable_rows.csv")
    roster = program.parent / "data" / "ambassadors.csv"
    with roster.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    status = rows[0].index("Status")
    email = rows[0].index("Email")
    row_no, who = next((i + 1, r[email]) for i, r in enumerate(rows) if i and r[status] == "active")
    rows[row_no - 1][status] = "Actve"
    with roster.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    res = cli("--as-of", "2026-10-19", "sync-checkins", config=program)
    theirs = [r for r in problems_file(program.parent) if r["Value"].strip().lower() == who.lower()
              and r["Column"] == "Email Address"]
    assert theirs and all(f"row {row_no} of the roster" in r["Problem"] for r in theirs), res.err
    assert not any("matches no ambassador" in r["Problem"] for r in theirs)


def readme_as_of() -> str:
    first = re.search(r"python -m automations --as-of (\d{4}-\d\d-\d\d) run-all", (ROOT / "README.md").read_text())
    assert first, "the README's first command runs run-all on a fixed date"
    return first.group(1)


def shipped(tmp_path: Path) -> Path:
    """The repository as a fresh clone has it: the tracked data (with its problems on record), config, templates."""
    config = copy_example(tmp_path)
    shutil.copytree(ROOT / "drafts", tmp_path / "drafts")
    return config


def outbox_jobs(folder: Path) -> list[str]:
    return [m["X-Automation-Job"] for m in outbox_messages(folder / "outbox")]


def tracked(folder: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(folder / "data").items()
            if k in ("ambassadors.csv", "blog_proposals.csv", RESPONSES, "unusable_rows.csv")}


def test_readme_first_command_exits_0_shows_the_main_messages_and_a_rerun_is_quiet(tmp_path, cli):
    config = shipped(tmp_path)
    before = tracked(tmp_path)
    first = cli("--as-of", readme_as_of(), "run-all", config=config)
    assert first.code == 0, first.err
    assert "unusable (new)" not in first.err and "still open" in first.out
    jobs = outbox_jobs(tmp_path)
    assert {"checkin_reminder", "checkin_receipt", "staff_digest"} <= set(jobs)
    assert {"perk_conference_funding", "perk_free_event_access", "standing_warned"} & set(jobs)  # a notice
    assert tracked(tmp_path) == before  # a fresh clone stays clean: the example ships as post-run state
    second = cli("--as-of", readme_as_of(), "run-all", config=config)
    assert second.code == 0 and second.err == ""
    assert outbox_jobs(tmp_path) == jobs and tracked(tmp_path) == before


def append_response(folder: Path, when: str, email_: str, date_text: str, title: str = "Workshop at the library"):
    """Add a response as the form would (one event in section 1); return its sheet row number."""
    path = folder / "data" / RESPONSES
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    headers = rows[0]
    label = next(k for k, v in kinds(folder / "config.yaml").items() if v == "event")
    row = [""] * len(headers)
    row[0], row[1] = when, email_
    row[headers.index("Activity 1: What kind of activity was it?")] = label
    row[headers.index("Activity 1: Title")] = title
    row[headers.index("Activity 1: When did it take place?")] = date_text
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(row)
    return len(rows) + 1


def kinds(config: Path) -> dict:
    return yaml.safe_load(config.read_text())["checkin_form"]["activity_kinds"]


def problems_file(folder: Path) -> list[dict]:
    with (folder / "data" / "unusable_rows.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def set_status(folder: Path, row: int, status: str) -> None:
    path = folder / "data" / "unusable_rows.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for r in rows[1:]:
        if r[6] == str(row):
            r[1] = status
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def test_a_planted_problem_exits_1_once_then_0_ignored_stops_counting_corrected_closes(tmp_path, cli):
    config = shipped(tmp_path)
    as_of = readme_as_of()
    assert cli("--as-of", as_of, "run-all", config=config).code == 0
    row = append_response(tmp_path, "19/10/2026 09:00:00", "priya.deshmukh@example.org", "last Tuesday")
    path = tmp_path / "data" / RESPONSES

    planted = cli("--as-of", as_of, "run-all", config=config)
    assert planted.code == 1
    new = [line for line in planted.err.splitlines() if line.startswith("unusable (new)")]
    # The unreadable date, and the response left with no usable activity: both about the new row, once each.
    assert len(new) == 2 and all(f"row {row}," in line for line in new) and "'last Tuesday'" in new[0] + new[1]
    records = [r for r in problems_file(tmp_path) if r["Row"] == str(row)]
    assert {(r["Status"], r["First seen"], r["Owner"]) for r in records} == {("open", as_of, "priya.deshmukh@example.org")}

    # Known now: the next run is quiet.
    again = cli("--as-of", as_of, "run-all", config=config)
    assert again.code == 0 and "unusable (new)" not in again.err and "10 data problems reported earlier" in again.out

    # Staff mark it ignored: it stops counting.
    set_status(tmp_path, row, "Ignored")
    ignored = cli("--as-of", as_of, "run-all", config=config)
    assert ignored.code == 0 and "8 data problems reported earlier" in ignored.out
    assert {r["Status"].lower() for r in problems_file(tmp_path) if r["Row"] == str(row)} == {"ignored"}  # as staff typed it

    # The ambassador corrects the row (here: the download holds the corrected answer): the problem is no longer
    # found; staff's "ignored" is kept, dated, should the same value come back.
    path.write_text(path.read_text(encoding="utf-8-sig").replace("last Tuesday", "13/10/2026"), encoding="utf-8")
    fixed = cli("--as-of", as_of, "run-all", config=config)
    assert fixed.code == 0
    assert {(r["Status"].lower(), r["Closed"]) for r in problems_file(tmp_path) if r["Row"] == str(row)} == {
        ("ignored", as_of)}


def test_status_words():
    read = {w: (read_status(w), unknown_status(w)) for w in
            ("Done", " RESOLVED ", "closed", "Ignore", "skip", "Won’t fix", "wontfix", "FIXED", "", "Maybe  later")}
    assert read == {"Done": (FIXED, ""), " RESOLVED ": (FIXED, ""), "closed": (FIXED, ""), "Ignore": (IGNORED, ""),
                    "skip": (IGNORED, ""), "Won’t fix": (IGNORED, ""), "wontfix": (IGNORED, ""),
                    "FIXED": (FIXED, ""), "": (OPEN, ""), "Maybe  later": (OPEN, "Maybe later")}


def test_status_words_staff_type_are_read_or_named(tmp_path, cli):
    """`Skip` (like ignore, won't fix) is ignored and `Done` (like resolved, closed) is fixed; a word that means no
    status keeps the problem open and is named in sync-checkins' output with the problem and the words read."""
    config = shipped(tmp_path)
    as_of = readme_as_of()
    assert cli("--as-of", as_of, "run-all", config=config).code == 0
    row = append_response(tmp_path, "19/10/2026 09:00:00", "priya.deshmukh@example.org", "last Tuesday")
    assert cli("--as-of", as_of, "run-all", config=config).code == 1

    set_status(tmp_path, row, " Won't-Fix ")
    skipped = cli("--as-of", as_of, "run-all", config=config)
    assert skipped.code == 0 and "8 data problems reported earlier" in skipped.out, skipped.out

    set_status(tmp_path, row, "Maybe later")
    unknown = cli("--as-of", as_of, "run-all", config=config)
    assert unknown.code == 0 and "10 data problems reported earlier" in unknown.out
    named = [line for line in unknown.out.splitlines() if "'Maybe later'" in line]
    ids = {r["Problem ID"] for r in problems_file(tmp_path) if r["Row"] == str(row)}
    assert len(named) == len(ids) == 2 and all(any(i in line for i in ids) for line in named), unknown.out
    assert all("stays open" in line and f"row {row}" in line and "done" in line and "won't fix" in line
               for line in named)
    quiet = cli("--as-of", as_of, "sync-checkins", config=config)
    assert "'Maybe later'" in quiet.out  # said again while the word is on record

    # Staff say Done while the response is still as it was: read as fixed, so found again it opens, as new.
    set_status(tmp_path, row, "Done")
    done = cli("--as-of", as_of, "run-all", config=config)
    assert done.code == 1 and sum(f"row {row}," in line for line in done.err.splitlines()
                                  if line.startswith("unusable (new)")) == 2, done.err
    assert "not a status" not in done.out


def test_the_receipt_of_a_dropped_activity_names_the_response_the_column_and_the_fix(tmp_path, cli):
    config = shipped(tmp_path)
    row = append_response(tmp_path, "19/10/2026 09:00:00", "priya.deshmukh@example.org", "sometime soon")
    res = cli("--as-of", "2026-10-19", "run-all", config=config)
    assert res.code == 1
    receipts = [f for f in (tmp_path / "outbox").rglob("checkin_receipt_priya*.eml")]
    bodies = [email.message_from_bytes(f.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
              for f in receipts]
    body = next(b for b in bodies if "could not use" in b)
    flat = " ".join(body.split())
    # The response by its day, never by a sheet's row (which means nothing to an ambassador); the fix said once.
    assert "your response of 19 October" in flat and f"row {row}" not in flat and " row " not in flat
    assert "Activity 1: When did it take place?" in flat and "sometime soon" in flat
    assert flat.count("send the form again") == 1 and "entry.1000001=priya.deshmukh%40example.org" in flat
    # Told once: no separate note about the same problem.
    assert not list((tmp_path / "outbox").rglob("data_problem_priya*.eml"))


# -- guards ------------------------------------------------------------------------------------------------------

def _stored_then(tmp_path, cli, mutate) -> tuple:
    config = shipped(tmp_path)
    assert cli("--as-of", "2026-10-19", "run-all", config=config).code == 0
    shutil.rmtree(tmp_path / "outbox")
    before = snapshot(tmp_path / "data")
    mutate(tmp_path / "data" / RESPONSES)
    before[RESPONSES] = (tmp_path / "data" / RESPONSES).read_bytes()
    return config, before


def header_only(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8-sig").splitlines()[0] + "\n", encoding="utf-8")


def shrunk(path: Path) -> None:
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    path.write_text("".join(lines[:-10]), encoding="utf-8")


def test_header_only_source_stops_before_any_write_or_send(tmp_path, cli):
    config, before = _stored_then(tmp_path, cli, header_only)
    res = cli("--as-of", "2026-10-20", "run-all", config=config)
    assert res.code == 2 and "only its header row" in res.err and "--accept-shrink" in res.err
    assert "Traceback" not in res.err
    assert snapshot(tmp_path / "data") == before and not (tmp_path / "outbox").exists()


def test_empty_source_stops(tmp_path, cli):
    config, before = _stored_then(tmp_path, cli, lambda path: path.write_bytes(b""))
    res = cli("--as-of", "2026-10-20", "run-all", config=config)
    assert res.code == 2 and "empty" in res.err
    assert snapshot(tmp_path / "data") == before and not (tmp_path / "outbox").exists()


def test_shrunken_source_stops_until_confirmed(tmp_path, cli):
    config, before = _stored_then(tmp_path, cli, shrunk)
    res = cli("--as-of", "2026-10-20", "sync-checkins", config=config)
    assert res.code == 2 and "113 response rows" in res.err and "123 rows were read before" in res.err
    assert snapshot(tmp_path / "data") == before
    confirmed = cli("--as-of", "2026-10-20", "run-all", "--accept-shrink", config=config)
    assert confirmed.code in (0, 1) and "Error" not in confirmed.err
    assert snapshot(tmp_path / "data") != before


def test_a_mass_warning_run_holds_its_notices_until_confirmed(tmp_path, cli):
    config = shipped(tmp_path)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["guards"] = {"max_warning_share": 0.1, "min_held_notices": 2}
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    # 2026-10-22: 2026Q3 is final; 7 of the 31 active ambassadors missed it (more than 10%).
    held = cli("--as-of", "2026-10-22", "run-all", config=config)
    assert "Held: 7 of 31 active ambassadors (23%" in held.out
    jobs = outbox_jobs(tmp_path)
    assert "notices_held" in jobs
    assert not {"standing_warned", "standing_under_review", "standing_under_review_staff"} & set(jobs)
    note = next((tmp_path / "outbox").rglob("notices_held_*.eml"))
    text = email.message_from_bytes(note.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    assert "7 of 31 active ambassadors" in text and "--send-held-notices" in text
    # Told once, held until confirmed.
    again = cli("--as-of", "2026-10-23", "notices", config=config)
    assert outbox_jobs(tmp_path).count("notices_held") == jobs.count("notices_held")
    assert "standing_warned" not in outbox_jobs(tmp_path) and again.code == 0
    sent = cli("--as-of", "2026-10-23", "notices", "--send-held-notices", config=config)
    assert sent.code == 0
    assert outbox_jobs(tmp_path).count("standing_warned") + outbox_jobs(tmp_path).count("standing_under_review") == 7


def test_status_words_on_airtable(airtable, program):
    """On the base, Status options staff added (typed through the API with typecast, as a creator may): `Skip`
    reads as ignored, `Maybe later` keeps the problem open and sync-checkins names it."""
    from pyairtable import Api

    from automations.jobs import sync_checkins
    from tests.airtable_env import BASE, TOKEN

    day = date(2026, 10, 19)
    sync_checkins.run(airtable.ctx(day))
    first, second = airtable.records("Data problems")[:2]
    airtable.clock.advance(1.1)
    table = Api(TOKEN, endpoint_url=airtable.fake.url).table(BASE, "Data problems")
    table.update(first["id"], {"Status": "Skip"}, typecast=True)
    table.update(second["id"], {"Status": "Maybe later"}, typecast=True)
    ctx = airtable.ctx(day)
    res = sync_checkins.run(ctx)
    named = [line for line in res.summary if "'Maybe later'" in line]
    assert len(named) == 1 and second["fields"]["Key"] in named[0] and "stays open" in named[0]
    assert not any("'Skip'" in line for line in res.summary)
    status = {r.id: r.status for r in ctx.stores.reports.load_problems()}
    assert (status[first["fields"]["Key"]], status[second["fields"]["Key"]]) == (IGNORED, OPEN)
