"""Rendering staff-edited email templates safely.

Each message has three templates in `templates/emails/`: `<name>.subject.txt`, `<name>.txt` and
`<name>.html` (which extends `_layout.html`), written in English with their text marked for
translation (`{% trans %}...{% endtrans %}`, `_("...")`: Jinja2's i18n extension, newstyle gettext).
The translations are gettext message catalogs beside the templates' folder,
`translations/<lang>/LC_MESSAGES/messages.po` (`Catalogs`): read with Babel once per run, compiled in
memory, no binary file kept. A message is written in the first of the recipient's languages, in
their order, that has a catalog (English counts as one: it is the templates' own text); none of them:
English. Its HTML declares that language (`lang`), never one the text is not in. A string a catalog
leaves untranslated (or fuzzy) stays English. Dates (`| date`), numbers (`| thousands`), kinds of
activity (`| kind`), report details (`| details`) and language names (`| language_name`) are written
for the message's language with Babel. A staff override of one message in one language,
`<name>.<lang>.<part>`, is still used when it exists for the chosen language.

The environment is sandboxed (a template cannot reach Python internals), undefined variables are
errors, and HTML is autoescaped. A template that fails names the file and line where it failed
(which may be the layout or a macro file) and why.

`check` renders every message's templates, in English and every language with a catalog (or a
variant), with sample data (`domain.template_samples`) through this same renderer, and reads every
template for names no message gives: what `doctor` says before go-live, instead of a message failing
at send time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    meta,
    nodes,
    select_autoescape,
)
from jinja2.sandbox import SandboxedEnvironment

from ..domain.messages import PlannedMessage
from .catalogs import Catalogs, Localizer, normalize
from .message import Rendered

PARTS = ("subject.txt", "txt", "html")
#: What the renderer itself adds to every message's names.
RENDERER_NAMES = ("recipient_name", "language", "language_tag")


class RenderError(Exception):
    """A template that is missing or fails to render; the message names template, line and cause."""

    def __init__(self, text: str, template: str = "", line: int | None = None, reason: str = ""):
        super().__init__(text)
        self.template, self.line, self.reason = template, line, reason


@dataclass(frozen=True)
class TemplateFault:
    """What `check` found wrong: in which file and line, why, and with which message and language."""

    template: str  # the file, relative to the templates folder
    line: int | None
    reason: str  # e.g. "'frist_name' is undefined"
    message: str  # the message whose templates were rendered (or read)
    language: str


def place(exc: BaseException, folder: Path) -> tuple[str, int | None]:
    """The template file (relative to `folder`) and line an error of Jinja's happened at: a syntax
    error carries them; a rendering error's traceback holds a frame per template line it went through
    (Jinja rewrites it so), and the last one in `folder` is where it failed."""
    if isinstance(exc, TemplateSyntaxError):
        return exc.name or Path(exc.filename or "?").name, exc.lineno
    root = folder.resolve()
    found: tuple[str, int | None] = ("", None)
    tb = exc.__traceback__
    while tb is not None:
        path = Path(tb.tb_frame.f_code.co_filename).resolve()
        if path.is_relative_to(root):
            found = (path.relative_to(root).as_posix(), tb.tb_lineno)
        tb = tb.tb_next
    return found


class TemplateRenderer:
    """Renders planned messages from the templates in `folder`, in the language each recipient reads
    (catalogs from `translations`, by default the folder `translations` beside `folder`)."""

    def __init__(self, folder: Path, common: dict | None = None, translations: Path | None = None):
        self.folder = Path(folder)
        self.catalogs = Catalogs(Path(translations) if translations is not None else self.folder.parent / "translations")
        self.common = common or {}
        self._envs: dict[str, SandboxedEnvironment] = {}
        self._words: dict[str, Localizer] = {}
        self._overrides: dict[str, dict[str, set[str]]] = {}
        self.env = self.environment("en")

    def environment(self, language: str) -> SandboxedEnvironment:
        """The Jinja2 environment of one language (made once): its gettext and its locale's filters."""
        env = self._envs.get(language)
        if env is None:
            env = SandboxedEnvironment(
                loader=FileSystemLoader(str(self.folder)),
                undefined=StrictUndefined,
                autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
                extensions=["jinja2.ext.i18n"],
            )
            env.policies["ext.i18n.trimmed"] = True  # a {% trans %} block's line breaks are one space
            words = self.localizer(language)
            env.install_gettext_translations(words.translations, newstyle=True)  # type: ignore[attr-defined]
            env.filters.update(words.filters())
            self._envs[language] = env
        return env

    def localizer(self, language: str) -> Localizer:
        """The words and formats of one language (made once): its catalog's gettext and its templates' filters."""
        words = self._words.get(language)
        if words is None:
            words = self._words[language] = Localizer(language, self.catalogs.translations(language))
        return words

    def language_of(self, planned: PlannedMessage) -> str:
        """The language `planned` is rendered in (what `render` writes it in, and its calendar entries)."""
        return self.language_for(planned.languages or (planned.language,), planned.template)

    def language_for(self, languages: Sequence[str], base: str = "") -> str:
        """The language a message to someone with these languages (in their order) is written in: the first with
        a catalog, or with staff's own version of every part of message `base` (`<base>.<lang>.<part>`)."""
        return self.catalogs.choose(languages, also=self._complete_overrides(base) if base else ())

    def _variants(self, base: str) -> dict[str, set[str]]:
        """Staff's own versions of message `base` (`<base>.<lang>.<part>`, the code written `pt_BR` or `pt-BR`):
        the parts there are, by language code as catalogs are named (`catalogs.normalize`). Read once."""
        found = self._overrides.get(base)
        if found is None:
            pattern = re.compile(rf"^{re.escape(base)}\.([A-Za-z]{{2,3}}(?:[-_][A-Za-z0-9]+)?)\.(subject\.txt|txt|html)$")
            found = self._overrides[base] = {}
            for p in self.folder.iterdir():
                if (m := pattern.match(p.name)) is not None and (code := normalize(m.group(1))):
                    found.setdefault(code, set()).add(m.group(2))
        return found

    def _complete_overrides(self, base: str) -> set[str]:
        """The languages staff wrote every part of message `base` in."""
        return {lang for lang, have in self._variants(base).items() if have == set(PARTS)}

    def _failed(self, name: str, exc: BaseException, why: str) -> RenderError:
        where, line = place(exc, self.folder)
        where = where or name
        at = f" ({where}, line {line})" if line and where != name else f" (line {line})" if line else ""
        return RenderError(f"template {name} failed{at}: {why}", where, line, why)

    def _name(self, base: str, part: str, language: str) -> str:
        spelled = dict.fromkeys((language, language.replace("_", "-")))  # `pt_BR` is also written `pt-BR`
        candidates = (f"{base}.{part}",) if language == "en" else (*(f"{base}.{c}.{part}" for c in spelled),
                                                                   f"{base}.{part}")
        for candidate in candidates:
            if (self.folder / candidate).is_file():
                return candidate
        return f"{base}.{part}"

    def render(self, planned: PlannedMessage) -> Rendered:
        language = self.language_of(planned)
        env = self.environment(language)
        # `language` names the catalog (`pt_BR`); `language_tag` is its BCP 47 tag (`pt-BR`), for `lang=`
        context = {**self.common, **planned.context, "recipient_name": planned.to_name, "language": language,
                   "language_tag": language.replace("_", "-")}
        parts = {}
        for part in PARTS:
            name = self._name(planned.template, part, language)
            try:
                parts[part] = env.get_template(name).render(context)
            except TemplateNotFound:
                raise RenderError(f"template {name} does not exist in {self.folder}", name) from None
            except TemplateError as exc:
                raise self._failed(name, exc, str(exc.message or exc)) from None
            except Exception as exc:  # noqa: BLE001 - a staff-edited template raising at render time ({{ 1/0 }},
                # a filter given a value it cannot take): that message fails, named, never the job
                raise self._failed(name, exc, f"{type(exc).__name__}: {exc}") from None
        subject = " ".join(parts["subject.txt"].split())
        if not subject:
            name = self._name(planned.template, "subject.txt", language)
            raise RenderError(f"template {name} rendered an empty subject", name, None, "it renders an empty subject")
        return Rendered(planned, subject, parts["txt"], parts["html"], language)

    # -- before go-live: every template, every language, with sample data ---------------------------

    def languages(self, base: str) -> list[str]:
        """The languages message `base` is written in: English, each language with a catalog, and each with a
        staff override of some part of it (`<base>.<lang>.<part>`)."""
        return ["en", *sorted((set(self._variants(base)) | set(self.catalogs.languages())) - {"en"})]

    def unknown_names(self, name: str, known: Iterable[str]) -> list[tuple[str, int | None]]:
        """The names template `name` uses that are neither in `known` nor its own (set, looped over, a
        macro's argument, an import), each with the first line using it; wherever they are, also in a
        branch the samples do not render."""
        source = (self.folder / name).read_text(encoding="utf-8")
        tree = self.env.parse(source, name, str(self.folder / name))
        unknown = meta.find_undeclared_variables(tree) - set(known) - set(self.env.globals)
        lines: dict[str, int] = {}
        for node in tree.find_all(nodes.Name):
            if node.name in unknown and node.ctx == "load":
                lines[node.name] = min(lines.get(node.name, node.lineno), node.lineno)
        return sorted(((n, lines.get(n)) for n in unknown), key=lambda x: (x[1] or 0, x[0]))

    def check(self, samples: Mapping[str, Sequence[Mapping]]) -> list[TemplateFault]:
        """Render every message of `samples` (its name -> the sample contexts to render it with) in English
        and each language it has a variant in, every part; then read every template file for names no
        message gives it. Each fault once (a fault in the layout is found by every message)."""
        faults: dict[tuple[str, int | None, str], TemplateFault] = {}

        def add(f: TemplateFault) -> None:
            faults.setdefault((f.template, f.line, f.reason), f)

        used: dict[str, set[str]] = {}  # template file -> the names its message gives
        for job, contexts in samples.items():
            names = set(self.common) | set(RENDERER_NAMES) | {k for c in contexts for k in c}
            for language in self.languages(job):
                for part in PARTS:
                    used.setdefault(self._name(job, part, language), set()).update(names)
                for context in contexts:
                    planned = PlannedMessage(key=f"doctor:{job}", job=job, to_email="sample@mautic.org",
                                             to_name="Sample Ambassador", context=context, language=language,
                                             languages=(language,))
                    try:
                        self.render(planned)
                    except RenderError as exc:
                        add(TemplateFault(exc.template, exc.line, exc.reason or str(exc), job, language))
        shared = set.intersection(*used.values()) if used else set(self.common) | set(RENDERER_NAMES)
        files = sorted(p.name for p in self.folder.iterdir() if p.is_file() and p.suffix in (".txt", ".html"))
        for name in files:
            own = used.get(name)
            if own is None and not name.startswith("_"):
                continue  # no message uses this file
            try:
                for unknown, line in self.unknown_names(name, own if own is not None else shared):
                    add(TemplateFault(name, line, f"'{unknown}' is undefined",
                                      next((j for j in samples if name.startswith(j + ".")), "every message"),
                                      _language_of(name)))
            except TemplateSyntaxError as exc:
                add(TemplateFault(name, exc.lineno, exc.message or str(exc), "", _language_of(name)))
        return list(faults.values())


def _language_of(name: str) -> str:
    """The language of a template file by its name (`welcome.pt.txt`, `_layout.pt.html`: pt), else en."""
    stem = next((name[:-len(part) - 1] for part in PARTS if name.endswith("." + part)), name)
    return stem.partition(".")[2] or "en"
