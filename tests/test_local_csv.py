"""The local CSV backend: atomic writes, nothing rewritten needlessly, the roster kept as written."""

from __future__ import annotations

import os
from datetime import date

from automations.adapters.csv.report_store import CsvReportStore
from automations.adapters.csv.roster_store import CsvRosterStore
from automations.adapters.files.atomic import atomic_write
from automations.domain import compliance as c
from automations.ports import StandingUpdate
from tests.factories import RULES, activity


def test_atomic_write_leaves_no_temp_and_skips_same_content(tmp_path):
    """A write replaces the file in one step; the same content again does not touch it."""
    path = tmp_path / "t.csv"
    assert atomic_write(path, "a\n") is True
    os.utime(path, (1, 1))
    assert atomic_write(path, "a\n") is False and path.stat().st_mtime == 1
    assert atomic_write(path, "b\n") is True and path.read_text() == "b\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_activities_round_trip(tmp_path):
    """What sync-checkins writes, compliance reads back unchanged (text with commas and quotes too)."""
    files = CsvReportStore(tmp_path)
    acts = [activity(date(2026, 7, 1), title='Talk, "quoted"', row=2),
            activity(date(2026, 7, 2), kind="content", title="Post", row=3, views=1200, audience="devs, ops",
                     engagements=5, reshares=0, link="https://example.org/p", hours=1.5)]
    files.write_activities(c.resolve_copies(acts, RULES))
    assert files.read_activities() == acts


def test_roster_update_adds_columns_once(tmp_path):
    """Missing standing columns are added at the right end, and only once."""
    (tmp_path / "ambassadors.csv").write_text("Name,Email,Notes\nAna,ana@example.org,hi\nBo,bo@example.org,\n")
    store = CsvRosterStore(tmp_path / "ambassadors.csv", {"email": "Email", "name": "Name"},
                           {"standing": "Standing", "streak": "Streak", "perks": "Perks", "last_checkin": "Last check-in"})
    update = {"ana@example.org": StandingUpdate("good", 2, (), None)}
    assert store.write_standings(update).updated == 1
    assert store.write_standings(update).changed == 0
    assert (tmp_path / "ambassadors.csv").read_text() == (
        "Name,Email,Notes,Standing,Streak,Perks,Last check-in\nAna,ana@example.org,hi,good,2,,\nBo,bo@example.org,\n")


def test_replaced_file_keeps_its_permissions(tmp_path):
    """A person's file keeps its mode when a job rewrites it (temp files start as 0600)."""
    path = tmp_path / "roster.csv"
    path.write_text("a\n")
    path.chmod(0o664)
    atomic_write(path, "b\n")
    assert path.stat().st_mode & 0o777 == 0o664


def test_the_problems_a_save_leaves_for_the_next_job_are_what_the_file_reads(tmp_path):
    """run-all's next job asks for the problems sync-checkins just saved: the store hands back what a fresh read
    of the file gives (cells a spreadsheet would run, line breaks, padded ids and owners, a typed status, a
    staff problem that carried an address), without reading the file again."""
    from automations.domain.model import Problem
    from automations.domain.problems import ProblemRecord

    values = ["=1+2", "'quoted", "two\r\nlines", "\ttab", "-5", "+x", "@who", "plain"]
    records = [ProblemRecord(Problem("checkin_responses.csv", i + 2, "Email Address", v, f"reason {v}",
                                     "ana@example.org" if i % 2 else ""),
                             status="open" if i % 3 else "ignored", first_seen=date(2026, 10, 1),
                             owner="ana@example.org" if i % 2 else "staff", id=f"p{i}")
               for i, v in enumerate(values)]
    records.append(ProblemRecord(Problem("roster", 9, "Status", "x", "why", "bo@example.org"), owner="staff",
                                 id=" p-padded ", typed="Maybe"))
    store = CsvReportStore(tmp_path)
    store.save_problems(records)
    kept = store.load_problems()
    fresh = CsvReportStore(tmp_path).load_problems()
    assert kept[7] is records[7]  # not read again: the saved record itself
    assert kept == fresh
    assert [(r.problem.email, r.typed, r.id, r.owner) for r in kept] == \
        [(r.problem.email, r.typed, r.id, r.owner) for r in fresh]
