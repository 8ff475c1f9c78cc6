"""The Mailer contract, on every transport (outbox folder, SMTP to aiosmtpd on loopback, Gmail's API against the
fake Google, memory): a message handed over arrives whole, with its contract headers, once per send."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from automations.adapters.outbox import OutboxMailer
from automations.adapters.smtp import SmtpMailer
from automations.config import SmtpConfig
from automations.domain.messages import PlannedMessage
from automations.mail.message import Rendered, Sender, compose
from tests.fakes import FakeMailer

SENDER = Sender("ambassadors@example.org", "Ambassador Program", "support@example.org")


def outgoing(key: str, name: str = "José Álvarez"):
    planned = PlannedMessage(key=key, job="checkin_invite", to_email="jose@example.org", to_name=name)
    rendered = Rendered(planned, "Your Q3 check-in", f"Hello {name}", f"<p>Hello {name}</p>")
    return compose(rendered, SENDER, datetime(2026, 10, 1, 9, tzinfo=UTC))


class MailerContract:
    """A subclass gives `mailer_and_inbox`: a transport, and a way to read back every message it delivered (as
    email.message objects)."""

    @pytest.fixture
    def mailer_and_inbox(self):
        raise NotImplementedError

    def test_message_arrives_whole(self, mailer_and_inbox):
        """Subject, recipient, the contract headers and both parts arrive as composed."""
        mailer, inbox = mailer_and_inbox
        with mailer as m:
            m.send(outgoing("checkin_invite:2026Q3:jose@example.org"))
        (got,) = inbox()
        assert got["X-Automation-Key"] == "checkin_invite:2026Q3:jose@example.org"
        assert got["X-Automation-Job"] == "checkin_invite" and got["Subject"] == "Your Q3 check-in"
        assert got["To"].addresses[0].display_name == "José Álvarez"
        assert "Hello José Álvarez" in got.get_body(("plain",)).get_content()
        assert "<p>Hello José Álvarez</p>" in got.get_body(("html",)).get_content()

    def test_each_send_is_one_message(self, mailer_and_inbox):
        """Three sends in one session deliver three messages, each with its own key."""
        mailer, inbox = mailer_and_inbox
        with mailer as m:
            for i in range(3):
                m.send(outgoing(f"k:{i}"))
        assert sorted(g["X-Automation-Key"] for g in inbox()) == ["k:0", "k:1", "k:2"]

    def test_the_message_id_is_the_composed_one(self, mailer_and_inbox):
        """The Message-ID derived from the key goes out unchanged (what the ledger records as the reference)."""
        mailer, inbox = mailer_and_inbox
        message = outgoing("k:id")
        with mailer as m:
            m.send(message)
        (got,) = inbox()
        assert got["Message-ID"] == message_from_bytes(message.data, policy=policy.default)["Message-ID"]

    def test_it_has_a_name(self, mailer_and_inbox):
        assert mailer_and_inbox[0].name


class TestOutboxMailer(MailerContract):
    @pytest.fixture
    def mailer_and_inbox(self, tmp_path):
        folder = tmp_path / "outbox"

        def inbox():
            return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.rglob("*.eml"))]

        return OutboxMailer(folder, "2026-10-01"), inbox


class TestSmtpMailer(MailerContract):
    @pytest.fixture
    def mailer_and_inbox(self, smtp_server):
        cfg = SmtpConfig(host=smtp_server.host, port=smtp_server.port, security="none", rate_per_second=0,
                         retry_backoff_seconds=0, timeout_seconds=10)
        return SmtpMailer(cfg, {}, SENDER.from_address), lambda: [r.message for r in smtp_server.received]


class TestGmailMailer(MailerContract):
    """Gmail's `users.messages.send` as the sender, through domain-wide delegation (the fake refuses a service
    account sending as itself, as Gmail does)."""

    @pytest.fixture
    def mailer_and_inbox(self, google_env):
        from automations.adapters.google.gmail_mailer import GmailMailer
        from tests.contract.conftest import SERVICE_ACCOUNT

        google_env.fake.allow_delegation(SERVICE_ACCOUNT, [SENDER.from_address])
        return GmailMailer(google_env.access, SENDER.from_address), lambda: [
            message_from_bytes(m["raw_bytes"], policy=policy.default) for m in google_env.fake.sent_mail
            if m["user_id"] == SENDER.from_address]


class TestFakeMailer(MailerContract):
    @pytest.fixture
    def mailer_and_inbox(self):
        mailer = FakeMailer()
        return mailer, lambda: [message_from_bytes(m.data, policy=policy.default) for m in mailer.sent]
