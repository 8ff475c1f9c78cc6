"""The `ServiceCheck` port's promises (what `doctor` checks besides the store), on Google's check against the fake
Google on 127.0.0.1: one finding a line; a service that works says so in `ok` lines, one that refuses says what
to do in a FAIL line, never an exception."""

from __future__ import annotations

import json

import pytest

from automations.adapters.google.access import GoogleAccess, GoogleSettings
from automations.adapters.google.admin import GoogleAdmin
from automations.ports import Finding
from tests.fake_google import make_service_account_key


class ServiceCheckContract:
    """Subclasses give `working` (a check of a service that answers) and `refused` (one that refuses the
    credentials)."""

    def test_a_working_service_is_ok_lines(self, working):
        findings = working.check()
        assert findings and all(isinstance(f, Finding) for f in findings)
        assert all(f.ok for f in findings), [f.text for f in findings]

    def test_a_refusal_is_one_fail_line_not_an_exception(self, refused):
        findings = refused.check()
        assert [f.ok for f in findings].count(False) == 1
        assert not findings[-1].ok and findings[-1].text


class TestGoogleCheck(ServiceCheckContract):
    @pytest.fixture
    def working(self, google_env):
        return GoogleAdmin(google_env.access, ("sheets",), "the check-in form")

    @pytest.fixture
    def refused(self, google_env, tmp_path):
        # A key Google does not know (never registered with the fake): signing in is refused.
        stranger = make_service_account_key(client_email="stranger@example.iam.gserviceaccount.com",
                                            token_uri=google_env.fake.url + "/token")
        (tmp_path / "stranger.json").write_text(json.dumps(stranger))
        endpoints = {api: google_env.fake.url for api in ("sheets", "forms", "drive", "docs", "gmail")}
        access = GoogleAccess(GoogleSettings(tmp_path / "stranger.json", "a test", endpoints=endpoints,
                                             retry_backoff_seconds=0))
        return GoogleAdmin(access, ("sheets",), "the check-in form")
