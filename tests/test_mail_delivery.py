"""Delivery to a real SMTP server on loopback, and to the outbox: headers, parts, once only."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from automations.adapters.csv.ledger import CsvLedger
from automations.adapters.files.send_lock import FileSendLock
from automations.adapters.outbox import OutboxMailer
from automations.adapters.smtp import SmtpMailer
from automations.config import SmtpConfig
from automations.domain.messages import PlannedMessage
from automations.effects import SENT
from automations.mail.delivery import deliver
from automations.mail.message import Sender, message_id
from automations.mail.templates import TemplateRenderer

SENDER = Sender("ambassadors@example.org", "Ambassador Program", "support@example.org")


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    d = tmp_path / "templates"
    d.mkdir()
    (d / "_layout.html").write_text("<html><body>{% block body %}{% endblock %}</body></html>\n")
    (d / "hello.subject.txt").write_text("Hello {{ first_name }}\n")
    (d / "hello.txt").write_text("Hi {{ first_name }}, about {{ topic }}.\n")
    (d / "hello.html").write_text('{% extends "_layout.html" %}{% block body %}<p>Hi {{ first_name }}, '
                                  'about {{ topic }}.</p>{% endblock %}\n')
    (d / "hello.pt.subject.txt").write_text("Olá {{ first_name }}\n")
    (d / "hello.pt.txt").write_text("Olá {{ first_name }}, sobre {{ topic }}.\n")
    (d / "hello.pt.html").write_text('{% extends "_layout.html" %}{% block body %}<p>Olá {{ first_name }}, '
                                     'sobre {{ topic }}.</p>{% endblock %}\n')
    return d


def msg(key="hello:1", to="ana@example.org", name="Ana", topic="Q3", **over) -> PlannedMessage:
    base = dict(key=key, job="hello", to_email=to, to_name=name, context={"first_name": name.split()[0] if name
                                                                          else "", "topic": topic})
    base.update(over)
    return PlannedMessage(**base)


def smtp_mailer(server, **over) -> SmtpMailer:
    cfg = SmtpConfig(host=server.host, port=server.port, security="none", rate_per_second=0,
                     retry_backoff_seconds=0, timeout_seconds=10, **over)
    return SmtpMailer(cfg, {}, SENDER.from_address)


def send(planned, templates, tmp_path, mailer, dry_run=False):
    return deliver(planned, renderer=TemplateRenderer(templates, {}), ledger=CsvLedger(tmp_path / "ledger.csv"),
                   mailer=mailer, sender=SENDER, dry_run=dry_run, lock=FileSendLock(tmp_path / "lock", 5))


class TestSmtp:
    def test_envelope_headers_and_parts(self, smtp_server, templates, tmp_path):
        """The server gets the envelope, the contract headers and both parts, Unicode names intact."""
        d = send([msg(name="José Álvarez", obligation=False)], templates, tmp_path, smtp_mailer(smtp_server))
        assert d.failures == [] and len(d.sent) == 1
        (r,) = smtp_server.received
        assert (r.mail_from, r.rcpt_tos) == ("ambassadors@example.org", ["ana@example.org"])
        m = r.message
        assert m["X-Automation-Job"] == "hello" and m["X-Automation-Key"] == "hello:1"
        assert m["Message-ID"] == message_id("hello:1", "example.org") and m["Reply-To"] == "support@example.org"
        assert m["To"].addresses[0].display_name == "José Álvarez"
        assert m["List-Unsubscribe"] == "<mailto:support@example.org?subject=unsubscribe%20hello>"
        assert m.get_body(("plain",)).get_content().strip() == "Hi José, about Q3."
        assert "<p>Hi José, about Q3.</p>" in m.get_body(("html",)).get_content()

    def test_obligation_has_no_unsubscribe(self, smtp_server, templates, tmp_path):
        """A program obligation carries no List-Unsubscribe."""
        send([msg()], templates, tmp_path, smtp_mailer(smtp_server))
        assert smtp_server.received[0].message["List-Unsubscribe"] is None

    def test_name_cannot_inject_a_header(self, smtp_server, templates, tmp_path):
        """A line break in a name cannot add a header or a recipient."""
        send([msg(name="Eve\r\nBcc: victim@example.net")], templates, tmp_path, smtp_mailer(smtp_server))
        (r,) = smtp_server.received
        assert r.rcpt_tos == ["ana@example.org"] and r.message["Bcc"] is None
        assert b"\nBcc:" not in r.data and r.message["To"].addresses[0].addr_spec == "ana@example.org"

    def test_html_is_escaped(self, smtp_server, templates, tmp_path):
        """Values are autoescaped in HTML: a title cannot inject markup."""
        send([msg(topic="<script>x</script>")], templates, tmp_path, smtp_mailer(smtp_server))
        html = smtp_server.received[0].message.get_body(("html",)).get_content()
        assert "<script>" not in html and "&lt;script&gt;" in html

    def test_render_failure_stops_only_that_message(self, smtp_server, templates, tmp_path):
        """A template that fails for one message is reported; the others still go."""
        broken = PlannedMessage(key="hello:2", job="hello", to_email="bo@example.org", to_name="Bo",
                                context={"first_name": "Bo"})  # no 'topic'
        d = send([msg(), broken, msg(key="hello:3", to="cy@example.org")], templates, tmp_path,
                 smtp_mailer(smtp_server))
        assert smtp_server.keys() == ["hello:1", "hello:3"]
        assert len(d.failures) == 1 and "hello:2" in d.failures[0] and "topic" in d.failures[0]

    def test_bad_address_reported(self, smtp_server, templates, tmp_path):
        """An address that is not one is reported before anything is sent."""
        d = send([msg(to="not an address")], templates, tmp_path, smtp_mailer(smtp_server))
        assert smtp_server.received == [] and "not a valid email address" in d.failures[0]

    def test_sandbox_blocks_python_internals(self, smtp_server, templates, tmp_path):
        """A staff-edited template cannot reach Python internals."""
        (templates / "hello.txt").write_text("{{ first_name.__class__.__mro__[1].__subclasses__() }}\n")
        d = send([msg()], templates, tmp_path, smtp_mailer(smtp_server))
        assert smtp_server.received == [] and "unsafe" in d.failures[0]

    def test_language_variant(self, smtp_server, templates, tmp_path):
        """Staff's own version of a message in the ambassador's language is used where it exists (all three parts,
        here with no catalog beside the templates), English otherwise."""
        send([msg(language="pt"), msg(key="hello:2", language="de")], templates, tmp_path, smtp_mailer(smtp_server))
        assert [r.message["Subject"] for r in smtp_server.received] == ["Olá Ana", "Hello Ana"]
        pt, de = (r.message.get_body(("html",)).get_content() for r in smtp_server.received)
        assert "Olá Ana, sobre Q3" in pt and "Hi Ana" in de

    def test_temporary_failure_retried(self, smtp_server, templates, tmp_path):
        """A 451 answer is retried on the same run; the message goes once."""
        smtp_server.handler.behaviour.temporary_failures = 2
        d = send([msg()], templates, tmp_path, smtp_mailer(smtp_server, max_attempts=3))
        assert smtp_server.keys() == ["hello:1"] and d.failures == []

    def test_persistent_failure_recorded_and_retried_next_run(self, smtp_server, templates, tmp_path):
        """After the bounded tries the message is recorded as failed, and the next run tries again."""
        smtp_server.handler.behaviour.temporary_failures = 2
        d = send([msg()], templates, tmp_path, smtp_mailer(smtp_server, max_attempts=2))
        assert smtp_server.received == [] and "after 2 attempts" in d.failures[0]
        assert CsvLedger(tmp_path / "ledger.csv").entries()["hello:1"].status == "failed"
        d = send([msg()], templates, tmp_path, smtp_mailer(smtp_server, max_attempts=2))
        assert smtp_server.keys() == ["hello:1"] and CsvLedger(tmp_path / "ledger.csv").entries()["hello:1"].attempts == 2

    def test_one_connection_for_a_batch(self, smtp_server, templates, tmp_path):
        """Twenty messages travel over one connection."""
        mailer = smtp_mailer(smtp_server)
        send([msg(key=f"hello:{i}") for i in range(20)], templates, tmp_path, mailer)
        assert len(smtp_server.received) == 20 and mailer.connections == 1 and smtp_server.handler.connections == 1

    def test_same_key_never_twice(self, smtp_server, templates, tmp_path):
        """A key in the ledger is not sent again; a key planned twice goes once."""
        send([msg(), msg()], templates, tmp_path, smtp_mailer(smtp_server))
        d = send([msg()], templates, tmp_path, smtp_mailer(smtp_server))
        assert smtp_server.keys() == ["hello:1"] and d.already_sent == 1
        assert CsvLedger(tmp_path / "ledger.csv").entries()["hello:1"].status == SENT

    def test_dry_run_sends_and_records_nothing(self, smtp_server, templates, tmp_path):
        """A dry run renders everything and sends nothing."""
        d = send([msg()], templates, tmp_path, smtp_mailer(smtp_server), dry_run=True)
        assert smtp_server.received == [] and [r.subject for r in d.would_send] == ["Hello Ana"]
        assert not (tmp_path / "ledger.csv").exists()


def test_outbox_writes_eml_and_index(templates, tmp_path):
    """The outbox writes a readable .eml per message, an HTML preview and an index page."""
    out = tmp_path / "outbox"
    d = send([msg(), msg(key="hello:2", to="bo@example.org", name="Bo")], templates, tmp_path,
             OutboxMailer(out, "2026-10-01"))
    assert len(d.sent) == 2
    emls = sorted(out.glob("2026-10-01/*.eml"))
    m = message_from_bytes(emls[0].read_bytes(), policy=policy.default)
    assert m["X-Automation-Key"] == "hello:1" and m.get_body(("plain",)).get_content() == "Hi Ana, about Q3.\n"
    index = (out / "index.html").read_text()
    assert "hello:1" in index and "hello:2" in index and "Nothing here has been sent" in index


class TestSmtpErrorsRedacted:
    """Issue 18: a server that echoes what it was sent (the password, the base64 AUTH line) into its error reply
    never gets it printed, recorded in the ledger or written anywhere: the SMTP sender redacts every failure text
    it makes (`redaction`, with the login's base64 forms), before the text reaches anything."""

    LOGIN, PASSWORD = "relay-login", "Sm7p-pa55w0rd+/=SECRET"

    def forms(self) -> set[str]:
        import base64

        out = set()
        for text in (self.PASSWORD, f"\0{self.LOGIN}\0{self.PASSWORD}"):
            for enc in (base64.b64encode, base64.urlsafe_b64encode):
                b = enc(text.encode()).decode()
                out |= {b, b.rstrip("=")}
        return out | {self.PASSWORD}

    def echoing(self, program: Path, monkeypatch, **behaviour):
        import base64

        from tests import smtp_server as fake
        from tests.conftest import run_cli, use_smtp

        assert run_cli("--as-of", "2026-10-12", "sync-checkins", config=program).code in (0, 1)  # to the outbox
        server = fake.start(auth=True)
        plain = base64.b64encode(f"\0{self.LOGIN}\0{self.PASSWORD}".encode()).decode()
        said = f"you sent AUTH PLAIN {plain}, i.e. {self.PASSWORD} ({base64.b64encode(self.PASSWORD.encode()).decode()})"
        server.handler.behaviour.accounts = {self.LOGIN: self.PASSWORD}
        for name, code in behaviour.items():
            setattr(server.handler.behaviour, name, f"{code} {said}")
        use_smtp(program, server)
        monkeypatch.setenv("SMTP_USERNAME", self.LOGIN)
        monkeypatch.setenv("SMTP_PASSWORD", self.PASSWORD)
        return server

    def leaks(self, program: Path, run) -> list[str]:
        texts = {"output": run.out + run.err}
        texts |= {p.relative_to(program.parent).as_posix(): p.read_bytes().decode("utf-8", "replace")
                  for p in program.parent.rglob("*") if p.is_file() and p.suffix != ".sqlite3"}
        return [f"{name}: {form}" for name, text in texts.items() for form in self.forms() if form in text]

    def test_a_refused_sender_echoing_the_credentials(self, program, monkeypatch):
        """MAIL FROM refused (550) with the AUTH line and the password in the reply: the digest fails (exit 1),
        its ledger step says why, and no form of the password is anywhere."""
        from tests.conftest import run_cli

        server = self.echoing(program, monkeypatch, mail_reply="550 5.7.1 Sender refused:")
        try:
            run = run_cli("--as-of", "2026-10-12", "digest", config=program)
        finally:
            server.controller.stop()
        assert run.code == 1 and "server replied 550 5.7.1 Sender refused: you sent AUTH PLAIN [redacted]" in run.err
        ledger = (program.parent / "data" / "mail_ledger.csv").read_text(encoding="utf-8")
        assert "550 5.7.1 Sender refused" in ledger and "[redacted]" in ledger
        assert self.leaks(program, run) == []

    def test_a_refused_login_echoing_the_credentials(self, program, monkeypatch):
        """AUTH refused (535) with the credentials in the reply: the run stops (exit 2) with one sentence that
        gives the server's reply, redacted, and nothing is sent."""
        from tests.conftest import run_cli

        server = self.echoing(program, monkeypatch, auth_reply="535 5.7.8 Bad credentials:")
        server.handler.behaviour.accounts = {}
        try:
            run = run_cli("--as-of", "2026-10-12", "digest", config=program)
        finally:
            server.controller.stop()
        assert run.code == 2 and "refused the login in SMTP_USERNAME (535 5.7.8 Bad credentials:" in run.err, run.err
        assert "[redacted]" in run.err and "Traceback" not in run.err and server.received == []
        assert self.leaks(program, run) == []
