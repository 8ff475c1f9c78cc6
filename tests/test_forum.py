"""The forum job: the ambassadors group converges on the active ambassadors in one run and a rerun changes
nothing; paused left alone; a handle no forum user has is a data problem (exit 1, then 0); 429s waited
out; a dry run changes nothing; the key never shows; a roster read wrong cannot empty the group.

Everything runs the real `requests` client against the Discourse fake on 127.0.0.1 (a manual clock:
the client's waits move it, nothing sleeps)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from automations import bootstrap
from automations.cli import report
from automations.config import load_config
from automations.domain.forum import (
    ForumSettings,
    Member,
    plan_forum,
    read_handle,
    read_wishes,
    removal_guard,
    to_look_up,
)
from automations.errors import ServiceUnavailable, StopRun
from automations.jobs import forum
from tests.factories import ambassador
from tests.fake_airtable import ManualClock
from tests.fake_discourse import FakeDiscourse

DAY = date(2026, 10, 19)
KEY = "dsc-9f8e7d6c5b4a-secret"
ENV = {"DISCOURSE_API_KEY": KEY}
ALREADY = ["priya_d", "arjun.nair", "rverma", "karanm", "mariasilva", "joaop", "anacosta", "jbecker",
           "fiona.macleod", "ohughes"]  # active ambassadors staff gave the badge by hand
UNKNOWN = "zoe_m"  # zoe.mueller's handle: no forum user has it


def roster_rows(program: Path) -> list[dict]:
    with (program.parent / "data" / "ambassadors.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def active_handles(program: Path) -> set[str]:
    return {r["Forum handle"] for r in roster_rows(program) if r["Status"].strip().lower() == "active"}


def configure(program: Path, url: str, **keys) -> None:
    data = yaml.safe_load(program.read_text(encoding="utf-8"))
    data["forum"] = {"url": url, "keep_usernames": ["moderator1"], **keys}
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def clock():
    return ManualClock(start=10_000.0)


@pytest.fixture
def fake(clock, program):
    """The forum: a user for every roster handle but one, some strangers; the group as staff left it."""
    with FakeDiscourse(api_key=KEY, clock=clock.now) as fake:
        for r in roster_rows(program):
            if r["Forum handle"] != UNKNOWN:
                fake.add_user(r["Forum handle"])
        for name in ("moderator1", "randomguy", "staffowner", "Zoe.Mueller"):
            fake.add_user(name)
        fake.add_group("ambassadors", owners=["staffowner"],
                       members=[*ALREADY, "hschmidt", "tombaker", "sofiarossi", "randomguy", "moderator1"])
        configure(program, fake.url)
        yield fake


def run(program: Path, clock, dry_run: bool = False, environ=ENV, confirmed=frozenset(), day: date = DAY):
    ctx = bootstrap.build(load_config(program), day, dry_run, environ=environ, clock=clock.now,
                          sleep=clock.advance, confirmed=confirmed)
    return forum.run(ctx)


def ledger(program: Path) -> dict[str, dict]:
    path = program.parent / "data" / "mail_ledger.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["Key"]: r for r in csv.DictReader(fh)}


def problems(program: Path) -> list[dict]:
    with (program.parent / "data" / "unusable_rows.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


class TestConvergence:
    def test_one_run_makes_the_group_the_active_ambassadors_and_a_rerun_changes_nothing(self, program, fake, clock):
        """After one run the group is every active ambassador with a forum user, plus the owner and the kept
        moderator, with paused hschmidt left in; one PUT and one DELETE did it; a rerun sends neither."""
        res = run(program, clock)
        expected = (active_handles(program) - {UNKNOWN}) | {"staffowner", "moderator1", "hschmidt"}
        assert set(fake.member_names("ambassadors")) == expected
        changes = fake.changes()
        assert [(m, status) for m, _, status in changes] == [("PUT", 200), ("DELETE", 200)]
        assert res.failures == []

        fake.reset_log()
        again = run(program, clock)
        assert fake.changes() == [] and again.failures == []
        assert set(fake.member_names("ambassadors")) == expected
        assert "nothing to change" in again.summary[0]

    def test_alumni_and_strangers_go_paused_stays_owners_and_kept_stay(self, program, fake, clock):
        """tombaker and sofiarossi (alumni) and randomguy (no roster row) are taken out; paused hschmidt,
        the owner and forum.keep_usernames stay; paused myilmaz, not a member, is not added."""
        run(program, clock)
        members = set(fake.member_names("ambassadors"))
        assert not members & {"tombaker", "sofiarossi", "randomguy", "myilmaz", "larse"}
        assert {"hschmidt", "staffowner", "moderator1"} <= members

    def test_each_change_is_in_the_ledger_with_its_key(self, program, fake, clock):
        """Every add and removal is a `forum` step in the ledger, keyed by username and day, sent."""
        run(program, clock)
        steps = ledger(program)
        assert steps[f"forum_remove:tombaker:{DAY}"]["Status"] == "sent"
        assert steps[f"forum_remove:tombaker:{DAY}"]["Recipient"] == "tom.baker@example.net"
        assert steps[f"forum_remove:randomguy:{DAY}"]["Recipient"] == "randomguy"
        assert steps[f"forum_add:cdubois:{DAY}"]["Status"] == "sent"
        assert f"forum_add:{UNKNOWN}:{DAY}" not in steps  # no such forum user: nothing tried, a data problem
        assert {s["Job"] for s in steps.values()} == {"forum"}

    def test_a_member_removed_by_hand_is_added_again_next_day(self, program, fake, clock):
        """Decisions come from the group as it is: someone taken out by hand is added back on the next run."""
        run(program, clock)
        gid = fake.groups["ambassadors"].id
        del fake.groups["ambassadors"].members[fake.users["priya_d"].id]
        run(program, clock, day=date(2026, 10, 20))
        assert "priya_d" in fake.member_names("ambassadors") and gid == fake.groups["ambassadors"].id
        assert ledger(program)["forum_add:priya_d:2026-10-20"]["Status"] == "sent"

    def test_pagination_reads_every_member(self, program, fake, clock):
        """With pages of 3 the adapter still reads the whole group (owners included) before deciding."""
        ctx = bootstrap.build(load_config(program), DAY, True, environ=ENV, clock=clock.now, sleep=clock.advance)
        ctx.makers.forum.page_size = 3
        assert {m.username for m in ctx.makers.forum.members()} == set(fake.member_names("ambassadors"))
        assert sum(1 for m, p, _ in fake.log if p.endswith("/members.json")) == 6  # 16 members, 3 a page


class TestDataProblems:
    def test_an_unknown_handle_is_a_new_problem_once_then_known(self, program, fake, clock):
        """zoe_m matches no forum user: the first run names it (exit 1), the second keeps it on record (exit 0);
        fixing the handle closes it and adds her."""
        res = run(program, clock)
        assert [p.value for p in res.new_problems] == [UNKNOWN]
        p = res.new_problems[0]
        assert p.column == "Forum handle" and "matches no user on the forum" in p.reason
        assert p.row == next(i for i, r in enumerate(roster_rows(program), start=2) if r["Forum handle"] == UNKNOWN)
        assert report([res]) == 1
        again = run(program, clock)
        assert again.new_problems == [] and report([again]) == 0

        path = program.parent / "data" / "ambassadors.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(",zoe_m,", ",https://127.0.0.1/u/Zoe.Mueller,"),
                        encoding="utf-8")
        fixed = run(program, clock)
        assert fixed.new_problems == [] and report([fixed]) == 0
        assert "Zoe.Mueller" in fake.member_names("ambassadors")
        assert [r["Status"] for r in problems(program) if r["Value"] == UNKNOWN] == ["fixed"]

    def test_sync_checkins_does_not_close_the_forum_jobs_problems(self, program, fake, clock):
        """The forum's problems carry their own source: sync-checkins, which closes the roster problems it no
        longer finds, leaves them open, so the next forum run does not call them new again."""
        from automations.jobs import sync_checkins

        run(program, clock)
        sync_checkins.run(bootstrap.build(load_config(program), DAY, False, environ=ENV))
        again = run(program, clock)
        assert again.new_problems == [] and again.open_problems >= 1

    def test_an_unreadable_roster_row_holds_the_strangers(self, program, fake, clock):
        """A roster row that cannot be read (a broken email) may be randomguy's: he is held, not taken out,
        and the summary says so; alumni still go."""
        path = program.parent / "data" / "ambassadors.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("lars.eriksson@example.net", "lars.eriksson"),
                        encoding="utf-8")
        res = run(program, clock)
        members = set(fake.member_names("ambassadors"))
        assert "randomguy" in members and "tombaker" not in members
        assert "1 matching no roster row held while the roster has unreadable rows (randomguy)" in res.summary[0]

    def test_an_active_ambassador_without_a_handle_is_a_problem(self, program, fake, clock):
        """An empty handle on an active row is reported with its row and column; the run goes on."""
        path = program.parent / "data" / "ambassadors.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(",rverma,", ",,"), encoding="utf-8")
        res = run(program, clock)
        assert any(p.value == "" and "is empty" in p.reason for p in res.new_problems)
        assert "priya_d" in fake.member_names("ambassadors")  # the others still converge


class TestRateLimits:
    def test_a_429_is_waited_out_and_the_run_converges(self, program, fake, clock):
        """With the forum allowing 5 requests a minute and the client set to 60, the 429s' Retry-After is
        waited out (on the manual clock) and the run still converges."""
        fake.limit = 5
        start = clock.now()
        res = run(program, clock)
        assert any(status == 429 for _, _, status in fake.log)
        assert res.failures == [] and "tombaker" not in fake.member_names("ambassadors")
        assert clock.now() - start >= 60  # the waits were taken
        assert any(line.startswith("Forum:") and "tried again" in line for line in res.summary)

    def test_the_client_keeps_to_its_pace_and_meets_no_429(self, program, fake, clock):
        """requests_per_minute at the forum's own limit: the client waits before the limit, never hits it."""
        fake.limit = 5
        configure(program, fake.url, requests_per_minute=5)
        run(program, clock)
        assert all(status != 429 for _, _, status in fake.log)
        assert "tombaker" not in fake.member_names("ambassadors")

    def test_a_forum_that_keeps_failing_stops_with_exit_1_and_records_it(self, program, fake, clock):
        """Persistent 502s exhaust max_attempts: the run stops (ServiceUnavailable, exit 1) and the steps not
        taken are recorded failed; a later run finishes the work."""
        configure(program, fake.url, max_attempts=2)
        fake.fail_next(2, method="PUT")  # the reads go through; both tries of the add fail
        with pytest.raises(ServiceUnavailable, match="after 2 tries"):
            run(program, clock)
        steps = ledger(program)
        assert steps[f"forum_add:cdubois:{DAY}"]["Status"] == "failed"
        assert "tombaker" in fake.member_names("ambassadors")  # the removals were not begun
        assert run(program, clock).failures == []
        assert ledger(program)[f"forum_add:cdubois:{DAY}"]["Status"] == "sent"
        assert "tombaker" not in fake.member_names("ambassadors")

    def test_a_stop_asked_for_leaves_the_group_and_records_the_steps_not_tried(self, program, fake, clock):
        """SIGTERM before the changes (a safe point): no PUT or DELETE, each step recorded failed as not tried,
        and `Stopped` (exit 1); the next run does them."""
        from automations.errors import Stopped

        ctx = bootstrap.build(load_config(program), DAY, False, environ=ENV, clock=clock.now, sleep=clock.advance)
        ctx.stop.ask("SIGTERM")
        with pytest.raises(Stopped):
            forum.run(ctx)
        assert fake.changes() == []
        assert "not tried: SIGTERM" in ledger(program)[f"forum_add:cdubois:{DAY}"]["Error"]
        assert run(program, clock).failures == [] and "cdubois" in fake.member_names("ambassadors")

    def test_a_502_then_success_is_tried_again(self, program, fake, clock):
        """One 5xx is tried again after a pause, and the run converges."""
        fake.fail_next(1)
        res = run(program, clock)
        assert res.failures == [] and fake.log[0][2] == 502
        assert "tombaker" not in fake.member_names("ambassadors")


class TestDryRunAndGuards:
    def test_dry_run_lists_the_changes_and_makes_none(self, program, fake, clock):
        """--dry-run reads the group and looks up handles, says who would be added and removed, and sends no
        PUT or DELETE and writes no ledger line."""
        before = fake.member_names("ambassadors")
        res = run(program, clock, dry_run=True)
        assert fake.changes() == [] and fake.member_names("ambassadors") == before
        assert ledger(program) == {}
        text = "\n".join(res.summary)
        assert "would add cdubois" in text and "would remove tombaker (tom.baker@example.net, alumni)" in text
        assert "would remove randomguy (not an ambassador on the roster)" in text

    def test_a_roster_read_wrong_stops_before_any_change(self, program, fake, clock):
        """A roster whose handle column is renamed reads as no handles: taking out nearly everyone stops the
        run (exit 2) with nothing changed and no problem recorded; --accept-removals lets it go."""
        path = program.parent / "data" / "ambassadors.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("Forum handle", "Forum"), encoding="utf-8")
        with pytest.raises(StopRun, match="--accept-removals"):
            run(program, clock)
        assert fake.changes() == [] and not (program.parent / "data" / "unusable_rows.csv").exists()
        run(program, clock, confirmed=frozenset({"forum_removals"}))
        assert set(fake.member_names("ambassadors")) == {"staffowner", "moderator1"}

    def test_not_configured_does_nothing(self, program, clock):
        """With forum.url empty (the shipped config) the job says so and makes no request."""
        res = forum.run(bootstrap.build(load_config(program), DAY, False, environ={}))
        assert "not configured" in res.summary[0] and res.failures == []


class TestCommandLine:
    def cli(self, program: Path, *args: str, key: str | None = KEY) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k != "DISCOURSE_API_KEY"}
        if key is not None:
            env["DISCOURSE_API_KEY"] = key
        return subprocess.run([sys.executable, "-m", "automations", "--config", str(program), "--as-of", str(DAY),
                               *args], capture_output=True, text=True, env=env, timeout=120)

    def test_the_command_converges_names_the_problem_and_never_shows_the_key(self, program, fake):
        """`forum --dry-run` lists the changes and makes none; `forum` exits 1 for the new problem (named on
        stderr), then 0; the key is in no output and was sent in headers only, never in a URL."""
        dry = self.cli(program, "forum", "--dry-run")
        assert dry.returncode == 1 and "would remove tombaker" in dry.stdout and fake.changes() == []
        first = self.cli(program, "forum")
        assert first.returncode == 1, first.stderr
        assert "zoe_m" in first.stderr and "matches no user on the forum" in first.stderr
        second = self.cli(program, "forum")
        assert second.returncode == 0, second.stderr
        assert "nothing to change" in second.stdout
        for out in (dry.stdout, dry.stderr, first.stdout, first.stderr, second.stdout, second.stderr):
            assert KEY not in out
        assert fake.urls and not any(KEY in url for url in fake.urls)

    def test_a_wrong_key_is_one_sentence_exit_2_without_the_key(self, program, fake):
        """A key the forum refuses stops the run (exit 2) with one sentence naming the variable, not the key."""
        res = self.cli(program, "forum", key="wrong-key-value-123")
        assert res.returncode == 2
        assert "DISCOURSE_API_KEY" in res.stderr and "wrong-key-value-123" not in res.stderr + res.stdout
        assert len(res.stderr.strip().splitlines()) == 1 and fake.changes() == []

    def test_run_all_runs_the_forum_after_funding_and_a_second_run_all_is_quiet(self, program, fake):
        """run-all syncs the group after funding; the second run-all changes nothing on the forum and exits 0
        (sync-checkins in between does not close the forum's problem, so it is not new again)."""
        first = self.cli(program, "run-all")
        assert first.returncode == 1 and "'zoe_m' matches no user on the forum" in first.stderr
        jobs = [line.split("]")[0].strip(" [") for line in first.stdout.split("Summary of run-all", 1)[1].splitlines()
                if line.startswith("  [")]
        assert jobs[jobs.index("forum") - 1] == "funding"
        assert "tombaker" not in fake.member_names("ambassadors")
        fake.reset_log()
        second = self.cli(program, "run-all")
        assert second.returncode == 0, second.stderr
        assert "nothing to change" in second.stdout and fake.changes() == []

    def test_run_all_without_the_key_stops_before_doing_anything(self, program, fake):
        """run-all with the forum configured and no key exits 2 before any job writes."""
        res = self.cli(program, "run-all", key=None)
        assert res.returncode == 2 and "DISCOURSE_API_KEY" in res.stderr
        assert not (program.parent / "data" / "activities.csv").exists()


class TestPlan:
    """The pure rules, on hand-made rows."""

    S = ForumSettings(forum_host="forum.example.org", keep_usernames=("Mod",))

    def plan(self, rows, members, found=None, complete=True, as_of=DAY):
        wishes, probs = read_wishes(rows, as_of, self.S, "ambassadors.csv (forum)")
        if found is None:
            found = {w.key: w.username for w in to_look_up(wishes, members)}
        return plan_forum(wishes, members, found, self.S, "ambassadors.csv (forum)", complete), probs

    def amb(self, handle, status="active", email="a@example.org", row=2, start=date(2024, 1, 10), history=()):
        from dataclasses import replace
        return replace(ambassador(email=email, status=status, row=row, start=start), forum_handle=handle,
                       status_history=history)

    @pytest.mark.parametrize("raw, username", [
        ("@Priya_D", "Priya_D"), ("https://forum.example.org/u/priya_d/summary", "priya_d"),
        ("forum.example.org/u/zoë", "zoë"), ("https://www.forum.example.org/users/bob", "bob"), ("  ana.c ", "ana.c")])
    def test_handles_as_people_write_them(self, raw, username):
        """An '@', a profile link on the forum (with or without https://), spaces around: the username."""
        assert read_handle(raw, "forum.example.org") == (username, "")

    @pytest.mark.parametrize("raw, words", [("https://twitter.com/priya", "twitter.com"), ("a b", "not a forum"),
                                            ("x,y", "not a forum"), ("https://forum.example.org/t/x/1", "not to a "
                                                                                                    "forum profile")])
    def test_handles_that_are_not_usernames(self, raw, words):
        """A link elsewhere, spaces, a comma (it would split a batch) are refused with a reason."""
        username, why = read_handle(raw, "forum.example.org")
        assert username == "" and words in why

    def test_case_does_not_matter(self):
        """The roster's 'Priya_D' is the member 'priya_d': nothing to do."""
        plan, _ = self.plan([self.amb("Priya_D")], [Member("priya_d")])
        assert plan.add == () and plan.remove == ()

    def test_paused_is_left_alone_either_way(self):
        """A paused ambassador who is a member stays; one who is not is not added."""
        plan, _ = self.plan([self.amb("in", "paused"), self.amb("out", "paused", "b@example.org", 3)],
                            [Member("in")])
        assert plan.add == () and plan.remove == () and plan.left_alone == ("in",)

    def test_status_on_the_runs_day_from_the_history(self):
        """Replaying a day before a dated pause, the ambassador was active then: added."""
        paused = self.amb("hanna", "paused", history=((date(2026, 5, 4), "paused"),))
        assert [c.username for c in self.plan([paused], [], as_of=date(2026, 4, 1))[0].add] == ["hanna"]
        assert self.plan([paused], [])[0].add == ()

    def test_not_started_yet_is_left_alone(self):
        """An active row whose start date is after the run's day is not added yet."""
        plan, _ = self.plan([self.amb("soon", start=date(2026, 11, 1))], [])
        assert plan.add == ()

    def test_two_active_rows_with_one_handle_is_a_problem(self):
        """Two active ambassadors cannot share a forum user: the later row is reported."""
        _, probs = self.plan([self.amb("same"), self.amb("SAME", email="b@example.org", row=3)], [])
        assert [(p.row, p.value) for p in probs] == [(3, "SAME")]

    def test_an_old_alumni_row_does_not_take_out_a_rejoiner(self):
        """A rejoiner's old alumni row and new active row name one user: the active row keeps them in."""
        plan, probs = self.plan([self.amb("back", "alumni"), self.amb("back", email="b@example.org", row=3)],
                                [Member("back")])
        assert plan.remove == () and probs == []

    def test_strangers_are_held_while_the_roster_has_unreadable_rows(self):
        """A member matching no row may be an unreadable row's person: held, not taken out."""
        plan, _ = self.plan([self.amb("a")], [Member("a"), Member("stranger")], complete=False)
        assert plan.remove == () and plan.held == ("stranger",)

    def test_owners_and_kept_usernames_stay(self):
        """Owners and forum.keep_usernames (any case) are never taken out."""
        plan, _ = self.plan([self.amb("a")], [Member("a"), Member("boss", owner=True), Member("mod")])
        assert plan.remove == () and set(plan.kept) == {"boss", "mod"}

    def test_the_guard_on_share_and_on_an_empty_roster(self):
        """Taking out 3 of 4 is held; so is taking out even one when no active ambassador has a handle."""
        plan, _ = self.plan([self.amb("a")], [Member("a"), Member("x"), Member("y"), Member("z")])
        assert "3 of the group's 4" in removal_guard(plan, self.S)
        lone, _ = self.plan([self.amb("a", "alumni")], [Member("a")])
        assert "no active ambassador" in removal_guard(lone, self.S)
        fine, _ = self.plan([self.amb("a"), self.amb("b", "alumni", "b@example.org", 3)], [Member("a"), Member("b")])
        assert removal_guard(fine, self.S) == ""
