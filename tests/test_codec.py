"""The packed sequences a full read holds its copies and check-ins in (`codec.PackedActivities`, `PackedCheckins`),
and compliance's reuse of what sync resolved (`history_of`, and in brief from the copies' fields: `brief_history`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from automations.domain.codec import (
    Decoder,
    PackedActivities,
    PackedCheckins,
    activity_fields,
    activity_row,
    checkin_fields,
    checkin_row,
)
from automations.domain.compliance import (
    Track,
    history,
    history_of,
    perks,
    resolve_copies,
    resolve_fields,
    resolve_rows,
)
from automations.domain.model import Checkin
from automations.domain.quarters import Quarter, local_date
from automations.domain.summary import as_rows, brief_history, summarize
from automations.jobs.incremental.synced import FullRead
from tests.factories import LONDON, RULES, activity, ambassador, at

# A sheet's own wall-clock time in the hour the clocks skip (London, 31 March 2024, 01:00 to 02:00 GMT): it names the
# instant 01:25 UTC, which the POSIX time alone rebuilds as 02:25 BST.
SKIPPED = datetime(2024, 3, 31, 1, 25, 23, tzinfo=LONDON)


def copies() -> list:
    return [activity(date(2024, 3, 1), at(2024, 3, 2), row=2, section=1),
            activity(date(2024, 3, 2), at(2024, 3, 2), title="Talk", kind="talk", row=2, section=2),
            activity(date(2024, 3, 3), SKIPPED, title="Docs", kind="documentation", row=3, section=1,
                     description="Wrote it", hours=1.5),
            activity(date(2024, 3, 3), at(2024, 4, 30), title="Docs", kind="documentation", row=4, section=1)]


class TestPackedActivities:
    def test_they_read_back_as_they_were_kept(self):
        """Every copy comes back equal, in order, by index and from the end; its row is the work cache's row."""
        kept = copies()
        packed = PackedActivities(Decoder(LONDON))
        for a in kept:
            packed.append(a)
        assert list(packed) == kept and packed[-1] == kept[-1] and packed[1:3] == kept[1:3] and len(packed) == 4
        assert [packed.row(i) for i in range(4)] == [activity_row(a) for a in kept]
        assert packed.emails == [a.email for a in kept] and packed.in_sheet_order

    def test_a_time_in_a_skipped_hour_is_written_as_it_was_read(self):
        """The rebuilt copy says the received time the way the sheet did (what the store writes), not as the POSIX
        time alone would rebuild it."""
        packed = PackedActivities(Decoder(LONDON))
        for a in copies():
            packed.append(a)
        assert packed[2].received_at.isoformat() == "2024-03-31T01:25:23+00:00"
        assert Decoder(LONDON).activity(packed.row(2)).received_at.isoformat() == "2024-03-31T02:25:23+01:00"

    def test_copies_out_of_sheet_order_are_said_to_be(self):
        packed = PackedActivities(Decoder(LONDON))
        for a in reversed(copies()):
            packed.append(a)
        assert not packed.in_sheet_order

    def test_fields_are_the_records_fields(self):
        """A copy read as its fields (what the CSV store writes from) holds what the rebuilt record does."""
        packed = PackedActivities(Decoder(LONDON))
        for a in copies():
            packed.append(a)
        assert [packed.decoder.activity_fields(packed.row(i), packed.as_read.get(i)) for i in range(4)] == \
            [activity_fields(a) for a in packed]


class TestPackedCheckins:
    def test_they_read_back_as_they_were_kept(self):
        kept = [Checkin("ana@example.org", at(2024, 3, 2), 2, "2024Q1", 2), Checkin("ana@example.org", SKIPPED, 3, "", 1)]
        packed = PackedCheckins(Decoder(LONDON))
        for c in kept:
            packed.append(c)
        assert list(packed) == kept and [packed.row(i) for i in range(2)] == [checkin_row(c) for c in kept]
        assert packed[1].received_at.isoformat() == SKIPPED.isoformat() and packed.in_sheet_order
        assert [f[1].isoformat() for f in packed.as_fields()] == [c.received_at.isoformat() for c in kept]
        assert list(packed.as_fields()) == [checkin_fields(c) for c in kept]


class TestHistoryOf:
    def test_the_copies_sync_resolved_give_the_record_history_gives(self):
        """Compliance reuses sync's resolution: the same records as resolving again (a late copy, a correction)."""
        amb = ambassador(start=date(2023, 10, 1))
        acts = copies()
        as_of = date(2024, 11, 23)
        through = Quarter(2024, 3)
        assert history_of(amb, resolve_copies(acts, RULES), RULES, as_of, through) == \
            history(amb, acts, RULES, as_of, through)


class TestBriefHistory:
    def program(self) -> list:
        """Copies across quarters: full and incomplete reports, a duplicate, a correction, a late copy, one dated
        before the start, one reported for another quarter, two in one month (clustered)."""
        return copies() + [
            activity(date(2023, 9, 20), at(2023, 10, 2), title="Before", row=5, section=1),
            activity(date(2024, 5, 2), at(2024, 5, 3), title="Views", kind="content", row=6, section=1,
                     link="https://x.example", views=120, engagements=4, reshares=2),
            activity(date(2024, 5, 20), at(2024, 5, 21), title="Meetup 2", row=7, section=1),
            activity(date(2024, 5, 20), at(2024, 5, 22), title="Meetup 2", row=8, section=1),
            activity(date(2024, 5, 20), at(2024, 5, 23), title="Meetup 2", row=9, section=1, attendees=31,
                     goal="Grow", registrations=40, hours=6.0),
            activity(date(2024, 6, 29), at(2024, 7, 3), title="Late June", row=10, section=1,
                     reported_quarter="2024Q3"),
            activity(date(2024, 8, 1), at(2024, 8, 2), title="Incomplete", kind="talk", row=11, section=1,
                     goal="Teach"),
        ]

    def test_the_brief_record_is_the_full_record_in_brief(self):
        """`brief_history` from the copies' fields and resolutions gives what summarising `history_of`'s records
        gives, with the perks, for an active, a paused and a late-joining ambassador, open and final quarters."""
        paused = replace(ambassador(start=date(2023, 10, 1), status="paused"),
                         status_history=((date(2024, 4, 10), "paused"),))
        for amb in (ambassador(start=date(2023, 10, 1)), paused, ambassador(start=date(2024, 3, 20))):
            for as_of in (date(2024, 7, 10), date(2024, 11, 23), date(2025, 6, 1)):
                resolved = resolve_copies([a for a in self.program() if a.received_at.date() <= as_of], RULES)
                through = Quarter(2024, 3) if as_of.year == 2024 else Quarter(2025, 1)
                records = history_of(amb, resolved, RULES, as_of, through)
                full = Track(amb, tuple(records), tuple(perks(amb, records, as_of, RULES)))
                fields = [(r.activity.date, activity_fields(r.activity), r.resolution) for r in resolved]
                assert brief_history(amb, fields, RULES, as_of, through) == as_rows(summarize(full))


class TestReadWithoutRecords:
    def packed(self) -> tuple[PackedActivities, PackedCheckins, list, list]:
        acts = copies()
        checks = [Checkin("ana@example.org", at(2024, 3, 2), 2, "2024Q1", 2), Checkin("ana@example.org", SKIPPED, 3, "", 1),
                  Checkin("ana@example.org", at(2024, 4, 30), 4, "", 1)]
        decoder = Decoder(LONDON)
        packed, packed_checks = PackedActivities(decoder), PackedCheckins(decoder)
        for a in acts:
            packed.append(a)
        for c in checks:
            packed_checks.append(c)
        return packed, packed_checks, acts, checks

    def test_copies_resolve_from_their_rows_as_from_their_records(self):
        """`resolve_rows` (rows and the days they arrived, a time in a skipped hour among them) gives what
        `resolve_fields` and `resolve_copies` give."""
        packed, _, acts, _ = self.packed()
        assert list(packed.days) == [a.received_at.date().toordinal() for a in acts]
        rows = [packed.row(i) for i in range(len(acts))]
        by_rows = resolve_rows(rows, packed.days, packed.decoder.day, RULES)
        assert by_rows == resolve_fields([activity_fields(a) for a in acts], RULES) == \
            [(r.resolution, r.winner_row) for r in resolve_copies(acts, RULES)]

    def test_arrivals_are_the_records_dates(self):
        """A full read's copies and check-ins, read for compliance without their records: the dates and times their
        records give (a time in a skipped hour as it was read)."""
        packed, packed_checks, acts, checks = self.packed()
        read = FullRead(packed, packed_checks)
        resolved = resolve_copies(acts, RULES)
        read.keep(acts[0].email, resolved)
        got, received, local = read.arrivals(acts[0].email, LONDON)
        assert [(d, r) for d, _, r in got] == [(a.date, r.resolution) for a, r in zip(acts, resolved)]
        assert received == [a.received_at.date() for a in acts]
        assert local == [local_date(a.received_at, LONDON) for a in acts]
        arrived = read.checkin_arrivals(acts[0].email, LONDON)
        assert [(d, ts) for d, ts, _ in arrived] == [(local_date(c.received_at, LONDON), c.received_at.timestamp())
                                                     for c in checks]
        assert [read.checkin_instant(i).isoformat() for _, _, i in arrived] == [c.received_at.isoformat() for c in checks]
