"""SMTP over STARTTLS and implicit TLS with a login, against aiosmtpd on loopback."""

from __future__ import annotations

import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from automations.adapters.smtp import SmtpMailer
from automations.config import SmtpConfig
from automations.errors import StopRun
from automations.mail.message import Outgoing
from tests import smtp_server, tls_cert

SECRET = "correct horse battery staple"


class Accounts:
    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"relay" and \
            auth_data.password == SECRET.encode()
        return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return tls_cert.make(tmp_path_factory.mktemp("tls"))


def server(cert, implicit: bool):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*cert)
    handler = smtp_server.Handler()
    port = smtp_server.free_port()
    # aiosmtpd does not see implicit TLS as TLS for its AUTH check; the connection is encrypted anyway.
    options = dict(ssl_context=context, auth_require_tls=False) if implicit else dict(
        tls_context=context, require_starttls=True, auth_require_tls=True)
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=Accounts(), **options)
    controller.start()
    return controller, handler, port


def outgoing(key="k:1") -> Outgoing:
    data = (f"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\nX-Automation-Key: {key}\r\n\r\nhello\r\n")
    return Outgoing(key, "b@example.org", data.encode(), "<p>hello</p>")


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "implicit-tls"])
def test_tls_and_login(cert, implicit):
    """Mail goes over TLS (STARTTLS or implicit), after a login read from the environment."""
    controller, handler, port = server(cert, implicit)
    try:
        cfg = SmtpConfig(host="127.0.0.1", port=port, security="ssl" if implicit else "starttls",
                         ca_file=str(cert[0]), rate_per_second=0, retry_backoff_seconds=0)
        env = {"SMTP_USERNAME": "relay", "SMTP_PASSWORD": SECRET}
        with SmtpMailer(cfg, env, "a@example.org") as mailer:
            mailer.send(outgoing("k:1"))
            mailer.send(outgoing("k:2"))
        assert [r.rcpt_tos for r in handler.received] == [["b@example.org"], ["b@example.org"]]
        assert mailer.connections == 1
    finally:
        controller.stop()


def test_refused_login_stops_the_run_without_the_password(cert):
    """A refused login stops the run (exit 2) with a sentence that never holds the password."""
    controller, handler, port = server(cert, implicit=False)
    try:
        cfg = SmtpConfig(host="127.0.0.1", port=port, security="starttls", ca_file=str(cert[0]),
                         rate_per_second=0, retry_backoff_seconds=0)
        with pytest.raises(StopRun) as caught, SmtpMailer(
                cfg, {"SMTP_USERNAME": "relay", "SMTP_PASSWORD": "wrong " + SECRET}, "a@example.org") as mailer:
            mailer.send(outgoing())
        assert "refused the login" in str(caught.value) and SECRET not in str(caught.value)
        assert handler.received == []
    finally:
        controller.stop()


def test_untrusted_certificate_is_not_used(cert, tmp_path):
    """A server whose certificate is not trusted gets nothing: no silent fallback to plain text."""
    controller, handler, port = server(cert, implicit=False)
    try:
        cfg = SmtpConfig(host="127.0.0.1", port=port, security="starttls", rate_per_second=0,
                         retry_backoff_seconds=0, max_attempts=1)
        with pytest.raises(Exception, match="cannot connect"), SmtpMailer(cfg, {}, "a@example.org") as mailer:
            mailer.send(outgoing())
        assert handler.received == []
    finally:
        controller.stop()
