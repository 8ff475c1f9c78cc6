"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives.

It can also misbehave on purpose, the way real servers do: answer 451 to the first few
messages, take its time, or kill the sending process after accepting a message (a crash
between send and record). `faults` (`tests.faults.Faults`, seeded, drawn once per DATA) adds, at
rates: throttling (`rate_429`: "421 4.7.0", then the server hangs up, RFC 5321 4.2.3), a transient
error (`rate_5xx`: "451 4.3.0"; an SMTP 5xx would be permanent), a drop (the connection closed before
the reply, nothing kept), a lost reply (the message kept, the connection closed before "250"), a
timeout (held `hold_seconds`, then closed, nothing kept); `close_after` hangs up after accepting that
many messages in one session (a server that closes mid-batch). `Behaviour.gate` holds every message
until a test opens it, so a test can keep a sending run inside its lock for as long as it needs.

`start(auth=True)` offers AUTH (PLAIN, LOGIN) on the plain loopback connection and accepts the logins in
`Behaviour.accounts`. `Behaviour.auth_reply` and `mail_reply` make it answer a refused login, or every
MAIL FROM, with the text a test gives: real servers put the client's own input in such replies (Postfix's
"5.7.1 <address>: Sender address rejected", Exim echoing the command line, debug relays echoing the AUTH
line), so a test can have it echo the password or the base64 credentials it was sent.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.faults import Faults, Injectable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class Behaviour:
    temporary_failures: int = 0  # answer 451 to this many DATA commands first
    delay: float = 0.0  # seconds to wait before accepting each message
    kill_pid_after: int = 0  # after accepting this many messages, SIGKILL kill_pid
    kill_pid: int = 0
    gate: threading.Event | None = None  # when set to an Event, each message waits for it before it is accepted
    at_gate: int = 0  # how many messages have reached the gate (a test waits on this, not on time)
    accounts: dict[str, str] = field(default_factory=dict)  # login -> password accepted (start(auth=True))
    auth_reply: str = ""  # the reply to a refused login ("535 ..."); "" is aiosmtpd's own
    mail_reply: str = ""  # when set, the reply to every MAIL FROM ("550 ..."): the message is refused


class Handler(Injectable):
    def __init__(self):
        self.received: list[Received] = []
        self.behaviour = Behaviour()
        self.connections = 0
        self.faults_seen: list[str] = []  # each injected fault, in order ("close_after" for a hang-up)
        self.lock = threading.Lock()
        self.faults = Faults()

    @property
    def _fault_lock(self):
        return self.lock

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        b = self.behaviour
        with self.lock:
            if b.temporary_failures > 0:
                b.temporary_failures -= 1
                return "451 4.3.0 Try again later"
            fault = self._dice.draw(("429", "5xx", "drop", "lost_reply", "timeout"))
            if fault:
                self.faults_seen.append(fault)
        if fault == "429":
            _hang_up_after_reply(server)
            return "421 4.7.0 Too many messages, try again later; closing connection"
        if fault == "5xx":
            return "451 4.3.0 Local error in processing, try again later"
        if fault == "timeout":
            await asyncio.sleep(self._faults.hold_seconds)  # longer than the client waits for the reply
        if fault in ("drop", "timeout"):
            server.transport.abort()  # closed before any reply; nothing kept
            return "250 never seen"
        if b.gate is not None:
            with self.lock:
                b.at_gate += 1
            await asyncio.get_running_loop().run_in_executor(None, b.gate.wait, 300)
        if b.delay:
            time.sleep(b.delay)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            count = len(self.received)
        if b.kill_pid and count == b.kill_pid_after:
            os.kill(b.kill_pid, signal.SIGKILL)
        if fault == "lost_reply":
            server.transport.abort()  # kept, but the client never hears "250"
            return "250 never seen"
        session.accepted = getattr(session, "accepted", 0) + 1
        if self._faults.close_after is not None and session.accepted >= self._faults.close_after:
            session.hang_up = True  # the next command of this session finds the connection gone
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        """aiosmtpd's authenticator: a login in `Behaviour.accounts` passes; else `auth_reply` (or 535)."""
        b = self.behaviour
        ok = isinstance(auth_data, LoginPassword) and \
            b.accounts.get(auth_data.login.decode(errors="replace")) == auth_data.password.decode(errors="replace")
        return AuthResult(success=ok, handled=False, message=None if ok else (b.auth_reply or None))

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.behaviour.mail_reply:
            return self.behaviour.mail_reply
        if getattr(session, "hang_up", False):
            with self.lock:
                self.faults_seen.append("close_after")
            server.transport.abort()
            return "421 4.4.2 never seen"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"


def _hang_up_after_reply(server) -> None:
    """Close the connection once the reply being returned has been written (the server hangs up)."""
    transport = server.transport
    asyncio.get_running_loop().call_later(0.02, transport.close)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: Handler
    controller: Controller = field(repr=False)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def keys(self) -> list[str]:
        return [r.message["X-Automation-Key"] for r in self.received]


def start(auth: bool = False) -> SmtpServer:
    handler = Handler()
    port = free_port()
    # AUTH on a plain connection: loopback only, for tests (a real relay asks for TLS first).
    options = dict(authenticator=handler.authenticate, auth_require_tls=False) if auth else {}
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return SmtpServer("127.0.0.1", port, handler, controller)
