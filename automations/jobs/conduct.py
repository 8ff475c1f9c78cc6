"""`conduct`: the conduct register, read only by the readers the configuration names, and its retention.

No other job reads the register: its incidents never reach a report, the digest, the data problems,
an export or a log line. `conduct list` and `conduct show EMAIL` print it to the reader who asks,
when `conduct.readers` names them (`--reader`); `conduct purge` (and `run-all`) deletes the incidents
older than `conduct.retention_days`, saying only how many. Removal from the program is recorded by
staff, who change the roster's Status themselves: nothing here writes the roster.
"""

from __future__ import annotations

from ..context import Context
from ..domain.conduct import STEP_LABELS, Incident, expired, history, next_step
from ..errors import ConfigError
from .base import JobResult, plural
from .json_output import json_text


def allowed(ctx: Context, reader: str | None) -> None:
    """Stop (exit 2) unless `reader` is one of `conduct.readers`."""
    if not ctx.settings.conduct_readers:
        raise ConfigError("Reading the conduct register is switched off: conduct.readers names no one. Add the "
                          "addresses allowed to read it to config.yaml.")
    if not reader or reader.strip().casefold() not in ctx.settings.conduct_readers:
        raise ConfigError("The conduct register can be read only by the addresses in conduct.readers: pass yours "
                          "with --reader EMAIL.")


def _table(incidents: list[Incident]) -> str:
    lines = [f"{'date':<10}  {'step':<12}  {'ambassador':<32}  {'recorded by':<24}  description"]
    for i in incidents:
        lines.append(f"{i.day.isoformat():<10}  {i.step or '?':<12}  {i.ambassador:<32}  {i.recorded_by:<24}  "
                     f"{' '.join(i.description.split())}")
    return "\n".join(lines)


def _json(incidents: list[Incident], step: str | None) -> str:
    rows = [{"date": i.day.isoformat(), "step": i.step, "ambassador": i.ambassador, "recorded_by": i.recorded_by,
             "description": i.description} for i in incidents]
    return json_text({"incidents": rows, **({"next_step": step} if step is not None else {})})


def read(ctx: Context, reader: str | None, email: str | None = None, fmt: str = "table") -> JobResult:
    """`conduct list` (every incident) or `conduct show EMAIL` (one person's, with the next step), as a table or
    as JSON (`fmt`)."""
    allowed(ctx, reader)
    result = JobResult("conduct")
    incidents, unreadable = ctx.stores.conduct.read()
    if email is None:
        shown = sorted(incidents, key=lambda i: (i.day, i.ambassador, i.row))
        result.output = _json(shown, None) if fmt == "json" else _table(shown)
        result.summary.append(f"{plural(len(shown), 'incident')} in {ctx.stores.conduct.where}.")
    else:
        shown = history(incidents, email)
        result.output = _json(shown, next_step(shown) if shown else None) if fmt == "json" else _table(shown)
        if shown:
            step = next_step(shown)
            result.summary.append(f"{plural(len(shown), 'incident')} for {email.strip()}; the next step, if there is "
                                  f"another incident, would be: {STEP_LABELS[step]}.")
        else:
            result.summary.append(f"No incident recorded for {email.strip()}.")
        result.summary.append("Removal is recorded by staff, who also change the roster's Status: the software never "
                              "removes anyone.")
    result.summary += [f"unreadable {u} (fix it in {ctx.stores.conduct.where})" for u in unreadable]
    old = expired(incidents, ctx.as_of, ctx.settings.conduct_retention_days)
    if old:
        result.summary.append(f"{plural(len(old), 'incident')} past conduct.retention_days: `conduct purge` (or "
                              f"run-all) deletes them.")
    return result


def preflight(ctx: Context) -> None:
    """Read the register once before `run-all` does anything: a register that cannot be read (not UTF-8, a cell
    over the limit) stops the run with one sentence before any write or mail, not at retention, its last step,
    after the day's mail went. Nothing read here is kept or shown."""
    ctx.stores.conduct.read()


def purge(ctx: Context) -> JobResult:
    """Delete the incidents older than the retention; say only how many (never who or what)."""
    result = JobResult("conduct")
    incidents, unreadable = ctx.stores.conduct.read()
    old = expired(incidents, ctx.as_of, ctx.settings.conduct_retention_days)
    written = ctx.stores.conduct.delete([i.key for i in old], dry_run=ctx.dry_run)
    where = ctx.stores.conduct.where
    if ctx.dry_run:
        result.summary.append(f"Dry run: conduct register: would delete {written.deleted} past retention from "
                              f"{where}." if written.deleted else
                              "Dry run: conduct register: nothing past retention; nothing would be written.")
    else:
        result.summary.append(f"conduct register: {written.deleted} past retention deleted from {where}.")
    if unreadable:
        result.summary.append(f"conduct register: {plural(len(unreadable), 'row')} unreadable (`conduct list` "
                              f"names them to its readers).")
    return result
