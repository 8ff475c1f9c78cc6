"""Rendering staff-edited email templates safely.

Each message has three templates in `templates/emails/`: `<name>.subject.txt`, `<name>.txt` and
`<name>.html` (which extends `_layout.html`). A language variant `<name>.<lang>.txt` (and so on)
is used when it exists for the ambassador's first language, English otherwise. The environment
is sandboxed (a template cannot reach Python internals), undefined variables are errors, and
HTML is autoescaped.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from ..domain.messages import PlannedMessage
from .message import Rendered


class RenderError(Exception):
    """A template that is missing or fails to render; the message names template and cause."""


def _thousands(value) -> str:
    return f"{value:,}" if isinstance(value, (int, float)) else str(value)


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

    def _name(self, base: str, part: str, language: str) -> str:
        for candidate in (f"{base}.{language}.{part}", f"{base}.{part}"):
            if (self.folder / candidate).is_file():
                return candidate
        return f"{base}.{part}"

    def render(self, planned: PlannedMessage) -> Rendered:
        context = {**self.common, **planned.context, "recipient_name": planned.to_name,
                   "language": planned.language}
        parts = {}
        for part in ("subject.txt", "txt", "html"):
            name = self._name(planned.template, part, planned.language)
            try:
                parts[part] = self.env.get_template(name).render(context)
            except TemplateNotFound:
                raise RenderError(f"template {name} does not exist in {self.folder}") from None
            except TemplateError as exc:
                raise RenderError(f"template {name} failed: {exc}") from None
        subject = " ".join(parts["subject.txt"].split())
        if not subject:
            raise RenderError(f"template {self._name(planned.template, 'subject.txt', planned.language)} "
                              f"rendered an empty subject")
        return Rendered(planned, subject, parts["txt"], parts["html"])
