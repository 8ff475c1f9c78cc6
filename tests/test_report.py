"""The quarterly report (issue 10): every section, nothing that loads from anywhere, compliance's own
numbers, a rerun that writes nothing, a PDF that opens and has ink, and a newsletter that credits
ambassadors by name with their links. The example program, with a few funding requests, referral
inquiries and a published post added, as of 2026-11-23 (2026Q3 final)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import yaml

from automations import bootstrap
from automations.adapters.render.report_jinja import md, md_url
from automations.config import load_config
from automations.domain.charts import Bar, Series, Stack, bar_chart, stacked_chart
from automations.domain.funding import FundingRequest, FundingSettings
from automations.domain.quarters import Quarter
from automations.domain.referrals import Inquiry
from automations.domain.report import (
    ATTENDANCE,
    CONTENT,
    ReportSettings,
    engagement_score,
    funding_lines,
    name_key,
    referrals_served,
    web_link,
)
from automations.jobs import report as report_job
from automations.jobs import sync_checkins
from tests.conftest import ROOT, copy_example, outbox_messages, snapshot
from tests.factories import activity

AS_OF = "2026-11-23"
Q3 = "2026Q3"
SECTIONS = {  # section id -> its heading, in the HTML page and in the PDF
    "summary": "At a glance", "reach": "Reach by country and region", "kinds": "Activities by kind",
    "concentration": "Concentration of reach", "coverage": "Coverage: ambassadors and inquiries by country",
    "engagement": "Top activities by engagement", "compliance": "Compliance and standing over the last quarters",
    "perks": "Perks earned", "referrals": "Referrals served", "blog": "Blog posts published",
    "funding": "Funding spent against budget",
    "cohorts": "Retention and first activity, by the quarter people joined",
    "ambassadors": "Appendix: every ambassador's quarter", "history": "Ambassadors over the years",
}
FUNDING_HEADER = ["Ambassador email", "What", "Kind", "Amount", "Currency", "Event date", "Region", "Status",
                  "Approved amount", "Invoice", "Invoice received", "Evidence", "Requested on"]


def cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "automations", "--config", str(config), "--as-of", AS_OF, *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def add_program_extras(config: Path) -> None:
    """Funding requests (a budget in EUR), referral inquiries (one accepted in 2026Q3, one waiting, one from
    2026Q2) and two posts published in 2026Q3 (one with a `javascript:` address and markup in its title)."""
    data = config.parent / "data"
    with (data / "funding_requests.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(FUNDING_HEADER)
        w.writerow(["jose.alvarez@example.org", "MautiCamp Barcelona venue", "large event", "1500", "EUR",
                    "2026-09-24", "Catalonia", "paid", "1200", "INV-1", "2026-10-01", "photos", "2026-06-01"])
        w.writerow(["camille.dubois@example.org", "Food for Paris meetup #7", "", "150", "EUR", "2026-09-17", "",
                    "approved", "", "", "", "", "2026-07-01"])
        w.writerow(["emily.carter@example.org", "Stickers", "swag", "200", "USD", "2026-08-10", "", "approved", "",
                    "", "", "", "2026-06-01"])
        w.writerow(["priya.deshmukh@example.org", "Pune meetup snacks", "", "80", "EUR", "2026-12-05", "",
                    "requested", "", "", "", "", "2026-10-01"])
        w.writerow(["daan.janssen@example.com", "Banner", "", "90", "EUR", "2026-09-01", "", "rejected", "", "", "",
                    "", "2026-08-01"])
    with (data / "referral_inquiries.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Organization", "Contact name", "Contact email", "Country", "Region", "Language", "Need",
                    "Details", "Summary for ambassadors", "Referral history"])
        w.writerow(["Acme Ltda", "Rita Alves", "rita@acme.example.com", "Brazil", "São Paulo", "pt", "training",
                    "Team of 5", "", "2026-08-03 offered maria.silva@example.org; 2026-08-05 declined "
                    "maria.silva@example.org; 2026-08-05 offered joao.pereira@example.com; 2026-08-07 accepted "
                    "joao.pereira@example.com"])
        w.writerow(["Beta GmbH", "Kurt Weber", "kurt@beta.example.com", "Germany", "", "de", "services", "Migration",
                    "", "2026-09-28 offered zoe.mueller@example.org"])
        w.writerow(["Gamma SA", "Ana Roy", "ana@gamma.example.com", "France", "", "fr", "getting started", "", "",
                    "2026-06-10 offered camille.dubois@example.org; 2026-06-12 accepted camille.dubois@example.org"])
    blog = data / "blog_proposals.csv"
    with blog.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows.append(["Running a MautiCamp on a shoestring", "jose.alvarez@example.org", "Lessons", "", "published",
                 "https://example.org/blog/mauticamp-shoestring", "2026-09-30", "", "published 2026-10-02"])
    rows.append(["Dynamic content <b>explained</b> [sic]", "emily.carter@example.org", "x", "", "published",
                 "javascript:alert(1)", "2026-08-15", "", "published 2026-08-16"])
    with blog.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["funding"]["budgets"] = {"EUR": 5000}
    config.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")


def ctx(config: Path, day: str = AS_OF, dry_run: bool = False):
    return bootstrap.build(load_config(config), date.fromisoformat(day), dry_run)


def figures_of(config: Path, quarter: str | None = Q3, **settings):
    """The report's figures as the job works them out (a dry run drawing no file: the tests of numbers need none)."""
    c = ctx(config, dry_run=True)
    c.makers.report_renderers = ()
    if settings:
        c.settings.report = ReportSettings(**settings)
    return report_job.run(c, quarter).data["report"]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The example with its extras, synced, and `report --quarter 2026Q3` run once from the command line."""
    config = copy_example(tmp_path_factory.mktemp("report"))
    add_program_extras(config)
    sync_checkins.run(ctx(config))
    res = cli(config, "report", "--quarter", Q3)
    folder = config.parent / "reports" / Q3
    return config, res, folder


@pytest.fixture(scope="module")
def figures(made):
    """What the job worked out, for the same day (a dry run: nothing written)."""
    return figures_of(made[0])


class Page(HTMLParser):
    """Every tag with its attributes, the text, and what the style blocks say."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False
        self.source = text
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        self._in_style = False if tag == "style" else self._in_style

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)

    def rows(self, section: str) -> list[list[str]]:
        """The body rows of the first table after the section's heading, as cell texts (parsed again)."""
        return _TableRows(section).read(self.source)


class _TableRows(HTMLParser):
    def __init__(self, section: str):
        super().__init__()
        self.section, self.inside, self.done = section, False, False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.in_body = False

    def read(self, text: str) -> list[list[str]]:
        self.feed(text)
        return self.rows

    def handle_starttag(self, tag, attrs):
        if tag == "section" and dict(attrs).get("id") == self.section:
            self.inside = True
        elif self.inside and not self.done:
            if tag == "tbody":
                self.in_body = True
            elif tag == "tr" and self.in_body:
                self.rows.append([])
            elif tag == "td" and self.in_body:
                self.cell = []

    def handle_endtag(self, tag):
        if not self.inside or self.done:
            return
        if tag == "td" and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tbody":
            self.done = True

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


class TestTheCommand:
    def test_writes_three_files(self, made):
        """`report --quarter 2026Q3` exits 0 and writes report.html, report.pdf and newsletter.md in reports/2026Q3."""
        _, res, folder = made
        assert res.returncode == 0, res.stderr
        assert sorted(p.name for p in folder.iterdir()) == ["newsletter.md", "report.html", "report.pdf"]
        assert "23 met, 7 missed, 6 exempt, 0 pending" in res.stdout

    def test_rerun_writes_nothing(self, made):
        """A second run on the same day rewrites no file (bytes and times unchanged), says so, and mails staff
        no second time."""
        config, _, folder = made
        before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
        res = cli(config, "report", "--quarter", Q3)
        assert res.returncode == 0, res.stderr
        assert "already up to date, nothing written" in res.stdout
        assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == before
        assert len(outbox_messages(config.parent / "outbox")) == 1

    def test_dry_run_writes_nothing_and_names_the_files(self, made, tmp_path):
        """`--dry-run` writes no file anywhere (no report, no mail) and names each file the real run would
        create and the message it would send."""
        config = copy_example(tmp_path)
        sync_checkins.run(ctx(config))
        before = snapshot(tmp_path)
        res = report_job.run(ctx(config, dry_run=True), Q3)
        assert snapshot(tmp_path) == before
        (line,) = [line for line in res.summary if line.startswith("Dry run: would create")]
        assert "would send quarterly_report to ambassador-staff@example.org" in " ".join(res.summary)
        assert all(
            str(tmp_path / "reports" / Q3 / name) in line for name in ("report.html", "report.pdf", "newsletter.md"))

    def test_default_quarter_is_the_latest_ended(self, made):
        """Without --quarter the report is of the latest quarter that has ended (2026Q3 on 23 November)."""
        assert figures_of(made[0], None).quarter == Q3

    def test_before_sync_says_what_to_run(self, tmp_path):
        """With nothing synced yet the command stops (exit 2) and says to run sync-checkins."""
        config = copy_example(tmp_path)
        res = cli(config, "report")
        assert res.returncode == 2 and "run sync-checkins first" in res.stderr
        assert not (tmp_path / "reports").exists()

    def test_a_broken_template_fails_that_file_only(self, made, tmp_path):
        """A template with an unknown name fails its file (exit 1, named); the other files are still written."""
        config = copy_example(tmp_path)
        sync_checkins.run(ctx(config))
        template = tmp_path / "templates" / "report" / "newsletter.md"
        template.write_text(template.read_text(encoding="utf-8") + "{{ no_such_thing }}\n", encoding="utf-8")
        res = report_job.run(ctx(config), Q3)
        assert len(res.failures) == 1 and "newsletter.md" in res.failures[0] and "no_such_thing" in res.failures[0]
        assert sorted(p.name for p in (tmp_path / "reports" / Q3).iterdir()) == ["report.html", "report.pdf"]


class TestStaffMail:
    def test_final_report_goes_to_staff_once_with_the_pdf(self, made):
        """Once final, the report goes to each staff address with its PDF attached (an HTML attachment is what
        filters hold back), keyed `quarterly_report:<quarter>:<staff>`."""
        config, _, folder = made
        mails = sorted((config.parent / "outbox").rglob("*.eml"))
        assert len(mails) == 1
        msg = message_from_bytes(mails[0].read_bytes(), policy=policy.default)
        assert msg["X-Automation-Key"] == f"quarterly_report:{Q3}:ambassador-staff@example.org"
        assert msg["X-Automation-Job"] == "quarterly_report" and "23 met" in msg["Subject"]
        (pdf,) = [part for part in msg.iter_attachments()]
        assert pdf.get_filename() == f"report-{Q3}.pdf" and pdf.get_content_type() == "application/pdf"
        assert pdf.get_payload(decode=True) == (folder / "report.pdf").read_bytes()

    def test_provisional_report_goes_to_no_one(self, tmp_path):
        """While the window is open the report is written but mailed to no one."""
        config = copy_example(tmp_path)
        sync_checkins.run(ctx(config, "2026-10-10"))
        res = report_job.run(ctx(config, "2026-10-10"), Q3)
        assert not res.failures and not list((tmp_path / "outbox").rglob("*.eml"))
        assert (tmp_path / "reports" / Q3 / "report.html").exists()


class TestSections:
    def test_html_has_every_section(self, made):
        """The page has every section, each with its heading."""
        page = Page((made[2] / "report.html").read_text(encoding="utf-8"))
        ids = {a.get("id") for tag, a in page.tags if tag == "section"}
        assert ids == set(SECTIONS)
        text = " ".join(page.text)
        assert all(heading in text for heading in SECTIONS.values())

    def test_engagement_score_is_defined_and_shown(self, made, figures):
        """The page defines the score in words and shows each ranked activity's score and what it is made of."""
        text = " ".join(" ".join(Page((made[2] / "report.html").read_text(encoding="utf-8")).text).split())
        assert "attendees divided by registrations" in text and "engagements plus reshares divided by views" in text
        best = figures.rankings[0][1][0]
        assert best.basis in text and f"{round(best.score * 100)}%" in text

    def test_pdf_opens_with_every_section_and_ink(self, made):
        """The PDF opens (pypdf), holds every section's heading and the provisional-or-final line, and its
        first page is drawn with ink (pypdfium2)."""
        data = (made[2] / "report.pdf").read_bytes()
        reader = pypdf.PdfReader(io.BytesIO(data))
        text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
        assert all(heading in text for heading in SECTIONS.values())
        assert "Final: the check-in window closed on 21 October 2026" in text
        image = pypdfium2.PdfDocument(data)[0].render(scale=1).to_pil().convert("L")
        dark = sum(image.histogram()[:128])
        assert dark > 0.02 * image.width * image.height

    def test_provisional_quarter_is_marked(self, tmp_path):
        """A quarter whose window is still open is marked provisional in the page and the PDF; 21 October is
        its last day."""
        config = copy_example(tmp_path)
        sync_checkins.run(ctx(config, "2026-10-10"))
        res = report_job.run(ctx(config, "2026-10-10"), Q3)
        folder = tmp_path / "reports" / Q3
        html = (folder / "report.html").read_text(encoding="utf-8")
        assert "Provisional: check-ins for 2026Q3 still count until 21 October 2026" in html
        pdf = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(folder / "report.pdf").pages)
        assert "Provisional: check-ins for 2026Q3 still count until 21 October 2026" in pdf
        assert res.data["report"].counts.pending > 0 and "provisional" in res.summary[0]


class TestNothingLoads:
    def test_no_resource_from_anywhere(self, made):
        """No <link>, script, image, frame, object or media element; no `src` at all; `href` only on anchors,
        each an http(s) address; no @import and no url(...) in any style: the page loads nothing."""
        page = Page((made[2] / "report.html").read_text(encoding="utf-8"))
        tags = {tag for tag, _ in page.tags}
        assert not tags & {"link", "script", "img", "iframe", "frame", "object", "embed", "source", "video", "audio",
                           "image", "use", "base", "picture", "track", "input", "form"}
        for tag, attrs in page.tags:
            assert not {"src", "srcset", "xlink:href", "background", "poster", "data"} & set(attrs), (tag, attrs)
            assert "url(" not in attrs.get("style", "")
            if "href" in attrs:
                assert tag == "a" and attrs["href"].startswith(("https://", "http://")), (tag, attrs)
        styles = " ".join(page.styles)
        assert "@import" not in styles and "url(" not in styles and "@font-face" not in styles
        # Four charts, and one grid of verdicts on each ambassador's page.
        pages = sum(1 for tag, attrs in page.tags if tag == "article" and "person" in attrs.get("class", ""))
        assert pages > 5 and sum(1 for tag, _ in page.tags if tag == "svg") == 4 + pages

    def test_a_javascript_address_is_no_link(self, made):
        """A post whose address is `javascript:` is listed without a link; its markup title is shown as text."""
        html = (made[2] / "report.html").read_text(encoding="utf-8")
        assert "javascript:" not in html
        assert "Dynamic content &lt;b&gt;explained&lt;/b&gt; [sic]" in html


class TestNumbersAreCompliance:
    @pytest.fixture(scope="class")
    def judged(self, made):
        config, _, _ = made
        res = cli(config, "compliance", "--quarter", Q3, "--format", "json")
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)

    def test_counts_and_every_ambassador_equal_the_json(self, figures, judged):
        """Met, missed, exempt and pending, and each ambassador's status, reports, standing, streak, perks,
        reach and engagements are those of `compliance --quarter 2026Q3 --format json` on the same day."""
        counts = {s: sum(1 for a in judged["ambassadors"] if a["status"] == s) for s in
                  ("met", "missed", "exempt", "pending")}
        c = figures.counts
        assert {"met": c.met, "missed": c.missed, "exempt": c.exempt, "pending": c.pending} == counts
        assert figures.final is judged["final"] is True
        keys = ("email", "name", "status", "full_reports", "activities", "standing", "streak", "perks", "reach",
                "engagements")
        mine = [{k: (list(v) if isinstance(v := getattr(a, k), tuple) else v) for k in keys}
                for a in figures.ambassadors]
        assert mine == [{k: a[k] for k in keys} for a in judged["ambassadors"]]

    def test_perk_holders_equal_the_json(self, figures, judged):
        """Every ambassador the JSON gives a perk is listed under it, and no one else."""
        for perk in ("free_event_access", "conference_funding"):
            assert {h.email for h in figures.holders(perk)} == \
                {a["email"] for a in judged["ambassadors"] if perk in a["perks"]}

    def test_the_page_prints_those_numbers(self, made, judged):
        """The page's appendix rows are the JSON's ambassadors (name, verdict, full, all, streak), and its
        compliance table's last row the JSON's counts."""
        page = Page((made[2] / "report.html").read_text(encoding="utf-8"))
        rows = page.rows("ambassadors")
        assert [[r[0], r[2], r[3], r[4], r[7]] for r in rows] == \
            [[a["name"], a["status"], str(a["full_reports"]), str(a["activities"]), str(a["streak"])]
             for a in judged["ambassadors"]]
        last = page.rows("compliance")[-1]
        counts = [str(sum(1 for a in judged["ambassadors"] if a["status"] == s)) for s in
                  ("met", "missed", "exempt", "pending")]
        assert last[0] == Q3 and last[1:5] == counts

    def test_totals_add_up(self, figures, judged):
        """Activities and reach are the sums of the JSON's ambassadors; the kinds and the countries add up to them."""
        assert figures.activities == sum(a["activities"] for a in judged["ambassadors"])
        assert figures.reach == sum(a["reach"] for a in judged["ambassadors"])
        assert sum(k.activities for k in figures.kinds) == figures.activities
        assert sum(c.total.reach for c in figures.countries) == figures.reach


class TestTheOtherTables:
    def test_referrals_served(self, figures):
        """The inquiries offered in 2026Q3 are served (one accepted by João Pereira, one waiting); one offered
        and accepted in 2026Q2 is not."""
        served = {(r.country, r.outcome, r.recommended) for r in figures.referrals}
        assert served == {("Brazil", "accepted", "João Pereira"), ("Germany", "waiting for an answer", "")}

    def test_posts_published_in_the_quarter(self, figures):
        """The two posts published in 2026Q3 are listed; Kwame's, published in November, is not."""
        assert [(p.title, p.author, p.url) for p in figures.posts] == [
            ("Dynamic content <b>explained</b> [sic]", "Emily Carter", ""),
            ("Running a MautiCamp on a shoestring", "José Álvarez", "https://example.org/blog/mauticamp-shoestring")]

    def test_funding_against_the_budget(self, figures):
        """EUR: 1,200 paid plus 150 approved of a 5,000 budget for 2026 (27%), 80 awaiting a decision, the
        rejected request left out; USD has no budget and shows its 200."""
        eur, usd = figures.funding
        assert (eur.currency, eur.budget, eur.approved, eur.in_quarter, eur.waiting, eur.requests) == \
            ("EUR", Decimal(5000), Decimal(1350), Decimal(1350), Decimal(80), 2)
        assert round(eur.share, 2) == 0.27
        assert (usd.currency, usd.budget, usd.approved) == ("USD", None, Decimal(200))
        assert figures.funding_period == "2026"


class TestNewsletter:
    def test_credits_ambassadors_by_name_with_links(self, made, figures):
        """Each highlight names its ambassador and links its activity; the published post links too; the
        ambassador who accepted a referral is thanked."""
        text = (made[2] / "newsletter.md").read_text(encoding="utf-8")
        assert len(figures.highlights) == 6
        for a in figures.highlights:
            assert f"**{md(a.ambassador)}**" in text
            assert not a.link or f"]({md_url(a.link)})" in text
        assert "[Running a MautiCamp on a shoestring](https://example.org/blog/mauticamp-shoestring)" in text
        assert "**João Pereira**" in text and "javascript:" not in text
        assert "Dynamic content \\<b\\>explained\\</b\\> \\[sic\\]" in text

    def test_markdown_escaping(self):
        """A title cannot make a link, emphasis, raw HTML or a table cell; an address cannot leave its link."""
        assert md("*[x](javascript:y)* <b> a|b") == "\\*\\[x\\](javascript:y)\\* \\<b\\> a\\|b"
        assert md_url("https://e.org/a (b)") == "https://e.org/a%20%28b%29"


class TestScore:
    def test_attendance_and_content_scores(self):
        """Events and talks: attendees / registrations; content: (engagements + reshares) / views; others none."""
        day = date(2026, 8, 1)
        talk = activity(day, kind="talk", registrations=80, attendees=60)
        post = activity(day, kind="content", views=1000, engagements=40, reshares=10)
        docs = activity(day, kind="documentation", hours=3)
        assert engagement_score(talk) == (ATTENDANCE, 0.75, "60 attended of 80 registered")
        assert engagement_score(post) == (CONTENT, 0.05, "50 engagements and reshares on 1,000 views")
        assert engagement_score(docs) is None
        assert engagement_score(activity(day, kind="event", attendees=9)) is None

    def test_small_audiences_are_not_ranked(self, made):
        """An activity with fewer registrations than report.min_audience has a score but is not ranked."""
        top = dict(figures_of(made[0], min_audience=100).rankings)[ATTENDANCE]
        assert top and all(int(a.basis.split(" of ")[1].split()[0].replace(",", "")) >= 100 for a in top)


class TestPureParts:
    def test_chart_text_is_escaped_and_loads_nothing(self):
        """A label with markup is escaped in the SVG; the charts name no font file and no address."""
        svg = bar_chart([Bar("<script>x</script>", 3, "3")], "t") + stacked_chart(
            [Stack("Q&A", (1, 2))], [Series("a", "<a>", "#000000"), Series("b", "b", "#ffffff")], "t")
        assert "<script>" not in svg and "&lt;script&gt;" in svg and "Q&amp;A" in svg and "&lt;a&gt;" in svg
        assert "http" not in svg and "url(" not in svg and "href" not in svg

    def test_quarter_grid_reads_without_colour(self):
        """Each verdict written in its cell, ink on a light fill and white on a dark one (contrast), blank cells
        outlined only, and a hostile year label escaped."""
        from automations.domain.charts import INK, quarter_grid
        from automations.domain.report import STATUS_SERIES

        svg = quarter_grid([("<b>2025", ("", "met", "exempt", "pending"))], STATUS_SERIES, "Zoë: <verdicts>")
        assert "&lt;b&gt;2025" in svg and "<b>" not in svg and "&lt;verdicts&gt;" in svg
        cells = re.findall(r'<rect [^>]*fill="([^"]+)"[^>]*/>(?:<text [^>]*fill="([^"]+)">([^<]*)</text>)?', svg)
        assert cells[0] == ("none", "", "")
        written = {label: ink for _fill, ink, label in cells[1:]}
        assert written == {"met": "#ffffff", "exempt": INK, "pending": INK}

    def test_web_link_only_http(self):
        """Only http(s) addresses become links."""
        assert web_link(" https://e.org/x ") == "https://e.org/x"
        assert web_link("javascript:alert(1)") == web_link("see the forum") == web_link("ftp://e.org") == ""

    def test_referral_steps_after_the_day_have_not_happened(self):
        """Replayed on an earlier day, a referral accepted later is still waiting."""
        i = Inquiry("inq-1", 2, "O", "C", "c@e.org", "Brazil", "", "", "training", "", history=(
            (date(2026, 8, 3), "offered", "a@e.org"), (date(2026, 10, 2), "accepted", "a@e.org")))
        assert referrals_served([i], Quarter(2026, 3), {"a@e.org": "Ann"}, date(2026, 9, 1))[0].outcome == \
            "waiting for an answer"
        assert referrals_served([i], Quarter(2026, 3), {"a@e.org": "Ann"}, date(2026, 11, 1))[0].recommended == "Ann"

    def test_quarterly_budget_period(self):
        """With quarterly budgets, only the quarter's events count against the quarter's budget."""
        settings = FundingSettings(60, (), "quarter", {"EUR": Decimal(1000)}, 0.8, (3,), ())

        def req(day: date, amount: str) -> FundingRequest:
            return FundingRequest(f"k{day}", 2, "a@e.org", "x", Decimal(amount), "EUR", day, "approved")

        period, (line,) = funding_lines([req(date(2026, 8, 1), "300"), req(date(2026, 11, 1), "500")],
                                        Quarter(2026, 3), settings)
        assert period == Q3 and line.approved == Decimal(300) and line.share == 0.3

    def test_names_sort_by_their_letters(self):
        """Łukasz sorts with the Ls and Émile with the Es."""
        names = ["Zoë", "Łukasz", "Émile", "Lars", "Ana"]
        assert sorted(names, key=name_key) == ["Ana", "Émile", "Lars", "Łukasz", "Zoë"]


def test_erased_authors_and_referral_ambassadors_are_named_nowhere(tmp_path):
    """Issue 18: José Álvarez (a blog post, a highlight) and João Pereira (the referral he accepted, a highlight)
    erased, the report made again lists neither them nor their post and credits no one for the referral,
    with no token anywhere, while its numbers (posts published, referrals served and accepted) stay."""
    from pypdf import PdfReader

    config = copy_example(tmp_path)
    add_program_extras(config)
    sync_checkins.run(ctx(config))
    folder = config.parent / "reports" / Q3

    def made() -> tuple[str, dict[str, str]]:
        res = cli(config, "report", "--quarter", Q3)
        assert res.returncode == 0, res.stderr
        return res.stdout.splitlines()[0], {
            "html": (folder / "report.html").read_text(encoding="utf-8"),
            "md": (folder / "newsletter.md").read_text(encoding="utf-8"),
            "pdf": "\n".join(p.extract_text() for p in PdfReader(folder / "report.pdf").pages)}

    summary, before = made()
    assert "2 referrals served, 2 blog posts published" in summary
    assert "MautiCamp on a shoestring" in before["html"] and "João Pereira" in before["md"]
    for person in ("jose.alvarez@example.org", "joao.pereira@example.com"):
        assert cli(config, "erase", person).returncode == 0
    summary_after, after = made()
    assert summary_after == summary
    assert "2 inquiries served; 1 accepted by an ambassador." in after["html"]
    assert "2 inquiries served; 1 accepted by an ambassador." in after["pdf"].replace("\n", " ")
    for name, text in after.items():
        for trace in ("erased-", "erased.invalid", "José", "João", "shoestring"):
            assert trace not in text, (name, trace)
    assert "Dynamic content" in after["html"] and "Emily Carter" in after["pdf"]  # the other post stays listed

    def cohorts(html: str) -> str:
        return html[html.index('<section id="cohorts">'):].split("</section>", 1)[0]

    assert cohorts(after["html"]) == cohorts(before["html"])  # the erased still count in the cohorts
    assert "José Álvarez" in before["html"] and 'id="person-' in after["html"]  # they had a page; the others keep theirs
