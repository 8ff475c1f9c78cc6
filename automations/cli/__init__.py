"""The command line: a thin click layer over the jobs.

`python -m automations [--config PATH] [--as-of YYYY-MM-DD] [--dry-run] COMMAND`. Exit codes:
0 done; 1 the run finished but some items failed (each named on stderr); 2 bad configuration,
credentials or input that stops the run (one sentence, no traceback).

The package: `output` (what the command line prints, and the exit code), `base` (the group, the options every
command takes, running one job), and the commands by area: `checkins` (sync-checkins, compliance, report and
the mail jobs), `program` (blog reviews, funding, conduct, referrals, certificates, forum), `privacy` (export,
erase, retention), `setup` (doctor, init, migrate) and `runs` (run-all, schedule).
"""

from . import checkins, credentials, privacy, program, runs, setup  # noqa: F401  (each registers its commands)
from .base import cli, main
from .output import (
    _guard,  # noqa: F401  (tests/test_faults.py ends a run through it)
    report,
    shown,
)
from .runs import schedulable

__all__ = ["cli", "main", "report", "schedulable", "shown"]
