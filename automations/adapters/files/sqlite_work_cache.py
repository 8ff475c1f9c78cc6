"""`SqliteWorkCache`: what a run worked out, kept for the next run so it only does new work.

One SQLite file in the local folder (`.work_cache.sqlite3`, git-ignored). It holds derived state
only (the responses already read, each ambassador's activity copies and record summary): deleting
it costs one full run, never data. A write is one transaction, so a run killed half-way leaves the
previous state whole; the jobs check every entry against the inputs before trusting it.
Entries a run makes as it goes (`stage`) wait in a database of their own that SQLite makes as a file
with no name (deleted as it is opened, gone with the connection): no other process sees them, the
cache file is neither created nor locked for them, and a process that ends before the `write` that
promotes them leaves nothing behind; that `write` moves them into the cache in the same transaction
as the state that claims them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

from ... import file_modes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS entries (tbl TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (tbl, key));
"""
# The values live in a table of their own, apart from the index of keys: in the `entry` table versions before kept
# (WITHOUT ROWID, keys and values in one tree), every search that passed a large value (a full read's tally, some
# megabytes) read all of it, so writing ten thousand records after one cost seconds. A cache with that table is
# forgotten whole (its state with it): the next run reads everything, as after a lost cache.
_STAGED = """CREATE TABLE staged (tbl TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (tbl, key))"""


def _upgrade(db: sqlite3.Connection) -> None:
    """Forget a cache with the old `entry` table, in one transaction (its state goes with its entries)."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entry'").fetchone():
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DROP TABLE entry")
            db.execute("DELETE FROM meta")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


class SqliteWorkCache:
    def __init__(self, path: Path, read_only: bool = False):
        """`read_only` (a dry run): read what is there, create and write nothing."""
        self.path = Path(path)
        self.read_only = read_only
        self._db: sqlite3.Connection | None = None
        self._staged: sqlite3.Connection | None = None  # the nameless database of staged entries, once made

    def _conn(self) -> sqlite3.Connection:
        if self._db is None and self.read_only:
            db = sqlite3.connect(":memory:", isolation_level=None)
            db.executescript(_SCHEMA)
            if self.path.exists():
                try:
                    disk = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
                    disk.backup(db)
                    disk.close()
                    _upgrade(db)  # the copy in memory only
                    db.executescript(_SCHEMA)
                except sqlite3.DatabaseError:
                    pass  # unreadable: as if empty (the real run starts it over)
            self._db = db
        if self._db is None:
            file_modes.make_dirs(self.path.parent)
            try:
                db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
                db.executescript(_SCHEMA)
            except sqlite3.DatabaseError:  # not a database any more (a bad copy, a truncated file): start over
                self.path.unlink(missing_ok=True)
                db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
                db.executescript(_SCHEMA)
            # A rollback journal, not WAL: a run that only reads leaves the file byte for byte as it was.
            db.execute("PRAGMA journal_mode=DELETE")
            # What is deleted is overwritten with zeros, not left in free pages (a build's default may be off).
            db.execute("PRAGMA secure_delete=ON")
            _upgrade(db)
            self._db = db
        return self._db

    def _absent(self) -> bool:
        """No cache yet: a read finds nothing, and creates nothing (a run that stops leaves no file behind)."""
        return self._db is None and not self.path.exists()

    def get(self, key: str) -> bytes | None:
        if self._absent():
            return None
        row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def rows(self, table: str, keys: Iterable[str] | None = None) -> dict[str, bytes]:
        if self._absent():
            return {}
        db = self._conn()
        if keys is None:
            return dict(db.execute("SELECT key, value FROM entries WHERE tbl = ?", (table,)))
        out: dict[str, bytes] = {}
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            out.update(db.execute(f"SELECT key, value FROM entries WHERE tbl = ? AND key IN ({marks})",
                                  (table, *chunk)))
        return out

    def stage(self, table: str, entries: Mapping[str, bytes]) -> None:
        if self.read_only or not entries:
            return
        if self._staged is None:
            self._staged = sqlite3.connect("", isolation_level=None)  # "": a file with no name, SQLite's own
            self._staged.executescript(_STAGED)
        db = self._staged
        db.execute("BEGIN")
        try:
            db.executemany("INSERT OR REPLACE INTO staged (tbl, key, value) VALUES (?, ?, ?)",
                           [(table, k, v) for k, v in entries.items()])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def write(self, meta: Mapping[str, bytes | None], tables: Mapping[str, Mapping[str, bytes | None]],
              replace: Iterable[str] = (), promote: Iterable[str] = ()) -> None:
        """One transaction: empty the tables in `replace`, move in the entries staged for those in `promote`,
        set (or, with None, delete) meta keys and table entries."""
        replace, promote = list(replace), [t for t in promote if self._staged is not None]
        if self.read_only or (not any(tables.values()) and not meta and not replace and not promote):
            return
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in replace:
                db.execute("DELETE FROM entries WHERE tbl = ?", (table,))
            staged = self._staged
            for table in promote:  # streamed across, a row at a time: not held
                assert staged is not None
                db.executemany("INSERT OR REPLACE INTO entries (tbl, key, value) VALUES (?, ?, ?)",
                               staged.execute("SELECT tbl, key, value FROM staged WHERE tbl = ?", (table,)))
            for key, value in meta.items():
                if value is None:
                    db.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
            for table, entries in tables.items():
                db.executemany("DELETE FROM entries WHERE tbl = ? AND key = ?",
                               [(table, k) for k, v in entries.items() if v is None])
                db.executemany("INSERT OR REPLACE INTO entries (tbl, key, value) VALUES (?, ?, ?)",
                               [(table, k, v) for k, v in entries.items() if v is not None])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if promote and self._staged is not None:  # kept: what was staged for them is done with
            self._staged.executemany("DELETE FROM staged WHERE tbl = ?", [(t,) for t in promote])

    def clear(self) -> None:
        """Forget everything, and leave none of it in the file: deleted with secure delete on, then the file
        rebuilt (VACUUM), so an erased address is in no free page, nor in the pages' slack."""
        self.write({}, {}, replace=())
        db = self._conn()
        db.execute("DELETE FROM meta")
        db.execute("DELETE FROM entries")
        if self._staged is not None:
            self._staged.execute("DELETE FROM staged")
        db.execute("VACUUM")
