"""An Airtable base on 127.0.0.1 for tests: the fake service, a manual clock shared by the fake's
rate limiter and the client's pacing (so nothing sleeps), and a program configured to use it."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from automations import bootstrap
from automations.config import load_config
from tests.fake_airtable import FakeAirtable, ManualClock

BASE = "appTEST0000000001"
TOKEN = "patFAKE.s3cr3t-token-value-0123456789"
TOKEN_ENV = "AIRTABLE_TOKEN"


@dataclass
class AirtableEnv:
    fake: FakeAirtable
    clock: ManualClock
    config_path: Path
    environ: dict = field(default_factory=lambda: {TOKEN_ENV: TOKEN})

    @property
    def config(self):
        return load_config(self.config_path)

    def ctx(self, as_of: date, dry_run: bool = False) -> bootstrap.Context:
        """A new run's adapters. Runs are apart in time: the base's last second of requests has passed."""
        self.clock.advance(1.1)
        return bootstrap.build(self.config, as_of, dry_run, environ=self.environ, clock=self.clock.now,
                               sleep=self.clock.sleep)

    def client(self):
        self.clock.advance(1.1)
        return bootstrap.airtable_client(self.config, self.environ, self.clock.now, self.clock.sleep)

    def records(self, table: str) -> list[dict]:
        return self.fake.records(BASE, table)

    def process_env(self) -> dict:
        """The environment a subprocess run needs (the token, and loopback never proxied)."""
        return {**os.environ, TOKEN_ENV: TOKEN, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


def drop_after_writes(fake: FakeAirtable, writes: int) -> None:
    """From the `writes`-th write request on, the fake drops every connection (a run killed part-way)."""
    from tests.faults import Faults

    seen = []

    def count(info) -> None:
        if info.kind == "write":
            seen.append(info)
            if len(seen) == writes:
                fake.faults = Faults(rate_drop=1.0)

    fake.on_request = count


def use_airtable(config: Path, url: str, **airtable) -> None:
    """Point a temporary program's config at the fake base."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["backend"] = "airtable"
    data["airtable"] = {"base_id": BASE, "token_env": TOKEN_ENV, "endpoint_url": url, "max_attempts": 8,
                        "retry_backoff_seconds": 0.01, **airtable}
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def seed_roster(env: AirtableEnv, csv_path: Path) -> int:
    """Copy a CSV roster into the base's Ambassadors table as staff would have typed it (after `init`).

    A "Notes" field of staff's own is added (in the interface, not through the API), to show the jobs leave it
    alone.
    """
    cfg = env.config
    titles = cfg.ambassadors.fields
    table = cfg.airtable.tables.ambassadors
    tables = {t["name"]: t for t in env.fake.tables(BASE)}
    if "Notes" not in {f["name"] for f in tables[table]["fields"]}:
        # Added in Airtable's interface, as staff do: no API request, so none in the base's rate window.
        env.fake.add_field(BASE, table, {"name": "Notes", "type": "multilineText"})
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    records = []
    for row in rows:
        fields = {}
        for role, title in titles.items():
            value = (row.get(title) or "").strip()
            if not value:
                continue
            if role == "languages":
                fields[title] = [x.strip() for x in value.replace(",", ";").split(";") if x.strip()]
            else:
                fields[title] = value
        if row.get("Notes"):
            fields["Notes"] = row["Notes"]
        records.append(fields)
    env.fake.insert(BASE, table, records)
    return len(records)
