#!/usr/bin/env python3
"""The bad-input fuzzer at scale (issue 11): 10,000 fuzzed rows across the check-in form and every staff-filled
table, through the real command line on a copy of the example program.

    python bench/fuzz_10k.py [--seed 1] [--rows 10000] [--keep DIR]

The generators and checks are `tests/fuzz_rows.py` (the CI test `tests/test_fuzz.py` runs a few hundred rows of
the same). Prints, per table, rows, valid kept / valid total and invalid reported / invalid total; then the
crashes (a traceback, an exit other than 0/1/2, an exit 2 that is not one sentence), the cells the jobs wrote
that a spreadsheet would run as a formula, the messages holding a header or recipient their job did not set
(forged headers, out of the outbox's messages read), and the seconds each command took. Exit 1 if any rule broke.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import fuzz_rows as fz
from tests.conftest import copy_example

SHARE = {"checkins": 0.5, "roster": 0.1, "blog": 0.08, "funding": 0.1, "inquiries": 0.08, "answers": 0.06,
         "attendees": 0.05, "conduct": 0.03}  # of all rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--keep", type=Path, help="build the program in this folder and leave it there")
    args = ap.parse_args()
    sizes = {k: round(args.rows * v) for k, v in SHARE.items()}
    folder = args.keep or Path(tempfile.mkdtemp(prefix="fuzz10k-"))
    folder.mkdir(parents=True, exist_ok=True)
    config = copy_example(folder, "unusable_rows.csv")
    start = time.perf_counter()
    tables = fz.build(folder, random.Random(args.seed), sizes)
    built = time.perf_counter() - start
    runs = fz.run_jobs(config)
    found = fz.check(folder, tables, runs)
    total = sum(len(t.rows) for t in tables.values()) - 36  # the example roster's own rows are not fuzzed
    print(f"{total} fuzzed rows (seed {args.seed}) in {folder}, written in {built:.1f} s")
    print(f"{'table':<10} {'rows':>6} {'valid kept':>14} {'invalid reported':>18}")
    for name, c in found.counts.items():
        rows = c["rows"] - (36 if name == "roster" else 0)
        print(f"{name:<10} {rows:>6} {c['kept']:>6} / {c['valid']:<6} {c['reported']:>8} / {c['invalid']:<8}")
    kept = sum(c["kept"] for c in found.counts.values()), sum(c["valid"] for c in found.counts.values())
    rep = sum(c["reported"] for c in found.counts.values()), sum(c["invalid"] for c in found.counts.values())
    print(f"{'all':<10} {total:>6} {kept[0]:>6} / {kept[1]:<6} {rep[0]:>8} / {rep[1]:<8}")
    print(f"crashes: {len(found.crashes)}; valid rows lost: {len(found.lost)}; invalid not reported: "
          f"{len(found.unreported)}; formulas written: {len(found.formulas)}; forged headers: {len(found.forged)} "
          f"in {found.messages} messages")
    for r in runs:
        print(f"  {r.command}: exit {r.code}, {r.seconds:.1f} s")
    for line in found.failed()[:20]:
        print("  " + line[:300])
    return 1 if found.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
