"""An honest `--dry-run` (issue 8): it names exactly what the real run would change, and writes nothing.

End to end through the command line on copies of the example program: after a real run every store
says it is already up to date; on a fresh copy the files a dry run says it would create or update are
exactly those the real run then changes, with the same counts.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from tests.conftest import snapshot

AS_OF = "2026-10-19"  # the README's first command: the example as it stood that Monday
STORES = ("activities.csv", "checkins.csv", "unusable_rows.csv", "ambassadors.csv", "blog_proposals.csv")


def summary(out: str) -> dict[str, list[str]]:
    """run-all's closing summary, each job's lines."""
    lines: dict[str, list[str]] = {}
    for line in out.split("Summary of run-all", 1)[1].splitlines()[1:]:
        m = re.match(r"  \[([a-z-]+)\] (.*)", line)
        if m:
            lines.setdefault(m.group(1), []).append(m.group(2))
    return lines


def footprint(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and modification time: a file rewritten with the same bytes shows too."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def named(lines: list[str], data: Path) -> dict[str, str]:
    """The store files the dry-run lines say would be created or updated, each with its verb."""
    out = {}
    for line in lines:
        for verb, names in re.findall(r"would (create|update) ((?:\S+\.csv(?:,| and)? ?)+)", line):
            for path in re.findall(r"\S+\.csv", names):
                out[Path(path).name] = verb
                assert Path(path).parent == data
        m = re.search(r"would update (?:the standing fields of )?\d+ (?:rows?|ambassadors?) in (\S+\.csv)", line)
        if m:
            out[Path(m.group(1)).name] = "update"
        m = re.search(r"standing fields in (\S+\.csv): would update", line)
        if m:
            out[Path(m.group(1)).name] = "update"
    return out


class TestAfterARealRun:
    def test_every_store_is_up_to_date_and_nothing_is_written(self, cli, program):
        """After `run-all`, `run-all --dry-run` says each store is already up to date and no message
        would go, and leaves the folder byte for byte (and every file's time) as it was."""
        assert cli("--as-of", AS_OF, "run-all", config=program).code == 1  # the example's 9 problems, new here
        before = footprint(program.parent)
        res = cli("--as-of", AS_OF, "run-all", "--dry-run", config=program)
        assert res.code == 0, res.err
        got = summary(res.out)
        data = program.parent / "data"
        assert f"Dry run: {data}: already up to date, nothing would be written." in got["sync-checkins"]
        assert got["sync-checkins"][-1].endswith(" Already up to date, nothing would be written.")
        assert f"Dry run: standing fields in {data / 'ambassadors.csv'}: already up to date, nothing would be " \
               f"written (as of 2026Q3)." in got["compliance"]
        assert any(line.endswith(f"{data / 'blog_proposals.csv'}: already up to date, nothing would be written.")
                   for line in got["blog-reviews"])
        for job in ("reminders", "notices", "digest", "blog-reviews"):
            assert any(line.startswith("Dry run: 0 messages would go") for line in got[job]), got[job]
        assert not any("would create" in line or "would update" in line or "would send" in line
                       for lines in got.values() for line in lines)
        assert footprint(program.parent) == before

    def test_a_changed_roster_is_counted_as_the_real_run_counts_it(self, cli, program):
        """Standing fields a person changed: the dry run names the real count and writes nothing."""
        cli("--as-of", AS_OF, "run-all", config=program)
        path = program.parent / "data" / "ambassadors.csv"
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        col = rows[0].index("Streak")
        for row in rows[1:4]:
            row[col] = "99"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
        before = footprint(program.parent)
        dry = cli("--as-of", AS_OF, "compliance", "--dry-run", config=program)
        assert dry.code == 0, dry.err
        assert f"standing fields in {path}: would update the standing fields of 3 ambassadors" in dry.err
        assert footprint(program.parent) == before
        real = cli("--as-of", AS_OF, "compliance", config=program)
        assert f"Standing fields in {path}: 3 ambassadors updated" in real.err


class TestOnAFreshCopy:
    def test_the_dry_run_names_what_the_real_run_changes(self, cli, program):
        """A fresh copy (no stored reports, no ledger) with a new blog proposal and a roster entry whose
        standing fields a person cleared: the dry run writes nothing and names the store files that the
        real run then changes, no more and no fewer, and as many messages as it then sends."""
        data = program.parent / "data"
        with (data / "blog_proposals.csv").open("a", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerow(["Open source and agencies", "priya.deshmukh@example.org", "Why agencies join.",
                                     "", "proposed", "", "", "", ""])
        roster = data / "ambassadors.csv"
        with roster.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        col = rows[0].index("Standing")
        rows[1][col] = ""
        with roster.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)

        before = snapshot(program.parent)
        dry = cli("--as-of", AS_OF, "run-all", "--dry-run", config=program)
        assert dry.code == 1, dry.err  # the example's data problems are new on a fresh copy
        assert snapshot(program.parent) == before
        got = summary(dry.out)
        would = named([line for lines in got.values() for line in lines], data)
        assert would == {"activities.csv": "create", "checkins.csv": "create", "unusable_rows.csv": "create",
                         "ambassadors.csv": "update", "blog_proposals.csv": "update"}
        assert f"Dry run: would create {data / 'activities.csv'} and {data / 'checkins.csv'}." in got["sync-checkins"]
        assert any("would update the standing fields of 1 ambassador " in line for line in got["compliance"])
        assert any("1 review document would be made" in line and f"would update 1 row in {data / 'blog_proposals.csv'}"
                   in line for line in got["blog-reviews"])

        real = cli("--as-of", AS_OF, "run-all", config=program)
        assert real.code == 1, real.err
        after = snapshot(program.parent)
        changed = {Path(name).name: ("create" if name not in before else "update") for name in after
                   if name.startswith("data/") and Path(name).name in STORES and after[name] != before.get(name)}
        assert changed == would
        real_lines = summary(real.out)
        assert "Standing fields in" in real_lines["compliance"][-1] and "1 ambassadors updated" in \
            real_lines["compliance"][-1]
        for job in ("reminders", "notices", "digest", "blog-reviews"):
            going = [int(m.group(1)) for line in got[job] for m in [re.match(r"Dry run: (\d+) messages? would go", line)]
                     if m]
            sent = [int(m.group(1)) for line in real_lines[job] for m in [re.match(r"(\d+) messages? sent", line)] if m]
            assert going == sent and going[0] > 0, (job, got[job], real_lines[job])

        again = cli("--as-of", AS_OF, "run-all", "--dry-run", config=program)
        assert again.code == 0, again.err
        assert not any(w in line for lines in summary(again.out).values() for line in lines
                       for w in ("would create", "would update", "would send", "would make"))
        assert snapshot(program.parent) == after
