"""`export EMAIL`, `erase EMAIL` and `retention`: one person's data on request, and nothing kept too long.

`export` gathers every row of every table that is the person's or names them (roster and status
history, check-in responses, activities, check-ins, data problems, mail ledger, blog proposals,
referral inquiries and answers, funding requests, event attendance; the conduct register only for a
reader named in `conduct.readers`) and the files the jobs made about them (outbox messages, review
documents) into one JSON file and a readable HTML page.

`erase` forgets the person everywhere `export` looks (`domain.privacy`): their address becomes a keyed
hash, their text tokens, their files are deleted, and the conduct register's rows about them deleted
(by a reader). Their Status is staff's to set, as ever; no message goes to an erased address. Numbers stay: every
activity still counts where it counted, so a report of a past quarter is unchanged; and the ledger's
keys hold the keyed hash, so nothing is sent again. Running it again finds nothing left to do; a run
stopped part-way is finished by the next one.

`retention` (in run-all) deletes what is kept longer than `privacy.retention` says, and the conduct
register's incidents past `conduct.retention_days`.
"""

from __future__ import annotations

import json
from contextlib import contextmanager, nullcontext
import re
from datetime import date, timedelta
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from ..adapters.files.atomic import atomic_write
from ..bootstrap import Context
from ..domain.ownership import program_key
from ..domain.privacy import ERASE_JOB, Erasure, Pending, TableRule, concerns, export_row, own_texts, owned
from ..domain.problems import FIXED, read_status
from ..domain.values import normalize_email, stable_digest
from ..errors import AlreadyRunning, ConfigError, ServiceUnavailable, StopRun
from ..effects import utc_now
from ..ports import LedgerEntry, PersonalFile, PersonalTable, Written
from . import conduct as conduct_job
from . import referrals as referrals_job
from .base import JobResult, plural

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _person(email: str) -> str:
    address = normalize_email(email)
    if not _ADDRESS.match(address):
        raise ConfigError(f"'{email}' is not an email address: give the person's address as the roster has it.")
    return address


def _reader_ok(ctx: Context, reader: str | None) -> bool:
    """Whether the conduct register is included: only for a reader `conduct.readers` names (else exit 2)."""
    if reader is None:
        return False
    conduct_job.allowed(ctx, reader)
    return True


def _tables(ctx: Context, with_conduct: bool):
    return [t for t in ctx.personal if with_conduct or not t.rule.restricted]


def _not_included(ctx: Context, with_conduct: bool) -> list[str]:
    notes = []
    if not with_conduct:
        notes.append("The conduct register: only a reader named in conduct.readers can include it (--reader).")
    notes.append("The check-in form's own responses (in Google Forms): staff delete the person's there, in the "
                 "form's Responses tab; until then every run erases them as it reads them.")
    return notes


def whereabouts(ctx: Context, address: str) -> tuple[list[str], set[tuple[str, int]]]:
    """In one read of the roster and the attendee lists: the person's names (files naming them are theirs
    too), and the (source, row) of their roster rows as data problems name them (a problem staff own about
    their row, such as a handle that is no forum user, is theirs too)."""
    found: list[str] = []
    places: set[tuple[str, int]] = set()
    for t in ctx.personal:
        if not t.rule.names:
            continue
        source = Path(t.table.removeprefix("Airtable table ")).name
        headers, rows = t.store.read(t.table)
        for n, r in enumerate(rows, 2):
            if owned(t.rule, headers, r, address):
                found += [c.strip() for h, c in zip(headers, r) if h in t.rule.names and c.strip()]
                if t.rule.what == "roster":
                    places |= {(source, n), (f"{source} (forum)", n)}
    return list(dict.fromkeys(found)), places


def _mine(rule: TableRule, headers: list[str], row: list[str], address: str,
          places: set[tuple[str, int]]) -> bool:
    """Whether a row is the person's or names them (a problem about one of their roster rows included)."""
    if concerns(rule, headers, row, address):
        return True
    if rule.problems and places:
        cell = dict(zip(headers, row))
        try:
            return (cell.get("Source", "").replace("\\", "/").rsplit("/", 1)[-1], int(cell.get("Row") or 0)) in places
        except ValueError:
            return False
    return False


def gather(ctx: Context, address: str, with_conduct: bool) -> dict:
    """Everything held about one address, as plain data. A file or a local table is named by its path in the
    program's folder (`data/ambassadors.csv`), one outside it by its name: no server path goes out."""
    base = ctx.program_dir.resolve()

    def shown(where: str) -> str:
        path = Path(where)
        if not path.is_absolute():
            return where  # an Airtable table's name, or a path that is relative already
        return path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name

    tables = []
    known_names, places = whereabouts(ctx, address)
    for t in _tables(ctx, with_conduct):
        headers, rows = t.store.read(t.table)
        mine = [export_row(headers, r) for r in rows if _mine(t.rule, headers, r, address, places)]
        if mine:
            tables.append({"what": t.rule.what, "where": shown(t.table), "rows": mine})
    files = [{"what": f.what, "path": shown(f.path), "detail": f.detail}
             for f in ctx.personal_files.find(address, known_names)] if ctx.personal_files else []
    return {"person": address, "exported_on": ctx.as_of.isoformat(), "tables": tables, "files": files,
            "not_included": _not_included(ctx, with_conduct)}


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data held about {{ data.person }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;color:#1d2733;
line-height:1.45;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:2px solid #4e5e9e;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1rem}
th,td{border:1px solid #dde3ea;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.88rem}
th{background:#f3f6f9;width:14rem;font-weight:600}.where{color:#5b6775;font-size:.85rem}
.note{background:#fff8e6;border-left:4px solid #e0a800;padding:.5rem .8rem}
</style></head><body>
<h1>Data the {{ program }} holds about {{ data.person }}</h1>
<p>Exported on {{ data.exported_on }}: {{ count }} record{{ "s" if count != 1 }} in {{ data.tables|length }}
table{{ "s" if data.tables|length != 1 }}, and {{ data.files|length }} file{{ "s" if data.files|length != 1 }}.
The same data is in the JSON file beside this page.</p>
{% for note in data.not_included %}<p class="note">Not included: {{ note }}</p>{% endfor %}
{% for t in data.tables %}
<h2>{{ t.what|capitalize }} <span class="where">({{ t.where }}; {{ t.rows|length }} record{{ "s" if t.rows|length != 1 }})</span></h2>
{% for row in t.rows %}<table>{% for k, v in row.items() %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}</table>
{% endfor %}{% endfor %}
{% if data.files %}<h2>Files</h2><table><tr><th>What</th><td><b>File</b></td></tr>
{% for f in data.files %}<tr><th>{{ f.what }}</th><td>{{ f.path }}<br><span class="where">{{ f.detail }}</span></td></tr>{% endfor %}
</table>{% endif %}
{% if not data.tables and not data.files %}<p>Nothing is held about this address.</p>{% endif %}
</body></html>
"""


def _page(data: dict, program: str) -> str:
    env = Environment(autoescape=True, undefined=StrictUndefined)
    return env.from_string(_PAGE).render(data=data, program=program,
                                          count=sum(len(t["rows"]) for t in data["tables"]))


def _address_digest(address: str) -> str:
    """What tells one person's export files from everyone else's: a digest of the whole normalised address
    (`ann+lee@` and `ann_lee@` share a readable slug, never a digest)."""
    return stable_digest("export", normalize_email(address), length=12)


#: What a reader's export (the conduct register included) adds to its name, so it never overwrites the plain one.
WITH_CONDUCT = "-with-conduct"


def _file_stem(address: str, day: date, with_conduct: bool = False) -> str:
    """`<readable slug>-<digest>[-with-conduct]-<date>`: the slug (at most 60 ASCII characters, no `/`) is for
    people; the digest makes the name one person's alone, and is what `erase` matches."""
    slug = re.sub(r"[^a-z0-9@._-]+", "_", normalize_email(address))[:60].strip(".") or "person"
    return f"{slug}-{_address_digest(address)}{WITH_CONDUCT if with_conduct else ''}-{day.isoformat()}"


def _exports_of(folder: Path, address: str) -> list[Path]:
    """The export files of exactly this person: those named with their address's digest, and those written
    before names held one (`<slug>-<date>.json` and its `.html`) whose JSON records their address."""
    if not folder.is_dir():
        return []
    digest = _address_digest(address)
    found = set(folder.glob(f"*-{digest}-????-??-??.*")) | set(folder.glob(f"*-{digest}{WITH_CONDUCT}-????-??-??.*"))
    for old in folder.glob("*-????-??-??.json"):
        if old in found or re.search(rf"-[0-9a-f]{{12}}({WITH_CONDUCT})?-\d{{4}}-\d{{2}}-\d{{2}}$", old.stem):
            continue
        try:
            person = json.loads(old.read_text(encoding="utf-8")).get("person", "")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(person, str) and normalize_email(person) == address:
            found |= {p for p in (old, old.with_suffix(".html")) if p.exists()}
    return sorted(found)


def export(ctx: Context, email: str, reader: str | None = None, program: str = "Ambassador Program") -> JobResult:
    """Write everything held about one person to `<privacy.export_dir>/<address slug>-<digest>-<date>.json` and
    `.html` (`-<digest>-with-conduct-<date>` for a reader's, which holds the conduct register)."""
    address = _person(email)
    with_conduct = _reader_ok(ctx, reader)
    result = JobResult("export")
    data = gather(ctx, address, with_conduct)
    rows = sum(len(t["rows"]) for t in data["tables"])
    held = f"{plural(rows, 'record')} in {plural(len(data['tables']), 'table')} and {plural(len(data['files']), 'file')}"
    stem = ctx.export_dir / _file_stem(address, ctx.as_of, with_conduct)
    if ctx.dry_run:
        result.summary.append(f"Dry run: {held} about {address}; would write {stem}.json and {stem}.html.")
    else:
        atomic_write(Path(f"{stem}.json"), json.dumps(data, indent=2, ensure_ascii=False) + "\n", private=True)
        atomic_write(Path(f"{stem}.html"), _page(data, program), private=True)  # 0600 always
        result.summary.append(f"{held} about {address}: written to {stem}.json and {stem}.html.")
    result.summary += [f"not included: {n}" for n in data["not_included"]]
    result.data["export"] = data
    return result


def erase(ctx: Context, email: str | None, reader: str | None = None) -> JobResult:
    """Forget one person in every table and file `export` looks at; say what changed (or would).

    Every table is worked out, and what would be written to it checked, before the first write: a stop
    before it leaves everything as it was. Then what it will erase (the address, the names, the person's
    texts, the keys it renames) is recorded (`Pending`, in `ctx.erasure_journal`) before the first write,
    and a stop after it is finished by the next `erase` (with the same address, or none), from that record:
    meanwhile every other job stops. A field the store cannot rewrite (`PersonalTables.fixed`: a lookup, a
    linked record, a collaborator...) is left as it is and named, with where the person's data lives."""
    result = JobResult("erase")
    journal = ctx.erasure_journal
    try:
        pending = journal.load() if journal is not None else None
    except StopRun:
        if email is None:
            raise
        pending = None  # a damaged record: this erase of the address staff give records it again
    if email is None:
        if pending is None:
            raise ConfigError("No erase is unfinished: give the address of the person to erase.")
        address = pending.address
    else:
        address = _person(email)
    with_conduct = _reader_ok(ctx, reader)
    if pending is not None and pending.address != address:
        if ctx.dry_run:
            result.summary.append(f"An erase begun at {pending.started} has not finished: run erase without "
                                  f"--dry-run to finish it first.")
        else:
            result.summary.append(f"An erase begun at {pending.started} had not finished: it is finished first.")
            result.summary += _erase(ctx, pending.address, pending.with_conduct, pending)
        pending = None
    if pending is not None:
        result.summary.append(f"An erase of {address} begun at {pending.started} had not finished: it is finished "
                              f"now{' (dry run: it would be)' if ctx.dry_run else ''}.")
        with_conduct = with_conduct or pending.with_conduct
    result.summary += _erase(ctx, address, with_conduct, pending)
    result.summary += [f"not included: {n}" for n in _not_included(ctx, with_conduct)]
    return result


def _erase(ctx: Context, address: str, with_conduct: bool, pending: Pending | None) -> list[str]:
    """Erase one address (finishing `pending`, its unfinished erase, if given); the summary's lines."""
    summary: list[str] = []
    tables = _tables(ctx, with_conduct)
    # A data problem's Source is a file's name ("checkin_responses.csv") or a table's ("Ambassadors").
    sources = {Path(t.table.removeprefix("Airtable table ")).name: t.rule for t in tables}
    names, places = whereabouts(ctx, address)  # read before the roster forgets them
    # The keyed hashes of the offers made to them, read before the inquiries forget the address: their referral
    # answers that carry no address are set aside from now on.
    offers = referrals_job.erased_offers(ctx, address)
    if pending is not None:  # what only the record still knows (the roster is erased already)
        names = list(dict.fromkeys((*pending.names, *names)))
        places |= set(pending.places)
        offers = sorted({*pending.offers, *offers})
    texts: list[str] = []
    # The person's texts that someone else's row holds too (two ambassadors reporting the same meetup): a file
    # repeating one is not theirs for that. Seen as the tables are read, among the texts known by then.
    candidates: set[str] = set(pending.texts) if pending is not None else set()
    shared: set[str] = set()
    verb = "would change" if ctx.dry_run else "changed"

    def change(rule: TableRule, erasure: Erasure, fixed: dict[str, str], left: dict[str, str]):
        def one(headers: list[str], row: list[str]) -> list[str] | None:
            new: list[str] | None = row
            if rule.rekeyed:
                new = erasure.rekey(rule, headers, row)
            mine = owned(rule, headers, new, address)
            if mine:
                texts.extend(own_texts(rule, headers, new))
            elif candidates:
                shared.update(t for t in own_texts(rule, headers, new) if t in candidates)
            if concerns(rule, headers, new, address):
                new = erasure.row(rule, headers, new)
            elif _mine(rule, headers, new, address, places):  # a problem staff own about their roster row
                new = erasure.row(rule, headers, new, theirs=True)
            if new is not None and fixed:
                for i, h in enumerate(headers):
                    if h in fixed and new[i] != row[i]:
                        new[i] = row[i]  # the store cannot write it: it stays, and is named
                        left[h] = fixed[h]
            return new
        return one

    def erase_all(erasure: Erasure, dry_run: bool) -> list[tuple[PersonalTable, Written, dict[str, str]]]:
        done = []
        for t in tables:
            left: dict[str, str] = {}
            written = t.store.rewrite(t.table, change(t.rule, erasure, fixed[t.table], left), dry_run=dry_run)
            done.append((t, written, left))
            if not dry_run:
                ctx.checkpoint("erase:table")
        return done

    def erasure(renamed: dict[str, str]) -> Erasure:
        return Erasure(address, ctx.as_of, ctx.pseudonyms, sources, renamed=dict(renamed),
                       source_names=ctx.problem_names)

    with _exclusive(ctx), _held(ctx):  # no run reads the responses or records a ledger step meanwhile
        fixed = {t.table: t.store.fixed(t.table) for t in tables}
        planned = erasure(pending.renamed if pending is not None else {})
        done = erase_all(planned, dry_run=True)  # every check before the first write
        record = (pending or Pending(address, utc_now().isoformat(timespec="seconds"), with_conduct)).joined(
            names, texts, sorted(places), planned.renamed, offers)
        candidates |= set(record.texts)
        if not ctx.dry_run:
            if ctx.erasure_journal is not None:
                ctx.erasure_journal.begin(record)
            ctx.checkpoint("erase:journal")
            done = erase_all(erasure(record.renamed), dry_run=False)
        elif candidates - shared:  # a dry run reads once more to know which of their texts others share
            erase_all(erasure(record.renamed), dry_run=True)
        touched, kept = 0, 0
        for t, written, left in done:
            if written.changed:
                touched += written.changed
                what = "deleted" if t.rule.delete else "anonymised"
                summary.append(f"{t.rule.what} ({t.table}): {plural(written.changed, 'row')} {what}"
                               f"{' (dry run)' if ctx.dry_run else ''}.")
            for title, where in left.items():
                if where:
                    kept += 1
                    summary.append(f"{t.rule.what} ({t.table}): the field '{title}' "
                                   f"{'would be' if ctx.dry_run else 'is'} left as it is, as erase cannot "
                                   f"rewrite it ({where}); erase the person's data there by hand.")
        own = [t for t in record.texts if t not in shared]
        files = ctx.personal_files.find(address, [*record.names, *own]) if ctx.personal_files else []
        # Earlier exports hold everything about them: once handed over, they go too.
        files += [PersonalFile(str(p), "export", p.name) for p in _exports_of(ctx.export_dir, address)]
        if files:
            gone = ctx.personal_files.remove(files, dry_run=ctx.dry_run)
            touched += gone.deleted
            if gone.deleted:
                summary.append(f"files: {plural(gone.deleted, 'file')} {'would be ' if ctx.dry_run else ''}"
                               f"deleted (outbox messages, review documents, quarterly reports and exports naming "
                               f"them); `report --quarter` makes a report again without them.")
            if any(f.what == "the outbox's index" for f in files):
                summary.append(f"the outbox's index {'would be' if ctx.dry_run else 'is'} written again without them.")
                touched += 1
        if not ctx.dry_run:
            ctx.checkpoint("erase:files")
    if not ctx.dry_run:
        # The keyed hash on record: a live form's rows of theirs arrive erased from now on (ErasedResponses).
        pseudonym = ctx.pseudonyms.address(address)
        key = f"{ERASE_JOB}:{pseudonym}"
        if key not in ctx.ledger.entries():
            with ctx.ledger.batch():
                ctx.ledger.record(LedgerEntry(key, ERASE_JOB, pseudonym, "sent", 1, "", "",
                                              utc_now().isoformat(timespec="seconds")))
        referrals_job.remember_erased_offers(ctx, address, list(record.offers))
        ctx.checkpoint("erase:ledger")
        ctx.cache.clear()  # what earlier runs worked out may hold the address (also after a stopped erase)
        ctx.checkpoint("erase:cache")
        if ctx.erasure_journal is not None:
            ctx.erasure_journal.end()
    if not touched:
        held = " that erase can change" if kept else ""
        summary.append(f"Nothing held about {address}{held}{' is left' if not ctx.dry_run else ''}: "
                       f"nothing {verb}.")
    else:
        pseudonym = "a keyed hash" if ctx.dry_run else ctx.pseudonyms.address(address)
        where = "everywhere but the fields named above" if kept else "everywhere"
        summary.append(f"{address} {'would be' if ctx.dry_run else 'is now'} {pseudonym} {where}; their "
                       f"activities still count where they counted, and no message goes to the erased "
                       f"address. Set their Status in the roster (removed or alumni) if they are leaving.")
    return summary


@contextmanager
def _exclusive(ctx: Context):
    """The run locks of `run-all` and `sync-checkins` while erasing: a run that read the responses before
    the erase could otherwise write the address back after it. A run under way makes the erase fail
    (exit 1), to be run again once it ends; a dry run takes nothing."""
    if ctx.dry_run or ctx.run_lock is None:
        yield
        return
    try:
        with ctx.run_lock.hold("run-all"), ctx.run_lock.hold("sync-checkins"):
            yield
    except AlreadyRunning as exc:
        raise ServiceUnavailable(f"{exc}; nothing was erased: run erase again once it has finished") from None


def _held(ctx: Context):
    """The send lock while rewriting (no run records a ledger step meanwhile); a dry run takes nothing."""
    return nullcontext() if ctx.dry_run else ctx.lock.hold()


def _older(text: str, cutoff: date) -> bool:
    try:
        return date.fromisoformat(text.strip()[:10]) < cutoff
    except ValueError:
        return False


def retention(ctx: Context) -> JobResult:
    """Delete what is kept longer than configured: ledger steps, problems fixed long ago, outbox messages,
    and the conduct register's old incidents (`conduct purge`)."""
    result = JobResult("retention")
    keep = ctx.privacy.retention if ctx.privacy else None
    if keep is not None:
        ledger_cutoff = ctx.as_of - timedelta(days=keep.ledger_days)
        fixed_cutoff = ctx.as_of - timedelta(days=keep.fixed_problems_days)

        # Only the program's own rows are deleted: the first column is the key (Key, Problem ID), and a row a
        # person added to the table (no key of the program's shape) stays whatever its dates say.
        def ledger_step(headers: list[str], row: list[str]) -> list[str] | None:
            cell = dict(zip(headers, row))
            if cell.get("Job", "").strip() == ERASE_JOB or not program_key("mail_ledger", row[0] if row else ""):
                return row  # the keyed hash of someone erased is kept for good
            return None if _older(cell.get("At") or cell.get("Last attempt") or "", ledger_cutoff) else row

        def fixed_problem(headers: list[str], row: list[str]) -> list[str] | None:
            cell = dict(zip(headers, row))
            closed_long_ago = (read_status(cell.get("Status", "")) == FIXED
                               and _older(cell.get("Closed", ""), fixed_cutoff))
            return None if closed_long_ago and program_key("problems", row[0] if row else "") else row

        # What is past retention is seen in what the run has read already (the ledger's entries, the problems
        # on record): a table is read again, and rewritten, only when something in it is due.
        ledger_due = any(_older(e.at, ledger_cutoff) for e in ctx.ledger.entries().values()
                         if e.job != ERASE_JOB and program_key("mail_ledger", e.key))
        problems_due = any(r.status == FIXED and r.closed is not None and r.closed < fixed_cutoff
                           for r in ctx.reports.load_problems())
        tables = [(t, ledger_step if t.rule.what == "mail ledger" else fixed_problem) for t in ctx.personal
                  if (t.rule.what == "mail ledger" and ledger_due) or (t.rule.problems and problems_due)]
        # Looked at first without the lock: a day with nothing past retention takes no lock, writes nothing.
        due = [(t, job) for t, job in tables if t.store.rewrite(t.table, job, dry_run=True).deleted]
        old = ctx.personal_files.older_than(keep.outbox_days, ctx.as_of) if ctx.personal_files else []
        if due or old:
            with _held(ctx):
                for t, job in due:
                    written = t.store.rewrite(t.table, job, dry_run=ctx.dry_run)
                    if written.deleted:
                        result.summary.append(f"{t.rule.what}: {plural(written.deleted, 'row')} past retention "
                                              f"{'would be ' if ctx.dry_run else ''}deleted from {t.table}.")
                if old:
                    gone = ctx.personal_files.remove(old, dry_run=ctx.dry_run)
                    result.summary.append(f"outbox: {plural(gone.deleted, 'file')} older than {keep.outbox_days} days "
                                          f"{'would be ' if ctx.dry_run else ''}deleted.")
        if not result.summary:
            result.summary.append("Nothing past retention.")
    result.summary += conduct_job.purge(ctx).summary
    return result
