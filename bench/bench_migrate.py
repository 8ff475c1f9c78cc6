#!/usr/bin/env python3
"""`migrate` of a synthetic program from its local folder into the fake Airtable base: requests per table.

    python bench/bench_migrate.py [--ambassadors 1000] [--quarters 10] [--seed 1] [--then-run-all]

The program (`generate.py`) first runs on the local backend (`run-all` on the benchmark's day: the
check-in store, data problems, the mail ledger, standings in the roster). A second configuration beside
it points at a fake base on 127.0.0.1 (tests/fake_airtable.py: 10 records per write, 5 requests a second
per base with its 30-second penalty, on a manual clock shared with the client's pacing, so every wait
counts and none is slept). After `init`:

1. `migrate --from` the local configuration into the empty base;
2. the same again (it must write nothing);
3. with `--then-run-all`, `run-all` on the base on the same day: the messages it sends (target 0: the
   ledger came along), the new data problems (target 0: each kept its id and status) and its writes.

For the first: per table, the write requests and records written against the lower bound
ceil(records / 10), the ratio (target <= 1.05 for every table), the reads and schema requests, the most
requests in any one second of the base's log (target <= 5) and any 429; then the simulated and real
seconds. A report, not a test: exit 0.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from automations import bootstrap  # noqa: E402
from automations.config import load_config  # noqa: E402
from automations.jobs import migrate as migrate_job  # noqa: E402
from automations.jobs import run_all  # noqa: E402
from bench.bench_airtable import busiest_second  # noqa: E402
from bench.generate import generate  # noqa: E402
from tests.airtable_env import BASE, TOKEN, AirtableEnv, use_airtable  # noqa: E402
from tests.fake_airtable import FakeAirtable, ManualClock  # noqa: E402

AS_OF = date(2026, 11, 23)


def migrate(env: AirtableEnv, source: Path) -> tuple[list[str], dict]:
    env.fake.reset_log()
    env.clock.advance(1.1)
    start_virtual, start_real = env.clock.now(), time.perf_counter()
    ctx = bootstrap.build(load_config(env.config_path), AS_OF, False, environ=env.environ, clock=env.clock.now,
                          sleep=env.clock.sleep)
    move = bootstrap.migration(env.config_path, source, False, env.environ, env.clock.now, env.clock.sleep)
    result = migrate_job.run(ctx, move)
    log = list(env.fake.requests)
    write_requests = Counter(r.table for r in log if r.kind == "write")
    records = Counter()
    for r in log:
        if r.kind == "write":
            records[r.table] += r.records or 0
    tables = {}
    for table in sorted(write_requests):
        bound = -(-records[table] // 10)
        tables[table] = {"records": records[table], "write_requests": write_requests[table], "lower_bound": bound,
                         "ratio": round(write_requests[table] / bound, 3)}
    return result.summary, {
        "tables": tables, "writes": sum(write_requests.values()),
        "lower_bound": sum(t["lower_bound"] for t in tables.values()),
        "reads": sum(1 for r in log if r.kind == "read"), "schema": sum(1 for r in log if r.kind == "meta"),
        "status_429": sum(1 for r in log if r.status == 429), "busiest_second": busiest_second([r.at for r in log]),
        "simulated_seconds": round(env.clock.now() - start_virtual, 1),
        "real_seconds": round(time.perf_counter() - start_real, 2),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ambassadors", type=int, default=1000)
    ap.add_argument("--quarters", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--then-run-all", action="store_true", help="run-all on the base afterwards, the same day")
    a = ap.parse_args(argv)
    work = REPO / "bench" / "out" / f"migrate_a{a.ambassadors}_q{a.quarters}_s{a.seed}"
    shutil.rmtree(work, ignore_errors=True)
    meta = generate(work, a.ambassadors, a.quarters, a.seed, quiet=True)
    shutil.copytree(REPO / "templates", work / "templates")
    local = work / "config.yaml"
    t0 = time.perf_counter()
    run_all.run(bootstrap.build(load_config(local), AS_OF, False))
    print(f"Program: {a.ambassadors} ambassadors, {meta['rows']} responses; local run-all took "
          f"{time.perf_counter() - t0:.1f} s.")
    live = work / "config.airtable.yaml"
    shutil.copy(local, live)
    clock = ManualClock(start=1000.0)
    with FakeAirtable(token=TOKEN, base_ids=(BASE,), clock=clock.now, wall=clock.wall) as fake:
        use_airtable(live, fake.url, max_attempts=5, retry_backoff_seconds=1)
        env = AirtableEnv(fake, clock, live)
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        summary, first = migrate(env, local)
        _, second = migrate(env, local)
        stored = {t["name"]: len(fake.records(BASE, t["name"])) for t in fake.tables(BASE)}
        after = None
        if a.then_run_all:
            fake.reset_log()
            results = run_all.run(env.ctx(AS_OF))
            sent = sum(int(line.split()[0]) for r in results for line in r.summary if " messages sent" in line
                       or " message sent" in line)
            after = {"messages_sent": sent, "new_problems": sum(len(r.new_problems) for r in results),
                     "failures": sum(len(r.failures) for r in results),
                     "writes": sum(1 for r in fake.requests if r.kind == "write")}
    for line in summary:
        print(f"  {line}")
    print(json.dumps({"first": first, "second": second, "stored": stored, "run_all_after": after}))
    print()
    print(f"{'table':<20} {'records':>8} {'writes':>7} {'bound':>6} {'ratio':>6}")
    for table, t in first["tables"].items():
        print(f"{table:<20} {t['records']:>8} {t['write_requests']:>7} {t['lower_bound']:>6} {t['ratio']:>6}")
    worst = max((t["ratio"] for t in first["tables"].values()), default=0)
    print(f"all tables: {first['writes']} write requests against a lower bound of {first['lower_bound']}; worst table "
          f"{worst}x (target <= 1.05 per table: {'met' if worst <= 1.05 else 'NOT met'})")
    print(f"also {first['reads']} reads and {first['schema']} schema requests; {first['status_429']} answered 429")
    print(f"busiest second: {first['busiest_second']} requests (target <= 5: "
          f"{'met' if first['busiest_second'] <= 5 else 'NOT met'}); {first['simulated_seconds']} s simulated, "
          f"{first['real_seconds']} s real")
    print(f"second migrate: {second['writes']} writes (target 0: {'met' if second['writes'] == 0 else 'NOT met'}), "
          f"{second['reads']} reads")
    if after is not None:
        print(f"run-all on the base the same day: {after['messages_sent']} messages sent (target 0), "
              f"{after['new_problems']} new data problems (target 0), {after['failures']} failures, "
              f"{after['writes']} write requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
