"""`MemoryWorkCache`: the work cache held for one process only (a context built without a folder, tests).

With it every run is a first run: nothing is kept for the next one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class MemoryWorkCache:
    """The work cache in memory."""

    def __init__(self) -> None:
        self.meta: dict[str, bytes] = {}
        self.tables: dict[str, dict[str, bytes]] = {}
        self.staged: dict[str, dict[str, bytes]] = {}

    def get(self, key: str) -> bytes | None:
        return self.meta.get(key)

    def rows(self, table: str, keys: Iterable[str] | None = None) -> dict[str, bytes]:
        t = self.tables.get(table, {})
        return dict(t) if keys is None else {k: t[k] for k in keys if k in t}

    def write(self, meta: Mapping[str, bytes | None], tables: Mapping[str, Mapping[str, bytes | None]],
              replace: Iterable[str] = (), promote: Iterable[str] = ()) -> None:
        for name in replace:
            self.tables[name] = {}
        for name in promote:
            self.tables.setdefault(name, {}).update(self.staged.pop(name, {}))
        for k, v in meta.items():
            self.meta.pop(k, None) if v is None else self.meta.__setitem__(k, v)
        for name, entries in tables.items():
            t = self.tables.setdefault(name, {})
            for k, v in entries.items():
                t.pop(k, None) if v is None else t.__setitem__(k, v)

    def stage(self, table: str, entries: Mapping[str, bytes]) -> None:
        """Held aside in memory (a process's cache keeps everything in memory anyway)."""
        self.staged.setdefault(table, {}).update(entries)

    def clear(self):
        self.meta, self.tables, self.staged = {}, {}, {}
