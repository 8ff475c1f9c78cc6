"""What `doctor` says of the check-in responses: the form's shape as read from the header, and whether
every timestamp and date of the source reads, with counts, an example and the fix."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from ..errors import InputError
from .checkins import day_order
from .form_layout import POSITIONS_KEY, ColumnMap, FormLayout, Merger, fit_rows, map_columns
from .model import Problem
from .moments import MomentReader, Place, Unsettled, settle
from .values import normalize_email

FIX_TIMESTAMP = ("download the responses again as Google writes them, or set checkin_form.timestamp_formats to the "
                 "shape these have")
FIX_DATE = "set checkin_form.date_formats to the shape these have, or ask the ambassadors concerned to correct them"


@dataclass(frozen=True)
class Line:
    ok: bool
    text: str
    blocking: bool = True


def _share(bad: int, total: int) -> str:
    return f"{bad} of {total} ({bad / total:.0%})" if total else "0"


def check_responses(headers: Sequence[str], rows: Iterable[Sequence[str]], layout: FormLayout, where: str,
                    told: tuple[str, str] = ("", ""), known_emails: Collection[str] | None = None,
                    max_share: float = 0.5) -> list[Line]:
    """The shape findings and the data findings of one response source (raises InputError when the header
    cannot be read at all). A share of timestamps, or of addresses matching no one on the roster
    (`known_emails`), over `max_share` (guards.max_unusable_share) is a blocking finding: sync-checkins would
    stop on it."""
    rows = list(rows)
    cols = map_columns(headers, layout)
    if cols.needs_rows():
        cols = fit_rows(cols, rows, headers, where)
    out: list[Line] = []
    n = len(cols.sections)
    numbers = ", ".join(map(str, cols.numbers))
    shape = f"check-in responses {where}: {len(rows)} rows; {n} activity sections ({numbers}) read from the header"
    if layout.sections and layout.sections != n:
        out.append(Line(False, f"{shape}, but checkin_form.activity_sections says {layout.sections}: every section "
                               f"is read; set it to {n} (or remove it) once the form is as it should be.",
                        blocking=False))
    else:
        out.append(Line(True, f"{shape}; every configured question found."))

    def filled(i: int) -> int:
        return sum(1 for r in rows if i < len(r) and r[i].strip())

    for _v, group in cols.merged:
        title = headers[group[0]]
        where_cols = " and ".join(str(i + 1) for i in group)
        out.append(Line(True, f"'{title}' is in columns {where_cols} (a question re-created on the form): read as "
                              f"one, the filled cell winning ({' + '.join(str(filled(i)) for i in group)} filled); "
                              f"both filled and different is a data problem.", blocking=False))
    for f, i in cols.floating[:5]:
        out.append(Line(False, f"column {i + 1} ('{headers[i]}', {filled(i)} filled) repeats a question of the "
                               f"activity sections and its rows do not tell which section's it is: each answer goes "
                               f"to the one activity of its row lacking it, else is a data problem; pin it with "
                               f"{POSITIONS_KEY} (like \"2.{f}: {i + 1}\").", blocking=False))
    if len(cols.floating) > 5:
        out.append(Line(False, f"... and {len(cols.floating) - 5} more such columns.", blocking=False))
    if cols.unknown:
        named = "; ".join(f"{i + 1} '{headers[i]}' ({filled(i)} filled)" for i in cols.unknown[:5])
        more = f" and {len(cols.unknown) - 5} more" if len(cols.unknown) > 5 else ""
        out.append(Line(True, f"columns no configured question names, ignored: {named}{more}.", blocking=False))
    out += _data(headers, rows, cols, layout, where, told, max_share)
    if known_emails is not None and not known_emails:
        out.append(Line(False, "emails: the roster has no ambassador yet, so no response can be matched to one "
                               "(sync-checkins stops on that until the roster is filled).", blocking=False))
    elif known_emails is not None:
        addresses = [normalize_email(r[cols.email]) for r in rows if cols.email < len(r) and "".join(r).strip()]
        strangers = [a for a in addresses if a and a not in known_emails]
        if addresses and len(strangers) / len(addresses) > max_share:
            out.append(Line(False, f"emails: {_share(len(strangers), len(addresses))} responses in column "
                                   f"{cols.email + 1} ('{headers[cols.email]}') match no ambassador on the roster "
                                   f"(e.g. '{strangers[0][:60]}'): is it the right column? (checkin_form.columns.email, "
                                   f"{POSITIONS_KEY}.email)"))
        else:
            out.append(Line(True, f"emails: {len(addresses) - len(strangers)} of {len(addresses)} responses match "
                                  f"an ambassador on the roster (column {cols.email + 1}, '{headers[cols.email]}')."))
    return out


def _data(headers: Sequence[str], rows: Iterable[Sequence[str]], cols: ColumnMap, layout: FormLayout, where: str,
          told: tuple[str, str], max_share: float) -> list[Line]:
    """Every timestamp and activity date of the source, read as sync-checkins reads them."""
    order = day_order(layout, where, told)
    reader = MomentReader(order, layout.sheet_tz, layout.program_tz, layout.timestamp_formats, layout.date_formats)
    date_cols = sorted({i for s in cols.sections for f, i in s if f == "date"})
    title_of = list(headers) + [headers[group[0]] for _, group in cols.merged]
    merge = Merger(cols, headers) if cols.needs_merge() else None
    width = len(headers)

    def merged(rows: Iterable[Sequence[str]]) -> Iterator[list[str]]:
        """The rows as ingestion reads them: a re-created question's columns as one."""
        for given in rows:
            row = list(given[:width]) + [""] * (width - len(given))
            yield merge(row)[0] if merge is not None else row
    counts = {"t": 0, "d": 0}
    bad: dict[str, Counter[str]] = {"t": Counter(), "d": Counter()}
    example: dict[str, str] = {}

    def cells(item: tuple[int, list[str]]) -> list[tuple[str, Place, bool]]:
        row_no, row = item
        return [(row[i], f"row {row_no}, column '{title_of[i]}'", i != cols.timestamp)
                for i in [cols.timestamp, *date_cols] if i < len(row)]

    def tally(kind: str, raw: str, read: Callable[[str, Place], object], place: str) -> None:
        if not raw.strip():
            return
        counts[kind] += 1
        try:
            read(raw, place)
        except (ValueError, Unsettled) as exc:
            bad[kind][str(exc)] += 1
            shown = raw if len(raw) <= 60 else raw[:57] + "..."
            example.setdefault(f"{kind}{exc}", f"'{shown}' ({place})")

    try:
        for row_no, row in settle(order, enumerate(merged(rows), start=2), cells):
            for i in [cols.timestamp, *date_cols]:
                raw = row[i] if i < len(row) else ""
                if i == cols.timestamp:
                    tally("t", raw, reader.timestamp, f"row {row_no}")
                else:
                    tally("d", raw, reader.date, f"row {row_no}, column '{title_of[i]}'")
    except InputError as exc:
        return [Line(False, str(exc))]
    how = f"day/month order {order.order or 'not needed (every date is year first)'}"
    if order.evidence:
        how += f", settled by {order.evidence}"
    out = []
    for k, kind, fix in (("t", "timestamps", FIX_TIMESTAMP), ("d", "activity dates", FIX_DATE)):
        total = counts[k]
        if not bad[k]:
            out.append(Line(True, f"{kind}: all {total} read ({how})."))
            continue
        reason, _ = bad[k].most_common(1)[0]
        key = k + reason
        wrong = sum(bad[k].values())
        serious = total and wrong / total > 0.1
        stops = total and wrong / total > max_share  # sync-checkins would stop on it
        out.append(Line(not serious, f"{kind}: {_share(wrong, total)} cannot be read; the commonest: {example[key]} "
                                     f"{reason}; {fix}.", blocking=bool(stops)))
    return out


def roster_lines(problems: Sequence[Problem], fields: Mapping[str, str]) -> list[Line]:
    """The roster's statuses (a word that means no status), start dates and status histories that cannot be read,
    counted, with an example."""
    out = []
    for field_name in ("status", "start_date", "status_history"):
        title = fields.get(field_name)
        mine = [p for p in problems if title and p.column == title]
        if mine:
            p = mine[0]
            out.append(Line(False, f"roster: {len(mine)} {title} cell{'s' if len(mine) != 1 else ''} cannot be read; "
                                   f"e.g. row {p.row}: '{p.value}' {p.reason}.", blocking=False))
    return out
