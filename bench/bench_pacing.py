#!/usr/bin/env python3
"""Pacing across processes: three commands back to back against one Airtable base.

    python bench/bench_pacing.py [--apart] [--at-once]

The example program on a fake Airtable base on 127.0.0.1 (tests/fake_airtable.py, 5 requests a second per
base with its 30-second penalty, on the real monotonic clock), its tables made and the roster typed in as
staff would (no API request), then cron's line `run-all; certificates; doctor` as three real processes
(`python -m automations`), each started the moment the last one ends (`--at-once`: all three started
together, as the scheduler's children may be). By default the three share the program folder, so they keep
the base's budget together (`<local.dir>/.locks/pacing.json`); `--apart` gives each its own copy of the
program (its own `local.dir`), which is how every process paced itself before the budget was shared.

Prints the requests the base received, the 429s it answered, the most requests in any one second of its
log (Airtable allows 5) and the real seconds. A report, not a test: exit 0.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from automations import bootstrap  # noqa: E402
from bench.bench_airtable import busiest_second  # noqa: E402
from tests.airtable_env import BASE, TOKEN, AirtableEnv, seed_roster, use_airtable  # noqa: E402
from tests.conftest import copy_example, go_live  # noqa: E402
from tests.fake_airtable import FakeAirtable, ManualClock  # noqa: E402

COMMANDS = (["--as-of", "2026-11-23", "run-all"], ["--as-of", "2026-11-23", "certificates"], ["doctor"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apart", action="store_true", help="each command its own program folder (own budget)")
    parser.add_argument("--at-once", action="store_true", help="start the three together, not one after another")
    args = parser.parse_args()
    env = {**os.environ, "AIRTABLE_TOKEN": TOKEN, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    with tempfile.TemporaryDirectory() as tmp, FakeAirtable(token=TOKEN, base_ids=(BASE,)) as fake:
        programs = []
        for i in range(3 if args.apart else 1):
            program = copy_example(Path(tmp) / f"program{i}", "unusable_rows.csv")
            use_airtable(go_live(program), fake.url)
            programs.append(program)
        setup = AirtableEnv(fake, ManualClock(), programs[0])
        for table in bootstrap.airtable_spec(setup.config).tables.values():
            fake.create_table(BASE, table.name, [f.create_body() for f in table.fields])
        seed_roster(setup, programs[0].parent / "data" / "ambassadors.csv")
        start = time.perf_counter()
        procs, codes = [], []
        for i, command in enumerate(COMMANDS):
            cmd = [sys.executable, "-m", "automations", "--config", str(programs[i % len(programs)]), *command]
            proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if args.at_once:
                procs.append(proc)
            else:
                codes.append(proc.wait())
        codes += [p.wait() for p in procs]
        seconds = time.perf_counter() - start
        log = [r for r in fake.requests if r.base_id == BASE]
    mode = ("apart" if args.apart else "shared") + (", at once" if args.at_once else ", one after another")
    print(f"run-all; certificates; doctor ({mode}): exit codes {codes}, {len(log)} requests, "
          f"{sum(1 for r in log if r.status == 429)} answered 429, busiest second {busiest_second([r.at for r in log])}"
          f" requests, {seconds:.1f} s")


if __name__ == "__main__":
    main()
