"""The BlogStore contract on every adapter (CSV file, Airtable table): proposals read by the same
rules, and only the job's own fields written."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from automations.domain.blog import proposal_key
from automations.ports import BlogUpdate
from tests.airtable_env import BASE
from tests.contract.conftest import adapter_kind, airtable_client, init_base, spec

HEADERS = ["Title", "Author email", "Summary", "Reviewers", "Stage", "Published URL", "Published on"]
ROWS = [["Segments after meetups", " Priya@Example.org", "How we follow up.", "rev@example.org; b@example.org",
         "first review", "", ""],
        ["Five things", "kwame@example.org", "", "", "published", "https://example.org/p", "2026-11-10"],
        ["", "x@example.org", "", "", "draft", "", ""],
        ["Odd stage", "y@example.org", "", "", "reviewing", "", ""]]


@pytest.fixture
def blog(kind, request, tmp_path):
    """(a factory of stores over one storage, a way to read a row's job fields and its Summary, and what
    the storage holds, to compare before and after a dry run)."""
    if kind == "csv":
        from automations.adapters.csv.blog_store import CsvBlogStore

        path = tmp_path / "blog_proposals.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([HEADERS, *ROWS])

        def row(title):
            with path.open(encoding="utf-8", newline="") as fh:
                return next(r for r in csv.DictReader(fh) if r["Title"] == title)

        def footprint():
            return path.read_bytes(), path.stat().st_mtime_ns

        return lambda: CsvBlogStore(path), row, footprint
    from automations.adapters.airtable.blog_store import AirtableBlogStore

    fake, clock = request.getfixturevalue("airtable_base")
    init_base(fake, clock)
    records = []
    for r in ROWS:
        f = {t: v for t, v in zip(HEADERS, r) if v}
        f["Stage"] = f["Stage"] if f["Stage"] != "reviewing" else "reviewing"
        records.append(f)
    fake.insert(BASE, "Blog reviews", records)

    def rec(title):
        f = next(r["fields"] for r in fake.records(BASE, "Blog reviews") if r["fields"].get("Title") == title)
        return {k: str(v) for k, v in f.items()}

    def footprint():
        return [r for r in fake.requests if r.kind == "write"], fake.records(BASE, "Blog reviews")

    return lambda: AirtableBlogStore(airtable_client(fake, clock), spec()["blog_reviews"]), rec, footprint


class BlogStoreContract:
    """What every blog store promises; a subclass names its adapter (`kind`)."""

    def test_proposals_read_alike(self, blog):
        """Emails normalised, reviewers split, stages and dates read; bad rows are problems naming the cell."""
        make, _, _ = blog
        proposals, problems = make().read()
        by_title = {p.title: p for p in proposals}
        first = by_title["Segments after meetups"]
        assert (first.author, first.reviewers, first.stage) == ("priya@example.org", ("rev@example.org",
                                                                                      "b@example.org"), "first_review")
        assert first.key == proposal_key("priya@example.org", "Segments after meetups")
        assert by_title["Five things"].published_on == date(2026, 11, 10)
        assert {(p.column, p.value) for p in problems} == {("Title", ""), ("Stage", "reviewing")}

    def test_only_the_jobs_fields_are_written(self, blog):
        """Document and stage history are written once; a second identical write changes nothing."""
        make, row, _ = blog
        proposals, _ = make().read()
        key = proposals[0].key
        update = {key: BlogUpdate("https://docs.example/d/1", (("first_review", date(2026, 11, 23)),))}
        assert make().record(update).changed == 1
        assert make().record(update).changed == 0
        got = row("Segments after meetups")
        assert got["Document"] == "https://docs.example/d/1" and got["Stage history"] == "first review 2026-11-23"
        assert got["Summary"] == "How we follow up."
        again, _ = make().read()
        assert again[0].document == "https://docs.example/d/1" and again[0].history == (("first_review",
                                                                                         date(2026, 11, 23)),)

    def test_dry_run_counts_what_a_record_would_change_and_writes_nothing(self, blog):
        """A dry-run record returns what the real one then returns, having written nothing; after it, a dry
        run of the same updates changes nothing, and one of changed updates counts them."""
        make, row, footprint = blog
        proposals, _ = make().read()
        update = {proposals[0].key: BlogUpdate("https://docs.example/d/1", (("first_review", date(2026, 11, 23)),))}
        before = footprint()
        would = make().record(update, dry_run=True)
        assert would.changed == 1 and footprint() == before and not row("Segments after meetups").get("Document")
        assert make().record(update) == would

        written = footprint()
        assert make().record(update, dry_run=True).changed == 0 and footprint() == written
        moved = {**update, proposals[1].key: BlogUpdate("", (("published", date(2026, 11, 10)),)),
                 proposals[0].key: BlogUpdate("https://docs.example/d/1", (("first_review", date(2026, 11, 23)),
                                                                           ("final_review", date(2026, 11, 30))))}
        would = make().record(moved, dry_run=True)
        assert would.changed == 2 and footprint() == written
        assert make().record(moved) == would


class TestCsvBlogStore(BlogStoreContract):
    kind = adapter_kind("csv")


class TestAirtableBlogStore(BlogStoreContract):
    kind = adapter_kind("airtable")
