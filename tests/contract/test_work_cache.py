"""The WorkCache contract, on every adapter (a SQLite file, memory): values come back, writes are whole."""

from __future__ import annotations

import pytest

from automations.adapters.files.sqlite_work_cache import SqliteWorkCache
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

    def test_many_keys_at_once(self, cache):
        entries = {f"p{i}@example.org": str(i).encode() for i in range(1800)}
        cache().write({}, {"acts": entries})
        wanted = [f"p{i}@example.org" for i in range(0, 1800, 3)]
        assert cache().rows("acts", wanted) == {k: entries[k] for k in wanted}


class TestSqliteWorkCache(WorkCacheContract):
    kind = adapter_kind("sqlite")


class TestFakeWorkCache(WorkCacheContract):
    kind = adapter_kind("memory")
