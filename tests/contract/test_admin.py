"""The Admin contract (`ports.Admin`): a backend's schema, as `doctor` checks it and `init` creates it. After
`init`, `doctor` finds nothing that stops the jobs and no table is lacking; a second `init` creates nothing; a dry
`init` changes nothing and says what the real one does; what is missing is named as people name it.

Adapters: `CsvAdmin` (the local folder: no schema, the jobs make their own files) and `AirtableAdmin` (the base's
tables and fields through the metadata API, real pyairtable against the fake base)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.contract.conftest import airtable_client, spec


@dataclass
class Harness:
    make: Callable[[], object]  # an admin over the store as it is now (a new run)
    roles: list[str]  # the table roles the store should have
    damage: Callable[[], None]  # something the jobs need goes (a table deleted, the folder removed)


def _blocking(findings) -> list[str]:
    return [f.text for f in findings if not f.ok and f.blocking]


class AdminContract:
    @pytest.fixture
    def harness(self):
        raise NotImplementedError

    def test_after_init_doctor_finds_nothing_that_stops_the_jobs(self, harness):
        harness.make().init(dry_run=False)
        admin = harness.make()
        findings = admin.check()
        assert findings and all(f.text for f in findings)
        assert _blocking(findings) == [] and admin.lacks(harness.roles) == []

    def test_a_second_init_creates_nothing(self, harness):
        harness.make().init(dry_run=False)
        assert harness.make().init(dry_run=False) == []

    def test_a_dry_init_changes_nothing_and_says_what_init_does(self, harness):
        before = harness.make().lacks(harness.roles)
        dry = harness.make().init(dry_run=True)
        assert harness.make().lacks(harness.roles) == before
        real = harness.make().init(dry_run=False)
        # One line per thing, the same things ("would create table 'X' ..." then "created table 'X' ...").
        assert [line[line.find("'"):] for line in real] == [line[line.find("'"):] for line in dry]

    def test_what_is_missing_is_named_and_stops_the_jobs(self, harness):
        harness.make().init(dry_run=False)
        harness.damage()
        admin = harness.make()
        lacking = admin.lacks(harness.roles)
        assert lacking and all(isinstance(t, str) and t for t in lacking)
        assert _blocking(admin.check())

    def test_lacks_only_the_roles_asked_about(self, harness):
        harness.make().init(dry_run=False)
        assert harness.make().lacks([]) == []


class TestCsvAdmin(AdminContract):
    @pytest.fixture
    def harness(self, tmp_path):
        from automations.adapters.csv.admin import CsvAdmin

        folder = tmp_path / "data"
        folder.mkdir()
        return Harness(lambda: CsvAdmin(folder), ["ambassadors", "mail_ledger"], lambda: shutil.rmtree(folder))


class TestAirtableAdmin(AdminContract):
    """The base starts empty: `init` makes every table of the configuration (`spec()`), with its fields."""

    @pytest.fixture
    def harness(self, airtable_base):
        from automations.adapters.airtable.admin import AirtableAdmin
        from tests.airtable_env import BASE

        fake, clock = airtable_base
        made = spec()

        def damage():
            table = next(t for t in fake.tables(BASE) if t["name"] == made["mail_ledger"].name)
            fake.delete_table(BASE, table["name"])

        return Harness(lambda: AirtableAdmin(airtable_client(fake, clock), made), list(made.tables), damage)

    def test_a_fresh_base_lacks_every_table(self, harness):
        assert len(harness.make().lacks(harness.roles)) == len(harness.roles)
