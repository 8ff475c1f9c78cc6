"""`JinjaVerifyPages`: the static pages of the published credentials folder, from the Jinja2 templates staff edit in
`templates/credentials/` (beside the email templates).

`verify_page.html` is one credential's page (`domain.verify_pages.VerificationPage`), `index.html` the folder's front
page. Both are self-contained (an inline style; no script, image or font, nothing fetched) and carry the generator
line (`GENERATOR`) by which publish knows its own pages. The environment is sandboxed like the mail's and the
report's, an undefined name is an error (StrictUndefined) and everything is HTML-escaped; the texts from people
(event ids, quarters, the program's name) come through `values.shown`, so no bidi control reorders them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from ...domain.credentials import ISSUER_FILE, KEY_FILE, Issuer
from ...domain.values import shown
from ...domain.verify_pages import VerificationPage, served_by_folder
from ...effects import DocumentFailed
from ...mail.templates import place
from .report_jinja import long_date

#: The `<meta name="generator">` of every page publish writes: the pages it may rewrite or remove carry it.
GENERATOR = "automations credentials publish"
MARKER = f'<meta name="generator" content="{GENERATOR}">'.encode("ascii")
PAGE_TEMPLATE, INDEX_TEMPLATE = "verify_page.html", "index.html"


class JinjaVerifyPages:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.env = SandboxedEnvironment(loader=FileSystemLoader(str(self.folder)), undefined=StrictUndefined,
                                        autoescape=select_autoescape(default=True, default_for_string=True),
                                        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        self.env.filters["long_date"] = long_date

    def _common(self, issuer: Issuer, as_of: date) -> dict:
        plain = served_by_folder(issuer.base_url)
        links = {"key": issuer.url(KEY_FILE), "status": issuer.status_list, "issuer": issuer.url(ISSUER_FILE)} \
            if plain else None
        return {"program": shown(issuer.name), "as_of": as_of, "generator": GENERATOR, "links": links,
                "pages_served": plain}

    def page(self, page: VerificationPage, issuer: Issuer, as_of: date) -> bytes:
        """One credential's page; DocumentFailed when the template cannot be filled."""
        return self._render(PAGE_TEMPLATE, {**self._common(issuer, as_of), "page": page})

    def index(self, issuer: Issuer, as_of: date) -> bytes:
        """The folder's front page."""
        return self._render(INDEX_TEMPLATE, self._common(issuer, as_of))

    def _render(self, name: str, context: dict) -> bytes:
        try:
            text = self.env.get_template(name).render(context)
        except TemplateNotFound:
            raise DocumentFailed(f"the verification page template {self.folder / name} does not exist") from None
        except Exception as exc:  # noqa: BLE001 - TemplateError, or a template raising: the pages fail
            where, line = place(exc, self.folder)
            at = f" ({where or name}, line {line})" if line else ""
            why = exc if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
            raise DocumentFailed(f"the verification page template {self.folder / name} failed{at}: {why}") from None
        data = text.encode("utf-8")
        if MARKER not in data:
            raise DocumentFailed(f"the verification page template {self.folder / name} lost its generator line "
                                 f"({MARKER.decode()}): publish recognises its own pages by it")
        return data
