"""Proof under stress (issue 11): every backend, under injected faults, ends where a clean run ends.

The faults come from `tests.faults` (one model, seeded, in every fake and the SMTP server): 30 % 429s and
10 % 5xx, plus drops, requests held past the client's timeout and replies lost after the change was made
where the client retries them; a credential that stops working mid-run; a mail server that hangs up
mid-batch. Each test compares the end state with a clean run's and counts duplicates: none, or within the
README's bound (a message whose acceptance was never heard is sent once more, never lost).

Clocks: Airtable and the forum run on a manual clock (their waits cost nothing); Google and SMTP retry with
no backoff; a held request costs its `hold_seconds` of real time, so those rates are small.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("NO_GCE_CHECK", "true")

from automations import bootstrap, cli
from automations.config import load_config
from automations.jobs import forum, run_all
from tests.airtable_env import TOKEN
from tests.conftest import outbox_messages, use_smtp
from tests.faults import Faults
from tests.test_airtable import MONDAY, clean_run, end_state, keys_unique
from tests.test_forum import ENV as FORUM_ENV
from tests.test_forum import KEY as FORUM_KEY
from tests.test_forum import clock, fake  # noqa: F401 - fixtures
from tests.test_forum import ledger as forum_ledger
from tests.test_google import SHEET, example_rows, google, local_reference, sheet_cells, synced  # noqa: F401

AS_OF = date(2026, 11, 23)
TARGET = dict(rate_429=0.3, rate_5xx=0.1)  # issue 11's mix


def configure(program: Path, **sections) -> None:
    cfg = yaml.safe_load(program.read_text())
    for name, values in sections.items():
        cfg.setdefault(name, {}).update(values)
    program.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False))


def outbox_keys(folder: Path) -> Counter:
    return Counter(m["X-Automation-Key"] for m in outbox_messages(folder))


def clean_outbox(program: Path, tmp: Path, day: date) -> Counter:
    """The keys a clean run-all sends (to the outbox) from a fresh copy of the same program."""
    work = tmp / "clean-mail"
    shutil.copytree(program.parent, work, ignore=shutil.ignore_patterns("outbox"))
    configure(work / "config.yaml", mail={"transport": "outbox"})
    run_all.run(bootstrap.build(load_config(work / "config.yaml"), day, dry_run=False))
    return outbox_keys(work / "outbox")


def exit_of(fn) -> tuple[int, str]:
    """Run `fn` through the command line's error handling: its exit code and what it printed."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stderr(out), contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        cli._guard(fn)
    return done.value.code, out.getvalue()


def without_attempts(state: dict) -> dict:
    return {t: sorted(tuple(c for c in row if c[0] != "Attempts") for row in rows) for t, rows in state.items()}


def ledger_statuses(rows) -> Counter:
    return Counter(r["fields"].get("Status") for r in rows)


class TestAirtable:
    def test_the_target_mix_with_drops_and_timeouts_ends_as_a_clean_run(self, airtable, program, tmp_path):
        """30 % 429 + 10 % 5xx, with drops and requests held past the client's timeout: the run completes
        with the clean run's tables and ledger, every key once."""
        configure(program, airtable={"max_attempts": 12, "timeout_seconds": 0.25})
        airtable.fake.faults = Faults(**TARGET, rate_drop=0.03, rate_timeout=0.02, hold_seconds=0.5, seed=11)
        results = run_all.run(airtable.ctx(MONDAY))
        assert all(not r.failures for r in results), [r.failures for r in results]
        seen = Counter(r.fault for r in airtable.fake.requests)
        assert seen["429"] > 10 and seen["5xx"] > 3 and seen["timeout"] >= 1 and seen["drop"] >= 1
        airtable.fake.faults = Faults()
        keys_unique(airtable.fake)
        assert end_state(airtable.fake) == clean_run(program.parent, tmp_path, MONDAY)

    def test_a_token_that_expires_mid_run_stops_cleanly_and_the_next_run_completes(self, airtable, program,
                                                                                    tmp_path):
        """The token starts answering 401 after 60 requests: one sentence naming the variable, not the token,
        exit 2; nothing left half-written (no ledger key stuck as sending once the next run is done); the
        next run with a good token ends as a clean run, every record and message once."""
        airtable.fake.faults = Faults(token_expires_after=60)
        code, said = exit_of(lambda: cli.report(run_all.run(airtable.ctx(MONDAY))))
        assert code == 2 and "AIRTABLE_TOKEN" in said and TOKEN not in said
        assert said.strip().startswith("Error:") and len(said.strip().splitlines()) == 1
        assert any(r.fault == "token_expired" for r in airtable.fake.requests)
        first = outbox_keys(program.parent / "outbox")
        airtable.fake.faults = Faults()  # the next run's token is good
        results = run_all.run(airtable.ctx(MONDAY))
        assert all(not r.failures for r in results)
        keys_unique(airtable.fake)
        # The stopped run's `sending` steps count as an attempt: the ledger says 2 where a clean run says 1.
        assert without_attempts(end_state(airtable.fake)) == without_attempts(clean_run(program.parent, tmp_path,
                                                                                        MONDAY))
        assert {r["fields"].get("Attempts") for r in airtable.records("Mail ledger")} <= {1, 2}
        assert "sending" not in ledger_statuses(airtable.records("Mail ledger"))
        sent = outbox_keys(program.parent / "outbox")
        assert sent and max(sent.values()) == 1 and set(first) <= set(sent)


class TestGoogle:
    def use_sheet(self, program, fake):
        headers, rows = example_rows()
        fake.add_spreadsheet(SHEET, time_zone="America/Sao_Paulo", locale="pt_BR",
                             tabs={"Form Responses 1": sheet_cells(headers, rows)},
                             share_with=("automation@test-project.iam.gserviceaccount.com",))
        configure(program, checkin_form={"source": "sheets", "spreadsheet_id": SHEET})

    def test_the_sheet_reads_the_same_under_the_target_mix_timeouts_and_expiring_tokens(self, program, google):
        """30 % 429 + 10 % 5xx, drops, timeouts and an access token that expires every 3 requests: every read
        gives the clean read's activities (google-auth signs in again each time)."""
        fake, _ = google
        self.use_sheet(program, fake)
        reference = local_reference(program)[0]
        configure(program, google={"max_attempts": 12, "timeout_seconds": 0.2})
        fake.faults = Faults(**TARGET, rate_drop=0.05, rate_timeout=0.02, hold_seconds=0.4,
                             token_expires_after=3, seed=1)
        for _ in range(8):
            assert synced(bootstrap.build(load_config(program), AS_OF, dry_run=True)).data["activities"] == reference
        seen = Counter(str(r.fault) for r in fake.requests)
        assert seen["429"] and seen["5xx"] and seen["token_expired"] and seen["drop"] + seen["timeout"]
        assert sum(1 for r in fake.requests if r.api == "token") >= 3

    def test_gmail_under_the_target_mix_sends_what_a_clean_run_sends_once(self, program, google, tmp_path):
        """Gmail under 30 % 429 + 10 % 5xx with the access token expiring mid-run: a 5xx on a send is left to
        the ledger (it may have gone), so the next run sends what is left; in the end every key a clean run
        sends went exactly once."""
        fake, _ = google
        configure(program, mail={"transport": "gmail"}, google={"max_attempts": 12})
        reference = clean_outbox(program, tmp_path, MONDAY)
        fake.faults = Faults(**TARGET, token_expires_after=10, seed=9)
        run_all.run(bootstrap.build(load_config(program), MONDAY, dry_run=False))
        run_all.run(bootstrap.build(load_config(program), MONDAY, dry_run=False))
        fake.faults = Faults()
        third = run_all.run(bootstrap.build(load_config(program), MONDAY, dry_run=False))
        assert all(not r.failures for r in third)
        keys = Counter(message_from_bytes(m["raw_bytes"], policy=policy.default)["X-Automation-Key"]
                       for m in fake.sent_mail)
        assert keys == reference
        assert {"429", "5xx", "token_expired"} <= {str(r.fault) for r in fake.requests}


FORUM_DAY = date(2026, 10, 19)


def forum_run(program: Path, clock, environ=FORUM_ENV):
    return forum.run(bootstrap.build(load_config(program), FORUM_DAY, False, environ=environ, clock=clock.now,
                                     sleep=clock.advance))


def clean_forum(program: Path, tmp: Path) -> list[str]:
    """The group a clean forum run leaves, from a fresh copy of the program and a freshly seeded forum."""
    from tests.fake_airtable import ManualClock
    from tests.fake_discourse import FakeDiscourse
    from tests.test_forum import ALREADY, UNKNOWN, roster_rows
    from tests.test_forum import configure as forum_configure

    work = tmp / "clean-forum"
    shutil.copytree(program.parent, work)
    clean_clock = ManualClock(start=10_000.0)
    with FakeDiscourse(api_key=FORUM_KEY, clock=clean_clock.now) as other:
        for r in roster_rows(work / "config.yaml"):
            if r["Forum handle"] != UNKNOWN:
                other.add_user(r["Forum handle"])
        for name in ("moderator1", "randomguy", "staffowner", "Zoe.Mueller"):
            other.add_user(name)
        other.add_group("ambassadors", owners=["staffowner"],
                        members=[*ALREADY, "hschmidt", "tombaker", "sofiarossi", "randomguy", "moderator1"])
        forum_configure(work / "config.yaml", other.url)
        forum_run(work / "config.yaml", clean_clock)
        return other.member_names("ambassadors")


class TestDiscourse:
    def test_the_target_mix_with_drops_timeouts_and_lost_replies_ends_as_a_clean_run(self, program, fake, clock,
                                                                                     tmp_path):
        """30 % 429 + 10 % 5xx, drops, timeouts and changes whose answer is lost: the group ends as a clean
        run leaves it, every step recorded sent, and a rerun changes nothing."""
        reference = clean_forum(program, tmp_path)
        from tests.test_forum import configure as forum_configure

        forum_configure(program, fake.url, max_attempts=15, timeout_seconds=0.25)
        fake.faults = Faults(**TARGET, rate_drop=0.05, rate_timeout=0.03, rate_lost_reply=0.1, hold_seconds=0.5,
                             seed=4)
        res = forum_run(program, clock)
        assert res.failures == [], res.failures
        assert fake.member_names("ambassadors") == reference
        assert all(r["Status"] == "sent" for r in forum_ledger(program).values())
        statuses = Counter(s for _, _, s in fake.log)
        assert statuses[429] and statuses[502] and statuses[0]
        fake.faults = Faults()
        fake.reset_log()
        assert forum_run(program, clock).failures == [] and fake.changes() == []

    def test_an_add_whose_answer_was_lost_is_done_not_refused(self, program, fake, clock, tmp_path):
        """The add is made but its answer lost; the retry meets Discourse's 422 "already members": the add is
        done (the forum already has it so), recorded sent, and the run exits 0."""
        reference = clean_forum(program, tmp_path)
        fake.lose_next_reply("PUT")
        res = forum_run(program, clock)
        assert res.failures == [] and fake.member_names("ambassadors") == reference
        puts = [s for m, _, s in fake.log if m == "PUT"]
        assert puts[:2] == [0, 422]
        assert all(r["Status"] == "sent" for r in forum_ledger(program).values())

    def test_a_key_revoked_mid_run_stops_cleanly_and_the_next_run_completes(self, program, fake, clock, tmp_path):
        """The key is revoked after 3 requests: exit 2, one sentence naming the variable and not the key, the
        steps not taken recorded failed (none left as sending); the next run converges, nothing twice."""
        reference = clean_forum(program, tmp_path)
        fake.faults = Faults(token_expires_after=3)
        code, said = exit_of(lambda: cli.report([forum_run(program, clock)]))
        assert code == 2 and "DISCOURSE_API_KEY" in said and FORUM_KEY not in said
        assert len(said.strip().splitlines()) == 1
        assert "sending" not in {r["Status"] for r in forum_ledger(program).values()}
        fake.faults = Faults()
        assert forum_run(program, clock).failures == []
        assert fake.member_names("ambassadors") == reference
        assert all(r["Status"] == "sent" for r in forum_ledger(program).values())


class TestSmtp:
    def test_the_target_mix_with_drops_timeouts_and_lost_replies(self, program, smtp_server, tmp_path):
        """421 throttling (SMTP's 429) at 30 %, 451 at 10 %, drops, timeouts and lost "250"s: every message a
        clean run sends arrives, each at least once and more than once only for a lost reply (the README's
        bound); the ledger records every key sent."""
        reference = clean_outbox(program, tmp_path, MONDAY)
        use_smtp(program, smtp_server)
        configure(program, mail={"smtp": {**yaml.safe_load(program.read_text())["mail"]["smtp"], "max_attempts": 10,
                                          "timeout_seconds": 0.25}})
        smtp_server.handler.faults = Faults(**TARGET, rate_drop=0.03, rate_timeout=0.02, rate_lost_reply=0.05,
                                            hold_seconds=0.5, seed=6)
        results = run_all.run(bootstrap.build(load_config(program), MONDAY, dry_run=False))
        assert all(not r.failures for r in results), [r.failures for r in results]
        got = Counter(smtp_server.keys())
        seen = Counter(smtp_server.handler.faults_seen)
        assert set(got) == set(reference) and seen["429"] > 5 and seen["5xx"] > 1
        assert sum(got.values()) - len(got) <= seen["lost_reply"]
        smtp_server.handler.faults = Faults()
        again = run_all.run(bootstrap.build(load_config(program), MONDAY, dry_run=False))
        assert all(not r.failures for r in again) and Counter(smtp_server.keys()) == got

    def test_a_server_that_hangs_up_mid_batch(self, program, smtp_server, tmp_path):
        """The server hangs up after every 4th message of a session and the client tries once: the message
        that met the closed connection fails, the run goes on (a new connection), and the next run sends
        what failed; every key exactly once in the end."""
        reference = clean_outbox(program, tmp_path, MONDAY)
        use_smtp(program, smtp_server)
        configure(program, mail={"smtp": {**yaml.safe_load(program.read_text())["mail"]["smtp"], "max_attempts": 1}})
        smtp_server.handler.faults = Faults(close_after=4)
        first = run_all.run(bootstrap.build(load_config(program), MONDAY, dry_run=False))
        assert any(r.failures for r in first) and smtp_server.handler.faults_seen.count("close_after") >= 2
        partial = len(smtp_server.received)
        assert 0 < partial < sum(reference.values())
        smtp_server.handler.faults = Faults()
        second = run_all.run(bootstrap.build(load_config(program), MONDAY, dry_run=False))
        assert all(not r.failures for r in second)
        assert Counter(smtp_server.keys()) == reference
