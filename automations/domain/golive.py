"""Go-live: the example's placeholders still in a configuration, and a roster that cannot start a program.

The shipped config.yaml runs the example program (a demonstration): its form link, its addresses at
example.org, its lead's name and its certificate images are placeholders. `doctor` says each one still
there, with the key and what to put there; those that would reach people wrong (mail sent from, to or
pointing at a domain kept for examples, a link to no form, a certificate signed "Program lead" with a
made-up signature) are FAIL lines that make `doctor` exit 2: such a configuration is a demo, not ready to
go live. The jobs themselves do not refuse it (the README's first command runs the example).

Pure: the configuration as plain data (its keys and values, as `Config.model_dump` gives them), the digests of
the certificate images (`image_digest`) and the roster come in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from .form_check import Line
from .model import Ambassador

#: Domains kept for examples and documentation (RFC 2606, RFC 6761): no mail reaches them.
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")
EXAMPLE_TLDS = ("example", "test", "invalid", "localhost")
#: What the example configuration (config.yaml, and the defaults it leaves) ships: tests/test_golive.py checks it.
EXAMPLE_LEAD_NAME = "Program lead"
EXAMPLE_PREFILL_EMAIL = "entry.1000001"
EXAMPLE_PREFILL_CODE = "entry.2000001"
EXAMPLE_PREFILL_ANSWER = "entry.2000002"
#: The placeholder images shipped in templates/certificates (digests of `image_digest`).
PLACEHOLDER_SIGNATURE = "2d033b1273cc1db70cb352be2c48c82e9b6e03cb798e03aa15aedc16b0597d77"
PLACEHOLDER_LOGO = "49a8391fe1131ec7751fef8ce697b8a0376c0abf8b380752d3e9602eaf9dae67"

#: What belongs in each key that can hold an address or a link, for the fix.
WHAT = {
    "program.support_email": "the address ambassadors write to (every message's Reply-To)",
    "mail.from_address": "the address the messages are sent from (one your mail service may send as)",
    "mail.staff_addresses": "the staff's own addresses (the digest and the staff notices go there)",
    "blog_reviews.reviewers": "the reviewers' addresses",
    "conduct.readers": "the addresses of the people who may read the register",
    "checkin_form.form_url": "the check-in form's link (in the form: Send, then the link)",
    "referrals.answer_form_url": "the referral answer form's link, or empty",
    "program.forum_intro_url": "the forum's introductions category, or empty",
    "program.funding_url": "where ambassadors ask for funding, or empty",
    "forum.url": "the forum's address, or empty",
}
#: Keys whose example value harms no one: said, without stopping go-live.
HARMLESS = ("conduct.readers",)


def image_digest(data: bytes) -> str:
    """A certificate image's digest, the same whatever line endings a checkout gave a text (SVG) file."""
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def example_domain(host: str) -> bool:
    host = host.strip().rstrip(".").lower()
    return any(host == d or host.endswith("." + d) for d in EXAMPLE_DOMAINS) or \
        host.rsplit(".", 1)[-1] in EXAMPLE_TLDS


def _example_value(text: str) -> str:
    """Why a configured text is an example's ("" when it is not): an address or a link at a domain kept
    for examples, or a link with the example's EXAMPLE in its path."""
    text = text.strip()
    if "@" in text and " " not in text and "/" not in text:
        domain = text.rsplit("@", 1)[1]
        return f"at {domain}, a domain kept for examples (mail to it reaches no one)" if example_domain(domain) else ""
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        if example_domain(parts.hostname or ""):
            return f"at {parts.hostname}, a domain kept for examples (it leads nowhere)"
        if "EXAMPLE" in parts.path.split("/"):
            return "the example's link (it leads to no form)"
    return ""


def _leaves(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v, path)
    elif isinstance(value, str):
        yield path, value


def placeholders(settings: Mapping[str, Any], images: Mapping[str, str] | None = None) -> list[Line]:
    """Every example value left in the configuration (`settings`: its sections by name, as plain data), one line
    per key. `images` holds the digests of the certificate images that exist, by key
    (certificates.signature_image, certificates.logo)."""
    out: list[Line] = []
    found: dict[str, list[tuple[str, str]]] = {}
    for key, text in _leaves(settings, ""):
        why = _example_value(text)
        if why:
            found.setdefault(key, []).append((text, why))
    for key, values in found.items():
        shown = ", ".join(f"'{t}'" for t, _ in values)
        what = WHAT.get(key, "the program's own value")
        out.append(Line(False, f"{key} is {shown}, {values[0][1]}: set it to {what}.", blocking=key not in HARMLESS))
    f, r = settings["checkin_form"], settings["referrals"]
    if not f["form_url"].strip():
        out.append(Line(False, "checkin_form.form_url is empty: invitations, reminders and receipts would carry no "
                               f"link to the form; set it to {WHAT['checkin_form.form_url']}."))
    if f["prefill_email_entry"] == EXAMPLE_PREFILL_EMAIL:
        out.append(Line(False, f"checkin_form.prefill_email_entry is the example's '{EXAMPLE_PREFILL_EMAIL}': on a "
                               f"real form the links would not fill in the email; set it to the email question's "
                               f"entry id (the form's 'Get pre-filled link' shows it), or empty.", blocking=False))
    if not r["answer_form_url"].strip():
        out.append(Line(False, "referrals.answer_form_url is empty: offers ask for a reply with the code, which staff "
                               "then enter by hand; set it to the answer form's link for one-click answers.",
                        blocking=False))
    elif not _example_value(r["answer_form_url"]):
        same = [k for k, example in (("referrals.prefill_code_entry", EXAMPLE_PREFILL_CODE),
                                     ("referrals.prefill_answer_entry", EXAMPLE_PREFILL_ANSWER))
                if r[k.split(".")[1]] == example]
        if same:
            out.append(Line(False, f"{' and '.join(same)} {'are' if len(same) > 1 else 'is'} the example's: the yes "
                                   f"and no links would not fill in the offer's code and answer, and an answer "
                                   f"without its code matches no offer; set {'them' if len(same) > 1 else 'it'} to "
                                   f"the answer form's entry ids (its 'Get pre-filled link' shows them)."))
    if not settings["mail"]["staff_addresses"]:
        out.append(Line(False, "mail.staff_addresses is empty: the digest, the staff notices and the accepted "
                               "referrals would reach no one; set it to the staff's own addresses."))
    lead = settings["program"]["lead_name"].strip()
    if lead in ("", EXAMPLE_LEAD_NAME):
        out.append(Line(False, f"program.lead_name is {repr(lead) if lead else 'empty'}, the example's: every "
                               f"certificate would be signed so; set it to the program lead's name."))
    c = settings["certificates"]
    images = images or {}
    for key, path in (("certificates.signature_image", c["signature_image"]), ("certificates.logo", c["logo"])):
        digest = images.get(key)
        if digest == PLACEHOLDER_SIGNATURE:
            out.append(Line(False, f"{key} {path} is the placeholder signature shipped with the example: "
                                   f"certificates would carry a made-up signature; put the lead's scanned signature "
                                   f"there (PNG, JPEG or SVG), or set {key} to it."))
        elif digest == PLACEHOLDER_LOGO:
            out.append(Line(False, f"{key} {path} is the placeholder logo shipped with the example: certificates "
                                   f"would show it; put the program's logo there (PNG, JPEG or SVG), or set {key} to "
                                   f"it.", blocking=key != "certificates.logo"))
    if not out:
        out.append(Line(True, "go-live: no example value left in the configuration (addresses, links, the lead's "
                              "name and the certificate images are the program's own)."))
    return out


def roster_lines(ambassadors: Sequence[Ambassador], problems: int, where: str) -> list[Line]:
    """An empty roster stops go-live; addresses at a domain kept for examples are said (the example roster?)."""
    if not ambassadors:
        unusable = f" ({problems} rows unusable, listed below)" if problems else ""
        return [Line(False, f"roster {where}: no ambassador{unusable}: every check-in would match no one and "
                            f"become a data problem; fill the roster (ambassadors.file, or the Ambassadors table) "
                            f"before run-all.")]
    examples = [a.email for a in ambassadors if example_domain(a.email.rsplit("@", 1)[-1])]
    if not examples:
        return []
    return [Line(False, f"roster {where}: {len(examples)} of {len(ambassadors)} ambassadors have an address at a domain "
                        f"kept for examples (e.g. '{examples[0]}'): is it still the example roster?", blocking=False)]
