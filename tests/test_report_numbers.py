"""One definition per number (issue 22, part 4): the report's headline numbers are those of
`compliance --quarter Q --format json` on the same day, and the page, the PDF's text and the newsletter
print the same value beside the same words, for the example's quarters (2026Q2 and 2026Q3, each read on a
day its window is closed, and 2026Q3 on a day its window is still open)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
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
    # The prose says the same: its countries are the countries with ambassadors, its met the verdicts met.
    prose = " ".join(text.split())
    assert f"our ambassadors in {want['countries']} countries" in prose
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
