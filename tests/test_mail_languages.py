"""Mail in the ambassador's language: the catalogs are complete, the language is chosen from the person's
languages, the HTML's `lang` is the language of its text, dates and numbers are the language's, greetings
use the preferred (or whole) name, receipts speak of the response's day, never of a sheet's row."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from automations.domain.messages import MESSAGE_JOBS, PlannedMessage, first_name, plan_checkin_requests
from automations.domain.rows.roster import RosterLayout, parse_roster
from automations.domain.template_samples import SAMPLES, variants
from automations.mail.templates import TemplateRenderer
from tests.conftest import ROOT

TEMPLATES = ROOT / "templates"
SHIPPED = ("pt", "es", "fr", "de")
#: Messages only staff get: written in English, and saying so.
STAFF_ONLY = {"standing_under_review_staff", "staff_digest", "referral_accepted", "referral_exhausted",
              "notices_held", "welcome_staff", "funding_short_notice_staff", "funding_large_event",
              "funding_budget_warning", "quarterly_report"}
AMBASSADOR_MESSAGES = [job for job in MESSAGE_JOBS if job not in STAFF_ONLY]
COMMON = {"program_name": "Mautic Ambassador Program", "support_email": "ambassadors@example.org",
          "lead_name": "Alex Moreau", "forum_intro_url": "https://forum.example.org/c/ambassadors/intro",
          "forum_sync": False, "funding_url": ""}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def renderer(folder: Path = TEMPLATES) -> TemplateRenderer:
    return TemplateRenderer(folder / "emails", COMMON)


def pybabel(*args: str, cwd: Path) -> None:
    """The command docs/mail.md gives staff, run as they would (Babel's own command line)."""
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=cwd, check=True,
                   capture_output=True, text=True)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict:
    """Every message id of the shipped templates, extracted afresh with the documented command."""
    work = tmp_path_factory.mktemp("extract")
    shutil.copytree(TEMPLATES, work / "templates")
    pybabel("extract", "-F", "babel.cfg", "-o", "translations/messages.pot", ".", cwd=work / "templates")
    with (work / "templates" / "translations" / "messages.pot").open("rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


def untranslated(catalog_path: Path, ids) -> list[str]:
    """What a catalog lacks for the templates: an id it does not have, an empty or fuzzy translation, or one
    whose placeholders are not the original's."""
    with catalog_path.open("rb") as f:
        catalog = read_po(f)
    out = []
    for key in ids:
        m = catalog.get(key)
        strings = (m.string if isinstance(m.string, (tuple, list)) else (m.string,)) if m is not None else ()
        wanted = set(PLACEHOLDER.findall(" ".join(key) if isinstance(key, tuple) else key)) - {"count"}
        if m is None or m.fuzzy or not all(s and s.strip() for s in strings):
            out.append(f"{key!r}: untranslated" + (" (fuzzy)" if m is not None and m.fuzzy else ""))
        elif any(set(PLACEHOLDER.findall(s)) - {"count"} != wanted for s in strings):
            out.append(f"{key!r}: its placeholders differ")
    return out


class TestCatalogs:
    @pytest.mark.parametrize("language", SHIPPED)
    def test_every_string_of_the_templates_is_translated(self, extracted, language):
        """Every message id the templates hold has a translation in each shipped catalog, none fuzzy, each with
        the original's placeholders (a new sentence in a template fails here until every catalog has it)."""
        path = TEMPLATES / "translations" / language / "LC_MESSAGES" / "messages.po"
        assert untranslated(path, extracted) == []

    def test_an_untranslated_or_fuzzy_string_is_caught_and_the_catalog_left_unused(self, extracted, tmp_path):
        """The check above fails on one empty translation and on one fuzzy one; the renderer does not use such
        a catalog (the message goes in English, and says so), and tells how far along it is."""
        shutil.copytree(TEMPLATES, tmp_path / "templates")
        path = tmp_path / "templates" / "translations" / "pt" / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as f:
            catalog = read_po(f)
        catalog["Hi %(first_name)s,"].string = ""
        catalog["Check-in form:"].flags.add("fuzzy")
        with path.open("wb") as f:
            write_po(f, catalog)
        assert sorted(untranslated(path, extracted)) == ["'Check-in form:': untranslated (fuzzy)",
                                                         "'Hi %(first_name)s,': untranslated"]
        r = renderer(tmp_path / "templates")
        assert "pt" not in r.catalogs.languages() and r.catalogs.incomplete()["pt"][1] - 2 == \
            r.catalogs.incomplete()["pt"][0]
        out = r.render(PlannedMessage(key="k", job="checkin_invite", to_email="a@example.org", to_name="Ana",
                                      context=SAMPLES["checkin_invite"], languages=("pt", "en")))
        assert out.language == "en" and '<html lang="en">' in out.html and out.text.startswith("Hi Priya,")

    def test_staff_add_a_language_with_the_documented_commands(self, tmp_path):
        """`pybabel extract` then `pybabel init -l it` start an Italian catalog; once every string is translated,
        an Italian reader gets Italian under lang="it" (before that, English under lang="en")."""
        shutil.copytree(TEMPLATES, tmp_path / "templates")
        here = tmp_path / "templates"
        pybabel("extract", "-F", "babel.cfg", "-o", "translations/messages.pot", ".", cwd=here)
        pybabel("init", "-i", "translations/messages.pot", "-d", "translations", "-l", "it", cwd=here)
        path = here / "translations" / "it" / "LC_MESSAGES" / "messages.po"
        planned = PlannedMessage(key="k", job="checkin_receipt", to_email="a@example.org", to_name="Gio",
                                 context=SAMPLES["checkin_receipt"], languages=("it", "en"))
        assert renderer(here).render(planned).language == "en"
        with path.open("rb") as f:
            catalog = read_po(f, locale="it")
        for m in catalog:
            if m.id:
                m.string = tuple(f"IT {s}" for s in m.id) if isinstance(m.id, tuple) else f"IT {m.id}"
        catalog["Hi %(first_name)s,"].string = "Ciao %(first_name)s,"
        with path.open("wb") as f:
            write_po(f, catalog)
        out = renderer(here).render(planned)
        assert out.language == "it" and '<html lang="it">' in out.html and out.text.startswith("Ciao Priya,")

    def test_a_regional_language_is_tagged_as_bcp_47(self, tmp_path):
        """A Brazilian Portuguese message (staff's own `<message>.pt_BR.<part>` files) is under lang="pt-BR", the
        tag HTML takes, never the catalog's name `pt_BR`."""
        out = renderer(own_version(tmp_path, "pt_BR")).render(BRAZILIAN)
        assert out.language == "pt_BR" and '<html lang="pt-BR">' in out.html and "pt_BR" not in out.html

    def test_a_regional_version_written_with_a_hyphen_is_sent(self, tmp_path):
        """Staff's own `<message>.pt-BR.<part>` files (the tag's spelling) are what a send renders, as doctor's
        check reads them: one reading of the folder for both."""
        made = renderer(own_version(tmp_path, "pt-BR"))
        out = made.render(BRAZILIAN)
        assert out.language == "pt_BR" and out.subject.startswith("Recebemos, ") and "Recebemos." in out.html
        assert "pt_BR" in made.languages("checkin_receipt")


BRAZILIAN = PlannedMessage(key="k", job="checkin_receipt", to_email="a@example.org", to_name="Gio",
                           context=SAMPLES["checkin_receipt"], languages=("pt-BR", "en"))


def own_version(tmp_path: Path, code: str) -> Path:
    """A copy of the templates with staff's own Brazilian Portuguese receipt, every part, the language code spelled
    `code` in the files' names; the copy's folder."""
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    emails = tmp_path / "templates" / "emails"
    for part in ("subject.txt", "txt"):
        (emails / f"checkin_receipt.{code}.{part}").write_text("Recebemos, {{ first_name }}\n", encoding="utf-8")
    (emails / f"checkin_receipt.{code}.html").write_text(
        '{% extends "_layout.html" %}{% block body %}<p>Recebemos.</p>{% endblock %}', encoding="utf-8")
    return tmp_path / "templates"


def english_phrases(ids) -> list[str]:
    """The longest stretch of plain words of each English sentence of the templates (12 characters or more)."""
    out = []
    for key in ids:
        for text in key if isinstance(key, tuple) else (key,):
            pieces = [p.strip(" ,.:;()\"") for p in PLACEHOLDER.split(text)[::2]]
            best = max(pieces, key=len)
            if len(best) >= 12 and " " in best:
                out.append(best)
    return out


class TestRendering:
    @pytest.mark.parametrize("language", SHIPPED)
    def test_every_ambassador_message_is_written_in_the_language(self, extracted, language):
        """Each message an ambassador gets, every part, both sample variants, renders in the language with its
        HTML saying so, and none of the templates' English sentences is left in it."""
        r = renderer()
        phrases = english_phrases(extracted)
        for job in AMBASSADOR_MESSAGES:
            for context in variants(job):
                out = r.render(PlannedMessage(key="k", job=job, to_email="a@example.org", to_name="Priya",
                                              context=context, languages=(language,)))
                assert out.language == language and f'<html lang="{language}">' in out.html, job
                for part in (out.subject, out.text, out.html):
                    flat = " ".join(part.split())
                    left = [p for p in phrases if p in flat]
                    assert left == [], (job, language, left)

    @pytest.mark.parametrize("language", SHIPPED)
    def test_the_found_activities_list_is_written_in_the_language(self, extracted, language):
        """The list of activities `discover` found (the one line the invitation, reminders and receipt include)
        is in the language too, with its kinds and days."""
        found = [{"title": "Segments in Mautic 5", "date": "2026-08-21", "kind": "Content",
                  "link": "https://priya.example/blog/segments", "prefill_link": "https://forms.example/f?entry.1=x"}]
        env = renderer().environment(language)
        phrases = english_phrases(extracted)
        for part in ("txt", "html"):
            out = env.from_string(f'{{% from "_found.{part}" import found_list %}}{{{{ found_list(found) }}}}'
                                  ).render(found=found)
            flat = " ".join(out.split())
            assert "Segments in Mautic 5" in flat and "2026" in flat and "2026-08-21" not in flat
            assert [p for p in phrases if p in flat] == [], (part, language)
            assert env.filters["kind"]("Content") in flat

    @pytest.mark.parametrize("languages, expected", [
        (("gu", "hi", "en"), "en"), (("es", "ca", "en"), "es"), (("nl", "en", "de"), "en"), (("pt-BR",), "pt"),
        (("ja",), "en"), (("fr", "en"), "fr"), ((), "en"), (("DE",), "de")])
    def test_the_language_is_the_first_of_theirs_with_a_catalog_and_lang_says_it(self, languages, expected):
        """The first of the person's languages, in their order, that has a catalog (English is one); none: English.
        A Gujarati-first ambassador reads English, and the HTML declares English."""
        out = renderer().render(PlannedMessage(key="k", job="checkin_invite", to_email="a@example.org",
                                               to_name="A", context=SAMPLES["checkin_invite"], languages=languages))
        assert out.language == expected and f'<html lang="{expected}">' in out.html
        assert out.html.count("<html lang=") == 1

    def test_staff_messages_are_english_and_say_so(self):
        """Staff's messages have no recipient languages: English, lang="en"."""
        r = renderer()
        for job in sorted(STAFF_ONLY):
            out = r.render(PlannedMessage(key="k", job=job, to_email="staff@example.org", to_name="",
                                          context=SAMPLES[job]))
            assert out.language == "en" and '<html lang="en">' in out.html, job

    def test_dates_and_numbers_are_the_languages(self):
        """The window's close as each language writes a day; a receipt's response without its year."""
        r = renderer()
        subjects = {lang: r.render(PlannedMessage(key="k", job="checkin_invite", to_email="a@example.org",
                                                  to_name="A", context=SAMPLES["checkin_invite"],
                                                  languages=(lang,))).subject for lang in ("en", *SHIPPED)}
        assert subjects["en"] == "2026Q3 has ended: please send your check-in by 21 October 2026"
        assert "21 de outubro de 2026" in subjects["pt"] and "21 de octubre de 2026" in subjects["es"]
        assert "21 octobre 2026" in subjects["fr"] and "21. Oktober 2026" in subjects["de"]
        env = {lang: r.environment(lang) for lang in ("en", "de", "fr")}
        assert env["en"].filters["thousands"](1200) == "1,200" and env["de"].filters["thousands"](1200) == "1.200"
        assert env["fr"].filters["thousands"](1200) == "1\u202f200"
        assert env["de"].filters["date"]("2026-10-14", year=False) == "14. Oktober"

    def test_an_offer_names_the_language_in_the_readers_language(self):
        """An inquiry in "pt": "Portuguese" in English, "portugués" in Spanish, never the code."""
        context = {**SAMPLES["referral_offer"], "inquiry_language": "pt"}
        r = renderer()
        texts = {lang: " ".join(r.render(PlannedMessage(key="k", job="referral_offer", to_email="a@example.org",
                                                        to_name="A", context=context, languages=(lang,))).text.split())
                 for lang in ("en", "es", "de")}
        assert "Language: Portuguese" in texts["en"] and "Idioma: portugués" in texts["es"]
        assert "Sprache: Portugiesisch" in texts["de"] and ": pt " not in texts["en"]


class TestReceipts:
    def test_a_receipt_speaks_of_the_response_by_its_day_never_its_row(self):
        """Row 117 of the responses appears in no language; the response's day does; "send the form again" once."""
        context = {**SAMPLES["checkin_receipt"], "row": 117, "received": "2026-10-14"}
        r = renderer()
        for lang in ("en", *SHIPPED):
            for job, ctx in (("checkin_receipt", context), ("data_problem", {**SAMPLES["data_problem"], **context})):
                out = r.render(PlannedMessage(key="k", job=job, to_email="a@example.org", to_name="A", context=ctx,
                                              languages=(lang,)))
                for part in (out.subject, out.text, out.html):
                    assert "117" not in part, (job, lang)
        out = r.render(PlannedMessage(key="k", job="checkin_receipt", to_email="a@example.org", to_name="A",
                                      context=context))
        flat = " ".join(out.text.split())
        assert "your response of 14 October" in flat and out.subject.startswith("Your response of 14 October:")
        assert flat.count("send the form again") == 1 and " row " not in flat

    def test_why_an_answer_was_not_used_is_in_the_language(self):
        """The problem's explanation, kept in English in the records, reads in the receipt's language."""
        out = renderer().render(PlannedMessage(key="k", job="checkin_receipt", to_email="a@example.org",
                                               to_name="A", context=SAMPLES["checkin_receipt"], languages=("pt",)))
        flat = " ".join(out.text.split())
        assert ("não é uma data (esperávamos algo como 14/08/2026); a atividade 2 ('Segments explained') foi "
                "ignorada") in flat
        assert "incompleta: falta informar horas dedicadas, link ou descrição" in flat


ROSTER_FIELDS = {"name": "Name", "email": "Email", "country": "Country", "region": "Region",
                 "university": "University", "languages": "Languages", "start_date": "Start date",
                 "status": "Status", "preferred_name": "Preferred name"}


def roster(*rows: tuple[str, str, str, str]):
    """Ambassadors read from a roster with a Preferred name column: (name, email, languages, preferred name)."""
    layout = RosterLayout(source="ambassadors.csv", fields=ROSTER_FIELDS)
    headers = list(ROSTER_FIELDS.values())
    cells = [[n, e, "Vietnam", "", "", langs, "2024-01-10", "Active", pref] for n, e, langs, pref in rows]
    people, problems = parse_roster(headers, cells, layout)
    assert problems == []
    return people


class TestGreeting:
    def test_the_preferred_name_greets_else_the_whole_name(self):
        """"Lan" from the Preferred name column; without one, "Nguyễn Thị Lan" and "山田 太郎" whole, never
        their first word."""
        lan, thi, yamada = roster(("Nguyễn Thị Lan", "lan@example.org", "vi; en", "Lan"),
                                  ("Nguyễn Thị Lan", "thi@example.org", "vi; en", ""),
                                  ("山田 太郎", "yamada@example.org", "ja; en", ""))
        assert (lan.preferred_name, thi.preferred_name) == ("Lan", "")
        assert "Lan" not in repr(lan).split("name='Nguyễn Thị Lan'")[1]  # out of repr, like the handles
        assert [first_name(a) for a in (lan, thi, yamada)] == ["Lan", "Nguyễn Thị Lan", "山田 太郎"]

    def test_the_invitation_greets_them_so(self):
        """Planned through the real planner and rendered: "Hi Lan," and "Hi Nguyễn Thị Lan," in English (their
        first language has no catalog), "Olá, Ana," in Portuguese."""
        from automations.domain import compliance
        from automations.domain.messages import ProgramState, Schedule
        from automations.domain.quarters import Quarter
        from tests.factories import RULES

        people = roster(("Nguyễn Thị Lan", "lan@example.org", "vi; en", "Lan"),
                        ("Nguyễn Thị Lan", "thi@example.org", "vi; en", ""),
                        ("Ana Maria Souza", "ana@example.org", "pt-BR; en", "Ana"))
        as_of = date(2026, 10, 1)
        tracks = compliance.tracks(list(people), [], RULES, as_of, Quarter.of(as_of).prev())
        state = ProgramState(as_of=as_of, rules=RULES, schedule=Schedule(), tracks=tracks, activities=(),
                             checkins=(), form_url="https://forms.example/f")
        r = renderer()
        out = {m.to_email: r.render(m) for m in plan_checkin_requests(state)}
        assert out["lan@example.org"].text.startswith("Hi Lan,\n")
        assert out["thi@example.org"].text.startswith("Hi Nguyễn Thị Lan,\n")
        assert out["thi@example.org"].language == "en" and '<html lang="en">' in out["thi@example.org"].html
        assert out["ana@example.org"].text.startswith("Olá, Ana,\n") and out["ana@example.org"].language == "pt"
        assert "21 de outubro de 2026" in out["ana@example.org"].subject


def test_the_planned_message_carries_all_the_persons_languages():
    """Not only the first: the renderer picks the first it can write in."""
    (person,) = roster(("Oluwaseun Adeyemi", "seun@example.org", "yo; fr; en", ""))
    from automations.domain.messages import _message

    m = _message("checkin_invite", "k", person, SAMPLES["checkin_invite"])
    assert m.languages == ("yo", "fr", "en")
    m = replace(m, context={**SAMPLES["checkin_invite"], "first_name": first_name(person)})
    assert renderer().render(m).language == "fr"
