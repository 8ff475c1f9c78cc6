"""`export EMAIL`, `erase EMAIL` and `retention`: everything about one person, then nothing of them, while
the program's numbers stay as they were; on the CSV folder and on the fake Airtable base."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import yaml
from pypdf import PdfReader

from automations import bootstrap
from automations.config import load_config
from automations.domain.privacy import Pseudonyms, TableRule, concerns, is_erased
from automations.jobs import compliance, privacy, run_all
from tests.conftest import snapshot

DAY = date(2026, 10, 19)
PRIYA = "priya.deshmukh@example.org"
NAME = "Priya Deshmukh"
CONDUCT_READER = "lead@example.org"


def ctx(program: Path, day: date = DAY, dry_run: bool = False):
    return bootstrap.build(load_config(program), day, dry_run=dry_run)


def every_file_text(folder: Path) -> dict[str, str]:
    """Every file under `folder` as text (email files decoded), except the export folder."""
    from email import message_from_bytes, policy

    out = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or "exports" in p.parts or p.suffix in (".sqlite3", ".pdf") or p.name == ".privacy_key":
            continue
        data = p.read_bytes()
        text = data.decode("utf-8", errors="replace")
        if p.suffix == ".eml":
            m = message_from_bytes(data, policy=policy.default)
            text += "\n".join(str(part.get_content()) for part in m.walk() if part.get_content_maintype() == "text")
        out[p.relative_to(folder).as_posix()] = text
    return out


def verdicts(program: Path, quarter: str, day: date = DAY) -> Counter:
    """The compliance JSON's numbers, without who: what a report adds up."""
    res = compliance.run(ctx(program, day), quarter, "json", None)
    data = json.loads(res.output)
    return Counter((a["status"], a["full_reports"], a["activities"], a["standing"], a["streak"], tuple(a["perks"]),
                    a.get("country", "")) for a in data["ambassadors"])


def set_conduct(program: Path, readers: list[str]) -> None:
    data = yaml.safe_load(program.read_text(encoding="utf-8"))
    data["conduct"] = {"readers": readers}
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with (program.parent / "data" / "conduct_register.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["Email", "Date", "Step", "Description", "Recorded by"],
                                  [PRIYA, "2026-09-01", "admonishment", "QZX-incident-text", CONDUCT_READER],
                                  ["arjun.nair@example.com", "2026-09-02", "warning", "other", CONDUCT_READER]])


class TestExportThenErase:
    def test_export_erase_export_finds_nothing_and_numbers_stay(self, program):
        """Export holds the person's roster row, responses, activities, ledger and files; after erase a new
        export holds nothing, no file of the program names them, and the verdict numbers are unchanged."""
        run_all.run(ctx(program))
        data_dir = program.parent
        from automations.jobs import report as report_job

        report_job.run(ctx(program), "2026Q3")  # a report naming her
        assert "Priya" in (data_dir / "reports" / "2026Q3" / "report.html").read_text(encoding="utf-8")
        before_q2, before_q3 = verdicts(program, "2026Q2"), verdicts(program, "2026Q3")

        first = privacy.export(ctx(program), PRIYA).data["export"]
        whats = {t["what"] for t in first["tables"]}
        assert {"roster", "check-in responses", "activities", "check-ins", "mail ledger"} <= whats
        roster = next(t for t in first["tables"] if t["what"] == "roster")["rows"][0]
        assert roster["Name"] == NAME and roster["Email"] == PRIYA
        assert any(f["what"] == "email in the outbox" for f in first["files"])
        assert any(f["what"] == "quarterly report" for f in first["files"])
        exported = sorted((data_dir / "exports").glob("*"))
        assert [p.suffix for p in exported] == [".html", ".json"]
        assert json.loads(exported[1].read_text(encoding="utf-8"))["person"] == PRIYA

        res = privacy.erase(ctx(program), PRIYA)
        assert any("anonymised" in line for line in res.summary)
        assert not (data_dir / "exports").exists() or not any((data_dir / "exports").iterdir())

        again = privacy.export(ctx(program), PRIYA, None).data["export"]
        assert again["tables"] == [] and again["files"] == []
        leaks = [name for name, text in every_file_text(data_dir).items()
                 if PRIYA in text.lower() or NAME.lower() in text.lower() or "priya" in text.lower()]
        assert leaks == []
        assert verdicts(program, "2026Q2") == before_q2
        assert verdicts(program, "2026Q3") == before_q3

    def test_after_erase_runs_stay_quiet(self, program, cli):
        """A run after the erase finds no new data problem (the problems' ids follow their erased values),
        sends nothing to the pseudonym, and sends nothing again of what went before."""
        cli("--as-of", "2026-10-19", "run-all", config=program)
        outbox = program.parent / "outbox"
        for person in (PRIYA, "stranger@example.net", "budi.santoso@example.com"):
            r = cli("--as-of", "2026-10-19", "erase", person, config=program)
            assert r.code == 0, r.err
        before = snapshot(outbox)
        r = cli("--as-of", "2026-10-19", "run-all", config=program)
        assert r.code == 0, r.err
        assert "unusable (new)" not in r.err
        assert snapshot(outbox) == before  # nothing new: the ledger's rewritten keys are the planners' keys
        r = cli("--as-of", "2026-10-26", "run-all", config=program)
        assert r.code == 0, r.err
        sent_to = [message_from_bytes(p.read_bytes(), policy=policy.default)["To"] for p in outbox.glob("*/*.eml")]
        assert sent_to and not any("erased.invalid" in str(to) for to in sent_to)

    def test_erase_twice_and_dry_run(self, program):
        """A dry run changes no byte; a second erase finds nothing left."""
        run_all.run(ctx(program))
        before = snapshot(program.parent)
        res = privacy.erase(ctx(program, dry_run=True), PRIYA)
        assert any("(dry run)" in line for line in res.summary)
        assert snapshot(program.parent) == before
        privacy.erase(ctx(program), PRIYA)
        after = snapshot(program.parent)
        res = privacy.erase(ctx(program), PRIYA)
        assert any("Nothing held" in line for line in res.summary)
        state = lambda snap: {k: v for k, v in snap.items() if ".work_cache" not in k and ".lock" not in k}  # noqa
        assert state(snapshot(program.parent)) == state(after)

    def test_the_conduct_register_needs_a_reader(self, program, cli):
        """Without --reader the register is neither exported nor erased; a reader not in conduct.readers stops
        the run (exit 2); a reader gets it exported and erased."""
        set_conduct(program, [CONDUCT_READER])
        register = program.parent / "data" / "conduct_register.csv"
        r = cli("--as-of", "2026-10-19", "export", PRIYA, config=program)
        assert r.code == 0 and "QZX-incident-text" not in json.dumps(
            json.loads(next((program.parent / "exports").glob("*.json")).read_text(encoding="utf-8")))
        r = cli("--as-of", "2026-10-19", "export", PRIYA, "--reader", "someone@example.org", config=program)
        assert r.code == 2 and "conduct.readers" in r.err
        r = cli("--as-of", "2026-10-19", "export", PRIYA, "--reader", CONDUCT_READER, config=program)
        assert r.code == 0
        assert "QZX-incident-text" in next((program.parent / "exports").glob("*-with-conduct-*.json")).read_text(
            encoding="utf-8")
        cli("--as-of", "2026-10-19", "erase", PRIYA, config=program)
        assert "QZX-incident-text" in register.read_text(encoding="utf-8")
        r = cli("--as-of", "2026-10-19", "erase", PRIYA, "--reader", CONDUCT_READER, config=program)
        assert r.code == 0, r.err
        text = register.read_text(encoding="utf-8")
        assert "QZX-incident-text" not in text and "arjun.nair@example.com" in text

    def test_a_readers_export_keeps_the_plain_one_and_erase_deletes_both(self, program, cli):
        """`export --reader` the same day as a plain export writes files of its own (`-with-conduct-` before
        the date) and leaves the plain export as it was; `erase` deletes both, and another person's stay."""
        set_conduct(program, [CONDUCT_READER])
        exports = program.parent / "exports"
        for who in (PRIYA, "arjun.nair@example.com"):
            assert cli("--as-of", "2026-10-19", "export", who, config=program).code == 0
        plain = {p.name: p.read_bytes() for p in exports.iterdir()}
        r = cli("--as-of", "2026-10-19", "export", PRIYA, "--reader", CONDUCT_READER, config=program)
        assert r.code == 0, r.err
        assert {p.name: p.read_bytes() for p in exports.iterdir() if p.name in plain} == plain
        (mine,) = [p for p in exports.glob("*.json") if p.name not in plain]
        assert mine.name.startswith(PRIYA) and mine.name.endswith("-with-conduct-2026-10-19.json")
        assert mine.with_suffix(".html").is_file() and mine.name in r.out
        assert "QZX-incident-text" in mine.read_text(encoding="utf-8")
        assert not any("QZX-incident-text" in p.read_text(encoding="utf-8") for p in exports.glob("*.json")
                       if p != mine)
        r = cli("--as-of", "2026-10-19", "erase", PRIYA, config=program)
        assert r.code == 0, r.err
        left = sorted(p.name for p in exports.iterdir())
        assert len(left) == 2 and all(n.startswith("arjun.nair@example.com-") for n in left)

    def test_an_export_names_no_server_path(self, program, cli):
        """The export's tables and files are named by their paths in the program folder (`data/...`,
        `outbox/...`), never by the folder's place on the server."""
        done = cli("--as-of", "2026-10-19", "run-all", config=program)  # mail and a review document about Priya
        assert done.code == 1 and "unusable (new): " in done.err  # the example's bad rows: exit 1
        r = cli("--as-of", "2026-10-19", "export", PRIYA, config=program)
        assert r.code == 0, r.err
        (exported,) = (program.parent / "exports").glob("*.json")
        data = json.loads(exported.read_text(encoding="utf-8"))
        page = exported.with_suffix(".html").read_text(encoding="utf-8")
        server = str(program.parent.resolve())
        assert data["files"] and server not in exported.read_text(encoding="utf-8") and server not in page
        assert "data/ambassadors.csv" in [t["where"] for t in data["tables"]]
        for f in data["files"]:
            assert not Path(f["path"]).is_absolute() and (program.parent / f["path"]).is_file(), f
            assert f["path"] in page

    def test_export_names_are_one_persons_and_erase_deletes_only_theirs(self, program, cli):
        """`ann+lee@` and `ann_lee@` share a readable slug but never an export file; erasing `ann/lee@` (whose
        slug is `ann_lee@` too) leaves both; erasing `ann_lee@` deletes its exports alone, an export written
        before names held a digest included (matched by the address it records, not its name)."""
        exports = program.parent / "exports"
        people = ["ann+lee@example.org", "ann_lee@example.org"]
        for person in people:
            r = cli("--as-of", "2026-10-19", "export", person, config=program)
            assert r.code == 0, r.err
        by_person = {json.loads(p.read_text(encoding="utf-8"))["person"]: p for p in exports.glob("*.json")}
        assert sorted(by_person) == sorted(people)
        assert all("/" not in p.name and p.with_suffix(".html").exists() for p in by_person.values())
        legacy = exports / "ann_lee@example.org-2026-09-01.json"  # the name the export used to write
        legacy.write_text(json.dumps({"person": "ann_lee@example.org", "tables": [], "files": []}), encoding="utf-8")
        legacy.with_suffix(".html").write_text("<p>ann_lee@example.org</p>", encoding="utf-8")
        before = sorted(p.name for p in exports.iterdir())
        r = cli("--as-of", "2026-10-19", "erase", "ann/lee@example.org", config=program)
        assert r.code == 0, r.err
        assert sorted(p.name for p in exports.iterdir()) == before
        r = cli("--as-of", "2026-10-19", "erase", "ann_lee@example.org", config=program)
        assert r.code == 0, r.err
        left = sorted(exports.iterdir())
        assert [p.suffix for p in left] == [".html", ".json"]
        assert json.loads(left[1].read_text(encoding="utf-8"))["person"] == "ann+lee@example.org"

    def test_erasing_a_message_leaves_a_message_whose_name_starts_alike(self, tmp_path):
        """The outbox names a message `<key>-<digest>` and its attachments `<that>-<file>`: an address may be
        chosen so that another message's name starts with a whole message name and a dash. Deleting the first
        message's files (its .eml, preview and attachment) leaves every file of the other."""
        from automations.adapters.files.personal_files import OUTBOX, LocalPersonalFiles
        from automations.adapters.outbox import _attachment_name, _safe_name
        from automations.ports import PersonalFile

        day = tmp_path / "outbox" / "2026-10-19"
        day.mkdir(parents=True)
        first = _safe_name("certificate_event:2026-10-15-sprint:ann@x.org")
        other = _safe_name(f"certificate_event:2026-10-15-sprint:ann@x.org-{first.rsplit('-', 1)[1]}-b.de")
        assert other.startswith(first + "-")
        names = {stem: [f"{stem}.eml", f"{stem}.html", _attachment_name(stem, "certificate.pdf")]
                 for stem in (first, other)}
        for stem, files in names.items():
            for n in files:
                (day / n).write_text(f"To: {stem}\n\nbody\n", encoding="utf-8")
        gone = LocalPersonalFiles(tmp_path / "outbox", tmp_path / "drafts").remove(
            [PersonalFile(str(day / f"{first}.eml"), OUTBOX, "")])
        assert gone.deleted == 3
        assert sorted(p.name for p in day.iterdir() if p.name != "index.html") == sorted(names[other])

    def test_a_preview_left_by_a_message_that_is_gone_is_found_by_erase(self, tmp_path):
        """An erase cut short after a message's .eml went leaves its preview: the next erase finds it by the name
        it holds. Another message's preview, whose .eml is there, is not taken for a leftover even when that
        message's name starts with the gone one's."""
        from automations.adapters.files.personal_files import LocalPersonalFiles
        from automations.adapters.outbox import _safe_name

        day = tmp_path / "outbox" / "2026-10-19"
        day.mkdir(parents=True)
        gone = _safe_name("receipt:ann@x.org:2026-10-14")
        kept = f"{gone}-{_safe_name('b.de')}"
        (day / f"{gone}.html").write_text("<p>Hi Ann Lima, your receipt</p>", encoding="utf-8")
        (day / f"{kept}.eml").write_text("To: bo@b.de\nSubject: hi\n\nHi Bo\n", encoding="utf-8")
        (day / f"{kept}.html").write_text("<p>Hi Bo, Ann Lima says hello</p>", encoding="utf-8")
        found = LocalPersonalFiles(tmp_path / "outbox", tmp_path / "drafts").find("ann@x.org", ["Ann Lima"])
        leftovers = [Path(f.path).name for f in found if "gone" in f.detail]
        assert leftovers == [f"{gone}.html"]
        assert [Path(f.path).name for f in found] == [f"{gone}.html"]  # the other preview is its message's

    def test_not_an_address_is_one_sentence(self, program, cli):
        r = cli("erase", "not-an-address", config=program)
        assert r.code == 2 and "Traceback" not in r.err and "not an email address" in r.err


class TestRules:
    def test_tokens_are_keyed_and_stable(self):
        """The same text gives the same token under one key and another under another key; a pseudonym is
        no mailbox."""
        a, b = Pseudonyms(lambda: b"k1"), Pseudonyms(lambda: b"k2")
        assert a.token("My talk") == a.token("My talk") != b.token("My talk")
        assert a.address("X@Example.org ") == a.address("x@example.org") != b.address("x@example.org")
        assert is_erased(a.address("x@example.org")) and not is_erased("x@example.org")

    def test_a_row_that_only_names_the_person_keeps_the_rest(self):
        """A referral inquiry where they were the candidate keeps the inquirer's data; only the address goes."""
        from automations.domain.privacy import Erasure

        rule = TableRule("referral inquiries", ("Contact email",), mention=("Referral history",))
        headers = ["Contact email", "Organization", "Referral history"]
        row = ["ceo@acme.test", "Acme", f"2026-10-01 offered to {PRIYA.upper()}"]
        names = Pseudonyms(lambda: b"k")
        assert concerns(rule, headers, row, PRIYA)
        out = Erasure(PRIYA, DAY, names, {}).row(rule, headers, row)
        assert out[:2] == row[:2] and out[2] == f"2026-10-01 offered to {names.address(PRIYA)}"


class TestRetention:
    def test_old_ledger_steps_fixed_problems_and_outbox_messages_go(self, program):
        """Ledger steps older than ledger_days, problems fixed longer ago than fixed_problems_days and outbox
        days older than outbox_days are deleted; ignored problems and recent ones stay."""
        run_all.run(ctx(program))
        data = program.parent / "data"
        ledger = data / "mail_ledger.csv"
        rows = list(csv.reader(ledger.open(encoding="utf-8", newline="")))
        n = len(rows) - 1
        old_key = rows[1][0]  # every step of one message (sending, then sent) made long ago
        for r in rows[1:]:
            if r[0] == old_key:
                r[rows[0].index("At")] = "2020-01-01T10:00:00+00:00"
        steps = sum(r[0] == old_key for r in rows[1:])
        with ledger.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
        problems = data / "unusable_rows.csv"
        prows = list(csv.reader(problems.open(encoding="utf-8", newline="")))
        head = prows[0]
        prows[1][head.index("Status")], prows[1][head.index("Closed")] = "fixed", "2024-01-01"
        prows[2][head.index("Status")], prows[2][head.index("Closed")] = "ignored", "2024-01-01"
        with problems.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(prows)
        old_day = program.parent / "outbox" / "2025-01-01"
        old_day.mkdir(parents=True)
        (old_day / "x-0123456789.eml").write_bytes(b"To: a@example.org\nSubject: old\n\nold\n")
        (old_day / "x-0123456789.html").write_text("old", encoding="utf-8")

        dry = privacy.retention(ctx(program, dry_run=True))
        assert any("would be deleted" in line for line in dry.summary)
        assert (old_day / "x-0123456789.eml").exists()
        res = privacy.retention(ctx(program))
        assert len(list(csv.reader(ledger.open(encoding="utf-8", newline="")))) - 1 == n - steps
        left = list(csv.reader(problems.open(encoding="utf-8", newline="")))
        assert len(left) == len(prows) - 1 and prows[2] in left
        assert not old_day.exists()
        assert any("past retention" in line for line in res.summary)
        again = privacy.retention(ctx(program))
        assert again.summary[0] == "Nothing past retention."


class TestOnAirtable:
    def test_export_erase_export_on_the_base(self, airtable):
        """The same on the fake base: every record of the person anonymised in place (none deleted), a new
        export finds nothing, no record of any table holds the address, and the next run finds nothing new."""
        run_all.run(airtable.ctx(DAY))
        counts = {t: len(airtable.records(t)) for t in ("Ambassadors", "Activities", "Check-ins", "Mail ledger")}
        first = privacy.export(airtable.ctx(DAY), PRIYA).data["export"]
        assert {t["where"] for t in first["tables"]} >= {"Airtable table Ambassadors", "Airtable table Activities",
                                                        "Airtable table Mail ledger"}
        privacy.erase(airtable.ctx(DAY), PRIYA)
        again = privacy.export(airtable.ctx(DAY), PRIYA).data["export"]
        assert again["tables"] == []
        for table in counts:
            records = airtable.records(table)
            # The ledger gains one step: the keyed hash of the person erased (never the address).
            assert len(records) == counts[table] + (table == "Mail ledger")
            assert not any("priya" in json.dumps(r["fields"]).lower() for r in records)
        results = run_all.run(airtable.ctx(DAY))
        assert all(not r.failures and not r.new_problems for r in results)


class TestLiveForm:
    def test_rows_of_an_erased_person_arrive_erased(self, program):
        """With a live form (which the software cannot change), an erased person's rows are erased as they
        are read: the address reaches no table, and their activities still count for the pseudonym."""
        from automations.adapters.csv.checkin_source import CsvCheckinSource
        from automations.adapters.erased_responses import ErasedResponses

        run_all.run(ctx(program))
        responses = program.parent / "data" / "checkin_responses.csv"
        original = responses.read_bytes()
        c = ctx(program)
        privacy.erase(c, PRIYA)
        responses.write_bytes(original)  # as a live form: the person's rows are still there
        c = ctx(program)
        live = ErasedResponses(CsvCheckinSource(responses), bootstrap.privacy_rules(load_config(program))["responses"],
                               c.privacy.pseudonyms, lambda: bootstrap.erased_addresses(c.stores.ledger))
        headers, rows = live.read()
        rows = list(rows)
        assert not any(PRIYA in "".join(r).lower() for r in rows)
        pseudonym = c.privacy.pseudonyms.address(PRIYA)
        assert sum(r[headers.index("Email Address")] == pseudonym for r in rows) == 4
        plain = {tuple(r) for r in CsvCheckinSource(responses).read()[1]}
        assert len(rows) == len(plain) and sum(tuple(r) in plain for r in rows) == len(rows) - 4


class TestTheReportAfterErase:
    def test_report_totals_unchanged(self, program):
        """The quarterly report's totals (verdict counts and their history, standings, reach and activities by
        country and kind, scored activities, perk holders, posts, funding) are the same after erasing an
        ambassador with perks, a published post and reported activities; only who they were is gone."""
        from automations.jobs import report as report_job

        def totals(day: date = date(2026, 11, 23)):
            c = ctx(program, day, dry_run=True)
            c.makers.report_renderers = ()
            r = report_job.run(c, "2026Q3").data["report"]
            return (r.counts, r.history,
                    sorted((x.total.country, x.total.ambassadors, x.total.activities, x.total.reach, x.total.engagements)
                           for x in r.countries),
                    [(k.kind, k.activities, k.full_reports, k.reach, k.engagements) for k in r.kinds],
                    dict(r.scored), dict(r.perks_held), r.posts_published,
                    [(f.currency, f.approved, f.requests) for f in r.funding],
                    sorted((a.status, a.full_reports, a.activities, a.standing, a.streak, a.perks, a.reach)
                           for a in r.counted))

        run_all.run(ctx(program, date(2026, 11, 23)))
        before = totals()
        privacy.erase(ctx(program, date(2026, 11, 23)), PRIYA)
        run_all.run(ctx(program, date(2026, 11, 23)))
        assert totals() == before
        c = ctx(program, date(2026, 11, 23), dry_run=True)
        c.makers.report_renderers = ()
        names = {a.name for a in report_job.run(c, "2026Q3").data["report"].ambassadors}
        assert NAME not in names

    def test_a_report_made_again_names_no_token(self, program):
        """Issue 18: Théo Lefèvre is the quarter's first highlight, met it and earned a perk in it. Erased, the
        report made again (page, PDF, newsletter) names no token, pseudonym or inert link: he is left out of
        every list that names people, and every number stays as it was."""
        import re

        from pypdf import PdfReader

        from tests.conftest import run_cli

        folder = program.parent / "reports" / "2026Q3"

        def made() -> tuple[dict[str, str], tuple]:
            r = run_cli("--as-of", "2026-11-23", "report", "--quarter", "2026Q3", config=program)
            assert r.code == 0, r.err
            files = {"report.html": (folder / "report.html").read_text(encoding="utf-8"),
                     "newsletter.md": (folder / "newsletter.md").read_text(encoding="utf-8"),
                     "report.pdf": "\n".join(p.extract_text() for p in PdfReader(folder / "report.pdf").pages),
                     "stdout": r.out + r.err}
            html, md, pdf = files["report.html"], files["newsletter.md"], files["report.pdf"]
            figures = (r.out.splitlines()[0],  # the summary: verdicts, activities, reach, countries, referrals, posts
                       re.findall(r'<div class="tile"><b>([^<]+)</b><span>([^<]+)</span>', html),
                       re.findall(r"<h3>([^<]+\(\d+\))</h3>", html),  # perk holders: "... (7)"
                       re.findall(r"(\d+) (?:activity|activities) had a score", html),
                       re.search(r"In 2026Q3 .*? met the quarter\.", md, re.S).group(0),
                       sum(1 for line in md.split("## Highlights", 1)[1].split("\n## ", 1)[0].splitlines()
                           if line.startswith("- **")),  # the highlights, 6
                       re.findall(r"^(.*\(\d+\))$", pdf, re.M))
            return files, figures

        assert run_cli("--as-of", "2026-11-23", "run-all", config=program).code in (0, 1)
        before, figures = made()
        assert "Théo Lefèvre" in before["newsletter.md"] and "Théo Lefèvre" in before["report.pdf"]
        r = run_cli("--as-of", "2026-11-23", "erase", "theo.lefevre@example.com", config=program)
        assert r.code == 0, r.err
        after, figures_after = made()
        assert figures_after == figures and figures[5] == 6 and figures[2]
        for name, text in after.items():
            for trace in ("erased-", "erased.invalid", "Théo", "Lefèvre"):
                assert trace not in text, (name, trace)
        assert "Met the quarter: " in after["newsletter.md"] and "Zoë Müller" in after["report.pdf"]


    def test_the_staff_digest_after_erase_names_no_token(self, program):
        """Théo Lefèvre checked in this week; erased before the digest goes, he is in none of its lists (new
        activities, standing changes): no token, pseudonym or inert link; the others' activities are listed."""
        from tests.conftest import outbox_messages, run_cli

        assert run_cli("--as-of", "2026-10-12", "sync-checkins", config=program).code in (0, 1)
        assert run_cli("--as-of", "2026-10-12", "erase", "theo.lefevre@example.com", config=program).code == 0
        assert run_cli("--as-of", "2026-10-12", "digest", config=program).code in (0, 1)
        (digest,) = [m for m in outbox_messages(program.parent / "outbox") if m["X-Automation-Job"] == "staff_digest"]
        text = "\n".join(str(p.get_content()) for p in digest.walk() if p.get_content_maintype() == "text")
        assert "erased" not in text + str(digest["Subject"]) and "Théo" not in text
        assert "22 new activities" in str(digest["Subject"]) and "Ana Costa" in text  # 24 this week, 2 his


class TestReviewFindings:
    def test_a_shorter_address_inside_another_is_not_them(self, program, cli):
        """Erasing verma@example.net (no one) touches nothing of rahul.verma@example.net: not his rows, not his
        ledger keys, not his outbox files; the next run sends nothing again."""
        cli("--as-of", "2026-10-19", "run-all", config=program)
        before = snapshot(program.parent)
        exported = privacy.export(ctx(program, dry_run=True), "verma@example.net").data["export"]
        assert exported["tables"] == [] and exported["files"] == []
        r = cli("--as-of", "2026-10-19", "erase", "verma@example.net", config=program)
        assert r.code == 0 and "Nothing held" in r.out
        after = snapshot(program.parent)
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        assert {k for k in changed if not k.startswith("data/.") and "exports/" not in k} == {"data/mail_ledger.csv"}
        assert after["data/mail_ledger.csv"].startswith(before["data/mail_ledger.csv"])  # one erase step added
        r = cli("--as-of", "2026-10-19", "run-all", config=program)
        assert r.code == 0 and "0 messages sent" in r.out

    def test_a_fresh_download_brings_no_address_back(self, program, cli):
        """The form's download put back as it was before the erase: the next run erases the rows as it reads
        them, finds no new problem, and the address is in no file."""
        responses = program.parent / "data" / "checkin_responses.csv"
        original = responses.read_bytes()
        cli("--as-of", "2026-10-19", "run-all", config=program)
        assert cli("--as-of", "2026-10-19", "erase", PRIYA, config=program).code == 0
        responses.write_bytes(original)
        r = cli("--as-of", "2026-10-20", "run-all", config=program)
        assert r.code == 0 and "unusable (new)" not in r.err, r.err
        leaks = [n for n, t in every_file_text(program.parent).items()
                 if PRIYA in t.lower() and n != "data/checkin_responses.csv"]
        assert leaks == []

    def test_retention_keeps_the_erased_hashes(self, program):
        """Years later, retention deletes old ledger steps but keeps the keyed hash of everyone erased."""
        run_all.run(ctx(program))
        privacy.erase(ctx(program), PRIYA)
        res = privacy.retention(ctx(program, date(2031, 1, 1)))
        assert any("mail ledger" in line for line in res.summary)
        rows = list(csv.DictReader((program.parent / "data" / "mail_ledger.csv").open(encoding="utf-8")))
        assert [r["Job"] for r in rows] == ["erase"]


class TestFieldsEraseCannotRewrite:
    """Staff's roster with an Email that is a lookup through a link to People, or a collaborator: erase finds the
    person, rewrites what it can, leaves each field it cannot rewrite and names it with where the data lives;
    doctor says so beforehand without stopping anything."""

    @staticmethod
    def ana_in_the_download(program: Path) -> Path:
        """The check-in download (the local source) with one response of Ana's, first of the tables erased."""
        path = program.parent / "data" / "checkin_responses.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        mine = list(rows[1])
        mine[1:3] = ["ana.lima@example.org", "Ana Lima"]
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([*rows, mine])
        return path

    def test_a_lookup_email_and_a_linked_person_are_left_and_named(self, program, airtable_base):
        """The lookup Email and the link to People stay, each named with the table where Ana's data is; her name,
        her notes and her response in the download are erased; a second erase changes nothing more."""
        from tests.airtable_env import BASE
        from tests.test_airtable_staff_base import on_a_linked_base

        fake, env, ids = on_a_linked_base(program, airtable_base, DAY)
        fake.insert(BASE, "Ambassadors", [
            {"Name": "Ana Lima", "Person": [ids["Ana"]], "Email": ["ana.lima@example.org"], "Notes": "Prefers Ana",
             "Country": [ids["Brazil"]], "Start date": "2024-06-30T23:30:00.000Z", "Status": "Active"}])
        download = self.ana_in_the_download(program)

        dry = privacy.erase(env.ctx(DAY, dry_run=True), "ana.lima@example.org")
        (email_line,) = [x for x in dry.summary if "'Email'" in x]
        assert "would be left as it is" in email_line and "a lookup of 'Email' in the table 'People'" in email_line

        res = privacy.erase(env.ctx(DAY), "ana.lima@example.org")
        (email_line,) = [x for x in res.summary if "'Email'" in x]
        assert email_line.startswith("roster (Airtable table Ambassadors): the field 'Email' is left as it is")
        assert "a lookup of 'Email' in the table 'People' through 'Person'" in email_line
        assert "erase the person's data there by hand" in email_line
        (person_line,) = [x for x in res.summary if "the field 'Person'" in x]
        assert "the linked record of the table 'People'" in person_line
        assert "everywhere but the fields named above" in res.summary[-3]
        (ana,) = env.records("Ambassadors")
        assert ana["fields"]["Name"].startswith("erased-") and ana["fields"]["Notes"].startswith("erased-")
        assert (ana["fields"]["Email"], ana["fields"]["Person"]) == (["ana.lima@example.org"], [ids["Ana"]])
        assert ana["fields"]["Country"] == [ids["Brazil"]]  # kept, as ever
        assert "ana.lima@example.org" not in download.read_text(encoding="utf-8")
        assert any(e.job == "erase" for e in env.ctx(DAY).stores.ledger.entries().values())

        again = privacy.erase(env.ctx(DAY), "ana.lima@example.org")
        assert env.records("Ambassadors") == [ana]
        assert any(x == "Nothing held about ana.lima@example.org that erase can change is left: nothing changed."
                   for x in again.summary), again.summary

    def test_a_collaborator_email_is_found_and_named(self, program, airtable_base):
        """A collaborator Email ({id, email, name}) finds the person by its email; it stays, named."""
        from tests.airtable_env import BASE, AirtableEnv
        from tests.test_airtable_staff_base import THEIR_KEYS, configure, staff_fields

        fake, clock = airtable_base
        configure(program, fake.url, **THEIR_KEYS)
        fake.create_table(BASE, "Ambassadors", [{"name": "Record", "type": "singleLineText"}] + staff_fields(
            Email={"name": "Email", "type": "singleCollaborator"}))
        ana = fake.add_user("ana.lima@example.org", "Ana Lima")
        env = AirtableEnv(fake, clock, program)
        env.ctx(DAY).stores.admin.init(dry_run=False)
        fake.insert(BASE, "Ambassadors", [{"Record": "1", "Name": "Ana Lima", "Email": {"id": ana["id"]},
                                           "Start date": "2024-01-10", "Status": "Active"}])

        res = privacy.erase(env.ctx(DAY), "ana.lima@example.org")
        assert "roster (Airtable table Ambassadors): 1 row anonymised." in res.summary
        (line,) = [x for x in res.summary if "'Email'" in x]
        assert "a collaborator: the person's Airtable account" in line
        (record,) = env.records("Ambassadors")
        assert record["fields"]["Name"].startswith("erased-") and record["fields"]["Email"]["id"] == ana["id"]

    def test_doctor_names_the_fields_without_stopping(self, program, airtable_base):
        """One non-blocking line per table, naming each field erase would change but cannot rewrite."""
        from automations.jobs import doctor
        from tests.airtable_env import AirtableEnv
        from tests.test_airtable_staff_base import THEIR_KEYS, configure, linked_base

        fake, clock = airtable_base
        configure(program, fake.url, **THEIR_KEYS)
        linked_base(fake)
        env = AirtableEnv(fake, clock, program)
        env.ctx(DAY).stores.admin.init(dry_run=False)
        (line,) = doctor.erasable(env.ctx(DAY))
        assert not line.ok and not line.blocking
        assert line.text.startswith("Airtable table Ambassadors (roster): `erase` cannot rewrite the fields ")
        assert "'Email' (a lookup of 'Email' in the table 'People' through 'Person'" in line.text
        assert "'Person' (a linked record" in line.text and "'Country'" not in line.text  # kept: never rewritten
        assert "'Region'" not in line.text  # a formula, kept

    def test_a_problems_rule_rewrites_only_what_the_problem_is_about(self):
        """A data problem's dates and status are not rewritten (a date field there is no field erase skips)."""
        rule = TableRule("data problems", ("Owner", "Value"), problems=True)
        assert [h for h in ("Key", "Status", "First seen", "Owner", "Value", "Problem") if rule.rewrites(h)] == \
            ["Key", "Owner", "Value", "Problem"]
        assert not TableRule("conduct register", ("Email",), delete=True).rewrites("Email")


class TestErasedCopies:
    """Issue 18, "Erase misses copies": the outbox copy of the quarterly report and a funding request's What."""

    def test_the_outbox_copy_of_the_quarterly_report_goes(self, program):
        """The final report goes to staff with its PDF attached: Zoë Müller, named only in the attachment (a PDF,
        not searchable as text), is found through the quarter's report, and erase deletes the message, its
        preview and the attachment."""
        from tests.conftest import run_cli

        assert run_cli("--as-of", "2026-10-22", "run-all", config=program).code in (0, 1)
        assert run_cli("--as-of", "2026-10-22", "report", "--quarter", "2026Q3", config=program).code == 0
        (eml,) = (program.parent / "outbox").glob("*/quarterly_report_2026Q3_*.eml")
        m = message_from_bytes(eml.read_bytes(), policy=policy.default)
        parts = [p for p in m.walk() if not p.is_multipart()]
        attached = [p for p in parts if p.get_filename()]
        assert attached and attached[0].get_content_type() == "application/pdf"
        pdf = PdfReader(io.BytesIO(attached[0].get_payload(decode=True)))
        assert "Zoë Müller" in " ".join(page.extract_text() for page in pdf.pages)
        assert not any("Zoë" in str(p.get_content()) for p in parts if p not in attached)  # only the PDF names her
        from automations.adapters.files.personal_files import LocalPersonalFiles

        here = program.parent
        found = LocalPersonalFiles(here / "outbox", here / "drafts", here / "reports").find("zoe.mueller@example.org",
                                                                                          ["Zoë Müller"])
        assert str(eml) in {f.path for f in found}  # through the quarter's report: the PDF is not read as text
        r = run_cli("--as-of", "2026-10-22", "erase", "zoe.mueller@example.org", config=program)
        assert r.code == 0, r.err
        assert list((program.parent / "outbox").glob("*/quarterly_report_2026Q3_*")) == []

    def test_a_funding_requests_what_is_erased(self, program):
        """Her own request's What becomes a token; another's What naming her address gets the pseudonym."""
        from tests.conftest import run_cli
        from tests.test_funding import read as read_rows
        from tests.test_funding import request, write_requests

        path = write_requests(program, [
            request("Travel for Priya Deshmukh to MautiCon", date(2026, 11, 5)),
            {**request(f"Shared booth with {PRIYA}", date(2026, 11, 6)), "Ambassador email": "arjun.nair@example.com"}])
        r = run_cli("--as-of", "2026-10-19", "erase", PRIYA, config=program)
        assert r.code == 0, r.err
        rows = read_rows(path)
        text = path.read_text(encoding="utf-8")
        assert "Priya" not in text and PRIYA not in text
        assert is_erased(rows[0]["Ambassador email"]) and rows[0]["What"].startswith("erased-")
        assert rows[1]["What"].startswith("Shared booth with erased-") and rows[1]["What"].endswith("@erased.invalid")
        assert rows[1]["Ambassador email"] == "arjun.nair@example.com"
