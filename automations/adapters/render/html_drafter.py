"""`HtmlDrafter`: review documents as HTML files in a drafts folder (the local backend: no account).

The template is a Jinja2 file with the same placeholders as the Google Docs template; an undefined
placeholder is an error that stops that document (StrictUndefined), and the file is only written
whole (atomically). Sharing is the folder's: the Document field holds the file's path (relative to the
config's folder, so it travels with it); the mails carry its `file:` URI (`link`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from ...effects import DocumentFailed
from ...mail.templates import place
from ..files.atomic import atomic_write


class HtmlDrafter:
    name = "html"

    def __init__(self, template: Path, folder: Path, base: Path | None = None):
        self.template = Path(template)
        self.folder = Path(folder)
        self.base = base  # links are written relative to this folder (the config's), so they travel with it

    def render(self, fields: Mapping[str, str], share_with: Sequence[str]) -> str:
        """The document's page; a placeholder the fields lack stops it, naming the template's line."""
        folder = self.template.parent
        env = SandboxedEnvironment(loader=FileSystemLoader(str(folder)), undefined=StrictUndefined,
                                   autoescape=select_autoescape(default=True))
        try:
            return env.get_template(self.template.name).render(**fields, shared_with=", ".join(share_with))
        except TemplateNotFound:
            raise DocumentFailed(f"the review template {self.template} does not exist") from None
        except Exception as exc:  # noqa: BLE001 - TemplateError, or a template raising ({{ 1/0 }}): the document fails
            _, line = place(exc, folder)
            at = f", line {line}" if line else ""
            why = exc if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
            raise DocumentFailed(f"the review template {self.template.name} could not be filled "
                                 f"({self.template.name}{at}: {why})") from None

    def link(self, reference: str) -> str:
        """The `file:` URI of the absolute path of a document `create` made. A path relative to the config's
        folder is dead in a mail: a mail client resolves it against nothing, and a browser showing the
        outbox's index or a message's preview would resolve it against the outbox folder. An absolute
        `file:` URI opens from all three on this machine. A web link (staff's, or a Google Doc's) or a dry
        run's stand-in is left as it is."""
        if urlsplit(reference).scheme or not reference.endswith(".html"):
            return reference
        path = Path(reference)
        if not path.is_absolute() and self.base is not None:
            path = self.base / path
        return path.resolve().as_uri()

    def create(self, key: str, title: str, fields: Mapping[str, str], share_with: Sequence[str]) -> str:
        page = self.render(fields, share_with)
        path = self.folder / f"{key}.html"
        atomic_write(path, page)
        if self.base is not None and path.resolve().is_relative_to(self.base.resolve()):
            return path.resolve().relative_to(self.base.resolve()).as_posix()
        return str(path)
