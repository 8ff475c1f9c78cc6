"""`SubprocessJobRunner`: each scheduled run as a child process, `python -m automations ... COMMAND`.

A child per run keeps runs apart: memory a job used goes back when it ends, a crash or a leak in
one run cannot take the scheduler down, and the child is exactly what a cron line runs (the same
run lock, exit codes and output). Its output is logged line by line as it comes (stdout at INFO,
stderr at WARNING), through the scheduler's logger and so its secret redaction.

The child runs in a session of its own, so a Ctrl-C on the scheduler's terminal reaches only the
scheduler, which passes the stop on once (SIGTERM) and waits for the child to finish its current
action, at most `stop_wait_seconds`; after that the child is killed (SIGKILL).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from ...scheduler import RunOutcome, summarize
from ...stopping import StopRequest

#: The folder holding the `automations` package: the child imports the very code the scheduler runs.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent


class SubprocessJobRunner:
    def __init__(self, argv: Sequence[str], stop: StopRequest, stop_wait_seconds: float, log: logging.Logger,
                 environ: Mapping[str, str] | None = None, poll_seconds: float = 0.1):
        self.argv = list(argv)  # e.g. [python, -m, automations, --config, /abs/config.yaml]
        self.stop = stop
        self.stop_wait_seconds = stop_wait_seconds
        self.log = log
        env = dict(os.environ if environ is None else environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        self.env = env
        self.poll_seconds = poll_seconds

    def __call__(self, command: str) -> RunOutcome:
        proc = subprocess.Popen([*self.argv, *command.split()], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
                                env=self.env, start_new_session=True)
        out: list[str] = []
        err: list[str] = []
        readers = [threading.Thread(target=self._read, args=(proc.stdout, out, command, "stdout"), daemon=True),
                   threading.Thread(target=self._read, args=(proc.stderr, err, command, "stderr"), daemon=True)]
        for r in readers:
            r.start()
        asked_at: float | None = None
        killed = False
        while True:
            try:
                code = proc.wait(timeout=self.poll_seconds)
                break
            except subprocess.TimeoutExpired:
                pass
            if self.stop.requested and asked_at is None:
                asked_at = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                self.log.info(f"{command}: {self.stop.reason} received; asked the run (process {proc.pid}) to stop "
                              f"after its current action, waiting up to {self.stop_wait_seconds:g} s",
                              extra={"fields": {"event": "stopping", "job": command, "pid": proc.pid}})
            elif asked_at is not None and not killed and time.monotonic() - asked_at > self.stop_wait_seconds:
                proc.kill()
                killed = True
                self.log.warning(f"{command}: still running {self.stop_wait_seconds:g} s after the stop request; "
                                 f"killed process {proc.pid}",
                                 extra={"fields": {"event": "killed", "job": command, "pid": proc.pid}})
        for r in readers:
            r.join(timeout=5)
        outcome, summary = summarize(code, out, err, killed)
        return RunOutcome(code, outcome, summary)

    def _read(self, stream: IO[str], lines: list[str], command: str, name: str) -> None:
        level = logging.INFO if name == "stdout" else logging.WARNING
        with stream:
            for raw in stream:
                line = raw.rstrip("\r\n")
                lines.append(line)
                if line.strip():
                    self.log.log(level, f"{command}: {line}",
                                 extra={"fields": {"event": "output", "job": command, "stream": name, "line": line}})
