"""The command line end to end on temporary copies of the example program (CONTRACT.md)."""

from __future__ import annotations

import csv
import json

import pytest

from automations.domain.messages import MESSAGE_JOBS
from tests.conftest import go_live, snapshot

AS_OF = "2026-11-23"


def sync(cli, program):
    return cli("--as-of", AS_OF, "sync-checkins", config=program)


def verdicts(cli, program, quarter="2026Q3", as_of=AS_OF):
    sync(cli, program)
    res = cli("--as-of", as_of, "compliance", "--quarter", quarter, "--format", "json", config=program)
    assert res.code in (0, 1), res.err
    return json.loads(res.out)


def by_name(data):
    return {a["name"]: a for a in data["ambassadors"]}


class TestComplianceJson:
    def test_contract_shape(self, cli, program):
        """JSON has the contract's keys and value sets for every ambassador."""
        data = verdicts(cli, program)
        assert (data["quarter"], data["final"]) == ("2026Q3", True)
        for a in data["ambassadors"]:
            assert {"email", "name", "status", "full_reports", "activities", "standing", "streak", "perks"} <= set(a)
            assert a["status"] in {"met", "missed", "exempt", "pending"}
            assert a["standing"] in {"good", "warned", "under_review", "paused", "alumni", "removed"}
            assert set(a["perks"]) <= {"free_event_access", "conference_funding"}
            assert a["full_reports"] <= a["activities"]

    def test_example_verdicts(self, cli, program):
        """The example's planted cases reach the verdicts docs/example-data.md gives."""
        got = by_name(verdicts(cli, program))
        expect = {
            "Priya Deshmukh": ("met", "good", 3), "Oliver Hughes": ("missed", "under_review", 0),
            "Lucía Fernández": ("missed", "under_review", 0), "Chinedu Okafor": ("met", "good", 1),
            "Nomvula Dlamini": ("exempt", "good", 0), "Karan Mehta": ("missed", "warned", 0),
            "Hannah Schmidt": ("exempt", "paused", 0), "Daan Janssen": ("missed", "warned", 0),
            "Camille Dubois": ("met", "good", 4), "Sanne de Vries": ("met", "good", 4),
            "Rahul Verma": ("missed", "warned", 0), "Emily Carter": ("met", "good", 4),
        }
        assert {n: (got[n]["status"], got[n]["standing"], got[n]["streak"]) for n in expect} == expect
        assert got["Priya Deshmukh"]["perks"] == ["free_event_access", "conference_funding"]
        assert got["Karan Mehta"]["perks"] == [] and got["Hannah Schmidt"]["perks"] == []
        counts = {s: sum(1 for a in got.values() if a["status"] == s) for s in ("met", "missed", "exempt")}
        assert counts == {"met": 23, "missed": 7, "exempt": 6}

    def test_numbers_written_with_separators(self, cli, program):
        """'1,200' and '1.200' views both count as 1200 in reach."""
        got = by_name(verdicts(cli, program))
        assert got["Jonas Becker"]["reach"] == 1200 and got["Jonas Becker"]["status"] == "met"

    def test_late_response_inside_window_counts(self, cli, program):
        """João's Q2 response on 19 July (window closes 21 July) meets Q2."""
        assert by_name(verdicts(cli, program, "2026Q2"))["João Pereira"]["status"] == "met"

    def test_pending_before_window_closes(self, cli, program):
        """Replayed on 10 October, Q3 is not final and the unmet are pending."""
        data = verdicts(cli, program, as_of="2026-10-10")
        assert data["final"] is False
        statuses = {a["status"] for a in data["ambassadors"]}
        assert "pending" in statuses and "missed" not in statuses

    def test_future_quarter_is_refused(self, cli, program):
        """A quarter that has not started is a usage error (exit 2), one sentence."""
        sync(cli, program)
        res = cli("--as-of", AS_OF, "compliance", "--quarter", "2027Q1", config=program)
        assert res.code == 2 and "has not started" in res.err and "Traceback" not in res.err


class TestExplain:
    def explain(self, cli, program, email, quarter="2026Q3"):
        sync(cli, program)
        res = cli("--as-of", AS_OF, "compliance", "--quarter", quarter, "--explain", email, config=program)
        assert res.code in (0, 1), res.err
        return res.out

    def test_duplicate_named(self, cli, program):
        """Daan's double submission: each copy of row 102 is a duplicate of row 103."""
        out = self.explain(cli, program, "daan.janssen@example.com")
        assert "duplicate of the copy in row 103" in out and "missed" in out

    def test_superseded_named(self, cli, program):
        """Camille's corrected resubmission supersedes row 99."""
        out = self.explain(cli, program, "  Camille.Dubois@example.org ")
        assert "superseded by the corrected copy in row 115" in out

    def test_other_quarter_and_incomplete_named(self, cli, program):
        """Lucía's June activity in her Q3 response is shown as another quarter's."""
        out = self.explain(cli, program, "lucia.fernandez@example.net")
        assert "another quarter" in out and "2026-06-18" in out

    def test_late_named(self, cli, program):
        """Oliver's Q2 response of 2 August is shown as after the window."""
        out = self.explain(cli, program, "oliver.hughes@example.com", "2026Q2")
        assert "after the 2026Q2 window closed on 2026-07-21" in out

    def test_unknown_email(self, cli, program):
        """An email not on the roster is exit 2 with one sentence."""
        sync(cli, program)
        res = cli("--as-of", AS_OF, "compliance", "--explain", "nobody@example.org", config=program)
        assert res.code == 2 and "not on the roster" in res.err


class TestRunAll:
    def test_run_all_reports_and_writes(self, cli, program):
        """run-all ends with a summary, lists unusable rows on stderr and exits 1 for them."""
        res = cli("--as-of", AS_OF, "run-all", config=program)
        assert res.code == 1, res.err
        assert "Summary of run-all" in res.out and "23 met, 7 missed" in res.out
        assert "row 109, column 'Email Address': 'stranger@example.net'" in res.err
        problems = list(csv.DictReader((program.parent / "data" / "unusable_rows.csv").open(encoding="utf-8")))
        assert {p["Row"] for p in problems} >= {"91", "105", "109", "113", "114", "117", "120", "121"}

    def test_twice_is_byte_for_byte(self, cli, program):
        """sync-checkins and compliance twice give the same files byte for byte."""
        cli("--as-of", AS_OF, "run-all", config=program)
        first = snapshot(program.parent)
        cli("--as-of", AS_OF, "run-all", config=program)
        assert snapshot(program.parent) == first

    def test_dry_run_writes_nothing(self, cli, program):
        """--dry-run reads and decides everything and writes nothing."""
        before = snapshot(program.parent)
        res = cli("--as-of", AS_OF, "--dry-run", "run-all", config=program)
        assert "would create" in res.out and snapshot(program.parent) == before

    def test_responses_never_changed(self, cli, program):
        """The responses file stays exactly as the form wrote it."""
        path = program.parent / "data" / "checkin_responses.csv"
        before = path.read_bytes()
        cli("--as-of", AS_OF, "run-all", config=program)
        assert path.read_bytes() == before


class TestRosterWriteBack:
    def test_keeps_person_columns_and_rows(self, cli, program):
        """Compliance writes standing columns and keeps every other cell, row and column as written."""
        path = program.parent / "data" / "ambassadors.csv"
        rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
        rows[0] = rows[0][:11] + ["My own column"] + rows[0][11:]
        for r in rows[1:]:
            r.insert(11, f"kept {r[1]}")
        rows.insert(5, [])
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh, lineterminator="\r\n").writerows(rows)
        cli("--as-of", AS_OF, "run-all", config=program)
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and raw.count(b"\r\n") == raw.count(b"\n")
        after = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
        assert after[5] == [] and len(after) == len(rows)
        col = after[0].index("My own column")
        standing = after[0].index("Standing")
        assert all(r[col] == f"kept {r[1]}" for r in after[1:] if r)
        assert {r[standing] for r in after[1:] if r} >= {"good", "warned", "under_review", "paused"}
        original = [r[:11] for r in rows[1:] if r]
        assert [r[:11] for r in after[1:] if r] == original


class TestErrors:
    @pytest.mark.parametrize("yaml_text,needle", [
        ("program: {timezone: Mars/Olympus}\n", "program.timezone"),
        ("program: {min_full_reports: two}\n", "program.min_full_reports"),
        ("mail: {transport: pigeon}\n", "mail.transport"),
        ("surprise: 1\n", "'surprise' is not a configuration key"),
        ("checkin_form: {activity_kinds: {Gardening: gardening}}\n", "not an activity kind"),
        ("program: {full_report_fields: {event: [colour]}}\n", "program.full_report_fields"),
        ("program: [1, 2\n", "not valid YAML"),
    ])
    def test_bad_config_one_sentence(self, cli, tmp_path, yaml_text, needle):
        """A bad key or value is exit 2 with one sentence naming it, never a traceback."""
        path = tmp_path / "config.yaml"
        path.write_text(yaml_text)
        res = cli("run-all", config=path)
        assert res.code == 2 and needle in res.err and "Traceback" not in res.err
        assert len(res.err.strip().splitlines()) == 1

    def test_missing_config(self, cli, tmp_path):
        """A missing config file is named."""
        res = cli("run-all", config=tmp_path / "nope.yaml")
        assert res.code == 2 and "nope.yaml does not exist" in res.err

    def test_form_drift_names_the_header(self, cli, program):
        """A renamed form question stops the run and names the title to fix."""
        path = program.parent / "data" / "checkin_responses.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("Activity 2: Title", "Activity 2: Name", 1),
                        encoding="utf-8")
        res = cli("sync-checkins", config=program)
        assert res.code == 2 and "'Activity 2: Title'" in res.err

    def test_compliance_before_sync(self, cli, program):
        """Compliance with no stored activities says to run sync-checkins."""
        res = cli("--as-of", AS_OF, "compliance", config=program)
        assert res.code == 2 and "run sync-checkins first" in res.err

    def test_bad_as_of(self, cli, program):
        """--as-of must be a date."""
        res = cli("--as-of", "23/11/2026", "run-all", config=program)
        assert res.code == 2 and "2026-11-23" in res.err

    def test_doctor_ok(self, cli, program):
        """doctor checks config, roster and form headers on the example, once its placeholders are the program's."""
        res = cli("doctor", config=go_live(program))
        assert res.code == 0 and "every configured question" in res.out
        assert f"all {len(MESSAGE_JOBS)} messages" in res.out

    def test_doctor_names_a_status_word_that_means_no_status(self, cli, program):
        """A roster Status word no status maps to is named by doctor with the words accepted and the key; the
        row is a data problem, which does not stop the jobs (exit 0)."""
        roster = program.parent / "data" / "ambassadors.csv"
        text = roster.read_text(encoding="utf-8")
        roster.write_text(text.replace(",paused,2026-05-04 paused,", ",On leave,,", 1), encoding="utf-8")
        res = cli("doctor", config=go_live(program))
        assert res.code == 0, res.err
        (line,) = [line for line in res.err.splitlines() if "Status cell" in line]
        assert line.startswith("warn roster: 1 Status cell cannot be read; e.g. row ") and "'On leave'" in line
        assert "active, paused, alumni, removed" in line and "ambassadors.status_values" in line

    def test_doctor_names_a_missing_template(self, cli, program):
        """doctor says which email template is missing."""
        (program.parent / "templates" / "emails" / "checkin_receipt.html").unlink()
        res = cli("doctor", config=program)
        assert res.code == 2 and "checkin_receipt.html" in res.err


@pytest.mark.parametrize("command", ["run-all", "sync-checkins", "compliance", "doctor", "reminders", "init"])
def test_help_on_every_command(cli, command):
    """Every command has --help."""
    res = cli(command, "--help")
    assert res.code == 0 and "Usage:" in res.out


def test_init_on_the_local_backend_says_what_it_does(cli, program):
    """On the CSV folder `init` names each staff file it would create (dry run: none made), creates them, and a
    second run says they are there; no run says init is not needed, nor "nothing created" beside a creation."""
    data = program.parent / "data"
    files = ["referral_inquiries.csv", "referral_answers.csv", "funding_requests.csv", "conduct_register.csv"]
    for name in files:
        (data / name).unlink(missing_ok=True)
    dry = cli("init", "--dry-run", config=program)
    assert dry.code == 0 and not any((data / n).exists() for n in files)
    assert [line.split()[3].rsplit("/", 1)[-1] for line in dry.out.splitlines() if "would create" in line] == files
    first = cli("init", config=program)
    assert first.code == 0 and all((data / n).is_file() for n in files)
    assert [line.split()[2].rsplit("/", 1)[-1] for line in first.out.splitlines() if "] created " in line] == files
    again = cli("init", config=program)
    assert again.code == 0 and "created " not in again.out.replace("nothing created", "")
    assert "Every file init makes in the local folder is there already" in again.out
    for res in (dry, first, again):
        assert "needs no init" not in res.out
        assert "The jobs create the local folder's other files themselves as they run." in res.out
    assert "nothing created" not in first.out
