"""Incremental reruns reach exactly what a full run reaches, whatever changed in between.

Two copies of the example program live through the same weeks: responses arrive in batches, days
pass (windows close, notices fall due), a person edits an earlier response, a correction arrives.
One copy keeps its work cache between runs; the other loses it before every run, so each of its
runs reads and works out everything. After every step both must hold the same files, have sent
the same messages and print the same verdicts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_example, run_in_process, snapshot

RESPONSES = "checkin_responses.csv"


@pytest.fixture
def cli():
    """The command line run in this process: what the work cache decides is tested here, not the process (the
    command line as its own process is tested elsewhere); a run costs no interpreter start."""
    return run_in_process


def make(tmp: Path, name: str, replayed: bool = True) -> Path:
    """A copy of the example; `replayed`: with no data problem on record, for tests that replay the responses
    from their first rows (problems on record from later rows would say the source shrank)."""
    folder = tmp / name
    copy_example(folder, *(("unusable_rows.csv",) if replayed else ()))
    shutil.copytree(ROOT / "drafts", folder / "drafts")
    return folder


def lines_of_example() -> list[str]:
    return (ROOT / "data" / RESPONSES).read_text(encoding="utf-8-sig").splitlines(keepends=True)


def set_responses(folder: Path, lines: list[str]) -> None:
    (folder / "data" / RESPONSES).write_text("".join(lines), encoding="utf-8")


def state(folder: Path) -> dict:
    files = {k: v for k, v in snapshot(folder / "data").items()
             if k in ("activities.csv", "checkins.csv", "unusable_rows.csv", "ambassadors.csv", "blog_proposals.csv")}
    outbox = sorted(p.name for p in (folder / "outbox").rglob("*.eml")) if (folder / "outbox").exists() else []
    return {"files": files, "outbox": outbox}


def verdicts(out: str) -> str:
    return out.split("Summary of run-all")[0]


def test_reruns_with_the_cache_equal_full_runs(tmp_path, cli):
    kept, fresh = make(tmp_path, "kept"), make(tmp_path, "fresh")
    lines = lines_of_example()
    steps = [("2026-07-05", lines[:60]), ("2026-07-25", lines[:86]), ("2026-08-10", lines[:93]),
             ("2026-10-06", lines[:106]), ("2026-10-19", lines), ("2026-10-20", lines), ("2026-10-22", lines)]
    # A person corrects an earlier response (a number in row 50), then a late correction of an activity comes in.
    row50 = lines[49]
    fields = row50.split(",")
    changed = next(i for i, f in enumerate(fields) if f.strip().isdigit() and i > 4)
    fields[changed] = str(int(fields[changed]) + 1)
    edited = lines[:49] + [",".join(fields)] + lines[50:]
    again = edited + [lines[-1].replace("19/10/2026 20:15:35", "23/10/2026 09:00:00")]
    steps += [("2026-10-23", edited), ("2026-10-24", again), ("2026-11-23", again)]
    modes = []
    for day, content in steps:
        for folder in (kept, fresh):
            set_responses(folder, content)
        for cache in fresh.glob("data/.work_cache*"):
            cache.unlink()
        a = cli("--as-of", day, "run-all", config=kept / "config.yaml")
        b = cli("--as-of", day, "run-all", config=fresh / "config.yaml")
        assert a.code == b.code and "Traceback" not in a.err + b.err, (day, a.err, b.err)
        assert verdicts(a.out) == verdicts(b.out), day
        assert state(kept) == state(fresh), day
        modes.append(next(line for line in a.out.splitlines() if "[sync-checkins]" in line and "responses" in line))
    # The kept copy really took the short paths: appended batches, unchanged reruns, an edit read in full.
    assert "only the new responses read" in modes[1] and "no new response" in modes[5]
    assert "every response read" in modes[7] and "only the new responses read" in modes[8]


def test_a_deleted_cache_or_store_file_is_rebuilt(tmp_path, cli):
    folder = make(tmp_path, "p", replayed=False)
    assert cli("--as-of", "2026-10-19", "run-all", config=folder / "config.yaml").code == 0
    first = state(folder)
    (folder / "data" / "activities.csv").unlink()  # someone deletes the store: the cache alone is no proof
    res = cli("--as-of", "2026-10-19", "run-all", config=folder / "config.yaml")
    assert res.code == 0 and state(folder) == first
    (folder / "data" / ".work_cache.sqlite3").write_bytes(b"not a database")
    res = cli("--as-of", "2026-10-19", "run-all", config=folder / "config.yaml")
    assert res.code == 0 and state(folder) == first and "every response read" in res.out
