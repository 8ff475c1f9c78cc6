"""One definition per number (issue 22, part 4): the report's headline numbers are those of
`compliance --quarter Q --format json` on the same day, and the page, the PDF's text and the newsletter
print the same value beside the same words, for the example's quarters (2026Q2 and 2026Q3, each read on a
day its window is closed, and 2026Q3 on a day its window is still open)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pytest

from automations.domain.report import SUMMARY_LABELS
from automations.jobs import sync_checkins
from tests.conftest import ROOT, copy_example
from tests.test_report import Page, add_program_extras, ctx

CASES = [("2026Q3", "2026-11-23"), ("2026Q3", "2026-10-15"), ("2026Q2", "2026-10-25")]


def cli(config: Path, as_of: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "automations", "--config", str(config), "--as-of", as_of, *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def expected(judged: dict) -> dict[str, int]:
    """The headline numbers worked out here, from the JSON alone (what `Summary` says each counts)."""
    people = judged["ambassadors"]
    countries = {a["country"].strip() for a in people if a["country"].strip()}
    return {
        "ambassadors": len(people),
        "met": sum(1 for a in people if a["status"] == "met"),
        "missed": sum(1 for a in people if a["status"] == "missed"),
        "activities": sum(a["activities"] for a in people),
        "full_reports": sum(a["full_reports"] for a in people),
        "reach": sum(a["reach"] for a in people),
        "engagements": sum(a["engagements"] for a in people),
        "countries": len(countries),
        "countries_active": len({a["country"].strip() for a in people if a["country"].strip() and a["activities"]}),
    }


def glance(text: str) -> str:
    """The "At a glance" section of a page's or a PDF's text (the other sections use some words again)."""
    return text[text.index("At a glance"):text.index("Reach by country and region")]


def printed(text: str, pattern: str) -> dict[str, int]:
    """Each label's number in `text`, found with `pattern` (`{label}` in it); a label found twice with two
    values fails."""
    out: dict[str, int] = {}
    for key, label in SUMMARY_LABELS.items():
        found = {int(m.replace(",", "")) for m in re.findall(pattern.format(label=re.escape(label)), text)}
        assert len(found) == 1, (key, label, found)
        out[key] = found.pop()
    return out


@pytest.fixture(scope="module", params=CASES, ids=[f"{q}@{d}" for q, d in CASES])
def case(request, tmp_path_factory):
    quarter, day = request.param
    config = copy_example(tmp_path_factory.mktemp("numbers"))
    add_program_extras(config)
    with (config.parent / "data" / "referral_inquiries.csv").open("a", encoding="utf-8", newline="") as fh:
        # A new inquiry (never offered) in a language no ambassador in Germany speaks: coverage shows the gap.
        csv.writer(fh).writerow(["Delta KK", "Aiko Sato", "aiko@delta.example.com", "germany", "", "JA", "training",
                                 "", "", ""])
    sync_checkins.run(ctx(config, day))
    res = cli(config, day, "report", "--quarter", quarter)
    assert res.returncode == 0, res.stderr
    judged = cli(config, day, "compliance", "--quarter", quarter, "--format", "json")
    assert judged.returncode == 0, judged.stderr
    return config.parent / "reports" / quarter, json.loads(judged.stdout), res.stdout


def test_the_page_prints_compliances_numbers(case):
    folder, judged, _ = case
    text = " ".join(" ".join(Page((folder / "report.html").read_text(encoding="utf-8")).text).split())
    assert printed(glance(text), r"([\d,]+) {label}\b") == expected(judged)


def test_the_pdf_prints_the_same_numbers(case):
    folder, judged, _ = case
    text = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(folder / "report.pdf").pages)
    assert printed(glance(text), r"([\d,]+) {label}\b") == expected(judged)


def test_the_newsletter_prints_the_same_numbers(case):
    folder, judged, _ = case
    text = (folder / "newsletter.md").read_text(encoding="utf-8")
    want = expected(judged)
    assert printed(text, r"^- \*\*([\d,]+)\*\* {label}$".replace("^", "(?m)^", 1)) == want
    # The prose says the same: the activities in the countries with an activity, of the countries with
    # ambassadors; its met the verdicts met.
    prose = " ".join(text.split())
    assert (f"our ambassadors reported {want['activities']:,} activities in {want['countries_active']} countries (of "
            f"the {want['countries']} countries with ambassadors)") in prose
    assert f"{want['met']} ambassadors met the quarter" in prose


def test_the_run_says_the_same(case):
    """The command's own summary line names the same countries and activities."""
    _, judged, stdout = case
    want = expected(judged)
    line = " ".join(stdout.split())
    assert f"{want['activities']:,} activities reaching {want['reach']:,} people" in line.replace(
        f"{want['activities']} activities", f"{want['activities']:,} activities")
    assert f"{want['countries']} countries with ambassadors ({want['countries_active']} with an activity)" in line


def test_countries_differ_and_both_are_named(case):
    """The example has ambassadors in countries where no activity was reported: the two counts differ, and
    each file names both, so neither passes for the other."""
    folder, judged, _ = case
    want = expected(judged)
    assert want["countries"] >= want["countries_active"]
    for name in ("report.html", "newsletter.md"):
        text = (folder / name).read_text(encoding="utf-8")
        assert SUMMARY_LABELS["countries"] in text and SUMMARY_LABELS["countries_active"] in text


# Prints well (issue 22, part 4): a section's heading is on the same page as the start of its content, in
# the PDF (drawn with fpdf2, apart from the page) and in the page's print style.

def first_content(report) -> dict[str, str]:
    """Each section's heading and a text its first block (a chart, a table, a list) draws, worked out from
    the report's figures: the heading's page must show it after the heading."""
    from automations.adapters.render.report_jinja import FAMILY_TITLES
    from automations.domain.report import kind_bars, reach_bars

    r = report
    return {
        "At a glance": SUMMARY_LABELS["ambassadors"],
        "Reach by country and region": reach_bars(r)[0].label if reach_bars(r) else "Nothing to show",
        "Activities by kind": kind_bars(r)[0].label,
        "Concentration of reach": "people reached, from",
        "Coverage: ambassadors and inquiries by country": "Asked, not spoken",
        "Top activities by engagement": FAMILY_TITLES[r.rankings[0][0]],
        "Compliance and standing over the last quarters": r.history[0].quarter,
        "Perks earned": "Free access to official events (",
        "Referrals served": r.referrals[0].need if r.referrals else "No referral inquiry",
        "Blog posts published": r.posts[0].author if r.posts else "No blog post",
        "Funding spent against budget": r.funding[0].currency if r.funding else "No funding",
        "Appendix: every ambassador's quarter": r.ambassadors[0].name,
    }


def test_pdf_headings_keep_with_their_content(case):
    folder, _, _ = case
    quarter = folder.name
    from tests.test_report import figures_of

    config = folder.parent.parent / "config.yaml"
    pages = [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(folder / "report.pdf").pages]
    report = figures_of(config, quarter)
    for heading, start in first_content(report).items():
        where = [i for i, text in enumerate(pages) if heading in text]
        assert len(where) == 1, (heading, where)
        text = pages[where[0]]
        after = text[text.index(heading) + len(heading):]
        assert start in after, f"{heading!r} on page {where[0] + 1}, its {start!r} not on that page"


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    config = copy_example(tmp_path_factory.mktemp("layouts"))
    add_program_extras(config)
    sync_checkins.run(ctx(config))
    return config


@pytest.mark.parametrize("top", range(1, 11))
def test_pdf_headings_keep_with_their_content_in_every_layout(example, top):
    """Ten layouts (1 to 10 rows in each ranking move every later section up or down the page): in each,
    every heading is on the page that starts its content."""
    from automations.adapters.render.report_pdf import FpdfReportRenderer
    from tests.test_report import figures_of

    report = figures_of(example, "2026Q3", top_activities=top)
    data = FpdfReportRenderer().render(report)
    pages = [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(data)).pages]
    for heading, start in first_content(report).items():
        where = [i for i, text in enumerate(pages) if heading in text]
        assert len(where) == 1, (heading, where)
        text = pages[where[0]]
        assert start in text[text.index(heading) + len(heading):], \
            f"top {top}: {heading!r} on page {where[0] + 1}, its {start!r} not on that page"


class _Groups(HTMLParser):
    """For each h2: whether it opens a `div.keep`, and the tags inside that group."""

    def __init__(self, text: str):
        super().__init__()
        self.depth = 0  # divs open inside the current keep group (0: none open)
        self.groups: list[list[str]] = []
        self.loose: list[str] = []  # h2 headings outside any group
        self._h2 = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "div" and self.depth:
            self.depth += 1
        elif tag == "div" and "keep" in (dict(attrs).get("class") or "").split():
            self.depth = 1
            self.groups.append([])
        elif self.depth:
            self.groups[-1].append(tag)
        self._h2 = tag == "h2"
        if tag == "h2" and not self.depth:
            self.loose.append("?")

    def handle_endtag(self, tag):
        if tag == "div" and self.depth:
            self.depth -= 1


def test_page_prints_headings_with_their_content(case):
    """In the page, every h2 opens a `keep` group (never broken across pages, never left at a page's foot,
    by the style), and the chart sections' groups hold their chart, the summary's its tiles; each ambassador's
    page keeps its name with the grid of their verdicts."""
    folder, _, _ = case
    html = (folder / "report.html").read_text(encoding="utf-8")
    groups = _Groups(html)
    assert not groups.loose
    sections = [g for g in groups.groups if g[0] == "h2"]
    people = [g for g in groups.groups if g[0] == "h3"]  # each ambassador's page: the name with the verdicts' grid
    assert len(sections) == 14 and len(sections) + len(people) == len(groups.groups)
    assert sum(1 for g in sections if "svg" in g) == 4
    assert people and all("svg" in g for g in people)
    style = " ".join(Page(html).styles)
    rule = re.search(r"\.keep \{([^}]*)\}", style)
    assert rule and "break-inside: avoid" in rule.group(1) and "break-after: avoid" in rule.group(1)


# Concentration and coverage (issue 22, part 4), against a computation made here from the CSV files and the
# compliance JSON.

def test_concentration_and_coverage_from_the_files(case):
    folder, judged, _ = case
    data = folder.parent.parent / "data"
    reach = sorted((a["reach"] for a in judged["ambassadors"]), reverse=True)
    top, total = sum(reach[:3]), sum(reach)
    html = (folder / "report.html").read_text(encoding="utf-8")
    page = Page(html)
    text = " ".join(" ".join(page.text).split())
    assert f"{top:,} of {total:,} people reached, from 3 of {len(reach)} ambassadors" in text
    assert re.search(rf"{top / total:.0%}\s*: {top:,} of {total:,}", text)
    pdf = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(folder / "report.pdf").pages)
    assert f"{top:,} of {total:,} people reached, from 3 of {len(reach)} ambassadors" in pdf

    with (data / "ambassadors.csv").open(encoding="utf-8", newline="") as fh:
        roster = {r["Email"].strip().lower(): r for r in csv.DictReader(fh)}
    with (data / "referral_inquiries.csv").open(encoding="utf-8", newline="") as fh:
        inquiries = list(csv.DictReader(fh))
    want: dict[str, list] = {}
    for a in judged["ambassadors"]:
        row = roster[a["email"]]
        country = row["Country"].strip()
        if country:
            line = want.setdefault(country.casefold(), [country, 0, set(), 0, set()])
            line[1] += 1
            line[2] |= {w.strip().casefold() for w in re.split(r"[,;]", row["Languages"]) if w.strip()}
    for i in inquiries:
        country = i["Country"].strip()
        if country:
            line = want.setdefault(country.casefold(), [country, 0, set(), 0, set()])
            line[3] += 1
            line[4] |= {i["Language"].strip().casefold()} if i["Language"].strip() else set()
    rows = {r[0]: r for r in page.rows("coverage")}
    assert set(rows) == {line[0] for line in want.values()}
    for country, n, spoken, asked_n, asked in want.values():
        assert rows[country] == [country, str(n), ", ".join(sorted(spoken)), str(asked_n), ", ".join(sorted(asked)),
                                 ", ".join(sorted(asked - spoken))], country
    assert rows["Brazil"][3] == "1" and rows["Germany"][3] == "2"  # the inquiries the tests add
    assert rows["Germany"][5] == "ja"  # "germany" is Germany; Japanese is asked there and spoken by no one
