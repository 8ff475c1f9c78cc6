"""A graceful stop: SIGTERM or Ctrl-C asks a run to stop at its next safe point.

A signal only sets the run's `StopRequest`; nothing is interrupted. The places where stopping
leaves everything whole look at it: `effects.apply` before each action (a message, a document),
`run-all` between its jobs, the scheduler between runs. So the action under way (a message being
sent and recorded, a file being replaced) always finishes, and what is left is exactly what a
later run does anyway. Repeated SIGTERMs change nothing (systemd and the scheduler may both send
one); a second Ctrl-C on a terminal interrupts at once, for a person who does not want to wait.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from .errors import Stopped


class StopRequest:
    """Whether a stop was asked, and by what (e.g. "SIGTERM"). Set from a signal handler: it only
    records, so it is safe to set at any moment."""

    def __init__(self) -> None:
        self.reason = ""

    @property
    def requested(self) -> bool:
        return bool(self.reason)

    def ask(self, reason: str) -> None:
        if not self.reason:
            self.reason = reason

    def check(self, done: Iterable[object] = ()) -> None:
        """A safe point: raise `Stopped` if a stop was asked. `done` names what this run finished
        (job names, or results with a `job`), for the message."""
        if not self.requested:
            return
        names = [getattr(d, "job", d) for d in done]
        after = f" after {', '.join(map(str, names))}" if names else ""
        exc = Stopped(f"{self.reason} asked this run to stop; it stopped{after}, between two actions. "
                      f"The next run does the rest.")
        exc.results = [d for d in done if hasattr(d, "new_problems")]  # what the run finished, to report
        raise exc


@contextmanager
def on_signals(stop: StopRequest, interrupt_on_second_sigint: bool = True) -> Iterator[StopRequest]:
    """While inside, SIGTERM and SIGINT ask `stop` instead of ending the process; the handlers in place
    before are restored after. Outside the main thread (where Python delivers signals) nothing is
    installed."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, _frame) -> None:
        if signum == signal.SIGINT and stop.requested and interrupt_on_second_sigint:
            raise KeyboardInterrupt
        stop.ask(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
