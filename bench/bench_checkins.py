#!/usr/bin/env python3
"""Benchmark: bare parse of the responses vs. `sync-checkins` + `compliance`: first run and reruns.

    python bench/bench_checkins.py [--ambassadors 10000] [--quarters 40] [--seed 1] [--workdir DIR]
                                   [--parse-runs 3] [--full-runs 1] [--rerun-runs 3] [--no-run-all]
                                   [--profile [FILE]] [--profile-rerun [FILE]] [--json FILE|-]

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
            (best of --full-runs);
- first:    what `run-all` does for check-ins, from an empty store: the context built as the full
            phase builds it, `synced = sync_checkins.run(ctx)`, `compliance.run(ctx, synced=synced.data)`
            (the chain of automations/jobs/run_all.py, checked against its source: the phase stops
            with an error if run_all.py chains them differently);
- rerun:    the same work again on the store `first` wrote, with no new response (best of --rerun-runs);
- plus50:   the same work on a copy of the work folder whose responses file has 50 new responses
            appended (bench/generate.py --append 50); the copy is removed afterwards, so the work
            folder is unchanged;
- run-all first / run-all rerun: `run_all.run(ctx)` (every job, mail to the outbox transport in
            WORKDIR/outbox) from an empty store, mail ledger and outbox, then again with nothing new;
            the outbox's own time (writing the messages, rebuilding index.html) is shown apart.

Prints a table and whether the targets are met (full and first <= 6 x parse, every peak <= 300 MB,
rerun <= 0.1 x first, plus50 <= 0.15 x first). Always exits 0: it is a report, not a test.
`--profile` also runs the full phase under cProfile, `--profile-rerun` the rerun phase, and each
prints the hotspots in the package. `--json` writes every figure as JSON.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import inspect
import json
import os
import resource
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
AS_OF = date(2026, 11, 23)
RATIO_TARGET = 6.0  # issue 20 ("a lean first run"); 3.0 before it
PEAK_TARGET_MB = 300.0
RERUN_TARGET = 0.10  # no-change rerun / first run
PLUS_TARGET = 0.15  # rerun after PLUS_RESPONSES new responses / first run
PLUS_RESPONSES = 50
JOB_OWNED = ("activities.csv", "checkins.csv", "unusable_rows.csv")
# What generate.py writes; every other file in the work folder is state the jobs derived (the store,
# the mail ledger and lock, any cache a later version keeps there) and is removed for a first run.
INPUTS = ("config.yaml", "ambassadors.csv", "checkin_responses.csv", "bench_meta.json")
# How automations/jobs/run_all.py chains the two check-in jobs; the first, rerun and plus50 phases
# make the same calls and refuse to run if run_all.py no longer does exactly this.
RUN_ALL_CHAIN = ("sync_checkins.run(ctx)", "compliance.run(ctx, synced=synced.data)")
JOB_ORDER = ("sync-checkins", "compliance", "reminders", "notices", "digest", "blog-reviews")  # for the table


def peak_mb() -> float:
    """This process's peak resident set size in MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


# -- the phases, each run in a fresh process --------------------------------------------------
def start_profile():
    """cProfile around a phase's work only (not its imports), when the driver asked (--profile...)."""
    path = os.environ.get("BENCH_PROFILE")
    if not path:
        return None
    import cProfile
    prof = cProfile.Profile()
    prof.enable()
    return prof, path


def stop_profile(started) -> None:
    if started:
        prof, path = started
        prof.disable()
        prof.dump_stats(path)


def phase_baseline(workdir: Path) -> dict:
    from automations import bootstrap  # noqa: F401
    from automations.config import load_config  # noqa: F401
    from automations.jobs import compliance, sync_checkins  # noqa: F401
    return {"peak_mb": peak_mb()}


def phase_parse(workdir: Path) -> dict:
    import csv
    csv.field_size_limit(10 * 1024 * 1024)
    path = workdir / "checkin_responses.csv"
    t0, c0 = time.perf_counter(), time.process_time()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"seconds": seconds, "cpu_s": cpu, "rows": len(rows) - 1, "peak_mb": peak_mb()}


def phase_full(workdir: Path, reuse: bool = False) -> dict:
    from automations import bootstrap
    from automations.config import load_config
    from automations.domain import compliance as rules
    from automations.domain.quarters import Quarter, latest_ended, quarters_between
    from automations.jobs import compliance, sync_checkins

    base_mb = peak_mb()
    profiling = start_profile()
    t0, c0 = time.perf_counter(), time.process_time()
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
    t4, c4 = time.perf_counter(), time.process_time()
    stop_profile(profiling)
    return {
        "cpu_s": c4 - c0,
        "build_s": t1 - t0, "sync_s": t2 - t1, "compliance_job_s": t3 - t2, "compliance_all_s": t4 - t3,
        "compliance_s": t4 - t2, "seconds": t4 - t0, "peak_mb": peak_mb(), "peak_after_sync_mb": sync_mb,
        "peak_after_imports_mb": base_mb, "sync_summary": sync_summary, "compliance_summary": job.summary,
        "problems": problems, "reused": reused, "activities": len(activities), "roster": len(roster),  # records
        "quarters": len(quarters), "verdicts": verdicts, "json_chars": len(job.output),
    }


def check_run_all_chain() -> None:
    """Stop, loudly, if run-all no longer chains sync-checkins and compliance as the phases below do."""
    from automations.jobs import run_all
    tree = ast.parse(textwrap.dedent(inspect.getsource(run_all.run)))
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)
                    and ast.unparse(n.func) in ("sync_checkins.run", "compliance.run")),
                   key=lambda n: (n.lineno, n.col_offset))
    found = tuple(ast.unparse(n) for n in calls)
    if found != RUN_ALL_CHAIN:
        raise SystemExit(f"automations/jobs/run_all.py now makes the calls {found}, not {RUN_ALL_CHAIN}: "
                         f"update phase_chain in bench/bench_checkins.py to do what run-all does.")


def file_states(workdir: Path) -> dict:
    """Size, modification time and inode of each file in the folder (not in its sub-folders)."""
    out = {}
    for f in workdir.iterdir():
        if f.is_file() and f.suffix != ".prof":
            st = f.stat()
            out[f.name] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def derived_files(workdir: Path) -> list[Path]:
    """The work folder's files that are not the generator's inputs (nor profiles): what the jobs wrote."""
    return [f for f in workdir.iterdir() if f.is_file() and f.name not in INPUTS and f.suffix != ".prof"]


def phase_chain(workdir: Path) -> dict:
    """What `run-all` runs for check-ins (first, rerun and plus50 differ only in the folder's state)."""
    check_run_all_chain()
    from automations import bootstrap
    from automations.config import load_config
    from automations.jobs import compliance, sync_checkins

    config = load_config(workdir / "config.yaml")
    before = file_states(workdir)
    base_mb = peak_mb()
    profiling = start_profile()
    t0, c0 = time.perf_counter(), time.process_time()
    ctx = bootstrap.build(config, as_of=AS_OF, dry_run=False)
    t1 = time.perf_counter()
    synced = sync_checkins.run(ctx)  # = RUN_ALL_CHAIN[0]
    t2 = time.perf_counter()
    sync_mb = peak_mb()
    judged = compliance.run(ctx, synced=synced.data)  # = RUN_ALL_CHAIN[1]
    t3, c3 = time.perf_counter(), time.process_time()
    stop_profile(profiling)
    after = file_states(workdir)
    return {
        "cpu_s": c3 - c0, "build_s": t1 - t0, "sync_s": t2 - t1, "compliance_s": t3 - t2, "seconds": t3 - t0,
        "peak_mb": peak_mb(), "peak_after_sync_mb": sync_mb, "peak_after_imports_mb": base_mb,
        "sync_summary": list(synced.summary), "compliance_summary": list(judged.summary),
        "problems": len(synced.problems), "failures": len(synced.failures) + len(judged.failures),
        "written": sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name)),
    }


def phase_run_all(workdir: Path) -> dict:
    """`run_all.run(ctx)` as the command runs it, with each job, and the outbox's own work, timed apart."""
    from automations import bootstrap
    from automations.config import load_config
    from automations.jobs import blog_reviews, compliance, mail_jobs, run_all, sync_checkins

    times: dict[str, float] = {}
    counts = {"messages": 0, "index_writes": 0}

    def timed(label, fn, count=None):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                key = label(*args, **kwargs) if callable(label) else label
                times[key] = times.get(key, 0.0) + time.perf_counter() - t
                if count:
                    counts[count] += 1
        return wrapper

    base_mb = peak_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    ctx = bootstrap.build(load_config(workdir / "config.yaml"), as_of=AS_OF, dry_run=False)
    t1 = time.perf_counter()
    if ctx.mail.mailer.name != "outbox":
        raise SystemExit(f"the work folder's mail.transport is {ctx.mail.mailer.name}, not outbox")
    mailer = ctx.mail.mailer  # instance attributes: what delivery's `m.send` and `__exit__` find first
    mailer.send = timed("outbox_send", mailer.send, "messages")
    mailer.write_index = timed("outbox_index", mailer.write_index, "index_writes")
    patched = [(sync_checkins, "run", timed("sync-checkins", sync_checkins.run)),
               (compliance, "run", timed("compliance", compliance.run)),
               (mail_jobs, "run", timed(lambda ctx, job, **kw: job, mail_jobs.run)),
               (blog_reviews, "run", timed("blog-reviews", blog_reviews.run))]
    saved = [(mod, name, getattr(mod, name)) for mod, name, _ in patched]
    for mod, name, fn in patched:
        setattr(mod, name, fn)
    try:
        results = run_all.run(ctx)
    finally:
        for mod, name, fn in saved:
            setattr(mod, name, fn)
    t2, c2 = time.perf_counter(), time.process_time()
    send_s, index_s = times.pop("outbox_send", 0.0), times.pop("outbox_index", 0.0)
    return {
        "cpu_s": c2 - c0, "build_s": t1 - t0, "run_all_s": t2 - t1, "seconds": t2 - t0,
        "jobs_s": times,  # each job, in run order
        "outbox_send_s": send_s, "outbox_index_s": index_s, "outbox_s": send_s + index_s,
        "peak_mb": peak_mb(), "peak_after_imports_mb": base_mb, **counts,
        "summary": [line for r in results for line in r.summary],
        "failures": sum(len(r.failures) for r in results),
    }


PHASES = {"baseline": phase_baseline, "parse": phase_parse, "full": phase_full,
          "full-reuse": lambda workdir: phase_full(workdir, reuse=True),
          "chain": phase_chain, "run-all": phase_run_all}


# -- the driver ---------------------------------------------------------------------------------
def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def run_phase(name: str, workdir: Path, profile: Path | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_phase", name, "--workdir", str(workdir)]
    env = child_env()
    env.pop("BENCH_PROFILE", None)
    if profile is not None:
        env["BENCH_PROFILE"] = str(profile)  # the phase profiles its work, from the context build on
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(REPO))
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
    subprocess.run(cmd, check=True, env=child_env(), cwd=str(REPO), stdout=sys.stdout)  # stderr under --json -
    return json.loads(meta_path.read_text(encoding="utf-8"))


def best(results: list[dict]) -> dict:
    good = [r for r in results if "error" not in r]
    if not good:
        return results[-1]
    out = dict(min(good, key=lambda r: r["seconds"]))
    out["peak_mb"] = max(r["peak_mb"] for r in good)  # the worst peak seen over the runs
    out["runs"] = len(good)
    return out


def print_profile(path: Path, limit: int, phase: str = "full") -> None:
    import pstats
    stats = pstats.Stats(str(path))
    pkg = str(REPO / "automations")
    rows = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        if filename.startswith(pkg):
            rows.append((ct, tt, nc, f"{Path(filename).relative_to(REPO)}:{line}({func})"))
    print(f"\nHotspots in the package (cProfile of the {phase} phase's work, from the context build on, "
          f"{path}), by cumulative time:")
    print(f"{'cumulative s':>12}  {'own s':>8}  {'calls':>10}  function")
    for ct, tt, nc, name in sorted(rows, reverse=True)[:limit]:
        print(f"{ct:12.3f}  {tt:8.3f}  {nc:10d}  {name}")
    print("\nBy own time, anywhere (the package, the standard library, builtins):")
    allrows = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        where = str(Path(filename).relative_to(REPO)) if filename.startswith(str(REPO)) else Path(filename).name
        allrows.append((tt, ct, nc, f"{where}:{line}({func})"))
    print(f"{'own s':>8}  {'cumulative s':>12}  {'calls':>10}  function")
    for tt, ct, nc, name in sorted(allrows, reverse=True)[:limit]:
        print(f"{tt:8.3f}  {ct:12.3f}  {nc:10d}  {name}")


def copy_for_plus(workdir: Path) -> Path:
    """A copy of the work folder's files (not its folders) next to it, for the plus50 phase."""
    dest = workdir.with_name(workdir.name + f"_plus{PLUS_RESPONSES}")
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for f in workdir.iterdir():
        if f.is_file() and f.suffix != ".prof":
            shutil.copy2(f, dest / f.name)
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ambassadors", type=int, default=10000)
    ap.add_argument("--quarters", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=None,
                    help="where the data lives (default: bench/out/a{ambassadors}_q{quarters}_s{seed}/)")
    ap.add_argument("--parse-runs", type=int, default=3, help="runs of the bare parse; the best is shown")
    ap.add_argument("--full-runs", type=int, default=1,
                    help="runs of the full phase and of the first run; the best is shown")
    ap.add_argument("--rerun-runs", type=int, default=3, help="runs of the no-change rerun; the best is shown")
    ap.add_argument("--warm", action="store_true",
                    help="keep the store a previous run wrote (default: remove it, so sync writes from scratch)")
    ap.add_argument("--reuse", action="store_true",
                    help="hand sync's result to compliance as run-all does (compliance.run(..., synced=...)) "
                         "instead of reading the store back as the separate commands do")
    ap.add_argument("--no-run-all", action="store_true", help="skip the two run-all phases (mail to the outbox)")
    ap.add_argument("--profile", nargs="?", const="", default=None, metavar="FILE",
                    help="also run the full phase under cProfile (stats saved to FILE, default "
                         "WORKDIR/full.prof) and print the top hotspots")
    ap.add_argument("--profile-rerun", nargs="?", const="", default=None, metavar="FILE",
                    help="also run the no-change rerun under cProfile (stats saved to FILE, default "
                         "WORKDIR/rerun.prof) and print the top hotspots")
    ap.add_argument("--top", type=int, default=25, help="how many hotspots --profile and --profile-rerun print")
    ap.add_argument("--json", default=None, metavar="FILE",
                    help="also write every figure as JSON to FILE ('-': JSON alone on stdout, the report on stderr)")
    ap.add_argument("--_phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    workdir = a.workdir or HERE / "out" / f"a{a.ambassadors}_q{a.quarters}_s{a.seed}"
    workdir = workdir.resolve()
    if a._phase:
        print(json.dumps(PHASES[a._phase](workdir)))
        return 0

    report = contextlib.redirect_stdout(sys.stderr) if a.json == "-" else contextlib.nullcontext()
    with report:
        figures = bench(a, workdir)
    if a.json == "-":
        print(json.dumps(figures, indent=2))
    elif a.json:
        Path(a.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"\nEvery figure in {a.json}.")
    return 0


def package_state() -> dict:
    """The package's commit and how many of its files differ from it: the figures are for that tree."""
    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], capture_output=True, text=True, cwd=str(REPO))
        return proc.stdout.strip() if proc.returncode == 0 else ""
    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return {"commit": None, "changed_files": None}  # not a git checkout (an exported tree)
    changed = [line for line in git("status", "--porcelain", "--", "automations").splitlines() if line.strip()]
    return {"commit": commit, "changed_files": len(changed)}


def load_now() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def bench(a: argparse.Namespace, workdir: Path) -> dict:
    meta = ensure_data(workdir, a.ambassadors, a.quarters, a.seed)
    state_before, load_before, started = package_state(), load_now(), time.time()

    def clean_store(force: bool = False) -> None:
        """Back to the generator's files (the roster keeps the standing columns a run added)."""
        if force or not a.warm:
            for f in derived_files(workdir):
                f.unlink()

    def clean_mail() -> None:
        shutil.rmtree(workdir / "outbox", ignore_errors=True)

    full_phase = "full-reuse" if a.reuse else "full"
    baseline = run_phase("baseline", workdir)
    parse = best([run_phase("parse", workdir) for _ in range(max(1, a.parse_runs))])
    fulls = []
    for _ in range(max(1, a.full_runs)):
        clean_store()
        fulls.append(run_phase(full_phase, workdir))
    full = best(fulls)

    # What run-all does for check-ins: first from an empty store, then again with nothing new, then
    # on a copy of the folder with new responses appended (the work folder itself stays as it was).
    firsts = []
    for _ in range(max(1, a.full_runs)):
        clean_store(force=True)
        firsts.append(run_phase("chain", workdir))
    first = best(firsts)
    rerun = best([run_phase("chain", workdir) for _ in range(max(1, a.rerun_runs))])
    plus_dir = copy_for_plus(workdir)
    try:
        gen = subprocess.run([sys.executable, str(HERE / "generate.py"), str(plus_dir), "--append",
                              str(PLUS_RESPONSES)], capture_output=True, text=True, env=child_env(), cwd=str(REPO))
        if gen.returncode != 0:
            plus = {"error": gen.stderr.strip() or gen.stdout.strip()}
        else:
            print(gen.stdout.strip().replace(str(plus_dir / "checkin_responses.csv"), "the copy's responses"))
            plus = run_phase("chain", plus_dir)
    finally:
        shutil.rmtree(plus_dir, ignore_errors=True)

    runall_first = runall_rerun = None
    if not a.no_run_all:
        shutil.copytree(REPO / "templates", workdir / "templates", dirs_exist_ok=True)  # mail templates
        clean_store(force=True)
        clean_mail()
        runall_first = run_phase("run-all", workdir)
        runall_rerun = run_phase("run-all", workdir)

    size = (workdir / "checkin_responses.csv").stat().st_size / 1e6
    state_after, load_after = package_state(), load_now()
    print(f"\n{meta['ambassadors']} ambassadors, {meta['quarters']} quarters ({meta.get('first_quarter')}.."
          f"{meta.get('last_quarter')}), {meta['rows']} responses ({size:.1f} MB), as of {AS_OF.isoformat()}; "
          f"{sys.implementation.name} {sys.version.split()[0]}")
    where = (f"commit {state_before['commit']} with {state_before['changed_files']} files changed under "
             f"automations/ at the start, {state_after['commit']} with {state_after['changed_files']} at the end"
             if state_before["commit"] else f"{REPO / 'automations'} (not a git checkout)")
    print(f"package: {where}; 1-minute load average {load_before:.1f} at the start, {load_after:.1f} at the end "
          f"({os.cpu_count()} CPUs), {time.time() - started:.0f} s in all\n")
    phases = [("baseline", baseline), ("parse", parse), ("full", full), ("first", first), ("rerun", rerun),
              (f"plus{PLUS_RESPONSES}", plus)]
    if runall_first is not None:
        phases += [("run-all first", runall_first), ("run-all rerun", runall_rerun)]
    for label, res in phases:
        if "error" in res:
            print(f"The {label} phase failed:\n{res['error']}\n")
    ok = {label: "error" not in res for label, res in phases}
    if ok["full"]:
        for line in full["sync_summary"] + full["compliance_summary"]:
            print(f"  {line}")
        print(f"  compliance over all quarters: {full['quarters']} quarters, {full['verdicts']} verdicts, "
              f"{full['roster']} ambassadors, {full['activities']} quarter records.\n")
    for label, res in phases[3:6]:
        if ok[label]:
            print(f"  {label}: " + " ".join(res["sync_summary"] + res["compliance_summary"]))
            print(f"  {label}: files written: {', '.join(res['written']) or 'none'}.")
    for label, res in phases[6:]:
        if ok[label]:
            print(f"  {label}: {res['messages']} messages written to the outbox, index.html rebuilt "
                  f"{res['index_writes']} times, {res['failures']} failures.")
    print()

    def num(res: dict, key: str, fmt: str = "{:.3f}") -> str:
        return fmt.format(res[key]) if key in res else "-"

    table = [("phase", "seconds", "peak RSS MB", "runs", "CPU s")]
    table.append(("baseline (import the package)", "-", num(baseline, "peak_mb", "{:.0f}"), "1"))
    table.append(("bare parse (csv.reader -> list)", num(parse, "seconds"), num(parse, "peak_mb", "{:.0f}"),
                  str(parse.get("runs", "-")), num(parse, "cpu_s")))
    if ok["full"]:
        runs = str(full["runs"])
        table += [
            ("  build context", num(full, "build_s", "{:.3f}"), "", ""),
            ("  sync-checkins", num(full, "sync_s"), num(full, "peak_after_sync_mb", "{:.0f}"), ""),
            ("  compliance job (json" + (", sync's data)" if full.get("reused") else ")"),
             num(full, "compliance_job_s"), "", ""),
            (f"  tracks + standings x {full['quarters']}", num(full, "compliance_all_s"), "", ""),
            ("  compliance, total", num(full, "compliance_s"), "", ""),
            ("full run (sync + compliance)", num(full, "seconds"), num(full, "peak_mb", "{:.0f}"), runs,
             num(full, "cpu_s")),
        ]
    titles = {"first": "first run (run-all's sync + compliance)", "rerun": "rerun, no new response",
              f"plus{PLUS_RESPONSES}": f"rerun after {PLUS_RESPONSES} new responses"}
    for label, res in phases[3:6]:
        if ok[label]:
            table += [
                ("  build context", num(res, "build_s"), "", ""),
                ("  sync-checkins", num(res, "sync_s"), num(res, "peak_after_sync_mb", "{:.0f}"), ""),
                ("  compliance (synced=)", num(res, "compliance_s"), "", ""),
                (titles[label], num(res, "seconds"), num(res, "peak_mb", "{:.0f}"), str(res.get("runs", 1)),
                 num(res, "cpu_s")),
            ]
    for label, res in phases[6:]:
        if ok[label]:
            table.append(("  build context", num(res, "build_s"), "", ""))
            for job, secs in sorted(res["jobs_s"].items(), key=lambda kv: JOB_ORDER.index(kv[0])
                                    if kv[0] in JOB_ORDER else len(JOB_ORDER)):
                table.append((f"  {job}", f"{secs:.3f}", "", ""))
            table.append(("    of which outbox: write messages", num(res, "outbox_send_s"), "", ""))
            table.append(("    of which outbox: index.html", num(res, "outbox_index_s"), "", ""))
            table.append((f"{label} (run_all.run)", num(res, "seconds"), num(res, "peak_mb", "{:.0f}"), "1",
                          num(res, "cpu_s")))
    table = [(*r, "") if len(r) == 4 else r for r in table]
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    for i, r in enumerate(table):
        print(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}  "
              f"{r[4]:>{widths[4]}}".rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))

    def verdict(good: bool) -> str:
        return "met" if good else "NOT met"

    targets: dict[str, dict] = {}
    print()
    if ok["parse"]:
        for label, res in (("full", full), ("first", first)):
            if ok[label]:
                ratio, cpu = res["seconds"] / parse["seconds"], res["cpu_s"] / parse["cpu_s"]
                targets[f"{label}/parse"] = {"ratio": ratio, "cpu_ratio": cpu, "target": RATIO_TARGET,
                                             "met": ratio <= RATIO_TARGET}
                print(f"ratio {label} / bare parse: {ratio:.1f} (target <= {RATIO_TARGET:g}): "
                      f"{verdict(ratio <= RATIO_TARGET)}; in CPU time {cpu:.1f}")
    if ok["first"]:
        for label, target in (("rerun", RERUN_TARGET), (f"plus{PLUS_RESPONSES}", PLUS_TARGET)):
            if ok[label]:
                res = dict(phases)[label]
                ratio, cpu = res["seconds"] / first["seconds"], res["cpu_s"] / first["cpu_s"]
                targets[f"{label}/first"] = {"ratio": ratio, "cpu_ratio": cpu, "target": target, "met": ratio <= target}
                print(f"ratio {label} / first run: {ratio:.3f} (target <= {target:g}): {verdict(ratio <= target)}; "
                      f"in CPU time {cpu:.3f}")
    peaks = {label: res["peak_mb"] for label, res in phases[2:] if ok[label]}
    if peaks:
        worst = max(peaks, key=peaks.get)
        targets["peak"] = {"mb": peaks[worst], "phase": worst, "target": PEAK_TARGET_MB,
                           "met": peaks[worst] <= PEAK_TARGET_MB}
        print(f"peak RSS, worst phase ({worst}): {peaks[worst]:.0f} MB (target <= {PEAK_TARGET_MB:g} MB; the bare "
              f"import alone is {num(baseline, 'peak_mb', '{:.0f}')} MB): {verdict(peaks[worst] <= PEAK_TARGET_MB)}")
        print("  " + ", ".join(f"{label} {mb:.0f}" for label, mb in peaks.items()))
    if runall_first is not None and ok["run-all first"] and ok["run-all rerun"]:
        for label, res in phases[6:]:
            print(f"{label}: {res['seconds']:.2f} s, of which the outbox {res['outbox_s']:.2f} s "
                  f"({res['messages']} messages written, index.html {res['index_writes']} times); without the "
                  f"outbox {res['seconds'] - res['outbox_s']:.2f} s")
        print(f"ratio run-all rerun / run-all first: {runall_rerun['seconds'] / runall_first['seconds']:.3f} "
              f"(no target; for comparison)")

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
    if a.profile_rerun is not None:
        prof = Path(a.profile_rerun) if a.profile_rerun else workdir / "rerun.prof"
        if not (workdir / JOB_OWNED[0]).exists():  # the rerun needs a store: write it first, unprofiled
            run_phase("chain", workdir)
        res = run_phase("chain", workdir, profile=prof.resolve())
        if "error" in res:
            print(f"\nThe profiled rerun failed:\n{res['error']}")
        else:
            print(f"\nProfiled rerun (no new response): {res['seconds']:.2f} s under cProfile (sync "
                  f"{res['sync_s']:.2f} s, compliance {res['compliance_s']:.2f} s); files written: "
                  f"{', '.join(res['written']) or 'none'}.")
            print_profile(prof.resolve(), a.top, "rerun")

    return {"meta": meta, "as_of": AS_OF.isoformat(), "responses_mb": size,
            "python": f"{sys.implementation.name} {sys.version.split()[0]}",
            "package": {"start": state_before, "end": state_after},
            "load": {"start": load_before, "end": load_after, "cpus": os.cpu_count()},
            "phases": {label: res for label, res in phases}, "targets": targets}


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
