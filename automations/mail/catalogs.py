"""The message catalogs the mail is translated with, and the words and formats of each language.

Staff add a language by adding a catalog: `translations/<lang>/LC_MESSAGES/messages.po` beside the
templates' folder (docs/mail.md has the commands that extract the strings and start one). The
catalogs are read with Babel (`read_po`) the first time a message needs one and compiled in memory
(`write_mo`): no binary catalog is kept in the repository, and a run reads each catalog once. A
catalog is used once it is complete (no string untranslated or fuzzy); until then its language's
recipients get English, and `doctor` says how far along it is.

A recipient's languages are codes such as `pt`, `pt-BR` or `es`, in their order of preference; the
message's language is the first one with a catalog (a regional code finds its language's catalog),
English (the templates' own text) counting as one; none of them: English. A language staff wrote every
part of one message in (`<name>.<lang>.subject.txt`, `.txt`, `.html`) counts for that message.

`Localizer` gives the templates of one language their filters: dates and numbers as the language
writes them (Babel, CLDR), kinds of activity, report details and language names in that language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

#: The language the templates are written in.
SOURCE = "en"
#: The CLDR locale whose formats English messages use (the program's staff write dates day first).
_FORMAT_LOCALES = {"en": "en_GB"}
_CODE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def normalize(code: str) -> str:
    """A language code as catalogs are named: `pt-br` -> `pt_BR`, ` ES ` -> `es`; "" when it is not one."""
    code = code.strip()
    if not _CODE.match(code):
        return ""
    head, *rest = re.split(r"[-_]", code)
    return "_".join([head.lower(), *(r.upper() if len(r) == 2 else r.title() for r in rest)])


class Catalogs:
    """The catalogs in `folder` (`<lang>/LC_MESSAGES/messages.po`), read once, the first time one is asked for.

    Only a complete catalog is used (every string translated, none marked fuzzy): a message is never half in
    one language and half in English under a `lang` that names only one. `incomplete` says which are not,
    and how far along they are (`doctor` says so)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._loaded: dict[str, NullTranslations] | None = None
        self._incomplete: dict[str, tuple[int, int]] = {}

    def _load(self) -> dict[str, NullTranslations]:
        if self._loaded is None:
            self._loaded = {}
            if self.folder.is_dir():
                for path in sorted(self.folder.glob("*/LC_MESSAGES/messages.po")):
                    code = path.parent.parent.name
                    if not code or normalize(code) != code or code == SOURCE:
                        continue
                    with path.open("rb") as f:
                        catalog = read_po(f, locale=code)
                    entries = [m for m in catalog if m.id]
                    done = [m for m in entries if not m.fuzzy and _translated(m.string)]
                    if len(done) < len(entries):
                        self._incomplete[code] = (len(done), len(entries))
                        continue
                    compiled = BytesIO()
                    write_mo(compiled, catalog, use_fuzzy=False)
                    compiled.seek(0)
                    self._loaded[code] = Translations(compiled)
        return self._loaded

    def languages(self) -> list[str]:
        """The languages with a complete catalog, sorted."""
        return sorted(self._load())

    def incomplete(self) -> dict[str, tuple[int, int]]:
        """The catalogs not used because they are not complete: language -> (strings translated, strings)."""
        self._load()
        return dict(self._incomplete)

    def choose(self, languages: Sequence[str], also: Iterable[str] = ()) -> str:
        """The first of `languages` with a catalog (`pt-BR` finds `pt_BR`, else `pt`), or in `also` (a message
        staff wrote whole in that language); English counts as one."""
        have = set(self.languages()) | set(also)
        for wanted in languages:
            code = normalize(wanted)
            for candidate in (code, code.split("_")[0]):
                if candidate == SOURCE or candidate.split("_")[0] == SOURCE:
                    return SOURCE
                if candidate in have:
                    return candidate
        return SOURCE

    def translations(self, language: str) -> NullTranslations:
        """The compiled catalog of `language` (English, or a language with none: the templates' own text)."""
        return self._load().get(language) or NullTranslations()


def _translated(string: str | tuple[str, ...] | list[str] | None) -> bool:
    if string is None:
        return False
    return all(s.strip() for s in string) if isinstance(string, (tuple, list)) else bool(string.strip())


#: The explanations of a check-in row's problems (`domain.checkins.responses`, `domain.values`), which the
#: problems' records hold in English: each whole explanation, or its first part and its second, is a
#: message of the catalogs (in `_words.txt`); an explanation of another shape stays English.
_REASON_PARTS = re.compile(r"^(?P<head>.+?); (?P<tail>activity (?P<n>\d+)(?: \('(?P<title>.*)'\))? was skipped"
                           r"(?P<need> \(a title is needed\))?|left empty for activity (?P<m>\d+) \('(?P<t2>.*)'\)"
                           r"|the row was skipped)$", re.S)
_NOT_A_DATE = re.compile(r"^is not a date \(expected a form like (?P<like>[^)]*)\)$")
_AFTER = re.compile(r"^is after the response was sent on (?P<day>\d{4}-\d{2}-\d{2})$")


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


class Localizer:
    """The filters the templates of one language use, with its catalog's words."""

    def __init__(self, language: str, translations: NullTranslations):
        self.language = language
        self.translations = translations
        self._days: dict[tuple[date, bool], str] = {}
        try:
            self.locale = Locale.parse(_FORMAT_LOCALES.get(language, language))
        except (UnknownLocaleError, ValueError):
            self.locale = Locale.parse(_FORMAT_LOCALES[SOURCE])

    def gettext(self, text: str) -> str:
        """`text` in the language, where the catalog has it (`| translate`, for the program's own words a
        planner gives, such as a blog stage or what an invoice reminder still needs)."""
        return self.translations.gettext(str(text))

    def date(self, value: Any, year: bool = True) -> str:
        """A day as the language writes it in full: 14 October 2026, 14 de outubro de 2026; without the year
        (`year=false`): 14 October. A value that is not a day is printed as it is."""
        day = _day(value)
        if day is None:
            return str(value)
        # A run writes the same few days (the window's close) into many messages: each is formatted once.
        key = (day, bool(year))
        text = self._days.get(key)
        if text is None:
            text = self._days[key] = format_date(day, "long", locale=self.locale) if year else \
                format_skeleton("MMMMd", day, locale=self.locale)
        return text

    def thousands(self, value: Any) -> str:
        """A number with the language's grouping and decimal signs: 1,200 / 1.200 / 1 200."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return str(value)
        return format_decimal(value, locale=self.locale)

    def kind(self, value: Any) -> str:
        """A kind of activity as the form names it ("Community support"), in the language."""
        return self.gettext(str(value))

    def details(self, missing: Sequence[str]) -> str:
        """What a report lacks ("hours", "link or description"), in the language, as one phrase."""
        or_word = self.gettext(" or ")
        return ", ".join(or_word.join(self.gettext(alt) for alt in str(field).split(" or ")) for field in missing)

    def reason(self, text: Any) -> str:
        """Why a check-in row's answer could not be used, in the language where the catalog has its words."""
        text = str(text)
        if self.language == SOURCE:
            return text
        found = _REASON_PARTS.match(text)
        head, tail = (found.group("head"), found.group("tail")) if found else (text, "")
        if (m := _NOT_A_DATE.match(head)) is not None:
            head = self.gettext("is not a date (expected a form like %(like)s)") % {"like": m.group("like")}
        elif (m := _AFTER.match(head)) is not None:
            head = self.gettext("is after the response was sent on %(day)s") % {"day": self.date(m.group("day"))}
        else:
            head = self.gettext(head)
        if found is None:
            return head
        if found.group("m"):
            tail = self.gettext("left empty for activity %(n)s ('%(title)s')") % {"n": found.group("m"),
                                                                                 "title": found.group("t2")}
        elif found.group("n"):
            if found.group("title") is not None:
                tail = self.gettext("activity %(n)s ('%(title)s') was skipped") % {"n": found.group("n"),
                                                                                  "title": found.group("title")}
            elif found.group("need"):
                tail = self.gettext("activity %(n)s was skipped (a title is needed)") % {"n": found.group("n")}
            else:
                tail = self.gettext("activity %(n)s was skipped") % {"n": found.group("n")}
        else:
            tail = self.gettext(tail)
        return f"{head}; {tail}"

    def language_name(self, code: Any) -> str:
        """A language named in the message's language (`pt` -> Portuguese, portugués); a name that is not a
        code (an inquiry written "German") is printed as it is."""
        text = str(code).strip()
        found = normalize(text)
        if not found or len(text) > 8:
            return text
        try:
            name = Locale.parse(found).get_display_name(self.locale)
        except (UnknownLocaleError, ValueError):
            return text
        return name or text

    def filters(self) -> dict[str, Callable[..., str]]:
        return {"date": self.date, "thousands": self.thousands, "kind": self.kind, "details": self.details,
                "language_name": self.language_name, "reason": self.reason,
                "translate": self.gettext}
