"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives.

It can also misbehave on purpose, the way real servers do: answer 451 to the first few
messages, take its time, or kill the sending process after accepting a message (a crash
between send and record).
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


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


class Handler:
    def __init__(self):
        self.received: list[Received] = []
        self.behaviour = Behaviour()
        self.connections = 0
        self.lock = threading.Lock()

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
        if b.delay:
            time.sleep(b.delay)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            count = len(self.received)
        if b.kill_pid and count == b.kill_pid_after:
            os.kill(b.kill_pid, signal.SIGKILL)
        return "250 Message accepted for delivery"


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


def start() -> SmtpServer:
    handler = Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return SmtpServer("127.0.0.1", port, handler, controller)
