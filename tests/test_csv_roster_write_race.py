"""A person's save of the roster at the worst moment (just before the job swaps its new version in)
is never lost: the job merges again from it (issue 8, the roster write race)."""

from __future__ import annotations

import csv
import io
import os
from datetime import date

import pytest

from automations.adapters.csv.roster_store import CsvRosterStore
from automations.adapters.csv.tables import SWAP_ATTEMPTS
from automations.config import DEFAULT_AMBASSADOR_FIELDS, DEFAULT_STANDING_FIELDS
from automations.errors import InputError
from automations.ports import StandingUpdate

BOM = b"\xef\xbb\xbf"
ROSTER = (BOM + "\r\n".join([
    "Name,Email,Start date,Status,Chat handle,Notes,Standing,Streak,Perks,Last check-in",
    "Ana Lima,ana@example.org,2024-01-10,active,@ana,,,,,",
    "Bo Chen,bo@example.org,2025-03-01,active,@bo,\"likes, commas\",,,,",
    "",
]).encode("utf-8"))
UPDATES = {"ana@example.org": StandingUpdate("good", 3, ("free_event_access",), date(2026, 10, 2)),
           "bo@example.org": StandingUpdate("warned", 0, (), None)}


def store(path, hook=None):
    return CsvRosterStore(path, DEFAULT_AMBASSADOR_FIELDS, DEFAULT_STANDING_FIELDS, before_swap=hook)


def rows(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def edit_notes(path, email: str, note: str) -> bytes:
    """A person's edit to another column, saved as their program saves it (same BOM and line endings)."""
    text = path.read_bytes().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text, newline="")))
    col = table[0].index("Notes")
    for r in table[1:]:
        if r and r[1] == email:
            r[col] = note
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(table)
    return BOM + buf.getvalue().encode("utf-8")


def save_in_place(path, data: bytes) -> None:
    with path.open("wb") as fh:  # open, truncate, write, close: the same file (inode) rewritten
        fh.write(data)


def save_by_rename(path, data: bytes) -> None:
    tmp = path.with_name("~lock-like-save.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # a new file under the name, as spreadsheets and many editors save


@pytest.mark.parametrize("save", [save_in_place, save_by_rename])
def test_a_save_just_before_the_swap_is_kept(tmp_path, save):
    """The hook saves a person's note on Bo at the last moment: after the job both the note and the
    standing values are in the file, with its BOM and CRLF line endings, and no temporary file is left."""
    path = tmp_path / "ambassadors.csv"
    path.write_bytes(ROSTER)
    calls = []

    def person_saves():
        calls.append(1)
        if len(calls) == 1:
            save(path, edit_notes(path, "bo@example.org", "call on Tuesday"))

    written = store(path, person_saves).write_standings(UPDATES)
    assert written.updated == 2
    assert len(calls) == 2  # the first swap saw the person's save and merged again
    got = {r["Email"]: r for r in rows(path)}
    assert got["bo@example.org"]["Notes"] == "call on Tuesday"
    assert (got["bo@example.org"]["Standing"], got["bo@example.org"]["Streak"]) == ("warned", "0")
    assert (got["ana@example.org"]["Standing"], got["ana@example.org"]["Perks"],
            got["ana@example.org"]["Last check-in"]) == ("good", "free_event_access", "2026-10-02")
    assert path.read_bytes() == BOM + (
        b"Name,Email,Start date,Status,Chat handle,Notes,Standing,Streak,Perks,Last check-in\r\n"
        b"Ana Lima,ana@example.org,2024-01-10,active,@ana,,good,3,free_event_access,2026-10-02\r\n"
        b"Bo Chen,bo@example.org,2025-03-01,active,@bo,call on Tuesday,warned,0,,\r\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ambassadors.csv"]


def test_second_run_leaves_the_file_byte_for_byte(tmp_path):
    """With nothing to change, nothing is written (not even a swap: the hook is not called)."""
    path = tmp_path / "ambassadors.csv"
    path.write_bytes(ROSTER)
    store(path).write_standings(UPDATES)
    first, mtime = path.read_bytes(), path.stat().st_mtime_ns
    calls = []
    assert store(path, lambda: calls.append(1)).write_standings(UPDATES).changed == 0
    assert path.read_bytes() == first and path.stat().st_mtime_ns == mtime and calls == []


def test_a_file_that_keeps_changing_stops_the_run_and_loses_nothing(tmp_path):
    """A person saving before every try: after the bounded retries the run stops with one sentence,
    the person's last save is the file, and nothing of the job's was written."""
    path = tmp_path / "ambassadors.csv"
    path.write_bytes(ROSTER)
    calls = []

    def keeps_saving():
        calls.append(1)
        save_in_place(path, edit_notes(path, "ana@example.org", f"edit {len(calls)}"))

    with pytest.raises(InputError) as err:
        store(path, keeps_saving).write_standings(UPDATES)
    message = str(err.value)
    assert "kept changing" in message and "nothing was written" in message and "\n" not in message
    assert len(calls) == SWAP_ATTEMPTS
    got = rows(path)
    assert [r["Notes"] for r in got] == [f"edit {SWAP_ATTEMPTS}", "likes, commas"]
    assert {r[t] for r in got for t in ("Standing", "Streak", "Perks", "Last check-in")} == {""}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ambassadors.csv"]


def test_a_roster_left_aside_by_a_stopped_run_is_named(tmp_path):
    """If a run stopped while it held the roster aside, reading it says which file to rename back."""
    (tmp_path / ".ambassadors.csv.k3j9x2.moved").write_bytes(ROSTER)
    with pytest.raises(InputError, match=r"rename .*\.ambassadors\.csv\.k3j9x2\.moved back to ambassadors\.csv"):
        store(tmp_path / "ambassadors.csv").read()
