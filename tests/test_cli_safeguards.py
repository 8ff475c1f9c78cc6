"""Runs staff can trust (issue 8): options after the command, addresses and transports checked when
the configuration loads, control characters escaped in what the command line prints, an oversized
CSV cell as one sentence, stale temporary files cleaned up."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from automations.cli import shown
from tests.conftest import ROOT, snapshot

AS_OF = "2026-11-23"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`python -m automations ARGS` exactly as given (no --config added in front)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "automations", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def edit_csv(path: Path, change) -> None:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


class TestOptionsAfterTheCommand:
    def test_dry_run_after_run_all_writes_nothing(self, program):
        """`run-all --dry-run` is a dry run: the folder is byte for byte as it was."""
        before = snapshot(program.parent)
        res = run("--config", str(program), "--as-of", AS_OF, "run-all", "--dry-run")
        assert res.returncode in (0, 1), res.stderr
        assert "(dry run)" in res.stdout
        assert snapshot(program.parent) == before

    def test_dry_run_before_the_command_still_works(self, program):
        before = snapshot(program.parent)
        res = run("--config", str(program), "--dry-run", "--as-of", AS_OF, "run-all")
        assert res.returncode in (0, 1) and "(dry run)" in res.stdout
        assert snapshot(program.parent) == before

    def test_as_of_after_the_command_wins(self, program):
        """`--as-of` after the command replaces the one before it: on 10 October Q3 is not final, on
        23 November it is."""
        assert run("--config", str(program), "--as-of", AS_OF, "sync-checkins").returncode in (0, 1)
        res = run("--config", str(program), "--as-of", "2026-10-10", "compliance", "--quarter", "2026Q3",
                  "--as-of", AS_OF, "--format", "json")
        assert res.returncode in (0, 1), res.stderr
        assert json.loads(res.stdout)["final"] is True
        early = run("--config", str(program), "compliance", "--as-of", "2026-10-10", "--quarter", "2026Q3",
                    "--format", "json")
        assert json.loads(early.stdout)["final"] is False

    def test_config_after_the_command(self, program, tmp_path):
        """`--config PATH` after the command is the configuration used, over one before it."""
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        res = run("--config", str(elsewhere / "missing.yaml"), "sync-checkins", "--as-of", AS_OF,
                  "--config", str(program), cwd=elsewhere)
        assert res.returncode in (0, 1), res.stderr
        assert (program.parent / "data" / "activities.csv").is_file()
        missing = run("sync-checkins", "--config", str(elsewhere / "missing.yaml"), cwd=elsewhere)
        assert missing.returncode == 2 and "missing.yaml does not exist" in missing.stderr

    def test_a_bad_date_after_the_command_is_refused(self, program):
        res = run("--config", str(program), "compliance", "--as-of", "23/11/2026")
        assert res.returncode == 2 and "2026-11-23" in res.stderr and "Traceback" not in res.stderr


class TestControlCharactersEscaped:
    def test_shown_escapes_every_control_character(self):
        assert shown("a@b.org\r\nBcc: x@y\tz") == "a@b.org\\r\\nBcc: x@y\\tz"
        assert shown("\x1b[31mred\x00\x7f\x85\u2028é ok") == "\\x1b[31mred\\x00\\x7f\\x85\\u2028é ok"

    def test_refused_reviewer_address_is_one_escaped_line(self, program):
        """A reviewer cell "ana@example.org\\r\\nBcc: x@y.org": the failed line shows \\r\\n, and no
        line of the output is made by the cell."""
        edit_csv(program.parent / "data" / "blog_proposals.csv",
                 lambda rows: rows[1].__setitem__(3, "ana@example.org\r\nBcc: x@y.org"))
        res = subprocess.run([sys.executable, "-m", "automations", "--config", str(program), "--as-of", AS_OF,
                              "blog-reviews"], capture_output=True, cwd=ROOT, timeout=120)
        assert res.returncode == 1
        err = res.stderr.decode("utf-8")
        failed = [line for line in err.split("\n") if line.startswith("failed:")]
        assert len(failed) == 1 and "ana@example.org\\r\\nbcc: x@y.org" in failed[0]
        assert "\r" not in err and not any(line.lower().startswith("bcc") for line in err.split("\n"))

    def test_responses_and_roster_cells_with_line_breaks(self, program):
        """CR/LF and a terminal escape in a roster and a responses row never reach the terminal raw."""
        data = program.parent / "data"
        edit_csv(data / "ambassadors.csv", lambda rows: rows[1].__setitem__(1, "priya@example.org\r\nBcc: x@y.org"))

        def responses(rows):
            rows[1][1] = "rahul.verma@example.net\r\nfailed: forged"
            rows[2][5] = "A title\r\n\x1b[2Jwith breaks"

        edit_csv(data / "checkin_responses.csv", responses)
        res = subprocess.run([sys.executable, "-m", "automations", "--config", str(program), "--as-of", AS_OF,
                              "run-all"], capture_output=True, cwd=ROOT, timeout=120)
        out, err = res.stdout.decode("utf-8"), res.stderr.decode("utf-8")
        assert res.returncode == 1
        assert "\r" not in out + err and "\x1b" not in out + err
        assert not any(line.startswith("failed: forged") for line in err.split("\n"))
        assert any("rahul.verma@example.net\\r\\nfailed: forged" in line for line in err.split("\n"))


BIG = "x" * (10 * 1024 * 1024 + 1)  # one character over the 10 MiB a cell may hold


class TestOversizedCell:
    def test_in_the_responses_is_one_sentence(self, program):
        """A responses cell over 10 MiB: exit 2, one sentence naming the file, the row, the line and the
        limit, no traceback."""
        edit_csv(program.parent / "data" / "checkin_responses.csv", lambda rows: rows[4].__setitem__(5, BIG))
        res = run("--config", str(program), "--as-of", AS_OF, "sync-checkins")
        assert res.returncode == 2 and "Traceback" not in res.stderr and "_csv" not in res.stderr
        line = res.stderr.strip()
        assert "\n" not in line and "checkin_responses.csv" in line
        assert "row 5 (line 5)" in line and "10 MiB" in line

    def test_in_the_roster_is_one_sentence(self, program):
        edit_csv(program.parent / "data" / "ambassadors.csv", lambda rows: rows[3].__setitem__(10, BIG))
        res = run("--config", str(program), "--as-of", AS_OF, "compliance")
        assert res.returncode == 2 and "Traceback" not in res.stderr
        assert "ambassadors.csv cannot be read at row 4" in res.stderr and "10 MiB" in res.stderr

    def test_in_the_mail_ledger_is_one_sentence(self, program):
        ledger = program.parent / "data" / "mail_ledger.csv"
        assert run("--config", str(program), "--as-of", "2026-10-01", "sync-checkins").returncode in (0, 1)
        ledger.write_text("Key,Job,Recipient,Status,Attempts,Error,Message-ID,At\n"
                          f"k1,checkin_invite,a@example.org,failed,1,{BIG},<x@example.org>,2026-10-01T00:00:00+00:00\n",
                          encoding="utf-8")
        res = run("--config", str(program), "--as-of", "2026-10-01", "reminders")
        assert res.returncode == 2 and "Traceback" not in res.stderr
        assert "mail ledger file" in res.stderr and "row 2 (line 2)" in res.stderr and "10 MiB" in res.stderr
        # sync-checkins reads it too (the keyed hashes of people erased) when it has responses to read
        (program.parent / "data" / ".work_cache.sqlite3").unlink(missing_ok=True)
        res = run("--config", str(program), "--as-of", "2026-10-01", "sync-checkins")
        assert res.returncode == 2 and "Traceback" not in res.stderr and "10 MiB" in res.stderr

    def test_when_updating_a_persons_file(self, tmp_path):
        """update_rows (the roster's standing columns) refuses the same way, and writes nothing."""
        import pytest

        from automations.adapters.csv.tables import update_rows
        from automations.errors import InputError

        path = tmp_path / "roster.csv"
        path.write_text(f"Email,Notes,Standing\na@example.org,,\nb@example.org,\"{BIG}\",\n", encoding="utf-8")
        before = path.read_bytes()
        with pytest.raises(InputError) as err:
            update_rows(path, lambda row, idx: row[0], {"a@example.org": {"Standing": "good"}}, ["Standing"])
        assert "row 3 (line 3)" in str(err.value) and "10 MiB" in str(err.value) and "roster.csv" in str(err.value)
        assert path.read_bytes() == before


def configure(config: Path, **sections) -> None:
    """Set keys of a temporary program's config.yaml, section by section."""
    import yaml

    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    for name, values in sections.items():
        cfg.setdefault(name, {}).update(values)
    config.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")


class TestConfigurationRefusedWhenItLoads:
    def test_a_sender_that_is_not_an_address(self, program):
        """`mail.from_address: not-an-email` stops every command with one sentence naming key and value;
        doctor shows it as a FAIL line."""
        configure(program, mail={"from_address": "not-an-email"})
        before = snapshot(program.parent)
        res = run("--config", str(program), "--as-of", AS_OF, "run-all")
        assert res.returncode == 2 and "Traceback" not in res.stderr
        assert res.stderr.count("\n") == 1 and "'mail.from_address'" in res.stderr and "'not-an-email'" in res.stderr
        assert "is not an email address" in res.stderr and snapshot(program.parent) == before
        doctor = run("--config", str(program), "doctor")
        fail = [line for line in doctor.stderr.splitlines() if line.startswith("FAIL")]
        assert doctor.returncode == 2 and len(fail) == 1 and "'mail.from_address'" in fail[0]

    def test_staff_and_support_addresses(self, program):
        """A staff address with a trailing line break, a support address carrying a header: each refused,
        and the value shown escaped."""
        configure(program, mail={"staff_addresses": ["ok@example.org", "staff@example.org\n"]})
        res = run("--config", str(program), "--as-of", AS_OF, "compliance")
        assert res.returncode == 2 and "'mail.staff_addresses.1'" in res.stderr and "staff@example.org\\n" in res.stderr
        configure(program, mail={"staff_addresses": ["ok@example.org"]},
                  program={"support_email": "help@example.org\r\nBcc: x@example.org"})
        res = run("--config", str(program), "--as-of", AS_OF, "compliance")
        assert res.returncode == 2 and "'program.support_email'" in res.stderr
        assert "\r" not in res.stderr and res.stderr.count("\n") == 1

    def test_valid_addresses_still_load(self, program):
        from automations.config import load_config

        configure(program, mail={"from_address": "ambassadors@mautic.org", "staff_addresses": ["a.b+c@x-y.example.org"]},
                  program={"support_email": "help@mautic.org"}, blog_reviews={"reviewers": ["r@example.org"]})
        assert load_config(program).mail.from_address == "ambassadors@mautic.org"
        configure(program, blog_reviews={"reviewers": ["r@localhost"]})
        res = run("--config", str(program), "doctor")
        assert res.returncode == 2 and "'blog_reviews.reviewers.0': 'r@localhost'" in res.stderr

    def test_smtp_with_a_missing_ca_bundle(self, program):
        """`mail.smtp.ca_file` naming no file would fail every message: refused, saying what is needed;
        a relative one that exists is read from the configuration's folder."""
        from automations import bootstrap
        from automations.config import load_config

        configure(program, mail={"transport": "smtp", "smtp": {"ca_file": "certs/relay.pem"}})
        res = run("--config", str(program), "--as-of", AS_OF, "reminders")
        assert res.returncode == 2 and "mail.smtp.ca_file" in res.stderr and "certs/relay.pem" in res.stderr
        assert "CA" in res.stderr and res.stderr.count("\n") == 1
        doctor = run("--config", str(program), "doctor")
        assert doctor.returncode == 2 and any(line.startswith("FAIL") and "ca_file" in line
                                              for line in doctor.stderr.splitlines())
        (program.parent / "certs").mkdir()
        (program.parent / "certs" / "relay.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
        config = load_config(program)
        assert bootstrap.smtp_settings(config).ca_file == str(program.parent / "certs" / "relay.pem")
        configure(program, mail={"transport": "outbox", "smtp": {"ca_file": "nowhere.pem"}})
        assert load_config(program).mail.transport == "outbox"  # not used: not refused

    def test_gmail_without_a_key_stops_before_anything_is_recorded(self, program):
        """Gmail with no service-account key: one sentence saying the key is needed, before any job
        writes (no `sending` step in the ledger); doctor names the key on a FAIL line."""
        configure(program, mail={"transport": "gmail"}, google={"credentials_env": ""})
        ledger = program.parent / "data" / "mail_ledger.csv"
        res = run("--config", str(program), "--as-of", "2026-10-12", "reminders")
        assert res.returncode == 2 and res.stderr.count("\n") == 1
        assert "mail.transport 'gmail' needs a Google service-account key" in res.stderr
        assert "credentials.json" in res.stderr and not ledger.exists()
        doctor = run("--config", str(program), "doctor")
        assert doctor.returncode == 2 and any(line.startswith("FAIL") and "credentials.json" in line
                                              for line in doctor.stderr.splitlines())

    def test_gmail_mailer_checks_its_key_before_a_batch(self, tmp_path):
        """Even built without the command line, the Gmail transport refuses to start a batch without its key."""
        import pytest

        from automations.adapters.google.access import GoogleAccess, GoogleSettings
        from automations.adapters.google.gmail_mailer import GmailMailer
        from automations.errors import ConfigError

        mailer = GmailMailer(GoogleAccess(GoogleSettings(tmp_path / "none.json", "google.credentials_file")),
                             "ambassadors@example.org")
        with pytest.raises(ConfigError, match="needs a Google service-account key"), mailer:
            pass


class TestStaleTemporaryFiles:
    def _plant(self, program: Path) -> tuple[list[Path], list[Path]]:
        """Temporary files a killed run left (an hour and more old) in every folder the jobs write, and
        files that must stay: a fresh temporary file, and old files of other names."""
        import os
        import time

        root = program.parent
        stale = [root / "data" / ".activities.csv.k3j_9x2a.tmp", root / "outbox" / ".index.html.abcdefgh.tmp",
                 root / "data" / ".locks" / ".run-all.holder.a3olzp7e.tmp",  # the run lock's holder file
                 root / "outbox" / "2026-10-01" / ".checkin_invite_2026Q3_a@example.org-0123456789.eml.zz9_abcd.tmp",
                 root / "drafts" / ".blog-646372bc7a6e.html.q1w2e3r4.tmp"]
        keep = [root / "data" / ".ambassadors.csv.fresh123.tmp",  # a live writer is filling this one (its lock)
                root / "data" / ".ambassadors.csv.a1b2c3d4.moved",  # a person's roster held aside: never removed
                root / "data" / "notes.abcd1234.tmp", root / "data" / ".mail.lock.generation.tmp",
                root / "data" / ".x.toolong123.tmp", root / "outbox" / "2026-10-01" / "mine.tmp"]
        hour_ago = time.time() - 3700
        for path in stale + keep:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("half a file", encoding="utf-8")
            if path.name != ".ambassadors.csv.fresh123.tmp":
                os.utime(path, (hour_ago, hour_ago))
        # This process is the fresh file's writer: it holds the file's lock (`hold_temp`) as a writer does.
        from automations.adapters.files.atomic import hold_temp

        fd = os.open(keep[0], os.O_RDWR)
        held = hold_temp(fd)
        os.close(fd)
        self._writer = held
        return stale, keep

    def teardown_method(self) -> None:
        import os

        if getattr(self, "_writer", None) is not None:
            os.close(self._writer)
            self._writer = None

    def test_a_run_removes_them_and_nothing_else(self, program):
        stale, keep = self._plant(program)
        res = run("--config", str(program), "--as-of", AS_OF, "sync-checkins")
        assert res.returncode in (0, 1), res.stderr
        assert [p for p in stale if p.exists()] == []
        assert [p for p in keep if not p.exists()] == []

    def test_a_dry_run_removes_nothing(self, program):
        stale, keep = self._plant(program)
        res = run("--config", str(program), "--as-of", AS_OF, "--dry-run", "run-all")
        assert res.returncode in (0, 1), res.stderr
        assert all(p.exists() for p in stale + keep)

    def test_a_killed_writers_file_goes_at_the_next_run(self, program):
        """A writer killed with SIGKILL in the middle of a file leaves its temporary file; the next run removes
        it at once (the writer's lock on it died with the process), not an hour later."""
        import os
        import signal
        import subprocess
        import sys

        data = program.parent / "data"
        child = subprocess.Popen([sys.executable, "-c", (
            "import sys, time; from pathlib import Path; from automations.adapters.files.atomic import atomic_write_with\n"
            "def fill(fh):\n    fh.write(b'half a file'); fh.flush(); print('writing', flush=True); time.sleep(120)\n"
            "atomic_write_with(Path(sys.argv[1]), fill)"), str(data / "activities.csv")],
            stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert child.stdout.readline().strip() == "writing"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        left = [p for p in data.iterdir() if p.name.startswith(".activities.csv.") and p.name.endswith(".tmp")]
        assert len(left) == 1
        res = run("--config", str(program), "--as-of", AS_OF, "sync-checkins")
        assert res.returncode in (0, 1), res.stderr
        assert not left[0].exists() and (data / "activities.csv").is_file()
        assert not [p for p in data.iterdir() if p.name.endswith(".tmp")]

    def test_the_pattern_is_the_writers_own(self, tmp_path):
        """The name the atomic writer gives its temporary file is the pattern the clean-up removes."""
        from automations.adapters.files.atomic import _replace, is_temp_name

        seen = []
        _replace(tmp_path / "activities.csv", lambda fh: (seen.extend(p.name for p in tmp_path.iterdir()),
                                                          fh.write(b"x")))
        assert len(seen) == 1 and seen[0].startswith(".activities.csv.") and is_temp_name(seen[0])
        assert not is_temp_name("activities.csv") and not is_temp_name(".activities.csv.a1b2c3d4.moved")
