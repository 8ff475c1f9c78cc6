"""The WorkCache contract, on every adapter (a SQLite file, memory): values come back, writes are whole."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from automations.adapters.files.sqlite_work_cache import SqliteWorkCache
from tests.conftest import ROOT
from tests.contract.conftest import adapter_kind
from tests.fakes import FakeWorkCache


@pytest.fixture
def cache(kind, request, tmp_path):
    if kind == "sqlite":
        return lambda: SqliteWorkCache(tmp_path / ".work_cache.sqlite3")
    one = FakeWorkCache()
    return lambda: one


class WorkCacheContract:
    """What every work cache promises; a subclass names its adapter (`kind`)."""

    def test_values_and_entries_round_trip(self, cache):
        c = cache()
        assert c.get("sync") is None and c.rows("acts") == {}
        c.write({"sync": b"\x00state"}, {"acts": {"ana@example.org": b"a", "bo@example.org": b"b"}})
        again = cache()  # a new run opens it again
        assert again.get("sync") == b"\x00state"
        assert again.rows("acts") == {"ana@example.org": b"a", "bo@example.org": b"b"}
        assert again.rows("acts", ["bo@example.org", "cy@example.org"]) == {"bo@example.org": b"b"}
        assert again.rows("slim") == {}

    def test_none_deletes_and_replace_empties_a_table(self, cache):
        c = cache()
        c.write({"a": b"1", "b": b"2"}, {"t": {"x": b"1", "y": b"2"}, "u": {"z": b"3"}})
        c.write({"a": None}, {"t": {"x": None, "w": b"4"}})
        assert c.get("a") is None and c.get("b") == b"2" and c.rows("t") == {"y": b"2", "w": b"4"}
        c.write({}, {"t": {"v": b"5"}}, replace=["t"])
        assert cache().rows("t") == {"v": b"5"} and cache().rows("u") == {"z": b"3"}
        c.clear()
        assert cache().get("b") is None and cache().rows("u") == {}

    def test_staged_entries_are_kept_only_by_a_write_that_promotes_them(self, cache):
        """Entries staged as a run makes them are seen by no read until the write that keeps the state claiming
        them; that write replaces the table's old entries with them when asked to."""
        c = cache()
        c.write({"sync": b"old"}, {"acts": {"gone@example.org": b"0"}})
        c.stage("acts", {"ana@example.org": b"a1"})
        c.stage("acts", {"ana@example.org": b"a2", "bo@example.org": b"b"})  # staged again: replaced
        assert c.rows("acts") == {"gone@example.org": b"0"} and cache().rows("acts") == {"gone@example.org": b"0"}
        c.write({"sync": b"new"}, {"tally": {"2": b"t"}})  # a write that does not promote them keeps them staged
        assert cache().rows("acts") == {"gone@example.org": b"0"}
        c.write({"sync": b"newer"}, {}, replace=["acts"], promote=["acts"])
        again = cache()
        assert again.get("sync") == b"newer" and again.rows("tally") == {"2": b"t"}
        assert again.rows("acts") == {"ana@example.org": b"a2", "bo@example.org": b"b"}
        c.write({}, {}, promote=["acts"])  # promoted once: nothing is left to promote again
        assert cache().rows("acts") == {"ana@example.org": b"a2", "bo@example.org": b"b"}

    def test_many_keys_at_once(self, cache):
        entries = {f"p{i}@example.org": str(i).encode() for i in range(1800)}
        cache().write({}, {"acts": entries})
        wanted = [f"p{i}@example.org" for i in range(0, 1800, 3)]
        assert cache().rows("acts", wanted) == {k: entries[k] for k in wanted}


class TestSqliteWorkCache(WorkCacheContract):
    kind = adapter_kind("sqlite")

    def test_a_run_that_ends_before_promoting_leaves_the_state_it_found(self, tmp_path):
        """The crash rule: staged entries live in the connection's own TEMP table, so a process that ends
        before the promoting write leaves the file as it was, and the next run promotes nothing of them."""
        path = tmp_path / ".work_cache.sqlite3"
        SqliteWorkCache(path).write({"sync": b"old"}, {"acts": {"ana@example.org": b"old"}})
        before = path.read_bytes()
        crash = ("import os, sys; from pathlib import Path; "
                 "from automations.adapters.files.sqlite_work_cache import SqliteWorkCache; "
                 "c = SqliteWorkCache(Path(sys.argv[1])); "
                 "c.stage('acts', {'ana@example.org': b'new', 'bo@example.org': b'b'}); os._exit(3)")
        done = subprocess.run([sys.executable, "-c", crash, str(path)], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 3, done.stderr  # killed after staging, before any promoting write
        assert path.read_bytes() == before
        nxt = SqliteWorkCache(path)
        assert nxt.get("sync") == b"old" and nxt.rows("acts") == {"ana@example.org": b"old"}
        nxt.write({"sync": b"next"}, {}, promote=["acts"])
        assert nxt.rows("acts") == {"ana@example.org": b"old"} and before != path.read_bytes()

    def test_a_cache_of_the_earlier_layout_is_forgotten_whole(self, tmp_path):
        """The layout before kept keys and values in one WITHOUT ROWID tree (`entry`): such a file is read as an
        empty cache (state and entries together, so no state claims entries that are gone), dry runs included."""
        path = tmp_path / ".work_cache.sqlite3"
        old = sqlite3.connect(path)
        old.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);"
                          "CREATE TABLE entry (tbl TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, "
                          "PRIMARY KEY (tbl, key)) WITHOUT ROWID;"
                          "INSERT INTO meta VALUES ('sync', x'01');"
                          "INSERT INTO entry VALUES ('acts', 'ana@example.org', x'02');")
        old.close()
        dry = SqliteWorkCache(path, read_only=True)
        assert dry.get("sync") is None and dry.rows("acts") == {}
        cache = SqliteWorkCache(path)
        assert cache.get("sync") is None and cache.rows("acts") == {}
        cache.write({"sync": b"new"}, {"acts": {"bo@example.org": b"b"}})
        assert SqliteWorkCache(path).rows("acts") == {"bo@example.org": b"b"}

    def test_a_dry_runs_cache_stages_nothing(self, tmp_path):
        path = tmp_path / ".work_cache.sqlite3"
        SqliteWorkCache(path).write({"sync": b"old"}, {})
        before = path.read_bytes()
        dry = SqliteWorkCache(path, read_only=True)
        dry.stage("acts", {"ana@example.org": b"a"})
        dry.write({"sync": b"new"}, {}, promote=["acts"])
        assert path.read_bytes() == before and SqliteWorkCache(path).rows("acts") == {}


class TestFakeWorkCache(WorkCacheContract):
    kind = adapter_kind("memory")
