"""Delivering planned messages through the plan → ledger → apply mechanism (`effects`).

Nothing is sent until every planned message has been rendered and its address checked; a
message that fails there is reported and the others still go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..domain.messages import PlannedMessage
from ..domain.privacy import is_erased
from ..effects import Prepared, apply, done_keys, utc_now
from ..ports import Ledger, Mailer, SendLock
from ..stopping import StopRequest
from .message import Outgoing, Rendered, Sender, compose, message_id, valid_address
from .templates import RenderError, TemplateRenderer


@dataclass
class Delivery:
    already_sent: int = 0
    sent: list[PlannedMessage] = field(default_factory=list)
    would_send: list[Rendered] = field(default_factory=list)
    seconds_sending: float = 0.0  # time spent in the send loop (the transport and the ledger)
    failures: list[str] = field(default_factory=list)
    to_erased: int = 0  # planned for an erased person's pseudonym: never sent


RECEIPT = "checkin_receipt:"


def same_message(key: str) -> str:
    """A receipt key to the minute: the address and the check-in's instant without its seconds, in UTC. A
    spreadsheet re-save drops the seconds of every timestamp; the check-in is the same, and its receipt went.
    ("" for a key that is not a receipt's.)"""
    email, _, moment = key[len(RECEIPT):].partition(":")
    try:
        when = datetime.fromisoformat(moment)
    except ValueError:
        return ""
    if when.tzinfo is None:
        return ""
    return f"{RECEIPT}{email}:{when.astimezone(UTC).replace(second=0, microsecond=0).isoformat()}"


def _no_seconds(key: str) -> bool:
    """Whether a receipt key's instant has no seconds (what a re-save leaves), so it may be a sent one re-read."""
    if not key.startswith(RECEIPT):
        return False
    try:
        return datetime.fromisoformat(key[len(RECEIPT):].partition(":")[2]).second == 0
    except ValueError:
        return False


def prepare(planned: Sequence[PlannedMessage], renderer: TemplateRenderer, sender: Sender, sent_keys: set[str],
            result: Delivery, now: datetime) -> list[tuple[Rendered, Outgoing]]:
    """Render, compose and check every message not yet sent; failures are reported, not sent."""
    ready: list[tuple[Rendered, Outgoing]] = []
    seen: set[str] = set()
    sent_as = {same_message(k) for k in sent_keys if k.startswith(RECEIPT)} - {""}
    for p in planned:
        if p.key in seen:
            continue
        seen.add(p.key)
        # A receipt whose check-in has no seconds may be one already sent, read again from a re-saved file.
        if p.key in sent_keys or any(k in sent_keys for k in p.former_keys) or \
                (_no_seconds(p.key) and same_message(p.key) in sent_as):
            result.already_sent += 1
            continue
        if is_erased(p.to_email):  # a person erased on request: their pseudonym is no mailbox
            result.to_erased += 1
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


def deliver(planned: Sequence[PlannedMessage], *, renderer: TemplateRenderer, ledger: Ledger, mailer: Mailer,
            sender: Sender, dry_run: bool, lock: SendLock, clock: Callable[[], datetime] = utc_now,
            stop: StopRequest | None = None) -> Delivery:
    result = Delivery()
    ready = prepare(planned, renderer, sender, done_keys(ledger), result, clock())
    if dry_run:
        result.would_send = [r for r, _ in ready]
        return result
    by_key = {r.planned.key: r.planned for r, _ in ready}
    actions = [Prepared(r.planned.key, r.planned.job, r.planned.to_email, message_id(r.planned.key, sender.domain), o)
               for r, o in ready]
    applied = apply(actions, ledger=ledger, lock=lock, session=lambda: mailer,
                    perform=lambda m, outgoing: m.send(outgoing), clock=clock, stop=stop)
    result.already_sent += applied.already_done
    result.sent = [by_key[a.key] for a in applied.done]
    result.failures += applied.failures
    result.seconds_sending = applied.seconds
    return result
