"""The `referrals` section: the inquiries staff fill, the answer form and how long an offer waits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..domain.referrals import ReferralSettings
from .checks import Strict, default_of


class ReferralsConfig(Strict):
    """The `referrals` job: the inquiries staff fill, the answer form and how long an offer waits."""

    # The inquiries: this file in local.dir, or the table airtable.tables.referral_inquiries.
    file: str = "referral_inquiries.csv"
    # Where the answer form's responses are read, whatever the store backend is: local (their CSV download,
    # answers_file in local.dir), sheets (the form's linked response sheet) or forms (the Forms API).
    answers_source: Literal["local", "sheets", "forms"] = "local"
    answers_file: str = "referral_answers.csv"
    # With answers_source "sheets": the form's linked spreadsheet (the id in its URL) and its response tab, as
    # checkin_form.sheet_tab: empty, the tab the form writes to, found by its name ("Form responses 1", any case;
    # after a relink, the newest "Form Responses N" with the answer form's questions); set, that tab is read
    # (its case and spacing ignored), and a run stops if the form was relinked to a newer one.
    answers_spreadsheet_id: str = ""
    answers_sheet_tab: str = ""
    # With answers_source "forms": the answer form's id (in its edit URL); `init --referral-form` prints it.
    answers_form_id: str = ""
    # Days a candidate has to answer an offer before it passes to the next one.
    answer_days: int = Field(default_of(ReferralSettings, "answer_days"), ge=1)
    # The answer form's link, and its pre-fill parameters for the offer code and the answer questions.
    answer_form_url: str = default_of(ReferralSettings, "form_url")
    prefill_code_entry: str = default_of(ReferralSettings, "prefill_code_entry")
    prefill_answer_entry: str = default_of(ReferralSettings, "prefill_answer_entry")
