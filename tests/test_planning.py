"""Which messages are due when: the pure planners, one rule per test."""

from __future__ import annotations

from datetime import date, timedelta

from automations.domain import compliance as c
from automations.domain import messages as m
from automations.domain.model import Checkin
from automations.domain.quarters import Quarter
from tests.factories import RULES, activity, ambassador, at

Q3 = Quarter(2026, 3)
ANA = ambassador("ana@example.org", start=date(2024, 1, 10), name="Ana Lima")
BO = ambassador("bo@example.org", start=date(2024, 1, 10), name="Bo Berg", row=3)
PAUSED = ambassador("pat@example.org", start=date(2024, 1, 10), status="paused", row=4)
STAFF = ("staff@example.org",)


def state(as_of: date, roster=(ANA, BO, PAUSED), acts=(), checkins=(), **schedule) -> m.ProgramState:
    through = Quarter.of(as_of).prev()
    tracks = c.tracks(list(roster), [a for a in acts if a.received_at.date() <= as_of], RULES, as_of, through)
    return m.ProgramState(as_of=as_of, rules=RULES, schedule=m.Schedule(**schedule), tracks=tracks,
                          activities=[a for a in acts if a.received_at.date() <= as_of], checkins=list(checkins),
                          form_url="https://forms.example.org/f", prefill_email_entry="entry.1", staff=STAFF)


def ana_met_q3():
    return [activity(date(2026, 7, 5), title="A", row=2, received=at(2026, 10, 2)),
            activity(date(2026, 8, 5), title="B", row=2, section=2, received=at(2026, 10, 2))]


class TestCheckinRequests:
    def test_invite_the_day_after_the_quarter(self):
        """On 1 October every active ambassador gets the Q3 invitation; nobody on 30 September."""
        assert m.plan_checkin_requests(state(date(2026, 9, 30))) == []
        keys = [p.key for p in m.plan_checkin_requests(state(date(2026, 10, 1)))]
        assert keys == ["checkin_invite:2026Q3:ana@example.org", "checkin_invite:2026Q3:bo@example.org"]

    def test_form_link_prefilled(self):
        """The form link is pre-filled with the ambassador's email."""
        (p, _) = m.plan_checkin_requests(state(date(2026, 10, 1)))
        assert p.context["form_link"] == "https://forms.example.org/f?usp=pp_url&entry.1=ana%40example.org"

    def test_reminder_only_to_those_not_met(self):
        """Ten days before the window closes, only those who have not met Q3 get a reminder."""
        keys = [p.key for p in m.plan_checkin_requests(state(date(2026, 10, 11), acts=ana_met_q3()))]
        assert keys == ["checkin_reminder:2026Q3:bo@example.org:d-10"]

    def test_only_latest_due_step(self):
        """When several steps are due (missed runs), one combined message goes: the latest."""
        keys = [p.key for p in m.plan_checkin_requests(state(date(2026, 10, 19)))]
        assert keys == ["checkin_reminder:2026Q3:ana@example.org:d-3", "checkin_reminder:2026Q3:bo@example.org:d-3"]

    def test_reminder_says_what_counted_and_what_is_missing(self):
        """A reminder lists what counted and the fields that would complete an incomplete report."""
        acts = [ana_met_q3()[0], activity(date(2026, 8, 9), title="Talk", kind="talk", row=2, section=2,
                                          received=at(2026, 10, 2), goal="g")]
        (p, _) = m.plan_checkin_requests(state(date(2026, 10, 11), acts=acts))
        assert [a["title"] for a in p.context["counted"]] == ["A"] and p.context["remaining"] == 1
        assert p.context["incomplete"][0]["missing"] == ["registrations", "attendees", "hours"]

    def test_no_reminder_on_the_day_of_a_checkin(self):
        """Someone who checks in today gets the receipt, not a reminder on top; the reminder waits a day."""
        ck = [Checkin("bo@example.org", at(2026, 10, 11, 9), 7, "2026Q3", 0)]
        today = [p.key for p in m.plan_checkin_requests(state(date(2026, 10, 11), checkins=ck))]
        tomorrow = [p.key for p in m.plan_checkin_requests(state(date(2026, 10, 12), checkins=ck))]
        assert "checkin_reminder:2026Q3:bo@example.org:d-10" not in today
        assert "checkin_reminder:2026Q3:bo@example.org:d-10" in tomorrow

    def test_nothing_after_window(self):
        """Once the window has closed, no invitation or reminder goes."""
        assert m.plan_checkin_requests(state(date(2026, 10, 22))) == []

    def test_language_is_first_language(self):
        """The message's language is the ambassador's first language."""
        assert {p.language for p in m.plan_checkin_requests(state(date(2026, 10, 1)))} == {"pt"}


class TestReceipts:
    def test_receipt_for_recent_checkin(self):
        """A check-in gets a receipt listing its activities, within the receipt window."""
        acts = ana_met_q3()
        ck = [Checkin("ana@example.org", at(2026, 10, 2), 2, "2026Q3", 2)]
        (p,) = m.plan_receipts(state(date(2026, 10, 3), acts=acts, checkins=ck))
        assert p.key == "checkin_receipt:ana@example.org:2026-10-02T12:00:00+01:00"
        assert [a["title"] for a in p.context["activities"]] == ["A", "B"] and p.obligation is False
        assert p.context["quarters"][0]["status"] == "met"
        assert m.plan_receipts(state(date(2026, 10, 10), acts=acts, checkins=ck)) == []

    def test_no_receipt_for_paused(self):
        """Paused ambassadors get no receipt."""
        ck = [Checkin("pat@example.org", at(2026, 10, 2), 5, "2026Q3", 0)]
        assert m.plan_receipts(state(date(2026, 10, 3), checkins=ck)) == []


class TestNotices:
    def test_warned_after_first_miss(self):
        """When Q3 becomes final, those who missed it for the first time are warned."""
        acts = [activity(q.start, title=f"{q}a", row=2, email=e) for q in (Quarter(2026, 1), Quarter(2026, 2))
                for e in ("ana@example.org", "bo@example.org")] + \
               [activity(q.end, title=f"{q}b", row=3, email=e) for q in (Quarter(2026, 1), Quarter(2026, 2))
                for e in ("ana@example.org", "bo@example.org")] + ana_met_q3()
        keys = {p.key for p in m.plan_notices(state(date(2026, 10, 22), acts=acts))}
        assert "standing_warned:2026Q3:bo@example.org" in keys
        assert not any(k.startswith("standing_") and "ana@" in k for k in keys)
        assert not any("pat@" in k for k in keys)

    def test_under_review_tells_staff(self):
        """Two misses in a row: the ambassador and staff are told."""
        keys = {p.key for p in m.plan_notices(state(date(2026, 10, 22), roster=(BO,)))}
        assert {"standing_under_review:2026Q3:bo@example.org",
                "standing_under_review_staff:2026Q3:bo@example.org:staff@example.org"} <= keys

    def test_back_to_good_and_perk(self):
        """Meeting Q3 after missing Q2 restores good standing; two met in a row unlock free events."""
        q1 = [activity(Quarter(2026, 1).start, title="x", row=2), activity(Quarter(2026, 1).end, title="y", row=2)]
        keys = {p.key for p in m.plan_notices(state(date(2026, 10, 22), roster=(ANA,), acts=ana_met_q3()))}
        assert "standing_restored:2026Q3:ana@example.org" in keys
        q2 = [activity(Quarter(2026, 2).start, title="z", row=2), activity(Quarter(2026, 2).end, title="w", row=2)]
        keys = {p.key for p in m.plan_notices(state(date(2026, 10, 22), roster=(ANA,), acts=ana_met_q3() + q2))}
        assert "perk_free_event_access:ana@example.org:2026Q3" in keys  # Q2 and Q3: the second met in a row
        keys = {p.key for p in m.plan_notices(state(date(2026, 10, 22), roster=(ANA,), acts=ana_met_q3() + q1 + q2))}
        assert not any(k.startswith("perk_free_event_access") for k in keys)  # streak 3: unlocked a quarter ago

    def test_notices_expire(self):
        """Standing notices are not sent long after the quarter became final (first deployment)."""
        assert not any(p.key.startswith("standing_") for p in m.plan_notices(state(date(2026, 11, 23), roster=(BO,))))

    def test_conference_funding_once_after_anniversary(self):
        """Conference funding is announced after the first anniversary, keyed on the start date."""
        amb = ambassador("new@example.org", start=date(2025, 10, 1))
        (p,) = [p for p in m.plan_notices(state(date(2026, 10, 5), roster=(amb,))) if p.job == "perk_conference_funding"]
        assert p.key == "perk_conference_funding:new@example.org:2025-10-01"


class TestDigest:
    def test_weekly_on_or_after_weekday(self):
        """The digest is due from Monday on, with the same key all week."""
        monday = date(2026, 10, 12)
        assert monday.weekday() == 0
        keys = {p.key for d in range(7) for p in m.plan_digest(state(monday + timedelta(days=d)))}
        assert keys == {"staff_digest:2026-W42:staff@example.org"}
        assert m.plan_digest(state(date(2026, 10, 14), digest_weekday="friday")) == []

    def test_new_activities_of_the_week(self):
        """The digest lists activities received in the last seven days."""
        (p,) = m.plan_digest(state(date(2026, 10, 5), acts=ana_met_q3()))
        assert [a["title"] for a in p.context["new_activities"]] == ["A", "B"]
        assert p.context["counts"]["met"] == 1
