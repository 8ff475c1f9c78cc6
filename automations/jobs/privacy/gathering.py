"""Finding everything that is one person's or names them, in every table the run can read: what `export` writes
out and `erase` forgets."""

from __future__ import annotations

import re
from pathlib import Path

from ...context import Context
from ...domain.privacy import TableRule, concerns, export_row, owned
from ...domain.values import normalize_email
from ...errors import ConfigError
from .. import conduct as conduct_job
from ..discover import MEMO_TABLE

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
    return [t for t in ctx.privacy.tables if with_conduct or not t.rule.restricted]


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
    for t in ctx.privacy.tables:
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
    base = ctx.privacy.program_dir.resolve()

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
    # What `discover` keeps in the work cache about the person's feeds: each one's last ETag and Last-Modified.
    memo = [{"source": key.partition("\n")[2], "etag_and_last_modified": value.decode("utf-8", "replace")}
            for key, value in sorted(ctx.stores.cache.rows(MEMO_TABLE).items()) if key.partition("\n")[0] == address]
    if memo:
        tables.append({"what": "feed memo (work cache)", "where": "work cache", "rows": memo})
    files = [{"what": f.what, "path": shown(f.path), "detail": f.detail}
             for f in ctx.privacy.files.find(address, known_names)]
    return {"person": address, "exported_on": ctx.as_of.isoformat(), "tables": tables, "files": files,
            "not_included": _not_included(ctx, with_conduct)}
