#!/usr/bin/env python3
"""The quarterly report with its years of history at 1,000 ambassadors x 12 quarters: seconds and sizes.

    python -m bench.bench_report [--ambassadors 1000] [--quarters 12] [--workdir DIR]

Generates the synthetic program (bench/generate.py: the roster and the check-in responses) with 400 funding
requests and 300 referral inquiries beside it (about half approved or paid, half accepted, spread over the
program's years), syncs the check-ins once, then makes `report --quarter 2026Q3` as the command does
(`jobs.report.run`, the staff mail left out), with the page per ambassador (`report.ambassador_pages`) and
without it, each in a fresh context. Prints the seconds of each run and of its parts (the figures, the HTML page,
the PDF), and the size of each file and the PDF's pages. A report, not a test: it always exits 0.

Measured 2026-12-07 on the shared 2-core machine (three runs, other work beside them): with the pages 6.2 to 9.9 s
(the PDF 5.7 to 9.1 s, the HTML page 0.2 to 0.3 s), a PDF of 1,040 pages and 1,695 KiB, a page of 3,493 KiB;
without them 2.5 to 3.5 s, 40 pages, 244 KiB. bench/RESULTS.md has the table.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import yaml

from bench.generate import REPO, generate

AS_OF = date(2026, 11, 23)
QUARTER = "2026Q3"


def extras(folder: Path, seed: int = 1) -> None:
    """Funding requests and referral inquiries of the roster's ambassadors, over the program's years."""
    rnd = random.Random(seed)
    with (folder / "ambassadors.csv").open(encoding="utf-8", newline="") as fh:
        people = [(r["Email"], date.fromisoformat(r["Start date"]), r["Country"]) for r in csv.DictReader(fh)]
    end = date(2026, 9, 30)

    def day_after(start: date) -> date:
        return start + timedelta(days=rnd.randrange(max((end - start).days, 1)))

    with (folder / "funding_requests.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Ambassador email", "What", "Kind", "Amount", "Currency", "Event date", "Region", "Status",
                    "Approved amount", "Invoice", "Invoice received", "Evidence", "Requested on"])
        for i in range(400):
            email, start, _ = rnd.choice(people)
            event = day_after(start)
            status = rnd.choice(["approved", "paid", "paid", "requested", "rejected"])
            w.writerow([email, f"Meetup {i}", "", str(rnd.randrange(50, 900)), rnd.choice(["EUR", "EUR", "USD"]),
                        event.isoformat(), "", status, "", "", "", "", (event - timedelta(days=30)).isoformat()])
    with (folder / "referral_inquiries.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Organization", "Contact name", "Contact email", "Country", "Region", "Language", "Need",
                    "Details", "Summary for ambassadors", "Referral history"])
        for i in range(300):
            email, start, country = rnd.choice(people)
            offered = day_after(start)
            steps = f"{offered.isoformat()} offered {email}"
            if rnd.random() < 0.6:
                steps += f"; {(offered + timedelta(days=2)).isoformat()} accepted {email}"
            w.writerow([f"Org {i}", "A Person", f"contact{i}@org.example.com", country, "", "en", "training", "", "",
                        steps])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ambassadors", type=int, default=1000)
    parser.add_argument("--quarters", type=int, default=12)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)

    from automations import bootstrap
    from automations.config import load_config
    from automations.jobs import report, sync_checkins

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.workdir or Path(tmp)
        generate(folder, args.ambassadors, args.quarters, seed=1, quiet=True)
        extras(folder)
        settings = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
        settings["report"]["templates_dir"] = str(REPO / "templates" / "report")  # the shipped templates
        (folder / "config.yaml").write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
        config = load_config(folder / "config.yaml")
        t0 = time.perf_counter()
        sync_checkins.run(bootstrap.build(config, AS_OF, False))
        print(f"{args.ambassadors} ambassadors x {args.quarters} quarters: check-ins synced in "
              f"{time.perf_counter() - t0:.1f} s (not counted below)")
        for pages in (True, False):
            ctx = bootstrap.build(config, AS_OF, False)
            ctx.settings.report = replace(ctx.settings.report, ambassador_pages=pages, email_staff=False)
            timed = []
            for renderer in ctx.makers.report_renderers:
                timed.append(Timed(renderer))
            ctx.makers.report_renderers = tuple(timed)
            t0 = time.perf_counter()
            res = report.run(ctx, QUARTER)
            seconds = time.perf_counter() - t0
            assert not res.failures, res.failures
            r = res.data["report"]
            out = Path(ctx.makers.report_archive.where) / QUARTER
            sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
            pdf_pages = sum(1 for _ in _pages(out / "report.pdf"))
            parts = ", ".join(f"{t.filename} {t.seconds:.2f} s" for t in timed)
            print(f"ambassador_pages={str(pages).lower()}: {seconds:.2f} s in all ({parts}; the figures the rest); "
                  f"{len(r.histories)} pages of history, {len(r.cohorts)} cohorts, "
                  f"{sum(y.activities for h in r.histories for y in h.years):,} activities on them; "
                  + ", ".join(f"{name} {size / 1024:,.0f} KiB" for name, size in sizes.items())
                  + f"; the PDF has {pdf_pages} pages")
            for p in out.iterdir():
                p.unlink()
    return 0


def _pages(path: Path):
    import pypdf

    return pypdf.PdfReader(path).pages


class Timed:
    """A report renderer whose time is kept."""

    def __init__(self, inner):
        self.inner, self.filename, self.seconds = inner, inner.filename, 0.0

    def render(self, report) -> bytes:
        t0 = time.perf_counter()
        try:
            return self.inner.render(report)
        finally:
            self.seconds += time.perf_counter() - t0


if __name__ == "__main__":
    raise SystemExit(main())
