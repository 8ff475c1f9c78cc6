"""One person's data across every table: what `export` gathers, and how `erase` forgets the person while
the program's numbers stay as they were.

Each table the program keeps or reads is described by a `TableRule`: the columns that hold a person's
address (a row is theirs when one of them equals it), the columns whose text may name the address among
other things (a ledger key, a referral history), and the columns an erased row keeps as they are
(dates, numbers, choices: what the program counts). Erasing a row replaces the address with a
pseudonym and every other non-empty cell with a token. Both come from a keyed hash (HMAC-SHA-256 with
the program's own secret key), so they are the same on every run, cannot be turned back into the
address by guessing, and the same text always gives the same token: two copies of one activity stay
one activity, a full report stays full, and a ledger key rewritten here is the key the planners
make for the pseudonym, so nothing is sent again. The conduct register's rows are deleted instead.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .model import Problem
from .problems import problem_id
from .values import normalize_email

ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never a real mailbox
TOKEN_PREFIX = "erased-"
ERASE_JOB = "erase"  # the ledger step that keeps an erased person's keyed hash
#: The ledger key of an erased person's referral offer: `erase:offer:<keyed hash of the offer code>`. An answer
#: carrying that code, from a form that collects no address, is theirs and set aside (`plan_referrals`).
ERASED_OFFER = f"{ERASE_JOB}:offer:"
#: The columns of a data problem erasing rewrites besides the address columns (`Erasure._problem`).
PROBLEM_REWRITES = ("Value", "Problem", "Problem ID", "Key")


@dataclass(frozen=True)
class TableRule:
    """How one table holds people's data (column titles as the table has them)."""

    what: str  # what it is, for people: "roster", "activities", "mail ledger"
    match: tuple[str, ...]  # columns holding an address: a row is the person's when one equals it
    mention: tuple[str, ...] = ()  # columns whose text may hold the address among other text
    keep: tuple[str, ...] = ()  # columns an erased row keeps as they are
    links: tuple[str, ...] = ()  # columns holding a URL: an erased one becomes an inert URL
    delete: bool = False  # erase deletes the person's rows (the conduct register)
    restricted: bool = False  # read only by the conduct readers
    problems: bool = False  # the data-problem table: its ids follow the values they are about
    names: tuple[str, ...] = ()  # columns holding the person's name (files naming them are theirs too)
    #: The key a job derives from a row (a blog proposal's, a funding request's: digests of the author and
    #: the title): erasing changes it, and the ledger's keys follow (`Erasure.renamed`).
    key_of: Callable[[Mapping[str, str]], str] | None = field(default=None, compare=False)
    rekeyed: bool = False  # the ledger: its keys follow the derived keys erasing changed, in every row
    aliases: tuple[str, ...] = ()  # columns holding other names of the person (a forum handle) found in keys

    def rewrites(self, header: str) -> bool:
        """Whether erasing a person's row may change this column: their address, a mention of it, or text that
        becomes a token (a data problem: only the columns that are about the value)."""
        if self.delete:
            return False
        if self.problems:
            return header in (*self.match, *PROBLEM_REWRITES)
        return header in self.match or header in self.mention or header not in self.keep


class Pseudonyms:
    """Keyed hashes of addresses and text. `key` is read only when first needed (it may be created then)."""

    def __init__(self, key: Callable[[], bytes]):
        self._load = key
        self._key: bytes | None = None

    def _digest(self, text: str, length: int) -> str:
        if self._key is None:
            self._key = self._load()
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:length]

    def address(self, email: str) -> str:
        """The pseudonym that stands for an address: `erased-<keyed hash>@erased.invalid`."""
        return f"{TOKEN_PREFIX}{self._digest('address:' + normalize_email(email), 16)}@{ERASED_DOMAIN}"

    def token(self, text: str) -> str:
        """What stands for a piece of text: the same text always gives the same token."""
        return TOKEN_PREFIX + self._digest("text:" + text, 12)

    def link(self, text: str) -> str:
        return f"https://{ERASED_DOMAIN}/{self._digest('link:' + text, 12)}"

    def keyed(self, text: str) -> str:
        """The whole keyed hash of a text (64 hex digits): credentials' ids, salts and status indexes."""
        return self._digest("keyed:" + text, 64)

    def offer(self, code: str) -> str:
        """What stands for a referral offer's code on record (`ERASED_OFFER`): the code cannot be read back."""
        return self._digest("offer:" + code.strip().upper(), 16)


def is_erased(email: str) -> bool:
    return normalize_email(email).endswith("@" + ERASED_DOMAIN)


def _same(cell: str, address: str) -> bool:
    return normalize_email(cell) == address


def _address_pattern(address: str) -> re.Pattern[str]:
    """The address as a whole word: not part of a longer one (`verma@x.org` is not in `rahul.verma@x.org`),
    whatever case it is written in; a full stop after it ends a sentence, not the address."""
    return re.compile(r"(?<![\w.+-])" + re.escape(address) + r"(?![\w-]|\.\w)", re.IGNORECASE)


def _mentions(cell: str, address: str) -> bool:
    return address in cell.lower() and bool(_address_pattern(address).search(cell))


def _anywhere(row: Sequence[str], address: str) -> bool:
    """A quick first look: whether the address is in the row at all (most rows of a large table are not)."""
    return any(address in c.lower() for c in row if "@" in c)


def owned(rule: TableRule, headers: Sequence[str], row: Sequence[str], address: str) -> bool:
    """Whether the row is the person's (an address column holds it)."""
    address = normalize_email(address)
    return _anywhere(row, address) and any(h in rule.match and _same(c, address) for h, c in zip(headers, row))


def concerns(rule: TableRule, headers: Sequence[str], row: Sequence[str], address: str) -> bool:
    """Whether the row is the person's or names them."""
    address = normalize_email(address)
    return _anywhere(row, address) and (owned(rule, headers, row, address) or any(
        h in rule.mention and _mentions(c, address) for h, c in zip(headers, row)))


def _replace_address(text: str, address: str, pseudonym: str) -> str:
    return _address_pattern(address).sub(pseudonym, text) if address in text.lower() else text


#: What erasing writes (a token, an inert link, a pseudonym): erased already, so a second erase keeps it.
_ERASED = re.compile(rf"{TOKEN_PREFIX}[0-9a-f]{{12}}|https://{re.escape(ERASED_DOMAIN)}/[0-9a-f]{{12}}|"
                     rf"{TOKEN_PREFIX}[0-9a-f]{{16}}@{re.escape(ERASED_DOMAIN)}")


def is_erasure_output(text: str) -> bool:
    """Whether the text is what erasing writes in place of a person's (a token, an inert link, a pseudonym):
    erase keeps it as it is, and a report made again leaves out what it stands for."""
    return bool(_ERASED.fullmatch(text.strip()))


def forgotten(email: str, *texts: str) -> bool:
    """Whether a line (of a report, of a digest) is about someone erased: their address is a pseudonym, or one
    of its texts (their name, a title, a link) is what erasing wrote. Such a line still counts where it counted
    and is never listed."""
    return is_erased(email) or any(is_erasure_output(t) for t in texts if t)


def erase_cell(rule: TableRule, header: str, cell: str, address: str, names: Pseudonyms) -> str:
    """One cell of a row that is the person's, as erasing leaves it: their address becomes the pseudonym
    (also inside the text of a `mention` column, which is otherwise kept), a kept column stays, a link
    becomes an inert one, any other text a token (text erasing wrote stays: a row still theirs through a
    field erase cannot rewrite is erased once)."""
    if not cell.strip() or is_erasure_output(cell):
        return cell
    if header in rule.match and _same(cell, address):
        return names.address(address)
    if header in rule.mention:
        replaced = _replace_address(cell, address, names.address(address))
        if replaced != cell:
            return replaced
    if header in rule.keep:
        return cell
    if header in rule.links:
        return names.link(cell)
    return names.token(cell)


@dataclass(frozen=True)
class Erasure:
    """What erasing does to one person's rows: who (address, day) and the keyed hashes."""

    address: str
    today: date | None  # the erase's day (None where rows are erased as they are read: `ErasedResponses`)
    names: Pseudonyms
    #: The rules of the tables problems point into (by their file or table name): a problem's value is
    #: erased as the cell it is about, so its id is the one the next sync works out.
    sources: dict[str, TableRule]
    #: Derived keys erasing changed (old -> new), filled as the tables are erased; the ledger, erased last,
    #: follows them so nothing is made or sent again for the same thing under its new key.
    renamed: dict[str, str] = field(default_factory=dict)
    #: The names problems' ids take for their sources (`problems.SourceNames`).
    source_names: Mapping[str, str] = field(default_factory=dict)

    def rekey(self, rule: TableRule, headers: Sequence[str], row: Sequence[str]) -> list[str]:
        """A row whose `mention` columns (the ledger's key) hold a derived key erasing changed, with the new one."""
        if not self.renamed:
            return list(row)
        out = []
        for h, c in zip(headers, row):
            if h in rule.mention:
                for old, new in self.renamed.items():
                    c = re.sub(re.escape(old), new, c, flags=re.IGNORECASE)
            out.append(c)
        return out

    def row(self, rule: TableRule, headers: Sequence[str], row: Sequence[str], theirs: bool = False
            ) -> list[str] | None:
        """The row as erasing leaves it (None: deleted). A row that only names the person keeps all but
        the address; `theirs` says the row is the person's although no address column holds their address
        (a data problem staff own about their roster row)."""
        address = normalize_email(self.address)
        if rule.delete:
            return None if owned(rule, headers, row, address) else list(row)
        if not theirs and not owned(rule, headers, row, address):
            return [_replace_address(c, address, self.names.address(address)) if h in rule.mention else c
                    for h, c in zip(headers, row)]
        if rule.problems:
            return self._problem(rule, headers, row, address)
        out = [erase_cell(rule, h, c, address, self.names) for h, c in zip(headers, row)]
        for h, c in zip(headers, row):  # a forum handle in a ledger key (`forum_add:<username>:<day>`)
            if h in rule.aliases and c.strip():
                handle = c.strip().lstrip("@").rsplit("/", 1)[-1]
                if handle:
                    self.renamed[f":{handle}:"] = f":{self.names.token(handle)}:"
        if rule.key_of is not None:
            old, new = rule.key_of(dict(zip(headers, row))), rule.key_of(dict(zip(headers, out)))
            if old and new and old != new:
                self.renamed[old] = new
        return out

    def _problem(self, rule: TableRule, headers: Sequence[str], row: Sequence[str], address: str) -> list[str]:
        cell = dict(zip(headers, row))
        source, column, value = cell.get("Source", ""), cell.get("Column", ""), cell.get("Value", "")
        where = self.sources.get(source.replace("\\", "/").rsplit("/", 1)[-1])
        new_value = (erase_cell(where, column, value, address, self.names) if where is not None
                     else value if not value.strip() else self.names.token(value))
        if _same(value, address):
            new_value = self.names.address(address)
        pseudonym = self.names.address(address)
        out = []
        for h, c in zip(headers, row):
            if h == "Value":
                c = new_value
            elif h in rule.match and _same(c, address):
                c = pseudonym
            elif h == "Problem":
                c = _replace_address(c.replace(value, new_value) if value else c, address, pseudonym)
            out.append(c)
        try:
            row_number = int(cell.get("Row", "0") or 0)
        except ValueError:
            row_number = 0
        new_id = problem_id(Problem(source, row_number, column, new_value, ""), self.source_names)
        return [new_id if h in ("Problem ID", "Key") else c for h, c in zip(headers, out)]


def export_row(headers: Sequence[str], row: Sequence[str]) -> dict[str, str]:
    """A row as a mapping for the export: empty cells left out, a repeated title numbered ("Title #2")."""
    out: dict[str, str] = {}
    seen: dict[str, int] = {}
    for h, c in zip(headers, row):
        seen[h] = seen.get(h, 0) + 1
        if c.strip():
            out[h if seen[h] == 1 else f"{h} #{seen[h]}"] = c
    return out


@dataclass(frozen=True)
class Pending:
    """An erase that has begun: what it will erase, recorded before its first write so that a run stopped
    part-way (a kill, a crash, a lost connection) is finished from it. Once the roster is rewritten the
    person's names are known only here, and once the blog and funding tables are, the keys erasing renames
    are too. It holds the address and the texts in clear, so it lives only as long as the erase is unfinished
    (owner-readable) and goes when the erase ends; what stays for good is the keyed hash in the ledger."""

    address: str
    started: str  # when the erase began (UTC, ISO): said to staff while it is unfinished
    with_conduct: bool = False  # the conduct register too (a reader asked for it): the finishing run does too
    names: tuple[str, ...] = ()  # the person's names (files naming them are theirs)
    texts: tuple[str, ...] = ()  # the person's own texts (titles, links, descriptions) that files may repeat
    places: tuple[tuple[str, int], ...] = ()  # their roster rows, as data problems name them
    renamed: Mapping[str, str] = field(default_factory=dict)  # derived keys erasing changes (`Erasure.renamed`)
    offers: tuple[str, ...] = ()  # keyed hashes of the referral offers' codes made to them (`jobs.referrals`)

    def as_data(self) -> dict[str, object]:
        return {"address": self.address, "started": self.started, "with_conduct": self.with_conduct,
                "names": list(self.names), "texts": list(self.texts), "places": [list(p) for p in self.places],
                "renamed": dict(self.renamed), "offers": list(self.offers)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Pending:
        """The record as `as_data` wrote it (a ValueError for anything else)."""
        try:
            return cls(normalize_email(str(data["address"])), str(data.get("started", "")),
                       bool(data.get("with_conduct", False)), tuple(str(n) for n in data.get("names", ())),
                       tuple(str(t) for t in data.get("texts", ())),
                       tuple((str(s), int(r)) for s, r in data.get("places", ())),
                       {str(k): str(v) for k, v in dict(data.get("renamed", {})).items()},
                       tuple(str(o) for o in data.get("offers", ())))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not an erase's record ({exc.__class__.__name__})") from None

    def joined(self, names: Sequence[str], texts: Sequence[str], places: Iterable[tuple[str, int]],
               renamed: Mapping[str, str],
               offers: Sequence[str] = ()) -> Pending:
        """This record with what a later look found too (nothing it holds is ever dropped)."""
        return Pending(self.address, self.started, self.with_conduct, tuple(dict.fromkeys((*self.names, *names))),
                       tuple(dict.fromkeys((*self.texts, *texts))), tuple(dict.fromkeys((*self.places, *places))),
                       {**renamed, **self.renamed}, tuple(dict.fromkeys((*self.offers, *offers))))


#: A text of the person's worth looking for in files: long enough to be theirs, not a word any file may hold.
_MIN_TEXT = 12


def own_texts(rule: TableRule, headers: Sequence[str], row: Sequence[str]) -> list[str]:
    """The texts of a row that is the person's which erasing turns into tokens or inert links (a blog title, a
    funding request's What, an activity's link): files that repeat one of them are about the person too."""
    out = []
    for h, c in zip(headers, row):
        text = " ".join(c.split())
        if (len(text) >= _MIN_TEXT and h not in (*rule.match, *rule.mention, *rule.keep, *rule.names)
                and any(ch.isalpha() for ch in text) and not _ERASED.search(text)):
            out.append(text)
    return out


@dataclass(frozen=True)
class Retention:
    """How long the `retention` job keeps what the jobs made (`privacy.retention`, whose defaults are these)."""

    ledger_days: int = 1095  # a mail-ledger step, after its last attempt
    fixed_problems_days: int = 365  # a data problem closed as fixed, after it closed
    outbox_days: int = 90  # a message in the outbox folder
