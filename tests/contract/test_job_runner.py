"""The JobRunner contract (`scheduler.JobRunner`): the scheduler's way of running one command to its end and
saying how it ended: its exit code, the outcome word (`done`, `failed`, `error`, `skipped`) and a one-line summary
from what the command printed. Adapter: `SubprocessJobRunner` (a child process per run).

The child here is a stand-in for `python -m automations COMMAND` that prints what the command line prints in each
case (the CLI's own outcomes are tested in tests/test_schedule.py), so the contract runs in well under a second."""

from __future__ import annotations

import logging
import sys

import pytest

from automations.stopping import StopRequest

#: `python -c SCRIPT COMMAND`: what the command line prints and the code it exits with, by command.
SCRIPT = r"""
import sys
command = sys.argv[1:]
if command == ["compliance"]:
    print("[compliance] 12 ambassadors checked"); print("[compliance] 3 messages sent"); sys.exit(0)
if command == ["sync-checkins"]:
    print("skipped: another run of sync-checkins holds its lock"); sys.exit(0)
if command == ["report", "--quarter", "2026Q3"]:
    print("failed: report.pdf could not be drawn", file=sys.stderr); sys.exit(1)
print("Error: unknown command " + " ".join(command), file=sys.stderr); sys.exit(2)
"""


class JobRunnerContract:
    """A subclass gives `runner`: a JobRunner whose commands behave as `SCRIPT` says."""

    @pytest.fixture
    def runner(self):
        raise NotImplementedError

    def test_a_run_that_did_its_work(self, runner):
        got = runner("compliance")
        assert (got.exit_code, got.outcome) == (0, "done") and "3 messages sent" in got.summary

    def test_a_run_that_found_another_running(self, runner):
        got = runner("sync-checkins")
        assert (got.exit_code, got.outcome) == (0, "skipped") and got.summary.startswith("skipped:")

    def test_a_run_that_failed_says_what(self, runner):
        """A command with arguments is run with them; what failed is the summary."""
        got = runner("report --quarter 2026Q3")
        assert (got.exit_code, got.outcome, got.summary) == (1, "failed", "failed: report.pdf could not be drawn")

    def test_a_run_that_stopped_before_harm(self, runner):
        got = runner("no-such-command")
        assert (got.exit_code, got.outcome) == (2, "error") and "no-such-command" in got.summary


class TestSubprocessJobRunner(JobRunnerContract):
    @pytest.fixture
    def runner(self):
        from automations.adapters.process.job_runner import SubprocessJobRunner

        return SubprocessJobRunner([sys.executable, "-c", SCRIPT], StopRequest(), 5,
                                   logging.getLogger("tests.contract.job_runner"), poll_seconds=0.01)

    def test_the_output_is_logged_as_it_comes(self, runner, caplog):
        """Stdout at INFO, stderr at WARNING, each line under the command's name."""
        with caplog.at_level(logging.INFO, logger="tests.contract.job_runner"):
            runner("compliance")
            runner("report --quarter 2026Q3")
        lines = [(r.levelno, r.getMessage()) for r in caplog.records]
        assert (logging.INFO, "compliance: [compliance] 3 messages sent") in lines
        assert (logging.WARNING, "report --quarter 2026Q3: failed: report.pdf could not be drawn") in lines
