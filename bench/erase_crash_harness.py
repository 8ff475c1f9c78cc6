#!/usr/bin/env python3
"""Crash-restart harness for `erase`: killed with SIGKILL, run again, and every file under the program's folder
searched for what is left of the person.

    python bench/erase_crash_harness.py [--iterations 100] [--seed 1] [--workdir DIR] [--json FILE]

The program is the example after two days of `run-all` (the outbox's messages, previews and index), the
quarter's report and an export of the person and of the reviewer of her blog proposal, whose export names her
(`prepare`). The person is Priya Deshmukh, with her address, her names and the texts of hers no one else's row
holds (`NEEDLES`).

Each iteration starts from a fresh copy and kills `erase ADDRESS` in one of two ways, in turn:

- at a checkpoint, through the `AUTOMATIONS_FAILPOINT` hook, cycling through every one erase has (the record
  written, after each table, after the files, after the ledger, after the cache);
- after a delay drawn (seeded) uniformly within a clean erase's duration, wherever it is (in the middle of a
  table's rewrite, between two files...). A run that ends before its kill counts as finished, not as a kill.

Then `erase` runs again once, with no address when a record of the unfinished one is there (as staff are told),
else with the address, and the copy is searched (`tests/traces.py`: messages decoded part by part, PDFs' text,
JSON strings, SQLite values). It prints the kills that landed, the traces left (target 0), and whether a
record was left behind or the rerun failed; it always exits 0: it is a report.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import copy_example  # noqa: E402
from tests.traces import traces  # noqa: E402

PRIYA = "priya.deshmukh@example.org"
#: Her address, names and texts in the example's data that no one else's row holds (read off the CSV files).
NEEDLES = (PRIYA, "priya.deshmukh", "Priya Deshmukh", "Deshmukh", "Segmenting contacts by event attendance",
           "How our Pune user group uses segments", "Mautic 5 upgrade clinic, Pune",
           "https://example.org/events/mautic-5-upgrade-clinic-pune", "Connected with university staff in Pune",
           "https://example.com/networking/connected-with-university-staff-in-pune",
           "Talk: Open source marketing automation at Pune Digital Marketing Days")
JOURNAL = Path("data") / ".erase-unfinished.json"
CHECKPOINTS = ("erase:journal", *(f"erase:table#{n}" for n in range(1, 11)), "erase:files", "erase:ledger",
               "erase:cache")


def cli(folder: Path, *args: str, failpoint: str = "", wait: bool = True):
    env = {k: v for k, v in os.environ.items() if k != "AUTOMATIONS_FAILPOINT"}
    if failpoint:
        env["AUTOMATIONS_FAILPOINT"] = failpoint
    cmd = [sys.executable, "-m", "automations", "--config", str(folder / "config.yaml"), *args]
    if not wait:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def prepare(folder: Path) -> Path:
    """The example with every kind of file that may name her (see the module's docstring)."""
    copy_example(folder)
    proposals = folder / "data" / "blog_proposals.csv"
    with proposals.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        if row[1] == PRIYA:
            row[rows[0].index("Reviewers")] = "joao.pereira@example.com"
    with proposals.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    for day in ("2026-10-19", "2026-11-23"):
        cli(folder, "--as-of", day, "run-all")
    cli(folder, "--as-of", "2026-11-23", "report", "--quarter", "2026Q3")
    for person in (PRIYA, "joao.pereira@example.com"):
        cli(folder, "--as-of", "2026-11-23", "export", person)
    return folder


def one(prepared: Path, work: Path, failpoint: str = "", delay: float | None = None) -> dict:
    """One kill and one rerun on a fresh copy: what happened, and what is left."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(prepared, work)
    proc = cli(work, "--as-of", "2026-11-23", "erase", PRIYA, failpoint=failpoint, wait=False)
    if delay is not None:
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=180)
    killed = proc.returncode == -signal.SIGKILL
    unfinished = (work / JOURNAL).exists()
    rerun = cli(work, "--as-of", "2026-11-23", "erase", *([] if unfinished else [PRIYA]))
    left = traces(work, NEEDLES)
    return {"how": failpoint or f"after {delay:.3f} s", "killed": killed, "record_after_kill": unfinished,
            "rerun_exit": rerun.returncode, "record_left": (work / JOURNAL).exists(), "traces": left}


def run(iterations: int, seed: int, workdir: Path) -> dict:
    rng = random.Random(seed)
    prepared = prepare(workdir / "prepared")
    # A clean erase's duration, on a copy: the window the random kills are drawn in.
    clean = workdir / "clean"
    shutil.copytree(prepared, clean)
    start = time.monotonic()
    cli(clean, "--as-of", "2026-11-23", "erase", PRIYA)
    window = time.monotonic() - start
    assert traces(clean, NEEDLES) == [], "a clean erase leaves traces"
    results = []
    for i in range(iterations):
        if i % 2 == 0:
            results.append(one(prepared, workdir / "work", failpoint=CHECKPOINTS[(i // 2) % len(CHECKPOINTS)]))
        else:
            results.append(one(prepared, workdir / "work", delay=rng.uniform(0, window)))
    return {"iterations": iterations, "seed": seed, "clean_seconds": round(window, 3),
            "kills": sum(r["killed"] for r in results),
            "kills_after_record": sum(r["killed"] and r["record_after_kill"] for r in results),
            "finished_before_kill": sum(not r["killed"] for r in results),
            "reruns_failed": sum(r["rerun_exit"] != 0 for r in results),
            "records_left": sum(r["record_left"] for r in results),
            "traces_left": sum(len(r["traces"]) for r in results),
            "runs_with_traces": [r for r in results if r["traces"]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = run(a.iterations, a.seed, a.workdir or Path(tmp))
    print(f"erase killed {out['kills']} times in {out['iterations']} runs (seed {out['seed']}; a clean erase "
          f"takes {out['clean_seconds']} s): {out['kills_after_record']} after it recorded its work, "
          f"{out['finished_before_kill']} finished before their kill.")
    print(f"after one rerun each: traces left {out['traces_left']} (in {len(out['runs_with_traces'])} runs), "
          f"records left {out['records_left']}, reruns that failed {out['reruns_failed']}.")
    for r in out["runs_with_traces"]:
        print(f"  {r['how']}: {r['traces']}")
    if a.json:
        a.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
