"""Text that a spreadsheet would run as a formula comes back from every adapter exactly as it was
stored (the CSV adapters write it inert with a leading apostrophe; Airtable and memory keep it)."""

from __future__ import annotations

from datetime import date

from automations.domain import compliance as c
from automations.domain.model import Checkin, Problem
from automations.domain.problems import ProblemRecord
from automations.effects import FAILED
from automations.ports import LedgerEntry
from tests.contract.conftest import adapter_kind
from tests.factories import RULES, activity, at

FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "'=already quoted",
            "''+two quotes", "\t=1", "\r=1"]


class ReportStoreFormulaTextPromises:
    """More of the ReportStore contract: formula-looking text round-trips; a subclass names its adapter (`kind`)."""

    def test_report_store_keeps_formula_text(self, report_store):
        """Titles, goals, descriptions, quarters and problem values that look like formulas round-trip."""
        acts = [activity(date(2026, 7, 1 + i), kind="networking", title=f, goal=FORMULAS[-1 - i], description=f,
                         audience=f, link=f, hours=1.0, row=2 + i, received=at(2026, 7, 10))
                for i, f in enumerate(FORMULAS)]
        checkins = [Checkin("ana@example.org", at(2026, 7, 10), 2, "=2026Q3", len(acts))]
        problems = [ProblemRecord(Problem("checkin_responses.csv", 3 + i, "Email Address", f, "is not an email address"))
                    for i, f in enumerate(FORMULAS)]
        store = report_store()
        store.save(c.resolve_copies(acts, RULES), checkins)
        store.save_problems(problems)
        got = report_store().load()
        assert sorted(got.activities, key=lambda a: a.row) == acts
        assert got.checkins == checkins
        assert sorted(r.problem.value for r in got.problems) == sorted(FORMULAS)
        assert report_store().save(c.resolve_copies(acts, RULES), checkins).changed == 0


class TestCsvReportStoreFormulaText(ReportStoreFormulaTextPromises):
    kind = adapter_kind("csv")


class TestAirtableReportStoreFormulaText(ReportStoreFormulaTextPromises):
    kind = adapter_kind("airtable")


class TestFakeReportStoreFormulaText(ReportStoreFormulaTextPromises):
    kind = adapter_kind("memory")


class LedgerFormulaTextPromises:
    """More of the Ledger contract: formula-looking text round-trips; a subclass names its adapter (`kind`)."""

    def test_ledger_keeps_formula_text(self, ledger_factory):
        """A recipient, a job, an error and a reference that look like formulas come back as recorded."""
        ledger = ledger_factory()
        with ledger.batch():
            for i, f in enumerate(FORMULAS):
                ledger.record(LedgerEntry(f"k:{i}", f, f, FAILED, 1, f, f, "2026-10-01T09:00:00+00:00"))
        got = ledger_factory().entries()
        for i, f in enumerate(FORMULAS):
            e = got[f"k:{i}"]
            assert (e.job, e.recipient, e.error, e.reference) == (f, f, f, f)


class TestCsvLedgerFormulaText(LedgerFormulaTextPromises):
    kind = adapter_kind("csv")


class TestAirtableLedgerFormulaText(LedgerFormulaTextPromises):
    kind = adapter_kind("airtable")


class TestFakeLedgerFormulaText(LedgerFormulaTextPromises):
    kind = adapter_kind("memory")
