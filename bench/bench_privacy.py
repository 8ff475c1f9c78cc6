#!/usr/bin/env python3
"""Benchmark: `export EMAIL`, `erase EMAIL` and `retention` on a large synthetic program.

    python bench/bench_privacy.py [--ambassadors 10000] [--quarters 40] [--seed 1] [--workdir DIR]

Generates a fresh synthetic program (bench/generate.py) in WORKDIR, runs `sync-checkins` once
(so the store holds every activity), then, each in its own fresh process (`python -m automations`, as staff
run them): `export` of one ambassador, `erase` of the same one (a dry run, the real one, and again: it must
find nothing left), `export` again (it must find nothing), and `retention` twice (the first after the erase; the second a quiet day).
Prints seconds, the peak resident set size of each process, and what each found. Always exits 0: it is a
report, not a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
AS_OF = "2026-11-23"


def run(workdir: Path, *args: str) -> dict:
    """One command in a fresh process: its seconds, peak RSS (MB, from /usr/bin/time's report) and output."""
    cmd = [sys.executable, "-c", "import resource, runpy, sys; sys.argv = ['automations', *sys.argv[1:]];"
           "code = 0\ntry:\n    runpy.run_module('automations', run_name='__main__')\nexcept SystemExit as e:\n"
           "    code = e.code or 0\nprint('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
           "sys.exit(code)", "--config", str(workdir / "config.yaml"), "--as-of", AS_OF, *args]
    env = {**os.environ, "PYTHONPATH": str(REPO), "AUTOMATIONS_PRIVACY_KEY": "bench-key-0123456789abcdef"}
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir)
    seconds = time.perf_counter() - started
    peak = re.search(r"PEAK_KB (\d+)", proc.stderr)
    return {"seconds": round(seconds, 2), "peak_mb": round(int(peak.group(1)) / 1024, 1) if peak else None,
            "code": proc.returncode, "out": proc.stdout.strip().splitlines()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ambassadors", type=int, default=10000)
    ap.add_argument("--quarters", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=HERE / "out" / "privacy")
    a = ap.parse_args(argv)
    work = a.workdir
    shutil.rmtree(work, ignore_errors=True)  # the erase changes the program: every run starts from a fresh one
    if True:
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(work), "--ambassadors", str(a.ambassadors),
                        "--quarters", str(a.quarters), "--seed", str(a.seed)], check=True)
    with (work / "ambassadors.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    person = rows[len(rows) // 2]["Email"].strip().lower()
    print(f"program: {len(rows)} ambassadors, {(work / 'checkin_responses.csv').stat().st_size / 1e6:.0f} MB of "
          f"responses; person: {person}")
    phases = [("sync-checkins (setup)", ("sync-checkins",)), ("export", ("export", person)),
              ("erase --dry-run", ("--dry-run", "erase", person)), ("erase", ("erase", person)),
              ("erase again", ("erase", person)), ("export after erase", ("export", person)),
              ("retention", ("retention",)), ("retention (quiet day)", ("retention",))]
    results = {}
    print(f"{'phase':<24} {'seconds':>8} {'peak MB':>8}  exit  first line")
    for name, args in phases:
        r = run(work, *args)
        results[name] = r
        first = next((line for line in r["out"] if "[" in line), "")[:90]
        print(f"{name:<24} {r['seconds']:>8} {r['peak_mb']:>8}  {r['code']:>4}  {first}")
    export = sorted((work / "exports").glob("*.json"))
    if export:
        data = json.loads(export[-1].read_text(encoding="utf-8"))
        print(f"export after erase found {sum(len(t['rows']) for t in data['tables'])} records, "
              f"{len(data['files'])} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
