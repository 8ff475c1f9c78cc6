#!/usr/bin/env python3
"""Benchmark: `discover` at program scale, and how much of what ambassadors reported found items would have
pre-filled.

    python bench/bench_discover.py [--ambassadors 1000] [--hosts 50] [--seed 1] [--skip-share]

Part 1, throughput: a roster of N active ambassadors with two feeds each (an RSS 2.0 blog and an Atom feed, five
items each in the quarter being reported, each with an ETag), served by `--hosts` feed hosts on 127.0.0.1 (the
fake of tests/fake_feeds.py; each port is a host, so the per-host pace applies to each). The real `discover` job
(in this process, through `bootstrap.build`) runs on a fresh local folder: its requests, seconds and what it
stored; then again with nothing changed: every feed answers 304 and nothing is read. The job's default pace,
`discover.requests_per_second_per_host: 2`, bounds the first run from below at (feeds per host) / 2 seconds.

Part 2, the share pre-filled: the example program (data/) as of each quarter's check-in (the day after each of
its quarters ended, 2026-01-01 to 2026-10-01), its ambassadors given sample feeds made from their own reported
activities: each reported activity of an active ambassador (discover reads only theirs), of a kind that is
published somewhere (content, talk, community support) and dated before the last check-in day, is put in that
ambassador's feed with probability `--sample` (0.7), with noise (its title's case, punctuation and
spacing changed, its link given tracking parameters, `www.` or a trailing slash or dropped, its date moved a day
when it has a link), beside unrelated posts; each feed holds only what was published by that day. `discover` runs
at each check-in; then each reported activity counts as pre-filled when a found activity of its ambassador is it
(`domain.discovery.is_reported`: the same link, else the same title and date). Printed: the share of all reported
activities, the share of the publishable ones, and the matcher's recall (of the activities put in the feeds, those
recognised). The first figure depends on `--sample` by construction; the recall does not.

Always exits 0: a report, not a test.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from automations import bootstrap  # noqa: E402
from automations.config import load_config  # noqa: E402
from automations.domain.discovery import is_reported  # noqa: E402
from automations.jobs import discover, sync_checkins  # noqa: E402
from tests.fake_feeds import FakeFeeds, declare_feeds  # noqa: E402

AS_OF = date(2026, 10, 12)
UTC = ZoneInfo("UTC")


def program(work: Path, rows: list[list[str]] | None = None, **config) -> Path:
    """The repository's config, templates and data in `work` (the roster replaced when `rows` is given)."""
    shutil.copytree(REPO / "templates", work / "templates")
    shutil.copytree(REPO / "data", work / "data", ignore=shutil.ignore_patterns(
        "activities.csv", "checkins.csv", "*ledger*", ".work_cache*", ".locks", "found_activities.csv"))
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    for section, values in config.items():
        data[section] = {**(data.get(section) or {}), **values}
    (work / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if rows is not None:
        with (work / "data" / "ambassadors.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    return work / "config.yaml"


def rss(items: list[tuple[str, date, str]]) -> str:
    body = "".join(f"<item><title>{_x(t)}</title><link>{_x(link)}</link><guid>{_x(link or t)}</guid>"
                   f"<pubDate>{format_datetime(datetime(d.year, d.month, d.day, 12, tzinfo=UTC))}</pubDate></item>"
                   for t, d, link in items)
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>feed</title>{body}</channel></rss>'


def atom(items: list[tuple[str, date, str]]) -> str:
    body = "".join(f"<entry><title>{_x(t)}</title><link rel=\"alternate\" href=\"{_x(link)}\"/><id>{_x(link)}</id>"
                   f"<published>{d.isoformat()}T09:00:00Z</published><updated>{d.isoformat()}T09:00:00Z</updated>"
                   f"</entry>" for t, d, link in items)
    return f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>f</title>{body}</feed>'


def _x(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# -- part 1 --------------------------------------------------------------------------------------------------------

def throughput(n: int, hosts: int) -> dict:
    servers = [FakeFeeds().start() for _ in range(hosts)]
    try:
        header = ["Name", "Email", "Country", "Region", "University", "Languages", "Start date", "Status", "Feeds"]
        rows = [header]
        for i in range(n):
            feeds = []
            for k, make in enumerate((rss, atom)):
                host = servers[(2 * i + k) % hosts]
                items = [(f"Post {j} of ambassador {i}", date(2026, 7, 3) + timedelta(days=17 * j),
                          f"https://blog{i}.example/{k}/{j}") for j in range(5)]
                feeds.append(host.add(f"/a{i}/{k}.xml", make(items), etag=f'"{i}-{k}-1"',
                                      modified="Mon, 05 Oct 2026 09:00:00 GMT"))
            rows.append([f"Ambassador {i}", f"amb{i}@example.org", "Nowhere", "", "", "en", "2024-01-01", "active",
                         " ".join(feeds)])
        with tempfile.TemporaryDirectory() as tmp:
            config = load_config(program(Path(tmp), rows, discover={"allow_private_addresses": True}))
            out = {}
            for label in ("first run", "no-change rerun"):
                for s in servers:
                    s.requests.clear()
                ctx = bootstrap.build(config, AS_OF, False)
                started, cpu = time.perf_counter(), time.process_time()
                result = discover.run(ctx)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                seen = [r for s in servers for r in s.requests]
                out[label] = {"requests": len(seen), "seconds": round(seconds, 1), "cpu": round(cpu, 1),
                              "conditional": sum(1 for r in seen if "If-None-Match" in r.headers),
                              "summary": result.summary[0], "stored": len(ctx.stores.found.read())}
            return out
    finally:
        for s in servers:
            s.stop()


# -- part 2 --------------------------------------------------------------------------------------------------------

PUBLISHED = {"content", "talk", "community_support"}


def noisy_title(title: str, rng: random.Random) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        return title.upper()
    if choice == 1:
        return title.rstrip(".!") + "!"
    if choice == 2:
        return "  " + title.replace(" ", "  ") + " "
    return title.replace(":", " -")


def noisy_link(link: str, rng: random.Random) -> str:
    if not link:
        return ""
    choice = rng.randrange(4)
    if choice == 0:
        return link + ("&" if "?" in link else "?") + "utm_source=rss&utm_medium=feed"
    if choice == 1:
        return link.replace("https://", "https://www.", 1)
    if choice == 2:
        return link.rstrip("/") + "/"
    return ""  # the feed gives another link (its own page): only the title and date can match


def share(sample: float, seed: int) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp, FakeFeeds() as host:
        config_path = program(Path(tmp), discover={"requests_per_second_per_host": 10, "allow_private_addresses": True})
        config = load_config(config_path)
        ctx = bootstrap.build(config, date(2026, 10, 19), False)
        sync_checkins.run(ctx)
        activities = [a for a in ctx.stores.reports.load().activities]
        roster, _ = ctx.stores.roster.read()
        # one activity per identity (its latest copy): what the ambassador reported
        reported = {a.id: a for a in sorted(activities, key=lambda a: a.received_at)}
        # discover reads the active ambassadors' feeds; the example's last check-in here is 2026-10-01
        planted: dict[str, list[tuple[str, date, str, str]]] = {a.email: [] for a in roster if a.status == "active"}
        placed = set()
        for a in reported.values():
            if a.email in planted and a.kind in PUBLISHED and a.date < date(2026, 10, 1) and rng.random() < sample:
                link = noisy_link(a.link, rng)
                day = a.date + timedelta(days=rng.choice((-1, 1))) if link and rng.random() < 0.2 else a.date
                planted[a.email].append((noisy_title(a.title, rng), day, link or f"https://elsewhere.example/{a.id}",
                                         a.id))
                placed.add(a.id)
        for email, items in planted.items():  # unrelated posts: what ambassadors publish and never report
            for k in range(rng.randrange(4)):
                day = date(2025, 10, 1) + timedelta(days=rng.randrange(365))
                items.append((f"Unrelated post {k} of {email}", day, f"https://elsewhere.example/{email}/{k}", ""))
        urls = {}
        for a in roster:
            urls[a.email] = f"{host.url}/{a.email}/feed.xml"
        declare_feeds(Path(tmp) / "data" / "ambassadors.csv", urls)
        check_ins = [date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1)]
        kept: dict[str, object] = {}
        for day in check_ins:
            for email, items in planted.items():  # each feed as it stood that day
                shown = [(t, d, link) for t, d, link, _ in items if d < day]
                host.add(f"/{email}/feed.xml", rss(shown), etag=f'"{day.isoformat()}-{len(shown)}"')
            ctx = bootstrap.build(config, day, False)
            discover.run(ctx)
            # what that check-in's mail could list (a later run deletes the quarters no mail lists any more)
            kept.update({f.key: f for f in ctx.stores.found.read()})
        found = list(kept.values())
        by_email: dict[str, list] = {}
        for f in found:
            by_email.setdefault(f.email, []).append(f)
        prefilled = {i for i, a in reported.items() if any(is_reported(f, [a]) for f in by_email.get(a.email, ()))}
        publishable = [i for i, a in reported.items() if a.kind in PUBLISHED]
        missed = [reported[i] for i in sorted(placed - prefilled)]
        for a in missed:
            print(f"  not recognised: {a.email} {a.date} {a.kind} {a.title!r} {a.link!r}", file=sys.stderr)
        return {"reported": len(reported), "publishable": len(publishable), "placed": len(placed),
                "found": len(found), "prefilled": len(prefilled),
                "prefilled_publishable": len(prefilled & set(publishable)),
                "recognised": len(prefilled & placed), "false": len(prefilled - placed)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ambassadors", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--sample", type=float, default=0.7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-share", action="store_true")
    a = ap.parse_args(argv)
    t = throughput(a.ambassadors, a.hosts)
    print(f"discover: {a.ambassadors} ambassadors x 2 feeds on {a.hosts} loopback hosts, as of {AS_OF}")
    floor = -(-2 * a.ambassadors // a.hosts) / 2  # feeds per host / the default 2 requests a second per host
    print(f"(the default pace, 2 requests a second per host, makes any run at least {floor:g} s here)")
    print("| run | requests | conditional (304) | wall s | CPU s (client and fake hosts) | stored |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, r in t.items():
        print(f"| {label} | {r['requests']} | {r['conditional']} | {r['seconds']} | {r['cpu']} | {r['stored']} |")
    for label, r in t.items():
        print(f"  {label}: {r['summary']}")
    if not a.skip_share:
        s = share(a.sample, a.seed)
        print(f"\nshare pre-filled (the example, sample {a.sample}, seed {a.seed}):")
        print(f"  reported activities: {s['reported']}, of kinds published somewhere: {s['publishable']}")
        print(f"  put in the feeds (with noise): {s['placed']}; found activities stored: {s['found']}")
        print(f"  pre-filled: {s['prefilled']} of {s['reported']} reported = {s['prefilled'] / s['reported']:.1%}; "
              f"of the publishable: {s['prefilled_publishable']} of {s['publishable']} = "
              f"{s['prefilled_publishable'] / max(1, s['publishable']):.1%}")
        print(f"  matcher recall: {s['recognised']} of {s['placed']} placed = {s['recognised'] / max(1, s['placed']):.1%}; "
              f"matched to an activity not placed: {s['false']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
