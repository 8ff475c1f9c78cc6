"""The blog-review job on the local backend: documents once, dated stages, one nudge per stale
stage, failures named, and published posts counted as activities."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from automations import bootstrap
from automations.config import load_config
from automations.domain.blog import BlogSettings, Proposal, plan_blog, proposal_key
from automations.jobs import blog_reviews, sync_checkins
from tests.conftest import outbox_messages

DAY = date(2026, 11, 23)
HEADER = ["Title", "Author email", "Summary", "Reviewers", "Stage", "Published URL", "Published on"]


def write_proposals(program: Path, rows: list[list[str]]) -> Path:
    path = program.parent / "data" / "blog_proposals.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def set_stage(path: Path, title: str, stage: str) -> None:
    rows = read(path)
    for r in rows:
        if r["Title"] == title:
            r["Stage"] = stage
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def run(program: Path, day: date):
    return blog_reviews.run(bootstrap.build(load_config(program), day, dry_run=False))


def outbox_keys(program: Path) -> list[str]:
    return sorted(m["X-Automation-Key"] for m in outbox_messages(program.parent / "outbox"))


PROPOSAL = ["Segments after meetups", "priya.deshmukh@example.org", "How we follow up.", "", "draft", "", ""]


def test_a_proposal_run_twice_makes_one_document(program):
    """The first run makes the document and mails author and reviewer; the second makes and sends nothing."""
    path = write_proposals(program, [PROPOSAL])
    first = run(program, DAY)
    assert first.failures == []
    (row,) = read(path)
    doc = program.parent / row["Document"]
    assert doc.is_file() and "Segments after meetups" in doc.read_text() and row["Stage history"] == "draft 2026-11-23"
    assert "[ ] Facts, names, versions and links are correct" in doc.read_text()
    keys = outbox_keys(program)
    key = proposal_key(PROPOSAL[1], PROPOSAL[0])
    assert keys == [f"blog_review_created:{key}:ambassador-staff@example.org",
                    f"blog_review_created:{key}:priya.deshmukh@example.org"]
    before = path.read_bytes()
    second = run(program, DAY)
    assert second.failures == [] and path.read_bytes() == before and outbox_keys(program) == keys
    assert len(list((program.parent / "drafts").glob("*.html"))) == 1


def test_placeholder_syntax_in_a_proposal_is_written_literally(program):
    """'{{ name }}' typed into a summary (issue 18) is the proposal's text: written as typed, one document."""
    path = write_proposals(program, [["Use {{title}} well", PROPOSAL[1], "Write {{ name }} in a template.", "",
                                      "draft", "", ""]])
    for _ in range(2):
        assert run(program, DAY).failures == []
    (row,) = read(path)
    page = (program.parent / row["Document"]).read_text()
    assert "Write {{ name }} in a template." in page and "Use {{title}} well" in page
    assert len(list((program.parent / "drafts").glob("*.html"))) == 1


def test_a_placeholder_the_job_does_not_fill_fails_clearly(program):
    """A template naming an unknown placeholder stops that document, says which, and records nothing."""
    cfg = yaml.safe_load(program.read_text())
    template = program.parent / "broken.html"
    template.write_text("<h1>{{ title }}</h1><p>{{ word_count }}</p>")
    cfg["blog_reviews"] = {"template_file": str(template)}
    program.write_text(yaml.safe_dump(cfg, sort_keys=False))
    path = write_proposals(program, [PROPOSAL])
    res = run(program, DAY)
    assert len(res.failures) == 1 and "word_count" in res.failures[0]
    assert read(path)[0].get("Document", "") == "" and outbox_keys(program) == []


def test_a_stale_review_gets_one_nudge_per_stage(program):
    """Day by day: one nudge when a stage passes its days, none after, one more in the next stage."""
    path = write_proposals(program, [PROPOSAL])
    run(program, DAY)
    set_stage(path, PROPOSAL[0], "first review")
    day = DAY + timedelta(days=1)
    for _ in range(20):
        run(program, day)
        day += timedelta(days=1)
    set_stage(path, PROPOSAL[0], "final review")
    for _ in range(20):
        run(program, day)
        day += timedelta(days=1)
    nudges = [k for k in outbox_keys(program) if k.startswith("blog_review_nudge:")]
    key = proposal_key(PROPOSAL[1], PROPOSAL[0])
    assert nudges == [f"blog_review_nudge:{key}:final_review:2026-12-14:ambassador-staff@example.org",
                      f"blog_review_nudge:{key}:first_review:2026-11-24:ambassador-staff@example.org"]
    history = read(path)[0]["Stage history"]
    assert history.startswith("draft 2026-11-23; first review 2026-11-24; final review 2026-12-14")


def test_a_failed_link_message_goes_on_a_later_run(program):
    """The document is made but its mail cannot be rendered: a later run sends it, the document once."""
    path = write_proposals(program, [PROPOSAL])
    tpl = program.parent / "templates" / "emails" / "blog_review_created.subject.txt"
    good = tpl.read_text()
    tpl.write_text("{{ no_such_thing }}")
    first = run(program, DAY)
    assert first.failures and outbox_keys(program) == []
    assert read(path)[0]["Document"]
    tpl.write_text(good)
    assert run(program, DAY).failures == []
    assert len(outbox_keys(program)) == 2 and len(list((program.parent / "drafts").glob("*.html"))) == 1


def test_the_mailed_link_opens_the_local_document(program, cli):
    """On the local backend the table keeps the document's path relative to the program folder, and the mail
    (its text, its HTML link, and the outbox's preview of it) carries the document's absolute `file:` URI, which
    opens it from a mail client or a browser wherever the message is opened from; a nudge's link too."""
    path = write_proposals(program, [PROPOSAL])
    assert cli("--as-of", DAY.isoformat(), "blog-reviews", config=program).code == 0
    day = DAY + timedelta(days=22)  # the draft stage's days have passed: a nudge
    assert cli("--as-of", day.isoformat(), "blog-reviews", config=program).code == 0
    stored = read(path)[0]["Document"]
    assert stored.startswith("drafts/") and not Path(stored).is_absolute()
    document = (program.parent / stored).resolve()
    uri = document.as_uri()
    messages = outbox_messages(program.parent / "outbox")
    assert sorted(m["X-Automation-Job"] for m in messages) == ["blog_review_created", "blog_review_created",
                                                              "blog_review_nudge"]
    for msg in messages:
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert uri in text and f'href="{uri}"' in html and f'href="{stored}"' not in html
    previews = [p for p in (program.parent / "outbox").rglob("*.html") if p.name != "index.html"]
    assert len(previews) == 3 and all(f'href="{uri}"' in p.read_text(encoding="utf-8") for p in previews)
    assert Path(unquote(urlsplit(uri).path)) == document and document.is_file()


def test_back_in_a_stage_is_nudged_again(program):
    """A proposal sent back to first review after its nudge gets one nudge for the new stay."""
    path = write_proposals(program, [PROPOSAL])
    run(program, DAY)
    day = DAY
    for stage in ("first review", "draft", "first review"):
        set_stage(path, PROPOSAL[0], stage)
        for _ in range(25):
            day += timedelta(days=1)
            run(program, day)
    nudges = [k for k in outbox_keys(program) if k.startswith("blog_review_nudge:") and ":first_review:" in k]
    assert len(nudges) == 2


def test_published_post_counts_as_content_activity(program):
    """A published post is a content activity of its author, dated the day it was published."""
    write_proposals(program, [["Five things from MautiCon", "kwame.mensah@example.org", "", "", "published",
                               "https://mautic.org/blog/five", "2026-11-10"]])
    res = sync_checkins.run(bootstrap.build(load_config(program), DAY, dry_run=False))
    posts = [a for a in res.data["activities"] if a.title == "Five things from MautiCon"]
    assert len(posts) == 1 and posts[0].kind == "content" and posts[0].date == date(2026, 11, 10)
    assert posts[0].email == "kwame.mensah@example.org" and posts[0].link == "https://mautic.org/blog/five"


def test_bad_rows_are_reported(program):
    """A proposal with no title, a bad author or an unknown stage is a problem naming the cell."""
    write_proposals(program, [["", "a@example.org", "", "", "draft", "", ""],
                              ["T", "not-an-email", "", "", "draft", "", ""],
                              ["T2", "priya.deshmukh@example.org", "", "", "reviewing", "", ""]])
    res = run(program, DAY)
    assert {(p.column, p.value) for p in res.problems} == {("Title", ""), ("Author email", "not-an-email"),
                                                           ("Stage", "reviewing")}


class TestPlan:
    SETTINGS = BlogSettings(("rev@example.org",), {"draft": 21, "first_review": 7}, ("staff@example.org",))

    def proposal(self, stage, history, document="d"):
        return Proposal("k", 2, "T", "a@example.org", "", (), stage, document=document, history=history)

    def test_stage_move_is_dated(self):
        """A stage a person set is dated on the first run that sees it."""
        plan = plan_blog([self.proposal("first_review", (("draft", date(2026, 1, 1)),))], date(2026, 2, 1),
                         self.SETTINGS, {})
        assert plan.stage_moves["k"][-1] == ("first_review", date(2026, 2, 1)) and plan.messages == []

    def test_nudge_goes_to_the_holder(self):
        """Past its days in review, the reviewers get the nudge; in draft, the author."""
        review = plan_blog([self.proposal("first_review", (("first_review", date(2026, 1, 1)),))],
                           date(2026, 1, 9), self.SETTINGS, {})
        assert [m.to_email for m in review.messages] == ["rev@example.org"]
        draft = plan_blog([self.proposal("draft", (("draft", date(2026, 1, 1)),))], date(2026, 1, 23),
                          self.SETTINGS, {})
        assert [m.to_email for m in draft.messages] == ["a@example.org"]

    def test_not_yet_stale_no_nudge(self):
        """On its last allowed day, no nudge."""
        plan = plan_blog([self.proposal("first_review", (("first_review", date(2026, 1, 1)),))],
                         date(2026, 1, 8), self.SETTINGS, {})
        assert plan.messages == []
