"""Ingestion on every mess planted in the example data (docs/example-data.md lists them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from automations import bootstrap
from automations.config import load_config
from automations.domain import compliance as c
from automations.domain.checkins import ingest, late_problems

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def example():
    ctx = bootstrap.build(load_config(ROOT / "config.yaml"), as_of=__import__("datetime").date(2026, 11, 23),
                          dry_run=True)
    roster, roster_problems = ctx.stores.roster.read()
    got = ingest(*ctx.stores.checkins.read(), ctx.settings.form, {a.email: a for a in roster})
    resolved = c.resolve_copies(got.activities, ctx.settings.rules)
    late = late_problems(resolved, ctx.settings.form, 21)
    return got, {(r.activity.row, r.activity.section): r for r in resolved}, roster_problems, late


def problems_at(example, row):
    got, _, _, late = example
    return [p for p in got.problems + late if p.row == row]


def test_roster_is_clean(example):
    """The example roster has no unusable row."""
    assert example[2] == []


def test_duplicate_submission(example):
    """Rows 102 and 103 are identical: 102's copies are duplicates of 103's."""
    _, res, _, _ = example
    assert [(res[(102, s)].resolution, res[(102, s)].winner_row) for s in (1, 2)] == [(c.DUPLICATE, 103)] * 2
    assert res[(103, 1)].resolution == c.CURRENT


def test_corrected_resubmission(example):
    """Row 115 fills in the attendees row 99 left empty: 99's copy is superseded."""
    _, res, _, _ = example
    assert (res[(99, 2)].resolution, res[(99, 2)].winner_row) == (c.SUPERSEDED, 115)
    assert res[(99, 2)].activity.attendees is None and res[(115, 2)].activity.attendees == 45
    assert res[(99, 1)].resolution == c.DUPLICATE


def test_late_inside_window_is_current(example):
    """Row 87 (19 July, for Q2) is inside the Q2 window."""
    assert example[1][(87, 1)].resolution == c.CURRENT


def test_after_window_reported(example):
    """Row 91 (2 August, for Q2) is late: each of its Q2 activities is listed as unusable."""
    _, res, _, _ = example
    assert res[(91, 1)].resolution == c.LATE
    assert any("after the 2026Q2 window closed on 2026-07-21" in p.reason for p in problems_at(example, 91))


def test_activity_in_other_quarter(example):
    """Row 75 (Q2 response) dates activity 3 on 2 July: it belongs to Q3 and is current there."""
    _, res, _, _ = example
    a = res[(75, 3)].activity
    assert (str(c.activity_quarter(a)), a.reported_quarter, res[(75, 3)].resolution) == ("2026Q3", "2026Q2", c.CURRENT)
    assert res[(105, 2)].resolution == c.LATE  # June activity sent in October


def test_numbers_as_people_write_them(example):
    """'1,200' (row 96) and '1.200' (row 111) are 1200; '2,5' and '1.5' hours; '~300' is 300."""
    _, res, _, _ = example
    assert res[(96, 1)].activity.views == 1200 and res[(111, 1)].activity.views == 1200
    assert res[(96, 2)].activity.hours == 2.5 and res[(111, 2)].activity.hours == 1.5
    assert res[(101, 3)].activity.attendees == 300


def test_not_a_number_reported(example):
    """'lots' (row 117) is reported and the engagements left empty."""
    (p,) = problems_at(example, 117)
    assert (p.column, p.value) == ("Engagements (likes, comments)", "lots")
    assert example[1][(117, 1)].activity.engagements is None


def test_email_case_and_spaces(example):
    """' Maria.Silva@Example.org ' (row 106) is Maria's response."""
    assert example[1][(106, 1)].activity.email == "maria.silva@example.org"


def test_unknown_email(example):
    """stranger@example.net (row 109) is reported and nothing from it is stored."""
    (p,) = problems_at(example, 109)
    assert p.value == "stranger@example.net" and not any(k[0] == 109 for k in example[1])


def test_last_day_of_quarter(example):
    """Row 94 was sent at 23:30 on 30 September: a Q3 response with a Q3 activity that counts."""
    a = example[1][(94, 2)].activity
    assert a.received_at.isoformat() == "2026-09-30T23:30:00+01:00" and str(c.activity_quarter(a)) == "2026Q3"


@pytest.mark.parametrize("row,value,needle", [
    (113, "Podcast guest", "not one of the form's activity choices"),
    (114, "sometime in August", "not a date"),
    (121, "", "is empty"),
    (120, "", "no activity in this response"),
])
def test_unusable_sections(example, row, value, needle):
    """Unknown kind, unreadable date, missing date and an empty response are each reported once."""
    (p,) = problems_at(example, row)
    assert p.value == value and needle in p.reason


def test_missing_metrics_kept_as_incomplete(example):
    """Activities with empty metrics are stored (not dropped) and are not full reports."""
    _, res, _, _ = example
    rules = bootstrap.rules_from(load_config(ROOT / "config.yaml"))
    incomplete = [r for r in res.values() if r.resolution == c.CURRENT and not c.is_full(r.activity, rules)]
    assert len(incomplete) >= 10


def test_nothing_dropped_silently(example):
    """Every non-empty section is either an activity or a problem."""
    import csv

    rows = list(csv.reader((ROOT / "data" / "checkin_responses.csv").open(encoding="utf-8")))[1:]
    filled = {(i, n) for i, r in enumerate(rows, start=2) for n in (1, 2, 3)
              if any(x.strip() for x in r[4 + 13 * (n - 1): 4 + 13 * n])}
    got, res, _, _ = example
    reported = {(p.row, int(p.column.split(":")[0].split()[-1])) for p in got.problems if p.column.startswith("Activity")}
    skipped_rows = {p.row for p in got.problems if p.column == "Email Address"}
    assert {k for k in filled if k[0] not in skipped_rows} <= set(res) | reported
