"""The Mailer contract, on every transport (outbox folder, SMTP to aiosmtpd on loopback, memory):
a message handed over arrives whole, with its contract headers, once per send."""

from __future__ import annotations

from datetime import datetime, timezone
from email import message_from_bytes, policy

import pytest

from automations.config import SmtpConfig
from automations.domain.messages import PlannedMessage
from automations.mail.message import Rendered, Sender, compose
from automations.mail.transports import OutboxMailer, SmtpMailer
from tests.fakes import FakeMailer

SENDER = Sender("ambassadors@example.org", "Ambassador Program", "support@example.org")


def outgoing(key: str, name: str = "José Álvarez"):
    planned = PlannedMessage(key=key, job="checkin_invite", to_email="jose@example.org", to_name=name)
    rendered = Rendered(planned, "Your Q3 check-in", f"Hello {name}", f"<p>Hello {name}</p>")
    return compose(rendered, SENDER, datetime(2026, 10, 1, 9, tzinfo=timezone.utc))


@pytest.fixture(params=["outbox", "smtp", "memory"])
def mailer_and_inbox(request, tmp_path):
    """A transport, and a way to read back every message it delivered (as email.message objects)."""
    if request.param == "outbox":
        folder = tmp_path / "outbox"

        def inbox():
            return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.rglob("*.eml"))]

        return OutboxMailer(folder, "2026-10-01"), inbox
    if request.param == "smtp":
        server = request.getfixturevalue("smtp_server")
        cfg = SmtpConfig(host=server.host, port=server.port, security="none", rate_per_second=0,
                         retry_backoff_seconds=0, timeout_seconds=10)
        return SmtpMailer(cfg, {}, SENDER.from_address), lambda: [r.message for r in server.received]
    mailer = FakeMailer()
    return mailer, lambda: [message_from_bytes(m.data, policy=policy.default) for m in mailer.sent]


def test_message_arrives_whole(mailer_and_inbox):
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


def test_each_send_is_one_message(mailer_and_inbox):
    """Three sends in one session deliver three messages, each with its own key."""
    mailer, inbox = mailer_and_inbox
    with mailer as m:
        for i in range(3):
            m.send(outgoing(f"k:{i}"))
    assert sorted(g["X-Automation-Key"] for g in inbox()) == ["k:0", "k:1", "k:2"]
