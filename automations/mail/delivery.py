"""Plan, then apply: drop what the ledger holds, render and check everything, then send.

Nothing is sent until every planned message has been rendered and its address checked; a
message that fails there is reported and the others still go. Sending happens under a lock,
with the ledger read again inside it, so two runs at once never send the same key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from ..domain.messages import PlannedMessage
from .ledger import FAILED, SENDING, SENT, Ledger, LedgerEntry, sending_lock
from .message import Outgoing, Rendered, Sender, compose, message_id, valid_address
from .templates import RenderError, TemplateRenderer
from ..errors import StopRun
from .transports import Mailer, PermanentFailure, ServerUnreachable, TemporaryFailure


@dataclass
class Delivery:
    already_sent: int = 0
    sent: list[PlannedMessage] = field(default_factory=list)
    would_send: list[Rendered] = field(default_factory=list)
    seconds_sending: float = 0.0  # time spent in the send loop (the transport and the ledger)
    failures: list[str] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def prepare(planned: Sequence[PlannedMessage], renderer: TemplateRenderer, sender: Sender, sent_keys: set[str],
            result: Delivery, now: datetime) -> list[tuple[Rendered, Outgoing]]:
    """Render, compose and check every message not yet sent; failures are reported, not sent."""
    ready: list[tuple[Rendered, Outgoing]] = []
    seen: set[str] = set()
    for p in planned:
        if p.key in seen:
            continue
        seen.add(p.key)
        if p.key in sent_keys:
            result.already_sent += 1
            continue
        if not valid_address(p.to_email):
            result.failures.append(f"{p.key}: '{p.to_email}' is not a valid email address; not sent")
            continue
        try:
            rendered = renderer.render(p)
            ready.append((rendered, compose(rendered, sender, now)))
        except RenderError as exc:
            result.failures.append(f"{p.key}: {exc}; not sent")
        except (ValueError, TypeError) as exc:  # a header the email package refuses
            result.failures.append(f"{p.key}: cannot compose the message ({exc}); not sent")
    return ready


def deliver(planned: Sequence[PlannedMessage], *, renderer: TemplateRenderer, ledger: Ledger,
            mailer_factory: Callable[[], Mailer], sender: Sender, dry_run: bool, lock_path: Path,
            lock_timeout: float = 120, clock: Callable[[], datetime] = _now) -> Delivery:
    result = Delivery()
    sent = {k for k, e in ledger.entries().items() if e.status == SENT}
    ready = prepare(planned, renderer, sender, sent, result, clock())
    if dry_run or not ready:
        result.would_send = [r for r, _ in ready] if dry_run else []
        return result
    with sending_lock(lock_path, lock_timeout):
        entries = ledger.entries()  # again: another run may have sent some while we waited
        started = time.perf_counter()
        with mailer_factory() as mailer, ledger.batch():
            for i, (r, outgoing) in enumerate(ready):
                p = r.planned
                previous = entries.get(p.key)
                if previous is not None and previous.status == SENT:
                    result.already_sent += 1
                    continue
                attempts = (previous.attempts if previous else 0) + 1
                mid = message_id(p.key, sender.domain)

                def record(status: str, error: str = "") -> None:
                    ledger.record(LedgerEntry(p.key, p.job, p.to_email, status, attempts, error, mid,
                                              clock().isoformat(timespec="seconds")))

                record(SENDING)
                try:
                    mailer.send(outgoing)
                except StopRun as exc:  # e.g. the login was refused: no point trying the others
                    record(FAILED, str(exc))
                    raise
                except ServerUnreachable as exc:
                    record(FAILED, str(exc))
                    left = len(ready) - i - 1
                    result.failures.append(f"{p.key} to {p.to_email}: {exc}; the {left} messages after it were "
                                           f"not tried (the next run sends them)")
                    break
                except (TemporaryFailure, PermanentFailure, OSError) as exc:
                    record(FAILED, str(exc) or type(exc).__name__)
                    result.failures.append(f"{p.key} to {p.to_email}: {exc}")
                    continue
                record(SENT)
                result.sent.append(p)
        result.seconds_sending = time.perf_counter() - started
    return result
