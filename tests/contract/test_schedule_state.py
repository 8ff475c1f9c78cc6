"""The ScheduleState contract (`scheduler.ScheduleState`): the start of each job's last finished run, kept
across restarts of the scheduler. Adapter: `JsonScheduleState` (one JSON file in `local.dir`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from automations.adapters.files.schedule_state import JsonScheduleState

START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


class ScheduleStateContract:
    """A subclass gives `make`: a factory of states over one storage (each call: the scheduler started again)."""

    @pytest.fixture
    def make(self):
        raise NotImplementedError

    def test_nothing_known_at_first(self, make):
        assert make().last_start("compliance") is None

    def test_a_recorded_start_survives_a_restart(self, make):
        """What one scheduler records, the next one started reads, as the same instant."""
        make().record("compliance", START, 0)
        got = make().last_start("compliance")
        assert got == START and got.utcoffset() is not None

    def test_each_job_has_its_own_and_the_latest_wins(self, make):
        state = make()
        state.record("compliance", START, 0)
        state.record("sync-checkins", START + timedelta(hours=1), 1)
        state.record("compliance", START + timedelta(days=1), 1)  # a failed run finished too: it counts
        again = make()
        assert again.last_start("compliance") == START + timedelta(days=1)
        assert again.last_start("sync-checkins") == START + timedelta(hours=1)
        assert again.last_start("report") is None


class TestJsonScheduleState(ScheduleStateContract):
    @pytest.fixture
    def make(self, tmp_path):
        return lambda: JsonScheduleState(tmp_path / ".schedule.json")

    def test_a_damaged_file_means_nothing_is_known(self, make, tmp_path):
        """Derived state: a damaged file costs the catch-up, never the scheduler."""
        (tmp_path / ".schedule.json").write_text("{not json", encoding="utf-8")
        assert make().last_start("compliance") is None
        make().record("compliance", START, 0)
        assert make().last_start("compliance") == START
