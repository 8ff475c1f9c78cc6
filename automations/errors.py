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
