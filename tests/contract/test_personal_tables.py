"""The PersonalTables contract on every adapter (a CSV file, an Airtable table): rows read as text under the
table's titles (a repeated title kept), a rewrite stores exactly what the change returns (same row: nothing,
another row: updated in place, None: deleted), other rows and cells stay as they were, dry runs write
nothing, and a second identical rewrite changes nothing."""

from __future__ import annotations

import csv

import pytest

from tests.airtable_env import BASE
from tests.contract.conftest import adapter_kind, airtable_client, init_base, spec

HEADERS = ["Ambassador email", "What", "Kind", "Amount", "Currency", "Event date", "Region", "Status"]
ROWS = [["ana@example.org", "Stickers", "", "120.5", "EUR", "2026-12-01", "South", "approved"],
        ["bob@example.org", "=HYPERLINK(\"x\")", "", "10", "EUR", "2026-12-02", "", "requested"],
        ["cy@example.org", "Cups", "", "3", "USD", "2026-12-03", "", "requested"]]


@pytest.fixture
def tables(kind, request, tmp_path):
    """(a factory of adapters over one storage, the table's name, what the storage holds by email)."""
    if kind == "csv":
        from automations.adapters.csv.personal_tables import CsvPersonalTables

        path = tmp_path / "funding_requests.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([HEADERS, *ROWS])

        def held() -> dict[str, dict]:
            with path.open(encoding="utf-8", newline="") as fh:
                return {r["Ambassador email"]: r for r in csv.DictReader(fh)}

        return (lambda: CsvPersonalTables({"requests": path}), "requests", held)
    from automations.adapters.airtable.cells import cell_text
    from automations.adapters.airtable.personal_tables import AirtablePersonalTables

    fake, clock = request.getfixturevalue("airtable_base")
    init_base(fake, clock)
    s = spec()
    fake.insert(BASE, "Funding requests", [{h: (float(v) if h == "Amount" else v) for h, v in zip(HEADERS, r) if v}
                                           for r in ROWS])

    def held() -> dict[str, dict]:
        return {r["fields"]["Ambassador email"]: {k: cell_text(v) for k, v in r["fields"].items()}
                for r in fake.records(BASE, "Funding requests")}

    return (lambda: AirtablePersonalTables(airtable_client(fake, clock), {"funding_requests": s["funding_requests"]}),
            "Airtable table Funding requests", held)


class PersonalTablesContract:
    """What every personal-tables store promises; a subclass names its adapter (`kind`)."""

    def test_rows_read_as_text(self, tables):
        """Every row comes back as text under the table's titles; a formula-looking cell as it was written."""
        make, name, _ = tables
        store = make()
        assert name in store.tables()
        headers, rows = store.read(name)
        by_email = {r[headers.index("Ambassador email")]: r for r in rows}
        assert set(by_email) == {"ana@example.org", "bob@example.org", "cy@example.org"}
        assert by_email["bob@example.org"][headers.index("What")] == '=HYPERLINK("x")'
        assert by_email["ana@example.org"][headers.index("Amount")] == "120.5"

    def test_rewrite_updates_deletes_and_keeps(self, tables):
        """One row changed in one cell, one deleted, one left: exactly that is stored; a dry run stores nothing; the
        same rewrite again changes nothing."""
        make, name, held = tables
        before = held()

        def change(headers, row):
            email = row[headers.index("Ambassador email")]
            if email == "cy@example.org":
                return None
            if email == "ana@example.org":
                row[headers.index("What")] = "erased-1234"
            return row

        dry = make().rewrite(name, change, dry_run=True)
        assert (dry.updated, dry.deleted) == (1, 1) and held() == before
        done = make().rewrite(name, change)
        assert (done.updated, done.deleted) == (1, 1)
        after = held()
        assert set(after) == {"ana@example.org", "bob@example.org"}
        assert after["ana@example.org"]["What"] == "erased-1234"
        assert after["ana@example.org"]["Amount"] == before["ana@example.org"]["Amount"]
        assert after["bob@example.org"] == before["bob@example.org"]
        again = make().rewrite(name, change)
        assert again.changed == 0 and held() == after

    def test_a_rewrite_that_leaves_the_fixed_columns_is_stored(self, tables):
        """`fixed` names only columns of the table, each with where its value lives (a CSV file: none; on Airtable
        the number and select fields, which take no token); a rewrite that changes every other column of a row and
        leaves those is stored whole."""
        make, name, held = tables
        store = make()
        headers, _ = store.read(name)
        fixed = store.fixed(name)
        assert set(fixed) <= set(headers)
        assert ("Amount" in fixed and "Status" in fixed) == name.startswith("Airtable")
        assert all(where for where in fixed.values())

        def change(headers, row):
            if row[headers.index("Ambassador email")] != "cy@example.org":
                return row
            return [c if h in fixed or not c else f"erased-{i:012d}" for i, (h, c) in enumerate(zip(headers, row))]

        before = held()["cy@example.org"]
        assert make().rewrite(name, change).updated == 1
        (cy,) = [r for e, r in held().items() if e.startswith("erased-")]
        assert {h: cy.get(h) for h in fixed} == {h: before.get(h) for h in fixed}
        assert all(v.startswith("erased-") for h, v in cy.items() if h not in fixed and before.get(h))


class TestCsvPersonalTables(PersonalTablesContract):
    kind = adapter_kind("csv")


class TestAirtablePersonalTables(PersonalTablesContract):
    kind = adapter_kind("airtable")
