"""The two kinds of failure the command line turns into exit codes.

`StopRun` (exit 2) stops a run before it does anything: bad configuration, credentials or an
input file whose shape is wrong. Its message is one sentence a staff member can act on, and
never holds a secret. Problems with single rows are not exceptions: they are `Problem` values
reported at the end of a run (exit 1).
"""


class StopRun(Exception):
    """Something that stops the whole run; the message is shown as it is."""


class ConfigError(StopRun):
    """The configuration file is missing, malformed, or has a wrong key or value."""


class InputError(StopRun):
    """An input file or sheet is missing or its headers do not match the configuration."""


class ServiceUnavailable(Exception):
    """A remote service (Airtable, a mail server) did not answer within the retry budget.

    The run stops where it is with exit 1 (something failed in this run); everything recorded so
    far stays, and the next run completes the work.
    """


class Stopped(Exception):
    """A stop was asked (SIGTERM, Ctrl-C) and the run stopped at a safe point, between two actions.

    Exit 1: the run did not do everything. The action under way finished and was recorded, nothing
    is half-written, and the next run does the rest (`stopping`).
    """

    #: What the run finished before it stopped (the jobs' results), set where it is raised, to report.
    results: list[object]


class AlreadyRunning(Exception):
    """Another run of the same command holds its run lock, and went on holding it for the whole wait.

    An expected overlap (a cron run while the scheduler's run of the same job is under way) skips with
    exit 0; `stuck` is True when the other run has held the lock for longer than
    `schedule.stuck_after_minutes`, which is exit 1 so that a run that hangs is seen.
    """

    def __init__(self, message: str, stuck: bool = False):
        super().__init__(message)
        self.stuck = stuck
