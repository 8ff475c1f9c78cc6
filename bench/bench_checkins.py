#!/usr/bin/env python3
"""Benchmark: bare parse of the responses vs. `sync-checkins` + `compliance` over all quarters.

    python bench/bench_checkins.py [--ambassadors 10000] [--quarters 40] [--seed 1] [--workdir DIR]
                                   [--parse-runs 3] [--full-runs 1] [--profile [FILE]]

Generates the synthetic program (bench/generate.py) unless the work folder already holds one of
the same size and seed, then runs each phase in its own fresh Python process, so that the peak
resident set size (`ru_maxrss` of that process, as-is) belongs to that phase alone:

- baseline: a process that only imports the package (what every phase pays before any work);
- parse:    `csv.reader` over `checkin_responses.csv` into a list of rows, the minimum any reader
            must do (best of --parse-runs);
- full:     the context built as the CLI builds it, `sync_checkins.run(ctx)` (store written from
            scratch: the job-owned files are removed first), then compliance over all quarters:
            `compliance.run(ctx, quarter_text=None, fmt="json")` once, and with the domain API
            `tracks(...)` once plus `standings(tracks, q, last)` for every quarter of the program
            (best of --full-runs).

Prints a table and whether the targets are met (full <= 3 x parse, peak < 300 MB). Always exits 0:
it is a report, not a test. `--profile` also runs the full phase under cProfile and prints the
hotspots in the package.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
AS_OF = date(2026, 11, 23)
RATIO_TARGET = 3.0
PEAK_TARGET_MB = 300.0
JOB_OWNED = ("activities.csv", "checkins.csv", "unusable_rows.csv")


def peak_mb() -> float:
    """This process's peak resident set size in MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


# -- the phases, each run in a fresh process --------------------------------------------------
def phase_baseline(workdir: Path) -> dict:
    from automations import bootstrap  # noqa: F401
    from automations.config import load_config  # noqa: F401
    from automations.jobs import compliance, sync_checkins  # noqa: F401
    return {"peak_mb": peak_mb()}


def phase_parse(workdir: Path) -> dict:
    import csv
    csv.field_size_limit(10 * 1024 * 1024)
    path = workdir / "checkin_responses.csv"
    t0 = time.perf_counter()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": len(rows) - 1, "peak_mb": peak_mb()}


def phase_full(workdir: Path, reuse: bool = False) -> dict:
    from automations import bootstrap
    from automations.config import load_config
    from automations.domain import compliance as rules
    from automations.domain.quarters import Quarter, latest_ended, quarters_between
    from automations.jobs import compliance, sync_checkins

    base_mb = peak_mb()
    t0 = time.perf_counter()
    ctx = bootstrap.build(load_config(workdir / "config.yaml"), as_of=AS_OF, dry_run=False)
    t1 = time.perf_counter()
    synced = sync_checkins.run(ctx)
    t2 = time.perf_counter()
    sync_mb = peak_mb()
    sync_summary, problems = list(synced.summary), len(synced.problems)
    kwargs = {}
    reused = reuse and "synced" in inspect.signature(compliance.run).parameters
    if reused:
        kwargs["synced"] = getattr(synced, "data", None)  # what run-all does: no second read of the store
    del synced  # otherwise what the job returns stays alive during compliance

    job = compliance.run(ctx, quarter_text=None, fmt="json", **kwargs)
    kwargs.clear()
    t3 = time.perf_counter()
    # Every quarter: the job has each ambassador's whole history; read every quarter's standings off it.
    all_tracks, last = job.data["tracks"], job.data["last_checkins"]
    through = latest_ended(ctx.as_of)
    first = min((Quarter.of(t.ambassador.start_date) for t in all_tracks), default=through)
    quarters = quarters_between(first, through)
    verdicts = 0
    for q in quarters:
        verdicts += len(rules.standings(all_tracks, q, last))
    roster, activities = all_tracks, range(verdicts)
    t4 = time.perf_counter()
    return {
        "build_s": t1 - t0, "sync_s": t2 - t1, "compliance_job_s": t3 - t2, "compliance_all_s": t4 - t3,
        "compliance_s": t4 - t2, "seconds": t4 - t0, "peak_mb": peak_mb(), "peak_after_sync_mb": sync_mb,
        "peak_after_imports_mb": base_mb, "sync_summary": sync_summary, "compliance_summary": job.summary,
        "problems": problems, "reused": reused, "activities": len(activities), "roster": len(roster),  # records
        "quarters": len(quarters), "verdicts": verdicts, "json_chars": len(job.output),
    }


PHASES = {"baseline": phase_baseline, "parse": phase_parse, "full": phase_full,
          "full-reuse": lambda workdir: phase_full(workdir, reuse=True)}


# -- the driver ---------------------------------------------------------------------------------
def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def run_phase(name: str, workdir: Path, profile: Path | None = None) -> dict:
    cmd = [sys.executable]
    if profile is not None:
        cmd += ["-m", "cProfile", "-o", str(profile)]
    cmd += [str(Path(__file__).resolve()), "--_phase", name, "--workdir", str(workdir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=str(REPO))
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (proc.stderr or proc.stdout).strip() or f"exit status {proc.returncode}"}
    return json.loads(lines[-1])


def ensure_data(workdir: Path, ambassadors: int, quarters: int, seed: int) -> dict:
    meta_path = workdir / "bench_meta.json"
    want = {"ambassadors": ambassadors, "quarters": quarters, "seed": seed}
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        have = all((workdir / f).is_file() for f in ("config.yaml", "ambassadors.csv", "checkin_responses.csv"))
        if have and all(meta.get(k) == v for k, v in want.items()):
            print(f"Using the data in {workdir} ({meta['rows']} responses, {meta['activity_sections']} filled "
                  f"activity sections).")
            return meta
    except (OSError, ValueError):
        pass
    # In a child process: on Linux a child's ru_maxrss starts from its parent's peak (the kernel
    # carries the high-water mark over fork and exec), so the driver must stay small.
    cmd = [sys.executable, str(HERE / "generate.py"), str(workdir), "--ambassadors", str(ambassadors),
           "--quarters", str(quarters), "--seed", str(seed)]
    subprocess.run(cmd, check=True, env=child_env(), cwd=str(REPO))
    return json.loads(meta_path.read_text(encoding="utf-8"))


def best(results: list[dict]) -> dict:
    good = [r for r in results if "error" not in r]
    if not good:
        return results[-1]
    out = dict(min(good, key=lambda r: r["seconds"]))
    out["peak_mb"] = max(r["peak_mb"] for r in good)  # the worst peak seen over the runs
    out["runs"] = len(good)
    return out


def print_profile(path: Path, limit: int) -> None:
    import pstats
    stats = pstats.Stats(str(path))
    pkg = str(REPO / "automations")
    rows = []
    for (filename, line, func), (cc, nc, tt, ct, _callers) in stats.stats.items():
        if filename.startswith(pkg):
            rows.append((ct, tt, nc, f"{Path(filename).relative_to(REPO)}:{line}({func})"))
    print(f"\nHotspots in the package (cProfile of the full phase, {path}), by cumulative time:")
    print(f"{'cumulative s':>12}  {'own s':>8}  {'calls':>10}  function")
    for ct, tt, nc, name in sorted(rows, reverse=True)[:limit]:
        print(f"{ct:12.3f}  {tt:8.3f}  {nc:10d}  {name}")
    print("\nBy own time, anywhere (the package, the standard library, builtins):")
    allrows = []
    for (filename, line, func), (cc, nc, tt, ct, _callers) in stats.stats.items():
        where = str(Path(filename).relative_to(REPO)) if filename.startswith(str(REPO)) else Path(filename).name
        allrows.append((tt, ct, nc, f"{where}:{line}({func})"))
    print(f"{'own s':>8}  {'cumulative s':>12}  {'calls':>10}  function")
    for tt, ct, nc, name in sorted(allrows, reverse=True)[:limit]:
        print(f"{tt:8.3f}  {ct:12.3f}  {nc:10d}  {name}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ambassadors", type=int, default=10000)
    ap.add_argument("--quarters", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=None,
                    help="where the data lives (default: bench/out/a{ambassadors}_q{quarters}_s{seed}/)")
    ap.add_argument("--parse-runs", type=int, default=3, help="runs of the bare parse; the best is shown")
    ap.add_argument("--full-runs", type=int, default=1, help="runs of the full phase; the best is shown")
    ap.add_argument("--warm", action="store_true",
                    help="keep the store a previous run wrote (default: remove it, so sync writes from scratch)")
    ap.add_argument("--reuse", action="store_true",
                    help="hand sync's result to compliance as run-all does (compliance.run(..., synced=...)) "
                         "instead of reading the store back as the separate commands do")
    ap.add_argument("--profile", nargs="?", const="", default=None, metavar="FILE",
                    help="also run the full phase under cProfile (stats saved to FILE, default "
                         "WORKDIR/full.prof) and print the top hotspots")
    ap.add_argument("--top", type=int, default=25, help="how many hotspots --profile prints")
    ap.add_argument("--_phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    workdir = a.workdir or HERE / "out" / f"a{a.ambassadors}_q{a.quarters}_s{a.seed}"
    workdir = workdir.resolve()
    if a._phase:
        print(json.dumps(PHASES[a._phase](workdir)))
        return 0

    meta = ensure_data(workdir, a.ambassadors, a.quarters, a.seed)

    def clean_store() -> None:
        if not a.warm:
            for name in JOB_OWNED:
                (workdir / name).unlink(missing_ok=True)

    full_phase = "full-reuse" if a.reuse else "full"
    baseline = run_phase("baseline", workdir)
    parse = best([run_phase("parse", workdir) for _ in range(max(1, a.parse_runs))])
    fulls = []
    for _ in range(max(1, a.full_runs)):
        clean_store()
        fulls.append(run_phase(full_phase, workdir))
    full = best(fulls)

    size = (workdir / "checkin_responses.csv").stat().st_size / 1e6
    print(f"\n{meta['ambassadors']} ambassadors, {meta['quarters']} quarters ({meta.get('first_quarter')}.."
          f"{meta.get('last_quarter')}), {meta['rows']} responses ({size:.1f} MB), as of {AS_OF.isoformat()}; "
          f"{sys.implementation.name} {sys.version.split()[0]}\n")
    failed = False
    for label, res in (("baseline", baseline), ("parse", parse), ("full", full)):
        if "error" in res:
            failed = True
            print(f"The {label} phase failed:\n{res['error']}\n")
    if "error" not in full:
        for line in full["sync_summary"] + full["compliance_summary"]:
            print(f"  {line}")
        print(f"  compliance over all quarters: {full['quarters']} quarters, {full['verdicts']} verdicts, "
              f"{full['roster']} ambassadors, {full['activities']} quarter records.\n")

    def num(res: dict, key: str, fmt: str = "{:.3f}") -> str:
        return fmt.format(res[key]) if key in res else "-"

    table = [("phase", "seconds", "peak RSS MB", "runs")]
    table.append(("baseline (import the package)", "-", num(baseline, "peak_mb", "{:.0f}"), "1"))
    table.append(("bare parse (csv.reader -> list)", num(parse, "seconds"), num(parse, "peak_mb", "{:.0f}"),
                  str(parse.get("runs", "-"))))
    if "error" not in full:
        runs = str(full["runs"])
        table += [
            ("  build context", num(full, "build_s", "{:.3f}"), "", ""),
            ("  sync-checkins", num(full, "sync_s"), num(full, "peak_after_sync_mb", "{:.0f}"), ""),
            ("  compliance job (json" + (", sync's data)" if full.get("reused") else ")"),
             num(full, "compliance_job_s"), "", ""),
            (f"  tracks + standings x {full['quarters']}", num(full, "compliance_all_s"), "", ""),
            ("  compliance, total", num(full, "compliance_s"), "", ""),
            ("full run (sync + compliance)", num(full, "seconds"), num(full, "peak_mb", "{:.0f}"), runs),
        ]
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    for i, r in enumerate(table):
        print(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}")
        if i == 0:
            print("  ".join("-" * w for w in widths))

    if not failed:
        ratio = full["seconds"] / parse["seconds"]
        peak = max(full["peak_mb"], parse["peak_mb"])
        print(f"\nratio full / bare parse: {ratio:.1f} (target <= {RATIO_TARGET:g}): "
              f"{'met' if ratio <= RATIO_TARGET else 'NOT met'}")
        print(f"peak RSS of the full run: {full['peak_mb']:.0f} MB (target < {PEAK_TARGET_MB:g} MB; the bare import "
              f"alone is {baseline['peak_mb']:.0f} MB): {'met' if full['peak_mb'] < PEAK_TARGET_MB else 'NOT met'}")

    if a.profile is not None:
        prof = Path(a.profile) if a.profile else workdir / "full.prof"
        clean_store()
        res = run_phase(full_phase, workdir, profile=prof.resolve())
        if "error" in res:
            print(f"\nThe profiled run failed:\n{res['error']}")
        else:
            print(f"\nProfiled full run: {res['seconds']:.2f} s under cProfile (sync {res['sync_s']:.2f} s, "
                  f"compliance {res['compliance_s']:.2f} s).")
            print_profile(prof.resolve(), a.top)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
