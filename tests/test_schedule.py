"""The scheduler (issue 10): the cadence grammar, each job at its cadence over a simulated week (a clock
moved with time-machine, nothing sleeps), one run at a time, the catch-up rule, a clean stop, and its
log (plain or JSON, with every secret redacted)."""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml

from automations import bootstrap, run_log
from automations.adapters.files.schedule_state import JsonScheduleState
from automations.adapters.process.job_runner import SubprocessJobRunner
from automations.config import load_config
from automations.domain.cadence import Cadence, CadenceError, latest_slot, missed, parse
from automations.errors import ConfigError
from automations.scheduler import JobScheduler, RunOutcome, summarize
from automations.stopping import StopRequest

LONDON = ZoneInfo("Europe/London")
UTC = UTC


class TestCadenceGrammar:
    @pytest.mark.parametrize("text, expected", [
        ("every day at 06:30", Cadence("every day at 06:30", "days", at=time(6, 30))),
        ("Every  Monday at 7:00", Cadence("every monday at 7:00", "weeks", weekday="monday", at=time(7, 0))),
        ("every hour", Cadence("every hour", "hours")),
        ("every hour at :15", Cadence("every hour at :15", "hours", at=time(0, 15))),
        ("every 2 hours", Cadence("every 2 hours", "hours", interval=2)),
        ("every minute", Cadence("every minute", "minutes")),
        ("every 15 minutes", Cadence("every 15 minutes", "minutes", interval=15)),
    ])
    def test_phrases_it_reads(self, text, expected):
        """Each phrase of the grammar, case and spacing ignored, becomes its cadence."""
        assert parse(text) == expected

    @pytest.mark.parametrize("text, says", [
        ("every dya at 06:30", "is not a cadence this version reads"),
        ("daily", "is not a cadence this version reads"),
        ("every day", "needs a time of day"),
        ("every day at 25:00", "does not exist"),
        ("every hour at :75", "does not exist"),
        ("every 0 hours", "at least 1"),
    ])
    def test_phrases_it_refuses_say_why(self, text, says):
        """A phrase outside the grammar is refused with the reason, and the error quotes it."""
        with pytest.raises(CadenceError) as err:
            parse(text)
        assert says in err.value.reason and repr(text) in str(err.value)


class TestCatchUpRule:
    def test_latest_slot_of_a_daily_cadence(self):
        """Before today's 06:30 the latest slot is yesterday's; from 06:30 on, today's."""
        c = parse("every day at 06:30")
        assert latest_slot(c, datetime(2026, 11, 25, 6, 29, tzinfo=LONDON)) == datetime(2026, 11, 24, 6, 30,
                                                                                        tzinfo=LONDON)
        assert latest_slot(c, datetime(2026, 11, 25, 6, 30, tzinfo=LONDON)) == datetime(2026, 11, 25, 6, 30,
                                                                                        tzinfo=LONDON)

    def test_latest_slot_of_a_weekly_and_an_hourly_cadence(self):
        """Mondays at 07:00 seen on a Wednesday: this week's Monday; :15 past each hour at 10:10: 09:15."""
        wednesday = datetime(2026, 11, 25, 10, 10, tzinfo=LONDON)
        assert latest_slot(parse("every monday at 07:00"), wednesday) == datetime(2026, 11, 23, 7, tzinfo=LONDON)
        assert latest_slot(parse("every monday at 07:00"), datetime(2026, 11, 23, 6, 59, tzinfo=LONDON)) == \
            datetime(2026, 11, 16, 7, tzinfo=LONDON)
        assert latest_slot(parse("every hour at :15"), wednesday) == datetime(2026, 11, 25, 9, 15, tzinfo=LONDON)
        assert latest_slot(parse("every 2 hours"), wednesday) is None

    def test_missed_when_a_slot_passed_since_the_last_start(self):
        """A fixed cadence missed a run when its latest slot came after the last recorded start; an interval
        cadence when a whole interval has passed; a job never recorded missed nothing."""
        now = datetime(2026, 11, 25, 9, 0, tzinfo=LONDON)
        daily = parse("every day at 06:30")
        assert missed(daily, datetime(2026, 11, 24, 6, 30, tzinfo=LONDON), now)
        assert not missed(daily, datetime(2026, 11, 25, 6, 30, 2, tzinfo=LONDON), now)
        assert not missed(daily, None, now)
        every6 = parse("every 6 hours")
        assert missed(every6, now - timedelta(hours=6), now) and not missed(every6, now - timedelta(hours=5), now)


def write_config(program: Path, **schedule_keys) -> None:
    data = yaml.safe_load(program.read_text(encoding="utf-8"))
    data["schedule"] = {**data.get("schedule", {}), **schedule_keys}
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "automations", *args], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent)


class TestConfiguration:
    def test_a_bad_cadence_is_one_sentence_naming_key_job_and_value(self, program):
        """`schedule.jobs: {run-all: every dya at 06:30}` stops the configuration from loading, with one
        sentence naming the key, the job, the value and how a cadence is written."""
        write_config(program, jobs={"run-all": "every dya at 06:30"})
        with pytest.raises(ConfigError) as err:
            load_config(program)
        text = str(err.value)
        assert "'schedule.jobs'" in text and "'run-all'" in text and "'every dya at 06:30'" in text
        assert "every day at 06:30" in text and "\n" not in text

    def test_defaults_are_valid_and_named_after_commands(self, program):
        """The shipped config.yaml schedules run-all daily and names only commands of the command line."""
        from automations.cli import schedulable

        jobs = load_config(program).schedule.jobs
        assert parse(jobs["run-all"]).unit == "days"
        for name in jobs:
            schedulable(name)  # raises for a name that is not a command

    def test_a_job_that_is_no_command_stops_the_scheduler(self, program):
        """A job name that is not a command (a typo) is exit 2 with one sentence naming it; so are `schedule`
        itself and a group; a group's command ("conduct purge") is a job like any other."""
        from automations.cli import schedulable

        write_config(program, jobs={"run-all": "every day at 06:30", "digets": "every monday at 08:00"})
        res = run_cli("--config", str(program), "schedule")
        assert res.returncode == 2 and "'digets'" in res.stderr and "Traceback" not in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
        for name in ("schedule", "conduct", "run-all --dry-run"):
            with pytest.raises(ConfigError):
                schedulable(name)
        schedulable("conduct purge")


@dataclass
class SimulatedRunner:
    """Stands in for the child process: each run takes `durations[job]` of simulated time (the clock is
    moved on), and is recorded with its start and end. It fails the test if a run starts while another
    is under way."""

    traveller: time_machine.Traveller
    durations: dict[str, timedelta] = field(default_factory=dict)
    runs: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    running: str | None = None
    on_run: object = None

    def __call__(self, command: str) -> RunOutcome:
        assert self.running is None, f"{command} started while {self.running} was running"
        self.running = command
        start = datetime.now(UTC)
        if callable(self.on_run):
            self.on_run(command)
        self.traveller.shift(self.durations.get(command, timedelta(seconds=20)))
        self.runs.append((command, start, datetime.now(UTC)))
        self.running = None
        return RunOutcome(0, "done", f"{command} ran")

    def starts(self, job: str) -> list[datetime]:
        return [s.astimezone(LONDON) for j, s, _ in self.runs if j == job]


def make_scheduler(tmp_path: Path, runner, jobs: dict[str, str], catch_up="once", stop=None, stream=None):
    log = run_log.build_logger("plain", [], stream if stream is not None else io.StringIO())
    return JobScheduler({n: parse(c) for n, c in jobs.items()}, "Europe/London", runner,
                        JsonScheduleState(tmp_path / ".schedule.json"), log, stop or StopRequest(), catch_up)


def advance(scheduler: JobScheduler, traveller, until: datetime, step=timedelta(minutes=1)) -> None:
    """Move the clock on a minute at a time (runs move it further), giving the scheduler a tick each time."""
    while datetime.now(UTC) < until:
        traveller.shift(step)
        scheduler.tick()


WEEK_START = datetime(2026, 10, 22, 0, 0, tzinfo=LONDON)  # a Thursday; summer time ends on Sunday the 25th


class TestCadencesOverAWeek:
    def test_each_job_runs_at_its_cadence(self, tmp_path):
        """Over a simulated week that crosses the end of summer time: run-all at 06:30 London time every day
        (7 runs), report on Monday at 07:00 (1), a job every hour at :15 (each clock hour once), one every
        6 hours (6 h apart, counted from the end of the run before)."""
        with time_machine.travel(WEEK_START, tick=False) as traveller:
            runner = SimulatedRunner(traveller)
            scheduler = make_scheduler(tmp_path, runner, {
                "run-all": "every day at 06:30", "report": "every monday at 07:00",
                "digest": "every hour at :15", "sync-checkins": "every 6 hours"})
            advance(scheduler, traveller, WEEK_START + timedelta(days=7))
        daily = runner.starts("run-all")
        assert [(d.date().isoformat(), d.strftime("%H:%M")) for d in daily] == \
            [((WEEK_START + timedelta(days=i)).date().isoformat(), "06:30") for i in range(7)]
        assert {d.utcoffset() for d in daily} == {timedelta(hours=1), timedelta(0)}  # both sides of the change
        assert [(d.strftime("%A %H:%M")) for d in runner.starts("report")] == ["Monday 07:00"]
        hourly = runner.starts("digest")
        # 169 hours passed (the clocks went back an hour); the hour that repeats has its :15 once, as on a clock.
        assert len(hourly) == 168 and {d.minute for d in hourly} == {15}
        assert len({d.astimezone(UTC).replace(minute=0, second=0) for d in hourly}) == 168
        # An interval counts from the end of the run before (20 simulated seconds here), never less.
        six = runner.starts("sync-checkins")
        gaps = [b - a for a, b in itertools.pairwise(six)]
        assert len(six) >= 27 and all(timedelta(hours=6) <= g <= timedelta(hours=6, minutes=2) for g in gaps)

    def test_never_two_runs_at_once_and_no_burst_after_a_long_run(self, tmp_path):
        """A run that takes 3 hours holds up the hourly job (nothing starts while it runs) and is not followed
        by a burst of the slots it covered: the hourly job runs once after it, then hourly again."""
        start = datetime(2026, 11, 23, 5, 0, tzinfo=LONDON)
        with time_machine.travel(start, tick=False) as traveller:
            runner = SimulatedRunner(traveller, durations={"run-all": timedelta(hours=3)})
            scheduler = make_scheduler(tmp_path, runner, {"run-all": "every day at 06:30",
                                                          "digest": "every hour at :15"})
            advance(scheduler, traveller, start + timedelta(hours=8))
        ends = [(s, e) for _, s, e in runner.runs]
        assert all(b_start >= a_end for (_, a_end), (b_start, _) in itertools.pairwise(ends))
        hourly = [d.strftime("%H:%M") for d in runner.starts("digest")]
        assert hourly == ["05:15", "06:15", "09:31", "10:15", "11:15", "12:15"]


class TestCatchUp:
    def run_start(self, tmp_path, catch_up: str, last: datetime | None, jobs=None) -> SimulatedRunner:
        state = JsonScheduleState(tmp_path / ".schedule.json")
        if last is not None:
            for job in jobs or ["run-all"]:
                state.record(job, last, 0)
        now = datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)
        with time_machine.travel(now, tick=False) as traveller:
            runner = SimulatedRunner(traveller)
            scheduler = make_scheduler(tmp_path, runner, {"run-all": "every day at 06:30",
                                                          "sync-checkins": "every 6 hours"}
                                       if jobs else {"run-all": "every day at 06:30"}, catch_up)
            scheduler.catch_up_missed()
            advance(scheduler, traveller, now + timedelta(hours=1))
        return runner

    def test_once_runs_a_missed_job_once_at_start(self, tmp_path):
        """Down for two days (three 06:30 slots missed): `once` runs run-all once, at start, not three times."""
        runner = self.run_start(tmp_path, "once", datetime(2026, 11, 23, 6, 30, tzinfo=LONDON))
        assert [(j, s.astimezone(LONDON).strftime("%d %H:%M")) for j, s, _ in runner.runs] == [("run-all", "25 10:00")]

    def test_skip_waits_for_the_next_slot(self, tmp_path):
        """With `skip` nothing runs at start; run-all waits for tomorrow's 06:30."""
        assert self.run_start(tmp_path, "skip", datetime(2026, 11, 23, 6, 30, tzinfo=LONDON)).runs == []

    def test_a_first_start_catches_nothing_up(self, tmp_path):
        """With nothing recorded (a first start) no slot counts as missed."""
        assert self.run_start(tmp_path, "once", None).runs == []

    def test_interval_jobs_catch_up_after_a_whole_interval(self, tmp_path):
        """An interval job last started 7 hours ago (every 6 hours) runs once at start, after the fixed one."""
        runner = self.run_start(tmp_path, "once", datetime(2026, 11, 25, 3, 0, tzinfo=LONDON),
                                jobs=["run-all", "sync-checkins"])
        assert [j for j, _, _ in runner.runs] == ["run-all", "sync-checkins"]

    def test_each_finished_run_is_recorded(self, tmp_path):
        """A run that finished is recorded with its start (so a restart knows it happened)."""
        self.run_start(tmp_path, "once", datetime(2026, 11, 23, 6, 30, tzinfo=LONDON))
        state = JsonScheduleState(tmp_path / ".schedule.json")
        assert state.last_start("run-all") == datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)


class TestStop:
    def test_no_run_starts_after_a_stop_and_the_stopped_run_is_not_recorded(self, tmp_path):
        """A stop asked during a run: the job due at the same time does not start, no tick runs anything,
        and the interrupted run is not recorded as done (a restart catches it up)."""
        stop = StopRequest()
        now = datetime(2026, 11, 25, 6, 29, tzinfo=LONDON)
        with time_machine.travel(now, tick=False) as traveller:
            runner = SimulatedRunner(traveller, on_run=lambda job: stop.ask("SIGTERM"))

            def stopped_runner(command: str) -> RunOutcome:
                runner(command)
                return RunOutcome(1, "stopped", "stopped: SIGTERM asked this run to stop")

            scheduler = make_scheduler(tmp_path, stopped_runner, {"run-all": "every day at 06:30",
                                                                  "certificates": "every day at 06:30"}, stop=stop)
            advance(scheduler, traveller, now + timedelta(hours=2))
        assert [j for j, _, _ in runner.runs] == ["run-all"]
        assert JsonScheduleState(tmp_path / ".schedule.json").last_start("run-all") is None

    def test_serve_returns_once_stopped(self, tmp_path):
        """`serve` logs its start, and returns with a last line once a stop is asked (here while it sleeps)."""
        stop, stream = StopRequest(), io.StringIO()
        scheduler = make_scheduler(tmp_path, lambda c: RunOutcome(0, "done", ""), {"run-all": "every day at 06:30"},
                                   stop=stop, stream=stream)
        scheduler.serve(sleep=lambda seconds: stop.ask("SIGTERM"))
        lines = stream.getvalue().splitlines()
        assert "scheduler started" in lines[0] and "run-all every day at 06:30 (next " in lines[0]
        assert lines[-1].endswith("scheduler stopped (SIGTERM); exit 0")


class TestRunLogLine:
    def run_once(self, tmp_path, fmt: str, outcome: RunOutcome) -> str:
        stream = io.StringIO()
        log = run_log.build_logger(fmt, [], stream)
        now = datetime(2026, 11, 25, 6, 30, tzinfo=LONDON)
        with time_machine.travel(now, tick=False) as traveller:
            def runner(command):
                traveller.shift(timedelta(seconds=12.5))
                return outcome

            JobScheduler({"run-all": parse("every day at 06:30")}, "Europe/London", runner,
                         JsonScheduleState(tmp_path / "s.json"), log, StopRequest()).run("run-all")
        return stream.getvalue().splitlines()[-1]

    def test_plain_line_has_job_start_duration_exit_code_and_summary(self, tmp_path):
        """One plain line per run: time, level (WARNING when it failed), job, outcome, exit code, duration, start
        in the schedule's zone, and the summary."""
        line = self.run_once(tmp_path, "plain", RunOutcome(1, "failed", "failed: funding: x; not sent"))
        assert line.startswith("2026-11-25T06:30:12+00:00 WARNING run-all: failed, exit 1, 12.5 s (started "
                               "2026-11-25 06:30:00 GMT): failed: funding: x; not sent")

    def test_json_line_has_the_same_facts_as_keys(self, tmp_path):
        """With the JSON format the run's line is one object holding the same facts as keys."""
        entry = json.loads(self.run_once(tmp_path, "json", RunOutcome(0, "done", "3 messages sent; ok")))
        assert {k: entry[k] for k in ("event", "job", "start", "duration_seconds", "exit_code", "outcome",
                                      "summary", "level")} == {
            "event": "run", "job": "run-all", "start": "2026-11-25T06:30:00+00:00", "duration_seconds": 12.5,
            "exit_code": 0, "outcome": "done", "summary": "3 messages sent; ok", "level": "info"}


class TestSummaries:
    def test_outcomes_from_exit_code_and_output(self):
        """The outcome and the one-line summary come from what the command line printed."""
        assert summarize(0, ["[reminders] 3 messages sent to outbox", "[digest] 1 message sent via smtp",
                             "8 data problems still open"], []) == \
            ("done", "4 messages sent; 8 data problems still open")
        assert summarize(0, ["skipped: run-all has been running since ..."], []) [0] == "skipped"
        assert summarize(1, [], ["stopped: SIGTERM asked this run to stop; ..."])[0] == "stopped"
        assert summarize(1, ["x"], ["failed: a", "failed: b", "failed: c"]) == \
            ("failed", "failed: a (and 2 more lines)")
        assert summarize(2, [], ["Error: In config.yaml: ..."]) == ("error", "Error: In config.yaml: ...")
        assert summarize(-9, [], [], killed=True)[0] == "killed"


TOKEN = "patSECRETairtable0123456789.abcdef"
PASSWORD = "smtp-pa55word-secret"
DISCOURSE = "discourse-key-0123456789abcdef"
PRIVATE_KEY = ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
               "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN\n-----END PRIVATE KEY-----\n")


class TestNoSecretInTheLog:
    def test_secret_values_come_from_the_named_variables_and_the_key_file(self, program, tmp_path):
        """The values redacted are those of the variables the configuration names, and the Google key's
        private key (whole, escaped, and line by line) and its id."""
        key = tmp_path / "key.json"
        key.write_text(json.dumps({"type": "service_account", "private_key": PRIVATE_KEY,
                                   "private_key_id": "0123456789abcdef0123"}))
        env = {"AIRTABLE_TOKEN": TOKEN, "SMTP_PASSWORD": PASSWORD, "DISCOURSE_API_KEY": DISCOURSE,
               "GOOGLE_APPLICATION_CREDENTIALS": str(key), "UNRELATED": "not-a-secret-value"}
        found = bootstrap.secret_values(load_config(program), env)
        assert {TOKEN, PASSWORD, DISCOURSE, PRIVATE_KEY, "0123456789abcdef0123"} <= set(found)
        assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" in found
        assert "not-a-secret-value" not in found

    @pytest.mark.parametrize("fmt", ["plain", "json"])
    def test_a_job_printing_secrets_leaves_none_in_the_log(self, fmt):
        """A real child process that prints the token, the password and a key line (on stdout and stderr):
        the log has each line, with `[redacted]` where the secrets were."""
        stream = io.StringIO()
        log = run_log.build_logger(fmt, [TOKEN, PASSWORD, DISCOURSE, PRIVATE_KEY,
                                         *[ln for ln in PRIVATE_KEY.splitlines() if "-----" not in ln]], stream)
        script = ("import sys; print('token', sys.argv[1]); print('login failed for', sys.argv[2], file=sys.stderr);"
                  "print(repr(sys.argv[3])); sys.exit(1)")
        runner = SubprocessJobRunner([sys.executable, "-c", script, TOKEN, PASSWORD, PRIVATE_KEY], StopRequest(), 5,
                                     log)
        outcome = runner("job")
        text = stream.getvalue()
        assert outcome.exit_code == 1 and outcome.outcome == "failed"
        for secret in (TOKEN, PASSWORD, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
                       "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN"):
            assert secret not in text
        assert text.count("[redacted]") >= 4 and "login failed for [redacted]" in text
