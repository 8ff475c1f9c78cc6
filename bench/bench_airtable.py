#!/usr/bin/env python3
"""Airtable requests at program scale: the project's run-all against the fake base.

    python bench/bench_airtable.py [--ambassadors 1000] [--quarters 10] [--seed 1] [--no-baseline]

A synthetic program (`generate.py`: about ambassadors x quarters activities) goes into a fake
Airtable base on 127.0.0.1 (tests/fake_airtable.py, rate limited to 5 requests a second per base
with its 30-second penalty, on a manual clock shared with the client's pacing, so the run takes
seconds of real time while every wait is still counted). Then:

1. a first full `run-all` (every record created, every standing written);
2. a rerun with no new response;
3. a rerun after 50 more responses (the last 50 rows of the sheet, held back until now);
   (the tables read on every run are mirrored in the work cache: the reruns read only what changed)
4. the record-by-record baseline: a script that creates each record of the end state with one
   request (pyairtable's `Table.create`), on a second fake base.

For each run: requests (reads, writes, schema), the lower bound (sum over tables read of
ceil(rows/100), plus ceil(changed rows/10) per write), the ratio, retries, the most requests in any
one second of the base's log, and the simulated and real seconds. A report, not a test: exit 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from automations.jobs import run_all  # noqa: E402
from bench.generate import generate  # noqa: E402
from tests.airtable_env import BASE, TOKEN, AirtableEnv, seed_roster, use_airtable  # noqa: E402
from tests.fake_airtable import FakeAirtable, ManualClock  # noqa: E402

AS_OF = date(2026, 11, 23)
NEW = 50


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def measure(env: AirtableEnv, label: str) -> dict:
    env.fake.reset_log()
    start_virtual, start_real = env.clock.now(), time.perf_counter()
    ctx = env.ctx(AS_OF)
    results = run_all.run(ctx)
    u = ctx.usage[0]
    log = env.fake.requests
    return {
        "run": label, "requests": u.requests, "reads": u.reads, "writes": u.writes, "schema": u.meta,
        "lower_bound": u.lower_bound, "ratio": round(u.requests / u.lower_bound, 3) if u.lower_bound else None,
        "retries": u.retries, "status_429": sum(1 for r in log if r.status == 429),
        "busiest_second": busiest_second([r.at for r in log]),
        "records_written": sum(r.records or 0 for r in log if r.kind == "write"),
        "simulated_seconds": round(env.clock.now() - start_virtual, 1),
        "real_seconds": round(time.perf_counter() - start_real, 2),
        "failures": sum(len(r.failures) for r in results),
        "pages_read": dict(sorted(u.pages_read.items())),
    }


def record_by_record(records: dict[str, list[dict]], schema: list[dict]) -> dict:
    """One create request per record of the end state, as a naive script would (no rate limit here:
    only the request count matters)."""
    from pyairtable import Api

    with FakeAirtable(token=TOKEN, base_ids=(BASE,), rate_limit_per_second=None) as fake:
        api = Api(TOKEN, endpoint_url=fake.url, retry_strategy=None)
        count = 0
        for table, rows in records.items():
            meta = next(t for t in schema if t["name"] == table)
            fields = [{k: v for k, v in f.items() if k not in ("id",)} for f in meta["fields"]]
            fake.create_table(BASE, table, [{"name": f["name"], "type": f["type"],
                                             **({"options": f["options"]} if "options" in f else {})}
                                            for f in fields])
            t = api.table(BASE, table)
            for row in rows:
                t.create(row, typecast=True)
                count += 1
        return {"run": "record by record", "requests": len(fake.requests), "records": count}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ambassadors", type=int, default=1000)
    ap.add_argument("--quarters", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-baseline", action="store_true", help="skip the record-by-record baseline")
    a = ap.parse_args(argv)
    work = REPO / "bench" / "out" / f"airtable_a{a.ambassadors}_q{a.quarters}_s{a.seed}"
    shutil.rmtree(work, ignore_errors=True)
    meta = generate(work, a.ambassadors, a.quarters, a.seed, quiet=True)
    shutil.copytree(REPO / "templates", work / "templates")
    responses = work / "checkin_responses.csv"
    with responses.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    held = rows[-NEW:]
    with responses.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows[:-NEW])

    clock = ManualClock(start=1000.0)
    out = []
    with FakeAirtable(token=TOKEN, base_ids=(BASE,), clock=clock.now, wall=clock.wall) as fake:
        use_airtable(work / "config.yaml", fake.url, max_attempts=5, retry_backoff_seconds=1)
        env = AirtableEnv(fake, clock, work / "config.yaml")
        env.ctx(AS_OF).stores.admin.init(dry_run=False)
        seed_roster(env, work / "ambassadors.csv")
        clock.advance(60)  # staff typed the roster before the first run, not in the second before it
        out.append(measure(env, "first run"))
        out.append(measure(env, "rerun, no change"))
        with responses.open("a", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(held)
        out.append(measure(env, f"rerun, +{NEW} responses"))
        end = {t["name"]: [r["fields"] for r in fake.records(BASE, t["name"])] for t in fake.tables(BASE)
               if t["name"] != "Ambassadors"}
        schema = fake.tables(BASE)
        stored = {name: len(rows) for name, rows in end.items()}
    print(f"Program: {a.ambassadors} ambassadors, {meta['rows']} responses, {stored} records in the base.")
    if not a.no_baseline:
        baseline = record_by_record(end, schema)
        # The naive script also updates each ambassador's standing with one request each.
        baseline["requests"] += a.ambassadors
        out.append(baseline)
    first = out[0]
    for row in out:
        print(json.dumps(row))
    print()
    print(f"first run: {first['requests']} requests, lower bound {first['lower_bound']}, ratio {first['ratio']} "
          f"(target <= 1.05: {'met' if first['ratio'] <= 1.05 else 'NOT met'})")
    if not a.no_baseline:
        factor = out[-1]["requests"] / first["requests"]
        print(f"record by record (create only, measured): {out[-1]['requests']} requests, {factor:.1f}x more "
              f"(target >= 10x: {'met' if factor >= 10 else 'NOT met'})")
        safe = 2 * out[-1]["records"] + a.ambassadors
        print(f"record by record, safe to rerun (a look-up before each write, counted): {safe} requests, "
              f"{safe / first['requests']:.1f}x more")
    print(f"rerun with no change: {out[1]['writes']} writes (target 0: {'met' if out[1]['writes'] == 0 else 'NOT met'}), "
          f"{out[1]['requests']} requests (target <= 15: {'met' if out[1]['requests'] <= 15 else 'NOT met'})")
    print(f"rerun +{NEW}: {out[2]['writes']} writes, {out[2]['records_written']} records written, {out[2]['requests']} "
          f"requests (target <= 70: {'met' if out[2]['requests'] <= 70 else 'NOT met'})")
    busiest = max(r.get("busiest_second", 0) for r in out[:3])
    print(f"busiest second: {busiest} requests (target <= 5: {'met' if busiest <= 5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
