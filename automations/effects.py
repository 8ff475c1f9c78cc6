"""Plan, then apply: the one mechanism every side effect goes through (an email today; a
document, a certificate or a record write in later jobs).

A job plans actions, each with a deterministic idempotency key built from business identity
(`checkin_reminder:2026Q3:<email>:d-10`), prepares all of them (renders, validates) before the
first is applied, and hands them here. Under the send lock, with the ledger read again if
another run applied effects meanwhile, each action whose key is not yet `sent` is recorded as
`sending`, performed, and recorded as `sent` (or `failed`) right after. A crash between the
effect and its `sent` step leaves the key `sending`, so the next run does it again: at most
one duplicate, never a loss.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Generic, TypeVar

from .errors import Stopped, StopRun
from .ports import Ledger, LedgerEntry, SendLock
from .stopping import StopRequest

SENDING, SENT, FAILED = "sending", "sent", "failed"

P = TypeVar("P")
S = TypeVar("S")


class ActionFailed(Exception):
    """This action did not happen; it is recorded as failed and retried by a later run."""

    #: True when the others of the batch cannot succeed either (e.g. the server is unreachable).
    stops_batch = False


class DocumentFailed(ActionFailed):
    """A document could not be made as it should be (e.g. a template placeholder left unfilled)."""


@dataclass(frozen=True)
class Prepared(Generic[P]):
    """An action ready to apply: its key, what it is, for whom, its reference and its payload."""

    key: str
    job: str
    recipient: str
    reference: str  # e.g. the Message-ID derived from the key, so a repeat carries the same one
    payload: P


@dataclass
class Applied:
    done: list[Prepared] = field(default_factory=list)
    already_done: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0  # time in the apply loop (the effects and the ledger)


def utc_now() -> datetime:
    return datetime.now(UTC)


def done_keys(ledger: Ledger) -> set[str]:
    return {k for k, e in ledger.entries().items() if e.status == SENT}


def apply(prepared: Sequence[Prepared[P]], *, ledger: Ledger, lock: SendLock,
          session: Callable[[], AbstractContextManager[S]], perform: Callable[[S, P], str | None],
          clock: Callable[[], datetime] = utc_now, stop: StopRequest | None = None) -> Applied:
    """Apply each prepared action not yet done, recording every step; see the module docstring.

    Before each action is a safe point: once `stop` is asked (SIGTERM), the actions not tried yet are
    recorded `failed` ("not tried"), so the ledger says exactly what happened, and `Stopped` is raised;
    the next run does them."""
    result = Applied()
    if not prepared:
        return result
    with lock.hold() as others_ran:
        if others_ran:
            ledger.refresh()
        entries = ledger.entries()
        started = time.perf_counter()
        def record(p: Prepared[P], attempts: int, status: str, error: str = "", reference: str | None = None) -> None:
            ledger.record(LedgerEntry(p.key, p.job, p.recipient, status, attempts, error,
                                      reference or p.reference, clock().isoformat(timespec="seconds")))

        todo = []
        for p in prepared:
            previous = entries.get(p.key)
            if previous is not None and previous.status == SENT:
                result.already_done += 1
            else:
                todo.append((p, (previous.attempts if previous else 0) + 1))
        if not todo:
            return result
        with session() as handle, ledger.batch():
            stamp = clock().isoformat(timespec="seconds")
            ledger.begin([LedgerEntry(p.key, p.job, p.recipient, SENDING, n, "", p.reference, stamp) for p, n in todo])
            for i, (p, attempts) in enumerate(todo):
                if stop is not None and stop.requested:
                    at = clock().isoformat(timespec="seconds")
                    for q, n in todo[i:]:
                        ledger.record(LedgerEntry(q.key, q.job, q.recipient, FAILED, n,
                                                  f"not tried: {stop.reason} stopped the run first", q.reference, at))
                    raise Stopped(f"{stop.reason} asked this run to stop; it stopped after {i} of the {len(todo)} "
                                  f"actions of a batch (messages, documents), between two of them. The next run does "
                                  f"the other {len(todo) - i}.")

                try:
                    made = perform(handle, p.payload)  # an effect that makes something returns its reference
                except StopRun as exc:  # e.g. a refused login: no point trying the others
                    record(p, attempts, FAILED, str(exc))
                    raise
                except (ActionFailed, OSError) as exc:
                    record(p, attempts, FAILED, str(exc) or type(exc).__name__)
                    if getattr(exc, "stops_batch", False):
                        left = len(todo) - i - 1
                        result.failures.append(f"{p.key} to {p.recipient}: {exc}; the {left} after it were not "
                                               f"tried (the next run does them)")
                        break
                    result.failures.append(f"{p.key} to {p.recipient}: {exc}")
                    continue
                record(p, attempts, SENT, reference=made)
                result.done.append(replace(p, reference=made or p.reference))
        result.seconds = time.perf_counter() - started
    return result
