"""Years of history in the report (issue 22, part 4): a page per ambassador (quarters met year by year, activity
mix, reach, referrals taken, funding used), retention by the quarter people joined and the time from the start to
a first activity, each checked against what is worked out here from other sources: `compliance --quarter Q
--format json` for every quarter since the first start date, the roster's CSV file (start dates, statuses and
their history), and the referral and funding files the test writes."""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pypdf
import pytest
import yaml

from automations.jobs import compliance, sync_checkins
from tests.conftest import copy_example
from tests.test_report import add_program_extras, ctx
from tests.test_report_numbers import cli

DAY, QUARTER = "2026-11-23", "2026Q3"
QUARTER_END = date(2026, 9, 30)


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def quarters_from(first: str, last: str) -> list[str]:
    y, q = int(first[:4]), int(first[-1])
    out = []
    while f"{y}Q{q}" <= last:
        out.append(f"{y}Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def quarter_end(label: str) -> date:
    y, q = int(label[:4]), int(label[-1])
    return (date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)) - timedelta(days=1)


class Sections(HTMLParser):
    """The page's history: for each `article.person`, its name (h3), lead and table rows; the cohorts' rows."""

    def __init__(self, text: str):
        super().__init__()
        self.people: list[dict] = []
        self.cohorts: list[list[str]] = []
        self._section = ""
        self._in: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self._section = a.get("id", "")
        if tag == "article" and "person" in (a.get("class") or ""):
            self.people.append({"name": "", "lead": "", "rows": [], "text": ""})
        self._in.append(tag)
        if tag == "tr":
            self._row = []
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None:
            if self._section == "history" and self.people and self._row and self._row[0] != "Year":
                self.people[-1]["rows"].append(self._row)
            if self._section == "cohorts" and self._row and self._row[0] != "Joined":
                self.cohorts.append(self._row)
            self._row = None
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._section == "history" and self.people:
            p = self.people[-1]
            p["text"] += data
            if "h3" in self._in:
                p["name"] += data
            elif "p" in self._in and "table" not in self._in and not p["rows"]:
                p["lead"] += data


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The example with its extras, synced on DAY; the report of 2026Q3 from the command line, and compliance's
    JSON of every quarter from the first start date's to 2026Q3."""
    config = copy_example(tmp_path_factory.mktemp("history"))
    add_program_extras(config)
    data = config.parent / "data"
    with (data / "ambassadors.csv").open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    with (data / "ambassadors.csv").open("a", encoding="utf-8", newline="") as fh:
        # Away and back: paused from May 2025, active again from August (two dated changes).
        csv.DictWriter(fh, header).writerow({"Name": "Rosa Vidal", "Email": "rosa.vidal@example.org", "Country": "Spain",
                                             "Languages": "es", "Start date": "2025-01-15", "Status": "active",
                                             "Status history": "2025-05-10 paused; 2025-08-01 active"})
    with (data / "referral_inquiries.csv").open("a", encoding="utf-8", newline="") as fh:
        # Accepted by Camille, her address written with capitals: still hers.
        csv.writer(fh).writerow(["Delta SL", "Eva Ruiz", "eva@delta.example.com", "France", "", "fr", "training", "",
                                 "", "2026-07-01 offered Camille.Dubois@Example.org; 2026-07-02 accepted "
                                 "Camille.Dubois@Example.org"])
    sync_checkins.run(ctx(config, DAY))
    res = cli(config, DAY, "report", "--quarter", QUARTER)
    assert res.returncode == 0, res.stderr
    folder = config.parent / "reports" / QUARTER
    with (config.parent / "data" / "ambassadors.csv").open(encoding="utf-8", newline="") as fh:
        roster = list(csv.DictReader(fh))
    first = min(quarter_of(date.fromisoformat(r["Start date"])) for r in roster)
    judged = {}
    for q in quarters_from(first, QUARTER):  # what `compliance --quarter Q --format json` prints, in this process
        judged[q] = json.loads(compliance.run(ctx(config, DAY, dry_run=True), q, fmt="json").output)
    html = (folder / "report.html").read_text(encoding="utf-8")
    return config, Sections(html), judged, roster, folder


def records_since(judged: dict) -> str:
    """The first quarter in which compliance counts an activity for anyone: where the records begin."""
    return min(q for q, data in judged.items() if any(a["activities"] for a in data["ambassadors"]))


def by_name(page: Sections) -> dict[str, dict]:
    return {p["name"].split(" · ")[0].strip(): p for p in page.people}


def test_a_page_for_each_ambassador_with_a_verdict(made):
    _config, page, judged, _roster, _folder = made
    names = sorted(a["name"] for a in judged[QUARTER]["ambassadors"])
    assert sorted(by_name(page)) == names and len(page.people) == len(names)


def test_each_year_adds_up_compliances_quarters(made):
    """Met, missed, exempt, pending, activities (full), reach: each year the sum of compliance's quarters, from the
    quarter the records begin with (the quarters before it, "missed" by compliance with no check-in on record
    for anyone, are not on the pages)."""
    _config, page, judged, _roster, _folder = made
    since = records_since(judged)
    assert since == "2025Q4"  # the example's first check-ins
    expected: dict[str, dict[str, list]] = defaultdict(dict)
    for q, data in judged.items():
        if q < since:
            continue
        for a in data["ambassadors"]:
            y = expected[a["name"]].setdefault(q[:4], [Counter(), 0, 0, 0])
            y[0][a["status"]] += 1
            y[1] += a["activities"]
            y[2] += a["full_reports"]
            y[3] += a["reach"]
    pages = by_name(page)
    checked = 0
    for name, years in expected.items():
        rows = {r[0]: r for r in pages[name]["rows"]}
        for year, (verdicts, activities, full, reach) in years.items():
            row = rows[year]
            assert row[1:5] == [str(verdicts[s]) for s in ("met", "missed", "exempt", "pending")], (name, year, row)
            assert row[5] == f"{activities} ({full})" and row[6] == f"{reach:,}", (name, year, row)
            checked += 1
        if len(years) > 1:
            total = rows["All years"]
            assert total[6] == f"{sum(y[3] for y in years.values()):,}"
    assert checked > 40


def test_referrals_taken_and_funding_used_from_the_files(made):
    """From the files the test wrote: accepted steps by ambassador and year; approved or paid requests (the
    approved amount, else the amount asked) by ambassador, year and currency, events up to the quarter's end."""
    config, page, _judged, roster, _folder = made
    data = config.parent / "data"
    names = {r["Email"].strip().lower(): r["Name"] for r in roster}
    taken: Counter[tuple[str, str]] = Counter()
    with (data / "referral_inquiries.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            for step in filter(None, (s.strip() for s in row["Referral history"].split(";"))):
                day, event, who = step.split()
                if event == "accepted" and date.fromisoformat(day) <= QUARTER_END:
                    taken[(names[who.lower()], day[:4])] += 1
    funded: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    with (data / "funding_requests.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    for email, _what, _kind, amount, currency, event, _r, status, approved, *_ in rows:
        if status in ("approved", "paid") and date.fromisoformat(event) <= QUARTER_END:
            funded[(names[email], event[:4])][currency] += Decimal(approved or amount)
    assert taken and funded
    for name, p in by_name(page).items():
        for row in p["rows"]:
            if row[0] == "All years":
                continue
            assert row[7] == str(taken[(name, row[0])]), (name, row)
            money = " · ".join(f"{c} {v:,.2f}" for c, v in sorted(funded[(name, row[0])].items())) or "none"
            assert row[8] == money, (name, row)
    assert by_name(page)["Camille Dubois"]["rows"][-1][7:] == ["2", "EUR 150.00"]  # one accepted with capitals
    html = (made[4] / "report.html").read_text(encoding="utf-8")
    assert "EUR\u00a0150.00" in html  # a currency never parted from its amount at a line's end


def status_on(row: dict, day: date) -> str:
    """The roster's status on `day`, read here from its columns: before the first dated change, active."""
    changes = sorted((date.fromisoformat(s.split()[0]), s.split()[1].lower())
                     for s in re.split(r"[;\n]", row["Status history"] or "") if s.strip())
    today = row["Status"].strip().lower()  # staff write "Active" too
    if not changes:
        return today
    current = "active"
    for when, changed in changes[:-1]:
        if when <= day:
            current = changed
    return today if changes[-1][0] <= day else current


def test_cohorts_from_the_roster(made):
    """People by joining quarter, active 1, 2 and 4 quarters later and at the quarter's end, from the roster's
    start dates, statuses and status history; "not yet" for a quarter after the report's."""
    _config, page, judged, roster, _folder = made
    with_verdict = {a["email"] for a in judged[QUARTER]["ambassadors"]}
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in roster:
        if r["Email"].strip().lower() in with_verdict:
            groups[quarter_of(date.fromisoformat(r["Start date"]))].append(r)
    rows = {r[0]: r for r in page.cohorts}
    assert sorted(rows) == sorted(groups)

    def cell(n: int, of: int) -> str:
        return f"{n} ({n / of:.0%})"

    for q, people in groups.items():
        row = rows[q]
        assert row[1] == str(len(people))
        for i, k in enumerate((1, 2, 4)):
            later = quarters_from(q, "2099Q4")[k]
            if later > QUARTER:
                assert row[2 + i] == "not yet", (q, k, row)
            else:
                active = sum(status_on(p, quarter_end(later)) == "active" for p in people)
                assert row[2 + i] == cell(active, len(people)), (q, k, row)
        assert row[5] == cell(sum(status_on(p, QUARTER_END) == "active" for p in people), len(people))
    assert any(r[5] != r[4] for r in page.cohorts if "not yet" not in r[4])  # someone left: retention shows it
    rosa = next(p for p in roster if p["Name"] == "Rosa Vidal")  # paused in 2025Q2, back in 2025Q3
    assert [status_on(rosa, quarter_end(q)) for q in ("2025Q1", "2025Q2", "2025Q3")] == ["active", "paused", "active"]
    html = (made[4] / "report.html").read_text(encoding="utf-8")
    chart = html[html.index('<section id="cohorts">'):].split("</svg>", 1)[0]
    for q, people in groups.items():  # the chart writes each cohort's share whole, never cut short
        now = sum(status_on(p, QUARTER_END) == "active" for p in people)
        assert f">{now / len(people):.0%} of {len(people)}</text>" in chart, q
    assert "…" not in chart


def test_time_to_the_first_activity(made):
    """The first activity is in the first quarter compliance counts an activity for, its days counted from the
    roster's start date; with no activity, "none reported yet". Someone who started before the records begin gets
    the first activity on record and no days, and their cohort no median; each other cohort's median is the median
    of its people's days."""
    _config, page, judged, roster, _folder = made
    since = records_since(judged)
    starts = {r["Name"]: date.fromisoformat(r["Start date"]) for r in roster}
    first_q: dict[str, str] = {}
    for q in sorted(judged):
        for a in judged[q]["ambassadors"]:
            if a["activities"]:
                first_q.setdefault(a["name"], q)
    days_by_cohort: dict[str, list[int]] = defaultdict(list)
    earlier = 0
    for name, p in by_name(page).items():
        lead = " ".join(p["lead"].split())
        if quarter_of(starts[name]) < since:
            earlier += 1
            m = re.search(r"First activity on record: (\d+ \w+ \d{4}|none yet)\. The program's records begin with "
                          rf"{since}: the quarters before it are not shown\.", lead)
            assert m, (name, lead)
            assert (m.group(1) == "none yet") == (name not in first_q), (name, lead)
            if name in first_q:
                assert quarter_of(datetime.strptime(m.group(1), "%d %B %Y").date()) == first_q[name]
            continue
        if name not in first_q:
            assert "First activity: none reported yet" in lead, (name, lead)
            continue
        m = re.search(r"First activity: (\d+ \w+ \d{4}), ([\d,]+) days? after the start", lead)
        assert m, (name, lead)
        day = datetime.strptime(m.group(1), "%d %B %Y").date()
        assert quarter_of(day) == first_q[name], (name, day)
        assert int(m.group(2).replace(",", "")) == (day - starts[name]).days
        days_by_cohort[quarter_of(starts[name])].append((day - starts[name]).days)
    assert earlier > 10 and days_by_cohort
    for row in page.cohorts:
        if row[0] < since:
            assert row[7] == "before the records", row
        elif row[0] in days_by_cohort:
            median = statistics.median(days_by_cohort[row[0]])
            shown = f"{median:,.1f}".removesuffix(".0")
            assert row[7] == f"{shown} day{'' if shown == '1' else 's'}", row


def test_the_pdf_has_the_same_pages(made):
    """Each ambassador's page in the PDF: their name heads a page of its own, with the same years' rows."""
    _config, page, _judged, _roster, folder = made
    pages = [" ".join((p.extract_text() or "").split()) for p in pypdf.PdfReader(folder / "report.pdf").pages]
    for name, p in by_name(page).items():
        where = [i for i, text in enumerate(pages) if text.startswith(name)]
        assert len(where) == 1, (name, where)
        text = pages[where[0]]
        for row in p["rows"]:
            label = row[0]
            assert f"{label} {' '.join(row[1:5])} {row[5]} {row[6]} {row[7]} {row[8]}" in text, (name, row, text)
    assert "Retention and first activity, by the quarter people joined" in " ".join(pages)


@pytest.mark.parametrize("key", ["ambassador_pages", "ambassador_table"])
def test_pages_can_be_left_out(made, tmp_path, key):
    """`report.ambassador_pages: false`, or `report.ambassador_table: false` (a report to forward beyond staff):
    no page per ambassador; the cohorts (numbers, no names) stay."""
    config, _page, _judged, _roster, _folder = made
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["report"][key] = False
    settings["report"]["dir"] = str(tmp_path / "short")
    other = config.parent / f"short-{key}.yaml"
    other.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")
    res = cli(other, DAY, "report", "--quarter", QUARTER)
    assert res.returncode == 0, res.stderr
    html = (tmp_path / "short" / QUARTER / "report.html").read_text(encoding="utf-8")
    short = Sections(html)
    assert not short.people and 'id="history"' not in html
    assert short.cohorts == made[1].cohorts
    assert len(pypdf.PdfReader(tmp_path / "short" / QUARTER / "report.pdf").pages) < 15


def test_decades_of_history_stay_readable_in_the_pdf():
    """Records back to 1950 (an activity then, a mistyped date staff did not catch): each ambassador's grid and year
    table run over the page break with their heads again, rather than one cell a page; every year is in the PDF,
    and the PDF stays short."""
    from automations.adapters.render.report_pdf import FpdfReportRenderer
    from automations.domain.compliance import standings, tracks
    from automations.domain.quarters import Quarter, quarters_between
    from automations.domain.report import ReportSettings, build_report
    from tests.factories import RULES, activity, ambassador

    quarter, as_of = Quarter(2026, 3), date(2026, 11, 23)
    people = [ambassador("old@example.org", start=date(1950, 1, 10)),
              ambassador("new@example.org", start=date(2025, 1, 10))]
    done = [activity(date(1950, 2, 1), email="old@example.org"), activity(date(2026, 8, 1), email="new@example.org")]
    every = tracks(people, done, RULES, as_of, quarter)
    by_quarter = {q: standings(every, q) for q in quarters_between(Quarter(1950, 1), quarter)}
    report = build_report("P", quarter, as_of, RULES.window_days, by_quarter, [], [], [], None, ReportSettings(),
                          every)
    assert report.records_since == "1950Q1" and [len(h.years) for h in report.histories] == [2, 77]
    pdf = FpdfReportRenderer().render(report)
    pages = [" ".join((p.extract_text() or "").split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) < 12, len(pages)
    text = " ".join(pages)
    assert all(f"{year} " in text for year in range(1950, 2027))
    assert not [i for i, p in enumerate(pages) if len(p) < 60 and "missed" in p]  # no page holding one lone cell


def test_the_same_years_on_the_airtable_fake(airtable, program, tmp_path):
    """On the Airtable backend (the fake base on 127.0.0.1, the roster in its Ambassadors table), the report's
    pages and cohorts are those of the same program on the local files."""
    from automations.jobs import report as report_job

    def figures(context) -> tuple:  # synced, then the report worked out without writing it
        sync_checkins.run(context(False))
        report = report_job.run(context(True), QUARTER).data["report"]
        return report.records_since, report.cohorts, report.histories

    local = copy_example(tmp_path / "local", "unusable_rows.csv")
    day = date.fromisoformat(DAY)
    on_files = figures(lambda dry: ctx(local, DAY, dry_run=dry))
    on_airtable = figures(lambda dry: airtable.ctx(day, dry_run=dry))
    assert on_airtable == on_files
    assert on_files[0] == "2025Q4" and len(on_files[2]) > 30 and any(h.before_records for h in on_files[2])


def test_standing_after_each_quarter_is_the_standing_then(made):
    """The compliance table's "Standing after it": each ambassador's status on the quarter's last day when not
    active (the roster's Status history, read here), else the ladder worked out here from compliance's final
    verdicts quarter by quarter (a met quarter: good; one missed: warned; two or more in a row: under review).
    Someone paused, gone alumni or removed in 2026 is not counted so in 2025Q4."""
    from tests.test_report import Page

    _config, _page, judged, roster, folder = made
    rows = {r["Email"].strip().lower(): r for r in roster}
    ladder: dict[str, tuple[str, int]] = {}
    expected: dict[str, Counter[str]] = {}
    labels = {"good": "good standing", "warned": "warned", "under_review": "under review", "paused": "paused",
              "alumni": "alumni", "removed": "removed"}
    for q in sorted(judged):
        held: Counter[str] = Counter()
        for a in judged[q]["ambassadors"]:
            standing, missed = ladder.get(a["email"], ("good", 0))
            if judged[q]["final"] and a["status"] == "met":
                standing, missed = "good", 0
            elif judged[q]["final"] and a["status"] == "missed":
                missed += 1
                standing = "warned" if missed == 1 else "under_review"
            ladder[a["email"]] = (standing, missed)
            now = status_on(rows[a["email"]], quarter_end(q))
            held[labels[now if now != "active" else standing]] += 1
        expected[q] = held
    table = Page((folder / "report.html").read_text(encoding="utf-8")).rows("compliance")
    assert len(table) == 4
    for row in table:
        q = row[0].split()[0]
        shown = Counter({" ".join(part.split()[1:]): int(part.split()[0]) for part in row[6].split(", ")})
        assert shown == expected[q], (q, row[6])
    assert "removed" not in table[0][6] and "alumni" not in table[0][6]  # 2025Q4: no one had left yet
