"""Staff's words for the program's statuses, standings and perks, and ours for theirs.

A real roster says `Active`, `On leave` or `Expelled`, and its Standing field offers `Good standing`
and `Warning`. `RosterWords` holds the mapping (`ambassadors.status_values`, `standing_values`,
`perk_values`): staff's status words are read back to one of our four statuses (several words may
mean one status), and the job writes each standing and perk as the one word staff chose. A status,
standing or perk left unmapped keeps the program's own word.

Staff's words are matched as staff expect: trimmed, inner spaces collapsed, case ignored (`on leave`,
` On  Leave ` and `ON LEAVE` are one word). What is written is the word exactly as configured: an
Airtable select matches its options exactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .migration import items
from .model import PERKS, ROSTER_STATUSES, STANDINGS


def word_key(text: str) -> str:
    """A word as compared: trimmed, inner spacing collapsed, case folded."""
    return " ".join(str(text).split()).casefold()


def quoted(words: Sequence[str]) -> str:
    return ", ".join(f"'{w}'" for w in words)


def mapping_errors(values: Mapping[str, Sequence[str]], ours: Sequence[str], what: str, key: str) -> list[str]:
    """What is wrong with a mapping of our `ours` (statuses, standings or perks) to staff's words, each the end
    of a sentence: an unknown key, an empty word, or one word (as compared) meaning two of ours."""
    out = []
    whats = what + ("es" if what.endswith("s") else "s")
    for name, words in values.items():
        if name not in ours:
            out.append(f"'{name}' is not one of the program's {whats} ({', '.join(ours)}): the keys are ours, "
                       f"staff's words are the values (like {ours[0]}: {_example(key)})")
        for w in words:
            if not str(w).strip():
                out.append(f"'{name}' has an empty word")
    if out:
        return out
    full = {name: list(values.get(name) or [name]) for name in ours}
    seen: dict[str, str] = {}
    for name, words in full.items():
        for w in words:
            other = seen.setdefault(word_key(w), name)
            if other != name:
                unmapped = [n for n in (other, name) if n not in values]
                note = f" ({unmapped[0]} is not in {key}, so it keeps its own word)" if unmapped else ""
                out.append(f"'{w}' means both {other} and {name}{note}: one word can mean one {what} only")
    return out


def _example(key: str) -> str:
    return {"ambassadors.status_values": "[Active, Onboarding]", "ambassadors.standing_values": "Good standing",
            "ambassadors.perk_values": "Free event access"}.get(key, "...")


class RosterWords:
    """The words of a roster: what each status word staff type means, and the word written for each standing
    and perk. `RosterWords()` is the program's own words."""

    def __init__(self, statuses: Mapping[str, Sequence[str]] | None = None,
                 standings: Mapping[str, str] | None = None, perks: Mapping[str, str] | None = None):
        statuses, standings, perks = statuses or {}, standings or {}, perks or {}
        #: our status -> staff's words for it (ours when unmapped), in the order configured.
        self.statuses: dict[str, tuple[str, ...]] = {s: tuple(statuses.get(s) or (s,)) for s in ROSTER_STATUSES}
        self.standings: dict[str, str] = {s: standings.get(s) or s for s in STANDINGS}
        self.perks: dict[str, str] = {p: perks.get(p) or p for p in PERKS}
        self.mapped = {"status": bool(statuses), "standing": bool(standings), "perk": bool(perks)}
        #: staff's own status words: those of the statuses ambassadors.status_values maps.
        self.staff_status_words = tuple(w for s in ROSTER_STATUSES if statuses.get(s) for w in self.statuses[s])
        self._status_of = {word_key(w): s for s, words in self.statuses.items() for w in words}
        self._standing_of = {word_key(w): s for s, w in self.standings.items()}
        self._perk_of = {word_key(w): p for p, w in self.perks.items()}

    def __repr__(self) -> str:  # part of the roster layout's repr, which keys nothing but must be stable
        return f"RosterWords({self.statuses!r}, {self.standings!r}, {self.perks!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RosterWords) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))

    # -- statuses (read) ------------------------------------------------------------------------
    def status(self, text: str) -> str | None:
        """Our status for a word staff typed, or None when it means none of them."""
        return self._status_of.get(word_key(text))

    def status_words(self) -> list[str]:
        """Every word that names a status, in the order of our statuses then as configured."""
        return [w for words in self.statuses.values() for w in words]

    def status_word(self, status: str) -> str:
        """The first of staff's words for one of our statuses (how messages name it)."""
        return self.statuses.get(status, (status,))[0]

    def unknown_status(self) -> str:
        """The end of a sentence about a status word that means no status: the words accepted and the fix."""
        fix = "add it to ambassadors.status_values (like paused: [On leave]) or correct the cell" \
            if not self.mapped["status"] else "add it to one of the lists of ambassadors.status_values or " \
                                              "correct the cell"
        return f"is not one of the roster's status words ({', '.join(self.status_words())}; case and spacing " \
               f"are ignored): {fix}"

    # -- standings and perks (written, and read back) ----------------------------------------------
    def standing_word(self, standing: str) -> str:
        return self.standings.get(standing, standing)

    def perk_word(self, perk: str) -> str:
        return self.perks.get(perk, perk)

    def standing_of(self, text: str) -> str:
        """Our standing for what a Standing cell holds: staff's word, or our own; anything else as it is."""
        key = word_key(text)
        if key in self._standing_of:
            return self._standing_of[key]
        return key if key in STANDINGS else text.strip()

    def perk_of(self, text: str) -> str:
        key = word_key(text)
        if key in self._perk_of:
            return self._perk_of[key]
        return key if key in PERKS else text.strip()


OUR_WORDS = RosterWords()


def translate_roster(row: Mapping[str, str], source: RosterWords, dest: RosterWords) -> dict[str, str]:
    """A roster row (by field role, as `migrate` carries it) from one configuration's words into another's: the
    Status, each Status history entry's status, the Standing and the Perks say the same in the destination's
    words. A word the source's words do not know is kept as it was (the destination's roster then names it)."""
    if source == dest:
        return dict(row)
    out = dict(row)
    if row.get("status", "").strip():
        status = source.status(row["status"])
        if status is not None:
            out["status"] = dest.status_word(status)
    if row.get("standing", "").strip():
        standing = source.standing_of(row["standing"])
        if standing in STANDINGS:
            out["standing"] = dest.standing_word(standing)
    if row.get("perks", "").strip():
        perks = [source.perk_of(p) for p in items(row["perks"])]  # split as every multiple choice of a row is
        out["perks"] = "; ".join(dest.perk_word(p) if p in PERKS else p for p in perks)
    if row.get("status_history", "").strip():
        out["status_history"] = _history_in(row["status_history"], source, dest)
    return out


def _history_in(text: str, source: RosterWords, dest: RosterWords) -> str:
    """Each dated entry's status word in the destination's words; a note in brackets, the separators and an
    entry it cannot read kept as they were."""
    def one(m: re.Match[str]) -> str:
        lead, word, note = m.group(1), m.group(2), m.group(3) or ""
        status = source.status(word)
        return f"{lead}{dest.status_word(status)}{note}" if status is not None else m.group(0)

    pattern = re.compile(r"^(\s*\S+[\s:,\-–—]+)(.*?)(\s*\([^()]*\))?\s*$")
    return re.sub(r"[^;\n\r]+", lambda e: pattern.sub(one, e.group(0)), text)
