"""Benchmark: yearly certificates for 1,000 ambassadors, then a rerun that must draw none.

    python bench/bench_certificates.py [--ambassadors 1000] [--cjk-share 0.05] [--workdir DIR] [--json FILE]

A roster of active ambassadors whose anniversary is the run's day (names in Latin with diacritics,
Cyrillic, Greek, Arabic and, for `--cjk-share` of them, Chinese or Japanese) goes through the real
`certificates` job on the local backend with the outbox transport: plan, ledger, PDF (fpdf2), mail
with the PDF attached. It reports the seconds per PDF (drawing only, after the fonts are prepared
for the run's characters as the job does, and the whole job per certificate), the time the fonts
take to prepare, the PDF sizes (mean, largest), by script, and the rerun: no PDF drawn, its time.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from automations import bootstrap  # noqa: E402
from automations.config import load_config  # noqa: E402
from automations.jobs import certificates  # noqa: E402

DAY = date(2026, 11, 25)
NAMES = {
    "latin": (["Zoë", "José", "Łukasz", "Théo", "Ingrid", "Nguyễn", "Søren", "Çağla", "Ana", "Jürgen"],
              ["Müller", "Álvarez", "Wiśniewski", "Lefèvre", "Þórsdóttir", "Thị Lan", "Kovačević", "Öztürk"]),
    "cyrillic": (["Дмитрий", "Ђорђе", "Анна", "Олена", "Иван"], ["Петровић", "Шостакович", "Коваленко", "Иванова"]),
    "greek": (["Γιώργος", "Ελένη", "Νίκος", "Μαρία"], ["Παπαδόπουλος", "Κωνσταντίνου", "Οικονόμου"]),
    "arabic": (["محمد", "فاطمة", "أحمد", "ليلى"], ["عبد الله", "الحسن", "المنصور"]),
    "cjk": (["李", "山田", "王", "김", "佐藤"], ["小龙", "太郎", "芳", "민준", "花子"]),
}
HEADER = ["Name", "Email", "Country", "Region", "University", "Languages", "Start date", "Status"]


def roster(n: int, cjk_share: float, seed: int = 1) -> list[tuple[str, list[str]]]:
    rnd = random.Random(seed)
    others = ["latin", "cyrillic", "greek", "arabic"]
    rows = []
    for i in range(n):
        script = "cjk" if rnd.random() < cjk_share else others[i % len(others)]
        first, last = NAMES[script]
        name = f"{rnd.choice(first)}{'' if script == 'cjk' else ' '}{rnd.choice(last)}"
        start = DAY.replace(year=DAY.year - rnd.randint(1, 6))
        rows.append((script, [name, f"amb{i}@example.org", "", "", "", "en", start.isoformat(), "active"]))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ambassadors", type=int, default=1000)
    ap.add_argument("--cjk-share", type=float, default=0.05, help="share of Chinese/Japanese/Korean names")
    ap.add_argument("--workdir", type=Path, help="keep the program here (default: a temporary folder)")
    ap.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_certificates_"))
    if work.exists():
        shutil.rmtree(work)
    (work / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "templates", work / "templates")
    shutil.copy(ROOT / "config.yaml", work / "config.yaml")
    people = roster(args.ambassadors, args.cjk_share)
    with (work / "data" / "ambassadors.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *(row for _, row in people)])
    config = load_config(work / "config.yaml")

    # Drawing alone, per script (the same renderer the job uses), on the first 200 of each script.
    ctx = bootstrap.build(config, DAY, dry_run=True)
    from automations.domain.certificates import plan_yearly

    per_script: dict[str, list[tuple[float, int]]] = {}
    renderer = ctx.makers.certificates
    renderer.covers("a")  # the fonts' character maps, read once per run, not counted per PDF
    scripts = {row[1]: script for script, row in people}
    roster_now, _ = ctx.stores.roster.read()
    planned = plan_yearly(roster_now, DAY, 30, "Mautic Ambassador Program")
    t = time.perf_counter()
    renderer.prepare(planned)  # as the job does: the fonts cut to the run's characters, once per run
    prepare_s = time.perf_counter() - t
    for cert in planned:
        script = scripts[cert.email]
        if len(per_script.setdefault(script, [])) >= 50:
            continue
        t = time.perf_counter()
        pdf = renderer.render(cert)
        per_script[script].append((time.perf_counter() - t, len(pdf)))

    t = time.perf_counter()
    first = certificates.run(bootstrap.build(config, DAY, dry_run=False))
    first_s = time.perf_counter() - t
    t = time.perf_counter()
    rerun = certificates.run(bootstrap.build(config, DAY, dry_run=False))
    rerun_s = time.perf_counter() - t
    sizes = [p.stat().st_size for p in (work / "outbox").rglob("*.pdf")]

    drawn = first.data["drawn"]
    figures = {
        "ambassadors": args.ambassadors, "certificates_due": first.data["due"], "pdfs_drawn": drawn,
        "job_seconds": round(first_s, 2), "seconds_per_certificate_whole_job": round(first_s / max(drawn, 1), 4),
        "seconds_per_pdf_drawing": round(first.data["seconds"] / max(drawn, 1), 4),
        "pdf_bytes_mean": round(statistics.mean(sizes)) if sizes else 0, "pdf_bytes_max": max(sizes, default=0),
        "pdf_bytes_min": min(sizes, default=0), "fonts_prepared_seconds": round(prepare_s, 3),
        "by_script": {s: {"pdfs": len(v), "seconds_per_pdf": round(statistics.mean(x for x, _ in v), 4),
                          "bytes_mean": round(statistics.mean(b for _, b in v))} for s, v in sorted(per_script.items())},
        "rerun_pdfs_drawn": rerun.data["drawn"], "rerun_seconds": round(rerun_s, 2),
        "failures": len(first.failures) + len(rerun.failures), "workdir": str(work),
    }
    print(f"certificates for {args.ambassadors} ambassadors ({figures['certificates_due']} due on {DAY}):")
    print(f"  first run: {drawn} PDFs in {first_s:.1f} s: {figures['seconds_per_certificate_whole_job']:.3f} s per "
          f"certificate (job), {figures['seconds_per_pdf_drawing']:.3f} s per PDF (drawing and rendering the mail)")
    print(f"  PDF size: mean {figures['pdf_bytes_mean'] / 1024:.1f} KiB, min {figures['pdf_bytes_min'] / 1024:.1f} KiB, "
          f"max {figures['pdf_bytes_max'] / 1024:.1f} KiB")
    print(f"  fonts prepared once for the run's characters: {prepare_s:.2f} s")
    for s, v in figures["by_script"].items():
        print(f"    {s:9} {v['seconds_per_pdf']:.3f} s per PDF, {v['bytes_mean'] / 1024:.1f} KiB ({v['pdfs']} drawn alone)")
    print(f"  rerun: {rerun.data['drawn']} PDFs drawn, {rerun_s:.2f} s")
    ok = rerun.data["drawn"] == 0 and drawn == figures["certificates_due"] and not figures["failures"]
    print("  " + ("OK: every certificate drawn once, the rerun drew none." if ok else "NOT OK: see the figures."))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
