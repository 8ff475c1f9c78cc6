#!/usr/bin/env python3
"""Crash-restart harness: `run-all` killed with SIGKILL at random moments, restarted, and the end state
compared with a clean run.

    python bench/crash_harness.py [--iterations 100] [--seed 1] [--scenarios example/local,synthetic/airtable]
                                  [--ambassadors 300] [--quarters 8] [--workdir DIR] [--json FILE]

For each scenario (a program and a backend: `example/local`, `example/airtable`, `synthetic/local`,
`synthetic/airtable`):

1. the reference: in its own copy of the program, `python -m automations --as-of D run-all` once per day D
   of the scenario's days (several, so that invitations, reminders, receipts, notices and the digest all
   have work), each timed: the day's clean duration;
2. the crash copy: a second, identical copy. The iterations are spread over the same days, in order. Each
   starts the same command as a subprocess and sends it SIGKILL after a delay drawn (seeded) uniformly
   within that day's clean duration; a run that ends before its kill is counted as finished, not as a
   crash. After a day's iterations, one run goes to completion, then the next day starts;
3. the comparison: the message keys the SMTP server received (every key of the reference at least once:
   lost = reference keys never delivered; duplicates = deliveries beyond the first, checked against the
   bound "at most one per crash" that docs/mail.md ("Mail: what goes when, and never twice") documents), the
   stored tables (local: every CSV table of `local.dir` but the ledger, row for row; Airtable: every
   table's records without record ids, send times and attempt counts, and no key stored twice), each
   key's final status in the ledger, and any temporary file (`*.tmp`, `*.moved`) left anywhere in the
   copy.

Mail goes through the `smtp` transport to a real SMTP server (aiosmtpd) on 127.0.0.1, one per copy, so
what counts is what a server really accepted (by `X-Automation-Key`). The Airtable backend talks to the
stateful fake base (`tests/fake_airtable.py`) served by this process on 127.0.0.1, rate limited on the
real clock as Airtable is (5 requests a second; the harness waits 1.1 s after a kill so the killed run's
last second of requests is over, as a restart by cron or the scheduler would).

The synthetic program is `bench/generate.py`'s at `--ambassadors` x `--quarters` (300 x 8 by default:
one local run takes a few seconds). It prints a table per scenario and always exits 0: it is a report.
`tests/test_crash_harness.py` runs a small version (`run_scenario`) and asserts its figures.
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
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from automations.adapters.csv.ledger import CsvLedger  # noqa: E402
from automations.config import load_config  # noqa: E402
from bench.generate import generate  # noqa: E402
from tests import smtp_server  # noqa: E402
from tests.airtable_env import BASE, TOKEN, TOKEN_ENV, AirtableEnv, seed_roster, use_airtable  # noqa: E402
from tests.conftest import copy_example, use_smtp  # noqa: E402
from tests.fake_airtable import FakeAirtable, ManualClock  # noqa: E402

SCENARIOS = ("example/local", "example/airtable", "synthetic/local", "synthetic/airtable")
#: The days each program is run on, in order: the example's Q3 check-in cycle (the invitation week with
#: receipts and the digest, the last reminder, the notices once Q3 is final) and the synthetic program's
#: "today" (its Q3 notices and the digest) with the day before the window closes.
DAYS = {"example": ("2026-10-05", "2026-10-18", "2026-11-23"),
        "synthetic": ("2026-10-18", "2026-11-23")}
#: Fields that differ between any two runs, or after a retried message, by design: when a message went and
#: how many tries it took. The ledger's status per key is compared on its own.
VOLATILE_FIELDS = {"Last attempt", "Sent at", "Attempts", "At"}
#: After a kill, the killed run's last second of requests must be over before the next starts (the base
#: answers 429 for 30 s otherwise, as Airtable does): a restart by cron or the scheduler is later anyway.
AIRTABLE_RESTART_PAUSE = 1.1
RATE_LIMIT = 5  # requests a second per base, Airtable's own limit


@dataclass
class Figures:
    """What one scenario found; `ok` says whether every target of issue 11 is met."""

    scenario: str
    iterations: int
    crashes: int = 0  # runs killed while they ran
    finished_early: int = 0  # runs that ended before their kill came
    runs: int = 0  # every run of the crash copy, completion runs included
    due: int = 0  # distinct keys the reference delivered
    lost: int = 0  # reference keys never delivered in the crash copy
    extra: int = 0  # keys delivered in the crash copy that the reference never sent
    duplicates: int = 0  # deliveries beyond the first, over all keys
    max_per_key: int = 0
    doubled_records: int = 0  # rows/records stored more than the reference has them (or a key twice)
    missing_records: int = 0  # rows/records of the reference absent from the crash copy
    tables_differ: list[str] = field(default_factory=list)
    ledger_differ: int = 0  # keys whose final ledger status differs from the reference's
    temp_files: list[str] = field(default_factory=list)
    bad_exits: list[str] = field(default_factory=list)  # completion runs that did not end in 0 or 1
    seconds: float = 0.0
    reference_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (self.lost == 0 and self.duplicates <= self.crashes and self.extra == 0
                and self.doubled_records == 0 and self.missing_records == 0 and not self.tables_differ
                and self.ledger_differ == 0 and not self.temp_files and not self.bad_exits)


# -- a copy of a program, set up for one backend ---------------------------------------------------------------

@dataclass
class Copy:
    """One copy of a program: its config, its SMTP server and (Airtable) its fake base."""

    config: Path
    folder: Path
    smtp: smtp_server.SmtpServer
    fake: FakeAirtable | None
    env: dict

    def stop(self) -> None:
        self.smtp.controller.stop()
        if self.fake is not None:
            self.fake.stop()


def make_copy(folder: Path, program: str, backend: str, ambassadors: int, quarters: int) -> Copy:
    folder.mkdir(parents=True)
    if program == "example":
        config = copy_example(folder, "unusable_rows.csv")
        roster = folder / "data" / "ambassadors.csv"
    else:
        generate(folder, ambassadors, quarters, seed=1, quiet=True)
        shutil.copytree(ROOT / "templates", folder / "templates")
        config = folder / "config.yaml"
        roster = folder / "ambassadors.csv"
    server = smtp_server.start()
    use_smtp(config, server)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    fake = None
    if backend == "airtable":
        fake = FakeAirtable(token=TOKEN, base_ids=(BASE,)).start()  # the real clock: the runs are processes
        use_airtable(config, fake.url)
        env[TOKEN_ENV] = TOKEN
        # Setting up is not what is measured: `init` (the project's own) and the roster go in at once, on a
        # manual clock with the base's limit lifted, then the limit is back for the runs.
        fake.rate_limit_per_second = None
        setup = AirtableEnv(fake, ManualClock(), config)
        setup.ctx(date.fromisoformat(DAYS[program][0])).stores.admin.init(dry_run=False)
        seed_roster(setup, roster)
        fake.rate_limit_per_second = RATE_LIMIT
    return Copy(config, folder, server, fake, env)


def start_run(copy: Copy, day: str, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "automations", "--config", str(copy.config), "--as-of", day,
                             "run-all"], cwd=ROOT, env=copy.env, stdout=subprocess.DEVNULL, stderr=log)


def run_to_end(copy: Copy, day: str, log) -> int:
    return start_run(copy, day, log).wait(timeout=1800)


# -- what a copy ends with -------------------------------------------------------------------------------------

def delivered(copy: Copy) -> Counter:
    return Counter(copy.smtp.keys())


def _csv_rows(path: Path) -> list[tuple[str, ...]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [tuple(r) for r in csv.reader(fh)]


def stored_tables(config: Path, fake: FakeAirtable | None = None) -> dict[str, Counter]:
    """Each stored table's rows (local: every CSV of local.dir but the ledger; Airtable, when `fake` is given:
    every table of the base but the ledger, without record ids and volatile fields), as a multiset."""
    if fake is None:
        local = load_config(config).local_dir
        return {p.name: Counter(_csv_rows(p)) for p in sorted(local.glob("*.csv")) if "ledger" not in p.name}
    out = {}
    for t in fake.tables(BASE):
        if t["name"] == "Mail ledger":
            continue
        out[t["name"]] = Counter(tuple(sorted((k, str(v)) for k, v in r["fields"].items() if k not in VOLATILE_FIELDS))
                                 for r in fake.records(BASE, t["name"]))
    return out


def doubled_keys(fake: FakeAirtable | None) -> int:
    """Airtable: records beyond the first that carry the same Key, in every table keyed so."""
    if fake is None:
        return 0
    extra = 0
    for t in fake.tables(BASE):
        keys = Counter(r["fields"].get("Key") for r in fake.records(BASE, t["name"]) if r["fields"].get("Key"))
        extra += sum(n - 1 for n in keys.values())
    return extra


def ledger_status(config: Path, fake: FakeAirtable | None = None) -> dict[str, str]:
    """Each message key's final status in the ledger (the CSV file, or the base's Mail ledger table)."""
    if fake is None:
        local = load_config(config).local_dir
        return {k: e.status for k, e in CsvLedger(local / "mail_ledger.csv").entries().items()}
    return {r["fields"]["Key"]: r["fields"].get("Status", "") for r in fake.records(BASE, "Mail ledger")}


def temp_files(folder: Path) -> list[str]:
    """Temporary files a writer left: our writers' `*.tmp` and `update_rows`' `*.moved`."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and (p.name.endswith(".tmp") or p.name.endswith(".moved")))


# -- one scenario ----------------------------------------------------------------------------------------------

def run_scenario(scenario: str, iterations: int, seed: int, workdir: Path, ambassadors: int = 300,
                 quarters: int = 8, days: tuple[str, ...] | None = None, say=print) -> Figures:
    """Run one scenario (see the module docstring) in `workdir`; `days` replaces the program's own days."""
    program, backend = scenario.split("/")
    days = days or DAYS[program]
    figures = Figures(scenario, iterations)
    started = time.monotonic()
    rnd = random.Random(f"{seed}:{scenario}")
    folder = workdir / scenario.replace("/", "-")
    if folder.exists():
        shutil.rmtree(folder)
    log_path = folder / "runs.log"
    ref = make_copy(folder / "reference", program, backend, ambassadors, quarters)
    crash = None
    try:
        with log_path.open("w") as log:
            for day in days:
                t0 = time.monotonic()
                code = run_to_end(ref, day, log)
                figures.reference_seconds[day] = round(time.monotonic() - t0, 2)
                if code not in (0, 1):
                    raise RuntimeError(f"{scenario}: the reference run of {day} ended with exit {code} (see {log_path})")
                if backend == "airtable":
                    time.sleep(AIRTABLE_RESTART_PAUSE)
            say(f"{scenario}: reference runs {figures.reference_seconds} s, "
                f"{len(delivered(ref))} messages; now {iterations} kills")
            crash = make_copy(folder / "crash", program, backend, ambassadors, quarters)
            # The iterations, in order over the days: day k gets those from k*N/len(days) on.
            per_day = Counter(min(i * len(days) // max(iterations, 1), len(days) - 1) for i in range(iterations))
            for k, day in enumerate(days):
                for _ in range(per_day[k]):
                    delay = rnd.uniform(0, figures.reference_seconds[day])
                    proc = start_run(crash, day, log)
                    figures.runs += 1
                    try:
                        proc.wait(timeout=delay)
                        figures.finished_early += 1
                    except subprocess.TimeoutExpired:
                        proc.send_signal(signal.SIGKILL)
                        proc.wait()
                        figures.crashes += 1
                        if backend == "airtable":
                            time.sleep(AIRTABLE_RESTART_PAUSE)
                code = run_to_end(crash, day, log)
                figures.runs += 1
                if code not in (0, 1):
                    figures.bad_exits.append(f"{day}: exit {code}")
                if backend == "airtable":
                    time.sleep(AIRTABLE_RESTART_PAUSE)
        compare(ref, crash, figures)
    finally:
        ref.stop()
        if crash is not None:
            crash.stop()
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def compare(ref: Copy, crash: Copy, figures: Figures) -> None:
    want, got = delivered(ref), delivered(crash)
    if any(n > 1 for n in want.values()):
        raise RuntimeError(f"{figures.scenario}: the clean reference sent a key twice")
    figures.due = len(want)
    figures.lost = len(set(want) - set(got))
    figures.extra = len(set(got) - set(want))
    figures.duplicates = sum(n - 1 for n in got.values())
    figures.max_per_key = max(got.values(), default=0)
    ref_tables, crash_tables = stored_tables(ref.config, ref.fake), stored_tables(crash.config, crash.fake)
    for name in sorted(set(ref_tables) | set(crash_tables)):
        a, b = ref_tables.get(name, Counter()), crash_tables.get(name, Counter())
        if a != b:
            figures.tables_differ.append(name)
        figures.doubled_records += sum((b - a).values())
        figures.missing_records += sum((a - b).values())
    figures.doubled_records += doubled_keys(crash.fake)
    ref_status, crash_status = ledger_status(ref.config, ref.fake), ledger_status(crash.config, crash.fake)
    figures.ledger_differ = sum(1 for k in set(ref_status) | set(crash_status)
                                if ref_status.get(k) != crash_status.get(k))
    figures.temp_files = temp_files(crash.folder) + [f"reference/{p}" for p in temp_files(ref.folder)]


# -- the report ------------------------------------------------------------------------------------------------

COLUMNS = ("scenario", "crashes", "runs", "due", "lost", "duplicates", "bound", "doubled", "tables", "temp files",
           "seconds", "met")


def table(rows: list[Figures]) -> str:
    lines = [COLUMNS]
    for f in rows:
        lines.append((f.scenario, str(f.crashes), f"{f.runs} ({f.finished_early} ended first)", str(f.due),
                      str(f.lost), f"{f.duplicates} (max {f.max_per_key}/key)", f"<= {f.crashes}",
                      str(f.doubled_records), "same" if not f.tables_differ and not f.missing_records
                      and not f.ledger_differ else f"differ: {', '.join(f.tables_differ) or 'ledger'}",
                      str(len(f.temp_files)), f"{f.seconds:g}", "met" if f.ok else "NOT met"))
    widths = [max(len(r[i]) for r in lines) for i in range(len(COLUMNS))]
    out = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in lines]
    out.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iterations", type=int, default=100, help="kills per scenario (default 100)")
    ap.add_argument("--seed", type=int, default=1, help="seeds the delays before each kill")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help=f"comma-separated, of {', '.join(SCENARIOS)} (default: all)")
    ap.add_argument("--ambassadors", type=int, default=300, help="the synthetic program's size (default 300)")
    ap.add_argument("--quarters", type=int, default=8, help="the synthetic program's quarters (default 8)")
    ap.add_argument("--workdir", type=Path, help="where the copies go (default: a temporary folder, removed)")
    ap.add_argument("--json", type=Path, help="also write every figure as JSON to this file")
    a = ap.parse_args(argv)
    chosen = [s.strip() for s in a.scenarios.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown:
        ap.error(f"unknown scenario {unknown[0]!r}; choose from {', '.join(SCENARIOS)}")
    workdir = a.workdir or Path(tempfile.mkdtemp(prefix="crash-harness-"))
    results = []
    try:
        for scenario in chosen:
            try:
                f = run_scenario(scenario, a.iterations, a.seed, workdir, a.ambassadors, a.quarters,
                                 say=lambda m: print(m, file=sys.stderr, flush=True))
            except Exception as e:  # noqa: BLE001 - a report: one scenario's failure to run is said, the others go on
                print(f"{scenario}: could not run: {e}", file=sys.stderr)
                continue
            results.append(f)
            print(table([f]), file=sys.stderr, flush=True)
            for what in ("tables_differ", "temp_files", "bad_exits"):
                if getattr(f, what):
                    print(f"  {scenario} {what}: {getattr(f, what)[:10]}", file=sys.stderr)
    finally:
        if a.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"Crash-restart harness: {a.iterations} kills per scenario, seed {a.seed}"
          + (f", synthetic {a.ambassadors} x {a.quarters}" if any(s.startswith("synthetic") for s in chosen) else ""))
    print(table(results))
    print("Targets (issue 11): 0 lost, duplicates <= 1 per crash, 0 doubled records, the clean run's tables and "
          "ledger, 0 temporary files.")
    if a.json:
        a.json.write_text(json.dumps([{**asdict(f), "ok": f.ok} for f in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
