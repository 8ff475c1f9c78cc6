"""The program's rules, one rule per test (PROGRAM.md, "The quarterly rule")."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from automations.domain import compliance as c
from automations.domain.quarters import Quarter, latest_ended, latest_final, local_date
from tests.factories import RULES, activity, ambassador, at

Q3 = Quarter(2026, 3)
AFTER_Q3_WINDOW = date(2026, 11, 23)


def verdict(acts, amb=None, quarter=Q3, as_of=AFTER_Q3_WINDOW):
    amb = amb or ambassador()
    return c.evaluate([amb], acts, RULES, as_of, quarter)[0].record


def two_events(d1=date(2026, 7, 10), d2=date(2026, 8, 20)):
    return [activity(d1, title="Meetup one", row=2), activity(d2, title="Meetup two", row=3)]


class TestQuarters:
    def test_calendar_quarters(self):
        """Quarters are calendar quarters with the right first and last day."""
        assert (Q3.start, Q3.end) == (date(2026, 7, 1), date(2026, 9, 30))
        assert Quarter(2024, 1).end == date(2024, 3, 31) and Quarter(2026, 4).next() == Quarter(2027, 1)

    def test_window_closes_21_days_after_the_end(self):
        """The check-in window closes at the end of the 21st day after the quarter ends."""
        assert Q3.window_closes(21) == date(2026, 10, 21)

    def test_instant_read_in_program_zone(self):
        """23:30 on 31 December in New York is still Q4 there, though it is January in UTC."""
        ny = ZoneInfo("America/New_York")
        instant = at(2026, 12, 31, 23, 30).replace(tzinfo=ny)
        assert Quarter.of_instant(instant, ny) == Quarter(2026, 4)
        assert Quarter.of_instant(instant, ZoneInfo("UTC")) == Quarter(2027, 1)

    def test_parse_forms(self):
        """Staff and forms write quarters several ways; all read the same."""
        assert {Quarter.parse(t) for t in ("2026Q3", "2026 Q3", "2026-q3", "Q3 2026")} == {Q3}
        with pytest.raises(ValueError):
            Quarter.parse("2026Q5")

    def test_default_quarter_is_latest_ended(self):
        """Mid-November the default quarter is Q3; on 1 October too (its window is open)."""
        assert latest_ended(date(2026, 11, 23)) == Q3
        assert latest_ended(date(2026, 10, 1)) == Q3

    def test_latest_final(self):
        """A quarter is final the day after its window closes."""
        assert latest_final(date(2026, 10, 21), 21) == Quarter(2026, 2)
        assert latest_final(date(2026, 10, 22), 21) == Q3


class TestFullReport:
    def test_event_needs_its_metrics(self):
        """An event without attendees is not a full report, and the missing field is named."""
        a = activity(date(2026, 7, 1), goal="g", registrations=10, hours=2.0)
        assert c.missing_fields(a, RULES) == ["attendees"]

    def test_zero_is_a_value(self):
        """A reported 0 is a value, not a missing field."""
        a = activity(date(2026, 7, 1), goal="g", registrations=0, attendees=0, hours=0.0)
        assert c.is_full(a, RULES)

    def test_link_or_description(self):
        """Other kinds need a link or a description, either one."""
        base = dict(kind="documentation", goal="Translate docs", hours=3.0)
        assert not c.is_full(activity(date(2026, 7, 1), **base), RULES)
        assert c.is_full(activity(date(2026, 7, 1), description="pt-BR KB", **base), RULES)
        assert c.is_full(activity(date(2026, 7, 1), link="https://example.org/kb", **base), RULES)

    def test_content_needs_reach(self):
        """Content needs audience, views, engagements, reshares and a link."""
        a = activity(date(2026, 7, 1), kind="content", audience="marketers", views=900, engagements=40,
                     link="https://example.org/p")
        assert c.missing_fields(a, RULES) == ["reshares"]


class TestVerdict:
    def test_two_full_reports_meet(self):
        """Two activities with full reports meet the quarter."""
        assert verdict(two_events()).verdict.status == c.MET

    def test_one_full_report_misses_after_window(self):
        """One full report, window closed: missed."""
        assert verdict(two_events()[:1]).verdict.status == c.MISSED

    def test_pending_while_window_open(self):
        """Not met yet and the window still open: pending, not final."""
        r = verdict(two_events()[:1], as_of=date(2026, 10, 21))
        assert (r.verdict.status, r.verdict.final) == (c.PENDING, False)

    def test_met_before_window_closes(self):
        """Met is met even while the window is open; final says whether it can still change."""
        r = verdict(two_events(), as_of=date(2026, 10, 5))
        assert (r.verdict.status, r.verdict.final) == (c.MET, False)

    def test_incomplete_do_not_count(self):
        """Incomplete reports are activities but not full reports."""
        acts = [two_events()[0], activity(date(2026, 8, 1), title="Talk", kind="talk", goal="g")]
        r = verdict(acts)
        assert (r.verdict.status, len(r.verdict.counted), r.verdict.activities) == (c.MISSED, 1, 2)

    def test_paused_is_exempt(self):
        """Paused ambassadors are exempt, with standing 'paused'."""
        r = verdict([], amb=ambassador(status="paused"))
        assert (r.verdict.status, r.standing) == (c.EXEMPT, "paused")

    def test_late_joiner_exempt(self):
        """Joining with less than half the quarter left exempts that quarter."""
        r = verdict([], amb=ambassador(start=date(2026, 8, 20)))
        assert r.verdict.status == c.EXEMPT

    def test_joiner_with_half_left_is_judged(self):
        """Joining with more than half the quarter left: the quarter counts."""
        r = verdict([], amb=ambassador(start=date(2026, 7, 10)))
        assert r.verdict.status == c.MISSED

    def test_not_started_is_not_listed(self):
        """Someone who starts after the quarter has no verdict for it."""
        assert c.evaluate([ambassador(start=date(2026, 10, 2))], [], RULES, AFTER_Q3_WINDOW, Q3) == []


class TestCopiesAndWindows:
    def test_duplicate_counts_once(self):
        """The same activity reported twice counts once."""
        acts = [activity(date(2026, 7, 10), title="Meetup one", row=2),
                activity(date(2026, 7, 10), title="Meetup one", row=3)]
        r = verdict(acts)
        assert (len(r.verdict.counted), r.verdict.status) == (1, c.MISSED)
        assert "duplicate of the copy in row 3" in r.verdict.excluded[0].reason

    def test_latest_copy_wins(self):
        """When copies differ, the latest response wins, even if it is less complete."""
        early = activity(date(2026, 7, 10), title="Meetup", row=2, received=at(2026, 7, 20), **{
            "goal": "g", "registrations": 5, "attendees": 4, "hours": 1.0})
        later = activity(date(2026, 7, 10), title="Meetup", row=9, received=at(2026, 7, 25), goal="g")
        r = verdict([early, later])
        assert r.verdict.counted == () and r.verdict.incomplete == (later,)
        assert "superseded by the corrected copy in row 9" in r.verdict.excluded[0].reason

    def test_title_case_and_spaces_are_the_same_activity(self):
        """'Meetup  One' and 'meetup one' on the same day are one activity."""
        a = activity(date(2026, 7, 10), title="Meetup  One", row=2)
        b = activity(date(2026, 7, 10), title="meetup one", row=3)
        assert a.id == b.id

    def test_after_window_changes_nothing(self):
        """A response after the window closed changes nothing for that quarter."""
        acts = two_events()
        late = activity(date(2026, 9, 1), title="Late one", row=7, received=at(2026, 10, 22))
        r = verdict(acts[:1] + [late])
        assert r.verdict.status == c.MISSED
        assert "after the 2026Q3 window closed on 2026-10-21" in r.verdict.excluded[0].reason

    def test_late_correction_does_not_replace_in_window_copy(self):
        """A correction that arrives after the window does not supersede the copy that counted."""
        acts = two_events()
        late_fix = activity(date(2026, 7, 10), title="Meetup one", row=9, received=at(2026, 11, 1), goal="g")
        assert verdict(acts + [late_fix]).verdict.status == c.MET

    def test_last_day_counts_inside_window(self):
        """A response on the window's last day at 23:59 local counts."""
        acts = [two_events()[0], activity(date(2026, 9, 30), title="x", row=5, received=at(2026, 10, 21, 23, 59))]
        assert verdict(acts).verdict.status == c.MET

    def test_activity_in_earlier_quarter_counts_there(self):
        """An activity dated in Q2 and reported in Q3's form counts for Q2 only, inside Q2's window."""
        in_q2 = activity(date(2026, 6, 28), title="June", row=4, received=at(2026, 7, 10), reported_quarter="2026Q3")
        q3 = verdict([in_q2, two_events()[0]])
        assert q3.verdict.status == c.MISSED
        assert "counts for 2026Q2" in q3.verdict.excluded[0].reason
        q2 = verdict([in_q2, activity(date(2026, 5, 1), title="May", row=3)], quarter=Quarter(2026, 2))
        assert q2.verdict.status == c.MET

    def test_earlier_quarter_after_its_window_counts_nowhere(self):
        """A June activity reported in October arrived after Q2's window: it counts nowhere."""
        june = activity(date(2026, 6, 10), title="June", row=4, received=at(2026, 10, 3), reported_quarter="2026Q3")
        q2 = verdict([june], quarter=Quarter(2026, 2))
        assert q2.verdict.counted == () and "window closed on 2026-07-21" in q2.verdict.excluded[0].reason

    def test_received_after_as_of_does_not_exist_yet(self):
        """Replaying an earlier day ignores responses that had not arrived yet."""
        acts = [two_events()[0], activity(date(2026, 8, 20), title="two", row=3, received=at(2026, 10, 15))]
        assert verdict(acts, as_of=date(2026, 10, 14)).verdict.status == c.PENDING
        assert verdict(acts, as_of=date(2026, 10, 15)).verdict.status == c.MET


class TestStanding:
    def history(self, met_by_quarter: dict[Quarter, bool], amb=None, as_of=AFTER_Q3_WINDOW):
        amb = amb or ambassador(start=date(2025, 10, 1))
        acts = []
        for q, met in met_by_quarter.items():
            if met:
                acts += [activity(q.start, title=f"{q} a", row=2), activity(q.end, title=f"{q} b", row=3)]
        return c.history(amb, acts, RULES, as_of, Q3)

    def test_one_miss_warns(self):
        """A missed quarter after a met one: warned."""
        recs = self.history({Quarter(2025, 4): True, Quarter(2026, 1): True, Quarter(2026, 2): True,
                             Quarter(2026, 3): False})
        assert recs[-1].standing == c.WARNED and recs[-1].streak == 0

    def test_two_misses_in_a_row_under_review(self):
        """A second missed quarter in a row: under review."""
        recs = self.history({Quarter(2025, 4): True, Quarter(2026, 1): True})
        assert [r.standing for r in recs] == ["good", "good", "warned", "under_review"]

    def test_met_after_miss_back_to_good(self):
        """A met quarter after a miss brings the ambassador back to good standing."""
        recs = self.history({Quarter(2025, 4): False, Quarter(2026, 1): True})
        assert [r.standing for r in recs][:2] == ["warned", "good"]

    def test_streak_counts_met_in_a_row(self):
        """The streak counts met quarters in a row ending with this one."""
        recs = self.history({q: True for q in (Quarter(2025, 4), Quarter(2026, 1), Quarter(2026, 2), Q3)})
        assert [r.streak for r in recs] == [1, 2, 3, 4]

    def test_exempt_quarter_neither_extends_nor_breaks(self):
        """A late-joiner exempt quarter leaves standing and streak as they were."""
        amb = ambassador(start=date(2026, 5, 25))
        acts = [activity(Q3.start, title="a", row=2), activity(Q3.end, title="b", row=3)]
        recs = c.history(amb, acts, RULES, AFTER_Q3_WINDOW, Q3)
        assert [(r.verdict.status, r.streak) for r in recs] == [("exempt", 0), ("met", 1)]

    def test_pending_changes_no_standing(self):
        """A pending quarter leaves the standing of the quarter before."""
        recs = self.history({Quarter(2025, 4): True, Quarter(2026, 1): True, Quarter(2026, 2): False},
                            as_of=date(2026, 10, 10))
        assert (recs[-1].verdict.status, recs[-1].standing) == ("pending", "warned")


class TestPerks:
    def test_free_event_access_after_two_final_met(self):
        """Two final met quarters in a row give free event access."""
        amb = ambassador(start=date(2026, 1, 5))
        acts = [activity(q.start, title=f"{q}a", row=2) for q in (Quarter(2026, 2), Q3)] + \
               [activity(q.end, title=f"{q}b", row=3) for q in (Quarter(2026, 2), Q3)]
        s = c.evaluate([amb], acts, RULES, AFTER_Q3_WINDOW, Q3)[0]
        assert s.perks == (c.FREE_EVENT_ACCESS,)

    def test_met_but_not_final_gives_no_perk_yet(self):
        """A quarter met while its window is still open does not yet give the perk."""
        amb = ambassador(start=date(2026, 1, 5))
        acts = [activity(q.start, title=f"{q}a", row=2) for q in (Quarter(2026, 2), Q3)] + \
               [activity(q.end, title=f"{q}b", row=3) for q in (Quarter(2026, 2), Q3)]
        s = c.evaluate([amb], acts, RULES, date(2026, 10, 10), Q3)[0]
        assert (s.record.verdict.status, s.record.streak, s.perks) == ("met", 1, ())

    def test_correction_before_final_cannot_flip_standing(self):
        """A met quarter still open to corrections moves no standing, so a later correction that
        un-meets it cannot flip the ambassador from good to under review and back."""
        amb = ambassador(start=date(2026, 1, 5))
        full = [activity(Q3.start, title="a", row=2, received=at(2026, 10, 2)),
                activity(Q3.end, title="b", row=2, section=2, received=at(2026, 10, 2))]
        fix = activity(Q3.end, title="b", row=5, received=at(2026, 10, 8), goal="g")  # a less complete copy
        before = c.evaluate([amb], full + [fix], RULES, date(2026, 10, 5), Q3)[0].record
        after = c.evaluate([amb], full + [fix], RULES, date(2026, 10, 9), Q3)[0].record
        assert (before.verdict.status, after.verdict.status) == ("met", "pending")
        assert before.standing == after.standing == "under_review"

    def test_conference_funding_after_a_full_year(self):
        """Conference funding once a full year has passed since the start date, not a day before."""
        amb = ambassador(start=date(2025, 11, 23))
        assert c.CONFERENCE_FUNDING in c.evaluate([amb], [], RULES, date(2026, 11, 23), Q3)[0].perks
        assert c.CONFERENCE_FUNDING not in c.evaluate([amb], [], RULES, date(2026, 11, 22), Q3)[0].perks

    def test_leap_day_anniversary(self):
        """A 29 February start has its anniversary on 28 February in common years."""
        assert c.anniversary(date(2024, 2, 29), 1) == date(2025, 2, 28)
        assert c.anniversary(date(2024, 2, 29), 4) == date(2028, 2, 29)

    def test_no_perks_unless_active(self):
        """Alumni keep no perks."""
        amb = ambassador(start=date(2023, 1, 5), status="alumni")
        assert c.evaluate([amb], [], RULES, AFTER_Q3_WINDOW, Q3)[0].perks == ()


def test_local_date_rejects_naive():
    """A naive datetime has no place in time: refusing it keeps time-zone bugs out."""
    from datetime import datetime

    with pytest.raises(ValueError):
        local_date(datetime(2026, 1, 1), ZoneInfo("UTC"))
