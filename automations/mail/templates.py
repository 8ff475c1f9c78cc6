"""Rendering staff-edited email templates safely.

Each message has three templates in `templates/emails/`: `<name>.subject.txt`, `<name>.txt` and
`<name>.html` (which extends `_layout.html`). A language variant `<name>.<lang>.txt` (and so on)
is used when it exists for the ambassador's first language, English otherwise. The environment
is sandboxed (a template cannot reach Python internals), undefined variables are errors, and
HTML is autoescaped. A template that fails names the file and line where it failed (which may be
the layout or a macro file) and why.

`check` renders every message's templates, in every language that has a variant, with sample data
(`domain.template_samples`) through this same renderer, and reads every template for names no
message gives: what `doctor` says before go-live, instead of a message failing at send time.
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
from .message import Rendered

PARTS = ("subject.txt", "txt", "html")
#: What the renderer itself adds to every message's names.
RENDERER_NAMES = ("recipient_name", "language")


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


def _thousands(value) -> str:
    return f"{value:,}" if isinstance(value, (int, float)) else str(value)


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
    def __init__(self, folder: Path, common: dict | None = None):
        self.folder = Path(folder)
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(str(self.folder)),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["thousands"] = _thousands
        self.common = common or {}

    def _failed(self, name: str, exc: BaseException, why: str) -> RenderError:
        where, line = place(exc, self.folder)
        where = where or name
        at = f" ({where}, line {line})" if line and where != name else f" (line {line})" if line else ""
        return RenderError(f"template {name} failed{at}: {why}", where, line, why)

    def _name(self, base: str, part: str, language: str) -> str:
        for candidate in (f"{base}.{language}.{part}", f"{base}.{part}"):
            if (self.folder / candidate).is_file():
                return candidate
        return f"{base}.{part}"

    def render(self, planned: PlannedMessage) -> Rendered:
        context = {**self.common, **planned.context, "recipient_name": planned.to_name,
                   "language": planned.language}
        parts = {}
        for part in PARTS:
            name = self._name(planned.template, part, planned.language)
            try:
                parts[part] = self.env.get_template(name).render(context)
            except TemplateNotFound:
                raise RenderError(f"template {name} does not exist in {self.folder}", name) from None
            except TemplateError as exc:
                raise self._failed(name, exc, str(exc.message or exc)) from None
            except Exception as exc:  # noqa: BLE001 - a staff-edited template raising at render time ({{ 1/0 }},
                # a filter given a value it cannot take): that message fails, named, never the job
                raise self._failed(name, exc, f"{type(exc).__name__}: {exc}") from None
        subject = " ".join(parts["subject.txt"].split())
        if not subject:
            name = self._name(planned.template, "subject.txt", planned.language)
            raise RenderError(f"template {name} rendered an empty subject", name, None, "it renders an empty subject")
        return Rendered(planned, subject, parts["txt"], parts["html"])

    # -- before go-live: every template, every language, with sample data ---------------------------

    def languages(self, base: str) -> list[str]:
        """The languages with a variant of some part of message `base` (`<base>.<lang>.<part>`)."""
        pattern = re.compile(rf"^{re.escape(base)}\.([A-Za-z]{{2,3}}(?:[-_][A-Za-z0-9]+)?)\.(?:subject\.txt|txt|html)$")
        return sorted({m.group(1) for p in self.folder.iterdir() if (m := pattern.match(p.name))})

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
            for language in ["en", *[x for x in self.languages(job) if x != "en"]]:
                for part in PARTS:
                    used.setdefault(self._name(job, part, language), set()).update(names)
                for context in contexts:
                    planned = PlannedMessage(key=f"doctor:{job}", job=job, to_email="sample@mautic.org",
                                             to_name="Sample Ambassador", context=context, language=language)
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
