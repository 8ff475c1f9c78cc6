"""Properties that must hold for any input (hypothesis)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import given, settings
from hypothesis import strategies as st

from automations.domain import compliance as c
from automations.domain.checkins import ingest
from automations.domain.quarters import Quarter, quarters_between
from tests.factories import RULES, activity, ambassador
from tests.test_ingest import HEADERS, LAYOUT, response_row

ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
quarters = st.builds(Quarter, st.integers(1990, 2090), st.integers(1, 4))


@given(quarters, st.sampled_from(ZONES))
def test_quarter_start_instant_belongs_to_it(q, zone):
    """In any time zone, the first instant of a quarter is in it and the instant before is not."""
    tz = ZoneInfo(zone)
    first = q.start_instant(tz)
    assert Quarter.of_instant(first, tz) == q
    before = (first.astimezone(UTC) - timedelta(microseconds=1)).astimezone(tz)
    assert Quarter.of_instant(before, tz) == q.prev()


@given(st.dates(date(1990, 1, 1), date(2090, 12, 31)))
def test_every_day_in_exactly_one_quarter(day):
    """Every date lies between its quarter's first and last day; quarters tile the calendar."""
    q = Quarter.of(day)
    assert q.start <= day <= q.end
    assert q.next().start == q.end + timedelta(days=1)


@given(quarters, st.integers(0, 12))
def test_quarters_between_is_contiguous(first, n):
    """quarters_between gives n+1 consecutive quarters."""
    last = first
    for _ in range(n):
        last = last.next()
    qs = quarters_between(first, last)
    assert len(qs) == n + 1 and all(a.next() == b for a, b in itertools.pairwise(qs))


section = st.tuples(
    st.sampled_from(["Giving a talk", "Networking", "Podcast guest", ""]),
    st.sampled_from(["Talk A", "talk a", "Talk B", ""]),
    st.sampled_from(["01/08/2026", "15/06/2026", "bad", ""]),
    st.sampled_from(["", "12", "1,200", "lots"]),
)
rows = st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["ana@example.org", " ANA@example.org", "x@example.net"]),
                          st.lists(section, min_size=1, max_size=3)), max_size=12)


def _rows(spec):
    out = []
    for minutes, email, sections in sorted(spec, key=lambda s: s[0]):
        ts = (datetime(2026, 8, 2, 9, 0) + timedelta(hours=minutes * 37)).strftime("%d/%m/%Y %H:%M:%S")
        out.append(response_row(ts, email, [dict(kind=k, title=t, date=d, attendees=n, registrations=n, goal="g",
                                                 hours="1") for k, t, d, n in sections]))
    return out


@settings(max_examples=60, deadline=None)
@given(rows)
def test_ingestion_is_idempotent_and_order_free_for_copies(spec):
    """Ingesting the same rows twice gives the same activities; resolution picks one winner per id."""
    data = _rows(spec)
    first = ingest(HEADERS, data, LAYOUT, {"ana@example.org": 1})
    second = ingest(HEADERS, data, LAYOUT, {"ana@example.org": 1})
    assert first.activities == second.activities and first.problems == second.problems
    resolved = c.resolve_copies(first.activities, RULES)
    winners = [r.activity.id for r in resolved if r.resolution == c.CURRENT]
    assert len(winners) == len(set(winners))
    in_window_ids = {r.activity.id for r in resolved if r.resolution != c.LATE}
    assert set(winners) == in_window_ids


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=12), st.integers(0, 11))
def test_adding_a_full_report_never_lowers_the_streak(met, extra_at):
    """Monotonic: one more full report in some quarter never lowers any quarter's streak."""
    amb = ambassador(start=date(2023, 1, 2))
    first = Quarter(2023, 1)
    qs = quarters_between(first, Quarter(2025, 4))[: len(met)]
    acts = []
    for q, m in zip(qs, met):
        acts.append(activity(q.start, title=f"{q} a", row=2))
        if m:
            acts.append(activity(q.end, title=f"{q} b", row=3))
    through = qs[-1]
    before = c.history(amb, acts, RULES, date(2026, 11, 23), through)
    q = qs[min(extra_at, len(qs) - 1)]
    extra = activity(q.start + timedelta(days=10), title="extra", row=9)
    after = c.history(amb, acts + [extra], RULES, date(2026, 11, 23), through)
    assert all(b.streak <= a.streak for b, a in zip(before, after))
    assert all(a.streak <= i + 1 for i, a in enumerate(after))
