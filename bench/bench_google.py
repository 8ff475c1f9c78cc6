#!/usr/bin/env python3
"""Google requests per run against the minimum: the response sheet, the Forms API, blog reviews.

    python bench/bench_google.py [--ambassadors 1000] [--quarters 5]

A synthetic program (`generate.py`) goes into the fake Google of tests/fake_google.py on
127.0.0.1, once as a response spreadsheet and once as a form's responses, and `sync-checkins`
reads it through the project's own sources (gspread; google-api-python-client). Then
`blog-reviews` runs twice over 20 proposals with Google Docs documents: the second run, with no new
proposal, must write nothing. Printed: requests by kind, the minimum, and whether the activities
match the CSV download's. A report, not a test: exit 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("NO_GCE_CHECK", "true")

import yaml  # noqa: E402

from automations import bootstrap  # noqa: E402
from automations.config import load_config  # noqa: E402
from automations.jobs import blog_reviews, sync_checkins  # noqa: E402
from bench.generate import generate  # noqa: E402
from tests.fake_google import FakeGoogle, make_service_account_key  # noqa: E402
from tests.test_google import SA, example_rows, form_answers, london, sheet_cells  # noqa: E402

AS_OF = date(2026, 11, 23)


def configure(path: Path, **sections) -> None:
    cfg = yaml.safe_load(path.read_text())
    for name, values in sections.items():
        cfg.setdefault(name, {}).update(values)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False))


def run_sync(config: Path) -> tuple[dict, float, list]:
    t0 = time.perf_counter()
    ctx = bootstrap.build(load_config(config), AS_OF, dry_run=True)
    res = sync_checkins.run(ctx)
    u = ctx.usage[0] if ctx.usage else None
    figures = {"requests": u.requests, "reads": u.reads, "writes": u.writes, "retries": u.retries,
               "minimum": u.lower_bound} if u else {}
    return figures, time.perf_counter() - t0, res.data["activities"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ambassadors", type=int, default=1000)
    ap.add_argument("--quarters", type=int, default=5)
    a = ap.parse_args(argv)
    work = REPO / "bench" / "out" / f"google_a{a.ambassadors}_q{a.quarters}"
    shutil.rmtree(work, ignore_errors=True)
    meta = generate(work, a.ambassadors, a.quarters, 1, quiet=True)
    shutil.copytree(REPO / "templates", work / "templates")
    config = work / "config.yaml"
    headers, rows = example_rows(work / "checkin_responses.csv")
    _, _, reference = run_sync(config)
    with FakeGoogle() as fake:
        key = make_service_account_key(client_email=SA, token_uri=fake.url + "/token")
        fake.register_service_account(key)
        (work / "credentials.json").write_text(json.dumps(key))
        configure(config, google={"credentials_env": "", "endpoints": {n: fake.url for n in
                                                                       ("sheets", "forms", "drive", "docs")}})
        fake.add_spreadsheet("benchSheet", time_zone="America/Sao_Paulo", locale="pt_BR",
                             tabs={"Form Responses 1": sheet_cells(headers, rows)}, share_with=(SA,))
        configure(config, checkin_form={"source": "sheets", "spreadsheet_id": "benchSheet"})
        sheet, seconds, acts = run_sync(config)
        print(json.dumps({"source": "sheets", "responses": len(rows), **sheet, "seconds": round(seconds, 2),
                          "same_activities": acts == reference}))

        configure(config, checkin_form={"source": "local"})
        form_id, _ = bootstrap.build(load_config(config), AS_OF, dry_run=False).makers.form_builder.create()
        slots = json.loads((work / "form_questions.json").read_text())["questions"]
        for r in rows:
            fake.add_response(form_id, form_answers(slots, headers, r, 3), london(r[0]), None)
        configure(config, checkin_form={"source": "forms", "form_id": form_id})
        form, seconds, acts = run_sync(config)
        print(json.dumps({"source": "forms", "responses": len(rows), **form, "seconds": round(seconds, 2),
                          "same_activities": acts == reference}))

        fake.add_folder("benchFolder", "Reviews", shared_drive=True, share_with=(SA,))
        fake.add_document("benchTemplate", "Template", "Review: {{title}} by {{author}}\n{{summary}}\n{{checklist}}\n"
                          "{{reviewers}} {{author_email}} {{proposed_on}} {{created_on}}\n", parent="benchFolder",
                          share_with=(SA,))
        configure(config, checkin_form={"source": "local"},
                  blog_reviews={"documents": "google", "template_document_id": "benchTemplate",
                                "folder_id": "benchFolder"})
        import csv

        with (work / "ambassadors.csv").open(encoding="utf-8", newline="") as fh:
            authors = [r["Email"].strip().lower() for r in csv.DictReader(fh)][:20]
        with (work / "blog_proposals.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["Title", "Author email", "Summary", "Reviewers", "Stage", "Published URL", "Published on"])
            for i, author in enumerate(authors):
                w.writerow([f"Post {i}", author, "A summary.", "", "draft", "", ""])
        for label in ("blog-reviews, 20 new proposals", "blog-reviews, no new proposal"):
            ctx = bootstrap.build(load_config(config), AS_OF, dry_run=False)
            before = (work / "blog_proposals.csv").read_bytes()
            res = blog_reviews.run(ctx)
            u = ctx.usage[0]
            print(json.dumps({"run": label, "google_requests": u.requests, "google_writes": u.writes,
                              "proposals_file_changed": (work / "blog_proposals.csv").read_bytes() != before,
                              "failures": len(res.failures)}))
    print(f"(program: {meta['rows']} responses from {a.ambassadors} ambassadors)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
