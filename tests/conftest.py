"""Shared fixtures: a temporary copy of the example program, and a way to run the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    code: int
    out: str
    err: str


#: What the jobs write into the data folder. A copy of the example leaves it out, so that a test starts from
#: the program as a fresh clone has it, whatever runs (the README's first command) happened in this checkout.
JOB_STATE = ("activities.csv", "checkins.csv", "*ledger*", ".mail.lock*", "form_questions.json", ".work_cache*",
             ".reports.mark", ".locks", ".schedule.json", ".credentials_key")


def copy_example(dest: Path, *leave_out: str) -> Path:
    """config.yaml, the templates and the example data (without the jobs' state, nor `leave_out`) into `dest`;
    returns the config's path."""
    shutil.copytree(ROOT / "data", dest / "data", ignore=shutil.ignore_patterns(*JOB_STATE, *leave_out))
    shutil.copy(ROOT / "config.yaml", dest / "config.yaml")
    shutil.copytree(ROOT / "templates", dest / "templates", dirs_exist_ok=True)
    return dest / "config.yaml"


#: What a program puts where the example ships placeholders (`domain.golive`): doctor then says nothing of going live.
GO_LIVE = {
    "program": {"support_email": "ambassadors@mautic.org", "lead_name": "Alex Moreau",
                "forum_intro_url": "https://forum.mautic.org/c/ambassadors/introductions"},
    "mail": {"from_address": "ambassadors@mautic.org", "staff_addresses": ["ambassador-staff@mautic.org"]},
    "blog_reviews": {"reviewers": ["ambassador-staff@mautic.org"]},
    "checkin_form": {"form_url": "https://docs.google.com/forms/d/e/1FAIpQLSd0ambassadorCheckin/viewform",
                     "prefill_email_entry": "entry.1795424631"},
    "referrals": {"answer_form_url": "https://docs.google.com/forms/d/e/1FAIpQLSd0referralAnswer/viewform",
                  "prefill_code_entry": "entry.508923417", "prefill_answer_entry": "entry.1148806126"},
    "certificates": {"signature_image": "templates/certificates/lead-signature.svg",
                     "logo": "templates/certificates/program-logo.svg"},
}


def go_live(config: Path) -> Path:
    """The program's own values where the example's configuration ships placeholders (addresses, form links,
    the lead's name, a signature and a logo of its own, drawn here), kept apart from every other key."""
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    for section, values in GO_LIVE.items():
        data[section] = {**(data.get(section) or {}), **values}
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    art = config.parent / "templates" / "certificates"
    art.mkdir(parents=True, exist_ok=True)
    (art / "lead-signature.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="230" height="100" viewBox="0 0 230 100">'
        '<path d="M10 70 C40 10, 60 90, 90 40 S150 80, 220 30" fill="none" stroke="#1d2733" stroke-width="3"/></svg>\n',
        encoding="utf-8")
    (art / "program-logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120">'
        '<rect x="10" y="10" width="100" height="100" rx="20" fill="#4e5e9e"/></svg>\n', encoding="utf-8")
    return config


@pytest.fixture
def program(tmp_path: Path) -> Path:
    """A copy of config.yaml and the example data in a temporary folder, with no data problem on record yet;
    returns the config path."""
    return copy_example(tmp_path, "unusable_rows.csv")


def run_cli(*args: str, config: Path | None = None, cwd: Path | None = None) -> Run:
    """Run `python -m automations ...` as a subprocess, as cron and staff do."""
    cmd = [sys.executable, "-m", "automations"]
    if config is not None:
        cmd += ["--config", str(config)]
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=cwd or ROOT, timeout=120)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def run_in_process(*args: str, config: Path | None = None) -> Run:
    """The same command line as `run_cli`, in this process (click's test runner: stdout and stderr apart, the
    exit code as `sys.exit` gave it), for tests where what the jobs decide is tested, not the process: no
    interpreter start and imports per run."""
    from click.testing import CliRunner

    from automations.cli import cli as command

    argv = (["--config", str(config)] if config is not None else []) + list(args)
    res = CliRunner().invoke(command, argv, prog_name="automations", catch_exceptions=False)
    return Run(res.exit_code, res.stdout, res.stderr)


@pytest.fixture
def cli():
    """`run_cli`, as a fixture."""
    return run_cli


def outbox_messages(outbox: Path) -> list:
    """Every message the outbox transport wrote under `outbox` (one per `.eml` file, in path order), parsed."""
    from email import message_from_bytes, policy

    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(outbox.rglob("*.eml"))]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` and its bytes, but the run locks (`.locks/`: empty files a run holds, not data)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".locks" not in p.relative_to(folder).parts}


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (aiosmtpd), stopped after the test."""
    from tests import smtp_server as s

    server = s.start()
    yield server
    server.controller.stop()


def use_smtp(config: Path, server) -> None:
    """Point a temporary program's config at the loopback SMTP server (plain, no rate limit, fast retries)."""
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["mail"]["transport"] = "smtp"
    data["mail"]["smtp"].update(host=server.host, port=server.port, security="none", rate_per_second=0,
                                retry_backoff_seconds=0, timeout_seconds=10)
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def airtable_base():
    """An empty fake Airtable base on 127.0.0.1, rate limited on a manual clock (nothing sleeps)."""
    from tests.airtable_env import BASE, TOKEN
    from tests.fake_airtable import FakeAirtable, ManualClock

    clock = ManualClock(start=1000.0)
    with FakeAirtable(token=TOKEN, base_ids=(BASE,), clock=clock.now, wall=clock.wall) as fake:
        yield fake, clock


@pytest.fixture
def airtable(program, airtable_base):
    """The example program on the fake base: `init` has made the tables and the roster is in Ambassadors."""
    from datetime import date

    from tests.airtable_env import AirtableEnv, seed_roster, use_airtable

    fake, clock = airtable_base
    use_airtable(program, fake.url)
    env = AirtableEnv(fake, clock, program)
    env.ctx(date(2026, 11, 23)).stores.admin.init(dry_run=False)
    seed_roster(env, program.parent / "data" / "ambassadors.csv")
    fake.reset_log()
    return env


def wait_for(condition, seconds: float = 120) -> None:
    """Until `condition()` holds (asked again and again: it reads the thing itself, a lock, a file, a server's
    count, a process's state); the deadline only ends a test that would otherwise hang."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def waiting_for_the_lock(pid: int) -> bool:
    """Whether process `pid` sleeps in its run lock's wait now: the lock is polled (filelock tries the flock
    without blocking and sleeps between tries), and nothing else a run does before taking its lock sleeps, so a
    run asleep in a nanosleep is the one waiting for the lock (Linux: /proc/PID/wchan)."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text().strip() in ("hrtimer_nanosleep", "do_nanosleep")
    except OSError:
        return False
