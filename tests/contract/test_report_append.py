"""ReportStore.append, on every adapter: new copies go after the stored ones and read back as a full save would."""

from __future__ import annotations

from datetime import date

from automations.domain import compliance as c
from automations.domain.model import Checkin
from tests.contract.conftest import adapter_kind
from tests.contract.test_report_store import sample
from tests.factories import RULES, activity, at


class ReportStoreAppendPromises:
    """More of the ReportStore contract (`append`), kept beside it; a subclass names its adapter (`kind`)."""

    def test_append_after_a_save_reads_back_like_one_save(self, report_store):
        acts, checkins, _ = sample()
        report_store().save(c.resolve_copies(acts, RULES), checkins)
        more = [activity(date(2026, 9, 1), title="Workshop", row=7, received=at(2026, 9, 2)),
                activity(date(2026, 9, 3), kind="content", title="Video", row=7, section=2, received=at(2026, 9, 2))]
        more_checkins = [Checkin("ana@example.org", at(2026, 9, 2), 7, "2026Q3", 2)]
        written = report_store().append(c.resolve_copies(more, RULES), more_checkins)
        if written is None:  # a store that cannot append must say so having written nothing
            assert report_store().load().activities == acts
            return
        assert written.changed > 0
        got = report_store().load()
        assert got.activities == acts + more and got.checkins == checkins + more_checkins
        # Nothing to add: nothing written.
        assert report_store().append([], []).changed == 0

    def test_append_refuses_a_copy_before_the_stored_ones(self, report_store):
        acts, checkins, _ = sample()
        report_store().save(c.resolve_copies(acts[:3], RULES), checkins[:2])
        earlier = [activity(date(2026, 7, 9), title="Talk", row=3, section=3, received=at(2026, 7, 3))]
        assert report_store().append(c.resolve_copies(earlier, RULES), []) is None
        assert report_store().load().activities == acts[:3]


class TestCsvReportAppend(ReportStoreAppendPromises):
    kind = adapter_kind("csv")


class TestAirtableReportAppend(ReportStoreAppendPromises):
    kind = adapter_kind("airtable")


class TestFakeReportAppend(ReportStoreAppendPromises):
    kind = adapter_kind("memory")
