"""The check-in form's shape, read from its header row rather than assumed.

A response sheet has one column per question, in form order; the activity sections repeat the same
questions, so titles repeat. What a form edit does to the sheet, and how it is read here:

- Columns match their configured title **exactly** first; a title differing only in case or spacing
  matches only where no column has the exact title. Two columns that still match one fixed question
  (the address Google collects, `Email address`, beside the question `Email Address`, both exact or
  both loose) stop the run with one sentence naming `checkin_form.column_positions`, which pins a
  question to a column by its number or letter (`email: C`, or `2.hours: AU` for a section's).
- **Sections are counted from the header**: section n is where its numbered questions are
  ("Activity {n}: Title"); a section added mid-quarter is read like the others.
  `checkin_form.activity_sections`, when set, is only compared (doctor says when it differs).
- A repeated title (no "{n}") belongs to the section whose span it sits in, first occurrence first.
- A **re-created question** (Google keeps the old column and appends a new one with the same title):
  two columns of one numbered question are read as one, the filled cell winning; both filled and
  different is a data problem. A repeated title appearing once more than its section needs (appended
  at the right end, whose section the header cannot tell) is placed row by row in the one activity
  of that row that has no answer to it; when that is not one activity, the cell is a data problem.
- A question the configuration does not name (one appended at the end) is ignored; doctor lists it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from ..errors import InputError
from .values import norm_header

FIXED = ("timestamp", "email", "quarter")
MAX_SECTION = 200  # section numbers looked for in the header
POSITIONS_KEY = "checkin_form.column_positions"


@dataclass(frozen=True)
class FormLayout:
    """What the check-in form looks like, from configuration."""

    source: str
    timestamp: str
    email: str
    quarter: str
    sections: int  # checkin_form.activity_sections (0: counted from the header)
    activity_columns: Mapping[str, str]  # field -> title, "{n}" for the section number
    kinds: Mapping[str, str]  # the form's choice label -> canonical kind
    timestamp_formats: tuple[str, ...]  # extra strptime formats (staff's), tried after the built-in shapes
    date_formats: tuple[str, ...]
    sheet_tz: ZoneInfo
    program_tz: ZoneInfo
    date_order: str = ""  # checkin_form.date_order: dmy, mdy, ymd or "" (settled from the source)
    positions: Mapping[str, str] = field(default_factory=dict)  # checkin_form.column_positions


@dataclass(frozen=True)
class ColumnMap:
    """Where each question is. `sections`: per section, (field, column) with the column index into the row
    as `merge` returns it (an index past the header's end is a merged or placed value)."""

    timestamp: int
    email: int
    quarter: int | None
    sections: tuple[tuple[tuple[str, int], ...], ...]
    numbers: tuple[int, ...]  # each section's number as the form titles it
    merged: tuple[tuple[int, tuple[int, ...]], ...] = ()  # (virtual index, the columns of one re-created question)
    floating: tuple[tuple[str, int], ...] = ()  # (field, column) repeated once more than its section needs
    unknown: tuple[int, ...] = ()  # columns no configured question names
    width: int = 0  # the header's width
    fixed_groups: tuple[tuple[str, int, tuple[int, ...]], ...] = ()  # (timestamp/email/quarter, virtual, columns)

    def needs_merge(self) -> bool:
        return bool(self.merged or self.floating)

    def needs_rows(self) -> bool:
        """Whether the rows must be looked at before any is read (`fit_rows`)."""
        return bool(self.floating or self.fixed_groups)


def column_number(text: str, width: int) -> int:
    """A configured column position ("3", "C", "AU") as a 0-based index; ValueError if not in the header."""
    t = str(text).strip().upper()
    if t.isdigit():
        i = int(t) - 1
    elif re.fullmatch(r"[A-Z]{1,3}", t):
        i = 0
        for ch in t:
            i = i * 26 + (ord(ch) - 64)
        i -= 1
    else:
        raise ValueError(f"'{text}' is not a column number or letter")
    if not 0 <= i < width:
        raise ValueError(f"column '{text}' is not in the header ({width} columns)")
    return i


def map_columns(headers: Sequence[str], layout: FormLayout) -> ColumnMap:
    """Find every configured question in the header row, or say in one sentence what is missing or ambiguous."""
    exact: dict[str, list[int]] = {}
    loose: dict[str, list[int]] = {}
    for i, title in enumerate(headers):
        exact.setdefault(title.lstrip("\ufeff").strip(), []).append(i)
        loose.setdefault(norm_header(title), []).append(i)
    width = len(headers)
    src = layout.source

    def matches(title: str) -> list[int]:
        return exact.get(title.strip()) or loose.get(norm_header(title), [])

    pinned: dict[str, int] = {}
    for key, where in layout.positions.items():
        try:
            pinned[key] = column_number(where, width)
        except ValueError as exc:
            raise InputError(f"{POSITIONS_KEY}.{key} in config.yaml: {exc} of the check-in responses in {src}.") \
                from None

    groups: dict[str, tuple[int, ...]] = {}

    def fixed(key: str, title: str, required: bool = True) -> int | None:
        if key in pinned:
            return pinned[key]
        found = matches(title)
        if len(found) > 1:
            groups[key] = tuple(found)  # one question re-created, or two questions: the rows tell (`fit_rows`)
            return found[0]
        if not found:
            if not required:
                return None
            raise _missing(src, title)
        return found[0]

    timestamp = fixed("timestamp", layout.timestamp)
    email = fixed("email", layout.email)
    quarter = fixed("quarter", layout.quarter, required=False) if layout.quarter else None
    assert timestamp is not None and email is not None

    templates = dict(layout.activity_columns)
    numbered = {f: t for f, t in templates.items() if "{n}" in t}
    repeated = {f: t for f, t in templates.items() if "{n}" not in t}
    numbers, columns = _sections(matches, numbered, templates["kind"], src)
    # Each section's span: from its first numbered column to the next section's.
    starts = [min(i for cols in columns[k].values() for i in cols) for k in range(len(numbers))]
    order = sorted(range(len(numbers)), key=lambda k: starts[k])
    numbers = [numbers[k] for k in order]
    columns = [columns[k] for k in order]
    starts = [starts[k] for k in order]
    bounds = starts[1:] + [width]
    floating: list[tuple[str, int]] = []
    pinned_cols = set(pinned.values())
    for f, title in repeated.items():
        found = [i for i in matches(title) if i not in pinned_cols]
        for k, (lo, hi) in enumerate(zip(starts, bounds)):
            mine = [i for i in found if lo <= i < hi]
            if mine:
                columns[k][f] = [mine[0]]
                floating += [(f, i) for i in mine[1:]]
        for k, n in enumerate(numbers):
            if f not in columns[k]:
                raise InputError(
                    f"The check-in responses in {src} have no column '{title}' in activity section {n} (the form "
                    f"may have been edited): nothing was read; update checkin_form in config.yaml to the form's "
                    f"current questions, or pin it with {POSITIONS_KEY}.")
        floating += [(f, i) for i in found if i < starts[0]]
    for key, i in pinned.items():
        n_text, _, f = key.partition(".")
        if not f:
            continue
        if f not in templates or not n_text.isdigit() or int(n_text) not in numbers:
            raise InputError(f"{POSITIONS_KEY}.{key} in config.yaml names no question of the form's activity "
                             f"sections (like 2.hours, for section 2's {templates.get('hours', 'question')}).")
        k = numbers.index(int(n_text))
        columns[k][f] = [i]  # the pinned column is the question's: the others with its title are left out
        floating = [(g, j) for g, j in floating if j != i]
    _no_column_twice(headers, groups.get("timestamp", (timestamp,)), groups.get("email", (email,)),
                     groups.get("quarter", (quarter,)) if quarter is not None else None, numbers, columns, pinned, src)

    merged: list[tuple[int, tuple[int, ...]]] = []
    next_virtual = width
    fixed_groups = []
    for key, group in groups.items():
        merged.append((next_virtual, group))
        fixed_groups.append((key, next_virtual, group))
        if key == "timestamp":
            timestamp = next_virtual
        elif key == "email":
            email = next_virtual
        else:
            quarter = next_virtual
        next_virtual += 1
    sections = []
    for k in range(len(numbers)):
        cols = []
        for f in templates:
            found = columns[k][f]
            if len(found) == 1:
                cols.append((f, found[0]))
            else:
                merged.append((next_virtual, tuple(found)))
                cols.append((f, next_virtual))
                next_virtual += 1
        sections.append(tuple(cols))
    used = {timestamp, email, *([quarter] if quarter is not None else [])}
    used |= {i for s in columns for cols in s.values() for i in cols} | {i for _, i in floating}
    used |= {i for group in groups.values() for i in group}
    unknown = tuple(i for i in range(width) if i not in used and headers[i].strip())
    return ColumnMap(timestamp, email, quarter, tuple(sections), tuple(numbers), tuple(merged), tuple(floating),
                     unknown, width, tuple(fixed_groups))


def _no_column_twice(headers: Sequence[str], timestamp: Iterable[int], email: Iterable[int],
                     quarter: Iterable[int] | None, numbers: Sequence[int], columns: Sequence[Mapping[str, list[int]]],
                     pinned: Mapping[str, int], src: str) -> None:
    """Stop when one column would answer two questions (a pin onto the Timestamp column, say)."""
    owner: dict[int, str] = {}
    named = [("timestamp", i) for i in timestamp] + [("email", i) for i in email] + \
        ([("quarter", i) for i in quarter] if quarter is not None else [])
    for n, cols in zip(numbers, columns):
        named += [(f"{n}.{f}", i) for f, found in cols.items() for i in found]
    for key, i in named:
        if i in owner and owner[i] != key:
            pins = [k for k in (key, owner[i]) if k in pinned]
            how = f"{POSITIONS_KEY}.{pins[0]}" if pins else "checkin_form in config.yaml"
            raise InputError(f"Column {i + 1} ('{headers[i]}') of the check-in responses in {src} would be read as "
                             f"both {owner[i]} and {key}: nothing was read; correct {how}.")
        owner[i] = key


def _sections(matches: Callable[[str], list[int]], numbered: Mapping[str, str], kind_title: str, src: str
              ) -> tuple[list[int], list[dict[str, list[int]]]]:
    """The section numbers the header has (from the kind question's title) and each one's numbered columns."""
    numbers: list[int] = []
    columns: list[dict[str, list[int]]] = []
    if "{n}" in kind_title:
        for n in range(1, MAX_SECTION + 1):
            if matches(kind_title.replace("{n}", str(n))):
                numbers.append(n)
    else:
        numbers = list(range(1, len(matches(kind_title)) + 1))
    if not numbers:
        raise _missing(src, kind_title.replace("{n}", "1"))
    # A numbered question whose section has no kind question (its title edited, say): that section would be
    # read as nobody's, its answers lost or taken for another's; stop and name it.
    for template in numbered.values():
        for n in range(1, MAX_SECTION + 1):
            if n not in numbers and "{n}" in kind_title and matches(template.replace("{n}", str(n))):
                raise InputError(
                    f"The check-in responses in {src} have '{template.replace('{n}', str(n))}' but no column "
                    f"titled '{kind_title.replace('{n}', str(n))}': activity section {n} cannot be read (was its "
                    f"question retitled?); nothing was read; restore the title on the form, or update "
                    f"checkin_form.activity_columns in config.yaml.")
    for k, n in enumerate(numbers):
        cols: dict[str, list[int]] = {}
        for f, template in numbered.items():
            found = matches(template.replace("{n}", str(n)))
            if not found:
                raise _missing(src, template.replace("{n}", str(n)))
            cols[f] = found
        if "{n}" not in kind_title:
            cols["kind"] = [matches(kind_title)[k]]
        columns.append(cols)
    return numbers, columns


def _missing(src: str, title: str) -> InputError:
    return InputError(f"The check-in responses in {src} have no column titled '{title}': the form may have been "
                      f"edited; update checkin_form in config.yaml to the form's current question titles.")


def fit_rows(cols: ColumnMap, rows: Sequence[Sequence[str]], headers: Sequence[str], src: str) -> ColumnMap:
    """What only the rows can tell: whether two columns with one fixed question's title are that question
    re-created (never both filled in a row: read as one) or two questions (a pin must say which); where a
    floating column belongs (`fit_floating`)."""
    for key, _, group in cols.fixed_groups:
        for row in rows:
            filled = {" ".join(row[i].split()) for i in group if i < len(row) and row[i].strip()}
            if len(filled) > 1:
                shown = " and ".join(f"{i + 1} ('{headers[i]}')" for i in group[:2])
                raise InputError(f"The check-in responses in {src} have two columns that may be the {key} "
                                 f"question, {shown}, both filled in the same rows: set {POSITIONS_KEY}.{key} in "
                                 f"config.yaml to the one that holds it.")
    return fit_floating(cols, rows) if cols.floating else cols


def fit_floating(cols: ColumnMap, rows: Sequence[Sequence[str]]) -> ColumnMap:
    """Place each floating column (a repeated question re-created on the form, appended at the right end) in
    the one section whose own column for it is never filled where the floating one is (the old column died
    when the question was re-created); a column that fits no section, or several, stays floating (placed row
    by row)."""
    sources = dict(cols.merged)
    width = cols.width

    def cells(i: int) -> tuple[int, ...]:
        return sources.get(i, (i,))

    sections = [list(s) for s in cols.sections]
    merged = list(cols.merged)
    floating = []
    next_virtual = max([v for v, _ in merged] + [width - 1]) + 1
    for f, i in cols.floating:
        overlap = [0] * len(sections)
        shared = [0] * len(sections)
        for row in rows:
            if i >= len(row) or not row[i].strip():
                continue
            for k, s in enumerate(sections):
                where = dict(s)
                kind = where["kind"]
                if not any(j < len(row) and row[j].strip() for j in cells(kind)):
                    continue
                shared[k] += 1
                if any(j < len(row) and row[j].strip() for j in cells(where[f])):
                    overlap[k] += 1
        fits = [k for k in range(len(sections)) if shared[k] and not overlap[k]]
        if len(fits) != 1:
            floating.append((f, i))
            continue
        k = fits[0]
        at = dict(sections[k])[f]
        if at in sources:
            merged = [(v, (*group, i)) if v == at else (v, group) for v, group in merged]
            sources[at] = (*sources[at], i)
        else:
            merged.append((next_virtual, (at, i)))
            sources[next_virtual] = (at, i)
            sections[k] = [(g, next_virtual if g == f else j) for g, j in sections[k]]
            next_virtual += 1
    return replace(cols, sections=tuple(tuple(s) for s in sections), merged=tuple(merged), floating=tuple(floating))


class Merger:
    """Rows as `ColumnMap` reads them: a re-created question's columns read as one (filled wins; both filled and
    different is a problem), and a floating column's answer placed in the one activity that lacks it."""

    def __init__(self, cols: ColumnMap, headers: Sequence[str]):
        self.cols = cols
        self.headers = headers
        kind_at = {k: dict(s)["kind"] for k, s in enumerate(cols.sections)}
        self.kind_at = kind_at
        self.targets = {f: [(k, dict(s)[f]) for k, s in enumerate(cols.sections)] for f, _ in cols.floating}
        self.extra = max((v for v, _ in cols.merged), default=cols.width - 1) + 1 - cols.width

    def __call__(self, row: list[str]) -> tuple[list[str], list[tuple[int, str]]]:
        """The row extended with the merged and placed cells, and (column, reason) of every cell that could
        not be read as one answer."""
        width = self.cols.width
        out = list(row[:width]) + [""] * (width - len(row)) + [""] * self.extra  # cells past the header: not ours
        problems: list[tuple[int, str]] = []
        for v, sources in self.cols.merged:
            filled = [(i, out[i]) for i in sources if out[i].strip()]
            values = {" ".join(x.split()) for _, x in filled}
            if len(values) > 1:
                (i, first), (j, _) = filled[0], filled[1]
                problems.append((j, f"answers the same question as column {i + 1} ('{first}'), a copy of it left "
                                    f"by a form edit, and the two differ: neither was used"))
            elif filled:
                out[v] = filled[0][1]
        for f, i in self.cols.floating:
            value = out[i]
            if not value.strip():
                continue
            open_ = [(k, v) for k, v in self.targets[f] if out[self.kind_at[k]].strip() and not out[v].strip()]
            if len(open_) == 1:
                out[open_[0][1]] = value
            else:
                why = ("no activity of this response lacks that answer" if not open_ else
                       f"activities {', '.join(str(self.cols.numbers[k]) for k, _ in open_)} all lack it")
                problems.append((i, f"answers '{self.headers[i]}' in a column added by a form edit, whose activity "
                                    f"the header cannot tell, and {why}: it was not used (pin the column with "
                                    f"{POSITIONS_KEY})"))
        return out, problems
