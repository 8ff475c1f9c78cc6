"""Benchmark: 1,000 messages to a loopback SMTP server, one reused connection against one per message.

    python bench/bench_smtp.py [--messages 1000]

Both runs go through the project's own delivery path (render, compose, ledger, SmtpMailer) to a
real aiosmtpd server on 127.0.0.1, side by side in one process. Target: the reused connection at
least 5 times the throughput of a connection per message.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from automations.adapters.csv.ledger import CsvLedger  # noqa: E402
from automations.adapters.files.send_lock import FileSendLock  # noqa: E402
from automations.adapters.smtp import SmtpMailer  # noqa: E402
from automations.config import SmtpConfig  # noqa: E402
from automations.domain.messages import PlannedMessage  # noqa: E402
from automations.mail.delivery import deliver  # noqa: E402
from automations.mail.message import Sender  # noqa: E402
from automations.mail.templates import TemplateRenderer  # noqa: E402
from tests import smtp_server, tls_cert  # noqa: E402

SENDER = Sender("ambassadors@example.org", "Ambassador Program", "support@example.org")


def run(server, n: int, reuse: bool, workdir: Path, ca_file: str = "") -> tuple[float, float, int]:
    planned = [PlannedMessage(key=f"bench:{reuse}:{i}", job="checkin_reminder", to_email=f"a{i}@example.org",
                              to_name=f"Ambassador {i}", context={
                                  "first_name": f"Ambassador{i}", "quarter": "2026Q3", "closes": "2026-10-21",
                                  "days_left": 9, "needed": 2, "counted": [], "incomplete": [], "remaining": 2,
                                  "form_link": "https://forms.example.org/f"}) for i in range(n)]
    cfg = SmtpConfig(host=server.host, port=server.port, security="starttls" if ca_file else "none", ca_file=ca_file,
                     rate_per_second=0, timeout_seconds=10)
    mailer = SmtpMailer(cfg, {}, SENDER.from_address, reuse=reuse)
    renderer = TemplateRenderer(ROOT / "templates" / "emails",
                                {"program_name": "Ambassador Program", "support_email": "support@example.org",
                                 "lead_name": "Lead"})
    started = time.perf_counter()
    d = deliver(planned, renderer=renderer, ledger=CsvLedger(workdir / f"ledger-{reuse}.csv"),
                mailer=mailer, sender=SENDER, dry_run=False, lock=FileSendLock(workdir / "lock", 120))
    elapsed = time.perf_counter() - started
    assert len(d.sent) == n and not d.failures, d.failures[:3]
    return elapsed, d.seconds_sending, mailer.connections


@dataclass
class Server:
    """aiosmtpd's own server (a Sink that accepts and drops), in its own process: a separate
    program, as a real mail server is, so it does not share our interpreter's lock."""

    host: str
    port: int
    proc: subprocess.Popen

    @classmethod
    def start(cls, tls: tuple[Path, Path] | None = None) -> Server:
        port = smtp_server.free_port()
        extra = ["--tlscert", str(tls[0]), "--tlskey", str(tls[1]), "--no-requiretls"] if tls else []
        proc = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c",
                                 "aiosmtpd.handlers.Sink", *extra], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return cls("127.0.0.1", port, proc)
            except OSError:
                time.sleep(0.1)
        proc.kill()
        raise SystemExit("the aiosmtpd server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    n = args.messages
    print(f"{n} messages to aiosmtpd (a separate process) on 127.0.0.1. Whole run = render + compose + ledger + "
          f"send; send loop = ledger + SMTP.")
    print(f"{'security':<10}{'mode':<28}{'whole s':>9}{'msg/s':>8}{'send loop s':>13}{'msg/s':>8}{'conns':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        cert = tls_cert.make(Path(tmp) / "tls")
        for security, tls in (("none", None), ("starttls", cert)):
            server = Server.start(tls)
            try:
                results = {reuse: run(server, n, reuse, Path(tmp) / f"{security}-{reuse}",
                                      str(cert[0]) if tls else "") for reuse in (True, False)}
            finally:
                server.stop()
            for reuse, label in ((True, "one reused connection"), (False, "one connection per message")):
                whole, loop, conns = results[reuse]
                print(f"{security:<10}{label:<28}{whole:>9.2f}{n / whole:>8.0f}{loop:>13.2f}{n / loop:>8.0f}"
                      f"{conns:>7}")
            loop_ratio = results[False][1] / results[True][1]
            whole_ratio = results[False][0] / results[True][0]
            print(f"{security:<10}throughput ratio: send loop {loop_ratio:.1f}x, whole run {whole_ratio:.1f}x "
                  f"(target >= 5x on the send loop: {'met' if loop_ratio >= 5 else 'NOT met'})")


if __name__ == "__main__":
    main()
