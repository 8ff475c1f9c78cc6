"""Pacing shared by every process of the machine (`adapters.files.pacing`): the services' request budgets kept
together in `<local.dir>/.locks/pacing.json`.

The pacer's contract runs on a manual clock (nothing sleeps); the command line runs as real separate processes,
started back to back against the fake Airtable on 127.0.0.1 on the real monotonic clock, and the fake's own
request log says whether any second held more than Airtable's 5; the forum's per-minute budget is shown shared
by two runs' clients on one program folder against the fake Discourse (a manual clock: a minute costs nothing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from automations import bootstrap
from automations.adapters.files.pacing import SharedPacer
from automations.config import load_config
from automations.jobs import forum
from tests.airtable_env import BASE, TOKEN, AirtableEnv, seed_roster, use_airtable
from tests.conftest import ROOT, go_live
from tests.fake_airtable import FakeAirtable, ManualClock
from tests.fake_discourse import FakeDiscourse

WINDOW = 1.05


def pacer(path: Path | None, clock: ManualClock, limit: int = 5, key: str = "airtable:appX", open_for: float = 10.0,
          sends: list[float] | None = None) -> SharedPacer:
    """A pacer on `path`; with `sends`, the manual clock's time of each send it lets through is appended."""
    p = SharedPacer(path, key, limit, WINDOW, clock=clock.now, sleep=clock.sleep, open_for=open_for)
    if sends is not None:
        start = p.start

        def recorded() -> str:
            ticket = start()
            sends.append(clock.now())
            return ticket

        p.start = recorded  # type: ignore[method-assign]
    return p


def busiest(times: list[float], window: float) -> int:
    """The most sends within any `window` seconds ((t - window, t], as the services count)."""
    times = sorted(times)
    return max((sum(1 for u in times if t - window < u <= t) for t in times), default=0)


class TestSharedPacer:
    def test_two_pacers_on_one_file_never_exceed_the_limit_together(self, tmp_path):
        """Two pacers (two processes) taking turns on one state file: never more than 5 sends in any window
        between them, and no slower than the budget allows (20 sends in under four windows)."""
        clock, sends = ManualClock(100.0), []
        state = tmp_path / ".locks" / "pacing.json"
        a, b = pacer(state, clock, sends=sends), pacer(state, clock, sends=sends)
        for i in range(20):
            p = (a, b, b, a, a)[i % 5]
            with p.sending():
                clock.advance(0.01)  # the request in flight
        assert busiest(sends, 1.0) == 5 and busiest(sends, WINDOW) == 5
        assert sends[-1] - sends[0] < 4 * WINDOW

    def test_each_pacer_alone_would_exceed_it(self, tmp_path):
        """The same turns with each pacer keeping its own budget (no file): together they send 10 in a second,
        what the shared file prevents."""
        clock, sends = ManualClock(100.0), []
        a, b = pacer(None, clock, sends=sends), pacer(None, clock, sends=sends)
        for p in (a, b) * 5:
            with p.sending():
                clock.advance(0.01)
        assert busiest(sends, 1.0) == 10

    def test_a_send_in_flight_holds_its_place_until_its_answer_and_a_window_more(self, tmp_path):
        """A slow request (answered 3 s after it left) keeps its place: the window starts at its answer."""
        clock, sends = ManualClock(100.0), []
        state = tmp_path / "pacing.json"
        a, b = pacer(state, clock, limit=2, sends=sends), pacer(state, clock, limit=2, sends=sends)
        slow = a.start()
        with b.sending():
            clock.advance(3.0)
        a.done(slow)  # answered at 103.0, b's at 103.0 too
        with b.sending():
            pass
        assert sends == [100.0, 100.0, 103.0 + WINDOW]

    def test_a_send_left_open_by_a_gone_process_frees_a_window_after_it_is_found(self, tmp_path):
        """A process killed mid-request leaves its place open: the next process closes it when it finds the
        process gone, and waits one window from then, not the request's whole timeout."""
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
        pid = int(gone.stdout)
        state = tmp_path / "pacing.json"
        state.write_text(json.dumps({"airtable:appX": {"sent": [[99.5, pid, "killed.1", True]]}}))
        clock, sends = ManualClock(100.0), []
        with pacer(state, clock, limit=1, open_for=60.0, sends=sends).sending():
            pass
        assert sends == [100.0 + WINDOW]

    def test_a_send_open_past_its_deadline_is_closed_at_the_deadline(self, tmp_path):
        """An open place of a live process (this one) that outlasts `open_for` is taken as answered then."""
        clock, sends = ManualClock(100.0), []
        state = tmp_path / "pacing.json"
        pacer(state, clock, limit=1, open_for=10.0).start()  # never answered
        with pacer(state, clock, limit=1, open_for=10.0, sends=sends).sending():
            pass
        assert 110.0 + WINDOW <= sends[0] < 110.0 + WINDOW + 0.1

    def test_a_penalty_one_process_meets_holds_every_other_off(self, tmp_path):
        """After a 429 (hold_off 30 s) no pacer on the file sends until the penalty has ended."""
        clock, sends = ManualClock(100.0), []
        state = tmp_path / "pacing.json"
        pacer(state, clock).hold_off(30.0)
        with pacer(state, clock, sends=sends).sending():
            pass
        assert sends == [130.0]

    def test_budgets_of_different_keys_are_apart(self, tmp_path):
        """Two bases (keys) on one file: each has its own 5 a second."""
        clock, sends = ManualClock(100.0), []
        state = tmp_path / "pacing.json"
        one, two = pacer(state, clock, key="airtable:appONE"), pacer(state, clock, key="airtable:appTWO")
        for p in (one, two) * 5:
            with p.sending():
                sends.append(clock.now())
        assert sends == [100.0] * 10

    def test_times_from_another_clock_and_a_corrupt_file_start_afresh(self, tmp_path):
        """Times later than now (before a reboot: the monotonic clock restarted) are dropped; a file that is
        not the state's shape is started afresh; neither stops a send or delays it."""
        clock = ManualClock(100.0)
        state = tmp_path / "pacing.json"
        state.write_text(json.dumps({"airtable:appX": {"sent": [[5000.0, 1, "x.1", False]] * 5, "until": 9e9}}))
        with pacer(state, clock, limit=1).sending():
            assert clock.now() == 100.0
        for garbage in (b"{\"airtable:appX\": {\"sent\": [[1", b"\xff\xfe", b"[1, 2]", b"{\"airtable:appX\": 7}"):
            state.write_bytes(garbage)
            clock.advance(2.0)
            before = clock.now()
            with pacer(state, clock, limit=1).sending():
                assert clock.now() == before
            assert set(json.loads(state.read_text())) == {"airtable:appX"}

    def test_the_file_is_private_and_names_only_the_budget(self, tmp_path):
        """0600 (narrowed from a wider mode), and nothing in it but keys, times and process ids."""
        clock = ManualClock(100.0)
        state = tmp_path / "pacing.json"
        state.write_text("")
        os.chmod(state, 0o644)
        with pacer(state, clock, key=f"airtable:{BASE}").sending():
            pass
        assert state.stat().st_mode & 0o777 == 0o600
        (entry,) = json.loads(state.read_text()).values()
        assert list(json.loads(state.read_text())) == [f"airtable:{BASE}"]
        assert [type(v) for v in entry["sent"][0]] == [float, int, str, bool] and TOKEN not in state.read_text()

    def test_a_folder_it_cannot_write_leaves_the_budget_to_the_process(self, tmp_path):
        """The state file's folder is a file: the pacer keeps the budget in memory and sends, never stops."""
        clock, sends = ManualClock(100.0), []
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("")
        p = pacer(blocker / "pacing.json", clock, limit=2, sends=sends)
        for _ in range(3):
            with p.sending():
                pass
        assert sends == [100.0, 100.0, 100.0 + WINDOW]


def cli(program: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "AIRTABLE_TOKEN": TOKEN, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    return subprocess.Popen([sys.executable, "-m", "automations", "--config", str(program), *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_three_commands_back_to_back_never_exceed_five_requests_a_second(program):
    """run-all (a dry run: its reads, fewer requests, the same pace), certificates and doctor started one right
    after another (cron's `run-all; certificates`, the scheduler's children), as separate processes on the real
    clock against the fake base: the fake's log of what it received holds no second with more than 5 requests
    to the base, and no 429 was answered. (Each process keeping its budget alone, this meets 429s and 30 s
    penalties: measured at 156 s instead of about 7.)"""
    with FakeAirtable(token=TOKEN, base_ids=(BASE,)) as fake:
        use_airtable(go_live(program), fake.url)
        env = AirtableEnv(fake, ManualClock(), program)
        spec = bootstrap.airtable_spec(env.config)
        for table in spec.tables.values():  # the base as `init` leaves it, made in the interface (no API request)
            fake.create_table(BASE, table.name, [f.create_body() for f in table.fields])
        seed_roster(env, program.parent / "data" / "ambassadors.csv")
        runs = [cli(program, "--as-of", "2026-11-23", *command) for command in (["--dry-run", "run-all"], ["certificates"],
                                                                                 ["doctor"])]
        outs = [r.communicate(timeout=170) for r in runs]
        codes = [r.returncode for r in runs]
        log = fake.requests
    assert codes[0] == 1 and codes[1] == 0 and codes[2] in (0, 1), outs  # run-all: the example's unusable rows
    assert len(log) >= 25 and [r for r in log if r.status == 429] == []
    assert busiest([r.at for r in log if r.base_id == BASE], 1.0) <= 5


DAY = date(2026, 10, 19)
KEY = "dsc-9f8e7d6c5b4a-secret"


def test_the_forums_minute_is_shared_by_runs_one_after_another(program):
    """Two forum runs right after one another on one program folder, each with its own client, the forum
    allowing 5 requests a minute and the clients set to 5: together they meet no 429 (each alone would: the
    second would start a fresh minute of its own), and the second waited for the first's minute."""
    clock = ManualClock(10_000.0)
    with FakeDiscourse(api_key=KEY, clock=clock.now, admin_requests_per_minute=5) as fake:
        fake.add_user("staffowner")
        for name in ("priya_d", "arjun.nair", "rverma", "tombaker"):
            fake.add_user(name)
        fake.add_group("ambassadors", owners=["staffowner"], members=["priya_d", "tombaker"])
        import yaml

        data = yaml.safe_load(program.read_text(encoding="utf-8"))
        data["forum"] = {"url": fake.url, "requests_per_minute": 5}
        program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

        def run(dry_run: bool):
            ctx = bootstrap.build(load_config(program), DAY, dry_run, environ={"DISCOURSE_API_KEY": KEY},
                                  clock=clock.now, sleep=clock.advance)
            return forum.run(ctx)

        run(True)
        first = len(fake.log)
        started = clock.now()
        run(True)
        assert first >= 3 and len(fake.log) >= 2 * first
        assert all(status != 429 for _, _, status in fake.log)
        assert clock.now() - started >= 60  # the second run's requests waited for the first run's minute
        state = json.loads((program.parent / "data" / ".locks" / "pacing.json").read_text())
        assert list(state) == ["forum:127.0.0.1:" + fake.url.rsplit(":", 1)[1].rstrip("/")]
        assert KEY not in json.dumps(state)
