"""`GoogleDocsDrafter`: a review document as a copy of the template Doc, in a Shared Drive folder.

Drive `files.copy` (supportsAllDrives: a service account has no Drive storage of its own), Docs
`batchUpdate` with `replaceAllText` requests. The template is read once a run first (body, tables,
headers, footers): a placeholder in it the job does not fill stops the document before anything
is copied. The fields' texts are written literally: a proposal's own text may hold `{{ name }}`.
Each placeholder of the template (as it is spelt there, `{{ name }}` too) first becomes a marker
no text holds, then each marker its field's text, so no request ever matches text a field put in.
After filling, the copy is read back and must hold exactly the placeholders-like texts the fields
brought (none of the template's); otherwise it stops, unshared, and the failure names the copy.
Finally Drive `permissions.create` for the author and each reviewer, without Google's own
notification email (the job's mail says what the document is).
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence

from ...effects import DocumentFailed
from .access import GoogleAccess, http_error_text

PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")


def _content_text(content: list) -> str:
    out = []
    for block in content or []:
        for element in block.get("paragraph", {}).get("elements", []):
            out.append(element.get("textRun", {}).get("content", ""))
        for row in block.get("table", {}).get("tableRows", []):  # a checklist is often a table
            for cell in row.get("tableCells", []):
                out.append(_content_text(cell.get("content", [])))
        out.append(_content_text(block.get("tableOfContents", {}).get("content", [])))
    return "".join(out)


def document_text(doc: dict) -> str:
    """Every text run of a Doc: its body (tables included), headers, footers and footnotes."""
    parts = [_content_text(doc.get("body", {}).get("content", []))]
    for kind in ("headers", "footers", "footnotes"):
        parts += [_content_text(section.get("content", [])) for section in (doc.get(kind) or {}).values()]
    return "\n".join(parts)


class GoogleDocsDrafter:
    name = "google"

    def __init__(self, access: GoogleAccess, template_id: str, folder_id: str):
        self.access = access
        self.template_id = template_id
        self.folder_id = folder_id
        self._template_text: str | None = None  # the template's text, read once a run
        self._services = None  # (drive, docs), built once a run

    def _clients(self):
        if self._services is None:
            self._services = (self.access.service("drive", "v3", "drive"), self.access.service("docs", "v1", "docs"))
        return self._services

    def _template(self, docs) -> str:
        if self._template_text is None:
            doc = self.access.execute(docs.documents().get(documentId=self.template_id), "reading the review template")
            self._template_text = document_text(doc)
        return self._template_text

    @staticmethod
    def _marker(taken: str) -> str:
        """A text found nowhere in `taken` (the template and every field), to stand for a placeholder."""
        while True:
            marker = f"\u27e6{secrets.token_hex(8)}:"
            if marker not in taken:
                return marker

    def link(self, reference: str) -> str:
        """A document's web link is what a person clicks: as it is."""
        return reference

    def create(self, key: str, title: str, fields: Mapping[str, str], share_with: Sequence[str]) -> str:
        from googleapiclient.errors import HttpError

        drive, docs = self._clients()
        run = self.access.execute
        try:
            template = self._template(docs)
            spelt = sorted(set(PLACEHOLDER.findall(template)))  # as the template spells them: '{{ title }}' too
            unknown = sorted({p.strip("{} ") for p in spelt} - set(fields))
            if unknown:  # found before anything is copied: no stray document
                raise DocumentFailed(f"the review template {self.template_id} has placeholders the job does not "
                                     f"fill: {', '.join('{{' + u + '}}' for u in unknown)}; no document was made")
            copy = run(drive.files().copy(fileId=self.template_id, supportsAllDrives=True, fields="id,webViewLink",
                                          body={"name": f"Blog review: {title}", "parents": [self.folder_id]}),
                       "copying the review template", write=True, repeatable=False)
            doc_id = copy["id"]
            # Two steps, so a field's text is never matched by a later request: every placeholder
            # becomes a marker no text holds, then every marker its field's text (literally).
            marker = self._marker(template + "\n".join(fields.values()))
            requests = [{"replaceAllText": {"containsText": {"text": p, "matchCase": True},
                                            "replaceText": f"{marker}{n}\u27e7"}} for n, p in enumerate(spelt)]
            requests += [{"replaceAllText": {"containsText": {"text": f"{marker}{n}\u27e7", "matchCase": True},
                                             "replaceText": fields[p.strip("{} ")]}} for n, p in enumerate(spelt)]
            if requests:
                run(docs.documents().batchUpdate(documentId=doc_id, body={"requests": requests}),
                    "filling the review document", write=True)
            # The read-back holds what the fields brought ('{{ name }}' in a summary) and nothing else.
            meant = Counter(PLACEHOLDER.findall(PLACEHOLDER.sub(lambda m: fields[m.group().strip("{} ")], template)))
            back = document_text(run(docs.documents().get(documentId=doc_id), "reading the review document back"))
            left = sorted((Counter(PLACEHOLDER.findall(back)) - meant).elements())
            if left or marker in back:
                raise DocumentFailed(f"the review document {doc_id} still holds placeholders of the template "
                                     f"{self.template_id} after filling: {', '.join(dict.fromkeys(left))}; it was "
                                     f"not shared (delete it, mend the template, and the next run makes the "
                                     f"document again)")
            for email in dict.fromkeys(share_with):
                run(drive.permissions().create(fileId=doc_id, supportsAllDrives=True, sendNotificationEmail=False,
                                               body={"type": "user", "role": "writer", "emailAddress": email}),
                    "sharing the review document", write=True)
        except HttpError as exc:
            raise DocumentFailed(f"Google refused ({http_error_text(exc)}) while making the review document") from None
        return copy.get("webViewLink") or f"https://docs.google.com/document/d/{doc_id}/edit"
