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
