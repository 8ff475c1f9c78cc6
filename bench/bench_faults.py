"""Benchmark: each backend clean, then under issue 11's fault mix (30 % 429 + 10 % 5xx), at a larger size.

    python bench/bench_faults.py [--records 2000] [--messages 500] [--members 1000] [--sheet-copies 20] [--seed 7]

Each backend goes through the project's own adapters against its loopback fake (`tests.faults`):
- Airtable: `AirtableClient.upsert` of N keyed records (10 a request), then a full read; a manual clock, so
  the 30-second penalty after a 429 costs no real time;
- Google: the check-in sheet (the example's responses repeated) read by `sync-checkins` through gspread;
- Discourse: `DiscourseForumGroup.add` of N users (the job's batch size), then the member list; a manual clock;
- SMTP: N messages through `deliver` (ledger, SmtpMailer) to aiosmtpd, "429" being 421 and "5xx" 451.
For each: requests, retries, seconds, whether the end state equals the clean run's, duplicates, and runs
(SMTP: a message that met `max_attempts` [at most 10] faults in a row is recorded failed and the next
run sends it, as docs/mail.md says; at 40 % faults that is about 1 message in 10,000). It is a report,
not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from tests.faults import Faults  # noqa: E402

MIX = dict(rate_429=0.3, rate_5xx=0.1)


def airtable(n: int, faults: Faults) -> dict:
    from automations.adapters.airtable.client import AirtableClient, AirtableSettings
    from tests.fake_airtable import FakeAirtable, ManualClock

    clock = ManualClock(1000.0)
    with FakeAirtable(token="patBENCH.secret", base_ids=("appBENCH000000001",), clock=clock.now) as fake:
        fake.create_table("appBENCH000000001", "Things", [{"name": "Key", "type": "singleLineText"},
                                                          {"name": "Value", "type": "number",
                                                           "options": {"precision": 0}}])
        fake.faults = faults
        client = AirtableClient(AirtableSettings("appBENCH000000001", "patBENCH.secret", fake.url, "AIRTABLE_TOKEN",
                                                 max_attempts=15, retry_backoff_seconds=0.01),
                                clock=clock.now, sleep=clock.sleep)
        started = time.perf_counter()
        client.upsert("Things", [{"Key": f"k{i}", "Value": i} for i in range(n)], "Key")
        read = client.all_records("Things", ["Key", "Value"])
        seconds = time.perf_counter() - started
        keys = Counter(r["fields"]["Key"] for r in fake.records("appBENCH000000001", "Things"))
        state = sorted((r["fields"]["Key"], r["fields"]["Value"]) for r in read)
        return {"requests": len(fake.requests), "retries": client.usage.retries, "seconds": seconds,
                "state": state, "duplicates": sum(keys.values()) - len(keys)}


def google(copies: int, faults: Faults, work: Path) -> dict:
    import yaml

    from automations import bootstrap
    from automations.config import load_config
    from automations.jobs import sync_checkins
    from tests.conftest import copy_example
    from tests.fake_google import FakeGoogle, make_service_account_key
    from tests.test_google import SHEET, example_rows, sheet_cells

    sa = "automation@test-project.iam.gserviceaccount.com"
    program = copy_example(work / f"google-{faults.any}")
    with FakeGoogle() as fake:
        key = make_service_account_key(client_email=sa, token_uri=fake.url + "/token")
        fake.register_service_account(key)
        (program.parent / "credentials.json").write_text(json.dumps(key))
        headers, rows = example_rows()
        fake.add_spreadsheet(SHEET, tabs={"Form Responses 1": sheet_cells(headers, rows * copies)}, share_with=(sa,))
        cfg = yaml.safe_load(program.read_text())
        cfg["google"] = {"credentials_env": "", "endpoints": {n: fake.url for n in ("sheets", "forms", "drive", "docs",
                                                                                     "gmail")},
                         "retry_backoff_seconds": 0, "max_attempts": 15}
        cfg["checkin_form"].update(source="sheets", spreadsheet_id=SHEET)
        program.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False))
        fake.faults = faults
        started = time.perf_counter()
        ctx = bootstrap.build(load_config(program), date(2026, 11, 23), dry_run=True)
        res = sync_checkins.run(ctx)
        seconds = time.perf_counter() - started
        retries = sum(u.retries for u in ctx.usage)
        return {"requests": len(fake.requests), "retries": retries,
                "seconds": seconds, "state": [repr(a) for a in res.data["activities"]], "duplicates": 0}


def discourse(n: int, faults: Faults) -> dict:
    from automations.adapters.discourse.forum_group import DiscourseForumGroup, DiscourseSettings
    from automations.ports import FORUM_BATCH
    from tests.fake_airtable import ManualClock
    from tests.fake_discourse import FakeDiscourse

    clock = ManualClock(10_000.0)
    with FakeDiscourse(api_key="bench-key", clock=clock.now) as fake:
        fake.add_user("admin", admin=True)
        names = [fake.add_user(f"user{i:05d}").username for i in range(n)]
        fake.add_group("ambassadors")
        fake.faults = faults
        group = DiscourseForumGroup(DiscourseSettings(fake.url, "ambassadors", "admin", "bench-key", "DISCOURSE_API_KEY",
                                                      max_attempts=15, timeout_seconds=5),
                                    clock=clock.now, sleep=clock.advance)
        started = time.perf_counter()
        for i in range(0, n, FORUM_BATCH):
            group.add(names[i:i + FORUM_BATCH])
        members = sorted(m.username for m in group.members())
        seconds = time.perf_counter() - started
        return {"requests": group.requests, "retries": group.retries, "seconds": seconds, "state": members,
                "duplicates": len(members) - len(set(members))}


def smtp(n: int, faults: Faults, work: Path) -> dict:
    from automations.adapters.csv.ledger import CsvLedger
    from automations.adapters.files.send_lock import FileSendLock
    from automations.adapters.smtp import SmtpMailer
    from automations.config import SmtpConfig
    from automations.domain.messages import PlannedMessage
    from automations.mail.delivery import deliver
    from automations.mail.templates import TemplateRenderer
    from bench.bench_smtp import SENDER
    from bench.bench_smtp import run as _unused  # noqa: F401 - the same message as bench_smtp
    from tests import smtp_server

    server = smtp_server.start()
    try:
        server.handler.faults = faults
        planned = [PlannedMessage(key=f"bench:{i}", job="checkin_reminder", to_email=f"a{i}@example.org",
                                  to_name=f"Ambassador {i}", context={
                                      "first_name": f"Ambassador{i}", "quarter": "2026Q3", "closes": "2026-10-21",
                                      "days_left": 9, "needed": 2, "counted": [], "incomplete": [], "remaining": 2,
                                      "form_link": "https://forms.example.org/f"}) for i in range(n)]
        cfg = SmtpConfig(host=server.host, port=server.port, security="none", rate_per_second=0, timeout_seconds=10,
                         max_attempts=10, retry_backoff_seconds=0)
        mailer = SmtpMailer(cfg, {}, SENDER.from_address)
        renderer = TemplateRenderer(ROOT / "templates" / "emails",
                                    {"program_name": "Ambassador Program", "support_email": "support@example.org",
                                     "lead_name": "Lead"})
        folder = work / f"smtp-{faults.any}"
        folder.mkdir()
        started = time.perf_counter()
        runs, failed = 0, []
        while runs == 0 or (failed and runs < 3):
            # A message that met max_attempts faults in a row is recorded failed; the next run sends it (docs/mail.md).
            runs += 1
            d = deliver(planned, renderer=renderer, ledger=CsvLedger(folder / "ledger.csv"), mailer=mailer,
                        sender=SENDER, dry_run=False, lock=FileSendLock(folder / "lock", 120))
            failed = d.failures
        seconds = time.perf_counter() - started
        keys = Counter(server.keys())
        tries = len(server.received) + len(server.handler.faults_seen) - server.handler.faults_seen.count("lost_reply")
        return {"requests": tries, "retries": tries - n, "seconds": seconds, "state": sorted(keys),
                "duplicates": sum(keys.values()) - len(keys), "runs": runs}
    finally:
        server.controller.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--messages", type=int, default=500)
    ap.add_argument("--members", type=int, default=1000)
    ap.add_argument("--sheet-copies", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    mix = Faults(**MIX, seed=a.seed)
    print(f"fault mix: 30 % 429 + 10 % 5xx (seed {a.seed})")
    print(f"{'backend':<28} {'run':<6} {'requests':>8} {'retries':>8} {'seconds':>8}  {'end state equal':<15} "
          f"{'duplicates':<10} runs")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cases = [(f"Airtable ({a.records} records)", lambda f: airtable(a.records, f)),
                 (f"Google sheet ({a.sheet_copies}x example)", lambda f: google(a.sheet_copies, f, work)),
                 (f"Discourse ({a.members} members)", lambda f: discourse(a.members, f)),
                 (f"SMTP ({a.messages} messages)", lambda f: smtp(a.messages, f, work))]
        for name, fn in cases:
            clean = fn(Faults())
            faulty = fn(mix)
            for label, r in (("clean", clean), ("faults", faulty)):
                equal = "yes" if r["state"] == clean["state"] else "NO"
                print(f"{name:<28} {label:<6} {r['requests']:>8} {r['retries']:>8} {r['seconds']:>8.2f}  {equal:<15} "
                      f"{r['duplicates']:<10} {r.get('runs', 1)}")


if __name__ == "__main__":
    main()
