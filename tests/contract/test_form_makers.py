"""The form makers' promises (`init --form`, `init --referral-form`), on Google Forms' fake on 127.0.0.1:
the check-in form maker plans the configured questions without making anything and makes and publishes one
form; the answer form maker makes its form once, a second `ensure` makes no second form, and a dry run
changes nothing."""

from __future__ import annotations

import pytest

from automations.adapters.google.forms_answer_source import FormRecord, ReferralFormBuilder
from automations.adapters.google.forms_checkin_source import FormsBuilder, FormShape
from automations.ports import ReferralForm


class CheckinFormMakerContract:
    """Subclasses give `maker` (a fresh maker, nothing made) and `forms` (the number of forms the service holds)."""

    def test_planning_makes_nothing(self, maker, forms):
        items = maker.plan()
        assert items and maker.sections >= 1
        assert forms() == 0

    def test_create_makes_one_published_form(self, maker, forms):
        form_id, url = maker.create()
        assert form_id and url.startswith("http")
        assert forms() == 1


class AnswerFormMakerContract:
    """Subclasses give `maker` (with no form recorded yet) and `forms`."""

    def test_a_dry_run_changes_nothing(self, maker, forms):
        made = maker.ensure(dry_run=True)
        assert isinstance(made, ReferralForm) and made.would and not made.done
        assert forms() == 0

    def test_made_once(self, maker, forms):
        first = maker.ensure()
        assert first.form_id and "created" in first.done and set(first.entries) == {"code", "answer"}
        again = maker.ensure()
        assert again.form_id == first.form_id and "created" not in again.done
        assert forms() == 1


def _count(fake) -> int:
    return len(fake.file_ids("form"))


class TestGoogleCheckinForm(CheckinFormMakerContract):
    @pytest.fixture
    def maker(self, google_env, tmp_path):
        shape = FormShape("Timestamp", "Email Address", "Quarter", 2,
                          {"kind": "Activity type", "date": "Activity date"}, ("Talk", "Workshop"))
        return FormsBuilder(google_env.access, shape, "Check-in", tmp_path / "form_questions.json")

    @pytest.fixture
    def forms(self, google_env):
        return lambda: _count(google_env.fake)


class TestGoogleAnswerForm(AnswerFormMakerContract):
    @pytest.fixture
    def maker(self, google_env, tmp_path):
        return ReferralFormBuilder(google_env.access, "Referral answer", FormRecord(tmp_path / "referral_form.json"))

    @pytest.fixture
    def forms(self, google_env):
        return lambda: _count(google_env.fake)
